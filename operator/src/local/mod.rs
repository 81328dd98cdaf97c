//! Local mode: the same `ActiveActiveDatabase` manifest, run on this machine as child
//! processes instead of Kubernetes objects. Every decision is the operator's own: the plan
//! (`plan::plan`, CEL rules included), the shard map (`plan::shard_map`), the command lines
//! (`build`), who is master (`failover`); only the backend differs.

pub mod child;
pub mod desired;
pub mod layout;
pub mod netns;
pub mod state_dir;
