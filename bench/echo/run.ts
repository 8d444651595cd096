// The end-to-end echo benchmark: the same load generator (bench/echo/loadgen.c, built with the
// machine's cc; bench/echo/loadgen.ts on node:net where there is no compiler, or with --loadgen
// node) against each echo server, one after another in one run, servers pinned to core 0 and the
// load generator to core 1; then, where strace exists, a short traced run per server for its
// syscalls per message. Writes its table into bench/RESULTS.md (section "echo").
//
//   npm run bench:echo                      # build, then the full run (writes bench/RESULTS.md)
//   node dist/bench/echo/run.js --quick     # a short smoke run; prints, writes nothing
//   node dist/bench/echo/run.js [--connections 100] [--duration 5] [--warmup 1] [--sizes 64,16384]
//        [--servers c-epoll,epoll,epoll-fallback,selectors,loop,net,node-floor,node-floor-deferred,python] [--rounds 1] [--no-write]
//        [--loadgen c|node] [--node PATH] [--no-syscalls]
//        (--servers may also name epoll-peek: the Epoll server reading with peek/consume;
//        epoll-fallback is the Epoll server with net-internals switched off;
//        --node runs the node servers on another node binary, e.g. Node 26, the runner stays on this one;
//        that run writes section "echo-node<major>" beside "echo")
//   node dist/bench/echo/run.js --baseline ../before [--servers epoll,epoll-baseline,loop,loop-baseline]
//        # adds the wasmux servers of another built checkout (its dist/) as rows of the same run
//        # (epoll-baseline, epoll-peek-baseline, selectors-baseline, loop-baseline),
//        # for a before/after comparison taken side by side; writes section "echo-baseline"
//   node dist/bench/echo/run.js --profile [--servers epoll,net] [--sizes 64,16384]
//        # each server under node --cpu-prof; top self-time functions (section "echo-profile")
//
// Servers: "c-epoll" (bench/echo/server-epoll.c: the machine's limit for this work), "epoll"
// (bench/echo/server-epoll.ts: edge-triggered, on wasmux Epoll and the TCP sources), "selectors"
// and "loop" (bench/echo/server-loop.ts: the server of `npm start`, and one async handler per
// connection on an EventLoop), "net" (bench/echo/server-net.ts: node:net, data → write),
// "node-floor" (bench/echo/server-floor.ts: the read callback writes straight back: Node's floor),
// "node-floor-deferred" (the same with the least a readiness API adds: a copy, then the echo after
// the I/O phase) and
// "python" (bench/echo/server_selectors.py: the classic selectors server, the machine's python3).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { commandLine, commitOf, machineLine, root, timestamp, type Column } from '../report.js';
import {
  buildNative, countSyscalls, detailTable, failureLines, finish, fmtInt, fmtPct, fmtSize, hasStrace, hasTaskset,
  LOADGEN_LIMIT, loadgenText, measure, parseRunner, pick, resultsTable, roundsText, runRounds, sectionHead, spawnServer,
  type CaseResult, type Server, type SyscallCounts,
} from './harness.js';
import { summarize } from './profile.js';

const runner = parseRunner('bench:echo', {
  connections: 100,
  loadgen: 'c',
  options: {
    profile: { type: 'boolean', default: false },
    servers: { type: 'string' },
    baseline: { type: 'string' },
    node: { type: 'string' },
    'no-syscalls': { type: 'boolean', default: false },
  },
  usage: '[--profile] [--servers c-epoll,epoll,epoll-peek,epoll-fallback,selectors,loop,net,node-floor,python] [--baseline DIR] [--node PATH] [--no-syscalls]',
});
const { flags, usage } = runner;
const { connections, durationS, warmupS, sizes } = flags;
const profileMode = runner.own.profile === true;

// ---------------------------------------------------------------------------------------------
// The machine.

const python = findPython();
const epollServer = join(root, 'dist/bench/echo/server-epoll.js');
const loopServer = join(root, 'dist/bench/echo/server-loop.js');
const tcpApi = await hasTcpApi();
const node = findNode(typeof runner.own.node === 'string' ? resolve(runner.own.node) : process.execPath);
const otherNode = node.exe !== process.execPath;
const nodeMajor = node.version.replace(/^v/, '').split('.')[0];
const traceSyscalls = hasStrace && runner.own['no-syscalls'] !== true && !profileMode;

/** The node the servers run on (--node), and its version. */
function findNode(exe: string): { exe: string; version: string } {
  const found = spawnSync(exe, ['--version'], { encoding: 'utf8' });
  if (found.status !== 0) usage(`--node: ${exe} does not run (${found.error?.message ?? found.stderr.trim()})`);
  return { exe, version: found.stdout.trim() };
}

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

// --baseline: another checkout's build of the same wasmux servers, named by its commit.
const baselineDir = typeof runner.own.baseline === 'string' ? resolve(runner.own.baseline) : undefined;
if (baselineDir && !existsSync(join(baselineDir, 'dist/bench/echo/server-epoll.js'))) usage(`--baseline: ${baselineDir}/dist/bench/echo/server-epoll.js does not exist (build that checkout first)`);
const baselineCommit = baselineDir && commitOf(baselineDir);

const wasmuxServers: Server[] = [
  { key: 'epoll', label: 'wasmux Epoll (ET)', command: [node.exe, epollServer] },
  { key: 'epoll-peek', label: 'wasmux Epoll (ET, peek/consume)', command: [node.exe, epollServer], extra: ['--peek'] },
  { key: 'epoll-fallback', label: 'wasmux Epoll (ET), node:net fallbacks', command: [node.exe, epollServer], extra: ['--no-internals'] },
  { key: 'selectors', label: 'wasmux selectors server (npm start)', command: [node.exe, loopServer], extra: ['--selectors'] },
  { key: 'loop', label: 'wasmux EventLoop (sockRecv/sockSendall)', command: [node.exe, loopServer], extra: ['--eventloop'] },
];
/** The same servers from the --baseline checkout: key "<key>-baseline", its dist/ in place of ours. */
const baselineServers: Server[] = baselineDir === undefined ? [] : wasmuxServers.map((server) => ({
  ...server,
  key: `${server.key}-baseline`,
  label: `${server.label} at ${baselineCommit}`,
  command: [node.exe, join(baselineDir, relative(root, server.command[1]!))],
}));

const allServers: Server[] = [
  { key: 'c-epoll', label: 'C epoll (ET)', command: [] },
  ...baselineServers,
  ...wasmuxServers,
  { key: 'net', label: 'node:net', command: [node.exe, join(root, 'dist/bench/echo/server-net.js')] },
  { key: 'node-floor', label: 'Node floor (read callback → writeSync)', command: [node.exe, join(root, 'dist/bench/echo/server-floor.js')] },
  { key: 'node-floor-deferred', label: 'Node floor, deferred (copy, then writeSync after the I/O phase)', command: [node.exe, join(root, 'dist/bench/echo/server-floor.js'), '--deferred'] },
  { key: 'python', label: 'Python selectors', command: python ? [python.exe, join(root, 'bench/echo/server_selectors.py')] : [] },
];
const wanted = String(runner.own.servers ?? (profileMode ? 'epoll,net' : baselineDir ? 'epoll,epoll-baseline,net' : 'c-epoll,epoll,epoll-fallback,selectors,loop,net,node-floor,node-floor-deferred,python')).split(',');
const skipped: string[] = [];
const servers = allServers.filter((server) => {
  if (!wanted.includes(server.key)) return false;
  if (server.key === 'c-epoll') {
    const { exe, why } = buildNative('server-epoll');
    if (!exe) skipped.push(`C epoll (ET): ${why}`);
    server.command = exe ? [exe] : [];
    return exe !== undefined;
  }
  if (server.command[0] === node.exe && server.key !== 'net' && !server.key.startsWith('node-floor') && !tcpApi) {
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
if (profileMode && servers.some((server) => server.key === 'python' || server.key === 'c-epoll')) usage('--profile profiles node servers only');

// ---------------------------------------------------------------------------------------------
// One case: the server on core 0, the load generator on core 1.

function runCase(server: Server, size: number, nodeFlags: string[] = []): Promise<CaseResult> {
  return measure(server, spawnServer(server, flags, { nodeFlags }), size, flags);
}

// ---------------------------------------------------------------------------------------------
// Reporting.

const fmtRatio = (x: number | undefined): string => (x === undefined ? '–' : `${x.toFixed(2)}×`);

/** Messages/s over the node:net, Python and C rows of the same size. */
function ratioColumns(results: CaseResult[]): Column<CaseResult>[] {
  const versus = (key: string) => (r: CaseResult): string => {
    const other = pick(results, key, r.size);
    return fmtRatio(other && r.messagesPerS / other.messagesPerS);
  };
  return [
    { head: 'vs node:net', cell: versus('net') },
    { head: 'vs Python', cell: versus('python') },
    ...(servers.some((server) => server.key === 'c-epoll') ? [{ head: 'vs C epoll', cell: versus('c-epoll') }] : []),
  ];
}

/** What each server is, for the section's servers line. */
const SERVER_TEXT: Record<string, string> = {
  'c-epoll': 'bench/echo/server-epoll.c, `cc -O2`: accept4, `read` a 64 KiB buffer until EAGAIN, `write` what was read: the machine\'s limit for this work',
  epoll: 'bench/echo/server-epoll.ts: edge-triggered `Epoll` over the TCP sources, `recvInto` a reused 64 KiB buffer until would-block, partial sends kept and resumed on EPOLLOUT',
  'epoll-peek': 'bench/echo/server-epoll.ts --peek: as above, moving the bytes with `peek`, `sendZeroCopy` and `consume`',
  'epoll-fallback': 'bench/echo/server-epoll.ts --no-internals: as `wasmux Epoll (ET)` with every use of node:net internals switched off, so the TCP sources run their documented fallbacks (reads as `data` events, every send through `socket.write`), as on a runtime without those internals',
  selectors: '`startSelectorsEchoServer` over the epoll selector, bench/echo/server-loop.ts --selectors: `recvInto` one 64 KiB buffer shared by every connection, then `send`',
  loop: 'bench/echo/server-loop.ts --eventloop: one async handler per connection on an `EventLoop`, `await loop.sockRecv(sock, 65536)` then `await loop.sockSendall(sock, data)`, the style of examples/blocking-style-server.ts',
  net: 'bench/echo/server-net.ts: `data` → `write`',
  'node-floor': 'bench/echo/server-floor.ts: the least a Node server can do per message, and so the floor for any server on node:net\'s reads: reads land in one shared buffer and are written back with `fs.writeSync` on the fd inside the read callback, no queue, readiness or wait (Node\'s internals, as net-internals.ts uses them)',
  'node-floor-deferred': 'bench/echo/server-floor.ts --deferred: the floor plus the least a readiness API must add to it: each read copied out of Node\'s reused buffer (to the end of one arena), and the echo deferred to after the I/O phase of the host loop\'s turn (one setImmediate per batch), then one pass writes every queued read back; no readiness state, wait or promise',
  python: 'bench/echo/server_selectors.py: `DefaultSelector`, accept and read callbacks, `recv(65536)` then `sendall`',
};

/** Syscalls per echoed message of each server and size, from its traced run (`countSyscalls`). */
const syscalls = new Map<string, SyscallCounts>();

function syscallColumns(): Column<CaseResult>[] {
  if (syscalls.size === 0) return [];
  const per = (pick: (c: SyscallCounts) => string) => (r: CaseResult): string => {
    const counts = syscalls.get(`${r.server.key} ${r.size}`);
    return counts ? pick(counts) : '–';
  };
  return [
    { head: 'epoll_wait/msg', cell: per((c) => c.epollWait.toFixed(2)) },
    { head: 'reads/msg (EAGAIN)', cell: per((c) => `${c.reads.toFixed(2)} (${c.failedReads.toFixed(2)})`) },
    { head: 'writes/msg', cell: per((c) => c.writes.toFixed(2)) },
  ];
}

// The issue's targets: messages/s of `key` over `versus`'s at least `min`.
const TARGETS = [
  { key: 'epoll', versus: 'python', min: 1.0, what: 'wasmux Epoll server ≥ 1.0× Python selectors' },
  { key: 'selectors', versus: 'python', min: 0.9, what: 'selectors server (npm start) ≥ 0.9× Python selectors' },
  { key: 'loop', versus: 'net', min: 1.0, what: 'EventLoop server ≥ 1.0× node:net' },
  { key: 'epoll', versus: 'c-epoll', min: 0.9, what: 'moonshot: wasmux Epoll server ≥ 0.9× C epoll' },
];

// What bounds those targets on node:net, and how near the wasmux servers come to it (no pass/fail).
const BOUNDS = [
  { key: 'node-floor', versus: 'python', what: 'bound: Node floor vs Python selectors (what any server on node:net\'s reads can reach)' },
  { key: 'node-floor-deferred', versus: 'python', what: 'bound: Node floor, deferred, vs Python selectors (what is left after a readiness API\'s copy and batch)' },
  { key: 'epoll', versus: 'node-floor-deferred', what: 'wasmux Epoll server vs the deferred floor' },
  { key: 'selectors', versus: 'node-floor-deferred', what: 'selectors server (npm start) vs the deferred floor' },
];

function targets(results: CaseResult[]): string {
  const lines = ['| target | size | measured | result |', '|---|---:|---:|---|'];
  for (const size of sizes) {
    for (const server of wasmuxServers) {
      const now = pick(results, server.key, size);
      const before = pick(results, `${server.key}-baseline`, size);
      if (!now || !before) continue;
      const x = now.messagesPerS / before.messagesPerS;
      const cpu = now.serverCpu !== null && before.serverCpu !== null
        ? `; server CPU per message ${((now.serverCpu / now.messagesPerS) / (before.serverCpu / before.messagesPerS)).toFixed(2)}×`
        : '';
      lines.push(`| this checkout's ${server.label} vs ${baselineCommit}'s (messages/s${cpu ? ', CPU/msg' : ''}) | ${fmtSize(size)} | ${x.toFixed(2)}×${cpu} | measured |`);
    }
    for (const target of TARGETS) {
      const mine = pick(results, target.key, size);
      const other = pick(results, target.versus, size);
      if (!mine || !other) continue;
      const x = mine.messagesPerS / other.messagesPerS;
      lines.push(`| ${target.what} | ${fmtSize(size)} | ${x.toFixed(2)}× | ${x >= target.min ? '**pass**' : target.what.startsWith('moonshot') ? 'not yet' : '**FAIL**'} |`);
    }
    for (const bound of BOUNDS) {
      const mine = pick(results, bound.key, size);
      const other = pick(results, bound.versus, size);
      if (mine && other) lines.push(`| ${bound.what} | ${fmtSize(size)} | ${(mine.messagesPerS / other.messagesPerS).toFixed(2)}× | measured |`);
    }
  }
  return lines.length > 2 ? lines.join('\n') : '';
}

function machine(): string[] {
  return [
    machineLine(python ? `, Python ${python.version} (\`${python.exe}\`)` : ', no python3'),
    ...(otherNode ? [`- **the node servers run on node ${node.version}** (\`${node.exe}\`, --node); the runner${flags.loadgen.kind === 'node' ? ' and the load generator' : ''} on ${process.version}`] : []),
    hasTaskset
      ? '- pinning: each server runs under `taskset -c 0`, the load generator under `taskset -c 1`'
      : '- pinning: **`taskset` is not available here, so nothing is pinned**: the server and the load generator share the cores as the scheduler likes',
  ];
}

// ---------------------------------------------------------------------------------------------
// The runs.

async function benchmark(): Promise<void> {
  for (const line of skipped) console.error(`bench:echo: skipped ${line}`);
  const run = await runRounds(runner, servers, (server, size) => runCase(server, size));
  const { results } = run;
  if (traceSyscalls) {
    console.error(`bench:echo: syscalls per message, a traced run of 1 s per server and size (strace -c -f -p, 10 connections)`);
    for (const size of sizes) {
      for (const server of servers) {
        try {
          const counts = await countSyscalls(server, size, flags);
          syscalls.set(`${server.key} ${size}`, counts);
          console.error(`  ${server.label} ${fmtSize(size)}: epoll_wait ${counts.epollWait.toFixed(2)}, reads ${counts.reads.toFixed(2)} (EAGAIN ${counts.failedReads.toFixed(2)}), writes ${counts.writes.toFixed(2)} per message`);
        } catch (error) {
          console.error(`  ${server.label} ${fmtSize(size)}: no syscall counts: ${(error as Error).message}`);
        }
      }
    }
  }
  const limited = results.filter((r) => r.loadgenCpu > LOADGEN_LIMIT).length;
  const doc = [
    ...sectionHead(runner, baselineDir ? `## Echo benchmark: this checkout's servers beside ${baselineCommit}'s` : `## End-to-end echo benchmark${otherNode ? `, node servers on Node ${nodeMajor}` : ''}`, run),
    ...machine(),
    `- load: ${connections} connections from one load generator (${loadgenText(flags.loadgen)}), ping-pong: each connection sends one message, waits for the whole echo, checks every byte, sends the next; ${warmupS} s warm-up, then ${durationS} s measured per case; ${roundsText(flags.rounds)}; every case one after another in this one run`,
    `- servers, all doing the same work (read what arrived, send the same bytes back), TCP_NODELAY on every socket: ${servers.map((server) => `**${server.label}** (${SERVER_TEXT[server.key.replace('-baseline', '')] ?? ''})`).join('; ')}`,
    ...skipped.map((line) => `- **not run**: ${line}`),
    `- **the machine is shared with other sessions and noisy** (2 cores; 1-minute load average ${run.loadBefore.toFixed(2)} at the start, ${run.loadAfter.toFixed(2)} at the end): absolute figures move by tens of percent between runs, so compare rows of the same run only; the CPU columns show how much of its core each process got (server: utime+stime from /proc over the measured window; below ~95% for both means something else took the core, or the process waited)`,
    '',
    resultsTable(results, servers, sizes, [...ratioColumns(results), ...syscallColumns()]),
    '',
    `messages/s: complete round trips per second over all connections; MiB/s: echoed payload per second in one direction; p50/p99: round-trip time of a message as the load generator sees it (send to last echoed byte, 1 µs histogram); ratios: messages/s against the node:net, Python and C epoll rows of the same size in this run; server CPU µs/msg: the server\'s CPU time (user + system, the kernel\'s loopback TCP work included) per echoed message, which is less sensitive than messages/s to another process taking the core; server user µs/msg: the user-space part of it (the server\'s own code, without the kernel\'s socket work). Load gen. CPU: the generator\'s share of its core over the window; **⚠ marks a row whose generator was above ${LOADGEN_LIMIT * 100}%: there the generator, not the server, may be what limits** (loopback TCP costs both sides mostly kernel time: the details below split each CPU figure into total and user time).${limited ? ` ${limited} case(s) of this run are so marked.` : ''}`,
    ...(syscalls.size > 0 ? ['', `Syscalls per message: a separate run of each server under \`strace -c -f -p <pid>\` (all its threads) for 1 s with 10 connections, after the measured rows; each count is over every echoed message of that run. epoll_wait counts epoll_wait and epoll_pwait; reads: read, recvfrom, readv, recvmsg (in brackets, those that failed, EAGAIN: nothing there yet); writes: write, sendto, writev, sendmsg. Tracing slows a server several times over, so these runs are not the table\'s throughput.`] : []),
    ...(hasStrace ? [] : ['', 'No syscall counts: `strace` is not installed here.']),
    '',
    ...(targets(results) ? ['Targets of the issue (messages/s ratios of this run):', '', targets(results), ''] : []),
    ...failureLines(run),
    detailTable(results),
  ].join('\n');
  // A run with --node gets a section of its own (echo-node26), so both Node versions' tables stand side by side.
  finish(runner, baselineDir ? 'echo-baseline' : otherNode ? `echo-node${nodeMajor}` : 'echo', doc, run);
}

/** Each node server under --cpu-prof with the same load; the top self-time functions. */
async function profile(): Promise<void> {
  const startedAt = new Date();
  const dir = mkdtempSync(join(os.tmpdir(), 'wasmux-echo-prof-'));
  const parts: string[] = [
    '## Echo benchmark: CPU profiles',
    '',
    `Written by \`${commandLine('bench:echo')}\` at ${timestamp(startedAt)}: each server runs under \`node --cpu-prof\` (sampling every 100 µs), pinned as above, with ${connections} connections for ${warmupS} s + ${durationS} s. Self time per function, as a share of the server's busy (non-idle) samples over its whole life (start-up and warm-up included), and that share of the server's CPU time per message (user + system from /proc over the measured window). The profiler samples wall time: while another process holds the core, the thread's last state keeps collecting samples, so shares from a contended run are only roughly right. \`writeBuffer\` is Node's native write: its self time is mostly the send(2) syscall, in which the kernel also runs the loopback delivery to the peer. The profiler adds overhead of its own, so throughput here is below the table above.`,
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
  finish(runner, 'echo-profile', parts.join('\n'));
}

if (profileMode) await profile();
else await benchmark();
process.exit(0);
