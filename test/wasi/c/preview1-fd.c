/*
 * The fd_* calls on files, and what the test programs showed: signed and huge i32
 * arguments, fd_fdstat_get's flags, filetype and rights, rights truncation, timestamps.
 *
 *   preview1-fd        with /box preopened, holding `data` ("0123456789") and `sub/`; a
 *                      timestamp set comes back exactly, or within the environment's
 *                      WASMUX_TIME_PRECISION_NS nanoseconds
 */
#include "preview1-check.h"

#define RIGHTS_FILE_MOST                                                                            \
    (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL | \
     __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS)

static int box;
static uint64_t precision_ns = 1;

static int open_file(const char *path, int oflags, uint64_t rights, int fdflags) {
    int fd;
    int err = open_at(box, path, FOLLOW, oflags, rights, fdflags, &fd);
    if (err) printf("# open %s: errno %d\n", path, err);
    return fd;
}

static int write_str(int fd, const char *text, size_t *written) {
    __wasi_ciovec_t iov = {(const uint8_t *)text, strlen(text)};
    return __wasi_fd_write(fd, &iov, 1, written);
}

/* The whole file at `path`, read through a new fd. */
static const char *content_of(const char *path) {
    static char content[128];
    int fd = open_file(path, 0, __WASI_RIGHTS_FD_READ, 0);
    content[0] = 0;
    if (fd >= 0) read_all(fd, content, sizeof content);
    close_quietly(fd);
    return content;
}

static uint64_t file_size(int fd) {
    __wasi_filestat_t stat = {0};
    __wasi_fd_filestat_get(fd, &stat);
    return stat.size;
}

static void signed_and_huge_arguments(void) {
    static const char text[] = "x";
    __wasi_ciovec_t iov = {(const uint8_t *)text, 0};
    size_t n;
    /* Every i32 of the witx is unsigned: -31337 is fd 4294935959, which is not open. */
    check_errno("fd_write to fd -31337: EBADF", raw_fd_write(-31337, PTR(&iov), 1, PTR(&n)), __WASI_ERRNO_BADF);
    check_errno("fd_read from fd -1: EBADF", raw_fd_read(-1, PTR(&iov), 1, PTR(&n)), __WASI_ERRNO_BADF);
    check_errno("fd_close of fd -31337: EBADF", raw_fd_close(-31337), __WASI_ERRNO_BADF);
    check_errno("fd_seek on fd 2^31: EBADF", raw_fd_seek((int32_t)0x80000000u, 0, 0, PTR(&n)), __WASI_ERRNO_BADF);
    check_errno("fd_fdstat_get on fd -2: EBADF", raw_fd_fdstat_get(-2, PTR(&n)), __WASI_ERRNO_BADF);
    /* Pointers and lengths >= 2^31 are beyond memory: EFAULT, never EINVAL. */
    check_errno("fd_write with iovs at 2^31+: EFAULT", raw_fd_write(1, FAR_POINTER, 1, PTR(&n)), __WASI_ERRNO_FAULT);
    __wasi_ciovec_t far_buffer = {(const uint8_t *)(uintptr_t)0x90000000u, 1};
    check_errno("fd_write from a buffer at 2^31+: EFAULT", raw_fd_write(1, PTR(&far_buffer), 1, PTR(&n)),
                __WASI_ERRNO_FAULT);
    __wasi_ciovec_t long_buffer = {(const uint8_t *)text, 0x80000000u};
    check_errno("fd_write of a length >= 2^31: EFAULT", raw_fd_write(1, PTR(&long_buffer), 1, PTR(&n)),
                __WASI_ERRNO_FAULT);
    check_errno("fd_write of 2^31 iovecs: EFAULT", raw_fd_write(1, PTR(&iov), (int32_t)0x80000000u, PTR(&n)),
                __WASI_ERRNO_FAULT);
    check_errno("fd_write storing nwritten at 2^31+: EFAULT", raw_fd_write(1, PTR(&iov), 1, FAR_POINTER),
                __WASI_ERRNO_FAULT);
    int data = open_file("data", 0, __WASI_RIGHTS_FD_READ, 0);
    __wasi_iovec_t far_read = {(uint8_t *)(uintptr_t)0x90000000u, 4};
    check_errno("fd_read into a buffer at 2^31+: EFAULT", raw_fd_read(data, PTR(&far_read), 1, PTR(&n)),
                __WASI_ERRNO_FAULT);
    check_errno("fd_fdstat_get into 2^31+: EFAULT", raw_fd_fdstat_get(data, FAR_POINTER), __WASI_ERRNO_FAULT);
    close_quietly(data);
}

static void reads_writes_and_seeks(void) {
    int fd = open_file("data", 0,
                       RIGHTS_FILE_MOST | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE | __WASI_RIGHTS_FD_ALLOCATE |
                           __WASI_RIGHTS_FD_SYNC | __WASI_RIGHTS_FD_DATASYNC | __WASI_RIGHTS_FD_ADVISE,
                       0);
    __wasi_filestat_t stat = {0};
    int err = __wasi_fd_filestat_get(fd, &stat);
    check(err == 0 && stat.size == 10 && stat.filetype == __WASI_FILETYPE_REGULAR_FILE && stat.nlink == 1,
          "fd_filestat_get of a file", "errno %d size %llu filetype %d nlink %llu", err,
          (unsigned long long)stat.size, stat.filetype, (unsigned long long)stat.nlink);

    char buffer[16] = {0};
    __wasi_iovec_t iovs[2] = {{(uint8_t *)buffer, 1}, {(uint8_t *)buffer + 1, 3}};
    size_t n = 0;
    err = __wasi_fd_read(fd, iovs, 2, &n);
    __wasi_filesize_t position = 99;
    __wasi_fd_tell(fd, &position);
    check(err == 0 && n == 4 && memcmp(buffer, "0123", 4) == 0 && position == 4, "fd_read of two iovecs, then fd_tell",
          "errno %d, %zu bytes \"%.4s\", position %llu", err, n, buffer, (unsigned long long)position);

    __wasi_iovec_t one = {(uint8_t *)buffer, 3};
    err = __wasi_fd_pread(fd, &one, 1, 6, &n);
    __wasi_fd_tell(fd, &position);
    check(err == 0 && n == 3 && memcmp(buffer, "678", 3) == 0 && position == 4, "fd_pread leaves the position",
          "errno %d, %zu bytes \"%.3s\", position %llu", err, n, buffer, (unsigned long long)position);

    err = __wasi_fd_seek(fd, 2, __WASI_WHENCE_CUR, &position);
    check(err == 0 && position == 6, "fd_seek CUR +2", "errno %d position %llu", err, (unsigned long long)position);
    err = __wasi_fd_seek(fd, -1, __WASI_WHENCE_END, &position);
    check(err == 0 && position == 9, "fd_seek END -1 (the offset is signed)", "errno %d position %llu", err,
          (unsigned long long)position);
    check_errno("fd_seek before the start: EINVAL", __wasi_fd_seek(fd, -1, __WASI_WHENCE_SET, &position),
                __WASI_ERRNO_INVAL);
    check_errno("fd_seek with whence 3: EINVAL", __wasi_fd_seek(fd, 0, 3, &position), __WASI_ERRNO_INVAL);

    __wasi_ciovec_t ab = {(const uint8_t *)"AB", 2};
    __wasi_fd_seek(fd, 1, __WASI_WHENCE_SET, &position);
    err = __wasi_fd_pwrite(fd, &ab, 1, 8, &n);
    __wasi_fd_tell(fd, &position);
    check(err == 0 && n == 2 && position == 1 && strcmp(content_of("data"), "01234567AB") == 0,
          "fd_pwrite leaves the position", "errno %d n %zu position %llu content %s", err, n,
          (unsigned long long)position, content_of("data"));

    err = write_str(fd, "xy", &n);
    __wasi_fd_tell(fd, &position);
    check(err == 0 && position == 3 && strcmp(content_of("data"), "0xy34567AB") == 0, "fd_write at the position",
          "errno %d position %llu content %s", err, (unsigned long long)position, content_of("data"));

    __wasi_fd_seek(fd, 20, __WASI_WHENCE_SET, &position);
    err = write_str(fd, "Z", &n);
    check(err == 0 && file_size(fd) == 21, "fd_write past the end leaves a hole", "errno %d size %llu", err,
          (unsigned long long)file_size(fd));
    err = __wasi_fd_filestat_set_size(fd, 5);
    check(err == 0 && file_size(fd) == 5, "fd_filestat_set_size shrinks", "errno %d size %llu", err,
          (unsigned long long)file_size(fd));
    err = __wasi_fd_filestat_set_size(fd, 100);
    check(err == 0 && file_size(fd) == 100, "fd_filestat_set_size grows", "errno %d size %llu", err,
          (unsigned long long)file_size(fd));
    /* fd_allocate: wasmtime answers ENOTSUP (no portable fallocate); a host that does it grows the file. */
    err = __wasi_fd_allocate(fd, 0, 200);
    check((err == 0 && file_size(fd) == 200) || err == __WASI_ERRNO_NOTSUP, "fd_allocate grows the file or is ENOTSUP",
          "errno %d size %llu", err, (unsigned long long)file_size(fd));
    check_errno("fd_sync", __wasi_fd_sync(fd), 0);
    check_errno("fd_datasync", __wasi_fd_datasync(fd), 0);
    check_errno("fd_advise NORMAL", __wasi_fd_advise(fd, 0, 10, __WASI_ADVICE_NORMAL), 0);
    check_errno("fd_advise with advice 99: EINVAL", __wasi_fd_advise(fd, 0, 10, 99), __WASI_ERRNO_INVAL);
    close_quietly(fd);
}

static void fdstat_flags_and_filetypes(void) {
    __wasi_fdstat_t stat;
    int err = __wasi_fd_fdstat_get(box, &stat);
    check(err == 0 && stat.fs_filetype == __WASI_FILETYPE_DIRECTORY && stat.fs_flags == 0,
          "fd_fdstat_get of a directory: DIRECTORY, no flags (never host bits)", "errno %d filetype %d flags 0x%x", err,
          stat.fs_filetype, stat.fs_flags);
    int fd = open_file("data", 0, RIGHTS_FILE_MOST, 0);
    err = __wasi_fd_fdstat_get(fd, &stat);
    check(err == 0 && stat.fs_filetype == __WASI_FILETYPE_REGULAR_FILE && stat.fs_flags == 0,
          "fd_fdstat_get of a file: REGULAR_FILE, no flags", "errno %d filetype %d flags 0x%x", err, stat.fs_filetype,
          stat.fs_flags);

    err = __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND);
    __wasi_fd_fdstat_get(fd, &stat);
    check(err == 0 && stat.fs_flags == __WASI_FDFLAGS_APPEND, "fd_fdstat_set_flags APPEND shows in fd_fdstat_get",
          "errno %d flags 0x%x", err, stat.fs_flags);
    __wasi_filesize_t position;
    size_t n;
    uint64_t size_before = file_size(fd);
    __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &position);
    err = write_str(fd, "+", &n);
    __wasi_fd_tell(fd, &position);
    check(err == 0 && file_size(fd) == size_before + 1 && position == size_before + 1,
          "a write after set_flags APPEND appends", "errno %d size %llu (before %llu) position %llu", err,
          (unsigned long long)file_size(fd), (unsigned long long)size_before, (unsigned long long)position);
    err = __wasi_fd_fdstat_set_flags(fd, 0);
    __wasi_fd_fdstat_get(fd, &stat);
    check(err == 0 && stat.fs_flags == 0, "fd_fdstat_set_flags 0 clears APPEND", "errno %d flags 0x%x", err,
          stat.fs_flags);
    close_quietly(fd);

    fd = open_file("log", __WASI_OFLAGS_CREAT, RIGHTS_FILE_MOST, __WASI_FDFLAGS_APPEND);
    err = __wasi_fd_fdstat_get(fd, &stat);
    check(err == 0 && stat.fs_filetype == __WASI_FILETYPE_REGULAR_FILE && stat.fs_flags == __WASI_FDFLAGS_APPEND,
          "fd_fdstat_get of an APPEND file: APPEND only", "errno %d filetype %d flags 0x%x", err, stat.fs_filetype,
          stat.fs_flags);
    write_str(fd, "a", &n);
    __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &position);
    write_str(fd, "b", &n);
    __wasi_fd_tell(fd, &position);
    check(strcmp(content_of("log"), "ab") == 0 && position == 2, "APPEND writes at the end whatever the position",
          "content \"%s\" position %llu", content_of("log"), (unsigned long long)position);
    close_quietly(fd);
}

static void rights(void) {
    uint64_t asked = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_PATH_OPEN |
                     __WASI_RIGHTS_FD_READDIR;
    int fd = open_file("data", 0, asked, 0);
    __wasi_fdstat_t stat = {0};
    __wasi_fd_fdstat_get(fd, &stat);
    uint64_t kept = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL;
    /* The witx lets path_open drop only the rights that do not apply to a file: PATH_OPEN, FD_READDIR. */
    check(stat.fs_rights_base == kept, "path_open keeps the asked rights that apply to a file",
          "base 0x%llx, want 0x%llx", (unsigned long long)stat.fs_rights_base, (unsigned long long)kept);
    size_t n;
    __wasi_ciovec_t iov = {(const uint8_t *)"w", 1};
    /* EBADF, as write(2) on a read-only fd: the WASI testsuite's path_open_read_without_rights expects
     * ERRNO_BADF for fd_read without FD_READ, and this is its mirror. */
    check_errno("fd_write without FD_WRITE: EBADF", __wasi_fd_write(fd, &iov, 1, &n), __WASI_ERRNO_BADF);
    check_errno("fd_pwrite without FD_WRITE: EBADF", __wasi_fd_pwrite(fd, &iov, 1, 0, &n), __WASI_ERRNO_BADF);
    int err = __wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_READ, 0);
    __wasi_fd_fdstat_get(fd, &stat);
    check(err == 0 && stat.fs_rights_base == __WASI_RIGHTS_FD_READ && stat.fs_rights_inheriting == 0,
          "fd_fdstat_set_rights removes rights", "errno %d base 0x%llx inheriting 0x%llx", err,
          (unsigned long long)stat.fs_rights_base, (unsigned long long)stat.fs_rights_inheriting);
    __wasi_filesize_t position;
    check_errno("fd_seek after its right was removed: ENOTCAPABLE", __wasi_fd_seek(fd, 0, 0, &position),
                __WASI_ERRNO_NOTCAPABLE);
    check_errno("fd_fdstat_set_rights cannot add: ENOTCAPABLE",
                __wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK, 0),
                __WASI_ERRNO_NOTCAPABLE);
    close_quietly(fd);

    /* Inheriting rights bound what files opened below a directory get. */
    int sub = -1;
    uint64_t directory_rights = __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_PATH_CREATE_FILE | __WASI_RIGHTS_FD_READDIR;
    err = raw_path_open(box, FOLLOW, PTR("sub"), 3, __WASI_OFLAGS_DIRECTORY, (int64_t)directory_rights,
                        (int64_t)__WASI_RIGHTS_FD_READ, 0, PTR(&sub));
    int below = -1;
    if (err == 0) {
        err = raw_path_open(sub, FOLLOW, PTR("made"), 4, __WASI_OFLAGS_CREAT, (int64_t)RIGHTS_FILE_MOST,
                            (int64_t)RIGHTS_FILE_MOST, 0, PTR(&below));
    }
    stat.fs_rights_base = 0;
    if (err == 0) __wasi_fd_fdstat_get(below, &stat);
    check(err == 0 && stat.fs_rights_base == __WASI_RIGHTS_FD_READ,
          "a file opened below a directory gets at most the directory's inheriting rights", "errno %d base 0x%llx",
          err, (unsigned long long)stat.fs_rights_base);
    if (err == 0) {
        check_errno("fd_write on that file: EBADF", __wasi_fd_write(below, &iov, 1, &n), __WASI_ERRNO_BADF);
    } else {
        check(0, "fd_write on that file: EBADF", "not opened");
    }
    close_quietly(below);
    close_quietly(sub);

    /* The WASI testsuite's path_open_read_without_rights: a file opened with no rights cannot be read (EBADF). */
    int bare = open_file("data", 0, 0, 0);
    char byte;
    __wasi_iovec_t in = {(uint8_t *)&byte, 1};
    check_errno("fd_read without FD_READ: EBADF", __wasi_fd_read(bare, &in, 1, &n), __WASI_ERRNO_BADF);
    check_errno("fd_pread without FD_READ: EBADF", __wasi_fd_pread(bare, &in, 1, 0, &n), __WASI_ERRNO_BADF);
    close_quietly(bare);
    /* Rights other than FD_READ and FD_WRITE stay ENOTCAPABLE: fd_pread with FD_READ but not FD_SEEK. */
    int unseekable = open_file("data", 0, __WASI_RIGHTS_FD_READ, 0);
    check_errno("fd_pread without FD_SEEK: ENOTCAPABLE", __wasi_fd_pread(unseekable, &in, 1, 0, &n),
                __WASI_ERRNO_NOTCAPABLE);
    close_quietly(unseekable);
}

static int close_enough(uint64_t got, uint64_t want) {
    uint64_t diff = got > want ? got - want : want - got;
    return diff < precision_ns;
}

static void timestamps(void) {
    const uint64_t atim = 1600000000123456789ull, mtim = 1700000000987654321ull;
    int fd = open_file("data", 0, RIGHTS_FILE_MOST | __WASI_RIGHTS_FD_FILESTAT_SET_TIMES, 0);
    int err = __wasi_fd_filestat_set_times(fd, atim, mtim, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM);
    __wasi_filestat_t stat = {0};
    __wasi_fd_filestat_get(fd, &stat);
    check(err == 0 && close_enough(stat.atim, atim) && close_enough(stat.mtim, mtim),
          "fd_filestat_set_times gives back the nanoseconds set",
          "errno %d atim %llu (set %llu) mtim %llu (set %llu), precision %llu ns", err, (unsigned long long)stat.atim,
          (unsigned long long)atim, (unsigned long long)stat.mtim, (unsigned long long)mtim,
          (unsigned long long)precision_ns);

    err = __wasi_fd_filestat_set_times(fd, 0, mtim + 1000000000ull, __WASI_FSTFLAGS_MTIM);
    __wasi_fd_filestat_get(fd, &stat);
    check(err == 0 && close_enough(stat.atim, atim) && close_enough(stat.mtim, mtim + 1000000000ull),
          "fd_filestat_set_times MTIM alone leaves atim", "errno %d atim %llu mtim %llu", err,
          (unsigned long long)stat.atim, (unsigned long long)stat.mtim);

    err = __wasi_path_filestat_set_times(box, FOLLOW, "data", atim + 7000, mtim + 7000,
                                         __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM);
    __wasi_path_filestat_get(box, FOLLOW, "data", &stat);
    check(err == 0 && close_enough(stat.atim, atim + 7000) && close_enough(stat.mtim, mtim + 7000),
          "path_filestat_set_times gives back the nanoseconds set", "errno %d atim %llu mtim %llu", err,
          (unsigned long long)stat.atim, (unsigned long long)stat.mtim);

    __wasi_timestamp_t now = 0;
    __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &now);
    err = __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW);
    __wasi_fd_filestat_get(fd, &stat);
    uint64_t five_seconds = 5000000000ull;
    check(err == 0 && stat.mtim + five_seconds > now && stat.mtim < now + five_seconds,
          "MTIM_NOW sets the current time", "errno %d mtim %llu now %llu", err, (unsigned long long)stat.mtim,
          (unsigned long long)now);
    check_errno("ATIM with ATIM_NOW: EINVAL",
                __wasi_fd_filestat_set_times(fd, atim, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
                __WASI_ERRNO_INVAL);
    check_errno("MTIM with MTIM_NOW: EINVAL",
                __wasi_path_filestat_set_times(box, FOLLOW, "data", 0, mtim,
                                               __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
                __WASI_ERRNO_INVAL);
    close_quietly(fd);
}

static void renumber_and_close(void) {
    int a = open_file("data", 0, RIGHTS_FILE_MOST, 0);
    int b = open_file("log", 0, RIGHTS_FILE_MOST, 0);
    int err = __wasi_fd_renumber(a, b);
    char first[2] = {0};
    __wasi_iovec_t iov = {(uint8_t *)first, 1};
    size_t n = 0;
    int read_err = __wasi_fd_read(b, &iov, 1, &n);
    __wasi_fdstat_t stat;
    check(err == 0 && read_err == 0 && n == 1 && first[0] == '0' && __wasi_fd_fdstat_get(a, &stat) == __WASI_ERRNO_BADF,
          "fd_renumber moves the file to the target fd and frees the source", "errno %d read %d \"%s\"", err, read_err,
          first);
    check_errno("fd_renumber to an fd that is not open: EBADF", __wasi_fd_renumber(b, 1000), __WASI_ERRNO_BADF);
    check_errno("fd_close", __wasi_fd_close(b), 0);
    check_errno("fd_close again: EBADF", __wasi_fd_close(b), __WASI_ERRNO_BADF);
}

int main(void) {
    start_checks();
    const char *precision = getenv("WASMUX_TIME_PRECISION_NS");
    if (precision) precision_ns = strtoull(precision, NULL, 10);
    box = required_preopen("/box");
    signed_and_huge_arguments();
    reads_writes_and_seeks();
    fdstat_flags_and_filetypes();
    rights();
    timestamps();
    renumber_and_close();
    return finish();
}
