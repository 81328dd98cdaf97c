//! Real PersistentVolumes for a one-node region: `local` volumes on directories of the
//! region, created ahead of time, behind a default StorageClass with no provisioner that
//! binds a claim when its Pod is scheduled (WaitForFirstConsumer), as on a real cluster
//! with local disks. Spare volumes let a deleted claim's replacement bind a fresh one.
//!
//! Chosen over a dynamic provisioner (rancher's local-path-provisioner): that one creates each
//! volume's directory from a helper Pod, which needs a busybox image built and imported too,
//! and a Deployment of its own; pre-created local volumes exercise the same binding path
//! with nothing extra to build, and each is a directory the test can look into.

use super::region::RegionCluster;
use crate::kube::{Error, Result};

/// The default StorageClass's name in every region.
pub const STORAGE_CLASS: &str = "local";

/// The YAML of the StorageClass and of volumes `first..first + count` of `size` on `node`,
/// each at `<base>/pv-<i>`.
pub fn local_volumes_yaml(node: &str, base: &std::path::Path, first: usize, count: usize, size: &str) -> String {
    let mut yaml = format!(
        "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: {STORAGE_CLASS}\n  annotations:\n    \
         storageclass.kubernetes.io/is-default-class: \"true\"\nprovisioner: kubernetes.io/no-provisioner\n\
         volumeBindingMode: WaitForFirstConsumer\nreclaimPolicy: Retain\n"
    );
    for i in first..first + count {
        yaml.push_str(&format!(
            "---\napiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: {node}-pv-{i}\nspec:\n  capacity:\n    \
             storage: {size}\n  accessModes: [ReadWriteOnce]\n  persistentVolumeReclaimPolicy: Retain\n  \
             storageClassName: {STORAGE_CLASS}\n  local:\n    path: {}\n  nodeAffinity:\n    required:\n      \
             nodeSelectorTerms:\n        - matchExpressions:\n            - {{key: kubernetes.io/hostname, operator: In, values: [{node}]}}\n",
            base.join(format!("pv-{i}")).display()
        ));
    }
    yaml
}

impl RegionCluster {
    /// Creates `count` local volumes of `size` (their directories under the region's own
    /// directory) and the default StorageClass that binds them.
    pub fn create_local_volumes(&self, count: usize, size: &str) -> Result<()> {
        let dir =
            self.dir().ok_or_else(|| Error::io("find the region's directory")(std::io::Error::other("stopped")))?;
        let base = dir.join("volumes");
        let existing = std::fs::read_dir(&base).map(|d| d.count()).unwrap_or(0);
        for i in existing..existing + count {
            let path = base.join(format!("pv-{i}"));
            std::fs::create_dir_all(&path).map_err(Error::io(format!("create {}", path.display())))?;
        }
        self.apply_yaml(&local_volumes_yaml(self.name(), &base, existing, count, size))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::local_volumes_yaml;

    #[test]
    fn volumes_are_pinned_to_the_node_behind_a_waiting_default_class() {
        let yaml = local_volumes_yaml("us-east", Path::new("/t/volumes"), 2, 2, "1Gi");
        assert!(yaml.contains("volumeBindingMode: WaitForFirstConsumer\n"), "{yaml}");
        assert!(yaml.contains("storageclass.kubernetes.io/is-default-class: \"true\""), "{yaml}");
        assert!(yaml.contains("  name: us-east-pv-2\n"), "{yaml}");
        assert!(yaml.contains("    path: /t/volumes/pv-3\n"), "{yaml}");
        assert!(!yaml.contains("pv-4"), "{yaml}");
        assert!(yaml.contains("values: [us-east]"), "{yaml}");
        assert_eq!(yaml.matches("kind: PersistentVolume\n").count(), 2);
    }
}
