//! TOUCH key [key ...]: access times are not tracked, so TOUCH only counts, like EXISTS.

use crate::cmd::{CommandSpec, Handler};

pub const SPEC: CommandSpec = CommandSpec {
    name: "touch",
    arity: -2,
    flags: &["readonly", "fast"],
    keys: (1, -1, 1),
    group: "generic",
    summary: "Returns the number of existing keys out of those specified after updating the time they were last accessed.",
    handler: Handler::Data(super::exists::run),
};
