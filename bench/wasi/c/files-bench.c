/*
 * The file benchmark's guest (bench/wasi/files.ts), as a C programmer writes file I/O for wasi-libc:
 *
 *   files-bench <file-MiB> <listings> <entries>
 *
 * The host preopens its scratch directory as /data, with /data/entries already holding <entries>
 * files. Three phases, each timed here with CLOCK_MONOTONIC so that worker start-up and
 * instantiation stay out of the figures:
 *   write    /data/big.bin, <file-MiB> MiB in 64 KiB write() calls (open, writes, close);
 *   read     it back in 64 KiB read() calls (open, reads, close);
 *   readdir  <listings> times opendir/readdir/closedir over /data/entries (fd_readdir underneath).
 * Both data phases sum what they move (sampled: see sum_chunk) and the sums must agree, and every
 * listing must see every entry, so neither the compiler nor a host can skip work. The figures go to /data/result.txt as
 * one line of key=value pairs. Exit 0 when all went well, 1 on bad arguments, 2 when a call fails
 * or a check does not hold.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536

static uint64_t chunk[CHUNK / sizeof(uint64_t)];

static void fail(const char *what) {
    fprintf(stderr, "files-bench: %s: %s\n", what, strerror(errno));
    exit(2);
}

static int64_t now_ns(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) fail("clock_gettime");
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * One word per 64 bytes, weighted by its place: enough to tell a chunk that is missing, repeated
 * or out of order (their first words differ), and cheap beside the I/O it checks, so that the
 * figures stay the hosts' and not this loop's.
 */
static uint64_t sum_chunk(void) {
    uint64_t sum = 0;
    for (size_t i = 0; i < CHUNK / sizeof(uint64_t); i += 8) sum += chunk[i] * (i | 1);
    return sum;
}

static uint64_t write_file(const char *path, long chunks) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) fail("open for writing");
    uint64_t sum = 0;
    for (long n = 0; n < chunks; n++) {
        /* Every chunk differs: its index in the first word. */
        chunk[0] = (uint64_t)n;
        sum += sum_chunk();
        const char *p = (const char *)chunk;
        size_t left = CHUNK;
        while (left > 0) {
            ssize_t written = write(fd, p, left);
            if (written < 0) fail("write");
            p += written;
            left -= (size_t)written;
        }
    }
    if (close(fd) != 0) fail("close after writing");
    return sum;
}

static uint64_t read_file(const char *path, long chunks) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) fail("open for reading");
    uint64_t sum = 0;
    long full = 0;
    for (;;) {
        char *p = (char *)chunk;
        size_t got = 0;
        while (got < CHUNK) {
            ssize_t n = read(fd, p + got, CHUNK - got);
            if (n < 0) fail("read");
            if (n == 0) break;
            got += (size_t)n;
        }
        if (got == 0) break;
        if (got != CHUNK) {
            fprintf(stderr, "files-bench: the file ends inside chunk %ld\n", full);
            exit(2);
        }
        sum += sum_chunk();
        full++;
    }
    if (close(fd) != 0) fail("close after reading");
    if (full != chunks) {
        fprintf(stderr, "files-bench: read %ld chunks back, wrote %ld\n", full, chunks);
        exit(2);
    }
    return sum;
}

/* One listing: the entries seen (with '.' and '..' where the host lists them); `names` sums their names' lengths. */
static long list_once(const char *path, uint64_t *names) {
    DIR *dir = opendir(path);
    if (dir == NULL) fail("opendir");
    long seen = 0;
    struct dirent *entry;
    errno = 0;
    while ((entry = readdir(dir)) != NULL) {
        seen++;
        *names += strlen(entry->d_name);
    }
    if (errno != 0) fail("readdir");
    if (closedir(dir) != 0) fail("closedir");
    return seen;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: files-bench <file-MiB> <listings> <entries>\n");
        return 1;
    }
    long mib = atol(argv[1]), listings = atol(argv[2]), entries = atol(argv[3]);
    if (mib <= 0 || listings <= 0 || entries < 0) {
        fprintf(stderr, "files-bench: the arguments must be positive\n");
        return 1;
    }
    long chunks = mib * (1024 * 1024 / CHUNK);
    for (size_t i = 0; i < CHUNK / sizeof(uint64_t); i++) chunk[i] = (uint64_t)i * 0x9e3779b97f4a7c15u;

    int64_t t0 = now_ns();
    uint64_t written = write_file("/data/big.bin", chunks);
    int64_t t1 = now_ns();
    uint64_t read_back = read_file("/data/big.bin", chunks);
    int64_t t2 = now_ns();
    if (read_back != written) {
        fprintf(stderr, "files-bench: the data read back differs from the data written\n");
        return 2;
    }

    long listed = 0;
    uint64_t names = 0;
    int64_t t3 = now_ns();
    for (long i = 0; i < listings; i++) {
        long seen = list_once("/data/entries", &names);
        /* '.' and '..' are listed by some hosts and not by others; every other entry must be there. */
        if (seen < entries || seen > entries + 2) {
            fprintf(stderr, "files-bench: listing %ld saw %ld entries, expected %ld (+ '.' and '..')\n", i, seen, entries);
            return 2;
        }
        listed += seen;
    }
    int64_t t4 = now_ns();

    FILE *out = fopen("/data/result.txt", "w");
    if (out == NULL) fail("fopen /data/result.txt");
    fprintf(out, "bytes=%ld write_ns=%lld read_ns=%lld listed=%ld readdir_ns=%lld checksum=%llu names=%llu\n",
            chunks * CHUNK, (long long)(t1 - t0), (long long)(t2 - t1), listed, (long long)(t4 - t3),
            (unsigned long long)written, (unsigned long long)names);
    if (fclose(out) != 0) fail("fclose /data/result.txt");
    return 0;
}
