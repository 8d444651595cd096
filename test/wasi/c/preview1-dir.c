/*
 * fd_readdir and the preopens (fd_prestat_get, fd_prestat_dir_name), with what the issue's test
 * programs showed: fd_readdir lists . and .., resumes at every cookie, gives a partial entry to a
 * buffer that cuts one; fd_prestat_dir_name with a short buffer.
 *
 *   preview1-dir       with /box preopened, holding listing/ (a-file, b-dir/, c-link -> a-file,
 *                      d-longer-name-file) and empty/; and /second preopened after it
 */
#include <dirent.h>
#include "preview1-check.h"

#define MAX_ENTRIES 16
#define DIRENT_SIZE sizeof(__wasi_dirent_t) /* 24: d_next u64, d_ino u64, d_namlen u32, d_type u8 */

struct entry {
    __wasi_dirent_t head;
    char name[64];
};

static int box;
static uint8_t listing_bytes[4096];
static size_t listing_used;

/* Parses the entries in buffer[0, used); whole entries only. */
static int parse(const uint8_t *buffer, size_t used, struct entry *entries) {
    int n = 0;
    size_t at = 0;
    while (at + DIRENT_SIZE <= used && n < MAX_ENTRIES) {
        memcpy(&entries[n].head, buffer + at, DIRENT_SIZE);
        size_t len = entries[n].head.d_namlen;
        if (at + DIRENT_SIZE + len > used || len >= sizeof entries[n].name) break;
        memcpy(entries[n].name, buffer + at + DIRENT_SIZE, len);
        entries[n].name[len] = 0;
        at += DIRENT_SIZE + len;
        n++;
    }
    return n;
}

static const struct entry *find(const struct entry *entries, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (strcmp(entries[i].name, name) == 0) return &entries[i];
    return NULL;
}

static int has_exactly(const struct entry *entries, int n, const char *const *names, int count) {
    if (n != count) return 0;
    for (int i = 0; i < count; i++)
        if (!find(entries, n, names[i])) return 0;
    return 1;
}

static void readdir_checks(void) {
    int dir;
    uint64_t dir_rights = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_PATH_FILESTAT_GET |
                          __WASI_RIGHTS_PATH_CREATE_FILE;
    int err = open_at(box, "listing", FOLLOW, __WASI_OFLAGS_DIRECTORY, dir_rights, 0, &dir);
    check(err == 0, "open listing/", "errno %d", err);
    if (err) return;

    err = __wasi_fd_readdir(dir, listing_bytes, sizeof listing_bytes, 0, &listing_used);
    struct entry entries[MAX_ENTRIES];
    int n = parse(listing_bytes, listing_used, entries);
    static const char *const all[] = {".", "..", "a-file", "b-dir", "c-link", "d-longer-name-file"};
    check(err == 0 && has_exactly(entries, n, all, 6) && listing_used < sizeof listing_bytes,
          "fd_readdir lists . and .. and every entry once", "errno %d, %d entries, %zu bytes", err, n, listing_used);

    const struct entry *file = find(entries, n, "a-file"), *sub = find(entries, n, "b-dir"),
                       *link = find(entries, n, "c-link"), *dot = find(entries, n, ".");
    check(file && sub && link && dot && file->head.d_type == __WASI_FILETYPE_REGULAR_FILE &&
              sub->head.d_type == __WASI_FILETYPE_DIRECTORY && link->head.d_type == __WASI_FILETYPE_SYMBOLIC_LINK &&
              dot->head.d_type == __WASI_FILETYPE_DIRECTORY,
          "fd_readdir's d_type: file, directory, symlink, and . a directory", "types %d %d %d %d",
          file ? file->head.d_type : -1, sub ? sub->head.d_type : -1, link ? link->head.d_type : -1,
          dot ? dot->head.d_type : -1);

    __wasi_filestat_t file_stat = {0}, link_stat = {0};
    __wasi_path_filestat_get(dir, NOFOLLOW, "a-file", &file_stat);
    __wasi_path_filestat_get(dir, NOFOLLOW, "c-link", &link_stat);
    check(file && link && file->head.d_ino == file_stat.ino && link->head.d_ino == link_stat.ino &&
              file_stat.ino != 0,
          "fd_readdir's d_ino is the entry's own inode (a symlink's, not its target's)",
          "d_ino %llu/%llu, stat %llu/%llu", file ? (unsigned long long)file->head.d_ino : 0ull,
          link ? (unsigned long long)link->head.d_ino : 0ull, (unsigned long long)file_stat.ino,
          (unsigned long long)link_stat.ino);

    /* Resuming: the cookie of entry i-1 (d_next) gives entry i first, at every position. */
    int resumed_right = 1;
    for (int i = 0; i <= n; i++) {
        uint8_t buffer[512];
        size_t used = 0;
        __wasi_dircookie_t cookie = i == 0 ? 0 : entries[i - 1].head.d_next;
        err = __wasi_fd_readdir(dir, buffer, sizeof buffer, cookie, &used);
        struct entry again[MAX_ENTRIES];
        int m = parse(buffer, used, again);
        int right = err == 0 && (i == n ? used == 0 : m == n - i && strcmp(again[0].name, entries[i].name) == 0);
        if (!right) {
            printf("# resume at entry %d (cookie %llu): errno %d, %d entries, first \"%s\"\n", i,
                   (unsigned long long)cookie, err, m, m ? again[0].name : "");
            resumed_right = 0;
        }
    }
    check(resumed_right, "fd_readdir resumes at every cookie, and is empty past the end", "see the # lines");

    /* A buffer that ends inside an entry gets the bytes that fit: bufused == buf_len says "maybe more". */
    struct {
        size_t bytes;
        const char *name;
    } cuts[] = {
        {10, "fd_readdir into a buffer that ends in the first header gets its bytes"},
        {DIRENT_SIZE + 1, "fd_readdir into a buffer that ends in the first name gets its bytes"},
        {DIRENT_SIZE + entries[0].head.d_namlen + 5, "fd_readdir into a buffer that ends in the second header gets its bytes"},
    };
    for (int i = 0; i < 3; i++) {
        uint8_t buffer[128];
        size_t used = 0;
        err = __wasi_fd_readdir(dir, buffer, cuts[i].bytes, 0, &used);
        check(err == 0 && used == cuts[i].bytes && memcmp(buffer, listing_bytes, cuts[i].bytes) == 0, cuts[i].name,
              "errno %d, %zu of %zu bytes", err, used, cuts[i].bytes);
    }

    int made;
    err = open_at(dir, "e-new", FOLLOW, __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_READ, 0, &made);
    close_quietly(made);
    size_t used = 0;
    uint8_t again_bytes[4096];
    __wasi_fd_readdir(dir, again_bytes, sizeof again_bytes, 0, &used);
    struct entry again[MAX_ENTRIES];
    int m = parse(again_bytes, used, again);
    check(err == 0 && m == n + 1 && find(again, m, "e-new"), "fd_readdir from cookie 0 again sees a new file",
          "errno %d, %d entries", err, m);
    close_quietly(dir);

    int empty;
    open_at(box, "empty", FOLLOW, __WASI_OFLAGS_DIRECTORY, dir_rights, 0, &empty);
    err = __wasi_fd_readdir(empty, again_bytes, sizeof again_bytes, 0, &used);
    m = parse(again_bytes, used, again);
    static const char *const dots[] = {".", ".."};
    check(err == 0 && has_exactly(again, m, dots, 2), "fd_readdir of an empty directory: . and ..",
          "errno %d, %d entries", err, m);
    close_quietly(empty);

    int plain;
    open_at(box, "listing/a-file", FOLLOW, 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_READDIR, 0, &plain);
    /* A file: ENOTDIR as getdents says; a host that drops FD_READDIR from a file's rights says ENOTCAPABLE. */
    check_errno2("fd_readdir of a file: ENOTDIR", __wasi_fd_readdir(plain, again_bytes, 64, 0, &used),
                 __WASI_ERRNO_NOTDIR, __WASI_ERRNO_NOTCAPABLE);
    close_quietly(plain);

    /* wasi-libc's opendir/readdir over fd_readdir. */
    DIR *stream = opendir("/box/listing");
    int seen = 0, dots_seen = 0;
    struct dirent *dirent;
    while (stream && (dirent = readdir(stream)) != NULL) {
        seen++;
        if (strcmp(dirent->d_name, ".") == 0 || strcmp(dirent->d_name, "..") == 0) dots_seen++;
    }
    if (stream) closedir(stream);
    check(stream && seen == 7 && dots_seen == 2, "libc readdir sees the 5 entries, . and ..", "%d entries, %d dots",
          seen, dots_seen);
}

static void prestat_checks(void) {
    __wasi_prestat_t prestat = {0};
    int err = __wasi_fd_prestat_get(box, &prestat);
    check(err == 0 && prestat.tag == __WASI_PREOPENTYPE_DIR && prestat.u.dir.pr_name_len == 4,
          "fd_prestat_get of /box: a directory, name length 4", "errno %d tag %d len %zu", err, prestat.tag,
          prestat.u.dir.pr_name_len);
    char name[8];
    memset(name, '#', sizeof name);
    err = __wasi_fd_prestat_dir_name(box, (uint8_t *)name, 4);
    check(err == 0 && memcmp(name, "/box#", 5) == 0, "fd_prestat_dir_name into 4 bytes: /box, no NUL",
          "errno %d \"%.5s\"", err, name);
    memset(name, '#', sizeof name);
    err = __wasi_fd_prestat_dir_name(box, (uint8_t *)name, 3);
    /* The witx names no error for a short buffer; wasmtime says ENAMETOOLONG, uvwasi ENOBUFS (not a
     * path_len error at all). Either way nothing is written past path_len. */
    check((err == __WASI_ERRNO_NAMETOOLONG || err == __WASI_ERRNO_INVAL) && name[3] == '#',
          "fd_prestat_dir_name into 3 bytes: ENAMETOOLONG or EINVAL, nothing past them", "errno %d \"%.4s\"", err,
          name);
    check_errno("fd_prestat_dir_name at 2^31+: EFAULT", raw_fd_prestat_dir_name(box, FAR_POINTER, 4),
                __WASI_ERRNO_FAULT);
    check_errno("fd_prestat_get of stdout: EBADF", __wasi_fd_prestat_get(1, &prestat), __WASI_ERRNO_BADF);
    int sub;
    open_at(box, "empty", FOLLOW, __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, 0, &sub);
    check_errno("fd_prestat_get of a directory opened by path_open: EBADF", __wasi_fd_prestat_get(sub, &prestat),
                __WASI_ERRNO_BADF);
    check_errno("fd_prestat_dir_name of it: EBADF", __wasi_fd_prestat_dir_name(sub, (uint8_t *)name, 8),
                __WASI_ERRNO_BADF);
    close_quietly(sub);
    check_errno("fd_prestat_get of fd 1000: EBADF", __wasi_fd_prestat_get(1000, &prestat), __WASI_ERRNO_BADF);
    int second = preopen_fd("/second");
    check(second == box + 1, "the second preopen is the next fd", "/box is %d, /second %d", box, second);
}

int main(void) {
    start_checks();
    box = required_preopen("/box");
    readdir_checks();
    prestat_checks();
    return finish();
}
