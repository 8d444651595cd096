/*
 * The sandbox: every way out of a preopen is refused, and what stays inside works. A symlink that
 * leads out is ENOTCAPABLE; the guest's own path that leads out (absolute, or '..' above the base)
 * is EPERM, as the WASI testsuite's interesting_paths expects.
 *
 *   preview1-sandbox <work-dir-name>            the checks (the host made the tree below)
 *   preview1-sandbox race <iterations>          opens racer/marker and racer/sub/marker in a loop
 *                                               while the host swaps `racer` between a directory
 *                                               and symlinks out; any content but "inside\n" fails
 *
 * The host's tree, under a work dir W (preopened as /box: W/box):
 *   box/marker "inside\n", box/sub/inner "inner\n", W/outside/secret "SECRET\n"
 *   box/link -> /etc                    box/out-abs -> W/outside       box/rel-link -> ../outside
 *   box/etc-climb -> ../../../(...)/etc box/sub/deep-link -> ../../..  box/sub/up-link -> ../..
 *   box/file-out -> ../outside/secret   box/in-link -> sub/inner       box/sub/back-link -> ../marker
 *   box/chain1 -> chain2 -> sub/back-link                              box/loop1 <-> box/loop2
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "preview1-check.h"

static int box;

/* Opens `path` under `dir` following symlinks; the errno, and the content in `content` on success. */
static int read_at(int dir, const char *path, char *content, size_t size) {
    int fd;
    content[0] = 0;
    int err = open_at(dir, path, FOLLOW, 0, __WASI_RIGHTS_FD_READ, 0, &fd);
    if (err) return err;
    err = read_all(fd, content, size);
    close_quietly(fd);
    return err;
}

static void check_refused_with(const char *name, int dir, const char *path, int lookup, int oflags, int want) {
    int fd;
    int err = open_at(dir, path, lookup, oflags, __WASI_RIGHTS_FD_READ, 0, &fd);
    close_quietly(fd);
    check_errno(name, err, want);
}

/* A way out through a symlink: ENOTCAPABLE. */
static void check_refused(const char *name, int dir, const char *path, int lookup, int oflags) {
    check_refused_with(name, dir, path, lookup, oflags, __WASI_ERRNO_NOTCAPABLE);
}

/* A way out the guest spelled itself (absolute, '..' above the base): EPERM, as interesting_paths expects. */
static void check_not_permitted(const char *name, int dir, const char *path) {
    check_refused_with(name, dir, path, FOLLOW, 0, __WASI_ERRNO_PERM);
}

static void check_reads(const char *name, int dir, const char *path, const char *want) {
    char content[64];
    int err = read_at(dir, path, content, sizeof content);
    check(err == 0 && strcmp(content, want) == 0, name, "errno %d, content \"%s\", want \"%s\"", err, content, want);
}

static int race(long iterations) {
    long inside = 0, refused = 0, escaped = 0, other = 0;
    for (long i = 0; i < iterations; i++) {
        char content[64];
        int err = read_at(box, i % 2 ? "racer/marker" : "racer/sub/marker", content, sizeof content);
        if (err == 0 && strcmp(content, "inside\n") == 0) {
            inside++;
        } else if (err == 0) {
            if (escaped++ == 0) printf("# race: read \"%s\" at iteration %ld\n", content, i);
        } else if (err == __WASI_ERRNO_NOENT || err == __WASI_ERRNO_NOTCAPABLE || err == __WASI_ERRNO_LOOP ||
                   err == __WASI_ERRNO_NOTDIR) {
            refused++;
        } else if (other++ == 0) {
            printf("# race: errno %d at iteration %ld\n", err, i);
        }
    }
    printf("# race: %ld inside, %ld refused, %ld escaped, %ld other errors\n", inside, refused, escaped, other);
    check(escaped == 0, "race: never reads outside the box", "%ld reads outside", escaped);
    check(other == 0, "race: refusals are ENOENT, ENOTCAPABLE, ELOOP or ENOTDIR", "%ld other errors", other);
    return finish();
}

int main(int argc, char **argv) {
    start_checks();
    box = required_preopen("/box");
    if (argc == 3 && strcmp(argv[1], "race") == 0) return race(atol(argv[2]));
    if (argc != 2) {
        printf("FAIL usage: preview1-sandbox <work-dir-name> | race <iterations>\n");
        return 1;
    }

    /* Symlinks that lead out, as intermediate components and as the last one. */
    check_refused("open through link -> /etc", box, "link/passwd", FOLLOW, 0);
    check_refused("open link -> /etc itself as a directory", box, "link", FOLLOW, __WASI_OFLAGS_DIRECTORY);
    check_refused("open through an absolute link to a sibling", box, "out-abs/secret", FOLLOW, 0);
    check_refused("open through rel-link -> ../outside", box, "rel-link/secret", FOLLOW, 0);
    check_refused("open through a relative link climbing to /etc", box, "etc-climb/passwd", FOLLOW, 0);
    char deep[300];
    snprintf(deep, sizeof deep, "sub/deep-link/%s/outside/secret", argv[1]);
    check_refused("open through sub/deep-link -> ../../..", box, deep, FOLLOW, 0);
    check_refused("open through sub/up-link -> ../..", box, "sub/up-link/outside/secret", FOLLOW, 0);
    check_refused("open a link to a file outside, followed", box, "file-out", FOLLOW, 0);
    check_not_permitted("open ../outside/secret", box, "../outside/secret");
    check_not_permitted("open sub/../../outside/secret", box, "sub/../../outside/secret");
    check_not_permitted("open an absolute path", box, "/etc/passwd");
    check_refused("open through an escaping link without SYMLINK_FOLLOW", box, "rel-link/secret", NOFOLLOW, 0);

    /* Inside the box, symlinks and .. work. */
    check_reads("in-link -> sub/inner", box, "in-link", "inner\n");
    check_reads("sub/back-link -> ../marker", box, "sub/back-link", "inside\n");
    check_reads("chain1 -> chain2 -> sub/back-link", box, "chain1", "inside\n");
    check_reads("sub/../marker", box, "sub/../marker", "inside\n");
    check_reads("./sub/./inner and sub//inner", box, "./sub/.//inner", "inner\n");

    /* wasi-libc hands ENOTCAPABLE on as errno. */
    int libc_fd = open("/box/rel-link/secret", O_RDONLY);
    check(libc_fd < 0 && errno == ENOTCAPABLE, "libc open through rel-link: ENOTCAPABLE", "fd %d errno %d", libc_fd,
          errno);
    if (libc_fd >= 0) close(libc_fd);
    FILE *passwd = fopen("/box/link/passwd", "r");
    check(passwd == NULL && errno == ENOTCAPABLE, "libc fopen through link -> /etc: ENOTCAPABLE", "errno %d", errno);
    if (passwd) fclose(passwd);

    /* Every other path call refuses the way out too. */
    __wasi_filestat_t stat;
    check_errno("path_filestat_get through link -> /etc",
                __wasi_path_filestat_get(box, FOLLOW, "link/passwd", &stat), __WASI_ERRNO_NOTCAPABLE);
    check_errno("path_filestat_get following file-out", __wasi_path_filestat_get(box, FOLLOW, "file-out", &stat),
                __WASI_ERRNO_NOTCAPABLE);
    int err = __wasi_path_filestat_get(box, NOFOLLOW, "file-out", &stat);
    check(err == 0 && stat.filetype == __WASI_FILETYPE_SYMBOLIC_LINK, "path_filestat_get of file-out itself",
          "errno %d filetype %d", err, stat.filetype);
    check_errno("path_create_directory through rel-link",
                __wasi_path_create_directory(box, "rel-link/made-by-guest"), __WASI_ERRNO_NOTCAPABLE);
    int created;
    check_errno("path_open CREAT through rel-link",
                open_at(box, "rel-link/created-by-guest", FOLLOW, __WASI_OFLAGS_CREAT, inheriting_rights(box), 0, &created),
                __WASI_ERRNO_NOTCAPABLE);
    check_errno("path_unlink_file through rel-link", __wasi_path_unlink_file(box, "rel-link/secret"),
                __WASI_ERRNO_NOTCAPABLE);
    check_errno("path_remove_directory through sub/up-link", __wasi_path_remove_directory(box, "sub/up-link/outside"),
                __WASI_ERRNO_NOTCAPABLE);
    check_errno("path_rename into rel-link", __wasi_path_rename(box, "marker", box, "rel-link/stolen"),
                __WASI_ERRNO_NOTCAPABLE);
    check_errno("path_rename out of rel-link", __wasi_path_rename(box, "rel-link/secret", box, "stolen"),
                __WASI_ERRNO_NOTCAPABLE);
    check_errno("path_link out of rel-link", __wasi_path_link(box, NOFOLLOW, "rel-link/secret", box, "hard-secret"),
                __WASI_ERRNO_NOTCAPABLE);
    check_errno("path_link following file-out", __wasi_path_link(box, FOLLOW, "file-out", box, "hard-secret"),
                __WASI_ERRNO_NOTCAPABLE);
    check_errno("path_symlink into rel-link", __wasi_path_symlink("x", box, "rel-link/new-link"),
                __WASI_ERRNO_NOTCAPABLE);
    check_errno("path_filestat_set_times through rel-link",
                __wasi_path_filestat_set_times(box, FOLLOW, "rel-link/secret", 0, 0, __WASI_FSTFLAGS_MTIM),
                __WASI_ERRNO_NOTCAPABLE);
    char target[64] = {0};
    size_t used = 0;
    err = __wasi_path_readlink(box, "link", (uint8_t *)target, sizeof target, &used);
    check(err == 0 && used == 4 && memcmp(target, "/etc", 4) == 0, "path_readlink of link gives its text",
          "errno %d, %zu bytes \"%.*s\"", err, used, (int)used, target);

    /* A symlink the guest makes itself is refused when followed (or refused when made). */
    const char *made[][2] = {{"../outside", "mine-rel/secret"}, {"/etc", "mine-abs/passwd"}};
    for (int i = 0; i < 2; i++) {
        char link_name[16];
        snprintf(link_name, sizeof link_name, "%.8s", made[i][1]);
        int made_err = __wasi_path_symlink(made[i][0], box, link_name);
        int fd;
        int open_err = open_at(box, made[i][1], FOLLOW, 0, __WASI_RIGHTS_FD_READ, 0, &fd);
        close_quietly(fd);
        char name[96];
        snprintf(name, sizeof name, "a symlink the guest made to %s is not followed", made[i][0]);
        check((made_err == 0 && open_err == __WASI_ERRNO_NOTCAPABLE) ||
                  (made_err != 0 && open_err == __WASI_ERRNO_NOENT),
              name, "path_symlink errno %d, path_open errno %d", made_err, open_err);
    }

    check_reads("the marker is still there", box, "marker", "inside\n");
    int fd;
    check_errno("loop1 <-> loop2: ELOOP", open_at(box, "loop1", FOLLOW, 0, __WASI_RIGHTS_FD_READ, 0, &fd),
                __WASI_ERRNO_LOOP);

    /* A directory fd opened below the preopen is a sandbox of its own. Without FD_WRITE: a directory
     * opened for writing is EISDIR (the WASI testsuite's path_open_preopen). */
    int sub;
    err = open_at(box, "sub", FOLLOW, __WASI_OFLAGS_DIRECTORY, inheriting_rights(box) & ~__WASI_RIGHTS_FD_WRITE, 0,
                  &sub);
    check(err == 0, "open sub as a directory", "errno %d", err);
    if (sub >= 0) {
        check_reads("inner from the sub fd", sub, "inner", "inner\n");
        check_not_permitted(".. from the sub fd", sub, "../marker");
        check_refused("back-link -> ../marker from the sub fd", sub, "back-link", FOLLOW, 0);
        close_quietly(sub);
    }
    return finish();
}
