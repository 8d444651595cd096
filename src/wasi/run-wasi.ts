import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { listen, Listener } from '../sources/tcp/listener.js';
import type { SocketAddress } from '../sources/tcp/address.js';
import type { ListenOptions } from '../sources/tcp/options.js';
import type { GuestWorkerData } from './guest-worker.js';
import { SharedState, type GuestMessage } from './shared-state.js';
import { SocketHost } from './socket-host.js';

export interface RunWasiOptions {
  /** The guest's argv, argv[0] included (as node:wasi takes it); default [the file's name]. */
  args?: string[];
  env?: Record<string, string>;
  /** Directories, guest path -> host path (node:wasi's preopens); fds after the listeners. */
  preopens?: Record<string, string>;
  /**
   * Listeners, preopened as fds 3, 4, ... in this order: addresses to listen on, or Listeners
   * made by `listen()` (the run takes them over and closes them at the end).
   */
  listen?: Array<ListenOptions | Listener>;
  /** Host fds for the guest's 0, 1 and 2 (default the process's own). */
  stdin?: number;
  stdout?: number;
  stderr?: number;
  /** Connections the guest may hold at once, listeners included (default 64). */
  maxSockets?: number;
  /** Bytes of each shared ring, per direction and connection (a power of two, default 64 KiB). */
  ringBytes?: number;
  /** Called once the listeners are bound, with their addresses (port 0 resolved). */
  onListening?: (addresses: SocketAddress[]) => void;
}

export interface RunWasiResult {
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
 * with its exit code once it returns or calls proc_exit; rejects if it traps or cannot be
 * instantiated. Everything is closed and the worker is gone when the promise settles.
 */
export async function runWasi(wasm: string | WebAssembly.Module, options: RunWasiOptions = {}): Promise<RunWasiResult> {
  const module = typeof wasm === 'string' ? new WebAssembly.Module(await readFile(wasm)) : wasm;
  const listeners: Listener[] = [];
  let hiddenDir: string | undefined;
  let host: SocketHost | undefined;
  try {
    for (const entry of options.listen ?? []) listeners.push(entry instanceof Listener ? entry : await listen(entry));
    const maxSockets = options.maxSockets ?? 64;
    if (maxSockets < listeners.length + 1) throw new RangeError(`maxSockets must exceed the ${listeners.length} listeners`);
    const layout = { slots: maxSockets, ringBytes: options.ringBytes ?? 65536 };
    const state = SharedState.create(layout);
    // Each listener's fd is, for node:wasi, a preopen of one empty hidden directory: it holds the
    // number (so that node:wasi's directories come after) and lets sock_accept reserve numbers.
    const preopens: Array<[string, string]> = [];
    if (listeners.length > 0) {
      hiddenDir = await mkdtemp(join(tmpdir(), 'wasmux-wasi-'));
      listeners.forEach((_, i) => preopens.push([`/.wasmux-listener-${i}`, hiddenDir!]));
    }
    preopens.push(...Object.entries(options.preopens ?? {}));
    host = new SocketHost(state, listeners, options.stdin ?? 0);
    options.onListening?.(listeners.map((l) => l.address()));
    const data: GuestWorkerData = {
      module,
      args: options.args ?? [typeof wasm === 'string' ? basename(wasm) : 'guest.wasm'],
      env: options.env ?? {},
      preopens,
      stdin: options.stdin ?? 0,
      stdout: options.stdout ?? 1,
      stderr: options.stderr ?? 2,
      sab: state.sab,
      layout,
      listeners: listeners.length,
    };
    const worker = new Worker(locateWorker(), { workerData: data });
    const socketHost = host;
    const exitCode = await new Promise<number>((resolve, reject) => {
      worker.on('message', (message: GuestMessage | { op: 'exit'; code: number }) => {
        if (message.op === 'exit') resolve(message.code);
        else socketHost.onMessage(message);
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`wasmux: the guest's worker ended (${code}) without an exit code`)));
    }).finally(() => worker.terminate());
    return { exitCode, wakes: host.wakes };
  } finally {
    if (host) host.stop();
    else for (const listener of listeners) listener.close();
    if (hiddenDir !== undefined) await rmdir(hiddenDir).catch(() => {});
  }
}
