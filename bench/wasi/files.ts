// The WASI file benchmark (issue 10): a C guest (bench/wasi/c/files-bench.c) writes a 64 MiB file
// in 64 KiB chunks, reads it back in 64 KiB chunks, and lists a directory of 10,000 entries with
// readdir (fd_readdir) several times, under wasmux's runWasi and under plain node:wasi in this
// process, alternating, a fresh instance each run. The guest times each phase itself
// (CLOCK_MONOTONIC); this runner times each whole run (wall and process CPU, worker start-up and
// instantiation included). Writes its tables into bench/RESULTS.md (section "wasi-files").
//
//   npm run bench:wasi-files                     # build, the full run (writes bench/RESULTS.md)
//   node dist/bench/wasi/files.js --quick        # a small smoke run; prints, writes nothing
//   node dist/bench/wasi/files.js [--rounds 5] [--mib 64] [--entries 10000] [--listings 20] [--no-write]
//        [--baseline DIR]
//
// --baseline DIR adds a third host: runWasi of another checkout, built (`npm run build`) in DIR,
// such as a clone at the commit before a change to the WASI host, so that before and after are
// measured in the same run, on the same machine and load.
//
// The guest is compiled here, at every run, into build/bench/files-bench.wasm (clang-14 and
// wasi-libc, as scripts/build-guests.mjs builds the C test guest). node:wasi stays here, in bench/
// only, as the comparison: issue 10 takes it out of runWasi's path.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WASI } from 'node:wasi';
import { runWasi } from '../../src/index.js';
import { gc, machineLine, markdownTable, median, num, pass, root } from '../report.js';
import { failureLines, finish, fmtInt, parseRunner, sectionHead, type Run } from '../echo/harness.js';

const TARGET = 1.0;
const CHUNK = 65536;

const runner = parseRunner('bench:wasi-files', {
  connections: 1,
  options: { mib: { type: 'string' }, entries: { type: 'string' }, listings: { type: 'string' }, baseline: { type: 'string' } },
  usage: '[--mib 64] [--entries 10000] [--listings 20] [--baseline DIR] (the echo flags --connections, --duration, --warmup and --sizes do not apply)',
});
const { flags, own, usage } = runner;
for (const echoFlag of ['connections', 'duration', 'warmup', 'sizes']) {
  if (own[echoFlag] !== undefined) usage(`--${echoFlag} does not apply to the file benchmark`);
}
/** A positive integer flag, or its default (a smaller one with --quick). */
function count(name: string, full: number, quickly: number): number {
  const value = Number(own[name] ?? (flags.quick ? quickly : full));
  if (!Number.isSafeInteger(value) || value <= 0) usage(`--${name} must be a positive integer`);
  return value;
}
// parseRunner's --rounds defaults to the echo runners' 1; here a median needs several.
const rounds = own.rounds === undefined ? (flags.quick ? 1 : 5) : flags.rounds;
const mib = count('mib', 64, 8);
const entries = count('entries', 10_000, 1000);
const listings = count('listings', 20, 3);

// ---------------------------------------------------------------------------------------------
// The guest, built now, and the scratch directory both hosts preopen as /data.

const guestPath = join(root, 'build/bench/files-bench.wasm');
mkdirSync(join(root, 'build/bench'), { recursive: true });
const compiled = spawnSync('clang-14', [
  '--target=wasm32-wasi', '-O2', '--sysroot=/usr', '-Wall', '-Wextra',
  '-o', guestPath, join(root, 'bench/wasi/c/files-bench.c'),
], { stdio: 'inherit' });
if (compiled.error || compiled.status !== 0) {
  usage(`bench/wasi/c/files-bench.c did not compile (${compiled.error?.message ?? `clang-14 exit ${compiled.status}`}); it needs clang-14, lld-14, wasi-libc and libclang-rt-14-dev-wasm32, as scripts/build-guests.mjs says`);
}
const guest = new WebAssembly.Module(readFileSync(guestPath));

const scratch = mkdtempSync(join(os.tmpdir(), 'wasmux-files-bench-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
mkdirSync(join(scratch, 'entries'));
for (let i = 0; i < entries; i++) writeFileSync(join(scratch, 'entries', `entry-${String(i).padStart(6, '0')}`), '');
const guestArgs = ['files-bench', String(mib), String(listings), String(entries)];
const preopens = { '/data': scratch };

/** A checkout's commit ("9368d8f"), and its subject cut short; undefined outside git. */
function revision(checkout: string): { commit: string; subject: string; changed: number } | undefined {
  const git = (...args: string[]): string => spawnSync('git', args, { cwd: checkout, encoding: 'utf8' }).stdout?.trim() ?? '';
  const [commit, ...words] = git('log', '-1', '--format=%h %s').split(' ');
  if (!commit) return undefined;
  const subject = words.join(' ');
  // What differs from the commit under src/wasi: the measured build holds it too.
  const changed = git('status', '--porcelain', '--', 'src/wasi').split('\n').filter(Boolean).length;
  return { commit, subject: subject.length > 80 ? `${subject.slice(0, 80)}…` : subject, changed };
}

/** The line that says which build of a host was measured. */
function revisionText(label: string, checkout: string): string {
  const rev = revision(checkout);
  if (rev === undefined) return `${label}: built in ${checkout} (not a git checkout)`;
  const changes = rev.changed ? `, plus ${rev.changed} uncommitted change(s) under src/wasi` : ', src/wasi as committed';
  return `${label}: built from ${rev.commit} ("${rev.subject}"${changes})`;
}

// ---------------------------------------------------------------------------------------------
// The hosts: each runs the guest once to its exit code.

interface Host {
  key: 'wasmux' | 'baseline' | 'node';
  label: string;
  run(): Promise<number>;
}

const runWasiHost = (key: Host['key'], label: string, run: typeof runWasi): Host => ({
  key, label, run: async () => (await run(guest, { args: guestArgs, preopens, stdin: '' })).exitCode,
});

const baselineDir = typeof own.baseline === 'string' ? resolve(own.baseline) : undefined;
let baseline: Host | undefined;
if (baselineDir !== undefined) {
  const entry = join(baselineDir, 'dist/src/index.js');
  if (!existsSync(entry)) usage(`--baseline: ${entry} is missing; run \`npm run build\` in ${baselineDir}`);
  const theirs = await import(pathToFileURL(entry).href) as { runWasi: typeof runWasi };
  baseline = runWasiHost('baseline', `wasmux at ${revision(baselineDir)?.commit ?? 'baseline'}`, theirs.runWasi);
}

const hosts: Host[] = [
  runWasiHost('wasmux', 'wasmux runWasi', runWasi),
  ...(baseline ? [baseline] : []),
  {
    key: 'node',
    label: 'node:wasi',
    run: async () => {
      const wasi = new WASI({ version: 'preview1', args: guestArgs, env: {}, preopens, returnOnExit: true });
      return wasi.start(new WebAssembly.Instance(guest, { wasi_snapshot_preview1: wasi.wasiImport }));
    },
  },
];

/** One run of the guest under one host: the guest's figures and the host's whole-run costs. */
interface Sample {
  host: Host;
  round: number;
  bytes: number;
  writeS: number;
  readS: number;
  listed: number;
  readdirS: number;
  wallS: number;
  cpuUserS: number;
  cpuSystemS: number;
}

const mibPerS = (bytes: number, s: number): number => bytes / 1048576 / s;
const metrics = {
  write: (s: Sample) => mibPerS(s.bytes, s.writeS),
  read: (s: Sample) => mibPerS(s.bytes, s.readS),
  readdir: (s: Sample) => s.listed / s.readdirS,
};

async function runOnce(host: Host, round: number): Promise<Sample> {
  // Each run writes a new file and a new result: nothing of the previous run's is left to reuse.
  rmSync(join(scratch, 'big.bin'), { force: true });
  rmSync(join(scratch, 'result.txt'), { force: true });
  gc();
  const cpuBefore = process.cpuUsage();
  const t0 = performance.now();
  const exitCode = await host.run();
  const wallS = (performance.now() - t0) / 1000;
  // process.cpuUsage counts every thread of the process: runWasi's guest worker too.
  const cpu = process.cpuUsage(cpuBefore);
  if (exitCode !== 0) throw new Error(`the guest exited with ${exitCode}`);
  const fields = new Map(readFileSync(join(scratch, 'result.txt'), 'utf8').trim().split(' ').map((pair) => {
    const [key, value] = pair.split('=');
    return [key!, Number(value)] as const;
  }));
  const field = (key: string): number => {
    const value = fields.get(key);
    if (value === undefined || !Number.isFinite(value)) throw new Error(`the guest's result has no ${key}`);
    return value;
  };
  if (field('bytes') !== mib * 1048576) throw new Error(`the guest moved ${field('bytes')} bytes, not ${mib} MiB`);
  return {
    host, round, bytes: field('bytes'),
    writeS: field('write_ns') / 1e9, readS: field('read_ns') / 1e9,
    listed: field('listed'), readdirS: field('readdir_ns') / 1e9,
    wallS, cpuUserS: cpu.user / 1e6, cpuSystemS: cpu.system / 1e6,
  };
}

// ---------------------------------------------------------------------------------------------
// The rounds: the hosts alternate, and each round rotates who goes first.

const startedAt = new Date();
const loadBefore = os.loadavg()[0]!;
const samples: Sample[] = [];
const failures: string[] = [];
const width = Math.max(...hosts.map((h) => h.label.length));
console.error(`bench:wasi-files: ${hosts.map((h) => h.label).join(' vs ')}; ${mib} MiB in ${CHUNK / 1024} KiB chunks, ${listings} listings of ${fmtInt(entries)} entries; ${rounds} round(s); scratch ${scratch}`);
// One run per host first, not counted: the guest's code tiers up (V8 compiles it with Liftoff,
// then optimises what runs hot) and the scratch directory's metadata comes into the page cache.
for (const host of hosts) {
  try {
    await runOnce(host, 0);
  } catch (error) {
    failures.push(`warm-up, ${host.label}: ${(error as Error).message}`);
  }
}
for (let round = 1; round <= rounds; round++) {
  const order = hosts.map((_, i) => hosts[(i + round) % hosts.length]!);
  for (const host of order) {
    try {
      const s = await runOnce(host, round);
      samples.push(s);
      console.error(`  round ${round} ${host.label.padEnd(width)} write ${num(metrics.write(s)).padStart(7)} MiB/s  read ${num(metrics.read(s)).padStart(7)} MiB/s  readdir ${fmtInt(metrics.readdir(s)).padStart(10)} entries/s  wall ${(s.wallS * 1000).toFixed(0)} ms  CPU ${((s.cpuUserS + s.cpuSystemS) * 1000).toFixed(0)} ms`);
    } catch (error) {
      const message = `round ${round}, ${host.label}: ${(error as Error).message}`;
      failures.push(message);
      console.error(`  FAILED ${message}`);
    }
  }
}
const run: Run<Sample> = {
  results: samples, failures, startedAt, loadBefore, loadAfter: os.loadavg()[0]!,
  wallS: (Date.now() - startedAt.getTime()) / 1000,
};

// ---------------------------------------------------------------------------------------------
// Reporting: every figure is the median over the rounds, taken per host and per figure.

const medianOf = (key: Host['key'], figure: (s: Sample) => number): number =>
  median(samples.filter((s) => s.host.key === key).map(figure));

interface PhaseRow { phase: string; unit: string; figure: (s: Sample) => number }
const phaseRows: PhaseRow[] = [
  { phase: `write (${mib} MiB, ${CHUNK / 1024} KiB chunks)`, unit: 'MiB/s', figure: metrics.write },
  { phase: `read (${mib} MiB, ${CHUNK / 1024} KiB chunks)`, unit: 'MiB/s', figure: metrics.read },
  { phase: `readdir (${fmtInt(entries)} entries × ${listings})`, unit: 'entries/s', figure: metrics.readdir },
];
const phaseMedian = (r: PhaseRow, key: Host['key']): number => medianOf(key, r.figure);
const ratio = (r: PhaseRow, key: Host['key'], over: Host['key']): number => phaseMedian(r, key) / phaseMedian(r, over);
const phaseTable = markdownTable<PhaseRow>([
  { head: 'phase', cell: (r) => r.phase, left: true },
  { head: 'unit', cell: (r) => r.unit, left: true },
  ...hosts.map((h) => ({ head: h.label, cell: (r: PhaseRow) => (r.unit === 'MiB/s' ? num : fmtInt)(phaseMedian(r, h.key)) })),
  { head: 'wasmux / node:wasi', cell: (r) => `${ratio(r, 'wasmux', 'node').toFixed(2)}×` },
  ...(baseline ? [{ head: `wasmux / ${baseline.label}`, cell: (r: PhaseRow) => `${ratio(r, 'wasmux', 'baseline').toFixed(2)}×` }] : []),
  { head: `target ≥ ${TARGET.toFixed(1)}×`, cell: (r) => pass(ratio(r, 'wasmux', 'node') >= TARGET), left: true },
], phaseRows);

const wholeTable = markdownTable<Host>([
  { head: 'host', cell: (h) => h.label, left: true },
  { head: 'wall ms', cell: (h) => num(medianOf(h.key, (s) => s.wallS * 1000), 0) },
  { head: 'CPU ms (user + system)', cell: (h) => `${num(medianOf(h.key, (s) => (s.cpuUserS + s.cpuSystemS) * 1000), 0)} (${num(medianOf(h.key, (s) => s.cpuUserS * 1000), 0)} + ${num(medianOf(h.key, (s) => s.cpuSystemS * 1000), 0)})` },
  { head: 'CPU / wall', cell: (h) => `${Math.round(medianOf(h.key, (s) => (s.cpuUserS + s.cpuSystemS) / s.wallS) * 100)}%` },
  { head: 'entries per listing', cell: (h) => num(medianOf(h.key, (s) => s.listed / listings), 0) },
], hosts);

const detail = [
  '<details><summary>Every run, in the order run</summary>',
  '',
  markdownTable<Sample>([
    { head: 'round', cell: (s) => String(s.round) },
    { head: 'host', cell: (s) => s.host.label, left: true },
    { head: 'write MiB/s', cell: (s) => num(metrics.write(s)) },
    { head: 'read MiB/s', cell: (s) => num(metrics.read(s)) },
    { head: 'readdir entries/s', cell: (s) => fmtInt(metrics.readdir(s)) },
    { head: 'wall ms', cell: (s) => num(s.wallS * 1000, 0) },
    { head: 'CPU ms (user + system)', cell: (s) => `${num((s.cpuUserS + s.cpuSystemS) * 1000, 0)} (${num(s.cpuUserS * 1000, 0)} + ${num(s.cpuSystemS * 1000, 0)})` },
  ], samples),
  '',
  '</details>',
].join('\n');

const doc = [
  ...sectionHead(runner, '## WASI host: file I/O and readdir under runWasi vs node:wasi', run),
  machineLine(),
  `- ${revisionText('wasmux runWasi', root)}`,
  ...(baseline && baselineDir ? [`- ${revisionText(baseline.label, baselineDir)}, in ${baselineDir}`] : []),
  `- guest: bench/wasi/c/files-bench.c (clang-14 -O2, wasi-libc): write() ${mib} MiB to a new file in ${CHUNK / 1024} KiB chunks, read() it back in ${CHUNK / 1024} KiB chunks (both summed, the sums compared), then ${listings} × opendir/readdir/closedir over a directory of ${fmtInt(entries)} empty files the runner made before the run; each phase timed inside the guest with clock_gettime(CLOCK_MONOTONIC) (open and close included)`,
  `- hosts: **wasmux runWasi** (the guest in a worker thread)${baseline ? `, **${baseline.label}** (the same, from --baseline)` : ''} and **node:wasi** (\`new WASI({ version: 'preview1' })\` on this thread), all given the same compiled module and the same scratch directory on ${os.tmpdir()} preopened as /data; a fresh instance each run, one uncounted warm-up run per host, then the hosts alternating and each round rotating which goes first, ${rounds} round(s); every figure is the median over the rounds, per host and per figure`,
  `- **the machine is shared and noisy** (1-minute load average ${run.loadBefore.toFixed(2)} at the start, ${run.loadAfter.toFixed(2)} at the end): compare rows of the same run only`,
  '',
  phaseTable,
  '',
  `wasmux / node:wasi: throughput under runWasi over throughput under node:wasi, per phase (above 1 means wasmux is faster); target (issue 10): ≥ ${TARGET.toFixed(1)}× on each.${baseline ? ` wasmux / ${baseline.label}: the same for this build over the --baseline build.` : ''} readdir entries/s counts every entry the guest's readdir returned, '.' and '..' included where the host lists them.`,
  '',
  wholeTable,
  '',
  'The whole run, timed by this runner: wall from the call to the exit code (runWasi: worker start, instantiation and teardown included; node:wasi: instantiation and start), and `process.cpuUsage()` over the same span, which counts every thread of the process (runWasi\'s guest worker and the main thread serving it).',
  '',
  ...failureLines(run),
  detail,
].join('\n');
finish(runner, 'wasi-files', doc, run);
process.exit(0);
