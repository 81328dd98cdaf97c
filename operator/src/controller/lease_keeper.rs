//! Renews the masters' leases on a clock of its own, apart from reconciles (which can take
//! seconds on a busy API server): every master the last reconcile of each database chose is
//! renewed at least three times per lease. So a master fences itself only when this operator
//! cannot reach it — or no operator runs — for the failover grace period, which is exactly
//! when a replica may be promoted in its place.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use parking_lot::Mutex;

use crate::nodes;

/// A master to keep leased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leased {
    pub addr: String,
    pub database_id: String,
    pub lease: Duration,
}

/// Per database (`namespace/name`), its masters.
#[derive(Default)]
pub struct Leases {
    masters: Mutex<BTreeMap<String, Vec<Leased>>>,
}

/// How often the keeper wakes at most.
const MAX_PERIOD: Duration = Duration::from_secs(1);

impl Leases {
    /// The masters of `database` from now on (none: stop renewing them).
    pub fn set(&self, database: &str, masters: Vec<Leased>) {
        let mut all = self.masters.lock();
        if masters.is_empty() {
            all.remove(database);
        } else {
            all.insert(database.to_string(), masters);
        }
    }

    fn all(&self) -> Vec<Leased> {
        self.masters.lock().values().flatten().cloned().collect()
    }

    /// Runs until the process stops: renews every master, then sleeps a third of the
    /// shortest lease (at most a second).
    pub async fn keep(self: Arc<Self>) {
        loop {
            let masters = self.all();
            let renewals = masters.iter().map(|m| async move {
                if let Err(e) = nodes::lease_master(&m.addr, &m.database_id, m.lease).await {
                    tracing::warn!(master = %m.addr, error = %e, "could not renew a master's lease");
                }
            });
            join_all(renewals).await;
            let period = masters.iter().map(|m| m.lease / 3).min().unwrap_or(MAX_PERIOD).min(MAX_PERIOD);
            tokio::time::sleep(period.max(Duration::from_millis(50))).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_without_masters_is_forgotten() {
        let leases = Leases::default();
        let m = Leased { addr: "10.0.0.1:16379".into(), database_id: "db".into(), lease: Duration::from_secs(10) };
        leases.set("ns/db", vec![m.clone()]);
        leases.set("ns/other", vec![m.clone(), m.clone()]);
        assert_eq!(leases.all().len(), 3);
        leases.set("ns/other", vec![]);
        assert_eq!(leases.all(), vec![m]);
    }
}
