/*
 * The path_* calls, and what the test programs showed about paths: path_open without
 * SYMLINK_FOLLOW on symlinks (ELOOP/ENOTDIR as Linux's O_NOFOLLOW), a NUL in a path, a short
 * path_readlink buffer.
 *
 *   preview1-path      with /box preopened, holding `file` ("hello"), `dir/nested/file`,
 *                      `dangling -> nowhere`, `dir-link -> dir`, `file-link -> file`,
 *                      `long-link -> a-rather-long-symlink-target`
 */
#include "preview1-check.h"

static int box;

static int open_path(const char *path, int lookup, int oflags, int *fd) {
    return open_at(box, path, lookup, oflags, inheriting_rights(box), 0, fd);
}

/* Read-only rights, as wasi-libc asks for O_RDONLY, so that opening a directory never depends on
 * the host dropping write rights that do not apply to it. */
#define READ_RIGHTS                                                                                   \
    (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_READDIR | \
     __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_FD_FILESTAT_GET)

static void check_open(const char *name, const char *path, int lookup, int oflags, int want) {
    int fd;
    int err = open_at(box, path, lookup, oflags, READ_RIGHTS, 0, &fd);
    close_quietly(fd);
    check_errno(name, err, want);
}

static __wasi_filestat_t stat_of(const char *path, int lookup, int *err) {
    __wasi_filestat_t stat = {0};
    *err = __wasi_path_filestat_get(box, lookup, path, &stat);
    return stat;
}

static void open_and_symlinks(void) {
    /* Linux's open(2): O_NOFOLLOW on a symlink is ELOOP; with O_DIRECTORY the ENOTDIR check comes first. */
    check_open("path_open without SYMLINK_FOLLOW on a dangling symlink: ELOOP", "dangling", NOFOLLOW, 0,
               __WASI_ERRNO_LOOP);
    check_open("path_open DIRECTORY without SYMLINK_FOLLOW on a dangling symlink: ENOTDIR", "dangling", NOFOLLOW,
               __WASI_OFLAGS_DIRECTORY, __WASI_ERRNO_NOTDIR);
    check_open("path_open without SYMLINK_FOLLOW on a symlink to a directory: ELOOP", "dir-link", NOFOLLOW, 0,
               __WASI_ERRNO_LOOP);
    check_open("path_open DIRECTORY without SYMLINK_FOLLOW on a symlink to a directory: ENOTDIR", "dir-link", NOFOLLOW,
               __WASI_OFLAGS_DIRECTORY, __WASI_ERRNO_NOTDIR);
    check_open("path_open without SYMLINK_FOLLOW on a symlink to a file: ELOOP", "file-link", NOFOLLOW, 0,
               __WASI_ERRNO_LOOP);
    check_open("path_open following a symlink to a directory", "dir-link", FOLLOW, __WASI_OFLAGS_DIRECTORY, 0);
    check_open("path_open following a dangling symlink: ENOENT", "dangling", FOLLOW, 0, __WASI_ERRNO_NOENT);
    check_open("path_open of a missing file: ENOENT", "missing", FOLLOW, 0, __WASI_ERRNO_NOENT);
    check_open("path_open of an empty path: ENOENT", "", FOLLOW, 0, __WASI_ERRNO_NOENT);
    check_open("path_open DIRECTORY on a file: ENOTDIR", "file", FOLLOW, __WASI_OFLAGS_DIRECTORY, __WASI_ERRNO_NOTDIR);
    check_open("path_open of file/ (trailing slash): ENOTDIR", "file/", FOLLOW, 0, __WASI_ERRNO_NOTDIR);
    check_open("path_open through a file: ENOTDIR", "file/x", FOLLOW, 0, __WASI_ERRNO_NOTDIR);
    check_open("path_open CREAT|EXCL of an existing file: EEXIST", "file", FOLLOW,
               __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, __WASI_ERRNO_EXIST);
    int created;
    int err = open_path("new-file", FOLLOW, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, &created);
    close_quietly(created);
    check_errno("path_open CREAT|EXCL of a new file", err, 0);
    check_open("path_open dir/nested/file", "dir/nested/file", FOLLOW, 0, 0);

    int fd;
    err = open_path("file", FOLLOW, __WASI_OFLAGS_TRUNC, &fd);
    int size_err;
    __wasi_filestat_t stat = stat_of("file", FOLLOW, &size_err);
    check(err == 0 && stat.size == 0, "path_open TRUNC empties the file", "errno %d size %llu", err,
          (unsigned long long)stat.size);
    close_quietly(fd);

    /* A file fd as the directory: ENOTDIR; a host that checks rights first (a file has no PATH_OPEN) says ENOTCAPABLE. */
    err = open_path("new-file", FOLLOW, 0, &fd);
    int inner;
    int open_err = open_at(fd, "x", FOLLOW, 0, __WASI_RIGHTS_FD_READ, 0, &inner);
    check_errno2("path_open with a file as the directory: ENOTDIR", open_err, __WASI_ERRNO_NOTDIR,
                 __WASI_ERRNO_NOTCAPABLE);
    close_quietly(fd);
}

/* The rights the WASI testsuite's path_open_preopen requires of a preopen (wasi-libc and others count on them). */
#define PREOPEN_BASE_RIGHTS                                                                                          \
    (__WASI_RIGHTS_PATH_CREATE_DIRECTORY | __WASI_RIGHTS_PATH_CREATE_FILE | __WASI_RIGHTS_PATH_LINK_SOURCE |        \
     __WASI_RIGHTS_PATH_LINK_TARGET | __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_FD_READDIR |                         \
     __WASI_RIGHTS_PATH_READLINK | __WASI_RIGHTS_PATH_RENAME_SOURCE | __WASI_RIGHTS_PATH_RENAME_TARGET |             \
     __WASI_RIGHTS_PATH_SYMLINK | __WASI_RIGHTS_PATH_REMOVE_DIRECTORY | __WASI_RIGHTS_PATH_UNLINK_FILE |             \
     __WASI_RIGHTS_PATH_FILESTAT_GET | __WASI_RIGHTS_PATH_FILESTAT_SET_TIMES | __WASI_RIGHTS_FD_FILESTAT_GET |      \
     __WASI_RIGHTS_FD_FILESTAT_SET_TIMES)
#define PREOPEN_INHERITING_RIGHTS                                                                                    \
    (PREOPEN_BASE_RIGHTS | __WASI_RIGHTS_FD_DATASYNC | __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK |               \
     __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS | __WASI_RIGHTS_FD_SYNC | __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_WRITE |   \
     __WASI_RIGHTS_FD_ADVISE | __WASI_RIGHTS_FD_ALLOCATE | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE |                     \
     __WASI_RIGHTS_POLL_FD_READWRITE)

/* Opens `path` under `dir` with the rights given (base and inheriting), closes it, and checks the errno. */
static void check_open_rights(const char *name, int dir, const char *path, int oflags, uint64_t base,
                              uint64_t inheriting, int want) {
    __wasi_fd_t fd = (__wasi_fd_t)-1;
    int err = raw_path_open(dir, 0, PTR(path), (int32_t)strlen(path), oflags, (int64_t)base, (int64_t)inheriting, 0,
                            PTR(&fd));
    if (err == 0) close_quietly((int)fd);
    check_errno(name, err, want);
}

/* Where the official WASI testsuite is explicit, we answer as it does (the test each check follows is named). */
static void official_answers(void) {
    /* interesting_paths: an absolute path, and '..' above the base in the guest's path, are EPERM. */
    check_open("path_open of an absolute path: EPERM", "/dir/nested/file", FOLLOW, 0, __WASI_ERRNO_PERM);
    check_open("path_open with '..' above the base: EPERM", "dir/nested/../../../box/dir/nested/file", FOLLOW, 0,
               __WASI_ERRNO_PERM);
    check_open("path_open with '..' and '.' inside the base", "dir/.//nested/../../dir/nested/../nested///./file",
               FOLLOW, 0, 0);
    check_open("path_open of dir/nested/ (trailing slash)", "dir/nested/", FOLLOW, 0, 0);

    /* path_open_preopen: the preopen's rights, and a directory opened for writing is EISDIR (Linux's open). */
    __wasi_fdstat_t stat = {0};
    __wasi_fd_fdstat_get(box, &stat);
    check((stat.fs_rights_base & PREOPEN_BASE_RIGHTS) == PREOPEN_BASE_RIGHTS &&
              (stat.fs_rights_inheriting & PREOPEN_INHERITING_RIGHTS) == PREOPEN_INHERITING_RIGHTS,
          "the preopen has the rights path_open_preopen lists", "base 0x%llx inheriting 0x%llx",
          (unsigned long long)stat.fs_rights_base, (unsigned long long)stat.fs_rights_inheriting);
    check_open_rights("path_open of \".\" with the preopen's own rights", box, ".", 0, stat.fs_rights_base,
                      stat.fs_rights_inheriting, 0);
    check_open_rights("path_open of \".\" with no rights", box, ".", 0, 0, 0, 0);
    check_open_rights("path_open DIRECTORY of \".\" with no rights", box, ".", __WASI_OFLAGS_DIRECTORY, 0, 0, 0);
    check_open_rights("path_open DIRECTORY of \".\" with FD_READ", box, ".", __WASI_OFLAGS_DIRECTORY,
                      __WASI_RIGHTS_FD_READ, 0, 0);
    check_open_rights("path_open DIRECTORY of \".\" with FD_READ|FD_WRITE: EISDIR", box, ".", __WASI_OFLAGS_DIRECTORY,
                      __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0, __WASI_ERRNO_ISDIR);
    check_open_rights("path_open of a directory with FD_READ|FD_WRITE: EISDIR", box, "dir", 0,
                      __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0, __WASI_ERRNO_ISDIR);

    /* truncation_rights: TRUNC without PATH_FILESTAT_SET_SIZE on the directory is EPERM; without the inheriting
     * FD_FILESTAT_SET_SIZE it still truncates. Done on an fd of dir/nested, so the preopen keeps its rights. */
    int nested = -1;
    int err = open_at(box, "dir/nested", FOLLOW, __WASI_OFLAGS_DIRECTORY, PREOPEN_BASE_RIGHTS | __WASI_RIGHTS_PATH_FILESTAT_SET_SIZE,
                      0, &nested);
    int truncated = -1;
    if (err == 0) {
        __wasi_fd_fdstat_set_rights(nested, PREOPEN_BASE_RIGHTS | __WASI_RIGHTS_PATH_FILESTAT_SET_SIZE, 0);
        err = open_at(nested, "file", FOLLOW, __WASI_OFLAGS_TRUNC, 0, 0, &truncated);
        close_quietly(truncated);
    }
    check_errno("path_open TRUNC without the inheriting FD_FILESTAT_SET_SIZE", err, 0);
    if (nested >= 0) __wasi_fd_fdstat_set_rights(nested, PREOPEN_BASE_RIGHTS, 0);
    err = open_at(nested, "file", FOLLOW, __WASI_OFLAGS_TRUNC, 0, 0, &truncated);
    close_quietly(truncated);
    check_errno("path_open TRUNC without PATH_FILESTAT_SET_SIZE: EPERM", err, __WASI_ERRNO_PERM);
    close_quietly(nested);
}

static void nul_in_paths(void) {
    /* A path is a string of path_len bytes: a NUL inside is not the end, it is refused. */
    static const char with_nul_at_end[] = "dir/nested/file";   /* sizeof includes the NUL */
    static const char with_nul_inside[] = "dir\0nested/file";
    __wasi_fd_t fd = (__wasi_fd_t)-1;
    int err = raw_path_open(box, FOLLOW, PTR(with_nul_at_end), sizeof with_nul_at_end, 0,
                            (int64_t)__WASI_RIGHTS_FD_READ, 0, 0, PTR(&fd));
    check((err == __WASI_ERRNO_ILSEQ || err == __WASI_ERRNO_INVAL) && fd == (__wasi_fd_t)-1,
          "path_open of \"dir/nested/file\\0\": EILSEQ or EINVAL, not opened", "errno %d fd %d", err, (int)fd);
    close_quietly((int)fd);
    fd = (__wasi_fd_t)-1;
    err = raw_path_open(box, FOLLOW, PTR(with_nul_inside), sizeof with_nul_inside - 1, 0,
                        (int64_t)__WASI_RIGHTS_FD_READ, 0, 0, PTR(&fd));
    check((err == __WASI_ERRNO_ILSEQ || err == __WASI_ERRNO_INVAL) && fd == (__wasi_fd_t)-1,
          "path_open of \"dir\\0nested/file\": EILSEQ or EINVAL, not opened", "errno %d fd %d", err, (int)fd);
    close_quietly((int)fd);
    static const char new_dir[] = "made\0dir";
    err = raw_path_create_directory(box, PTR(new_dir), sizeof new_dir - 1);
    int made_err;
    stat_of("made", NOFOLLOW, &made_err);
    check((err == __WASI_ERRNO_ILSEQ || err == __WASI_ERRNO_INVAL) && made_err == __WASI_ERRNO_NOENT,
          "path_create_directory of \"made\\0dir\": refused, nothing made", "errno %d, stat of made: %d", err,
          made_err);
    __wasi_filestat_t stat;
    err = raw_path_filestat_get(box, FOLLOW, PTR(with_nul_at_end), sizeof with_nul_at_end, PTR(&stat));
    check_errno2("path_filestat_get of a path ending in NUL: EILSEQ or EINVAL", err, __WASI_ERRNO_ILSEQ,
                 __WASI_ERRNO_INVAL);
    static const char bad_utf8[] = "caf\xc3";
    err = raw_path_filestat_get(box, FOLLOW, PTR(bad_utf8), sizeof bad_utf8 - 1, PTR(&stat));
    check_errno("path_filestat_get of invalid UTF-8: EILSEQ", err, __WASI_ERRNO_ILSEQ);
}

static void readlink_and_symlink(void) {
    char buffer[64];
    memset(buffer, '#', sizeof buffer);
    size_t used = 0;
    int err = __wasi_path_readlink(box, "long-link", (uint8_t *)buffer, sizeof buffer, &used);
    check(err == 0 && used == 28 && memcmp(buffer, "a-rather-long-symlink-target", 28) == 0,
          "path_readlink gives the whole target, no NUL", "errno %d, %zu bytes", err, used);
    memset(buffer, '#', sizeof buffer);
    used = 0;
    err = __wasi_path_readlink(box, "long-link", (uint8_t *)buffer, 8, &used);
    check(err == 0 && used == 8 && memcmp(buffer, "a-rather", 8) == 0 && buffer[8] == '#',
          "path_readlink with a short buffer truncates and reports the bytes written", "errno %d, %zu bytes \"%.8s\"",
          err, used, buffer);
    check_errno("path_readlink of a file: EINVAL", __wasi_path_readlink(box, "file", (uint8_t *)buffer, 64, &used),
                __WASI_ERRNO_INVAL);
    err = __wasi_path_symlink("file", box, "made-link");
    used = 0;
    int read_err = __wasi_path_readlink(box, "made-link", (uint8_t *)buffer, sizeof buffer, &used);
    check(err == 0 && read_err == 0 && used == 4 && memcmp(buffer, "file", 4) == 0, "path_symlink then path_readlink",
          "errno %d, readlink %d, %zu bytes", err, read_err, used);
    check_errno("path_symlink over an existing name: EEXIST", __wasi_path_symlink("x", box, "file"),
                __WASI_ERRNO_EXIST);

    int follow_err, nofollow_err;
    __wasi_filestat_t followed = stat_of("file-link", FOLLOW, &follow_err);
    __wasi_filestat_t link = stat_of("file-link", NOFOLLOW, &nofollow_err);
    check(follow_err == 0 && followed.filetype == __WASI_FILETYPE_REGULAR_FILE && nofollow_err == 0 &&
              link.filetype == __WASI_FILETYPE_SYMBOLIC_LINK && link.ino != followed.ino,
          "path_filestat_get follows a symlink only with SYMLINK_FOLLOW", "errno %d/%d filetypes %d/%d", follow_err,
          nofollow_err, followed.filetype, link.filetype);
    const uint64_t mtim = 1500000000000000000ull;
    __wasi_filestat_t before = stat_of("file", NOFOLLOW, &err);
    err = __wasi_path_filestat_set_times(box, NOFOLLOW, "file-link", 0, mtim, __WASI_FSTFLAGS_MTIM);
    link = stat_of("file-link", NOFOLLOW, &nofollow_err);
    __wasi_filestat_t after = stat_of("file", NOFOLLOW, &follow_err);
    check(err == 0 && link.mtim == mtim && after.mtim == before.mtim,
          "path_filestat_set_times without SYMLINK_FOLLOW sets the link's times", "errno %d link mtim %llu", err,
          (unsigned long long)link.mtim);
}

static void directories_and_names(void) {
    check_errno("path_create_directory", __wasi_path_create_directory(box, "made-dir"), 0);
    check_errno("path_create_directory of an existing name: EEXIST", __wasi_path_create_directory(box, "made-dir"),
                __WASI_ERRNO_EXIST);
    check_errno("path_remove_directory of a non-empty directory: ENOTEMPTY", __wasi_path_remove_directory(box, "dir"),
                __WASI_ERRNO_NOTEMPTY);
    check_errno("path_remove_directory of a file: ENOTDIR", __wasi_path_remove_directory(box, "file"),
                __WASI_ERRNO_NOTDIR);
    check_errno("path_remove_directory", __wasi_path_remove_directory(box, "made-dir"), 0);
    /* Linux's unlink(2) says EISDIR for a directory; POSIX says EPERM. */
    check_errno2("path_unlink_file of a directory: EISDIR", __wasi_path_unlink_file(box, "dir"), __WASI_ERRNO_ISDIR,
                 __WASI_ERRNO_PERM);
    check_errno("path_unlink_file of a missing file: ENOENT", __wasi_path_unlink_file(box, "missing"),
                __WASI_ERRNO_NOENT);
    check_errno("path_unlink_file of a file/ (trailing slash): ENOTDIR", __wasi_path_unlink_file(box, "new-file/"),
                __WASI_ERRNO_NOTDIR);
    check_errno("path_unlink_file of a symlink removes the link", __wasi_path_unlink_file(box, "made-link"), 0);

    int err = __wasi_path_link(box, NOFOLLOW, "new-file", box, "hard-link");
    int stat_err;
    __wasi_filestat_t stat = stat_of("new-file", NOFOLLOW, &stat_err);
    __wasi_filestat_t linked = stat_of("hard-link", NOFOLLOW, &stat_err);
    check(err == 0 && stat.nlink == 2 && linked.ino == stat.ino, "path_link makes a second name", "errno %d nlink %llu",
          err, (unsigned long long)stat.nlink);
    check_errno("path_link onto an existing name: EEXIST", __wasi_path_link(box, NOFOLLOW, "file", box, "hard-link"),
                __WASI_ERRNO_EXIST);

    err = __wasi_path_rename(box, "hard-link", box, "dir/renamed");
    int old_err, new_err;
    stat_of("hard-link", NOFOLLOW, &old_err);
    stat_of("dir/renamed", NOFOLLOW, &new_err);
    check(err == 0 && old_err == __WASI_ERRNO_NOENT && new_err == 0, "path_rename into a subdirectory",
          "errno %d, old %d, new %d", err, old_err, new_err);
    check_errno("path_rename over an existing file", __wasi_path_rename(box, "dir/renamed", box, "file"), 0);
    __wasi_path_create_directory(box, "empty");
    check_errno("path_rename a directory over an empty one", __wasi_path_rename(box, "dir", box, "empty"), 0);
    __wasi_path_create_directory(box, "dir");
    check_errno("path_rename a directory over a non-empty one: ENOTEMPTY", __wasi_path_rename(box, "dir", box, "empty"),
                __WASI_ERRNO_NOTEMPTY);
    check_errno("path_rename a file over a directory: EISDIR", __wasi_path_rename(box, "file", box, "dir"),
                __WASI_ERRNO_ISDIR);
    check_errno("path_rename a missing name: ENOENT", __wasi_path_rename(box, "missing", box, "x"),
                __WASI_ERRNO_NOENT);
}

/* The WASI testsuite's path_symlink_trailing_slashes, unlink_file_trailing_slashes, path_link, path_rename and
 * dir_fd_op_failures, on what directories_and_names left: `file`, an empty `dir`, `dangling -> nowhere`. */
static void names_as_the_testsuite_says(void) {
    check_errno("path_symlink to new/: ENOENT", __wasi_path_symlink("source", box, "new-target/"), __WASI_ERRNO_NOENT);
    check_errno("path_symlink to dir/ (a directory): EEXIST", __wasi_path_symlink("source", box, "dir/"),
                __WASI_ERRNO_EXIST);
    check_errno("path_symlink to file/ (a file): ENOTDIR", __wasi_path_symlink("source", box, "file/"),
                __WASI_ERRNO_NOTDIR);
    check_errno("path_unlink_file of dir/: EISDIR", __wasi_path_unlink_file(box, "dir/"), __WASI_ERRNO_ISDIR);
    check_errno("path_link of a directory: EPERM", __wasi_path_link(box, NOFOLLOW, "dir", box, "dir-hard-link"),
                __WASI_ERRNO_PERM);
    check_errno("path_link onto itself: EEXIST", __wasi_path_link(box, NOFOLLOW, "file", box, "file"),
                __WASI_ERRNO_EXIST);
    check_errno("path_link onto a dangling symlink: EEXIST", __wasi_path_link(box, NOFOLLOW, "file", box, "dangling"),
                __WASI_ERRNO_EXIST);
    check_errno("path_link following a dangling symlink: ENOENT",
                __wasi_path_link(box, FOLLOW, "dangling", box, "hard-to-nowhere"), __WASI_ERRNO_NOENT);
    check_errno("path_rename a directory onto a file: ENOTDIR", __wasi_path_rename(box, "dir", box, "file"),
                __WASI_ERRNO_NOTDIR);

    /* File calls on a directory fd: EBADF (the testsuite allows ISDIR, BADF or NOTCAPABLE). */
    char byte;
    __wasi_iovec_t in = {(uint8_t *)&byte, 1};
    __wasi_ciovec_t out = {(const uint8_t *)"x", 1};
    size_t n;
    __wasi_filesize_t position;
    check_errno("fd_read of a directory: EBADF", __wasi_fd_read(box, &in, 1, &n), __WASI_ERRNO_BADF);
    check_errno("fd_pread of a directory: EBADF", __wasi_fd_pread(box, &in, 1, 0, &n), __WASI_ERRNO_BADF);
    check_errno("fd_write of a directory: EBADF", __wasi_fd_write(box, &out, 1, &n), __WASI_ERRNO_BADF);
    check_errno("fd_pwrite of a directory: EBADF", __wasi_fd_pwrite(box, &out, 1, 0, &n), __WASI_ERRNO_BADF);
    check_errno("fd_seek of a directory: EBADF", __wasi_fd_seek(box, 0, __WASI_WHENCE_CUR, &position),
                __WASI_ERRNO_BADF);
    check_errno("fd_tell of a directory: EBADF", __wasi_fd_tell(box, &position), __WASI_ERRNO_BADF);
    check_errno("fd_allocate of a directory: EBADF", __wasi_fd_allocate(box, 0, 1), __WASI_ERRNO_BADF);
    check_errno("fd_filestat_set_size of a directory: EBADF", __wasi_fd_filestat_set_size(box, 0), __WASI_ERRNO_BADF);
}

int main(void) {
    start_checks();
    box = required_preopen("/box");
    open_and_symlinks();
    official_answers();
    nul_in_paths();
    readlink_and_symlink();
    directories_and_names();
    names_as_the_testsuite_says();
    return finish();
}
