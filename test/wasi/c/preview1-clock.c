/*
 * clock_res_get, clock_time_get (every clock id of the witx) and random_get.
 *
 *   preview1-clock
 */
#include "preview1-check.h"

static const char *const clock_names[] = {"REALTIME", "MONOTONIC", "PROCESS_CPUTIME_ID", "THREAD_CPUTIME_ID"};

int main(void) {
    start_checks();
    for (__wasi_clockid_t id = 0; id < 4; id++) {
        __wasi_timestamp_t resolution = 0, time = 0;
        int res_err = __wasi_clock_res_get(id, &resolution);
        int time_err = __wasi_clock_time_get(id, 1, &time);
        char name[80];
        snprintf(name, sizeof name, "clock %s: a resolution of at most 1 ms and a time", clock_names[id]);
        check(res_err == 0 && time_err == 0 && resolution > 0 && resolution <= 1000000 && time > 0, name,
              "errno %d/%d resolution %llu time %llu", res_err, time_err, (unsigned long long)resolution,
              (unsigned long long)time);
    }
    __wasi_timestamp_t time = 0;
    __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &time);
    check(time > 1600000000000000000ull && time < 4000000000000000000ull, "REALTIME is nanoseconds since 1970",
          "%llu", (unsigned long long)time);
    int monotonic = 1;
    __wasi_timestamp_t last = 0;
    for (int i = 0; i < 10000; i++) {
        __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &time);
        if (time < last) monotonic = 0;
        last = time;
    }
    check(monotonic, "MONOTONIC never goes back (10000 reads)", "it did");
    __wasi_timestamp_t ignored;
    check_errno("clock_time_get of clock 4: EINVAL", __wasi_clock_time_get(4, 1, &ignored), __WASI_ERRNO_INVAL);
    check_errno("clock_res_get of clock -1: EINVAL", __wasi_clock_res_get((__wasi_clockid_t)-1, &ignored),
                __WASI_ERRNO_INVAL);
    check_errno("clock_time_get into 2^31+: EFAULT", raw_clock_time_get(0, 1, FAR_POINTER), __WASI_ERRNO_FAULT);

    static uint8_t bytes[4096], again[4096];
    int err = __wasi_random_get(bytes, sizeof bytes);
    int err2 = __wasi_random_get(again, sizeof again);
    int counts[256] = {0};
    for (size_t i = 0; i < sizeof bytes; i++) counts[bytes[i]]++;
    int most = 0;
    for (int i = 0; i < 256; i++) most = counts[i] > most ? counts[i] : most;
    /* 4096 uniform bytes: about 16 of each value; 64 of one value would be astronomically unlikely. */
    check(err == 0 && err2 == 0 && most < 64 && memcmp(bytes, again, sizeof bytes) != 0,
          "random_get fills the buffer with varied bytes, new each call", "errno %d/%d, a byte value %d times", err,
          err2, most);
    check_errno("random_get of 0 bytes", __wasi_random_get(bytes, 0), 0);
    check_errno("random_get into 2^31+: EFAULT", raw_random_get(FAR_POINTER, 16), __WASI_ERRNO_FAULT);
    check_errno("random_get of 2^31 bytes: EFAULT", raw_random_get(PTR(bytes), (int32_t)0x80000000u),
                __WASI_ERRNO_FAULT);
    return finish();
}
