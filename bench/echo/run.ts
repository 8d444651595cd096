// The end-to-end echo benchmark: the same load generator (bench/echo/loadgen.ts, a separate node
// process) against each echo server, one after another in one run, servers pinned to core 0 and
// the load generator to core 1. Writes its table into bench/RESULTS.md (section "echo").
//
//   npm run bench:echo                      # build, then the full run (writes bench/RESULTS.md)
//   node dist/bench/echo/run.js --quick     # a short smoke run; prints, writes nothing
//   node dist/bench/echo/run.js [--connections 100] [--duration 5] [--warmup 1] [--sizes 64,16384]
//        [--servers epoll,epoll-peek,net,python] [--rounds 1] [--no-write]
//        (--servers may also name epoll-peek: the Epoll server reading with peek/consume)
//   node dist/bench/echo/run.js --baseline ../before [--servers epoll,epoll-baseline,net]
//        # adds the Epoll server of another built checkout (its dist/) as a row of the same run,
//        # for a before/after comparison taken side by side; writes section "echo-baseline"
//   node dist/bench/echo/run.js --profile [--servers epoll,net] [--sizes 64,16384]
//        # each server under node --cpu-prof; top self-time functions (section "echo-profile")
//
// Servers: "epoll" (bench/echo/server-epoll.ts: edge-triggered, on wasmux Epoll and the TCP
// sources), "net" (bench/echo/server-net.ts: node:net, data → write) and "python"
// (bench/echo/server_selectors.py: the classic selectors server, run with the machine's python3).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { writeSection } from '../report.js';
import {
  cpuPerMessage, fmtInt, fmtPct, fmtSize, fmtUs, hasTaskset, killChildrenOnExit, pick, pinned, readyPort, root,
  runLoad, stopServer, track, type LoadResult,
} from './harness.js';
import { summarize } from './profile.js';


const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    connections: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    sizes: { type: 'string' },
    servers: { type: 'string' },
    rounds: { type: 'string' },
    baseline: { type: 'string' },
  },
});

const quick = values.quick!;
const profileMode = values.profile!;
const connections = Number(values.connections ?? 100);
const durationS = Number(values.duration ?? (quick ? 1 : 5));
const warmupS = Number(values.warmup ?? (quick ? 0.3 : 1));
const sizes = (values.sizes ?? '64,16384').split(',').map(Number);
const rounds = Number(values.rounds ?? 1);
const write = !quick && !values['no-write'];
for (const [name, n] of [['connections', connections], ['rounds', rounds]] as const) {
  if (!Number.isSafeInteger(n) || n <= 0) usage(`--${name} must be a positive integer`);
}
if (!(durationS > 0) || !(warmupS >= 0)) usage('--duration must be > 0 and --warmup >= 0');
if (sizes.some((size) => !Number.isSafeInteger(size) || size <= 0)) usage('--sizes must be positive integers');

// Every child process is killed when the runner ends, however it ends (bench/echo/harness.ts).
killChildrenOnExit('bench:echo');

// ---------------------------------------------------------------------------------------------
// The machine.

const python = findPython();
const epollServer = join(root, 'dist/bench/echo/server-epoll.js');
const tcpApi = await hasTcpApi();

function findPython(): { exe: string; version: string } | undefined {
  const found = spawnSync('python3', ['-c', 'import sys, platform; print(sys.executable); print(platform.python_version())'], { encoding: 'utf8' });
  if (found.status !== 0) return undefined;
  const [exe, version] = found.stdout.trim().split('\n');
  // The real interpreter, not a shim script, so that the pid we measure is the server's.
  return { exe: exe!, version: version! };
}

async function hasTcpApi(): Promise<boolean> {
  try {
    const api = await import(pathToFileURL(join(root, 'dist/src/index.js')).href) as Record<string, unknown>;
    return typeof api.listen === 'function' && existsSync(epollServer);
  } catch {
    return false;
  }
}

interface ServerDef {
  key: string;
  label: string;
  command: string[];
  /** Arguments after the port. */
  extra?: string[];
  /** Not run unless asked for with --servers. */
  optional?: boolean;
}

// --baseline: another checkout's build of the same Epoll server, named by its commit.
const baselineDir = values.baseline === undefined ? undefined : resolve(values.baseline);
const baselineServer = baselineDir && join(baselineDir, 'dist/bench/echo/server-epoll.js');
if (baselineServer && !existsSync(baselineServer)) usage(`--baseline: ${baselineServer} does not exist (build that checkout first)`);
const baselineCommit = baselineDir && spawnSync('git', ['-C', baselineDir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();

const allServers: ServerDef[] = [
  ...(baselineServer ? [{ key: 'epoll-baseline', label: `wasmux Epoll (ET) at ${baselineCommit}`, command: [process.execPath, baselineServer] }] : []),
  { key: 'epoll', label: 'wasmux Epoll (ET)', command: [process.execPath, epollServer] },
  { key: 'epoll-peek', label: 'wasmux Epoll (ET, peek/consume)', command: [process.execPath, epollServer], extra: ['--peek'], optional: true },
  { key: 'net', label: 'node:net', command: [process.execPath, join(root, 'dist/bench/echo/server-net.js')] },
  { key: 'python', label: 'Python selectors', command: python ? [python.exe, join(root, 'bench/echo/server_selectors.py')] : [] },
];
const wanted = (values.servers ?? (profileMode ? 'epoll,net' : baselineServer ? 'epoll,epoll-baseline,net' : 'epoll,epoll-peek,net,python')).split(',');
const skipped: string[] = [];
const servers = allServers.filter((server) => {
  if (!wanted.includes(server.key)) return false;
  if (server.key.startsWith('epoll') && !tcpApi) {
    skipped.push('wasmux Epoll: `listen` is not exported from src/index.ts yet (the TCP sources are missing), so there is no Epoll server to run');
    return false;
  }
  if (server.key === 'python' && !python) {
    skipped.push('Python selectors: no python3 on this machine');
    return false;
  }
  return true;
});
for (const key of wanted) if (!allServers.some((server) => server.key === key)) usage(`unknown server ${key}`);
if (servers.length === 0) usage('no server to run');
if (profileMode && servers.some((server) => server.key === 'python')) usage('--profile profiles node servers only');

// ---------------------------------------------------------------------------------------------
// One case: start the server on core 0, run the load generator on core 1, stop the server.

interface CaseResult extends LoadResult {
  server: ServerDef;
  load1: number;
}

async function startServer(server: ServerDef, nodeFlags: string[] = []): Promise<{ child: ChildProcess; port: number }> {
  const [exe, ...rest] = server.command;
  const command = pinned(0, exe === process.execPath ? [exe, ...nodeFlags, ...rest] : [exe!, ...rest]);
  const timeout = String(Math.ceil(warmupS + durationS + 120));
  const child = track(spawn(command[0]!, [...command.slice(1), '0', '--timeout', timeout, ...(server.extra ?? [])], {
    stdio: ['pipe', 'pipe', 'inherit'],
    cwd: root,
  }));
  return { child, port: await readyPort(child, server.label) };
}

async function runCase(server: ServerDef, size: number, nodeFlags: string[] = []): Promise<CaseResult> {
  const load1 = os.loadavg()[0]!;
  const { child, port } = await startServer(server, nodeFlags);
  try {
    const result = await runLoad({ port, size, serverPid: child.pid!, connections, durationS, warmupS });
    return { ...result, server, load1 };
  } finally {
    await stopServer(child);
  }
}

// ---------------------------------------------------------------------------------------------
// Reporting.

const fmtRatio = (x: number | undefined): string => (x === undefined ? '–' : `${x.toFixed(2)}×`);

function table(results: CaseResult[]): string {
  const lines = [
    '| server | size | messages/s | MiB/s | p50 | p99 | vs node:net | vs Python | server CPU | server CPU µs/msg | load gen. CPU |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const size of sizes) {
    const net = pick(results, 'net', size);
    const py = pick(results, 'python', size);
    for (const server of servers) {
      const r = pick(results, server.key, size);
      if (!r) continue;
      lines.push(`| ${server.label} | ${fmtSize(size)} | ${fmtInt(r.messagesPerS)} | ${r.mibPerS.toFixed(1)} | ${fmtUs(r.latencyUs.p50)} | ${fmtUs(r.latencyUs.p99)} | ${fmtRatio(net && r.messagesPerS / net.messagesPerS)} | ${fmtRatio(py && r.messagesPerS / py.messagesPerS)} | ${fmtPct(r.serverCpu)} | ${cpuPerMessage(r)} | ${fmtPct(r.loadgenCpu)} |`);
    }
  }
  return lines.join('\n');
}

function detailTable(results: CaseResult[]): string {
  const lines = [
    '| # | server | size | messages | messages/s | mean | p90 | p99.9 | max | server CPU (user) | load gen. CPU (user) | load avg at start |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  results.forEach((r, i) => {
    lines.push(`| ${i + 1} | ${r.server.label} | ${fmtSize(r.size)} | ${fmtInt(r.messages)} | ${fmtInt(r.messagesPerS)} | ${fmtUs(r.latencyUs.mean)} | ${fmtUs(r.latencyUs.p90)} | ${fmtUs(r.latencyUs.p999)} | ${fmtUs(r.latencyUs.max)} | ${fmtPct(r.serverCpu)} (${fmtPct(r.serverUserCpu)}) | ${fmtPct(r.loadgenCpu)} (${fmtPct(r.loadgenUserCpu)}) | ${r.load1.toFixed(2)} |`);
  });
  return lines.join('\n');
}

function targets(results: CaseResult[]): string {
  const lines = ['| target | size | measured | result |', '|---|---:|---:|---|'];
  for (const size of sizes) {
    const epoll = pick(results, 'epoll', size);
    const net = pick(results, 'net', size);
    const py = pick(results, 'python', size);
    const before = pick(results, 'epoll-baseline', size);
    if (!epoll) continue;
    if (before) {
      const x = epoll.messagesPerS / before.messagesPerS;
      const cpu = epoll.serverCpu !== null && before.serverCpu !== null
        ? `; server CPU per message ${((epoll.serverCpu / epoll.messagesPerS) / (before.serverCpu / before.messagesPerS)).toFixed(2)}×`
        : '';
      lines.push(`| this checkout's Epoll server vs ${baselineCommit}'s (messages/s${cpu ? ', CPU/msg' : ''}) | ${fmtSize(size)} | ${x.toFixed(2)}×${cpu} | measured |`);
    }
    if (net) {
      const x = epoll.messagesPerS / net.messagesPerS;
      lines.push(`| Epoll server ≥ 1.0× node:net | ${fmtSize(size)} | ${x.toFixed(2)}× | ${x >= 1 ? '**pass**' : '**FAIL**'} |`);
    }
    if (py) {
      const x = epoll.messagesPerS / py.messagesPerS;
      lines.push(`| moonshot: Epoll server ≥ 1.0× Python selectors | ${fmtSize(size)} | ${x.toFixed(2)}× | ${x >= 1 ? '**pass**' : 'not yet'} |`);
    }
  }
  return lines.length > 2 ? lines.join('\n') : '';
}

function machine(): string[] {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return [
    `- node ${process.version}${python ? `, Python ${python.version} (\`${python.exe}\`)` : ', no python3'}, Linux ${os.release()}, nproc ${os.cpus().length}, CPU: ${cpu}`,
    hasTaskset
      ? '- pinning: each server runs under `taskset -c 0`, the load generator under `taskset -c 1`'
      : '- pinning: **`taskset` is not available here, so nothing is pinned**: the server and the load generator share the cores as the scheduler likes',
  ];
}

function commandLine(): string {
  const args = process.argv.slice(2).join(' ');
  return process.env.npm_lifecycle_event === 'bench:echo'
    ? `npm run bench:echo${args ? ` -- ${args}` : ''}`
    : `node dist/bench/echo/run.js${args ? ` ${args}` : ''}`;
}

function usage(message: string): never {
  console.error(`bench:echo: ${message}`);
  console.error('usage: node dist/bench/echo/run.js [--quick] [--profile] [--no-write] [--connections N] [--duration S] [--warmup S] [--sizes 64,16384] [--servers epoll,epoll-peek,net,python] [--rounds N] [--baseline DIR]');
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// The runs.

async function benchmark(): Promise<void> {
  const startedAt = new Date();
  const loadBefore = os.loadavg()[0]!;
  const results: CaseResult[] = [];
  const failures: string[] = [];
  console.error(`bench:echo: ${servers.map((s) => s.label).join(', ')}; sizes ${sizes.join(', ')} B; ${connections} connections; ${warmupS} s warm-up + ${durationS} s per case; ${rounds} round(s)${hasTaskset ? '' : '; taskset not found, NOT pinned'}`);
  for (const line of skipped) console.error(`bench:echo: skipped ${line}`);
  for (let round = 0; round < rounds; round++) {
    for (const size of sizes) {
      // Later rounds rotate the order, so that no server always runs first.
      const order = servers.map((_, i) => servers[(i + round) % servers.length]!);
      for (const server of order) {
        try {
          const r = await runCase(server, size);
          results.push(r);
          console.error(`  ${server.label.padEnd(18)} ${fmtSize(size).padStart(6)}: ${fmtInt(r.messagesPerS).padStart(8)} msg/s ${r.mibPerS.toFixed(1).padStart(7)} MiB/s  p50 ${fmtUs(r.latencyUs.p50)}  p99 ${fmtUs(r.latencyUs.p99)}  server CPU ${fmtPct(r.serverCpu)}  load gen. CPU ${fmtPct(r.loadgenCpu)}`);
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
    baselineServer ? `## Echo benchmark: this checkout's Epoll server beside ${baselineCommit}'s` : '## End-to-end echo benchmark',
    '',
    `Written by \`npm run bench:echo\` (bench/echo/run.ts) at ${startedAt.toISOString().replace(/\.\d+Z$/, 'Z')}; each run rewrites this section.`,
    '',
    `- command: \`${commandLine()}\` (wall time ${Math.round(wall)} s)`,
    ...machine(),
    `- load: ${connections} connections from one load generator (bench/echo/loadgen.ts, node:net, a separate process), ping-pong: each connection sends one message, waits for the whole echo, checks every byte, sends the next; ${warmupS} s warm-up, then ${durationS} s measured per case; ${rounds === 1 ? 'one round' : `${rounds} rounds (rows: the round with the median messages/s)`}; every case one after another in this one run`,
    '- servers, all doing the same work (read what arrived, send the same bytes back), TCP_NODELAY on every socket: **wasmux Epoll (ET)** (bench/echo/server-epoll.ts: edge-triggered `Epoll` over the TCP sources, `recvInto` a reused 64 KiB buffer until would-block, partial sends kept and resumed on EPOLLOUT); **node:net** (bench/echo/server-net.ts: `data` → `write`); **Python selectors** (bench/echo/server_selectors.py: `DefaultSelector`, accept and read callbacks, `recv(65536)` then `sendall`)',
    ...skipped.map((line) => `- **not run**: ${line}`),
    `- **the machine is shared with other sessions and noisy** (2 cores; 1-minute load average ${loadBefore.toFixed(2)} at the start, ${loadAfter.toFixed(2)} at the end): absolute figures move by tens of percent between runs, so compare rows of the same run only; the CPU columns show how much of its core each process got (server: utime+stime from /proc over the measured window; below ~95% for both means something else took the core, or the process waited)`,
    '',
    table(results),
    '',
    'messages/s: complete round trips per second over all connections; MiB/s: echoed payload per second in one direction; p50/p99: round-trip time of a message as the load generator sees it (send to last echoed byte, 1 µs histogram); ratios: messages/s against the node:net and Python rows of the same size in this run; server CPU µs/msg: the server\'s CPU time (user + system, the kernel\'s loopback TCP work included) per echoed message, which is less sensitive than messages/s to another process taking the core. A load generator near 100% CPU means that row may be limited by the load generator rather than the server (loopback TCP costs both sides mostly kernel time: the details below split each CPU figure into total and user time).',
    '',
    ...(targets(results) ? ['Targets of the issue (messages/s ratios of this run):', '', targets(results), ''] : []),
    ...(failures.length ? ['**Failed cases:**', '', ...failures.map((f) => `- ${f}`), ''] : []),
    '<details><summary>Every case of this run, in the order run</summary>',
    '',
    detailTable(results),
    '',
    '</details>',
  ].join('\n');

  console.log(`\n${doc}\n`);
  if (failures.length > 0) {
    console.error(`bench:echo: ${failures.length} case(s) failed; bench/RESULTS.md not written`);
    process.exit(1);
  }
  if (write) {
    const section = baselineServer ? 'echo-baseline' : 'echo';
    writeSection(section, doc);
  } else {
    console.error('bench:echo: --quick/--no-write: bench/RESULTS.md not written');
  }
}

/** Each node server under --cpu-prof with the same load; the top self-time functions. */
async function profile(): Promise<void> {
  const startedAt = new Date();
  const dir = mkdtempSync(join(os.tmpdir(), 'wasmux-echo-prof-'));
  const parts: string[] = [
    '## Echo benchmark: CPU profiles',
    '',
    `Written by \`${commandLine()}\` at ${startedAt.toISOString().replace(/\.\d+Z$/, 'Z')}: each server runs under \`node --cpu-prof\` (sampling every 100 µs), pinned as above, with ${connections} connections for ${warmupS} s + ${durationS} s. Self time per function, as a share of the server's busy (non-idle) samples over its whole life (start-up and warm-up included), and that share of the server's CPU time per message (user + system from /proc over the measured window). The profiler samples wall time: while another process holds the core, the thread's last state keeps collecting samples, so shares from a contended run are only roughly right. \`writeBuffer\` is Node's native write: its self time is mostly the send(2) syscall, in which the kernel also runs the loopback delivery to the peer. The profiler adds overhead of its own, so throughput here is below the table above.`,
    '',
    ...machine(),
    `- 1-minute load average at the start: ${os.loadavg()[0]!.toFixed(2)} (the machine is shared and noisy)`,
    '',
  ];
  for (const size of sizes) {
    for (const server of servers) {
      const profDir = join(dir, `${server.key}-${size}`);
      const r = await runCase(server, size, ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-interval', '100']);
      const file = readdirSync(profDir).find((name) => name.endsWith('.cpuprofile'));
      if (!file) throw new Error(`${server.label}: no .cpuprofile written in ${profDir}`);
      const summary = summarize(join(profDir, file), root);
      console.error(`  ${server.label} ${fmtSize(size)}: ${fmtInt(r.messagesPerS)} msg/s under the profiler; profile ${join(profDir, file)}`);
      // The server's CPU time per message (from /proc, over the measured window), split by the
      // profile's shares of busy samples.
      const cpuUs = r.serverCpu === null ? 0 : r.serverCpu / r.messagesPerS * 1e6;
      const perMessage = (share: number): string => (cpuUs * share).toFixed(2);
      parts.push(
        `### ${server.label}, ${fmtSize(size)}: ${fmtInt(r.messagesPerS)} messages/s under the profiler, server CPU ${fmtPct(r.serverCpu)} = ${cpuUs.toFixed(2)} µs per message`,
        '',
        '| area | self time | ≈ CPU µs per message |',
        '|---|---:|---:|',
        ...summary.areas.map((a) => `| ${a.name} | ${(a.share * 100).toFixed(1)}% | ${perMessage(a.share)} |`),
        '',
        '| function | where | self time | ≈ CPU µs per message |',
        '|---|---|---:|---:|',
        ...summary.functions.slice(0, 15).map((f) => `| \`${f.name}\` | ${f.where} | ${(f.share * 100).toFixed(1)}% | ${perMessage(f.share)} |`),
        '',
      );
    }
  }
  const doc = parts.join('\n');
  console.log(`\n${doc}`);
  if (write) {
    writeSection('echo-profile', doc);
  }
}

if (profileMode) await profile();
else await benchmark();
process.exit(0);
