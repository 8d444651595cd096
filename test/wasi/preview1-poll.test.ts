// poll_oneoff (issue 10): a regular file and /dev/null are ready at once (node:wasi says EPERM),
// FD_READ's nbytes on a file, clocks relative and absolute, its errors. The guest is
// test/wasi/c/preview1-poll.c; /dev is the host's, preopened for /dev/null.
import { join } from 'node:path';
import { describeChecks, makeTree } from './preview1-helpers.js';

describeChecks('poll_oneoff on files and clocks', 'preview1-poll', [
  'poll_oneoff on a regular file: FD_READ and FD_WRITE ready at once',
  "poll_oneoff on a file: FD_READ's nbytes is what is left from the position",
  'poll_oneoff on /dev/null: ready at once',
  'fd_fdstat_get of /dev/null: CHARACTER_DEVICE',
  'fd_read of /dev/null: 0 bytes',
  'fd_write to /dev/null: every byte',
  'libc poll on a file: POLLIN|POLLOUT at once',
  'poll_oneoff with a 1 ms relative clock fires after 1 ms',
  'poll_oneoff with an absolute clock in the past fires at once',
  'poll_oneoff with no subscriptions: EINVAL',
  'poll_oneoff on an fd that is not open: EBADF',
  'poll_oneoff with events at 2^31+: EFAULT',
], async (work) => {
  await makeTree(join(work, 'box'), { data: '0123456789' });
  return { preopens: { '/box': join(work, 'box'), '/dev': '/dev' } };
});
