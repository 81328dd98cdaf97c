//! Meridian's operator: the `ActiveActiveDatabase` resource (`crd`), the pure plan of what a
//! region runs (`plan`), the Kubernetes objects that realise it (`build`), and the
//! controller that applies them and reports status (`controller`).

pub mod build;
pub mod conditions;
pub mod controller;
pub mod crd;
pub mod error;
pub mod failover;
pub mod http;
pub mod leader;
pub mod local;
pub mod metrics;
pub mod nodes;
pub mod plan;
pub mod plugin;
pub mod rebuild;
pub mod rollout;
pub mod syncer_info;

pub use error::Error;
