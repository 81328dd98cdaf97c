//! The configuration files of a region's node, as pure functions of its addresses and
//! directories: containerd's `config.toml`, the CNI network, the kubelet's
//! `KubeletConfiguration` and CoreDNS's Corefile. JSON where the program accepts it, so no
//! path needs hand quoting.

use std::net::Ipv4Addr;
use std::path::Path;

use serde_json::json;

/// The sandbox image containerd runs for every Pod; images/build.sh builds it.
pub const PAUSE_IMAGE: &str = "registry.k8s.io/pause:3.6";

/// Where Debian's containernetworking-plugins installs the CNI plugins.
pub const CNI_BIN_DIR: &str = "/usr/lib/cni";

pub const CLUSTER_DOMAIN: &str = "cluster.local";

/// The Pod subnet of region `index`: distinct per region, so a packet's source names its
/// region in logs; traffic leaving a region is masqueraded to the node's WAN address anyway.
pub fn pod_subnet(index: u8) -> String {
    format!("10.244.{index}.0/24")
}

/// containerd 1.6 (config version 2) with every path under `dir`: its own socket, root and
/// state, the CRI plugin with the local pause image, and CNI from `cni_conf_dir`.
pub fn containerd_toml(dir: &Path, cni_conf_dir: &Path) -> String {
    let d = dir.display();
    format!(
        r#"version = 2
root = "{d}/root"
state = "{d}/state"
# Snapshotters this machine cannot use: skipping them keeps the log free of their errors.
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "{d}/containerd.sock"

[plugins."io.containerd.internal.v1.opt"]
  path = "{d}/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{PAUSE_IMAGE}"
  # Root here cannot lower OOM scores: without this, runc fails to write oom_score_adj.
  restrict_oom_score_adj = true
  # Pods' network namespaces are pinned under the state directory, not in /run/netns.
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{CNI_BIN_DIR}"
    conf_dir = "{}"
"#,
        cni_conf_dir.display()
    )
}

/// The Pod network: a bridge with the node as gateway, masquerading what leaves the subnet
/// (so a peer region sees the node's WAN address), hairpin so a Pod reaches itself through
/// a Service, and host-local addresses recorded under `ipam_dir`.
pub fn cni_conflist(subnet: &str, ipam_dir: &Path) -> String {
    let conf = json!({
        "cniVersion": "0.4.0",
        "name": "meridian",
        "plugins": [
            {
                "type": "bridge",
                "bridge": "cni0",
                "isGateway": true,
                "ipMasq": true,
                "hairpinMode": true,
                "ipam": {
                    "type": "host-local",
                    "ranges": [[{ "subnet": subnet }]],
                    "routes": [{ "dst": "0.0.0.0/0" }],
                    "dataDir": ipam_dir,
                },
            },
            { "type": "portmap", "capabilities": { "portMappings": true } },
        ],
    });
    conf.to_string()
}

/// What the kubelet's configuration depends on.
pub struct KubeletSettings<'a> {
    pub node_ip: Ipv4Addr,
    pub containerd_socket: &'a Path,
    pub cgroup_root: &'a str,
    pub client_ca: &'a Path,
    pub serving_cert: &'a Path,
    pub serving_key: &'a Path,
    pub pod_logs: &'a Path,
    pub volume_plugins: &'a Path,
}

/// A `KubeletConfiguration` for cgroup v1 with the cgroupfs driver (`failCgroupV1: false`),
/// the Pods' cgroups under `cgroup_root` (so regions on one machine never share one), the
/// cluster DNS on the node's own address, and eviction and image GC thresholds low enough
/// that a busy shared disk never evicts a test's Pods or deletes its imported images.
pub fn kubelet_config(s: &KubeletSettings<'_>) -> String {
    let endpoint = format!("unix://{}", s.containerd_socket.display());
    json!({
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "failCgroupV1": false,
        "cgroupDriver": "cgroupfs",
        "cgroupsPerQOS": true,
        "cgroupRoot": s.cgroup_root,
        "containerRuntimeEndpoint": endpoint,
        "imageServiceEndpoint": endpoint,
        "address": s.node_ip.to_string(),
        "port": 10250,
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": 10248,
        "tlsCertFile": s.serving_cert,
        "tlsPrivateKeyFile": s.serving_key,
        "authentication": {
            "anonymous": { "enabled": false },
            "webhook": { "enabled": true },
            "x509": { "clientCAFile": s.client_ca },
        },
        "authorization": { "mode": "Webhook" },
        "clusterDNS": [s.node_ip.to_string()],
        "clusterDomain": CLUSTER_DOMAIN,
        // No host resolv.conf: Pods resolve cluster names only, nothing outside the machine.
        "resolvConf": "",
        "failSwapOn": false,
        "podLogsDir": s.pod_logs,
        "volumePluginDir": s.volume_plugins,
        "serializeImagePulls": false,
        "evictionHard": {
            "memory.available": "100Mi",
            "nodefs.available": "1%",
            "nodefs.inodesFree": "1%",
            "imagefs.available": "1%",
        },
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "enforceNodeAllocatable": ["pods"],
        "registerNode": true,
        "rotateCertificates": false,
        "serverTLSBootstrap": false,
    })
    .to_string()
}

/// CoreDNS answering cluster names (Services, and Pods under headless Services) on the
/// node's address, from the API server `kubeconfig` reaches. No `forward`: nothing is ever
/// asked of a resolver outside the machine.
pub fn corefile(node_ip: Ipv4Addr, kubeconfig: &Path, health_port: u16, ready_port: u16) -> String {
    format!(
        ".:53 {{\n    bind {node_ip}\n    errors\n    health 127.0.0.1:{health_port}\n    ready 127.0.0.1:{ready_port}\n    \
         kubernetes {CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {{\n        kubeconfig {} {}\n        pods insecure\n        \
         fallthrough in-addr.arpa ip6.arpa\n    }}\n    cache 5\n}}\n",
        kubeconfig.display(),
        crate::kube::kubeconfig::CONTEXT,
    )
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;
    use std::path::Path;

    use super::{KubeletSettings, cni_conflist, containerd_toml, corefile, kubelet_config, pod_subnet};

    #[test]
    fn containerd_keeps_everything_under_its_directory() {
        let toml = containerd_toml(Path::new("/t/containerd"), Path::new("/t/cni"));
        assert!(toml.contains("root = \"/t/containerd/root\"\nstate = \"/t/containerd/state\"\n"), "{toml}");
        assert!(toml.contains("address = \"/t/containerd/containerd.sock\""), "{toml}");
        assert!(toml.contains("restrict_oom_score_adj = true"), "{toml}");
        assert!(toml.contains("sandbox_image = \"registry.k8s.io/pause:3.6\""), "{toml}");
        assert!(toml.contains("conf_dir = \"/t/cni\""), "{toml}");
    }

    #[test]
    fn the_pod_network_masquerades_its_own_subnet() {
        let conf: serde_json::Value =
            serde_json::from_str(&cni_conflist(&pod_subnet(2), Path::new("/t/ipam"))).unwrap();
        let bridge = &conf["plugins"][0];
        assert_eq!(bridge["type"], "bridge");
        assert_eq!(bridge["ipMasq"], true);
        assert_eq!(bridge["ipam"]["ranges"][0][0]["subnet"], "10.244.2.0/24");
        assert_eq!(bridge["ipam"]["dataDir"], "/t/ipam");
    }

    #[test]
    fn the_kubelet_runs_on_cgroup_v1_under_its_own_root() {
        let settings = KubeletSettings {
            node_ip: Ipv4Addr::new(10, 77, 0, 1),
            containerd_socket: Path::new("/t/containerd.sock"),
            cgroup_root: "/meridian-1",
            client_ca: Path::new("/t/ca.crt"),
            serving_cert: Path::new("/t/kubelet.crt"),
            serving_key: Path::new("/t/kubelet.key"),
            pod_logs: Path::new("/t/pods"),
            volume_plugins: Path::new("/t/plugins"),
        };
        let conf: serde_json::Value = serde_json::from_str(&kubelet_config(&settings)).unwrap();
        assert_eq!(conf["failCgroupV1"], false);
        assert_eq!(conf["cgroupDriver"], "cgroupfs");
        assert_eq!(conf["cgroupRoot"], "/meridian-1");
        assert_eq!(conf["containerRuntimeEndpoint"], "unix:///t/containerd.sock");
        assert_eq!(conf["clusterDNS"][0], "10.77.0.1");
        assert_eq!(conf["resolvConf"], "");
    }

    #[test]
    fn coredns_answers_cluster_names_only() {
        let text = corefile(Ipv4Addr::new(10, 77, 0, 2), Path::new("/t/admin.kubeconfig"), 8081, 8181);
        assert!(text.contains("bind 10.77.0.2\n"), "{text}");
        assert!(text.contains("kubeconfig /t/admin.kubeconfig meridian-e2e\n"), "{text}");
        assert!(!text.contains("forward"), "{text}");
    }
}
