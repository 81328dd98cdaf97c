//! `docs/commands.md` is generated from the command table; this test fails when it is stale.
//! Regenerate with `UPDATE_DOCS=1 cargo test -p meridian-datanode --test docs`.

use meridian_datanode::cmd;

fn render() -> String {
    let mut out = String::from(
        "# Supported commands\n\n\
         Generated from the datanode's command table by `datanode/tests/docs`; do not edit by hand.\n\
         Arity follows Redis: N means exactly N words including the name, -N at least N.\n\
         Conflict behaviour between regions: see SEMANTICS.md.\n\n\
         | command | group | arity | flags | summary |\n|---|---|---|---|---|\n",
    );
    for spec in cmd::all() {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            spec.name.to_uppercase(),
            spec.group,
            spec.arity,
            spec.flags.join(", "),
            spec.summary
        ));
    }
    out.push_str(&format!("\n{} commands.\n", cmd::all().len()));
    out
}

#[test]
fn commands_md_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/commands.md");
    let want = render();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(path, &want).expect("write docs/commands.md");
        return;
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(have == want, "docs/commands.md is stale: run UPDATE_DOCS=1 cargo test -p meridian-datanode --test docs");
}
