/**
 * The worker entry of a WASI run (see run-wasi.ts): instantiates the guest with node:wasi's
 * imports, of which the socket and polling calls are replaced by ours, and runs `_start`.
 * Posts { op: 'exit', code } when the guest returns or calls proc_exit.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { WasiErrno } from './errno.js';
import { GuestContext, type RawImports } from './guest-context.js';
import { GuestMemory } from './memory.js';
import { SharedState, type SharedLayout } from './shared-state.js';
import {
  fdClose, fdFdstatGet, fdFdstatSetFlags, fdFilestatGet, fdRead, fdRenumber, fdWrite, SOCKET_REFUSALS,
} from './syscalls/fd.js';
import { pollOneoff } from './syscalls/poll-oneoff.js';
import { sockAccept, sockRecv, sockSend, sockShutdown } from './syscalls/sock.js';

/** What run-wasi.ts sends. */
export interface GuestWorkerData {
  module: WebAssembly.Module;
  args: string[];
  env: Record<string, string>;
  /** [guest path, host path] in fd order: the listeners' hidden directories first. */
  preopens: Array<[string, string]>;
  stdin: number;
  stdout: number;
  stderr: number;
  sab: SharedArrayBuffer;
  layout: SharedLayout;
  /** How many listeners: fds 3 .. 3 + listeners - 1, in slots 0 .. listeners - 1. */
  listeners: number;
}

type Fn = (...args: number[]) => number;

/** Our implementation's errno (WasiErrno) becomes the call's result; anything else is a host bug and propagates. */
function guarded(fn: Fn): Fn {
  return (...args) => {
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
    imports[name] = (...args) => (fdArgs.some((i) => ctx.socket(args[i]!) !== undefined) ? errno : inner(...args));
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
  };
  for (const [name, fn] of Object.entries(ours)) imports[name] = guarded(fn);
  return imports;
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
    stdin: data.stdin,
    stdout: data.stdout,
    stderr: data.stderr,
    returnOnExit: true,
  });
  const memory = new GuestMemory();
  const ctx = new GuestContext(new SharedState(data.sab, data.layout), memory, wasi.wasiImport as unknown as RawImports, port);
  for (let i = 0; i < data.listeners; i++) ctx.sockets.set(3 + i, { slot: i, listener: true, nonblock: false });
  const instance = new WebAssembly.Instance(data.module, {
    wasi_snapshot_preview1: wrapImports(ctx, ctx.raw),
  });
  const exported = instance.exports['memory'];
  if (exported instanceof WebAssembly.Memory) memory.attach(exported);
  const code = wasi.start(instance);
  port.postMessage({ op: 'exit', code });
}

if (parentPort !== null && workerData !== null && typeof workerData === 'object' && 'sab' in workerData) {
  await main();
}
