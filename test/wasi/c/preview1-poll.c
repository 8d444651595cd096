/*
 * poll_oneoff: regular files and /dev/null are ready at once (as Linux's poll says of regular
 * files; node:wasi answers EPERM), FD_READ's nbytes on a file is what is left from the position,
 * clocks relative and absolute, the errors.
 *
 *   preview1-poll      with /box preopened (holding `data`, 10 bytes) and /dev (the host's /dev)
 */
#include <poll.h>
#include "preview1-check.h"

RAW_IMPORT(poll_oneoff) int32_t raw_poll_oneoff(int32_t in, int32_t out, int32_t nsubscriptions, int32_t nevents);

static __wasi_subscription_t subs[4];
static __wasi_event_t events[4];

static void subscribe_fd(int i, __wasi_eventtype_t type, int fd) {
    memset(&subs[i], 0, sizeof subs[i]);
    subs[i].userdata = 100 + i;
    subs[i].u.tag = type;
    subs[i].u.u.fd_read.file_descriptor = fd; /* fd_read and fd_write share the layout */
}

static void subscribe_clock(int i, __wasi_timestamp_t timeout, __wasi_subclockflags_t flags) {
    memset(&subs[i], 0, sizeof subs[i]);
    subs[i].userdata = 100 + i;
    subs[i].u.tag = __WASI_EVENTTYPE_CLOCK;
    subs[i].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    subs[i].u.u.clock.timeout = timeout;
    subs[i].u.u.clock.flags = flags;
}

static const __wasi_event_t *event_for(int sub, size_t nevents) {
    for (size_t i = 0; i < nevents; i++)
        if (events[i].userdata == (uint64_t)(100 + sub)) return &events[i];
    return NULL;
}

static __wasi_timestamp_t now(void) {
    __wasi_timestamp_t time = 0;
    __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &time);
    return time;
}

/* fd_read and fd_write subscriptions on `fd`, and a 10 s clock: both fd events at once, no clock. */
static void check_ready_at_once(const char *name, int fd, uint64_t want_read_nbytes, int check_nbytes) {
    subscribe_fd(0, __WASI_EVENTTYPE_FD_READ, fd);
    subscribe_fd(1, __WASI_EVENTTYPE_FD_WRITE, fd);
    subscribe_clock(2, 10000000000ull, 0);
    size_t n = 0;
    __wasi_timestamp_t start = now();
    int err = __wasi_poll_oneoff(subs, events, 3, &n);
    __wasi_timestamp_t waited = now() - start;
    const __wasi_event_t *read = event_for(0, n), *write = event_for(1, n);
    check(err == 0 && n == 2 && read && write && read->error == 0 && write->error == 0 &&
              read->type == __WASI_EVENTTYPE_FD_READ && write->type == __WASI_EVENTTYPE_FD_WRITE &&
              waited < 1000000000ull && (!check_nbytes || read->fd_readwrite.nbytes == want_read_nbytes),
          name, "errno %d, %zu events, read error %d nbytes %llu, write error %d, waited %llu ns", err, n,
          read ? read->error : -1, read ? (unsigned long long)read->fd_readwrite.nbytes : 0ull,
          write ? write->error : -1, (unsigned long long)waited);
}

int main(void) {
    start_checks();
    int box = required_preopen("/box"), dev = required_preopen("/dev");
    int data, null;
    open_at(box, "data", FOLLOW, 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_POLL_FD_READWRITE,
            0, &data);
    open_at(dev, "null", FOLLOW, 0,
            __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_POLL_FD_READWRITE |
                __WASI_RIGHTS_FD_FILESTAT_GET,
            0, &null);

    check_ready_at_once("poll_oneoff on a regular file: FD_READ and FD_WRITE ready at once", data, 0, 0);
    char three[3];
    __wasi_iovec_t iov = {(uint8_t *)three, 3};
    size_t got;
    __wasi_fd_read(data, &iov, 1, &got);
    /* Linux's poll has no byte count; the witx's nbytes for a file is what a read would get. */
    check_ready_at_once("poll_oneoff on a file: FD_READ's nbytes is what is left from the position", data, 7, 1);
    check_ready_at_once("poll_oneoff on /dev/null: ready at once", null, 0, 0);

    __wasi_fdstat_t stat = {0};
    __wasi_fd_fdstat_get(null, &stat);
    check(stat.fs_filetype == __WASI_FILETYPE_CHARACTER_DEVICE, "fd_fdstat_get of /dev/null: CHARACTER_DEVICE",
          "filetype %d", stat.fs_filetype);
    size_t n = 99;
    int err = __wasi_fd_read(null, &iov, 1, &n);
    check(err == 0 && n == 0, "fd_read of /dev/null: 0 bytes", "errno %d, %zu bytes", err, n);
    __wasi_ciovec_t out = {(const uint8_t *)"abc", 3};
    err = __wasi_fd_write(null, &out, 1, &n);
    check(err == 0 && n == 3, "fd_write to /dev/null: every byte", "errno %d, %zu bytes", err, n);

    struct pollfd fds[1] = {{.fd = data, .events = POLLIN | POLLOUT}};
    int ready = poll(fds, 1, 10000);
    check(ready == 1 && fds[0].revents == (POLLIN | POLLOUT), "libc poll on a file: POLLIN|POLLOUT at once",
          "poll %d revents 0x%x", ready, fds[0].revents);

    subscribe_clock(0, 1000000, 0);
    __wasi_timestamp_t start = now();
    err = __wasi_poll_oneoff(subs, events, 1, &n);
    __wasi_timestamp_t waited = now() - start;
    check(err == 0 && n == 1 && events[0].type == __WASI_EVENTTYPE_CLOCK && events[0].error == 0 &&
              events[0].userdata == 100 && waited >= 1000000,
          "poll_oneoff with a 1 ms relative clock fires after 1 ms", "errno %d, %zu events, waited %llu ns", err, n,
          (unsigned long long)waited);
    /* Half of now, not now minus a second: MONOTONIC may start near 0 (it does on Bun). */
    subscribe_clock(0, now() / 2, __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
    start = now();
    err = __wasi_poll_oneoff(subs, events, 1, &n);
    waited = now() - start;
    check(err == 0 && n == 1 && events[0].type == __WASI_EVENTTYPE_CLOCK && waited < 1000000000ull,
          "poll_oneoff with an absolute clock in the past fires at once", "errno %d, %zu events, waited %llu ns", err,
          n, (unsigned long long)waited);
    check_errno("poll_oneoff with no subscriptions: EINVAL", __wasi_poll_oneoff(subs, events, 0, &n),
                __WASI_ERRNO_INVAL);

    /* A closed fd: wasmtime fails the call with EBADF; a host may instead report it in the fd's event. */
    subscribe_fd(0, __WASI_EVENTTYPE_FD_READ, 1000);
    n = 0;
    err = __wasi_poll_oneoff(subs, events, 1, &n);
    check(err == __WASI_ERRNO_BADF || (err == 0 && n == 1 && events[0].error == __WASI_ERRNO_BADF),
          "poll_oneoff on an fd that is not open: EBADF", "errno %d, %zu events, error %d", err, n,
          n ? events[0].error : -1);
    subscribe_fd(0, __WASI_EVENTTYPE_FD_READ, data);
    check_errno("poll_oneoff with events at 2^31+: EFAULT", raw_poll_oneoff(PTR(subs), FAR_POINTER, 1, PTR(&n)),
                __WASI_ERRNO_FAULT);
    close_quietly(data);
    close_quietly(null);
    return finish();
}
