//! What the libraries' unit tests share: a bare Lua state with one library, and a packed
//! string's bytes in hex.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use mlua::{Lua, Table};

/// A Lua state with the library `build` makes, as the global `name`.
pub fn lua_with(name: &str, build: fn(&Lua) -> mlua::Result<Table>) -> Lua {
    let lua = Lua::new();
    lua.globals().raw_set(name, build(&lua).unwrap()).unwrap();
    lua
}

/// The string `code` returns, in hex.
pub fn hex(lua: &Lua, code: &str) -> String {
    let s: mlua::String = lua.load(code).eval().unwrap();
    s.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
}
