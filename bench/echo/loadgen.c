// The echo benchmark's native load generator: the same ping-pong as bench/echo/loadgen.ts (N
// loopback connections, each sends one message, waits for the whole echo, checks every byte, sends
// the next) in one epoll-driven C process, so that it costs a fraction of a node:net generator's
// CPU per message and the server on the other core is what limits. Same flags and the same JSON
// result line as loadgen.ts, plus "generator":"c", "bytes" (echoed in the window, one direction)
// and "loadgenCpuS" (its own user + system time over the window, getrusage). Built at bench time by bench/echo/harness.ts:
//
//   cc -O2 -o build/bench/loadgen bench/echo/loadgen.c
//   build/bench/loadgen --port P [--connections 100] [--size 64] [--duration 5] [--warmup 1] [--server-pid PID]
//
// Every message carries a per-connection sequence number in its first 4 bytes and every
// connection its own bytes, so a lost, duplicated, reordered or crossed byte fails the check; a
// mismatch, extra byte, socket error or early close ends the run with exit code 1.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

// Latency histogram: bucket i counts round trips of [i, i+1) µs; longer ones go to the last.
#define BUCKETS 1000000
static uint32_t histogram[BUCKETS + 1];

struct conn {
  int fd;
  int id;
  unsigned char *message;
  size_t got;   // bytes of the current echo received so far
  size_t sent;  // bytes of the current message written so far (a partial write waits for EPOLLOUT)
  uint32_t seq;
  int busy;     // a message is out
  double sent_at;
};

static size_t size = 64;
static int n_conns = 100;
static double duration_s = 5, warmup_s = 1;
static long server_pid = -1;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...) {
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  printf("{\"error\":\"%s\"}\n", text);
  fflush(stdout);
  fprintf(stderr, "loadgen: %s\n", text);
  exit(1);
}

static void on_alarm(int sig) {
  (void)sig;
  static const char line[] = "{\"error\":\"the run did not finish in time (server stalled?)\"}\n";
  ssize_t ignored = write(1, line, sizeof line - 1);
  (void)ignored;
  _exit(1);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(const struct rusage *ru, int user_only) {
  double user = ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6;
  return user_only ? user : user + ru->ru_stime.tv_sec + ru->ru_stime.tv_usec / 1e6;
}

// utime and stime of the server, in clock ticks (0 if unknown): /proc/<pid>/stat fields 14 and 15.
static void server_ticks(long *user, long *system) {
  *user = *system = 0;
  if (server_pid < 0) return;
  char path[64], text[1024];
  snprintf(path, sizeof path, "/proc/%ld/stat", server_pid);
  FILE *f = fopen(path, "r");
  if (!f) return;
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = 0;
  char *p = strrchr(text, ')');  // the command name may hold spaces; the fields follow its ')'
  if (!p) return;
  // After ") ": state is field 3; skip fields 3..13 to reach utime (14) and stime (15).
  p += 2;
  for (int field = 3; field < 14 && p; field++) p = strchr(p, ' '), p = p ? p + 1 : NULL;
  if (p) sscanf(p, "%ld %ld", user, system);
}

static double percentile(double q, uint64_t measured, double max_us) {
  if (measured == 0) return 0;
  uint64_t rank = (uint64_t)(q * measured + 0.999999), seen = 0;
  for (int i = 0; i <= BUCKETS; i++) {
    seen += histogram[i];
    if (seen >= rank) return i == BUCKETS ? max_us : i + 0.5;
  }
  return max_us;
}

static long positive(const char *value, const char *name) {
  char *end;
  long n = value ? strtol(value, &end, 10) : 0;
  if (!value || *end || n <= 0) fail("--%s must be a positive integer, got %s", name, value ? value : "nothing");
  return n;
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1";
  long port = -1;
  for (int i = 1; i < argc; i++) {
    const char *flag = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(flag, "--host")) host = value;
    else if (!strcmp(flag, "--port")) port = positive(value, "port");
    else if (!strcmp(flag, "--connections")) n_conns = (int)positive(value, "connections");
    else if (!strcmp(flag, "--size")) size = (size_t)positive(value, "size");
    else if (!strcmp(flag, "--duration")) duration_s = value ? atof(value) : 0;
    else if (!strcmp(flag, "--warmup")) warmup_s = value ? atof(value) : -1;
    else if (!strcmp(flag, "--server-pid")) server_pid = positive(value, "server-pid");
    else fail("unknown flag %s", flag);
    i++;
  }
  if (port < 0 || port > 65535) fail("--port is required (1-65535)");
  if (!(duration_s > 0) || !(warmup_s >= 0)) fail("--duration must be > 0 and --warmup >= 0");
  if (!host || strcmp(host, "127.0.0.1")) fail("loopback IPv4 only (127.0.0.1), got %s", host ? host : "nothing");
  long clock_ticks = getenv("CLK_TCK") ? atol(getenv("CLK_TCK")) : sysconf(_SC_CLK_TCK);
  if (clock_ticks <= 0) clock_ticks = 100;
  signal(SIGPIPE, SIG_IGN);
  signal(SIGALRM, on_alarm);
  alarm((unsigned)(warmup_s + duration_s + 20));  // a hard stop whatever happens

  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
  inet_pton(AF_INET, host, &addr.sin_addr);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct conn *conns = calloc((size_t)n_conns, sizeof *conns);
  size_t read_size = size > 65536 ? size : 65536;
  unsigned char *read_buffer = malloc(read_size);
  for (int i = 0; i < n_conns; i++) {
    struct conn *c = &conns[i];
    c->id = i;
    c->message = malloc(size);
    uint32_t x = (uint32_t)(i + 1) * 0x9e3779b1u;
    for (size_t k = 0; k < size; k++) {
      x ^= x << 13; x ^= x >> 17; x ^= x << 5;  // xorshift32: each connection its own bytes
      c->message[k] = (unsigned char)x;
    }
    // Connect blocking (loopback answers at once), then switch to non-blocking for the run.
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0) fail("connection %d: %s", i, strerror(errno));
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (fcntl(c->fd, F_SETFL, O_NONBLOCK) < 0) fail("fcntl: %s", strerror(errno));
    struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = c };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) fail("epoll_ctl: %s", strerror(errno));
  }

  enum { WARMUP, MEASURE, DRAIN } phase = warmup_s > 0 ? WARMUP : MEASURE;
  uint64_t measured = 0, echoes = 0;
  double sum_us = 0, max_us = 0;
  double start = now_s(), measure_start = 0, measure_end = 0, drain_deadline = 0;
  struct rusage ru_start, ru_end;
  long user0 = 0, sys0 = 0, user1 = 0, sys1 = 0;
  int in_flight = 0;
#define START_MEASURE() do { \
    phase = MEASURE; server_ticks(&user0, &sys0); getrusage(RUSAGE_SELF, &ru_start); measure_start = now_s(); \
  } while (0)
  if (phase == MEASURE) START_MEASURE();

  // Sends (the rest of) c's message; a partial write waits for EPOLLOUT.
#define SEND(c) do { \
    ssize_t w_ = write((c)->fd, (c)->message + (c)->sent, size - (c)->sent); \
    if (w_ < 0 && errno != EAGAIN) fail("connection %d: write: %s", (c)->id, strerror(errno)); \
    if (w_ > 0) (c)->sent += (size_t)w_; \
    struct epoll_event ev_ = { .events = EPOLLIN | EPOLLRDHUP | ((c)->sent < size ? EPOLLOUT : 0), .data.ptr = (c) }; \
    if ((c)->sent < size) epoll_ctl(ep, EPOLL_CTL_MOD, (c)->fd, &ev_); \
  } while (0)
#define NEXT(c, t) do { \
    if (size >= 4) memcpy((c)->message, &(c)->seq, 4); \
    (c)->seq++; (c)->got = 0; (c)->sent = 0; (c)->busy = 1; (c)->sent_at = (t); SEND(c); \
  } while (0)

  double t = now_s();
  for (int i = 0; i < n_conns; i++) NEXT(&conns[i], t);

  struct epoll_event events[256];
  for (;;) {
    t = now_s();
    double until = phase == WARMUP ? start + warmup_s : phase == MEASURE ? measure_start + duration_s : drain_deadline;
    if (t >= until) {
      if (phase == WARMUP) {
        START_MEASURE();
      } else if (phase == MEASURE) {
        measure_end = now_s();
        getrusage(RUSAGE_SELF, &ru_end);
        server_ticks(&user1, &sys1);
        phase = DRAIN;
        drain_deadline = measure_end + 5;
        for (int i = 0; i < n_conns; i++) in_flight += conns[i].busy;
        if (in_flight == 0) break;
      } else {
        fail("%d echoes still missing 5 s after the end", in_flight);
      }
      continue;
    }
    int timeout_ms = (int)((until - t) * 1000) + 1;
    int n = epoll_wait(ep, events, 256, timeout_ms);
    if (n < 0 && errno != EINTR) fail("epoll_wait: %s", strerror(errno));
    for (int e = 0; e < n; e++) {
      struct conn *c = events[e].data.ptr;
      if ((events[e].events & EPOLLOUT) && c->sent < size) {
        SEND(c);
        if (c->sent == size) {
          struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = c };
          epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        }
      }
      if (!(events[e].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) continue;
      ssize_t r = read(c->fd, read_buffer, read_size);
      if (r < 0 && errno == EAGAIN) continue;
      if (r < 0) fail("connection %d: read: %s", c->id, strerror(errno));
      if (r == 0) fail("connection %d: the server closed the connection", c->id);
      if (!c->busy || c->got + (size_t)r > size) fail("connection %d: %zu bytes more than were sent", c->id, c->got + (size_t)r - size);
      if (memcmp(read_buffer, c->message + c->got, (size_t)r)) fail("connection %d: echoed bytes differ from the message", c->id);
      c->got += (size_t)r;
      if (c->got < size) continue;
      double done = now_s();
      c->busy = 0;
      echoes++;
      if (phase == MEASURE) {
        double us = (done - c->sent_at) * 1e6;
        histogram[us < BUCKETS ? (int)us : BUCKETS]++;
        if (us > max_us) max_us = us;
        sum_us += us;
        measured++;
      }
      if (phase == DRAIN) {
        if (--in_flight == 0) goto report;
        continue;
      }
      NEXT(c, done);
    }
  }
report:;
  double window = measure_end - measure_start;
  double ticks = (double)clock_ticks;
  printf("{\"generator\":\"c\",\"connections\":%d,\"size\":%zu,\"durationS\":%.6f,\"warmupS\":%g,\"messages\":%llu,\"echoes\":%llu,"
         "\"bytes\":%llu,\"messagesPerS\":%.3f,\"mibPerS\":%.4f,\"latencyUs\":{\"mean\":%.3f,\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.3f},"
         "\"loadgenCpuS\":%.6f,\"loadgenCpu\":%.6f,\"loadgenUserCpu\":%.6f,",
         n_conns, size, window, warmup_s, (unsigned long long)measured, (unsigned long long)echoes,
         (unsigned long long)(measured * size), measured / window, measured * (double)size / window / 1048576, measured ? sum_us / measured : 0,
         percentile(0.5, measured, max_us), percentile(0.9, measured, max_us), percentile(0.99, measured, max_us),
         percentile(0.999, measured, max_us), max_us,
         cpu_s(&ru_end, 0) - cpu_s(&ru_start, 0),
         (cpu_s(&ru_end, 0) - cpu_s(&ru_start, 0)) / window, (cpu_s(&ru_end, 1) - cpu_s(&ru_start, 1)) / window);
  if (server_pid < 0) printf("\"serverCpu\":null,\"serverUserCpu\":null,\"errors\":0}\n");
  else printf("\"serverCpu\":%.6f,\"serverUserCpu\":%.6f,\"errors\":0}\n",
              (user1 - user0 + sys1 - sys0) / ticks / window, (user1 - user0) / ticks / window);
  return 0;
}
