// What the issue's test programs showed about signed arguments, from an AssemblyScript guest that
// calls the preview1 imports directly (as the testsuite's AssemblyScript programs do): every i32
// of the witx is unsigned, so fd -31337 is fd 4294935959 (EBADF, never EINVAL), and a pointer or a
// length >= 2^31 lies beyond memory (EFAULT); fd_seek's filedelta is the one signed integer.
// Each case is one call whose errno (or result) the guest reports as a byte; /box is fd 3.
import { closeSync, openSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runWasi } from '../../src/index.js';
import { guestsForFile, readText } from './guest-helpers.js';

// wasi errno values: BADF 8, FAULT 21, INVAL 28.
const CASES: Array<[string, string, number]> = [
  ['fd_write to fd -31337: EBADF', 'fd_write(<u32>-31337, iov(BUF, 1), 1, OUT)', 8],
  ['fd_read from fd -1: EBADF', 'fd_read(<u32>-1, iov(BUF, 1), 1, OUT)', 8],
  ['fd_close of fd 2^31: EBADF', 'fd_close(0x80000000)', 8],
  ['fd_seek on fd -5: EBADF', 'fd_seek(<u32>-5, 0, 0, OUT)', 8],
  ['fd_fdstat_get on fd -1: EBADF', 'fd_fdstat_get(<u32>-1, SCRATCH)', 8],
  ['fd_fdstat_set_flags on fd -1: EBADF', 'fd_fdstat_set_flags(<u32>-1, 0)', 8],
  ['fd_prestat_get on fd -3: EBADF', 'fd_prestat_get(<u32>-3, SCRATCH)', 8],
  ['fd_renumber from fd -1: EBADF', 'fd_renumber(<u32>-1, 3)', 8],
  ['fd_write with iovs at 2^31: EFAULT', 'fd_write(1, 0x80000000, 1, OUT)', 21],
  ['fd_write from a buffer at 0xfffffff0: EFAULT', 'fd_write(1, iov(0xfffffff0, 32), 1, OUT)', 21],
  ['fd_write of 2^31 bytes: EFAULT', 'fd_write(1, iov(BUF, 0x80000000), 1, OUT)', 21],
  ['fd_write of 0xffffffff iovecs: EFAULT', 'fd_write(1, IOV, 0xffffffff, OUT)', 21],
  ['fd_read with nread at 2^31: EFAULT', 'fd_read(0, iov(BUF, 0), 1, 0x80000000)', 21],
  ['args_sizes_get into 2^31: EFAULT', 'args_sizes_get(0x80000000, OUT)', 21],
  ['environ_get into 0xfffffffc: EFAULT', 'environ_get(0xfffffffc, BUF)', 21],
  ['clock_time_get of clock 0xffffffff: EINVAL', 'clock_time_get(0xffffffff, 0, OUT)', 28],
  ['path_open of a path at 2^31: EFAULT', 'path_open(3, 1, 0x80000000, 4, 0, 2, 2, 0, OUT)', 21],
  ['path_open of a path 2^31 bytes long: EFAULT', 'path_open(3, 1, DATA, 0x80000000, 0, 2, 2, 0, OUT)', 21],
  ['path_open of /box/data', 'openData()', 0],
  ['fd_seek END -1 on it (the filedelta is signed)', 'fd_seek(dataFd, -1, 2, OUT)', 0],
  ['... at offset 9', '<u32>load<u64>(OUT)', 9],
  ['fd_seek CUR -10 on it: before the start, EINVAL', 'fd_seek(dataFd, -10, 1, OUT)', 28],
  ['fd_prestat_get of /box', 'fd_prestat_get(3, SCRATCH)', 0],
  ['... its name length, 4', 'load<u32>(SCRATCH + 4)', 4],
];

const GUEST = `
@external("wasi_snapshot_preview1", "path_open")
declare function path_open(fd: u32, dirflags: u32, path: usize, len: u32, oflags: u32, base: u64, inheriting: u64, fdflags: u32, out: usize): u32;
const DATA = memory.data<u8>([100, 97, 116, 97]); // "data"
let dataFd: u32 = 0;
function openData(): u32 {
  const r = path_open(3, 1, DATA, 4, 0, 2 | 4, 0, 0, OUT); // FD_READ | FD_SEEK
  dataFd = load<u32>(OUT);
  return r;
}
export function _start(): void {
${CASES.map(([, call]) => `  rec(<u32>(${call}));`).join('\n')}
  flush();
}`;

const guests = guestsForFile({ signed: GUEST }, 'wasmux-signed-');

describe('signed and huge i32 arguments, from AssemblyScript', () => {
  let got: number[] = [];
  let exitCode: number | undefined;
  beforeAll(async () => {
    const box = join(guests.work, 'box');
    await mkdir(box);
    await writeFile(join(box, 'data'), '0123456789');
    const outPath = join(guests.work, 'signed.out');
    const fd = openSync(outPath, 'w');
    try {
      ({ exitCode } = await runWasi(guests.path('signed'), {
        preopens: { '/box': box }, stdout: fd, stderr: fd, signal: AbortSignal.timeout(30_000),
      }));
    } finally {
      closeSync(fd);
    }
    got = [...Buffer.from(await readText(outPath), 'latin1')];
  });
  CASES.forEach(([name, , want], i) => {
    it(name, () => expect(got[i]).toBe(want));
  });
  it('the guest reports every case and exits 0', () => {
    expect(exitCode).toBe(0);
    expect(got).toHaveLength(CASES.length);
  });
});
