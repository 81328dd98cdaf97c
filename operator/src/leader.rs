//! Leader election on a `coordination.k8s.io` Lease (kube-lease-manager): of the operator's
//! replicas in a region, only the holder reconciles; the others wait to take over. A leader
//! that loses the lease exits, so it can never act beside a new leader.

use kube::Client;
use kube_lease_manager::LeaseManagerBuilder;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long a lease lasts without renewal, and how early it is renewed (seconds).
const LEASE_SECONDS: u64 = 15;
const RENEW_GRACE_SECONDS: u64 = 5;

pub struct Lease {
    pub leading: watch::Receiver<bool>,
    task: JoinHandle<kube_lease_manager::Result<kube_lease_manager::LeaseManager>>,
}

/// Starts competing for the lease `name` in `namespace` as `identity`.
pub async fn compete(client: Client, namespace: &str, name: &str, identity: &str) -> anyhow::Result<Lease> {
    let manager = LeaseManagerBuilder::new(client, name)
        .with_namespace(namespace)
        .with_identity(identity)
        .with_duration(LEASE_SECONDS)
        .with_grace(RENEW_GRACE_SECONDS)
        .build()
        .await?;
    let (leading, task) = manager.watch().await;
    Ok(Lease { leading, task })
}

impl Lease {
    /// Resolves once this replica holds the lease.
    pub async fn acquired(&mut self) -> anyhow::Result<()> {
        self.leading.wait_for(|l| *l).await?;
        Ok(())
    }

    /// Resolves when this replica no longer holds the lease.
    pub async fn lost(&mut self) {
        let _ = self.leading.wait_for(|l| !*l).await;
    }

    /// Gives the lease up at once, so a standby takes over without waiting for it to expire.
    pub async fn release(self) {
        let Lease { leading, task } = self;
        drop(leading);
        match task.await {
            Ok(Ok(_)) => tracing::info!("leader lease released"),
            Ok(Err(e)) => tracing::warn!(error = %e, "could not release the leader lease"),
            Err(e) => tracing::warn!(error = %e, "lease task failed"),
        }
    }
}
