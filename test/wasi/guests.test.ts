// The WASI test guests (test/wasi/guests/*.ts in AssemblyScript, test/wasi/c/echo.c), built
// into build/guests/ by scripts/build-guests.mjs (npm's pretest runs it).
//
// First each guest runs against a scripted preview1 stub: a few lines of "kernel" that decode the
// guest's subscriptions by the witx layouts and answer from queued data, so the guests' own
// logic and byte layouts are checked without any real host. Then they run under runWasi with
// real sockets on 127.0.0.1 and node:net clients (and a real pipe for stdin).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runWasi } from '../../src/index.js';
import { within } from '../examples/classic-helpers.js';
import { builtGuestPath } from './guest-helpers.js';

// The C guest needs clang-14 and Debian's wasi-libc (.ci/run installs them). The build decides:
// without the toolchain it writes echo-c.missing instead of echo-c.wasm, and the C tests skip
// with that reason in their titles. (Neither file: the guests were not built, and the tests fail.)
const missingPath = builtGuestPath('echo-c').replace(/\.wasm$/, '.missing');
const noC = existsSync(missingPath) ? readFileSync(missingPath, 'utf8').trim() : undefined;
const needsC = (title: string): string => (noC ? `${title} [skipped: ${noC}]` : title);

function loadGuest(name: string): WebAssembly.Module {
  const path = builtGuestPath(name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm run build:guests`);
  return new WebAssembly.Module(readFileSync(path));
}

// --- preview1 values and layouts (wasi_snapshot_preview1 witx) ------------------------------
const ERRNO_SUCCESS = 0;
const ERRNO_AGAIN = 6;
const ERRNO_BADF = 8;
const ERRNO_SPIPE = 70;
const EVENTTYPE_CLOCK = 0;
const EVENTTYPE_FD_READ = 1;
const EVENTTYPE_FD_WRITE = 2;
const CLOCKID_REALTIME = 0;
const CLOCKID_MONOTONIC = 1;
const FDFLAGS_NONBLOCK = 4;
const SDFLAGS_WR = 2;
const SUBSCRIPTION_SIZE = 48;
const EVENT_SIZE = 32;

type Subscription =
  | { userdata: bigint; type: typeof EVENTTYPE_CLOCK; clockId: number; timeout: bigint; precision: bigint; flags: number }
  | { userdata: bigint; type: typeof EVENTTYPE_FD_READ | typeof EVENTTYPE_FD_WRITE; fd: number };

/** subscription: userdata u64 @0, tag u8 @8, contents @16 (clock: id u32 @16, timeout u64 @24,
 * precision u64 @32, flags u16 @40; fd_readwrite: fd u32 @16). */
function readSubscriptions(view: DataView, ptr: number, n: number): Subscription[] {
  const subs: Subscription[] = [];
  for (let i = 0; i < n; i++) {
    const at = ptr + i * SUBSCRIPTION_SIZE;
    const userdata = view.getBigUint64(at, true);
    const type = view.getUint8(at + 8);
    if (type === EVENTTYPE_CLOCK) {
      subs.push({
        userdata, type, clockId: view.getUint32(at + 16, true), timeout: view.getBigUint64(at + 24, true),
        precision: view.getBigUint64(at + 32, true), flags: view.getUint16(at + 40, true),
      });
    } else if (type === EVENTTYPE_FD_READ || type === EVENTTYPE_FD_WRITE) {
      subs.push({ userdata, type, fd: view.getUint32(at + 16, true) });
    } else {
      throw new Error(`subscription ${i}: unknown eventtype ${type}`);
    }
  }
  return subs;
}

/** event: userdata u64 @0, error u16 @8, type u8 @10, nbytes u64 @16, flags u16 @24. */
function writeEvent(view: DataView, ptr: number, i: number, sub: Subscription, error = 0, nbytes = 0): void {
  const at = ptr + i * EVENT_SIZE;
  for (let b = 0; b < EVENT_SIZE; b++) view.setUint8(at + b, 0);
  view.setBigUint64(at, sub.userdata, true);
  view.setUint16(at + 8, error, true);
  view.setUint8(at + 10, sub.type);
  view.setBigUint64(at + 16, BigInt(nbytes), true);
}

/** The bytes an iovec array points at, as [ptr, len] pairs. */
function iovecs(view: DataView, ptr: number, n: number): Array<[number, number]> {
  return Array.from({ length: n }, (_, i) => [view.getUint32(ptr + 8 * i, true), view.getUint32(ptr + 8 * i + 4, true)]);
}

class Exit {
  constructor(readonly code: number) {}
}

type Syscall = (...args: number[]) => number | void;
type Stub = { view: () => DataView; stdout: () => string };

/**
 * Runs `module`'s _start with `args` and the given preview1 functions, plus args_*, fd_write
 * to 1 and 2 (captured, at most 5 bytes per call so that the guests' write loops loop) and
 * proc_exit. Returns the exit code and the output.
 */
function runWithStub(
  module: WebAssembly.Module,
  args: string[],
  calls: (stub: Stub) => Record<string, Syscall>,
): { code: number; stdout: string; stderr: string } {
  const maxWrite = 5;
  let memory: WebAssembly.Memory | undefined;
  const view = (): DataView => new DataView(memory!.buffer);
  const out: Record<number, Buffer[]> = { 1: [], 2: [] };
  const stdout = (): string => Buffer.concat(out[1]).toString();
  const encoded = args.map((a) => Buffer.from(`${a}\0`));
  const imports: Record<string, Syscall> = {
    args_sizes_get: (argc, size) => {
      view().setUint32(argc, args.length, true);
      view().setUint32(size, encoded.reduce((n, a) => n + a.length, 0), true);
      return ERRNO_SUCCESS;
    },
    args_get: (argv, buf) => {
      encoded.forEach((a, i) => {
        view().setUint32(argv + 4 * i, buf, true);
        new Uint8Array(memory!.buffer, buf, a.length).set(a);
        buf += a.length;
      });
      return ERRNO_SUCCESS;
    },
    fd_write: (fd, iovs, n, written) => {
      if (!(fd in out)) return ERRNO_BADF;
      const [[ptr, len]] = iovecs(view(), iovs, n).filter(([, l]) => l > 0).concat([[0, 0]]);
      const take = Math.min(len, maxWrite);
      out[fd].push(Buffer.from(new Uint8Array(memory!.buffer, ptr, take)));
      view().setUint32(written, take, true);
      return ERRNO_SUCCESS;
    },
    proc_exit: (code) => {
      throw new Exit(code);
    },
    ...calls({ view, stdout }),
  };
  const instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: imports });
  memory = instance.exports.memory as WebAssembly.Memory;
  let code = 0;
  try {
    (instance.exports._start as () => void)();
  } catch (error) {
    if (!(error instanceof Exit)) throw error;
    code = error.code;
  }
  return { code, stdout: stdout(), stderr: Buffer.concat(out[2]).toString() };
}

// WebAssembly.Module.imports, which src/core/webassembly.d.ts (the project's slice of the API)
// does not declare.
const moduleImports = (WebAssembly.Module as unknown as {
  imports(module: WebAssembly.Module): Array<{ module: string; name: string }>;
}).imports;
const importNames = (module: WebAssembly.Module): string[] =>
  moduleImports(module).map((i) => `${i.module}.${i.name}`).sort();

describe('the guests import exactly what they use', () => {
  const preview1 = (...names: string[]): string[] => names.map((n) => `wasi_snapshot_preview1.${n}`).sort();

  it('echo: sockets and poll_oneoff, args for N, fd_write for diagnostics', () => {
    const module = loadGuest('echo');
    const expected = preview1('args_get', 'args_sizes_get', 'fd_close', 'fd_write', 'poll_oneoff',
      'proc_exit', 'sock_accept', 'sock_recv', 'sock_send', 'sock_shutdown');
    expect(importNames(module)).toEqual(expected);
    // Instantiating against a stub of exactly these functions links (a missing one would throw
    // a LinkError), and exports what a WASI command exports.
    const stub = Object.fromEntries(expected.map((n) => [n.split('.')[1], () => ERRNO_BADF]));
    const instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: stub });
    expect(Object.keys(instance.exports).sort()).toEqual(['_start', 'memory']);
  });

  it('upper: poll_oneoff and fd_read on stdin, fd_write', () => {
    expect(importNames(loadGuest('upper'))).toEqual(
      preview1('fd_read', 'fd_write', 'poll_oneoff', 'proc_exit'));
  });

  it.skipIf(noC !== undefined)(needsC('echo-c: what wasi-libc turns poll/accept/recv/send/close into'), () => {
    const names = importNames(loadGuest('echo-c'));
    for (const call of ['poll_oneoff', 'sock_accept', 'sock_recv', 'sock_send', 'sock_shutdown', 'fd_close']) {
      expect(names).toContain(`wasi_snapshot_preview1.${call}`);
    }
  });
});

/**
 * A scripted socket "kernel" for the echo guests: listener fd 3 hands out `clients` in order,
 * each with its queued input chunks followed by EOF; sends are recorded, taking at most
 * `maxSend` bytes per call and, on non-blocking sockets, answering AGAIN every other call.
 */
function echoKernel(clients: string[][], maxSend = 3) {
  const pending = clients.map((chunks, i) => ({ fd: 4 + i, input: chunks.map((c) => Buffer.from(c)) }));
  const conns = new Map<number, { input: Buffer[]; eof: boolean; nonblock: boolean; sent: Buffer[]; again: boolean }>();
  const log = {
    polls: [] as Subscription[][], accepts: [] as number[], shutdowns: [] as Array<[number, number]>,
    closed: [] as number[], sent: new Map<number, string>(),
  };
  const readable = (fd: number): boolean =>
    fd === 3 ? pending.length > 0 : (conns.get(fd)?.input.length ?? 0) > 0 || conns.get(fd)?.eof === false;

  const calls = ({ view }: Stub): Record<string, Syscall> => ({
    poll_oneoff: (inPtr, outPtr, n, nevents) => {
      const subs = readSubscriptions(view(), inPtr, n);
      log.polls.push(subs);
      const ready = subs.filter((s) =>
        (s.type === EVENTTYPE_FD_READ && readable(s.fd)) || (s.type === EVENTTYPE_FD_WRITE && conns.has(s.fd)));
      // The clock fires only when nothing else would ever happen: nothing here arrives later.
      const events = ready.length > 0 ? ready : subs.filter((s) => s.type === EVENTTYPE_CLOCK);
      if (events.length === 0) throw new Error('the guest would block forever');
      events.forEach((s, i) => writeEvent(view(), outPtr, i, s));
      view().setUint32(nevents, events.length, true);
      return ERRNO_SUCCESS;
    },
    sock_accept: (fd, flags, newFd) => {
      log.accepts.push(flags);
      const next = fd === 3 ? pending.shift() : undefined;
      if (!next) return fd === 3 ? ERRNO_AGAIN : ERRNO_BADF;
      conns.set(next.fd, { input: next.input, eof: false, nonblock: (flags & FDFLAGS_NONBLOCK) !== 0, sent: [], again: false });
      view().setUint32(newFd, next.fd, true);
      return ERRNO_SUCCESS;
    },
    sock_recv: (fd, iovs, n, _flags, datalen, roflags) => {
      const conn = conns.get(fd);
      if (!conn) return ERRNO_BADF;
      const [[ptr, len]] = iovecs(view(), iovs, n);
      const chunk = conn.input.shift() ?? Buffer.alloc(0);
      if (chunk.length === 0) conn.eof = true;
      const take = chunk.subarray(0, len);
      if (take.length < chunk.length) conn.input.unshift(chunk.subarray(len));
      new Uint8Array(view().buffer, ptr, take.length).set(take);
      view().setUint32(datalen, take.length, true);
      view().setUint16(roflags, 0, true);
      return ERRNO_SUCCESS;
    },
    sock_send: (fd, iovs, n, _flags, datalen) => {
      const conn = conns.get(fd);
      if (!conn) return ERRNO_BADF;
      if (conn.nonblock && (conn.again = !conn.again)) return ERRNO_AGAIN;
      const [[ptr, len]] = iovecs(view(), iovs, n);
      const take = Math.min(len, maxSend);
      conn.sent.push(Buffer.from(new Uint8Array(view().buffer, ptr, take)));
      view().setUint32(datalen, take, true);
      return ERRNO_SUCCESS;
    },
    sock_shutdown: (fd, how) => {
      log.shutdowns.push([fd, how]);
      return conns.has(fd) ? ERRNO_SUCCESS : ERRNO_BADF;
    },
    // wasi-libc's stdio links fd_seek; stderr is not seekable.
    fd_seek: () => ERRNO_SPIPE,
    fd_close: (fd) => {
      const conn = conns.get(fd);
      if (!conn) return ERRNO_BADF;
      log.closed.push(fd);
      log.sent.set(fd, Buffer.concat(conn.sent).toString());
      conns.delete(fd);
      return ERRNO_SUCCESS;
    },
  });
  return { calls, log };
}

const echoGuests = [
  { name: 'echo', skip: false, clock: CLOCKID_MONOTONIC, acceptFlags: FDFLAGS_NONBLOCK },
  // wasi-libc's poll() sends a relative REALTIME clock; its accept() a blocking socket.
  { name: 'echo-c', skip: noC !== undefined, clock: CLOCKID_REALTIME, acceptFlags: 0 },
];

describe.each(echoGuests)('$name guest on a scripted stub', ({ name, skip, clock, acceptFlags }) => {
  const title = (t: string): string => (name === 'echo-c' ? needsC(t) : t);

  it.skipIf(skip)(title('accepts on fd 3, echoes every connection, exits 0 after N have closed'), () => {
    const { calls, log } = echoKernel([['hello', ' world'], ['x'], ['a longer line\n', 'and more']]);
    const result = runWithStub(loadGuest(name), [name, '3', '250'], calls);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(Object.fromEntries(log.sent)).toEqual({ 4: 'hello world', 5: 'x', 6: 'a longer line\nand more' });
    expect(log.closed.sort()).toEqual([4, 5, 6]);
    expect(log.shutdowns.sort()).toEqual([[4, SDFLAGS_WR], [5, SDFLAGS_WR], [6, SDFLAGS_WR]]);
    expect(log.accepts).toEqual([acceptFlags, acceptFlags, acceptFlags]);
    // The main wait: the listener and every open connection for reading, and the timeout as a
    // relative clock of 250 ms. At some point all three connections were open at once.
    const mainWaits = log.polls.filter((subs) => subs.some((s) => s.type === EVENTTYPE_CLOCK));
    for (const subs of mainWaits) {
      const clocks = subs.filter((s) => s.type === EVENTTYPE_CLOCK);
      expect(clocks).toEqual([expect.objectContaining({ clockId: clock, timeout: 250_000_000n, flags: 0 })]);
      expect(subs.filter((s) => s.type === EVENTTYPE_FD_READ).map((s) => 'fd' in s && s.fd)).toContain(3);
    }
    expect(mainWaits.some((subs) => [4, 5, 6].every((fd) => subs.some((s) => 'fd' in s && s.fd === fd)))).toBe(true);
  });

  it.skipIf(skip)(title('exits 3 when the clock fires with no client, and 1 without a count'), () => {
    const idle = runWithStub(loadGuest(name), [name, '1', '100'], echoKernel([]).calls);
    expect(idle.code).toBe(3);
    expect(idle.stderr).toMatch(/idle for 100 ms, 0 of 1/);
    const usage = runWithStub(loadGuest(name), [name], echoKernel([]).calls);
    expect(usage.code).toBe(1);
    expect(usage.stderr).toMatch(/usage/);
  });
});

describe('upper guest on a scripted stub', () => {
  it('waits with poll_oneoff, reads stdin, writes each line upper-cased once its newline is in', () => {
    const chunks = ['hel', 'lo, wasi\nwor', 'ld é\n', 'tail without newline'];
    const seenAtRead: string[] = []; // stdout so far, each time the guest reads
    let waits = 0;
    const result = runWithStub(loadGuest('upper'), ['upper'], ({ view, stdout }) => ({
      poll_oneoff: (inPtr, outPtr, n, nevents) => {
        const subs = readSubscriptions(view(), inPtr, n);
        expect(subs).toEqual([{ userdata: 0n, type: EVENTTYPE_FD_READ, fd: 0 }]);
        writeEvent(view(), outPtr, 0, subs[0], 0, chunks[0]?.length ?? 0);
        view().setUint32(nevents, 1, true);
        waits++;
        return ERRNO_SUCCESS;
      },
      fd_read: (fd, iovs, n, nread) => {
        expect(fd).toBe(0);
        seenAtRead.push(stdout());
        const [[ptr, len]] = iovecs(view(), iovs, n);
        const chunk = Buffer.from(chunks.shift() ?? '');
        expect(chunk.length).toBeLessThanOrEqual(len);
        new Uint8Array(view().buffer, ptr, chunk.length).set(chunk);
        view().setUint32(nread, chunk.length, true);
        return ERRNO_SUCCESS;
      },
    }));
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('HELLO, WASI\nWORLD é\nTAIL WITHOUT NEWLINE');
    expect(waits).toBe(5); // one wait before each of the four chunks and before EOF
    // A line goes out when its newline comes in, not at EOF; non-ASCII bytes pass unchanged.
    expect(seenAtRead).toEqual(['', '', 'HELLO, WASI\n', 'HELLO, WASI\nWORLD é\n', 'HELLO, WASI\nWORLD é\n']);
  });
});

// --- under runWasi: real TCP on 127.0.0.1, node:net clients ----------------------------------

/** A node:net client on 127.0.0.1:port: `read(n)` resolves with its next n received bytes,
 * `end()` half-closes and resolves with what came after the last read, at the server's FIN. */
async function client(port: number): Promise<{ write(data: string | Buffer): void; read(n: number): Promise<Buffer>; end(): Promise<Buffer> }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  let received = Buffer.alloc(0);
  let wake = (): void => {};
  let ended = false;
  let failure: Error | undefined;
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    wake();
  });
  socket.on('end', () => {
    ended = true;
    wake();
  });
  socket.on('error', (error) => {
    failure = error;
    wake();
  });
  await within(new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject)), `connect to ${port}`);
  /** Resolves once `done()` holds, re-checking at each event of the socket. */
  const until = (what: string, done: () => boolean): Promise<void> => within(new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (failure) reject(failure);
      else if (done()) resolve();
      else if (ended) reject(new Error(`${what}: the server closed first (${received.length} bytes buffered)`));
    };
    wake = check;
    check();
  }), what);
  return {
    write: (data) => socket.write(data),
    async read(n) {
      await until(`read ${n} bytes`, () => received.length >= n);
      const head = received.subarray(0, n);
      received = received.subarray(n);
      return head;
    },
    async end() {
      socket.end();
      await until('the server FIN', () => ended);
      socket.destroy();
      return received;
    },
  };
}

/** Runs a guest with one listener on 127.0.0.1 (port 0); resolves once it listens. */
async function startGuest(name: string, args: string[]) {
  const outPath = join(await mkdtemp(join(tmpdir(), 'wasmux-guest-')), 'out');
  const outFd = openSync(outPath, 'w');
  let port!: (n: number) => void;
  const listening = new Promise<number>((resolve) => (port = resolve));
  const run = runWasi(builtGuestPath(name), {
    args, listen: [{ host: '127.0.0.1', port: 0 }], stdout: outFd, stderr: outFd,
    onListening: (addresses) => port(addresses[0].port),
  });
  // The run failing before it listens must fail the test, not leave it waiting.
  const started = await within(Promise.race([listening, run.then(() => -1)]), `${name} listening`);
  expect(started).toBeGreaterThan(0);
  return {
    port: started,
    /** The exit code and everything the guest wrote to stdout and stderr. */
    async finish(): Promise<{ exitCode: number; output: string }> {
      try {
        const { exitCode } = await within(run, `${name} exiting`);
        return { exitCode, output: readFileSync(outPath, 'utf8') };
      } finally {
        closeSync(outFd);
        await rm(dirname(outPath), { recursive: true, force: true });
      }
    },
  };
}

describe.each(echoGuests)('$name guest under runWasi', ({ name, skip }) => {
  const title = (t: string): string => (name === 'echo-c' ? needsC(t) : t);

  it.skipIf(skip)(title('serves several open connections at once, then exits 0 after the N-th closes'), async () => {
    const guest = await startGuest(name, [name, '4', '10000']);
    const clients = await Promise.all([0, 1, 2, 3].map(() => client(guest.port)));
    // Every client writes before any reply is awaited: one poll_oneoff sees several ready.
    for (let round = 0; round < 3; round++) {
      const lines = clients.map((_, i) => `round ${round} from client ${i}\n`);
      clients.forEach((c, i) => c.write(lines[i]));
      const replies = await Promise.all(clients.map((c, i) => c.read(Buffer.byteLength(lines[i]))));
      expect(replies.map(String)).toEqual(lines);
    }
    // Our FIN, then the guest's: nothing extra came back on any connection.
    for (const rest of await Promise.all(clients.map((c) => c.end()))) expect(rest.length).toBe(0);
    expect(await guest.finish()).toEqual({ exitCode: 0, output: '' });
  });

  it.skipIf(skip)(title('echoes 4 MiB on one connection intact (the send path waits for room)'), async () => {
    const guest = await startGuest(name, [name, '1', '10000']);
    const payload = Buffer.alloc(4 << 20);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 2654435761) >>> 24;
    const c = await client(guest.port);
    c.write(payload);
    const echoed = await c.read(payload.length);
    expect(echoed.equals(payload)).toBe(true);
    expect((await c.end()).length).toBe(0);
    expect(await guest.finish()).toEqual({ exitCode: 0, output: '' });
  });

  it.skipIf(skip)(title('with no client, its clock subscription ends it: exit 3 after the idle time, not before'), async () => {
    const started = performance.now();
    const guest = await startGuest(name, [name, '1', '300']);
    const { exitCode, output } = await guest.finish();
    expect(exitCode).toBe(3);
    expect(output).toMatch(/idle for 300 ms, 0 of 1 connections closed/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
  });
});

describe('upper guest under runWasi', () => {
  // stdin must be a stream that stays open between lines, so the guest runs in a child Node
  // process whose fd 0 and 1 are pipes (runWasi's default stdio), from the built dist/.
  const dist = fileURLToPath(new URL('../../dist/src/index.js', import.meta.url));

  it('answers each line as it comes, blocking in poll_oneoff on stdin in between, and exits 0 at EOF', async () => {
    if (!existsSync(dist)) throw new Error(`${dist} is missing: run npm run build`);
    const dir = await mkdtemp(join(tmpdir(), 'wasmux-upper-'));
    const script = join(dir, 'run-upper.mjs');
    writeFileSync(script, `import { runWasi } from ${JSON.stringify(pathToFileURL(dist).href)};
      process.exitCode = (await runWasi(process.argv[2], { args: ['upper'] })).exitCode;\n`);
    const child = spawn(process.execPath, [script, builtGuestPath('upper')]);
    let stdout = '';
    let stderr = '';
    let wake = (): void => {};
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      wake();
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
      resolve(code);
      wake();
    }));
    const stdoutIs = (expected: string): Promise<void> => within(new Promise<void>((resolve, reject) => {
      wake = () => {
        if (stdout === expected) resolve();
        else if (child.exitCode !== null || !expected.startsWith(stdout)) {
          reject(new Error(`stdout ${JSON.stringify(stdout)}, waiting for ${JSON.stringify(expected)}; stderr ${stderr}`));
        }
      };
      wake();
    }), `stdout ${JSON.stringify(expected)}`);
    try {
      child.stdin.write('hello, wasi\n');
      await stdoutIs('HELLO, WASI\n');
      // Only now the next line: the guest was waiting on an open, empty stdin meanwhile.
      child.stdin.write('second Line\nand a ');
      await stdoutIs('HELLO, WASI\nSECOND LINE\n');
      child.stdin.end('tail');
      await stdoutIs('HELLO, WASI\nSECOND LINE\nAND A TAIL');
      expect(await within(exited, 'the child exiting')).toBe(0);
    } finally {
      child.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
