// The echo benchmark's limit row: the same work as the other servers (read what arrived, send the
// same bytes back) in C on one edge-triggered epoll, so a reader sees what this machine's kernel
// and loopback allow for it. Built at bench time by bench/echo/harness.ts:
//
//   cc -O2 -o build/bench/server-epoll bench/echo/server-epoll.c
//   build/bench/server-epoll <port> [--timeout S]
//
// accept4 (non-blocking) until EAGAIN, TCP_NODELAY; on EPOLLIN read one reused 64 KiB buffer until
// EAGAIN and write each chunk straight back. A write that is not taken whole waits for room with
// poll(), as Python's sendall does: ping-pong never fills a loopback send buffer, and the
// benchmark's check (bench/echo/check.ts) does not run this server.
//
// The lifecycle of bench/echo/lifecycle.ts: "ready <port>" on stdout once listening; exits on
// SIGTERM/SIGINT, when the stdin pipe from the runner closes, and after --timeout seconds.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static void on_signal(int sig) { _exit(sig == SIGALRM ? 3 : 0); }

// Writes all of data, waiting for room as needed; -1 if the connection is gone.
static int send_all(int fd, const char *data, size_t len) {
  while (len > 0) {
    ssize_t w = write(fd, data, len);
    if (w > 0) {
      data += w;
      len -= (size_t)w;
    } else if (w < 0 && errno == EAGAIN) {
      struct pollfd p = { .fd = fd, .events = POLLOUT };
      poll(&p, 1, -1);
    } else if (w < 0 && errno != EINTR) {
      return -1;
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  int port = 0;
  unsigned timeout_s = 600;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--timeout") && i + 1 < argc) timeout_s = (unsigned)atoi(argv[++i]);
    else if (argv[i][0] != '-') port = atoi(argv[i]);
  }
  signal(SIGPIPE, SIG_IGN);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGALRM, on_signal);
  alarm(timeout_s);

  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  socklen_t addr_len = sizeof addr;
  if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listener, 511) < 0
      || getsockname(listener, (struct sockaddr *)&addr, &addr_len) < 0) {
    fprintf(stderr, "echo server: %s\n", strerror(errno));
    return 1;
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.fd = listener };
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
  struct stat st;
  if (fstat(0, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
    ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = 0 };  // the runner's pipe: EOF means it died
    epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
  }
  printf("ready %d\n", ntohs(addr.sin_port));
  fflush(stdout);

  static char buffer[65536];
  struct epoll_event events[1024];
  for (;;) {
    int n = epoll_wait(ep, events, 1024, -1);
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == 0) {
        if (read(0, buffer, sizeof buffer) <= 0) return 0;
      } else if (fd == listener) {
        int conn;
        while ((conn = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
          setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          ev = (struct epoll_event){ .events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.fd = conn };
          epoll_ctl(ep, EPOLL_CTL_ADD, conn, &ev);
        }
      } else {
        for (;;) {  // edge-triggered: read until EAGAIN
          ssize_t r = read(fd, buffer, sizeof buffer);
          if (r < 0 && errno == EAGAIN) break;
          if (r < 0 && errno == EINTR) continue;
          if (r <= 0 || send_all(fd, buffer, (size_t)r) < 0) {
            close(fd);  // EOF or an error: closing also leaves the epoll set
            break;
          }
        }
      }
    }
  }
}
