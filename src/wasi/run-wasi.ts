import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { abortError, readSignal } from '../api/wait.js';
import { listen, Listener } from '../sources/tcp/listener.js';
import type { SocketAddress } from '../sources/tcp/address.js';
import type { ListenOptions } from '../sources/tcp/options.js';
import { HostFdLedger, LEDGER_CELLS } from './fd-table.js';
import type { GuestWorkerData } from './guest-worker.js';
import { OutputSinks, stdinSource, type InputSource, type OutputTarget } from './host-stdio.js';
import { RESPONSE, SharedState, STOP, type GuestMessage } from './shared-state.js';
import { SocketHost } from './socket-host.js';
import { WasiTrapError } from './traps.js';

export { WasiTrapError } from './traps.js';
export type { InputSource, OutputTarget } from './host-stdio.js';

export interface RunWasiOptions {
  /** The guest's argv, argv[0] included (as node:wasi takes it); default [the file's name]. */
  args?: string[];
  env?: Record<string, string>;
  /** Directories, guest path -> host path; fds after the listeners. A missing one rejects before the guest starts. */
  preopens?: Record<string, string>;
  /**
   * Listeners, preopened as fds 3, 4, ... in this order: addresses to listen on, or Listeners
   * made by `listen()` (the run takes them over and closes them at the end).
   */
  listen?: Array<ListenOptions | Listener>;
  /**
   * The guest's fd 0: a host fd (default 0, the process's stdin), a string or bytes (then EOF),
   * or a Readable. Nothing is read before the guest reads or polls fd 0.
   */
  stdin?: InputSource;
  /** The guest's fd 1: a host fd (default 1), a Writable, or a callback given each chunk in order. */
  stdout?: OutputTarget;
  /** The guest's fd 2: as stdout (default host fd 2). */
  stderr?: OutputTarget;
  /**
   * Ends the run: the guest's worker is terminated, its listeners and connections are closed, and
   * runWasi rejects with an AbortError (code 'ABORT_ERR', cause: the signal's reason).
   */
  signal?: AbortSignal;
  /** Connections the guest may hold at once, listeners included (default 64). */
  maxSockets?: number;
  /** Bytes of each shared ring, per direction and connection (a power of two, default 64 KiB). */
  ringBytes?: number;
  /** Called once the listeners are bound, with their addresses (port 0 resolved). */
  onListening?: (addresses: SocketAddress[]) => void;
}

export interface RunWasiResult {
  /** The guest's proc_exit code (a u32), or 0 when it returned from `_start`. */
  exitCode: number;
  /** Cross-thread wakes of the guest by the main thread (Atomics.notify calls that woke it). */
  wakes: number;
}

/** dist/src/wasi/guest-worker.js, from src/wasi (tests run the sources) or dist/src/wasi. */
function locateWorker(): URL {
  for (const relative of ['./guest-worker.js', '../../dist/src/wasi/guest-worker.js']) {
    const url = new URL(relative, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url;
  }
  throw new Error('wasmux: dist/src/wasi/guest-worker.js is missing; run `npm run build`');
}

/**
 * Runs a WASI preview1 guest in a worker thread with real TCP listeners (docs/wasi.md). Resolves
 * with its exit code once it returns or calls proc_exit, after its last output byte has been
 * written; rejects with a WasiTrapError if it traps, with an AbortError if `signal` aborts, or
 * with the reason it could not be instantiated. Everything is closed and the worker is gone when
 * the promise settles (after an abort its end is not awaited: Bun cannot stop a worker that is
 * computing inside WebAssembly, docs/wasi.md "Cancellation").
 */
export async function runWasi(wasm: string | WebAssembly.Module, options: RunWasiOptions = {}): Promise<RunWasiResult> {
  // The same AbortError as every other wait of wasmux (EINVAL for a signal that is not one).
  const signal = readSignal(options);
  const listeners: Listener[] = [];
  let host: SocketHost | undefined;
  let outputs: OutputSinks | undefined;
  let worker: Worker | undefined;
  let onAbort: (() => void) | undefined;
  let aborted = false;
  const hostFds = new SharedArrayBuffer(4 * LEDGER_CELLS);
  try {
    if (signal?.aborted) {
      // The Listeners given are the run's to close, whether it starts or not.
      for (const entry of options.listen ?? []) if (entry instanceof Listener) entry.close();
      throw abortError(signal);
    }
    const module = typeof wasm === 'string' ? new WebAssembly.Module(await readFile(wasm)) : wasm;
    for (const entry of options.listen ?? []) {
      listeners.push(entry instanceof Listener ? entry : await listen(entry));
      if (signal?.aborted) throw abortError(signal);
    }
    const maxSockets = options.maxSockets ?? 64;
    if (maxSockets < listeners.length + 1) throw new RangeError(`maxSockets must exceed the ${listeners.length} listeners`);
    // One slot more than maxSockets: the last is stdin's ring.
    const layout = { slots: maxSockets + 1, ringBytes: options.ringBytes ?? 65536 };
    const state = SharedState.create(layout);
    const stdin = stdinSource(options.stdin);
    outputs = new OutputSinks(state, options.stdout, options.stderr);
    // The worker opens them, after the listeners' fds. One that is missing (or no directory) fails
    // the run here, before its worker starts, with the host's error (code ENOENT / ENOTDIR).
    const preopens = Object.entries(options.preopens ?? {});
    for (const [, hostPath] of preopens) {
      if (!(await stat(hostPath)).isDirectory()) {
        throw Object.assign(new Error(`ENOTDIR: not a directory, '${hostPath}'`), { code: 'ENOTDIR', path: hostPath });
      }
    }
    host = new SocketHost(state, listeners, stdin);
    options.onListening?.(listeners.map((l) => l.address()));
    const data: GuestWorkerData = {
      module,
      args: options.args ?? [typeof wasm === 'string' ? basename(wasm) : 'guest.wasm'],
      env: options.env ?? {},
      preopens,
      stdioTypes: [stdin.filetype, outputs.filetype(1), outputs.filetype(2)],
      sab: state.sab,
      layout,
      listeners: listeners.length,
      hostFds,
    };
    const started = new Worker(locateWorker(), { workerData: data });
    worker = started;
    // The host fds the guest still holds are closed once its thread has ended, never before: Bun
    // and Deno do not stop a worker that computes, whose guest still uses them.
    started.once('exit', () => HostFdLedger.closeLeft(hostFds));
    const socketHost = host;
    const sinks = outputs;
    const exitCode = await new Promise<number>((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        outcome();
      };
      const stop = (error: unknown): void => {
        // Every wait of the guest ends at once (its worker is being terminated too).
        Atomics.store(state.i32, STOP, 1);
        state.wake();
        Atomics.add(state.i32, RESPONSE, 1);
        Atomics.notify(state.i32, RESPONSE);
        settle(() => reject(error));
      };
      onAbort = () => {
        aborted = true;
        stop(abortError(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      sinks.onFatal = stop;
      started.on('message', (message: GuestMessage) => {
        if (settled) return;
        if (message.op === 'write') {
          sinks.write(message.stream, message.bytes);
        } else if (message.op === 'exit' || message.op === 'trap') {
          // The guest's last bytes were posted before this: written before the run settles.
          void sinks.flushed().then(() => settle(() => {
            if (message.op === 'exit') resolve(message.code);
            else reject(new WasiTrapError(message.trap, message.message));
          }));
        } else {
          socketHost.onMessage(message);
        }
      });
      started.once('error', (error) => settle(() => reject(error)));
      started.once('exit', (code) => settle(() => reject(new Error(`wasmux: the guest's worker ended (${code}) without an exit code`))));
    });
    return { exitCode, wakes: host.wakes };
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    if (worker) {
      const ended = worker.terminate();
      if (aborted) {
        // Not awaited: Bun cannot end a worker while it runs WebAssembly (a guest computing
        // without calling the host); the run is over for us and the thread must not keep the
        // process alive. A guest waiting in a host call has already unwound (STOP).
        worker.unref();
        void Promise.resolve(ended).catch(() => {});
      } else {
        await ended;
      }
    }
    if (host) host.stop();
    else for (const listener of listeners) listener.close();
    outputs?.close();
  }
}
