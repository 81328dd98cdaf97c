//! Meridian's operator: the `ActiveActiveDatabase` resource (`crd`). Reconciliation,
//! failover and local mode come with the operator's own issues.

pub mod crd;
