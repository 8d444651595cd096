/*
 * What the preview1 test guests share: one line per check on stdout ("ok <name>" or
 * "FAIL <name>: <detail>"), "# ..." lines for information the tests ignore, the exit status
 * (1 when any check failed), and raw preview1 imports for the calls a test must make with
 * arguments wasi-libc's wrappers cannot pass: signed or huge i32s, paths with a NUL inside
 * (the wrappers take C strings).
 */
#ifndef PREVIEW1_CHECK_H
#define PREVIEW1_CHECK_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

/* Set-up calls (a seek before a write, a stat after it) go unchecked: the check that follows
 * fails when one of them did. */
#pragma clang diagnostic ignored "-Wunused-result"

static int failed_checks;

__attribute__((unused)) static void check(int passed, const char *name, const char *detail_format, ...) {
    if (passed) {
        printf("ok %s\n", name);
        return;
    }
    failed_checks++;
    printf("FAIL %s: ", name);
    va_list args;
    va_start(args, detail_format);
    vprintf(detail_format, args);
    va_end(args);
    printf("\n");
}

/* An errno check: the call gave `want`. */
__attribute__((unused)) static void check_errno(const char *name, int got, int want) {
    check(got == want, name, "errno %d, want %d", got, want);
}

/* An errno check with two answers the witx or Linux allow; the comment at the call says why. */
__attribute__((unused)) static void check_errno2(const char *name, int got, int want, int or_want) {
    check(got == want || got == or_want, name, "errno %d, want %d or %d", got, want, or_want);
}

__attribute__((unused)) static int finish(void) {
    fflush(stdout);
    return failed_checks == 0 ? 0 : 1;
}

/* Line-buffered stdout, so each check is one fd_write and a trap loses no finished line. */
__attribute__((unused)) static void start_checks(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
}

#define RAW_IMPORT(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))

RAW_IMPORT(fd_write) int32_t raw_fd_write(int32_t fd, int32_t iovs, int32_t iovs_len, int32_t nwritten);
RAW_IMPORT(fd_read) int32_t raw_fd_read(int32_t fd, int32_t iovs, int32_t iovs_len, int32_t nread);
RAW_IMPORT(fd_close) int32_t raw_fd_close(int32_t fd);
RAW_IMPORT(fd_seek) int32_t raw_fd_seek(int32_t fd, int64_t offset, int32_t whence, int32_t newoffset);
RAW_IMPORT(fd_fdstat_get) int32_t raw_fd_fdstat_get(int32_t fd, int32_t stat);
RAW_IMPORT(fd_prestat_dir_name) int32_t raw_fd_prestat_dir_name(int32_t fd, int32_t path, int32_t path_len);
RAW_IMPORT(path_open) int32_t raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t path_len,
                                            int32_t oflags, int64_t rights_base, int64_t rights_inheriting,
                                            int32_t fdflags, int32_t opened_fd);
RAW_IMPORT(path_create_directory) int32_t raw_path_create_directory(int32_t fd, int32_t path, int32_t path_len);
RAW_IMPORT(path_filestat_get) int32_t raw_path_filestat_get(int32_t fd, int32_t flags, int32_t path,
                                                            int32_t path_len, int32_t stat);
RAW_IMPORT(clock_time_get) int32_t raw_clock_time_get(int32_t id, int64_t precision, int32_t time);
RAW_IMPORT(random_get) int32_t raw_random_get(int32_t buf, int32_t buf_len);
RAW_IMPORT(args_sizes_get) int32_t raw_args_sizes_get(int32_t argc, int32_t argv_buf_size);

/* A pointer far beyond any guest memory these programs have, and >= 2^31 (negative as an i32). */
#define FAR_POINTER ((int32_t)0x90000000u)
#define PTR(p) ((int32_t)(uintptr_t)(p))

/* The fd of the preopened directory named `name` (fds 3.. with fd_prestat_get), or -1. */
__attribute__((unused)) static int preopen_fd(const char *name) {
    for (__wasi_fd_t fd = 3; fd < 64; fd++) {
        __wasi_prestat_t prestat;
        if (__wasi_fd_prestat_get(fd, &prestat) != 0) continue;
        char found[256];
        size_t len = prestat.u.dir.pr_name_len;
        if (len >= sizeof found || __wasi_fd_prestat_dir_name(fd, (uint8_t *)found, len) != 0) continue;
        found[len] = 0;
        if (strcmp(found, name) == 0) return (int)fd;
    }
    return -1;
}

/* The preopen named `name`; without it the guest cannot check anything: a FAIL line and exit 1. */
__attribute__((unused)) static int required_preopen(const char *name) {
    int fd = preopen_fd(name);
    if (fd < 0) {
        printf("FAIL preopen %s: not found\n", name);
        exit(1);
    }
    return fd;
}

/* path_open of a C string, raw, returning the errno and the fd in *fd (-1 on error). */
__attribute__((unused)) static int open_at(int dir, const char *path, int lookup, int oflags, uint64_t rights, int fdflags, int *fd) {
    __wasi_fd_t opened = (__wasi_fd_t)-1;
    int32_t err = raw_path_open(dir, lookup, PTR(path), (int32_t)strlen(path), oflags, (int64_t)rights,
                                (int64_t)rights, fdflags, PTR(&opened));
    *fd = err == 0 ? (int)opened : -1;
    return err;
}

/* fd_close whose answer does not matter (clean-up after a check). */
__attribute__((unused)) static void close_quietly(int fd) {
    if (fd >= 0) (void)raw_fd_close(fd);
}

#define ALL_RIGHTS ((uint64_t)0x1fffffff)

/* The rights `dir` hands on (what wasi-libc's open() asks for), or 0 when fd_fdstat_get fails. */
__attribute__((unused)) static uint64_t inheriting_rights(int dir) {
    __wasi_fdstat_t stat;
    return __wasi_fd_fdstat_get(dir, &stat) == 0 ? stat.fs_rights_inheriting : 0;
}
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW
#define NOFOLLOW 0

/* Reads all of `fd` (at most size - 1 bytes) into `buffer`, NUL-terminated; returns the errno. */
__attribute__((unused)) static int read_all(int fd, char *buffer, size_t size) {
    size_t used = 0;
    for (;;) {
        __wasi_iovec_t iov = {(uint8_t *)buffer + used, size - 1 - used};
        size_t n = 0;
        int err = __wasi_fd_read(fd, &iov, 1, &n);
        if (err) return err;
        if (n == 0) break;
        used += n;
        if (used == size - 1) break;
    }
    buffer[used] = 0;
    return 0;
}

#endif
