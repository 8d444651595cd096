// The guest's stdio, exit codes and traps are wasmux's own (not node:wasi's, which differs by
// runtime): stdout/stderr to an fd, a Writable or a callback, in order and complete when runWasi
// resolves; stdin from a string, bytes, a Readable or an fd, through the ring poll_oneoff watches;
// fds 0-2 answer fd_fdstat_get, refuse what a pipe refuses, and stay closed once closed; proc_exit
// codes and traps come out the same on every runtime.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runWasi, WasiTrapError, type RunWasiOptions } from '../../src/index.js';
import { within } from '../examples/classic-helpers.js';
import { builtGuestPath, guestsForFile } from './guest-helpers.js';

const OUT_HELPERS = `
function put(fd: u32, s: string): void {
  const b = String.UTF8.encode(s);
  fd_write(fd, iov(changetype<usize>(b), b.byteLength), 1, OUT);
}
/** Writes all of [ptr, ptr + len) to fd; exits 100 + errno if a write fails. */
function writeAll(fd: u32, ptr: usize, len: u32): void {
  let off: u32 = 0;
  while (off < len) {
    const e = fd_write(fd, iov(ptr + off, len - off), 1, OUT);
    if (e != 0) proc_exit(100 + e);
    off += load<u32>(OUT);
  }
}
`;

const CHUNKS = 48; // 48 x 64 KiB = 3 MiB: three times what may be on its way to the main thread
const chunkByte = (k: number, j: number): number => (k * 7 + j * 13) & 0xff;

const SOURCES = {
  // Interleaved stdout/stderr, then 3 MiB to stdout, then proc_exit(5) at once.
  bulk: OUT_HELPERS + `
export function _start(): void {
  put(1, "o1"); put(2, "e1"); put(1, "o2"); put(2, "e2");
  for (let k: u32 = 0; k < ${CHUNKS}; k++) {
    for (let j: u32 = 0; j < 65536; j++) store<u8>(BUF + j, <u8>(k * 7 + j * 13));
    writeAll(1, BUF, 65536);
  }
  put(2, "done");
  proc_exit(5);
}`,
  // Writes to stdout until a write fails; exits with that errno.
  epipe: `
export function _start(): void {
  for (let i = 0; i < 100000; i++) {
    const e = fd_write(1, iov(BUF, 1024), 1, OUT);
    if (e != 0) proc_exit(e);
  }
  proc_exit(0);
}`,
  // Copies stdin to stdout until EOF.
  cat: OUT_HELPERS + `
export function _start(): void {
  for (;;) {
    const e = fd_read(0, iov(BUF, 65536), 1, OUT2);
    if (e != 0) proc_exit(100 + e);
    const n = load<u32>(OUT2);
    if (n == 0) return;
    writeAll(1, BUF, n);
  }
}`,
  // What fds 0, 1 and 2 answer; the report goes to stderr (stdout is closed on the way).
  fds: `
function stat(fd: u32): void {
  rec(fd_fdstat_get(fd, SCRATCH));
  rec(load<u8>(SCRATCH));
  rec(<u8>load<u64>(SCRATCH + 8)); // the low byte of the rights: FD_READ 2, FD_FDSTAT_SET_FLAGS 8, FD_WRITE 64
}
export function _start(): void {
  stat(0);
  stat(1);
  stat(2);
  rec(fd_seek(1, 0, 0, OUT));
  rec(fd_read(1, iov(BUF, 4), 1, OUT));
  rec(fd_write(0, iov(BUF, 4), 1, OUT));
  rec(fd_renumber(2, 77)); // 77 is not open: EBADF (renumbering stdio itself is allowed, see host-files.test.ts)
  rec(fd_prestat_get(1, SCRATCH));
  rec(fd_fdstat_set_flags(1, 1)); // APPEND: not for a stream
  rec(fd_close(1));
  rec(fd_close(1));
  rec(fd_write(1, iov(BUF, 4), 1, OUT));
  rec(fd_fdstat_get(1, SCRATCH));
  rec(fd_seek(1, 0, 0, OUT));
  rec(fd_fdstat_set_flags(0, 4));
  rec(fd_read(0, iov(BUF, 4), 1, OUT)); // "x"
  rec(load<u32>(OUT));
  rec(fd_read(0, iov(BUF, 4), 1, OUT)); // EOF: 0 bytes, not EAGAIN
  rec(load<u32>(OUT));
  rec(fd_close(0));
  rec(fd_read(0, iov(BUF, 4), 1, OUT));
  memory.fill(SUBS, 0, 48);
  store<u8>(SUBS + 8, 1);
  rec(poll_oneoff(SUBS, EVENTS, 1, OUT));
  rec(<u8>load<u16>(EVENTS + 8)); // the event's error
  fd_write(2, iov(REPORT, reportLen), 1, OUT);
}`,
  // NONBLOCK stdout: 64 KiB writes until EAGAIN; then, after saying 'P' on stderr, a poll_oneoff
  // for writing on fd 1 with a 5 s clock. Reports on stderr: the errno that ended the writes, the
  // bytes written (u32), the poll's event count, userdata and whether nbytes > 0.
  nonblock: `
export function _start(): void {
  check(fd_fdstat_set_flags(1, 4), 1);
  let total: u32 = 0;
  let e: u32 = 0;
  for (let i = 0; i < 1000; i++) {
    e = fd_write(1, iov(BUF, 65536), 1, OUT);
    if (e != 0) break;
    total += load<u32>(OUT);
  }
  store<u8>(SCRATCH, 80);
  fd_write(2, iov(SCRATCH, 1), 1, OUT);
  memory.fill(SUBS, 0, 96);
  store<u64>(SUBS, 1);
  store<u8>(SUBS + 8, 2);
  store<u32>(SUBS + 16, 1);
  store<u64>(SUBS + 48, 2);
  store<u32>(SUBS + 64, 1);
  store<u64>(SUBS + 72, 5_000_000_000);
  check(poll_oneoff(SUBS, EVENTS, 2, OUT2), 2);
  store<u32>(REPORT, e);
  store<u32>(REPORT + 4, total);
  store<u32>(REPORT + 8, load<u32>(OUT2));
  store<u32>(REPORT + 12, <u32>load<u64>(EVENTS));
  store<u32>(REPORT + 16, load<u64>(EVENTS + 16) > 0 ? 1 : 0);
  fd_write(2, iov(REPORT, 20), 1, OUT);
}`,
  exit300: `
export function _start(): void {
  proc_exit(300);
}`,
  ret: `
export function _start(): void {
  fd_write(1, iov(BUF, 0), 1, OUT);
}`,
  trapUnreachable: `
export function _start(): void {
  unreachable();
}`,
  trapOob: `
export function _start(): void {
  args_sizes_get(OUT, OUT2);
  rec(<u8>load<u32>(<usize>(0xfffffff0 + load<u32>(OUT))));
  flush();
}`,
  trapDiv: `
export function _start(): void {
  args_sizes_get(OUT, OUT2);
  rec(<u8>(10 / (load<u32>(OUT) - 1)));
  flush();
}`,
  trapStack: `
function deep(n: u32): u32 {
  return deep(n + 1) + load<u8>(BUF + (n & 0xff));
}
export function _start(): void {
  rec(<u8>deep(0));
  flush();
}`,
};

const guests = guestsForFile(SOURCES, 'wasmux-stdio-');

const bulkBytes = (): Buffer => {
  const out = Buffer.alloc(CHUNKS * 65536);
  for (let k = 0; k < CHUNKS; k++) for (let j = 0; j < 65536; j++) out[k * 65536 + j] = chunkByte(k, j);
  return out;
};
const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** A Writable that keeps what it is given and completes each write only on a later turn (a slow reader). */
function slowSink(): { stream: Writable; bytes: () => Buffer; completed: () => number } {
  const chunks: Buffer[] = [];
  let completed = 0;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      setImmediate(() => {
        completed += chunk.length;
        done();
      });
    },
  });
  return { stream, bytes: () => Buffer.concat(chunks), completed: () => completed };
}

describe('stdout and stderr', () => {
  it('callbacks get every chunk in the order the guest wrote them, all before runWasi resolves', async () => {
    const log: string[] = [];
    const out: Buffer[] = [];
    const { exitCode } = await runWasi(guests.path('bulk'), {
      stdout: (chunk) => {
        expect(chunk).toBeInstanceOf(Uint8Array);
        out.push(Buffer.from(chunk));
        if (chunk.length <= 2) log.push(`1:${Buffer.from(chunk).toString()}`);
      },
      stderr: (chunk) => log.push(`2:${Buffer.from(chunk).toString()}`),
    });
    expect(exitCode).toBe(5);
    expect(log).toEqual(['1:o1', '2:e1', '1:o2', '2:e2', '2:done']);
    const all = Buffer.concat(out);
    expect(all.subarray(0, 4).toString()).toBe('o1o2');
    expect(sha(all.subarray(4))).toBe(sha(bulkBytes()));
  });

  it('a slow Writable holds the guest back and still has every byte, written, when runWasi resolves', async () => {
    const sink = slowSink();
    const errors: Buffer[] = [];
    const { exitCode } = await runWasi(guests.path('bulk'), { stdout: sink.stream, stderr: (c) => errors.push(Buffer.from(c)) });
    expect(exitCode).toBe(5);
    const total = 4 + CHUNKS * 65536;
    expect(sink.completed()).toBe(total); // every write's callback has run: nothing still on its way
    expect(sha(sink.bytes())).toBe(sha(Buffer.concat([Buffer.from('o1o2'), bulkBytes()])));
    expect(Buffer.concat(errors).toString()).toBe('e1e2done');
  });

  it('a host fd (a file) shared by stdout and stderr gets both in order', async () => {
    const path = join(guests.work, 'bulk.out');
    const fd = openSync(path, 'w');
    try {
      expect((await runWasi(guests.path('bulk'), { stdout: fd, stderr: fd })).exitCode).toBe(5);
    } finally {
      closeSync(fd);
    }
    const file = readFileSync(path);
    expect(file.subarray(0, 8).toString()).toBe('o1e1o2e2');
    expect(file.subarray(file.length - 4).toString()).toBe('done');
    expect(sha(file.subarray(8, file.length - 4))).toBe(sha(bulkBytes()));
  });

  it('NONBLOCK: EAGAIN once 1 MiB is on its way; poll_oneoff for writing wakes when the target catches up', async () => {
    // A Writable that completes nothing until released (a reader that has stopped reading).
    const held: Array<() => void> = [];
    let holding = true;
    let received = 0;
    const stuck = new Writable({
      write(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        if (holding) held.push(() => done());
        else done();
      },
    });
    let report = Buffer.alloc(0);
    let wake = (): void => {};
    const run = runWasi(guests.path('nonblock'), {
      stdout: stuck,
      stderr: (chunk) => {
        report = Buffer.concat([report, chunk]);
        wake();
      },
    });
    await within(new Promise<void>((resolve) => {
      wake = () => {
        if (report.length > 0) resolve();
      };
      wake();
    }), 'the guest saying P');
    // The guest is in (or on its way into) poll_oneoff, and none of its output has been written.
    expect(held.length).toBe(1); // a Writable takes one write at a time
    holding = false;
    held.pop()!();
    expect((await within(run, 'the guest ending')).exitCode).toBe(0);
    const EAGAIN = 6;
    const fields = [1, 5, 9, 13, 17].map((at) => report.readUInt32LE(at));
    expect(report[0]).toBe(0x50);
    // 15 whole writes and a short one fill the 1 MiB (each write counts 256 bytes more).
    expect(fields).toEqual([EAGAIN, 15 * 65536 + 61440, 1, 1, 1]);
    expect(received).toBe(15 * 65536 + 61440);
  });

  it('a Writable that fails gives the guest EPIPE (64) on a later write', async () => {
    let writes = 0;
    const broken = new Writable({
      write(_chunk, _encoding, done) {
        writes++;
        done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const { exitCode } = await runWasi(guests.path('epipe'), { stdout: broken });
    expect(exitCode).toBe(64);
    expect(writes).toBeGreaterThan(0);
  });

  it('a callback that throws ends the run with its error', async () => {
    const boom = new Error('boom');
    await expect(runWasi(guests.path('bulk'), { stdout: () => { throw boom; }, stderr: () => {} })).rejects.toBe(boom);
  });

  it('refuses a target that is neither an fd, a Writable nor a function (EINVAL)', async () => {
    await expect(runWasi(guests.path('ret'), { stdout: 'out.txt' as unknown as number })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(runWasi(guests.path('ret'), { stdin: {} as unknown as string })).rejects.toMatchObject({ code: 'EINVAL' });
  });
});

describe('stdin', () => {
  const cat = async (stdin: RunWasiOptions['stdin']): Promise<Buffer> => {
    const out: Buffer[] = [];
    const { exitCode } = await runWasi(guests.path('cat'), { stdin, stdout: (c) => out.push(Buffer.from(c)) });
    expect(exitCode).toBe(0);
    return Buffer.concat(out);
  };

  it('a string: its UTF-8 bytes, then EOF', async () => {
    expect((await cat('héllo, wasi\n')).toString()).toBe('héllo, wasi\n');
    expect((await cat('')).length).toBe(0);
  });

  it('bytes larger than the ring: all of them, in order', async () => {
    const bytes = Buffer.alloc(300_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    expect(sha(await cat(new Uint8Array(bytes)))).toBe(sha(bytes));
  });

  it('a Readable: its chunks as they come, then EOF at its end', async () => {
    const input = new PassThrough();
    const done = cat(input);
    input.write('one ');
    input.write(Buffer.alloc(100_000, 0x61));
    input.end(' two');
    const got = await within(done, 'cat of a Readable');
    expect(got.length).toBe(4 + 100_000 + 4);
    expect(got.subarray(0, 4).toString()).toBe('one ');
    expect(got.subarray(got.length - 4).toString()).toBe(' two');
  });

  it('a host fd (a file)', async () => {
    const path = join(guests.work, 'in.txt');
    writeFileSync(path, 'from a file\n'.repeat(1000));
    const fd = openSync(path, 'r');
    try {
      expect((await cat(fd)).toString()).toBe('from a file\n'.repeat(1000));
    } finally {
      closeSync(fd);
    }
  });

  it('a Readable polled with poll_oneoff: the upper guest answers each line as it comes', async () => {
    const upper = builtGuestPath('upper');
    const input = new PassThrough();
    let out = '';
    let wake = (): void => {};
    const run = runWasi(upper, { args: ['upper'], stdin: input, stdout: (c) => { out += Buffer.from(c).toString(); wake(); } });
    const outIs = (text: string): Promise<void> => within(new Promise<void>((resolve) => {
      wake = () => { if (out === text) resolve(); };
      wake();
    }), `stdout ${JSON.stringify(text)}`);
    input.write('hello\n');
    await outIs('HELLO\n');
    input.write('second line\nand a ');
    await outIs('HELLO\nSECOND LINE\n');
    input.end('tail');
    expect((await within(run, 'upper exiting')).exitCode).toBe(0);
    expect(out).toBe('HELLO\nSECOND LINE\nAND A TAIL');
  });
});

describe('fds 0, 1 and 2', () => {
  it('fdstat says what the host side is; pipe-like refusals; a closed fd stays closed (EBADF)', async () => {
    const path = join(guests.work, 'fds.err');
    const fd = openSync(path, 'w');
    try {
      expect((await runWasi(guests.path('fds'), { stdin: 'x', stdout: () => {}, stderr: fd })).exitCode).toBe(0);
    } finally {
      closeSync(fd);
    }
    const ESPIPE = 70;
    const EBADF = 8;
    const EINVAL = 28;
    expect([...readFileSync(path)]).toEqual([
      0, 0, 2 | 8, // stdin (a string): UNKNOWN, FD_READ | FD_FDSTAT_SET_FLAGS
      0, 0, 64 | 8, // stdout (a callback): UNKNOWN, FD_WRITE | FD_FDSTAT_SET_FLAGS
      0, 4, 64 | 8, // stderr (a file): REGULAR_FILE
      // fd_renumber(2, 77): EBADF, the witx's answer for a target that is not open (it was ENOTSUP
      // while node:wasi held the host's own fds behind 0-2; the fd table is ours now).
      ESPIPE, EBADF, EBADF, EBADF, EBADF, EINVAL,
      0, EBADF, EBADF, EBADF, EBADF, // fd_close(1), then everything on 1 is EBADF
      0, 0, 1, 0, 0, // NONBLOCK stdin: "x", then EOF
      0, EBADF, 0, EBADF, // fd_close(0): reads are EBADF, a poll gets an EBADF event
    ]);
  });
});

describe('exit codes and traps', () => {
  it('proc_exit gives its code as a u32; returning from _start gives 0', async () => {
    expect((await runWasi(guests.path('exit300'))).exitCode).toBe(300);
    expect((await runWasi(guests.path('ret'))).exitCode).toBe(0);
  });

  it.each([
    ['trapUnreachable', 'unreachable'],
    ['trapOob', 'out of bounds memory access'],
    ['trapDiv', 'integer divide by zero'],
    ['trapStack', 'call stack exhausted'],
  ])('%s rejects with a WasiTrapError naming the trap %j on every runtime', async (name, trap) => {
    const error = await runWasi(guests.path(name), { stdout: () => {} }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(WasiTrapError);
    expect(error).toMatchObject({ name: 'WasiTrapError', trap, message: `wasmux: the guest trapped: ${trap}` });
    expect(typeof (error as Error).cause).toBe('string'); // the engine's own words
  });
});
