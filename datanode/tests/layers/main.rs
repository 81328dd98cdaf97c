//! The datanode's modules form layers, and no two import each other in a circle: every
//! `crate::<module>` path in a module's code (`use` lines and paths written inline) must name
//! a module of a lower layer. A new import that points up, and so could close a circle (as
//! `server` and `repl` once did), fails here with the file that makes it. Test code
//! (`#[cfg(test)]` modules) may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Lowest first. A module may use the modules before it in this list, never those after.
const LAYERS: &[&str] = &[
    "crdt",     // CRDT types and causal contexts: pure data
    "keyspace", // entries, slots, deltas, digests
    "shard",    // one replica's state; commits keep their delta for the caller
    "resp",     // the wire format of requests and replies
    "cmd",      // commands: (shard, request) -> (reply, delta)
    "script",   // the Lua VM, its sandbox and conversions; run by the session
    "node",     // the node core: shard lock, replication state and backlog, wake-ups
    "repl",     // replication over the network, on the node core
    "server",   // the RESP server, on the node core and replication
    "process",  // logging and signals for the binary
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its `#[cfg(test)]` items (a `mod x { .. }` block, or a
/// `mod x;` line whose file is then skipped as a whole by its name, `tests.rs`).
fn without_tests(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() != "#[cfg(test)]" {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let Some(item) = lines.next() else { break };
        if !item.contains('{') {
            continue;
        }
        let mut depth = item.matches('{').count() as i64 - item.matches('}').count() as i64;
        while depth > 0 {
            let Some(l) = lines.next() else { break };
            depth += l.matches('{').count() as i64 - l.matches('}').count() as i64;
        }
    }
    out
}

/// `crate::<name>` paths in `code`, with their line numbers.
fn crate_paths(code: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let code_part = line.split("//").next().unwrap_or("");
        let mut rest = code_part;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            found.push((n + 1, name));
            rest = after;
        }
    }
    found
}

#[test]
fn modules_only_use_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 50, "found only {} source files under {}", files.len(), src.display());
    let rank: BTreeMap<&str, usize> = LAYERS.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    let mut edges: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut modules = BTreeSet::new();
    for file in files.iter().filter(|f| !f.ends_with("tests.rs")) {
        let rel = file.strip_prefix(&src).unwrap_or(file);
        let Some(first) = rel.components().next() else { continue };
        let top = first.as_os_str().to_string_lossy().trim_end_matches(".rs").to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        modules.insert(top.clone());
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for (line, target) in crate_paths(&without_tests(&text)) {
            if target != top {
                edges.entry((top.clone(), target)).or_default().push(format!("{}:{line}", rel.display()));
            }
        }
    }
    let unlisted: Vec<&String> = modules.iter().filter(|m| !rank.contains_key(m.as_str())).collect();
    assert!(unlisted.is_empty(), "modules missing from LAYERS (place them): {unlisted:?}");
    let upward: Vec<String> = edges
        .iter()
        .filter(|((from, to), _)| rank.get(to.as_str()).is_none_or(|t| *t >= rank[from.as_str()]))
        .map(|((from, to), at)| format!("{from} -> {to} at {}", at.join(", ")))
        .collect();
    assert!(upward.is_empty(), "imports that point up the layers (a circle waiting to close):\n{}", upward.join("\n"));
}

/// The checker itself: an upward import is seen, in `use` lines and inline paths, and test
/// modules are left out.
#[test]
fn the_checker_sees_inline_paths_and_skips_test_modules() {
    let code = "use crate::node::Node;\nfn f() { crate::server::now(); } // crate::repl in a comment\n#[cfg(test)]\nmod tests {\n    use crate::cmd::testing;\n    fn g() { if x { y } }\n}\nuse crate::shard::Shard;\n";
    let kept = without_tests(code);
    let names: Vec<String> = crate_paths(&kept).into_iter().map(|(_, n)| n).collect();
    assert_eq!(names, ["node", "server", "shard"]);
}
