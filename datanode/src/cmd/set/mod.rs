//! placeholder family, filled below
pub mod random;
use super::CommandSpec;
pub const COMMANDS: &[CommandSpec] = &[];
