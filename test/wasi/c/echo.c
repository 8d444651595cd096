/*
 * A poll() + accept() TCP echo server, as a C programmer writes one, for wasi-libc.
 *
 *   echo-c <connections> [idle-ms]
 *
 * WASI programs cannot open sockets: the host preopens the listener as fd 3. wasi-libc turns
 * poll() into poll_oneoff (fd_read subscriptions, and a relative clock for the timeout),
 * accept() into sock_accept, recv()/send() into sock_recv/sock_send, close() into fd_close.
 * Exit codes match the AssemblyScript echo guest: 0 once <connections> connections have
 * closed, 3 after idle-ms (default 10000) without any event, 1 on bad arguments, 2 when a call
 * fails unexpectedly.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LISTENER 3
#define MAX_CONNECTIONS 64

static char buffer[65536];

static void fail(const char *call) {
    fprintf(stderr, "%s failed: %s\n", call, strerror(errno));
    exit(2);
}

/* Blocking sockets: send() may still take only part of the buffer, so loop until it is out. */
static int send_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t sent = send(fd, p, n, 0);
        if (sent < 0) return -1;
        p += sent;
        n -= (size_t)sent;
    }
    return 0;
}

int main(int argc, char **argv) {
    int wanted = argc > 1 ? atoi(argv[1]) : 0;
    int idle_ms = argc > 2 ? atoi(argv[2]) : 10000;
    if (wanted <= 0 || idle_ms <= 0) {
        fprintf(stderr, "usage: echo-c <connections> [idle-ms]\n");
        return 1;
    }

    /* fds[0] is the listener, fds[1..open] the connections, kept dense. */
    struct pollfd fds[1 + MAX_CONNECTIONS];
    int open = 0, closed = 0;
    fds[0].fd = LISTENER;
    fds[0].events = POLLIN;

    for (;;) {
        /* With every slot taken, leave the listener out (fd -1 is skipped by poll) rather than
         * spin on its readiness; pending clients wait in the backlog. */
        fds[0].fd = open < MAX_CONNECTIONS ? LISTENER : -1;
        int ready = poll(fds, (nfds_t)(1 + open), idle_ms);
        if (ready < 0) fail("poll");
        if (ready == 0) {
            fprintf(stderr, "echo-c: idle for %d ms, %d of %d connections closed\n",
                    idle_ms, closed, wanted);
            return 3;
        }

        /* Walk the connections backwards so that moving the last one into a closed one's slot
         * never skips an entry still to be looked at. */
        for (int i = open; i >= 1; i--) {
            if (fds[i].revents == 0) continue;
            /* POLLHUP and POLLERR come with or without POLLIN: recv says what happened. */
            ssize_t n = recv(fds[i].fd, buffer, sizeof buffer, 0);
            if (n > 0 && send_all(fds[i].fd, buffer, (size_t)n) == 0) continue;
            /* EOF, or an error on recv or send: done with this client. */
            shutdown(fds[i].fd, SHUT_WR);
            if (close(fds[i].fd) != 0) fail("close");
            fds[i] = fds[open--];
            if (++closed >= wanted) return 0;
        }

        if (fds[0].fd >= 0 && (fds[0].revents & POLLIN)) {
            /* Debian's wasi-libc (0.0~git20220510) writes the peer address through the pointer
             * without a NULL check, so accept(fd, NULL, NULL) would write to address 0: give it
             * a real buffer even though we never look at it. */
            struct sockaddr_storage peer;
            socklen_t peer_len = sizeof peer;
            int fd = accept(LISTENER, (struct sockaddr *)&peer, &peer_len);
            if (fd < 0) {
                if (errno != EAGAIN) fail("accept");
            } else {
                open++;
                fds[open].fd = fd;
                fds[open].events = POLLIN;
                fds[open].revents = 0;
            }
        } else if (fds[0].revents & (POLLERR | POLLNVAL)) {
            errno = EBADF;
            fail("poll on the listener");
        }
    }
}
