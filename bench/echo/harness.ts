// What bench/echo/run.ts and bench/wasi/run.ts share: running echo servers and the load generator
// (bench/echo/loadgen.ts) as pinned child processes, and summarising the rounds. One copy, so that
// the two benchmarks measure the same way and their tables stay comparable. Each runner keeps its
// own flags, servers, tables and RESULTS.md section.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

// ---------------------------------------------------------------------------------------------
// Child processes: every one is killed when the runner ends, however it ends. Servers also watch
// their stdin pipe (they exit when it closes) and have their own --timeout; the load generator
// has a hard stop of its own.

const children = new Set<ChildProcess>();

function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** Installs the handlers that kill every tracked child on exit, a signal or an uncaught error. `name` prefixes the message ("bench:echo"). */
export function killChildrenOnExit(name: string): void {
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      console.error(`\n${name}: ${signal}, stopping the servers and the load generator`);
      killAll();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (error) => {
    console.error(error);
    killAll();
    process.exit(1);
  });
}

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => child.once('exit', () => done()));
}

// ---------------------------------------------------------------------------------------------
// The machine: servers go on core 0 and the load generator on core 1, so that they do not take
// each other's core; without taskset nothing is pinned (the runners say so in their output).

export const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0
  && spawnSync('taskset', ['-c', '1', 'true']).status === 0;
// The load generator turns the server's /proc ticks into seconds with this.
const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

export function pinned(core: number, command: string[]): string[] {
  return hasTaskset ? ['taskset', '-c', String(core), ...command] : command;
}

// ---------------------------------------------------------------------------------------------
// Servers: each prints "ready <port>" on stdout once it listens, and stops on SIGTERM.

/** The port from the server's "ready <port>" line; kills the server if it says nothing within 15 s. */
export function readyPort(child: ChildProcess, label: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${label}: no "ready <port>" within 15 s`));
    }, 15_000);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      const match = /^ready (\d+)$/m.exec(out);
      if (match) {
        clearTimeout(timer);
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        resolvePort(Number(match[1]));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited before it was ready (${signal ?? code})`));
    });
  });
}

export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited(child);
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// The load generator: one run against one server, its JSON result line parsed.

/** The JSON line bench/echo/loadgen.ts prints at the end (the fields the runners read). */
export interface LoadResult {
  connections: number;
  size: number;
  durationS: number;
  messages: number;
  /** Every round trip, warm-up and drain included. */
  echoes: number;
  messagesPerS: number;
  mibPerS: number;
  latencyUs: { mean: number; p50: number; p90: number; p99: number; p999: number; max: number };
  loadgenCpu: number;
  loadgenUserCpu: number;
  serverCpu: number | null;
  serverUserCpu: number | null;
  error?: string;
}

export interface LoadOptions {
  port: number;
  size: number;
  serverPid: number;
  connections: number;
  durationS: number;
  warmupS: number;
}

export function runLoad({ port, size, serverPid, connections, durationS, warmupS }: LoadOptions): Promise<LoadResult> {
  const args = [
    join(root, 'dist/bench/echo/loadgen.js'),
    '--port', String(port), '--connections', String(connections), '--size', String(size),
    '--duration', String(durationS), '--warmup', String(warmupS), '--server-pid', String(serverPid),
  ];
  const command = pinned(1, [process.execPath, ...args]);
  const child = track(spawn(command[0]!, command.slice(1), {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, CLK_TCK: String(clockTicks) },
  }));
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => { out += chunk; });
  const timer = setTimeout(() => child.kill('SIGKILL'), (warmupS + durationS + 40) * 1000);
  return exited(child).then(() => {
    clearTimeout(timer);
    const line = out.trim().split('\n').pop() ?? '';
    let result: LoadResult;
    try {
      result = JSON.parse(line) as LoadResult;
    } catch {
      throw new Error(`load generator printed no result (exit ${child.exitCode ?? child.signalCode})`);
    }
    if (result.error) throw new Error(`load generator: ${result.error}`);
    return result;
  });
}

// ---------------------------------------------------------------------------------------------
// Summarising rounds: the machine is shared and noisy, so with several rounds each table row is
// the median round rather than the mean, which one disturbed round would drag.

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** One row per server and size: the round with the median messages/s. */
export function pick<R extends { server: { key: string }; size: number; messagesPerS: number }>(
  results: R[], key: string, size: number,
): R | undefined {
  const rows = results.filter((r) => r.server.key === key && r.size === size);
  if (rows.length === 0) return undefined;
  const m = median(rows.map((r) => r.messagesPerS));
  return rows.reduce((best, r) => (Math.abs(r.messagesPerS - m) < Math.abs(best.messagesPerS - m) ? r : best));
}

// Formatters shared by both tables, so that the same quantity reads the same in each section.
export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
export const fmtSize = (size: number): string => (size % 1024 === 0 ? `${size / 1024} KiB` : `${size} B`);
export const fmtUs = (us: number): string => (us >= 10_000 ? `${(us / 1000).toFixed(1)} ms` : `${Math.round(us)} µs`);
export const fmtPct = (x: number | null): string => (x === null ? '' : `${Math.round(x * 100)}%`);

/** Server CPU time per echoed message (user + system, µs): a cost that CPU contention does not scale. */
export function cpuPerMessage(r: LoadResult): string {
  return r.serverCpu === null || r.messagesPerS === 0 ? '' : (r.serverCpu / r.messagesPerS * 1e6).toFixed(2);
}
