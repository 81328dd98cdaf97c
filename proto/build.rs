//! Compiles the `.proto` files with `protox` (pure Rust), so a fresh machine needs no `protoc`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = ["proto/meridian/v1/replication.proto", "proto/meridian/v1/peer.proto"];
    for f in files {
        println!("cargo:rerun-if-changed={f}");
    }
    let descriptors = protox::compile(files, ["proto"])?;
    tonic_build::configure().bytes(["."]).compile_fds(descriptors)?;
    Ok(())
}
