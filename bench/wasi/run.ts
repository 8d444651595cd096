// The WASI benchmark (issue 5, "Speed"): the AssemblyScript echo guest under runWasi
// (bench/wasi/server-wasi.ts) against the same echo server written in TypeScript on Epoll
// (bench/echo/server-epoll.ts), one after another in one run, with the same load generator
// (bench/echo/loadgen.ts), servers pinned to core 0 and the load generator to core 1 as in
// bench/echo. Writes its table into bench/RESULTS.md (section "wasi").
//
//   npm run bench:wasi                      # build, build the guests, the full run (writes bench/RESULTS.md)
//   node dist/bench/wasi/run.js --quick     # a short smoke run; prints, writes nothing
//   node dist/bench/wasi/run.js [--connections 50] [--duration 5] [--warmup 1] [--sizes 64,16384]
//        [--rounds 1] [--no-write]
//
// 50 connections, not bench/echo's 100: the guest holds at most 64 connections (MAX_CONNECTIONS
// in test/wasi/guests/echo.ts, and runWasi's maxSockets of 64, the listener included); both
// servers get the same load.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { replaceSection } from '../report.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const resultsPath = join(root, 'bench/RESULTS.md');
const TARGET = 0.5;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    connections: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    sizes: { type: 'string' },
    rounds: { type: 'string' },
  },
});

const quick = values.quick!;
const connections = Number(values.connections ?? 50);
const durationS = Number(values.duration ?? (quick ? 1 : 5));
const warmupS = Number(values.warmup ?? (quick ? 0.3 : 1));
const sizes = (values.sizes ?? '64,16384').split(',').map(Number);
const rounds = Number(values.rounds ?? 1);
const write = !quick && !values['no-write'];
for (const [name, n] of [['connections', connections], ['rounds', rounds]] as const) {
  if (!Number.isSafeInteger(n) || n <= 0) usage(`--${name} must be a positive integer`);
}
if (connections > 60) usage('--connections: the echo guest serves at most 63 connections at once');
if (!(durationS > 0) || !(warmupS >= 0)) usage('--duration must be > 0 and --warmup >= 0');
if (sizes.some((size) => !Number.isSafeInteger(size) || size <= 0)) usage('--sizes must be positive integers');
for (const file of ['dist/bench/echo/server-epoll.js', 'dist/bench/wasi/server-wasi.js', 'dist/bench/echo/loadgen.js', 'build/guests/echo.wasm']) {
  if (!existsSync(join(root, file))) usage(`${file} is missing: run \`npm run build && npm run build:guests\``);
}

// ---------------------------------------------------------------------------------------------
// Child processes: every one is killed when the runner ends, however it ends; the servers also
// exit when their stdin pipe closes and after --timeout, the load generator has its own hard stop.

const children = new Set<ChildProcess>();

function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    console.error(`\nbench:wasi: ${signal}, stopping the servers and the load generator`);
    killAll();
    process.exit(130);
  });
}
process.on('uncaughtException', (error) => {
  console.error(error);
  killAll();
  process.exit(1);
});

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => child.once('exit', () => done()));
}

const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0
  && spawnSync('taskset', ['-c', '1', 'true']).status === 0;
const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

function pinned(core: number, command: string[]): string[] {
  return hasTaskset ? ['taskset', '-c', String(core), ...command] : command;
}

interface ServerDef {
  key: 'epoll' | 'wasi';
  label: string;
  script: string;
}

const servers: ServerDef[] = [
  { key: 'epoll', label: 'TypeScript on Epoll (ET)', script: join(root, 'dist/bench/echo/server-epoll.js') },
  { key: 'wasi', label: 'AssemblyScript guest under runWasi', script: join(root, 'dist/bench/wasi/server-wasi.js') },
];

interface LoadResult {
  size: number;
  messages: number;
  /** Every round trip, warm-up and drain included. */
  echoes: number;
  messagesPerS: number;
  mibPerS: number;
  latencyUs: { mean: number; p50: number; p90: number; p99: number; p999: number; max: number };
  loadgenCpu: number;
  serverCpu: number | null;
  serverUserCpu: number | null;
  error?: string;
}

interface CaseResult extends LoadResult {
  server: ServerDef;
  /** The guest's cross-thread wakes over the server's whole life (WASI server only). */
  wakes?: number;
  load1: number;
}

interface Running {
  child: ChildProcess;
  port: number;
  /** Resolves with the server's `wasi-stats` line, if it printed one, once it has exited. */
  stats: Promise<{ wakes: number } | undefined>;
}

async function startServer(server: ServerDef): Promise<Running> {
  const command = pinned(0, [process.execPath, server.script]);
  const timeout = String(Math.ceil(warmupS + durationS + 120));
  const child = track(spawn(command[0]!, [...command.slice(1), '0', '--timeout', timeout], {
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: root,
  }));
  // stderr: the wasi-stats line is ours, everything else goes on to our stderr.
  let statsLine: string | undefined;
  let errBuffer = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    errBuffer += chunk;
    let nl: number;
    while ((nl = errBuffer.indexOf('\n')) >= 0) {
      const line = errBuffer.slice(0, nl);
      errBuffer = errBuffer.slice(nl + 1);
      if (line.startsWith('wasi-stats ')) statsLine = line.slice('wasi-stats '.length);
      else process.stderr.write(`  [${server.key}] ${line}\n`);
    }
  });
  const stats = new Promise<{ wakes: number } | undefined>((done) => {
    child.once('close', () => done(statsLine === undefined ? undefined : JSON.parse(statsLine) as { wakes: number }));
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${server.label}: no "ready <port>" within 15 s`));
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
      reject(new Error(`${server.label} exited before it was ready (${signal ?? code})`));
    });
  });
  return { child, port, stats };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited(child);
  clearTimeout(timer);
}

function runLoad(port: number, size: number, serverPid: number): Promise<LoadResult> {
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

async function runCase(server: ServerDef, size: number): Promise<CaseResult> {
  const load1 = os.loadavg()[0]!;
  const { child, port, stats } = await startServer(server);
  let result: LoadResult;
  try {
    result = await runLoad(port, size, child.pid!);
  } finally {
    await stopServer(child);
  }
  const line = await stats;
  if (server.key === 'wasi' && line === undefined) throw new Error(`${server.label}: no wasi-stats line at exit`);
  return { ...result, server, load1, wakes: line?.wakes };
}

// ---------------------------------------------------------------------------------------------
// Reporting.

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmtSize = (size: number): string => (size % 1024 === 0 ? `${size / 1024} KiB` : `${size} B`);
const fmtUs = (us: number): string => (us >= 10_000 ? `${(us / 1000).toFixed(1)} ms` : `${Math.round(us)} µs`);
const fmtPct = (x: number | null): string => (x === null ? '' : `${Math.round(x * 100)}%`);
const cpuPerMessage = (r: LoadResult): string =>
  (r.serverCpu === null || r.messagesPerS === 0 ? '' : (r.serverCpu / r.messagesPerS * 1e6).toFixed(2));
const wakesPerMessage = (r: CaseResult): string =>
  (r.wakes === undefined ? '–' : r.echoes > 0 ? (r.wakes / r.echoes).toFixed(3) : '');

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** One row per server and size: the round with the median messages/s. */
function pick(results: CaseResult[], key: string, size: number): CaseResult | undefined {
  const rows = results.filter((r) => r.server.key === key && r.size === size);
  if (rows.length === 0) return undefined;
  const m = median(rows.map((r) => r.messagesPerS));
  return rows.reduce((best, r) => (Math.abs(r.messagesPerS - m) < Math.abs(best.messagesPerS - m) ? r : best));
}

function table(results: CaseResult[]): string {
  const lines = [
    '| server | size | messages/s | MiB/s | p50 | p99 | guest / TypeScript | target ≥ 0.5× | wakes per message | server CPU | server CPU µs/msg | load gen. CPU |',
    '|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|',
  ];
  for (const size of sizes) {
    const ts = pick(results, 'epoll', size);
    for (const server of servers) {
      const r = pick(results, server.key, size);
      if (!r) continue;
      const ratio = server.key === 'wasi' && ts ? r.messagesPerS / ts.messagesPerS : undefined;
      const verdict = ratio === undefined ? '' : ratio >= TARGET ? '**pass**' : '**FAIL**';
      lines.push(`| ${server.label} | ${fmtSize(size)} | ${fmtInt(r.messagesPerS)} | ${r.mibPerS.toFixed(1)} | ${fmtUs(r.latencyUs.p50)} | ${fmtUs(r.latencyUs.p99)} | ${ratio === undefined ? (server.key === 'epoll' ? '1.00×' : '–') : `${ratio.toFixed(2)}×`} | ${verdict} | ${wakesPerMessage(r)} | ${fmtPct(r.serverCpu)} | ${cpuPerMessage(r)} | ${fmtPct(r.loadgenCpu)} |`);
    }
  }
  return lines.join('\n');
}

function detailTable(results: CaseResult[]): string {
  const lines = [
    '| # | server | size | messages (measured) | round trips (all) | wakes | messages/s | mean | p90 | p99.9 | max | server CPU (user) | load avg at start |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  results.forEach((r, i) => {
    lines.push(`| ${i + 1} | ${r.server.label} | ${fmtSize(r.size)} | ${fmtInt(r.messages)} | ${fmtInt(r.echoes)} | ${r.wakes === undefined ? '–' : fmtInt(r.wakes)} | ${fmtInt(r.messagesPerS)} | ${fmtUs(r.latencyUs.mean)} | ${fmtUs(r.latencyUs.p90)} | ${fmtUs(r.latencyUs.p999)} | ${fmtUs(r.latencyUs.max)} | ${fmtPct(r.serverCpu)} (${fmtPct(r.serverUserCpu)}) | ${r.load1.toFixed(2)} |`);
  });
  return lines.join('\n');
}

function commandLine(): string {
  const args = process.argv.slice(2).join(' ');
  return process.env.npm_lifecycle_event === 'bench:wasi'
    ? `npm run bench:wasi${args ? ` -- ${args}` : ''}`
    : `node dist/bench/wasi/run.js${args ? ` ${args}` : ''}`;
}

function usage(message: string): never {
  console.error(`bench:wasi: ${message}`);
  console.error('usage: node dist/bench/wasi/run.js [--quick] [--no-write] [--connections N] [--duration S] [--warmup S] [--sizes 64,16384] [--rounds N]');
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// The run.

const startedAt = new Date();
const loadBefore = os.loadavg()[0]!;
const results: CaseResult[] = [];
const failures: string[] = [];
console.error(`bench:wasi: ${servers.map((s) => s.label).join(' vs ')}; sizes ${sizes.join(', ')} B; ${connections} connections; ${warmupS} s warm-up + ${durationS} s per case; ${rounds} round(s)${hasTaskset ? '' : '; taskset not found, NOT pinned'}`);
for (let round = 0; round < rounds; round++) {
  for (const size of sizes) {
    const order = round % 2 === 0 ? servers : [...servers].reverse();
    for (const server of order) {
      try {
        const r = await runCase(server, size);
        results.push(r);
        console.error(`  ${server.label.padEnd(36)} ${fmtSize(size).padStart(6)}: ${fmtInt(r.messagesPerS).padStart(8)} msg/s  p50 ${fmtUs(r.latencyUs.p50)}  p99 ${fmtUs(r.latencyUs.p99)}  server CPU ${fmtPct(r.serverCpu)}${r.wakes === undefined ? '' : `  wakes/msg ${wakesPerMessage(r)}`}`);
      } catch (error) {
        const message = `${server.label}, ${fmtSize(size)}: ${(error as Error).message}`;
        failures.push(message);
        console.error(`  FAILED ${message}`);
      }
    }
  }
}
const loadAfter = os.loadavg()[0]!;
const wall = (Date.now() - startedAt.getTime()) / 1000;

const doc = [
  '## WASI host: the echo guest under runWasi vs the TypeScript Epoll server',
  '',
  `Written by \`npm run bench:wasi\` (bench/wasi/run.ts) at ${startedAt.toISOString().replace(/\.\d+Z$/, 'Z')}; each run rewrites this section.`,
  '',
  `- command: \`${commandLine()}\` (wall time ${Math.round(wall)} s)`,
  `- node ${process.version}, Linux ${os.release()}, nproc ${os.cpus().length}, CPU: ${os.cpus()[0]?.model ?? 'unknown'}`,
  hasTaskset
    ? '- pinning: each server process runs under `taskset -c 0` (the WASI server\'s main thread and guest worker share that core), the load generator under `taskset -c 1`'
    : '- pinning: **`taskset` is not available here, so nothing is pinned**',
  `- load: ${connections} connections from the echo benchmark's load generator (bench/echo/loadgen.ts: ping-pong, every byte checked), ${warmupS} s warm-up + ${durationS} s measured per case, ${rounds === 1 ? 'one round' : `${rounds} rounds (rows: the round with the median messages/s)`}; ${connections} rather than 100 because the guest serves at most 63 connections at once`,
  '- servers: **TypeScript on Epoll** (bench/echo/server-epoll.ts: edge-triggered wasmux `Epoll` over the TCP sources, TCP_NODELAY); **AssemblyScript guest under runWasi** (bench/wasi/server-wasi.ts running build/guests/echo.wasm from test/wasi/guests/echo.ts: one `poll_oneoff` per turn over the listener and every connection, `sock_recv` 64 KiB, `sock_send` until all is sent; its bytes cross the shared rings to the main thread\'s `SocketHost`; no TCP_NODELAY, WASI has no setsockopt and the host does not set it)',
  '- wakes per message: `RunWasiResult.wakes`-style count (the main thread\'s `Atomics.notify` calls that woke the sleeping guest) over the server\'s whole life, divided by every round trip the load generator completed in that life (warm-up and drain included)',
  `- **the machine is shared and noisy** (2 cores; 1-minute load average ${loadBefore.toFixed(2)} at the start, ${loadAfter.toFixed(2)} at the end): compare rows of the same run only`,
  '',
  table(results),
  '',
  'guest / TypeScript: messages/s of the guest over the Epoll server\'s at the same size, this run; target (issue 5): ≥ 0.5×. server CPU: utime+stime of the server process over the measured window (the WASI server has two busy threads, so it can exceed 100% only without pinning).',
  '',
  ...(failures.length ? ['**Failed cases:**', '', ...failures.map((f) => `- ${f}`), ''] : []),
  '<details><summary>Every case of this run, in the order run</summary>',
  '',
  detailTable(results),
  '',
  '</details>',
].join('\n');

console.log(`\n${doc}\n`);
if (failures.length > 0) {
  console.error(`bench:wasi: ${failures.length} case(s) failed; bench/RESULTS.md not written`);
  process.exit(1);
}
if (write) {
  replaceSection(resultsPath, 'wasi', doc);
  console.error(`bench:wasi: wrote the "wasi" section of ${resultsPath}`);
} else {
  console.error('bench:wasi: --quick/--no-write: bench/RESULTS.md not written');
}
process.exit(0);
