//! Redis 7.0's function libraries as data: the `#!lua name=<lib>` metadata line a library
//! starts with, the flags a function may declare, and the registry FUNCTION LOAD, DELETE,
//! FLUSH, LIST and STATS work on (libraries by name, and which library owns each function:
//! a function name is unique across all libraries). The compiled callbacks live in the
//! functions VM (`script::functions`); this module never runs Lua.

use std::collections::BTreeMap;

use bytes::Bytes;
use hashbrown::HashMap;

use crate::cmd::glob;
use crate::resp::frame::split_args;

/// Redis's text for a bad library or function name (7.0 says "Library" for both).
pub const BAD_NAME: &str =
    "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/// What the first line of a library says.
#[derive(Debug, PartialEq, Eq)]
pub struct Metadata {
    pub engine: String,
    pub name: String,
}

/// Reads `#!<engine> name=<library>` as Redis's `functionExtractLibMetaData` does: the line
/// must be there and end with a newline; its words are split as `sdssplitargs` splits them
/// (quotes allowed); `name=` (any case) must come exactly once and no other option may.
/// Errors are Redis's texts without the `ERR ` prefix.
pub fn metadata(code: &[u8]) -> Result<Metadata, String> {
    if !code.starts_with(b"#!") {
        return Err("Missing library metadata".into());
    }
    let invalid = || "Invalid library metadata".to_string();
    let end = code.iter().position(|&b| b == b'\n').ok_or_else(invalid)?;
    let words = split_args(code.get(..end).unwrap_or_default()).ok_or_else(invalid)?;
    let mut words = words.into_iter().map(|w| String::from_utf8_lossy(&w).into_owned());
    let first = words.next().ok_or_else(invalid)?;
    let engine = first.get(2..).unwrap_or("").to_string();
    let mut name = None;
    for part in words {
        let is_name = part.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("name="));
        if !is_name {
            return Err(format!("Invalid metadata value given: {part}"));
        }
        if name.is_some() {
            return Err("Invalid metadata value, name argument was given multiple times".into());
        }
        name = Some(part.get(5..).unwrap_or("").to_string());
    }
    let Some(name) = name else {
        return Err("Library name was not given".into());
    };
    Ok(Metadata { engine, name })
}

/// Letters, digits and underscores, at least one (`functionsVerifyName`).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The flags `redis.register_function` accepts, in the order FUNCTION LIST prints them.
pub const FLAG_NAMES: [&str; 5] = ["no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"];

/// A function's flags: bit `i` is `FLAG_NAMES[i]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FunctionFlags(pub u8);

impl FunctionFlags {
    pub fn no_writes(self) -> bool {
        self.0 & 1 != 0
    }

    pub fn cross_slot(self) -> bool {
        self.0 & (1 << 4) != 0
    }

    /// The flag names set, in Redis's order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        FLAG_NAMES.into_iter().enumerate().filter(move |(i, _)| self.0 & (1 << i) != 0).map(|(_, n)| n)
    }
}

/// One registered function, as FUNCTION LIST shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionInfo {
    pub description: Option<Bytes>,
    pub flags: FunctionFlags,
}

/// A loaded library: its name, its code as given, and its functions by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Library {
    pub name: String,
    pub code: Bytes,
    pub functions: BTreeMap<String, FunctionInfo>,
}

/// The node's libraries. Listed in name order (Redis lists them in its hash table's order,
/// which no client can rely on).
#[derive(Default)]
pub struct Libraries {
    libraries: BTreeMap<String, Library>,
    /// Function name → the library that registered it.
    owners: HashMap<String, String>,
}

impl Libraries {
    pub fn get(&self, name: &str) -> Option<&Library> {
        self.libraries.get(name)
    }

    /// A function and the library it belongs to.
    pub fn function(&self, name: &[u8]) -> Option<(&Library, &FunctionInfo)> {
        let name = std::str::from_utf8(name).ok()?;
        let library = self.libraries.get(self.owners.get(name)?)?;
        Some((library, library.functions.get(name)?))
    }

    /// Whether `library` may be added: with `replace`, it takes the place of its namesake;
    /// either way none of its functions may belong to another library. Errors are Redis's
    /// texts without the `ERR ` prefix.
    pub fn admits(&self, library: &Library, replace: bool) -> Result<(), String> {
        if !replace && self.libraries.contains_key(&library.name) {
            return Err(format!("Library '{}' already exists", library.name));
        }
        for name in library.functions.keys() {
            if self.owners.get(name).is_some_and(|owner| *owner != library.name) {
                return Err(format!("Function {name} already exists"));
            }
        }
        Ok(())
    }

    /// Adds `library` (checked with `admits`), returning the one it replaced.
    pub fn insert(&mut self, library: Library) -> Option<Library> {
        let old = self.remove(&library.name);
        for name in library.functions.keys() {
            self.owners.insert(name.clone(), library.name.clone());
        }
        self.libraries.insert(library.name.clone(), library);
        old
    }

    pub fn remove(&mut self, name: &str) -> Option<Library> {
        let library = self.libraries.remove(name)?;
        for function in library.functions.keys() {
            self.owners.remove(function);
        }
        Some(library)
    }

    /// Libraries whose names match `pattern` (a glob, any case, as FUNCTION LIST's
    /// LIBRARYNAME), or all.
    pub fn matching<'a>(&'a self, pattern: Option<&'a [u8]>) -> impl Iterator<Item = &'a Library> + 'a {
        self.libraries
            .values()
            .filter(move |l| pattern.is_none_or(|p| glob::matches_nocase(p, l.name.as_bytes(), true)))
    }

    /// How many libraries and functions there are (FUNCTION STATS).
    pub fn counts(&self) -> (usize, usize) {
        (self.libraries.len(), self.owners.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn library(name: &str, functions: &[&str]) -> Library {
        Library {
            name: name.into(),
            code: Bytes::new(),
            functions: functions
                .iter()
                .map(|f| (f.to_string(), FunctionInfo { description: None, flags: FunctionFlags::default() }))
                .collect(),
        }
    }

    #[test]
    fn metadata_reads_the_first_line_as_redis_does() {
        assert_eq!(
            metadata(b"#!lua name=mylib\nreturn 1"),
            Ok(Metadata { engine: "lua".into(), name: "mylib".into() })
        );
        assert_eq!(metadata(b"#!LUA  NAME=x \n"), Ok(Metadata { engine: "LUA".into(), name: "x".into() }));
        assert_eq!(metadata(b"return 1").unwrap_err(), "Missing library metadata");
        assert_eq!(metadata(b"#!lua name=x").unwrap_err(), "Invalid library metadata");
        assert_eq!(metadata(b"#!lua\n").unwrap_err(), "Library name was not given");
        assert_eq!(metadata(b"#!lua name=x foo=bar\n").unwrap_err(), "Invalid metadata value given: foo=bar");
        assert_eq!(
            metadata(b"#!lua name=x name=y\n").unwrap_err(),
            "Invalid metadata value, name argument was given multiple times"
        );
        assert_eq!(metadata(b"#!lua name=\n").map(|m| m.name), Ok(String::new()));
        assert_eq!(metadata(b"#!lua name=\"q\"\n").map(|m| m.name), Ok("q".into()));
        assert_eq!(metadata(b"#!lua 'name=a b'\n").map(|m| m.name), Ok("a b".into()));
        assert_eq!(metadata(b"#!lua name=\"q\n").unwrap_err(), "Invalid library metadata");
        assert_eq!(metadata(b"#!lua name=\"q\"x\n").unwrap_err(), "Invalid library metadata");
        assert_eq!(metadata(b"#! lua name=x\n").unwrap_err(), "Invalid metadata value given: lua");
    }

    #[test]
    fn words_split_as_sdssplitargs_splits_them() {
        let split = |s: &[u8]| {
            split_args(s).map(|w| w.into_iter().map(|w| String::from_utf8_lossy(&w).into_owned()).collect::<Vec<_>>())
        };
        assert_eq!(split(b"  a  b\tc "), Some(vec!["a".into(), "b".into(), "c".into()]));
        assert_eq!(split(br#""x\x41\n" 'it\'s'"#), Some(vec!["xA\n".into(), "it's".into()]));
        assert_eq!(split(b""), Some(vec![]));
        assert_eq!(split(b"'open"), None);
    }

    #[test]
    fn names_are_letters_digits_and_underscores() {
        assert!(valid_name("a_B9"));
        assert!(!valid_name(""));
        assert!(!valid_name("a-b"));
        assert!(!valid_name("é"));
    }

    #[test]
    fn flags_print_in_redis_order() {
        let f = FunctionFlags(1 | (1 << 4));
        assert!(f.no_writes() && f.cross_slot());
        assert_eq!(f.names().collect::<Vec<_>>(), ["no-writes", "allow-cross-slot-keys"]);
        assert_eq!(FunctionFlags::default().names().count(), 0);
    }

    #[test]
    fn a_function_belongs_to_one_library() {
        let mut libs = Libraries::default();
        assert!(libs.admits(&library("a", &["f", "g"]), false).is_ok());
        assert!(libs.insert(library("a", &["f", "g"])).is_none());
        assert_eq!(libs.admits(&library("a", &["h"]), false).unwrap_err(), "Library 'a' already exists");
        assert_eq!(libs.admits(&library("b", &["g"]), false).unwrap_err(), "Function g already exists");
        // Replacing a library may keep its own function names, and drops the ones it no longer has.
        assert!(libs.admits(&library("a", &["g", "h"]), true).is_ok());
        assert!(libs.insert(library("a", &["g", "h"])).is_some());
        assert!(libs.function(b"f").is_none());
        assert_eq!(libs.function(b"h").map(|(l, _)| l.name.as_str()), Some("a"));
        assert_eq!(libs.counts(), (1, 2));
        assert!(libs.admits(&library("b", &["f"]), false).is_ok());
        libs.insert(library("b", &["f"]));
        assert_eq!(libs.matching(Some(b"A*")).map(|l| l.name.as_str()).collect::<Vec<_>>(), ["a"]);
        assert_eq!(libs.matching(None).count(), 2);
        assert!(libs.remove("a").is_some());
        assert_eq!(libs.counts(), (1, 1));
        assert!(libs.remove("a").is_none());
    }
}
