//! Meridian's operator: the `ActiveActiveDatabase` resource (`crd`), the pure plan of what a
//! region runs (`plan`), the Kubernetes objects that realise it (`build`), and the
//! controller that applies them and reports status (`controller`).

pub mod build;
pub mod crd;
pub mod plan;
