// The runner that bench/echo/run.ts and bench/wasi/run.ts share: their common flags, echo servers
// and the load generator (bench/echo/loadgen.c built at bench time, or bench/echo/loadgen.ts on
// node:net) as pinned child processes, the syscall counts of a traced run, the rounds of cases,
// and the tables and lines of their RESULTS.md sections. One copy, so that the two benchmarks
// measure the same way and their tables stay comparable. Each runner keeps its own servers, its
// own columns and its section.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { commandLine, markdownTable, median, root, timestamp, writeSection, type Column } from '../report.js';

// ---------------------------------------------------------------------------------------------
// Flags: both runners take --quick, --no-write, --connections, --duration, --warmup, --sizes and
// --rounds, with the same defaults and checks; each adds its own.

export interface RunFlags {
  quick: boolean;
  /** Whether the section goes into bench/RESULTS.md: not with --quick or --no-write. */
  write: boolean;
  connections: number;
  durationS: number;
  warmupS: number;
  sizes: number[];
  rounds: number;
  /** The load generator that runs: the C one (bench/echo/loadgen.c) when it builds, else node:net. */
  loadgen: LoadGenerator;
}

export interface Runner {
  /** The npm script, which starts every message: "bench:echo". */
  name: string;
  flags: RunFlags;
  /** The runner's own flags, as parseArgs gave them. */
  own: Record<string, string | boolean | undefined>;
  /** Prints the message and the usage line, and exits 2. */
  usage(message: string): never;
}

export function parseRunner(name: string, spec: {
  /** Default --connections. */
  connections: number;
  /** Default --loadgen (node: bench/echo/loadgen.ts; c: bench/echo/loadgen.c, node where it does not build). */
  loadgen?: 'c' | 'node';
  /** The runner's own flags, and how the usage line shows them. */
  options?: ParseArgsConfig['options'];
  usage?: string;
}): Runner {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      connections: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      sizes: { type: 'string' },
      rounds: { type: 'string' },
      loadgen: { type: 'string' },
      ...spec.options,
    },
  });
  const usage = (message: string): never => {
    console.error(`${name}: ${message}`);
    console.error(`usage: node ${relative(root, process.argv[1]!)} [--quick] [--no-write] [--connections N] [--duration S] [--warmup S] [--sizes 64,16384] [--rounds N] [--loadgen c|node]${spec.usage ? ` ${spec.usage}` : ''}`);
    process.exit(2);
  };
  const quick = values.quick === true;
  const flags: RunFlags = {
    quick,
    write: !quick && values['no-write'] !== true,
    connections: Number(values.connections ?? spec.connections),
    durationS: Number(values.duration ?? (quick ? 1 : 5)),
    warmupS: Number(values.warmup ?? (quick ? 0.3 : 1)),
    sizes: String(values.sizes ?? '64,16384').split(',').map(Number),
    rounds: Number(values.rounds ?? 1),
    loadgen: nodeLoadgen,
  };
  const wantedLoadgen = String(values.loadgen ?? spec.loadgen ?? 'node');
  if (wantedLoadgen !== 'c' && wantedLoadgen !== 'node') usage('--loadgen must be c or node');
  if (wantedLoadgen === 'c') flags.loadgen = cLoadgen();
  for (const key of ['connections', 'rounds'] as const) {
    if (!Number.isSafeInteger(flags[key]) || flags[key] <= 0) usage(`--${key} must be a positive integer`);
  }
  if (!(flags.durationS > 0) || !(flags.warmupS >= 0)) usage('--duration must be > 0 and --warmup >= 0');
  if (flags.sizes.some((size) => !Number.isSafeInteger(size) || size <= 0)) usage('--sizes must be positive integers');
  // Every child process is killed when the runner ends, however it ends.
  killChildrenOnExit(name);
  return { name, flags, own: values, usage };
}

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
function killChildrenOnExit(name: string): void {
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

function track(child: ChildProcess): ChildProcess {
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
// Native parts: the C load generator and the C server, built with the machine's cc at bench time
// into build/bench/ (nothing native is committed or installed).

const built = new Map<string, { exe?: string; why?: string }>();

/** Compiles bench/echo/<name>.c with `cc -O2` once per run; the executable, or why there is none. */
export function buildNative(name: string): { exe?: string; why?: string } {
  let result = built.get(name);
  if (result) return result;
  const exe = join(root, 'build/bench', name);
  mkdirSync(dirname(exe), { recursive: true });
  const cc = spawnSync('cc', ['-O2', '-o', exe, join(root, 'bench/echo', `${name}.c`)], { encoding: 'utf8' });
  result = cc.error ? { why: `no C compiler (cc: ${(cc.error as NodeJS.ErrnoException).code ?? cc.error.message})` }
    : cc.status !== 0 ? { why: `cc failed on bench/echo/${name}.c: ${cc.stderr.trim().split('\n')[0]}` }
      : { exe };
  built.set(name, result);
  return result;
}

/** Whether a server command runs on node (so that node flags such as --cpu-prof apply). */
export function isNode(exe: string): boolean {
  return exe === process.execPath || /^node(js)?\d*$/.test(basename(exe));
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

/** An echo server the runner starts: `command` is followed by the port, --timeout and `extra`. */
export interface Server {
  key: string;
  label: string;
  command: string[];
  extra?: string[];
}

/**
 * Starts `server` on core 0 on a free port, with a --timeout past the end of its case; `nodeFlags`
 * go to node itself (a node server only), `stderr` 'pipe' lets the runner read what it says.
 */
export function spawnServer(server: Server, flags: RunFlags, { nodeFlags = [] as string[], stderr = 'inherit' as 'inherit' | 'pipe' } = {}): ChildProcess {
  const [exe, ...rest] = server.command;
  const command = pinned(0, isNode(exe!) ? [exe!, ...nodeFlags, ...rest] : [exe!, ...rest]);
  const timeout = String(Math.ceil(flags.warmupS + flags.durationS + 120));
  return track(spawn(command[0]!, [...command.slice(1), '0', '--timeout', timeout, ...(server.extra ?? [])], {
    stdio: ['pipe', 'pipe', stderr],
    cwd: root,
  }));
}

export interface CaseResult<S extends Server = Server> extends LoadResult {
  server: S;
  /** The 1-minute load average when the case started. */
  load1: number;
}

/** One case: once the started server is ready, the load generator on core 1 against it; then the server is stopped. */
export async function measure<S extends Server>(server: S, child: ChildProcess, size: number, flags: RunFlags): Promise<CaseResult<S>> {
  const load1 = os.loadavg()[0]!;
  try {
    const port = await readyPort(child, server.label);
    const result = await runLoad({ port, size, serverPid: child.pid!, ...flags });
    return { ...result, server, load1 };
  } finally {
    await stopServer(child);
  }
}

// ---------------------------------------------------------------------------------------------
// The load generator: one run against one server, its JSON result line parsed.

export interface LoadGenerator {
  kind: 'c' | 'node';
  command: string[];
  /** Why the C generator was asked for but is not the one that runs. */
  fallback?: string;
}

const nodeLoadgen: LoadGenerator = { kind: 'node', command: [process.execPath, join(root, 'dist/bench/echo/loadgen.js')] };

function cLoadgen(): LoadGenerator {
  const { exe, why } = buildNative('loadgen');
  return exe ? { kind: 'c', command: [exe] } : { ...nodeLoadgen, fallback: why };
}

/** What the section's load line says about the generator that ran. */
export function loadgenText(generator: LoadGenerator): string {
  return generator.kind === 'c'
    ? 'bench/echo/loadgen.c, native: one epoll-driven process built with the machine\'s `cc -O2`'
    : `bench/echo/loadgen.ts, node:net, a separate node process${generator.fallback ? `; **the C generator was asked for and is not running**: ${generator.fallback}` : ''}`;
}

/** The JSON line bench/echo/loadgen.ts (or loadgen.c) prints at the end (the fields the runners read). */
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

interface LoadOptions {
  port: number;
  size: number;
  serverPid: number;
  connections: number;
  durationS: number;
  warmupS: number;
  loadgen: LoadGenerator;
}

function runLoad({ port, size, serverPid, connections, durationS, warmupS, loadgen }: LoadOptions): Promise<LoadResult> {
  const args = [
    ...loadgen.command,
    '--port', String(port), '--connections', String(connections), '--size', String(size),
    '--duration', String(durationS), '--warmup', String(warmupS), '--server-pid', String(serverPid),
  ];
  const command = pinned(1, args);
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
// Syscalls per message: a short separate run of a server under `strace -c -f -p` (all its
// threads), since tracing slows a server several times over and must not touch the measured rows.

export const hasStrace = spawnSync('strace', ['-V']).status === 0;

/** Syscalls of one traced run, per echoed message (every round trip of the run, warm-up included). */
export interface SyscallCounts {
  epollWait: number;
  reads: number;
  writes: number;
  /** Of the reads, those that failed (EAGAIN: nothing there yet). */
  failedReads: number;
}

const SYSCALL_GROUPS: Record<string, 'epollWait' | 'reads' | 'writes'> = {
  epoll_wait: 'epollWait', epoll_pwait: 'epollWait', epoll_pwait2: 'epollWait',
  read: 'reads', recvfrom: 'reads', readv: 'reads', recvmsg: 'reads',
  write: 'writes', sendto: 'writes', writev: 'writes', sendmsg: 'writes',
};

/** Starts `server`, attaches strace once it is ready, drives `connections` for 1 s, and counts. */
export async function countSyscalls(server: Server, size: number, flags: RunFlags, connections = 10): Promise<SyscallCounts> {
  const child = spawnServer(server, flags);
  const out = join(os.tmpdir(), `wasmux-echo-strace-${process.pid}-${server.key}-${size}.txt`);
  try {
    const port = await readyPort(child, server.label);
    const strace = track(spawn('strace', ['-c', '-f', '-p', String(child.pid), '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] }));
    let said = '';
    await new Promise<void>((attached, reject) => {
      const timer = setTimeout(() => reject(new Error(`strace did not attach in 5 s: ${said.trim()}`)), 5000);
      strace.stderr!.setEncoding('utf8');
      strace.stderr!.on('data', (chunk: string) => {
        said += chunk;
        if (/attached/.test(said)) { clearTimeout(timer); attached(); }
      });
      strace.once('exit', () => { clearTimeout(timer); reject(new Error(`strace exited: ${said.trim()}`)); });
    });
    const load = await runLoad({ port, size, serverPid: child.pid!, connections, durationS: 1, warmupS: 0.2, loadgen: flags.loadgen });
    strace.kill('SIGINT'); // detaches and writes the summary
    await exited(strace);
    const counts = { epollWait: 0, reads: 0, writes: 0, failedReads: 0 };
    // "% time  seconds  usecs/call  calls  [errors]  syscall"
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      const match = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:(\d+)\s+)?(\w+)\s*$/.exec(line);
      const group = match && SYSCALL_GROUPS[match[3]!];
      if (!group) continue;
      counts[group] += Number(match[1]);
      if (group === 'reads') counts.failedReads += Number(match[2] ?? 0);
    }
    for (const key of Object.keys(counts) as (keyof SyscallCounts)[]) counts[key] /= load.echoes;
    return counts;
  } finally {
    await stopServer(child);
    rmSync(out, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// The run: every size and server, round after round, one case at a time.

export interface Run<R> {
  results: R[];
  /** "label, size: error" of each case that failed; the others still ran. */
  failures: string[];
  startedAt: Date;
  /** 1-minute load average before the first case and after the last. */
  loadBefore: number;
  loadAfter: number;
  wallS: number;
}

/**
 * Runs every case `flags.rounds` times, a line per case on stderr (`more` adds to it); each later
 * round rotates the servers' order, so that no server always runs first.
 */
export async function runRounds<S extends Server, R extends CaseResult<S>>(
  runner: Runner, servers: S[], runCase: (server: S, size: number) => Promise<R>, more: (r: R) => string = () => '',
): Promise<Run<R>> {
  const { name, flags } = runner;
  const startedAt = new Date();
  const loadBefore = os.loadavg()[0]!;
  const results: R[] = [];
  const failures: string[] = [];
  const width = Math.max(...servers.map((server) => server.label.length));
  console.error(`${name}: ${servers.map((s) => s.label).join(', ')}; sizes ${flags.sizes.join(', ')} B; ${flags.connections} connections; ${flags.warmupS} s warm-up + ${flags.durationS} s per case; ${flags.rounds} round(s)${hasTaskset ? '' : '; taskset not found, NOT pinned'}`);
  for (let round = 0; round < flags.rounds; round++) {
    for (const size of flags.sizes) {
      const order = servers.map((_, i) => servers[(i + round) % servers.length]!);
      for (const server of order) {
        try {
          const r = await runCase(server, size);
          results.push(r);
          console.error(`  ${server.label.padEnd(width)} ${fmtSize(size).padStart(6)}: ${fmtInt(r.messagesPerS).padStart(8)} msg/s ${r.mibPerS.toFixed(1).padStart(7)} MiB/s  p50 ${fmtUs(r.latencyUs.p50)}  p99 ${fmtUs(r.latencyUs.p99)}  server CPU ${fmtPct(r.serverCpu)}  load gen. CPU ${fmtPct(r.loadgenCpu)}${more(r)}`);
        } catch (error) {
          const message = `${server.label}, ${fmtSize(size)}: ${(error as Error).message}`;
          failures.push(message);
          console.error(`  FAILED ${message}`);
        }
      }
    }
  }
  return { results, failures, startedAt, loadBefore, loadAfter: os.loadavg()[0]!, wallS: (Date.now() - startedAt.getTime()) / 1000 };
}

// ---------------------------------------------------------------------------------------------
// Summarising rounds: the machine is shared and noisy, so with several rounds each table row is
// the median round rather than the mean, which one disturbed round would drag.

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

/** The user-space part of it: the server's own code, without the kernel's socket work. */
export function userCpuPerMessage(r: LoadResult): string {
  return r.serverUserCpu === null || r.messagesPerS === 0 ? '' : (r.serverUserCpu / r.messagesPerS * 1e6).toFixed(2);
}

/** Above this share of its core the load generator, not the server, may be what limits a row. */
export const LOADGEN_LIMIT = 0.9;

/** The generator's CPU share, flagged when it may be what limits the row. */
export function loadgenCell(r: LoadResult): string {
  return r.loadgenCpu > LOADGEN_LIMIT ? `**${fmtPct(r.loadgenCpu)} ⚠**` : fmtPct(r.loadgenCpu);
}

// ---------------------------------------------------------------------------------------------
// The section: its opening lines, its two tables (each runner adds its own columns) and where it goes.

/** The lines a section opens with: its title, who wrote it when, and the command. */
export function sectionHead(runner: Runner, title: string, run: Run<unknown>): string[] {
  return [
    title,
    '',
    `Written by \`npm run ${runner.name}\` (${relative(root, process.argv[1]!).replace(/^dist\//, '').replace(/\.js$/, '.ts')}) at ${timestamp(run.startedAt)}; each run rewrites this section.`,
    '',
    `- command: \`${commandLine(runner.name)}\` (wall time ${Math.round(run.wallS)} s)`,
  ];
}

/** How the rows were chosen, for the section's load line. */
export function roundsText(rounds: number): string {
  return rounds === 1 ? 'one round' : `${rounds} rounds (rows: the round with the median messages/s)`;
}

/** One row per server and size (the median round); `own` columns stand after p99. */
export function resultsTable<R extends CaseResult>(results: R[], servers: Server[], sizes: number[], own: Column<R>[]): string {
  const rows = sizes.flatMap((size) => servers.flatMap((server) => pick(results, server.key, size) ?? []));
  return markdownTable<R>([
    { head: 'server', cell: (r) => r.server.label, left: true },
    { head: 'size', cell: (r) => fmtSize(r.size) },
    { head: 'messages/s', cell: (r) => fmtInt(r.messagesPerS) },
    { head: 'MiB/s', cell: (r) => r.mibPerS.toFixed(1) },
    { head: 'p50', cell: (r) => fmtUs(r.latencyUs.p50) },
    { head: 'p99', cell: (r) => fmtUs(r.latencyUs.p99) },
    ...own,
    { head: 'server CPU', cell: (r) => fmtPct(r.serverCpu) },
    { head: 'server CPU µs/msg', cell: cpuPerMessage },
    { head: 'server user µs/msg', cell: userCpuPerMessage },
    { head: 'load gen. CPU', cell: loadgenCell },
  ], rows);
}

/** Every case in the order run, in a <details> block; `own` columns stand after the round trips. */
export function detailTable<R extends CaseResult>(results: R[], own: Column<R>[] = []): string {
  const numbered = results.map((r, i) => ({ ...r, index: i + 1 }));
  return [
    '<details><summary>Every case of this run, in the order run</summary>',
    '',
    markdownTable<R & { index: number }>([
      { head: '#', cell: (r) => String(r.index) },
      { head: 'server', cell: (r) => r.server.label, left: true },
      { head: 'size', cell: (r) => fmtSize(r.size) },
      { head: 'messages (measured)', cell: (r) => fmtInt(r.messages) },
      { head: 'round trips (all)', cell: (r) => fmtInt(r.echoes) },
      ...own,
      { head: 'messages/s', cell: (r) => fmtInt(r.messagesPerS) },
      { head: 'mean', cell: (r) => fmtUs(r.latencyUs.mean) },
      { head: 'p90', cell: (r) => fmtUs(r.latencyUs.p90) },
      { head: 'p99.9', cell: (r) => fmtUs(r.latencyUs.p999) },
      { head: 'max', cell: (r) => fmtUs(r.latencyUs.max) },
      { head: 'server CPU (user)', cell: (r) => `${fmtPct(r.serverCpu)} (${fmtPct(r.serverUserCpu)})` },
      { head: 'load gen. CPU (user)', cell: (r) => `${fmtPct(r.loadgenCpu)} (${fmtPct(r.loadgenUserCpu)})` },
      { head: 'load avg at start', cell: (r) => r.load1.toFixed(2) },
    ], numbered),
    '',
    '</details>',
  ].join('\n');
}

/** The failed cases, as the section lists them (nothing when none failed). */
export function failureLines(run: Run<unknown>): string[] {
  return run.failures.length ? ['**Failed cases:**', '', ...run.failures.map((f) => `- ${f}`), ''] : [];
}

/** Prints the section; writes it into bench/RESULTS.md unless a case failed (exit 1) or the flags say not to. */
export function finish(runner: Runner, section: string, doc: string, run?: Run<unknown>): void {
  console.log(`\n${doc}\n`);
  if (run && run.failures.length > 0) {
    console.error(`${runner.name}: ${run.failures.length} case(s) failed; bench/RESULTS.md not written`);
    process.exit(1);
  }
  if (runner.flags.write) writeSection(section, doc);
  else console.error(`${runner.name}: --quick/--no-write: bench/RESULTS.md not written`);
}
