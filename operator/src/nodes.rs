//! The operator's calls to datanodes over their gRPC Replication service: a fresh `Status`
//! (never a cached one: failover decides on it) and `SetRole`. Every call is bounded.

use std::time::Duration;

use meridian_proto::replication_client::ReplicationClient;
use meridian_proto::{Hello, NodeStatus, Role, SetRoleRequest, StatusRequest};
use tonic::transport::Endpoint;

use crate::failover::{NodeRole, NodeState};

/// How long one call to a datanode may take, connection included.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(3);

/// What the operator learns from a datanode's `Status`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeReport {
    pub state: NodeState,
    pub link_up: bool,
    pub keys: u64,
    pub digest: Vec<u8>,
}

impl NodeReport {
    /// A replica of the master at `master_addr` with its link up.
    pub fn follows(&self, master_addr: &str) -> bool {
        self.state.role == NodeRole::Replica && self.link_up && self.state.master_addr == master_addr
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeError {
    #[error("{addr}: no answer within {CALL_TIMEOUT:?}")]
    Timeout { addr: String },
    #[error("{addr}: {message}")]
    Failed { addr: String, message: String },
}

async fn client(addr: &str) -> Result<ReplicationClient<tonic::transport::Channel>, NodeError> {
    let failed = |message: String| NodeError::Failed { addr: addr.to_string(), message };
    let endpoint = Endpoint::from_shared(format!("http://{addr}"))
        .map_err(|e| failed(e.to_string()))?
        .connect_timeout(CALL_TIMEOUT)
        .timeout(CALL_TIMEOUT);
    let channel = endpoint.connect().await.map_err(|e| failed(format!("cannot connect: {e}")))?;
    Ok(ReplicationClient::new(channel))
}

async fn bounded<T>(addr: &str, call: impl std::future::Future<Output = Result<T, NodeError>>) -> Result<T, NodeError> {
    tokio::time::timeout(CALL_TIMEOUT, call)
        .await
        .unwrap_or_else(|_| Err(NodeError::Timeout { addr: addr.to_string() }))
}

/// The node's state, asked now. `digest` also hashes its keyspace (slow on big data).
pub async fn status(addr: &str, database_id: &str, digest: bool) -> Result<NodeReport, NodeError> {
    bounded(addr, async {
        let mut c = client(addr).await?;
        let reply = c
            .status(StatusRequest { hello: Some(Hello::new(database_id, 0)), digest, ..Default::default() })
            .await
            .map_err(|e| NodeError::Failed { addr: addr.to_string(), message: e.message().to_string() })?;
        Ok(report(reply.into_inner()))
    })
    .await
}

/// Promotes the node (`master_addr` empty) or makes it follow `master_addr`; its new state.
pub async fn set_role(addr: &str, database_id: &str, master_addr: &str) -> Result<NodeReport, NodeError> {
    call_set_role(
        addr,
        SetRoleRequest { hello: Some(Hello::new(database_id, 0)), master_addr: master_addr.to_string(), lease_ms: 0 },
    )
    .await
}

/// Makes the node master (if it is not) holding a lease of `lease`: it refuses client writes
/// once the lease runs out unless renewed (fencing). Renewed every pass of the decider.
pub async fn lease_master(addr: &str, database_id: &str, lease: Duration) -> Result<NodeReport, NodeError> {
    let lease_ms = u64::try_from(lease.as_millis()).unwrap_or(u64::MAX).max(1);
    call_set_role(
        addr,
        SetRoleRequest { hello: Some(Hello::new(database_id, 0)), master_addr: String::new(), lease_ms },
    )
    .await
}

async fn call_set_role(addr: &str, request: SetRoleRequest) -> Result<NodeReport, NodeError> {
    bounded(addr, async {
        let mut c = client(addr).await?;
        let reply = c
            .set_role(request)
            .await
            .map_err(|e| NodeError::Failed { addr: addr.to_string(), message: e.message().to_string() })?;
        Ok(report(reply.into_inner()))
    })
    .await
}

fn report(s: NodeStatus) -> NodeReport {
    let role = if s.role == Role::Replica as i32 { NodeRole::Replica } else { NodeRole::Master };
    NodeReport {
        state: NodeState { role, actor: s.actor, replid: s.replid, offset: s.offset, master_addr: s.master_addr },
        link_up: s.master_link_up,
        keys: s.keys,
        digest: s.digest.to_vec(),
    }
}
