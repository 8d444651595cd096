/**
 * The worker entry of a WASI run (see run-wasi.ts): instantiates the guest with our own
 * implementation of every wasi_snapshot_preview1 import (no node:wasi: its behaviour differs by
 * runtime, and it leaves path resolution unsandboxed) and runs `_start`. Posts
 * { op: 'exit', code } when the guest returns or calls proc_exit, and { op: 'trap', ... } when it
 * traps; then waits for the main thread to end the worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { WasiErrno } from './errno.js';
import { HostFdLedger } from './fd-table.js';
import { GuestContext, GuestExit, GuestStopped } from './guest-context.js';
import { GuestMemory } from './memory.js';
import { SharedState, type SharedLayout } from './shared-state.js';
import { clockResGet, clockTimeGet } from './syscalls/clock.js';
import {
  fdClose, fdFdstatGet, fdFdstatSetFlags, fdFdstatSetRights, fdFilestatGet, fdPrestatDirName, fdPrestatGet, fdRead,
  fdRenumber, fdWrite, openPreopen,
} from './syscalls/fd.js';
import {
  fdAdvise, fdAllocate, fdDatasync, fdFilestatSetSize, fdFilestatSetTimes, fdPread, fdPwrite, fdReaddir, fdSeek, fdSync,
  fdTell,
} from './syscalls/files.js';
import {
  pathCreateDirectory, pathFilestatGet, pathFilestatSetTimes, pathLink, pathOpen, pathReadlink, pathRemoveDirectory,
  pathRename, pathSymlink, pathUnlinkFile,
} from './syscalls/paths.js';
import { pollOneoff } from './syscalls/poll-oneoff.js';
import { procExit, procRaise, randomGet, schedYield, StringList } from './syscalls/proc.js';
import { listenerSocket, sockAccept, sockRecv, sockSend, sockShutdown } from './syscalls/sock.js';
import { stdioEntry } from './syscalls/stdio.js';
import { isTrap, trapKind } from './traps.js';

/** What run-wasi.ts sends. */
export interface GuestWorkerData {
  module: WebAssembly.Module;
  args: string[];
  env: Record<string, string>;
  /** [guest path, host path] in fd order, after the listeners. */
  preopens: Array<[string, string]>;
  /** WASI filetypes of the host sides of the guest's fds 0, 1, 2. */
  stdioTypes: number[];
  sab: SharedArrayBuffer;
  layout: SharedLayout;
  /** How many listeners: fds 3 .. 3 + listeners - 1, in slots 0 .. listeners - 1. */
  listeners: number;
  /** The host fds the guest holds (HostFdLedger), for the main thread to close after a kill. */
  hostFds: SharedArrayBuffer;
}

type Implementation = (ctx: GuestContext, ...args: never[]) => number;

/**
 * Every preview1 import: its parameters as the witx lowers them (i: u32, I: u64, S: the signed
 * i64 filedelta of fd_seek), and our implementation. Wasm hands i32s to JavaScript as signed
 * Numbers and i64s as signed BigInts; the witx has no signed integer but filedelta, so each is
 * made unsigned once here (an fd of -31337 is the u32 4294935959: EBADF, not EINVAL).
 */
function importTable(args: StringList, env: StringList): Record<string, [string, Implementation]> {
  return {
    args_get: ['ii', (ctx, argv: number, buf: number) => args.get(ctx, argv, buf)],
    args_sizes_get: ['ii', (ctx, count: number, bytes: number) => args.sizes(ctx, count, bytes)],
    environ_get: ['ii', (ctx, environ: number, buf: number) => env.get(ctx, environ, buf)],
    environ_sizes_get: ['ii', (ctx, count: number, bytes: number) => env.sizes(ctx, count, bytes)],
    clock_res_get: ['ii', clockResGet],
    clock_time_get: ['iIi', clockTimeGet],
    fd_advise: ['iIIi', fdAdvise],
    fd_allocate: ['iII', fdAllocate],
    fd_close: ['i', fdClose],
    fd_datasync: ['i', fdDatasync],
    fd_fdstat_get: ['ii', fdFdstatGet],
    fd_fdstat_set_flags: ['ii', fdFdstatSetFlags],
    fd_fdstat_set_rights: ['iII', fdFdstatSetRights],
    fd_filestat_get: ['ii', fdFilestatGet],
    fd_filestat_set_size: ['iI', fdFilestatSetSize],
    fd_filestat_set_times: ['iIIi', fdFilestatSetTimes],
    fd_pread: ['iiiIi', fdPread],
    fd_prestat_get: ['ii', fdPrestatGet],
    fd_prestat_dir_name: ['iii', fdPrestatDirName],
    fd_pwrite: ['iiiIi', fdPwrite],
    fd_read: ['iiii', fdRead],
    fd_readdir: ['iiiIi', fdReaddir],
    fd_renumber: ['ii', fdRenumber],
    fd_seek: ['iSii', fdSeek],
    fd_sync: ['i', fdSync],
    fd_tell: ['ii', fdTell],
    fd_write: ['iiii', fdWrite],
    path_create_directory: ['iii', pathCreateDirectory],
    path_filestat_get: ['iiiii', pathFilestatGet],
    path_filestat_set_times: ['iiiiIIi', pathFilestatSetTimes],
    path_link: ['iiiiiii', pathLink],
    path_open: ['iiiiiIIii', pathOpen],
    path_readlink: ['iiiiii', pathReadlink],
    path_remove_directory: ['iii', pathRemoveDirectory],
    path_rename: ['iiiiii', pathRename],
    path_symlink: ['iiiii', pathSymlink],
    path_unlink_file: ['iii', pathUnlinkFile],
    poll_oneoff: ['iiii', pollOneoff],
    proc_exit: ['i', procExit],
    proc_raise: ['i', procRaise],
    random_get: ['ii', randomGet],
    sched_yield: ['', schedYield],
    sock_accept: ['iii', sockAccept],
    sock_recv: ['iiiiii', sockRecv],
    sock_send: ['iiiii', sockSend],
    sock_shutdown: ['ii', sockShutdown],
  };
}

/** Our implementations take at most nine arguments (path_open); the wrappers always pass nine. */
type Lowered = (a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown, f?: unknown, g?: unknown, h?: unknown, i?: unknown) => number;
type Call = (ctx: GuestContext, ...args: unknown[]) => number;

/**
 * Calls an implementation: a thrown WasiErrno becomes the call's result, anything else
 * (GuestExit, GuestStopped, a host bug) propagates out of the guest.
 */
function invoke(ctx: GuestContext, call: Call, a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, f: unknown, g: unknown,
  h: unknown, i: unknown): number {
  // A guest that caught proc_exit's exception (wasm exception handling) is still over.
  if (ctx.exitCode !== undefined) throw new GuestExit(ctx.exitCode);
  try {
    return call(ctx, a, b, c, d, e, f, g, h, i);
  } catch (error) {
    return errnoOf(error);
  }
}

/** A thrown WasiErrno is the call's result; anything else propagates out of the guest. */
function errnoOf(error: unknown): number {
  if (error instanceof WasiErrno) return error.errno;
  throw error;
}

const u32 = (x: unknown): number => (x as number) >>> 0;
const u64 = (x: unknown): bigint => BigInt.asUintN(64, x as bigint);
const s64 = (x: unknown): bigint => BigInt.asIntN(64, x as bigint);
const unused = (x: unknown): unknown => x;

/**
 * One import as the guest calls it: its arguments made unsigned (see importTable), then our
 * implementation. Fixed arities, no rest parameters: a fresh worker runs these interpreted for
 * its first calls, and every bytecode there is paid per file read or write.
 */
function lower(ctx: GuestContext, signature: string, implementation: Implementation): Lowered {
  const call = implementation as unknown as Call;
  if (!/[IS]/.test(signature)) {
    // Only u32s; the arguments past the signature are undefined and become 0, which no
    // implementation reads. Up to four (fd_read and fd_write: the calls of every chunk a file
    // copy moves) in one layer with invoke() inlined, and four parameters, not nine: measured
    // 0.3 us less per call in a fresh worker (bench:wasi-files).
    if (signature.length <= 4) {
      return (a, b, c, d) => {
        if (ctx.exitCode !== undefined) throw new GuestExit(ctx.exitCode);
        try {
          return call(ctx, (a as number) >>> 0, (b as number) >>> 0, (c as number) >>> 0, (d as number) >>> 0);
        } catch (error) {
          return errnoOf(error);
        }
      };
    }
    return (a, b, c, d, e, f, g, h, i) =>
      invoke(ctx, call, u32(a), u32(b), u32(c), u32(d), u32(e), u32(f), u32(g), u32(h), u32(i));
  }
  const [ca, cb, cc, cd, ce, cf, cg, ch, ci] = [...signature.padEnd(9, '-')].map(
    (kind) => (kind === 'i' ? u32 : kind === 'I' ? u64 : kind === 'S' ? s64 : unused),
  ) as [(x: unknown) => unknown, ...Array<(x: unknown) => unknown>];
  return (a, b, c, d, e, f, g, h, i) =>
    invoke(ctx, call, ca(a), cb!(b), cc!(c), cd!(d), ce!(e), cf!(f), cg!(g), ch!(h), ci!(i));
}

/** The guest's imports, all ours. */
export function guestImports(ctx: GuestContext, args: readonly string[], env: Record<string, string>): Record<string, unknown> {
  const table = importTable(new StringList(args), new StringList(Object.entries(env).map(([k, v]) => `${k}=${v}`)));
  return Object.fromEntries(Object.entries(table).map(([name, [signature, fn]]) => [name, lower(ctx, signature, fn)]));
}

/**
 * Fds 0-2, the listeners (3..), then the preopens, each host directory opened once here (a
 * missing one fails the run before the guest starts, as node:wasi did).
 */
function fillTable(ctx: GuestContext, data: GuestWorkerData): void {
  for (const stream of [0, 1, 2] as const) ctx.fds.set(stream, stdioEntry(stream, data.stdioTypes[stream] ?? 0));
  for (let i = 0; i < data.listeners; i++) ctx.fds.set(3 + i, listenerSocket(i));
  for (const [guestPath, hostPath] of data.preopens) ctx.fds.allocate(openPreopen(guestPath, hostPath));
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

function main(): void {
  const data = workerData as GuestWorkerData;
  const port = parentPort!;
  const memory = new GuestMemory();
  const ctx = new GuestContext(new SharedState(data.sab, data.layout), memory, port);
  ctx.fds.ledger = new HostFdLedger(data.hostFds);
  let outcome: ReturnType<typeof runStart>;
  try {
    fillTable(ctx, data);
    const instance = new WebAssembly.Instance(data.module, {
      wasi_snapshot_preview1: guestImports(ctx, data.args, data.env) as never,
    });
    const exported = instance.exports['memory'];
    const start = instance.exports['_start'];
    if (!(exported instanceof WebAssembly.Memory)) throw new TypeError('wasmux: the guest exports no memory');
    if (typeof start !== 'function') throw new TypeError('wasmux: the guest exports no _start (not a WASI command)');
    memory.attach(exported);
    outcome = runStart(start as () => unknown);
  } finally {
    // The host fds are the process's: the guest's files and directories are closed before the run ends.
    ctx.fds.closeHostFds();
  }
  if (outcome !== undefined) port.postMessage(outcome);
  // Stay until the main thread has taken the outcome and ends the worker: a worker that ended
  // by itself could be reported before its last messages on some runtimes.
  port.on('message', () => {});
}

if (parentPort !== null && workerData !== null && typeof workerData === 'object' && 'sab' in workerData) {
  main();
}
