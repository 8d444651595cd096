// The fd_* calls on files (issue 10), and what the test programs showed: signed and
// huge i32 arguments (EBADF, EFAULT), fd_fdstat_get's WASI flags and filetypes, rights
// truncation, timestamps set and read back. The guest is test/wasi/c/preview1-fd.c.
import { join } from 'node:path';
import { DIR, describeChecks, makeTree } from './preview1-helpers.js';

// How close a timestamp set must come back: exactly. No runtime's futimes takes nanoseconds
// (node:fs takes seconds as a double; measured with futimesSync then fstatSync({ bigint: true }):
// Node 20 keeps microseconds, Bun about a quarter of one, Deno milliseconds), so the host
// remembers the times it set per file and gives them back (host-fs.ts). The guest takes the
// tolerance as an argument, so a runtime that must loosen it says so here.
const TIME_PRECISION_NS = 1;

describeChecks('fd_* on files, fdstat, rights, timestamps', 'preview1-fd', [
  'fd_write to fd -31337: EBADF',
  'fd_read from fd -1: EBADF',
  'fd_close of fd -31337: EBADF',
  'fd_seek on fd 2^31: EBADF',
  'fd_fdstat_get on fd -2: EBADF',
  'fd_write with iovs at 2^31+: EFAULT',
  'fd_write from a buffer at 2^31+: EFAULT',
  'fd_write of a length >= 2^31: EFAULT',
  'fd_write of 2^31 iovecs: EFAULT',
  'fd_write storing nwritten at 2^31+: EFAULT',
  'fd_read into a buffer at 2^31+: EFAULT',
  'fd_fdstat_get into 2^31+: EFAULT',
  'fd_filestat_get of a file',
  'fd_read of two iovecs, then fd_tell',
  'fd_pread leaves the position',
  'fd_seek CUR +2',
  'fd_seek END -1 (the offset is signed)',
  'fd_seek before the start: EINVAL',
  'fd_seek with whence 3: EINVAL',
  'fd_pwrite leaves the position',
  'fd_write at the position',
  'fd_write past the end leaves a hole',
  'fd_filestat_set_size shrinks',
  'fd_filestat_set_size grows',
  'fd_allocate grows the file or is ENOTSUP',
  'fd_sync',
  'fd_datasync',
  'fd_advise NORMAL',
  'fd_advise with advice 99: EINVAL',
  'fd_fdstat_get of a directory: DIRECTORY, no flags (never host bits)',
  'fd_fdstat_get of a file: REGULAR_FILE, no flags',
  'fd_fdstat_set_flags APPEND shows in fd_fdstat_get',
  'a write after set_flags APPEND appends',
  'fd_fdstat_set_flags 0 clears APPEND',
  'fd_fdstat_get of an APPEND file: APPEND only',
  'APPEND writes at the end whatever the position',
  'path_open keeps the asked rights that apply to a file',
  'fd_write without FD_WRITE: EBADF',
  'fd_pwrite without FD_WRITE: EBADF',
  'fd_fdstat_set_rights removes rights',
  'fd_seek after its right was removed: ENOTCAPABLE',
  'fd_fdstat_set_rights cannot add: ENOTCAPABLE',
  "a file opened below a directory gets at most the directory's inheriting rights",
  'fd_write on that file: EBADF',
  'fd_read without FD_READ: EBADF',
  'fd_pread without FD_READ: EBADF',
  'fd_pread without FD_SEEK: ENOTCAPABLE',
  "fd_filestat_set_times gives back the nanoseconds set",
  'fd_filestat_set_times MTIM alone leaves atim',
  "path_filestat_set_times gives back the nanoseconds set",
  'MTIM_NOW sets the current time',
  'ATIM with ATIM_NOW: EINVAL',
  'MTIM with MTIM_NOW: EINVAL',
  'fd_renumber moves the file to the target fd and frees the source',
  'fd_renumber to an fd that is not open: EBADF',
  'fd_close',
  'fd_close again: EBADF',
], async (work) => {
  await makeTree(join(work, 'box'), { data: '0123456789', sub: DIR });
  return { preopens: { '/box': join(work, 'box') }, env: { WASMUX_TIME_PRECISION_NS: String(TIME_PRECISION_NS) } };
});
