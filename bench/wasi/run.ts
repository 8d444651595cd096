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
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  cpuPerMessage, fmtInt, fmtPct, fmtSize, fmtUs, hasTaskset, killChildrenOnExit, pick, pinned, readyPort, root,
  runLoad, stopServer, track, type LoadResult,
} from '../echo/harness.js';
import { writeSection } from '../report.js';

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

// Every child process is killed when the runner ends, however it ends (bench/echo/harness.ts).
killChildrenOnExit('bench:wasi');

interface ServerDef {
  key: 'epoll' | 'wasi';
  label: string;
  script: string;
}

const servers: ServerDef[] = [
  { key: 'epoll', label: 'TypeScript on Epoll (ET)', script: join(root, 'dist/bench/echo/server-epoll.js') },
  { key: 'wasi', label: 'AssemblyScript guest under runWasi', script: join(root, 'dist/bench/wasi/server-wasi.js') },
];

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
  const port = await readyPort(child, server.label);
  return { child, port, stats };
}

async function runCase(server: ServerDef, size: number): Promise<CaseResult> {
  const load1 = os.loadavg()[0]!;
  const { child, port, stats } = await startServer(server);
  let result: LoadResult;
  try {
    result = await runLoad({ port, size, serverPid: child.pid!, connections, durationS, warmupS });
  } finally {
    await stopServer(child);
  }
  const line = await stats;
  if (server.key === 'wasi' && line === undefined) throw new Error(`${server.label}: no wasi-stats line at exit`);
  return { ...result, server, load1, wakes: line?.wakes };
}

// ---------------------------------------------------------------------------------------------
// Reporting.

const wakesPerMessage = (r: CaseResult): string =>
  (r.wakes === undefined ? '–' : r.echoes > 0 ? (r.wakes / r.echoes).toFixed(3) : '');

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
  writeSection('wasi', doc);
} else {
  console.error('bench:wasi: --quick/--no-write: bench/RESULTS.md not written');
}
process.exit(0);
