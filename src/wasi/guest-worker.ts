/**
 * The worker entry of a WASI run (see run-wasi.ts): instantiates the guest with node:wasi's
 * imports, of which the socket, stdio, clock, polling and exit calls are replaced by ours, and
 * runs `_start`. Posts { op: 'exit', code } when the guest returns or calls proc_exit, and
 * { op: 'trap', ... } when it traps; then waits for the main thread to end the worker.
 *
 * node:wasi differs by runtime where it matters here (Bun's ignores returnOnExit and ends the
 * worker on proc_exit, returns undefined from start(), ignores the stdio fds; Deno's writes
 * nothing to them; their monotonic clocks have other origins), so node:wasi is used only for
 * what is the same everywhere: args, environment, random, files and directories.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { EBADF, WasiErrno } from './errno.js';
import { GuestContext, GuestExit, GuestStopped, type RawImports } from './guest-context.js';
import { GuestMemory } from './memory.js';
import { SharedState, type SharedLayout } from './shared-state.js';
import { clockResGet, clockTimeGet } from './syscalls/clock.js';
import {
  fdClose, fdFdstatGet, fdFdstatSetFlags, fdFilestatGet, fdRead, fdRenumber, fdWrite, SOCKET_REFUSALS,
} from './syscalls/fd.js';
import { pollOneoff } from './syscalls/poll-oneoff.js';
import { sockAccept, sockRecv, sockSend, sockShutdown } from './syscalls/sock.js';
import { isTrap, trapKind } from './traps.js';

/** What run-wasi.ts sends. */
export interface GuestWorkerData {
  module: WebAssembly.Module;
  args: string[];
  env: Record<string, string>;
  /** [guest path, host path] in fd order: the listeners' hidden directories first. */
  preopens: Array<[string, string]>;
  /** WASI filetypes of the host sides of the guest's fds 0, 1, 2. */
  stdioTypes: number[];
  sab: SharedArrayBuffer;
  layout: SharedLayout;
  /** How many listeners: fds 3 .. 3 + listeners - 1, in slots 0 .. listeners - 1. */
  listeners: number;
}

type Fn = (...args: number[]) => number;

/**
 * Our implementation's errno (WasiErrno) becomes the call's result; anything else (GuestExit,
 * GuestStopped, a host bug) propagates out of the guest.
 */
function guarded(ctx: GuestContext, fn: Fn): Fn {
  return (...args) => {
    // A guest that caught proc_exit's exception (wasm exception handling) is still over.
    if (ctx.exitCode !== undefined) throw new GuestExit(ctx.exitCode);
    try {
      return fn(...args);
    } catch (error) {
      if (error instanceof WasiErrno) return error.errno;
      throw error;
    }
  };
}

/** node:wasi's imports with the socket and polling calls replaced. */
export function wrapImports(ctx: GuestContext, raw: RawImports): Record<string, Fn> {
  const imports: Record<string, Fn> = { ...(raw as unknown as Record<string, Fn>) };
  for (const [name, { errno, fdArgs }] of Object.entries(SOCKET_REFUSALS)) {
    const inner = raw[name] as unknown as Fn | undefined;
    if (inner === undefined) continue;
    imports[name] = (...args) => {
      if (!fdArgs.some((i) => ctx.owns(args[i]!))) return inner(...args);
      return fdArgs.some((i) => ctx.stdioFd(args[i]!)?.closed === true) ? EBADF : errno;
    };
  }
  const ours: Record<string, Fn> = {
    fd_read: (fd, iovs, n, out) => fdRead(ctx, fd!, iovs!, n!, out!),
    fd_write: (fd, iovs, n, out) => fdWrite(ctx, fd!, iovs!, n!, out!),
    fd_close: (fd) => fdClose(ctx, fd!),
    fd_fdstat_get: (fd, buf) => fdFdstatGet(ctx, fd!, buf!),
    fd_fdstat_set_flags: (fd, flags) => fdFdstatSetFlags(ctx, fd!, flags!),
    fd_filestat_get: (fd, buf) => fdFilestatGet(ctx, fd!, buf!),
    fd_renumber: (from, to) => fdRenumber(ctx, from!, to!),
    poll_oneoff: (inPtr, outPtr, n, nevents) => pollOneoff(ctx, inPtr!, outPtr!, n!, nevents!),
    sock_accept: (fd, flags, roFd) => sockAccept(ctx, fd!, flags!, roFd!),
    sock_recv: (fd, iovs, n, flags, len, roFlags) => sockRecv(ctx, fd!, iovs!, n!, flags!, len!, roFlags!),
    sock_send: (fd, iovs, n, flags, len) => sockSend(ctx, fd!, iovs!, n!, flags!, len!),
    sock_shutdown: (fd, how) => sockShutdown(ctx, fd!, how!),
    clock_time_get: (id, precision, out) => clockTimeGet(ctx, id!, BigInt(precision!), out!),
    clock_res_get: (id, out) => clockResGet(ctx, id!, out!),
    proc_exit: (code) => {
      ctx.exitCode = code! >>> 0;
      throw new GuestExit(ctx.exitCode);
    },
  };
  for (const [name, fn] of Object.entries(ours)) imports[name] = guarded(ctx, fn);
  return imports;
}

/** How the guest ended: its exit code, or a trap; undefined when the run was cancelled. */
function runStart(start: () => unknown): { op: 'exit'; code: number } | { op: 'trap'; trap: string; message: string } | undefined {
  try {
    start();
    return { op: 'exit', code: 0 };
  } catch (error) {
    if (error instanceof GuestExit) return { op: 'exit', code: error.code };
    if (error instanceof GuestStopped) return undefined;
    if (isTrap(error)) return { op: 'trap', trap: trapKind(error.message), message: error.message };
    throw error; // a host bug: the worker's 'error' event carries it to runWasi
  }
}

async function main(): Promise<void> {
  // node:wasi announces itself as experimental on every run: that is not the guest's output.
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (rest[0] === 'ExperimentalWarning' && String(warning).includes('WASI')) return;
    (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
  const { WASI } = await import('node:wasi');
  const data = workerData as GuestWorkerData;
  const port = parentPort!;
  const wasi = new WASI({
    version: 'preview1',
    args: data.args,
    env: data.env,
    preopens: Object.fromEntries(data.preopens),
    returnOnExit: true,
  });
  const memory = new GuestMemory();
  const ctx = new GuestContext(new SharedState(data.sab, data.layout), memory, wasi.wasiImport as unknown as RawImports, port, data.stdioTypes);
  for (let i = 0; i < data.listeners; i++) ctx.sockets.set(3 + i, { slot: i, listener: true, nonblock: false });
  const instance = new WebAssembly.Instance(data.module, {
    wasi_snapshot_preview1: wrapImports(ctx, ctx.raw),
  });
  const exported = instance.exports['memory'];
  const start = instance.exports['_start'];
  if (!(exported instanceof WebAssembly.Memory)) throw new TypeError('wasmux: the guest exports no memory');
  if (typeof start !== 'function') throw new TypeError('wasmux: the guest exports no _start (not a WASI command)');
  memory.attach(exported);
  // node:wasi learns the memory from start(); its _start here is empty, and the guest's own runs
  // below, under our proc_exit and trap handling.
  wasi.start({ exports: { memory: exported, _start: () => {} } } as unknown as WebAssembly.Instance);
  const outcome = runStart(start as () => unknown);
  if (outcome !== undefined) port.postMessage(outcome);
  // Stay until the main thread has taken the outcome and ends the worker: a worker that ended
  // by itself could be reported before its last messages on some runtimes.
  port.on('message', () => {});
}

if (parentPort !== null && workerData !== null && typeof workerData === 'object' && 'sab' in workerData) {
  await main();
}
