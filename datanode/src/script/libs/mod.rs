//! The libraries Redis's Lua environment has beyond Lua's own: `bit` and `cjson`, written
//! in Rust on mlua (Redis links C libraries for them). They raise errors as `luaL_error`
//! does: the message, after the place of the Lua code that called them.

pub mod bit;
pub mod cjson;

use mlua::Lua;

/// An error a library function raised: its message, with the caller's place once it leaves
/// the function (`with_place`). The script's client sees `ERR <text>`, a script's `pcall`
/// the text alone, as with Redis's C libraries.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LibError(pub String);

pub(crate) fn fail(msg: impl Into<String>) -> mlua::Error {
    mlua::Error::external(LibError(msg.into()))
}

/// The `LibError` text an error value carries, if it is one.
pub fn lib_error_text(e: &mlua::Error) -> Option<String> {
    e.chain().find_map(|c| c.downcast_ref::<LibError>()).map(|l| l.0.clone())
}

/// A library function's result, its error placed as `luaL_error` places it: `chunk:line: `
/// of the calling Lua function (stack level 1; nothing when a C function such as `pcall`
/// called it).
pub(crate) fn with_place<T>(lua: &Lua, r: mlua::Result<T>) -> mlua::Result<T> {
    r.map_err(|e| match lib_error_text(&e) {
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
