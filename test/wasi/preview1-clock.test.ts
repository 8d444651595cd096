// clock_res_get, clock_time_get and random_get (issue 10). The guest is
// test/wasi/c/preview1-clock.c.
import { describeChecks } from './preview1-helpers.js';

describeChecks('clocks and random_get', 'preview1-clock', [
  ...['REALTIME', 'MONOTONIC', 'PROCESS_CPUTIME_ID', 'THREAD_CPUTIME_ID']
    .map((clock) => `clock ${clock}: a resolution of at most 1 ms and a time`),
  'REALTIME is nanoseconds since 1970',
  'MONOTONIC never goes back (10000 reads)',
  'clock_time_get of clock 4: EINVAL',
  'clock_res_get of clock -1: EINVAL',
  'clock_time_get into 2^31+: EFAULT',
  'random_get fills the buffer with varied bytes, new each call',
  'random_get of 0 bytes',
  'random_get into 2^31+: EFAULT',
  'random_get of 2^31 bytes: EFAULT',
]);
