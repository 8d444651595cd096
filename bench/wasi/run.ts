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
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { machineLine, root, type Column } from '../report.js';
import {
  detailTable, failureLines, finish, fmtInt, hasTaskset, measure, parseRunner, pick, resultsTable, roundsText, runRounds,
  sectionHead, spawnServer, type CaseResult, type Server,
} from '../echo/harness.js';

const TARGET = 0.5;

const runner = parseRunner('bench:wasi', { connections: 50 });
const { flags, usage } = runner;
const { connections, durationS, warmupS, sizes } = flags;
if (connections > 60) usage('--connections: the echo guest serves at most 63 connections at once');
for (const file of ['dist/bench/echo/server-epoll.js', 'dist/bench/wasi/server-wasi.js', 'dist/bench/echo/loadgen.js', 'build/guests/echo.wasm']) {
  if (!existsSync(join(root, file))) usage(`${file} is missing: run \`npm run build && npm run build:guests\``);
}

const servers: Server[] = [
  { key: 'epoll', label: 'TypeScript on Epoll (ET)', command: [process.execPath, join(root, 'dist/bench/echo/server-epoll.js')] },
  { key: 'wasi', label: 'AssemblyScript guest under runWasi', command: [process.execPath, join(root, 'dist/bench/wasi/server-wasi.js')] },
];

interface WasiCase extends CaseResult {
  /** The guest's cross-thread wakes over the server's whole life (WASI server only). */
  wakes?: number;
}

/** The server's `wasi-stats` line, once it has exited; everything else it says goes on to our stderr. */
function wasiStats(child: ChildProcess, key: string): Promise<{ wakes: number } | undefined> {
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
      else process.stderr.write(`  [${key}] ${line}\n`);
    }
  });
  return new Promise((done) => {
    child.once('close', () => done(statsLine === undefined ? undefined : JSON.parse(statsLine) as { wakes: number }));
  });
}

async function runCase(server: Server, size: number): Promise<WasiCase> {
  const child = spawnServer(server, flags, { stderr: 'pipe' });
  const stats = wasiStats(child, server.key);
  const result = await measure(server, child, size, flags);
  const line = await stats;
  if (server.key === 'wasi' && line === undefined) throw new Error(`${server.label}: no wasi-stats line at exit`);
  return { ...result, wakes: line?.wakes };
}

// ---------------------------------------------------------------------------------------------
// Reporting.

const wakesPerMessage = (r: WasiCase): string =>
  (r.wakes === undefined ? '–' : r.echoes > 0 ? (r.wakes / r.echoes).toFixed(3) : '');

/** The guest's messages/s over the TypeScript server's at the same size, against the target. */
function guestColumns(results: WasiCase[]): Column<WasiCase>[] {
  const ratio = (r: WasiCase): number | undefined => {
    const ts = pick(results, 'epoll', r.size);
    return r.server.key === 'wasi' && ts ? r.messagesPerS / ts.messagesPerS : undefined;
  };
  return [
    { head: 'guest / TypeScript', cell: (r) => { const x = ratio(r); return x === undefined ? (r.server.key === 'epoll' ? '1.00×' : '–') : `${x.toFixed(2)}×`; } },
    { head: `target ≥ ${TARGET}×`, left: true, cell: (r) => { const x = ratio(r); return x === undefined ? '' : x >= TARGET ? '**pass**' : '**FAIL**'; } },
    { head: 'wakes per message', cell: wakesPerMessage },
  ];
}

// ---------------------------------------------------------------------------------------------
// The run.

const run = await runRounds(runner, servers, runCase, (r) => (r.wakes === undefined ? '' : `  wakes/msg ${wakesPerMessage(r)}`));
const { results } = run;
const doc = [
  ...sectionHead(runner, '## WASI host: the echo guest under runWasi vs the TypeScript Epoll server', run),
  machineLine(),
  hasTaskset
    ? '- pinning: each server process runs under `taskset -c 0` (the WASI server\'s main thread and guest worker share that core), the load generator under `taskset -c 1`'
    : '- pinning: **`taskset` is not available here, so nothing is pinned**',
  `- load: ${connections} connections from the echo benchmark's load generator (bench/echo/loadgen.ts: ping-pong, every byte checked), ${warmupS} s warm-up + ${durationS} s measured per case, ${roundsText(flags.rounds)}; ${connections} rather than 100 because the guest serves at most 63 connections at once`,
  '- servers: **TypeScript on Epoll** (bench/echo/server-epoll.ts: edge-triggered wasmux `Epoll` over the TCP sources, TCP_NODELAY); **AssemblyScript guest under runWasi** (bench/wasi/server-wasi.ts running build/guests/echo.wasm from test/wasi/guests/echo.ts: one `poll_oneoff` per turn over the listener and every connection, `sock_recv` 64 KiB, `sock_send` until all is sent; its bytes cross the shared rings to the main thread\'s `SocketHost`; no TCP_NODELAY, WASI has no setsockopt and the host does not set it)',
  '- wakes per message: `RunWasiResult.wakes`-style count (the main thread\'s `Atomics.notify` calls that woke the sleeping guest) over the server\'s whole life, divided by every round trip the load generator completed in that life (warm-up and drain included)',
  `- **the machine is shared and noisy** (2 cores; 1-minute load average ${run.loadBefore.toFixed(2)} at the start, ${run.loadAfter.toFixed(2)} at the end): compare rows of the same run only`,
  '',
  resultsTable(results, servers, sizes, guestColumns(results)),
  '',
  'guest / TypeScript: messages/s of the guest over the Epoll server\'s at the same size, this run; target (issue 5): ≥ 0.5×. server CPU: utime+stime of the server process over the measured window (the WASI server has two busy threads, so it can exceed 100% only without pinning).',
  '',
  ...failureLines(run),
  detailTable(results, [{ head: 'wakes', cell: (r) => (r.wakes === undefined ? '–' : fmtInt(r.wakes)) }]),
].join('\n');
finish(runner, 'wasi', doc, run);
process.exit(0);
