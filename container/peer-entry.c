/*
 * peer-entry: the image's entrypoint. It runs the peer as uid/gid 1000 with the volume owned by that user.
 *
 * Fresh volumes from Kubernetes (an Akash lease's persistent storage), from podman/docker bind mounts of a new
 * host folder, and from most CSI drivers are root-owned, and Akash cannot set a pod's runAsUser or fsGroup. So:
 *   - started as root (the default): give DATA_DIR (default /data) and everything in it that is not owned by
 *     1000:1000 to 1000:1000 (same filesystem only, symlinks not followed; a few files, so every start), then
 *     drop to 1000:1000 for good (setgroups, setgid, setuid) and exec node;
 *   - started as any other user (docker run --user 1000:1000, Kubernetes runAsUser): exec node as is.
 * exec, not fork: node becomes PID 1 and receives SIGTERM itself. Arguments are passed to dist/peer.js, so
 * `docker run IMAGE migrate` works, and `peer-entry backup` runs a command as 1000:1000 from a root shell
 * (`docker exec`, Akash's lease-shell), so the files it writes stay the peer's. Build: gcc -O2 -Wall -Wextra -o peer-entry peer-entry.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PEER_UID 1000
#define PEER_GID 1000
#define NODE "/usr/local/bin/node"
#define PEER "/app/dist/peer.js"

static int failures;

static int own(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)type;
  (void)ftw;
  if ((st->st_uid != PEER_UID || st->st_gid != PEER_GID) && lchown(path, PEER_UID, PEER_GID) != 0 && failures++ < 3) {
    fprintf(stderr, "peer-entry: chown %s: %s\n", path, strerror(errno));
  }
  return 0;
}

int main(int argc, char **argv) {
  if (getuid() == 0) {
    const char *data = getenv("DATA_DIR");
    if (data == NULL || *data == '\0') data = "/data";
    struct stat st;
    if (mkdir(data, 0750) != 0 && errno != EEXIST) {
      fprintf(stderr, "peer-entry: mkdir %s: %s\n", data, strerror(errno));
    } else if (stat(data, &st) == 0) {
      if (st.st_uid != PEER_UID || st.st_gid != PEER_GID) {
        fprintf(stderr, "peer-entry: %s is owned by %u:%u; giving it to %d:%d\n", data, st.st_uid, st.st_gid, PEER_UID, PEER_GID);
      }
      nftw(data, own, 32, FTW_PHYS | FTW_MOUNT);
    }
    if (setgroups(0, NULL) != 0 || setgid(PEER_GID) != 0 || setuid(PEER_UID) != 0) {
      fprintf(stderr, "peer-entry: cannot drop to %d:%d: %s\n", PEER_UID, PEER_GID, strerror(errno));
      return 1;
    }
    if (setuid(0) == 0) {
      fprintf(stderr, "peer-entry: still able to regain root; refusing to run\n");
      return 1;
    }
  }
  char **args = calloc((size_t)argc + 2, sizeof *args);
  if (args == NULL) return 1;
  args[0] = "node";
  args[1] = PEER;
  for (int i = 1; i < argc; i++) args[i + 1] = argv[i];
  execv(NODE, args);
  fprintf(stderr, "peer-entry: exec %s: %s\n", NODE, strerror(errno));
  return 127;
}
