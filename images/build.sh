#!/usr/bin/env bash
# Builds Meridian's container images without a registry or a daemon, as OCI image archives
# that `ctr -n k8s.io image import` (containerd) and `docker load` (Docker >= 25) take:
#
#   <repository>/meridian-operator:<version>   /usr/local/bin/meridian-operator
#   <repository>/meridian-datanode:<version>   /usr/local/bin/meridian-datanode
#   <repository>/meridian-syncer:<version>     /usr/local/bin/meridian-syncer
#   registry.k8s.io/pause:3.6                  Debian's catatonit in pause mode (-P), the
#                                              sandbox image containerd's CRI runs per Pod
#
# Usage: images/build.sh [--no-build] [--out DIR] [--version V] [--repository R]
#
#   --no-build      use the release binaries already in $CARGO_TARGET_DIR/release
#   --out DIR       where the archives go (default $MERIDIAN_CACHE/images, ~/.cache/meridian/images)
#   --version V     the image tag and version label (default: the workspace version, which is
#                   the chart's appVersion); a second tag of the same binaries tests upgrades
#   --repository R  the name prefix (default `meridian`, the chart's image.repository)
#
# No base image: each image is one layer holding the binary, exactly the shared libraries
# `ldd` lists for it (copied from this machine's Debian packages, which a label names with
# their versions), /etc/passwd and /etc/group for the user 65532 (`meridian`), and an
# nsswitch.conf. Images are reproducible: every mtime is the last commit's time
# (SOURCE_DATE_EPOCH), tar entries are sorted with numeric owners, and the layout is written
# by umoci (built from its Go module by .ci/pod-tools.sh) with fixed creation times, so the
# same binaries give the same digests. Prints one line per image: archive, reference, digest.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${MERIDIAN_CACHE:-$HOME/.cache/meridian}"
PAUSE_REF="registry.k8s.io/pause:3.6"
RUN_AS=65532   # the operator's pods run as this uid and gid (operator/src/build/pod.rs)
PAUSE_USER=65535

die() {
  echo "images/build.sh: error: $*" >&2
  exit 1
}

build=true
out="$CACHE/images"
version=""
repository="meridian"
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=false ;;
    --out) out=${2:?--out needs a directory}; shift ;;
    --version) version=${2:?--version needs a tag}; shift ;;
    --repository) repository=${2:?--repository needs a name}; shift ;;
    *) die "unknown argument '$1' (usage: images/build.sh [--no-build] [--out DIR] [--version V] [--repository R])" ;;
  esac
  shift
done

cd "$REPO"
if [ -z "$version" ]; then
  version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' Cargo.toml)
  [ -n "$version" ] || die "found no version in [workspace.package] of Cargo.toml"
fi
source_url=$(sed -n '/^\[workspace.package\]/,/^\[/s/^repository = "\(.*\)"$/\1/p' Cargo.toml)
license=$(sed -n '/^\[workspace.package\]/,/^\[/s/^license = "\(.*\)"$/\1/p' Cargo.toml)
revision=$(git rev-parse HEAD 2>/dev/null) || die "not a git checkout: the revision label needs one"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}"
created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)

bash "$REPO/.ci/pod-tools.sh" umoci >&2
umoci="$CACHE/bin/umoci"
for tool in jq strip tar gzip ldd dpkg-query catatonit; do
  command -v "$tool" >/dev/null || die "$tool not found: run .ci/pod-tools.sh (it installs the Debian packages)"
done

target="${CARGO_TARGET_DIR:-$REPO/target}/release"
if $build; then
  echo "== images: cargo build --release" >&2
  cargo build --release --locked --bins -p meridian-operator -p meridian-datanode -p meridian-syncer >&2
fi
for bin in meridian-operator meridian-datanode meridian-syncer; do
  [ -x "$target/$bin" ] || die "$target/$bin not found: run without --no-build (or cargo build --release)"
done

mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Every tar this script writes: sorted, numeric root owners, no atime/ctime, fixed mtimes.
det_tar() {
  local dir=$1 archive=$2
  (cd "$dir" && find . -mindepth 1 | LC_ALL=C sort | sed 's|^\./||') >"$work/list"
  tar --create --file "$archive" --directory "$dir" --no-recursion --files-from "$work/list" \
    --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner
}

# The shared libraries `ldd` lists for $1 (the dynamic loader included), one path a line.
libraries() {
  ldd "$1" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | LC_ALL=C sort -u
}

# "package=version" of the Debian package that ships file $1.
debian_package() {
  local owner
  owner=$(dpkg-query -S "$1" 2>/dev/null || dpkg-query -S "$(realpath "$1")" 2>/dev/null) \
    || die "no Debian package ships $1"
  local package=${owner%%:*}
  echo "$package=$(dpkg-query -W -f='${Version}' "$package")"
}

# make_image NAME REFERENCE USER BINARY INSTALLED_AS ENTRYPOINT...
make_image() {
  local name=$1 ref=$2 user=$3 binary=$4 installed=$5
  shift 5
  local dir="$work/$name"
  local root="$dir/rootfs"
  mkdir -p "$root/etc" "$root/$(dirname "$installed")"
  strip --strip-debug -o "$root$installed" "$binary"
  local packages=()
  local lib
  for lib in $(libraries "$binary"); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
    packages+=("$(debian_package "$lib")")
  done
  case "$binary" in
    /usr/bin/*) packages+=("$(debian_package "$binary")") ;;
  esac
  printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nmeridian:x:%s:%s:meridian:/nonexistent:/usr/sbin/nologin\n' \
    "$RUN_AS" "$RUN_AS" >"$root/etc/passwd"
  printf 'root:x:0:\nmeridian:x:%s:\n' "$RUN_AS" >"$root/etc/group"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
  find "$root" -type d -exec chmod 0755 {} +
  find "$root" -type f -exec chmod 0644 {} +
  chmod 0755 "$root$installed"
  for lib in $(libraries "$binary"); do chmod 0755 "$root$lib"; done
  det_tar "$root" "$dir/layer.tar"

  local layout="$dir/layout" tag=${ref##*:}
  "$umoci" init --layout "$layout"
  "$umoci" new --image "$layout:$tag"
  "$umoci" raw add-layer --image "$layout:$tag" --compress=gzip \
    --history.created="$created" --history.created_by="images/build.sh" "$dir/layer.tar"
  local config=(--no-history --created="$created" --os=linux --architecture=amd64
    --config.user="$user:$user" --config.env=PATH=/usr/local/bin:/usr/bin:/bin --config.workingdir=/)
  local arg
  for arg in "$@"; do config+=(--config.entrypoint="$arg"); done
  config+=(
    --config.label=org.opencontainers.image.title="$name"
    --config.label=org.opencontainers.image.version="${ref##*:}"
    --config.label=org.opencontainers.image.created="$created"
    --config.label=org.opencontainers.image.source="$source_url"
    --config.label=org.opencontainers.image.revision="$revision"
    --config.label=org.opencontainers.image.licenses="$license"
    --config.label=io.meridian.image.debian-packages="$(printf '%s\n' "${packages[@]}" | LC_ALL=C sort -u | paste -sd' ')"
  )
  "$umoci" config --image "$layout:$tag" "${config[@]}"
  "$umoci" gc --layout "$layout"
  # containerd and Docker name an imported image after this annotation (umoci writes only
  # the tag, as org.opencontainers.image.ref.name).
  local full=$ref
  case "${ref%%/*}" in
    *.*|*:*|localhost) ;;
    *) full="docker.io/$ref" ;;
  esac
  jq -c --arg name "$full" '.manifests[0].annotations["io.containerd.image.name"] = $name' \
    "$layout/index.json" >"$dir/index.json"
  mv "$dir/index.json" "$layout/index.json"
  find "$layout" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  chmod -R u=rwX,go=rX "$layout"
  local archive="$out/$name-${ref##*:}.oci.tar"
  det_tar "$layout" "$archive.partial"
  mv -f "$archive.partial" "$archive"
  local digest
  digest=$(jq -r '.manifests[0].digest' "$layout/index.json")
  echo "$archive $full $digest"
}

for component in operator datanode syncer; do
  bin="meridian-$component"
  make_image "$bin" "$repository/$bin:$version" "$RUN_AS" "$target/$bin" "/usr/local/bin/$bin" "/usr/local/bin/$bin"
done
make_image pause "$PAUSE_REF" "$PAUSE_USER" "$(command -v catatonit)" /catatonit /catatonit -P
