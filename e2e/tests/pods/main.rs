//! The real-Pod tier: Meridian's locally built images in real single-node Kubernetes
//! clusters, one per region, each in network namespaces of its own, joined by a WAN the test
//! controls (`meridian_e2e::cluster`). Needs root, `.ci/pod-tools.sh` and `images/build.sh`
//! first; a missing one fails the test with what to run.
//!
//! The clusters are heavy (an API server each, on two shared cores), so every test here runs
//! one after the other, holding `SERIAL`.

mod bad_input;
mod cluster;
mod operator;
mod regions;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use meridian_e2e::cluster::RegionCluster;

pub type TestResult = Result<(), meridian_e2e::Error>;

/// One cluster test at a time: two would not fit the machine's two cores in time.
pub static SERIAL: Mutex<()> = Mutex::new(());

pub fn kube<T>(r: meridian_e2e::kube::Result<T>) -> Result<T, meridian_e2e::Error> {
    r.map_err(meridian_e2e::Error::from)
}

pub fn check(what: impl Into<String>) -> meridian_e2e::Error {
    meridian_e2e::Error::Check(what.into())
}

/// How long a Pod may take to start (image present, but two cores shared by several
/// control planes).
pub const POD_TIMEOUT: Duration = Duration::from_secs(180);

/// A Redis connection to `addr` opened inside `region`'s network namespace (a Service's
/// ClusterIP or a Pod's IP: both exist only there).
pub fn redis_in(region: &RegionCluster, addr: SocketAddr) -> Result<redis::Connection, String> {
    let ns = region.netns().map_err(|e| e.to_string())?;
    let opened = ns.enter(|| {
        let client = redis::Client::open(format!("redis://{addr}/")).map_err(|e| e.to_string())?;
        let conn = client.get_connection_with_timeout(Duration::from_secs(5)).map_err(|e| e.to_string())?;
        conn.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
        Ok::<_, String>(conn)
    });
    opened.map_err(|e| e.to_string())?
}

/// `kubectl get <args> -o jsonpath=<path>` in `region`.
pub fn jsonpath(region: &RegionCluster, args: &[&str], path: &str) -> Result<String, String> {
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    all.push(format!("-o=jsonpath={path}"));
    region.kubectl_ok(&all).map(|s| s.trim().to_string()).map_err(|e| e.to_string())
}

/// The ClusterIP of Service `name` in `ns`.
pub fn service_ip(region: &RegionCluster, ns: &str, name: &str) -> Result<String, String> {
    let ip = jsonpath(region, &["get", "service", name, "-n", ns], "{.spec.clusterIP}")?;
    if ip.is_empty() { Err(format!("service {ns}/{name} has no ClusterIP yet")) } else { Ok(ip) }
}

/// Where the chart's operator runs.
pub const OPERATOR_NS: &str = "meridian-system";

/// `helm install` of the chart in `region` (`--set region=<name>`), waiting for the
/// operator's Deployment.
pub fn helm_install_operator(region: &RegionCluster) -> TestResult {
    let chart = Path::new(env!("CARGO_MANIFEST_DIR")).join("../charts/meridian");
    let region_value = format!("region={}", region.name());
    kube(region.helm_ok(&[
        "install",
        "meridian",
        chart.to_str().unwrap_or_default(),
        "--namespace",
        OPERATOR_NS,
        "--create-namespace",
        "--set",
        &region_value,
        "--wait",
        "--timeout=300s",
    ]))?;
    Ok(())
}
