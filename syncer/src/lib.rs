//! placeholder until the syncer lands in this commit
