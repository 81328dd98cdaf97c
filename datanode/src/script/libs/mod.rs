//! The libraries Redis's Lua environment has beyond Lua's own: `bit`, `cjson`, `cmsgpack`
//! and `struct`, written in Rust on mlua (Redis links C libraries for them). They raise
//! errors as `luaL_error` does: the message, after the place of the Lua code that called them.

pub mod args;
pub mod bit;
pub mod cjson;
pub mod cjson_config;
pub mod cmsgpack;
pub mod structs;
#[cfg(test)]
mod testing;

use mlua::Lua;

/// The deepest nesting the libraries build or walk (Redis's C libraries go on to their Lua
/// stack's bound, some thousands, which Lua CJSON's own limits may raise to). Each open
/// level holds a reference in mlua's auxiliary stack, which has 8000 slots for the whole VM
/// and panics past them; 1000 (Lua CJSON's default limit) keeps well inside, and the
/// recursion well inside a thread's stack (**Meridian rule**).
pub(crate) const MAX_HELD_NESTING: usize = 1000;
/// The most values one library call returns (`cmsgpack.unpack`, `struct.unpack`). Redis
/// stops at its Lua stack's 8000 slots; every returned string or table also holds one of
/// mlua's 8000 reference slots, so Meridian stops at half (**Meridian rule**), with Redis's
/// stack overflow error.
pub(crate) const MAX_RESULTS: usize = 4000;

/// An error a library function raised: its message, with the caller's place once it leaves
/// the function (`with_place`). The script's client sees `ERR <text>`, a script's `pcall`
/// the text alone, as with Redis's C libraries.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LibError(pub String);

pub(crate) fn fail(msg: impl Into<String>) -> mlua::Error {
    mlua::Error::external(LibError(msg.into()))
}

/// An error Lua itself would raise inside a library function ("table index is nil"):
/// Lua places it nowhere, as the running function is a C one.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unplaced(pub String);

/// The text a library error value carries, if it is one.
pub fn lib_error_text(e: &mlua::Error) -> Option<String> {
    e.chain().find_map(|c| {
        c.downcast_ref::<LibError>().map(|l| l.0.clone()).or_else(|| c.downcast_ref::<Unplaced>().map(|u| u.0.clone()))
    })
}

/// A library function's result, its error placed as `luaL_error` places it: `chunk:line: `
/// of the calling Lua function (stack level 1; nothing when a C function such as `pcall`
/// called it).
pub(crate) fn with_place<T>(lua: &Lua, r: mlua::Result<T>) -> mlua::Result<T> {
    let placed = |e: &mlua::Error| e.chain().find_map(|c| c.downcast_ref::<LibError>()).map(|l| l.0.clone());
    r.map_err(|e| match placed(&e) {
        Some(text) => {
            let place = lua
                .inspect_stack(1)
                .and_then(|d| {
                    let line = d.curr_line();
                    let src = d.source().short_src.map(|s| s.to_string());
                    (line > 0).then_some(format!("{}:{line}: ", src?))
                })
                .unwrap_or_default();
            fail(format!("{place}{text}"))
        }
        None => e,
    })
}
