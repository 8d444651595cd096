// args_*, environ_*, sched_yield, proc_raise and proc_exit (issue 10). The guest is
// test/wasi/c/preview1-proc.c. (Before issue 10, proc_raise went to node:wasi, whose uvwasi
// raises the signal in the host process: SIGTERM ended the test runner's worker.)
import { describeChecks } from './preview1-helpers.js';

// proc_exit's code is a u32, handed on as given (300 is not cut to a byte).
const EXIT_CODE = 300;

describeChecks('args, environ, sched_yield, proc_raise, proc_exit', 'preview1-proc', [
  "args_sizes_get: argc, and every argument's bytes with its NUL",
  'args_get: each argument NUL-terminated in the buffer, nothing past it',
  'argv in main is the arguments given',
  'args_sizes_get into 2^31+: EFAULT',
  'environ_sizes_get: the given variables only',
  'environ_get: NAME=value of each, exactly those',
  'getenv of a value with = and of an empty one',
  'sched_yield',
  'proc_raise: ENOSYS',
], async () => ({
  args: ['preview1-proc', '', 'two words', 'é', String(EXIT_CODE)],
  env: { A: '1', EMPTY: '', UTF: 'é', X: 'a=b' },
}), EXIT_CODE);
