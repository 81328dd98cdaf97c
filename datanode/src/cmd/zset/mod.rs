//! placeholder family, filled below
use super::CommandSpec;
pub const COMMANDS: &[CommandSpec] = &[];
