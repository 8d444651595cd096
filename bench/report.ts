// What every benchmark shares: timing with tinybench and the rows it yields, one table format,
// the machine and command a run was taken with, and the sections of bench/RESULTS.md that each
// benchmark rewrites (hand-written text between them is kept).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Bench, type Fn, type Task } from 'tinybench';

/** The checkout: this file runs as dist/bench/report.js. */
export const root = fileURLToPath(new URL('../..', import.meta.url));

/** The short commit another checkout is at ('' outside git): how a --baseline build is named in tables. */
export function commitOf(checkout: string): string {
  return spawnSync('git', ['-C', checkout, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout?.trim() ?? '';
}
export const resultsPath = fileURLToPath(new URL('../../bench/RESULTS.md', import.meta.url));

// ---------------------------------------------------------------- timing

/** --quick: short time budgets, for a smoke run that writes nothing. */
export const quick = process.argv.includes('--quick');
/** Time budget per task and its warmup, in ms; minimum samples per task. */
export const TIME = quick ? 100 : 1500;
export const WARMUP = quick ? 20 : 200;
export const ITERATIONS = quick ? 8 : 32;

/** Defeats dead-code elimination of the measured loops: every batch adds its result here. */
export let sink = 0;

let collect: (() => void) | undefined;

/** A full GC, so that a heap measure or the next case starts from the same floor (exposed on first use). */
export function gc(): void {
  if (collect === undefined) {
    setFlagsFromString('--expose-gc');
    const fn = runInNewContext('gc') as (() => void) | undefined;
    collect = typeof fn === 'function' ? fn : () => {};
  }
  collect();
}

/**
 * A tinybench task running `inner` operations per sample, timed as one batch, so that sub-100 ns
 * operations are not drowned by the timer: each sample is the mean of its batch. The loop stays
 * in `body`, written out per case, so that V8 inlines each case's call (a shared loop calling a
 * closure per operation would measure a megamorphic call too).
 */
export function batched(inner: number, body: (n: number) => number): () => { overriddenDuration: number; overriddenIterationCost: number } {
  return () => {
    const t0 = performance.now();
    sink = (sink + body(inner)) | 0;
    const dt = performance.now() - t0;
    return { overriddenDuration: dt / inner, overriddenIterationCost: dt };
  };
}

/** Runs the tasks in one Bench; the tasks by name. */
export async function run(name: string, tasks: Array<[string, Fn]>, iterations = ITERATIONS): Promise<Map<string, Task>> {
  const bench = new Bench({ name, time: TIME, warmupTime: WARMUP, iterations, warmupIterations: 4, throws: true });
  for (const [taskName, fn] of tasks) bench.add(taskName, fn);
  await bench.run();
  return new Map(bench.tasks.map((task) => [task.name, task]));
}

// ---------------------------------------------------------------- rows and tables

export interface Row {
  /** Group key shown in the first column (N, or a label); ratios are taken within a key. */
  key: string;
  impl: string;
  meanNs: number;
  p50Ns: number;
  rme: number;
  /** Events (or entries) handled per operation, for the per-event column. */
  perOp: number;
  note?: string;
}

export function row(key: string, impl: string, task: Task, perOp: number, note?: string): Row {
  const result = task.result;
  if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
  return { key, impl, meanNs: result.latency.mean * 1e6, p50Ns: result.latency.p50 * 1e6, rme: result.latency.rme, perOp, note };
}

export function num(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return '–';
  if (Math.abs(n) >= 1e5) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(digits);
}

/** A column of a markdown table: its heading and its cell for a row (numbers, so right-aligned, unless `left`). */
export interface Column<R> {
  head: string;
  cell: (r: R) => string;
  left?: boolean;
}

export function markdownTable<R>(columns: Column<R>[], rows: R[]): string {
  return [
    `| ${columns.map((c) => c.head).join(' | ')} |`,
    `|${columns.map((c) => (c.left ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${columns.map((c) => c.cell(r)).join(' | ')} |`),
  ].join('\n');
}

export interface TableOptions {
  /** Heading of the key column ("N", "op"). */
  key: string;
  /** Unit of the per-event column ("ns/event", "ns/entry"). */
  per: string;
  /** The impl each row is compared with, within its key. */
  baseline: string;
  /** Paragraphs after the table. */
  notes?: string[];
}

/**
 * One table of tinybench rows: ops/s, mean and median ns per op, ns per event (or entry), and each
 * row's median time relative to the baseline row of the same key. Derived columns use the median:
 * on a shared machine a preempted batch inflates the mean.
 */
export function table(title: string, rows: Row[], { key, per, baseline, notes = [] }: TableOptions): string {
  const ratio = (r: Row): string => {
    const base = rows.find((x) => x.key === r.key && x.impl === baseline);
    return base ? `${(r.p50Ns / base.p50Ns).toFixed(2)}×` : '';
  };
  const body = markdownTable<Row>([
    { head: key, cell: (r) => r.key, left: true },
    { head: 'impl', cell: (r) => `${r.impl}${r.note ? ` (${r.note})` : ''}`, left: true },
    { head: 'ops/s', cell: (r) => num(1e9 / r.meanNs, 0) },
    { head: 'mean ns/op', cell: (r) => num(r.meanNs) },
    { head: 'p50 ns/op', cell: (r) => num(r.p50Ns) },
    { head: '±rme', cell: (r) => `${r.rme.toFixed(1)}%` },
    { head: `p50 ${per}`, cell: (r) => num(r.p50Ns / r.perOp, 2) },
    { head: `p50 time vs ${baseline}`, cell: ratio },
  ], rows);
  return [`### ${title}`, '', body, ...(notes.length > 0 ? ['', ...notes] : [])].join('\n') + '\n';
}

export function pass(ok: boolean): string {
  return ok ? '**pass**' : '**FAIL**';
}

// ---------------------------------------------------------------- the run

/** ISO time to the second. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** "- node …, Linux …, nproc …, CPU: …", with `runtimes` (another interpreter) after node's version. */
export function machineLine(runtimes = ''): string {
  return `- node ${process.version}${runtimes}, ${os.type()} ${os.release()}, nproc ${os.availableParallelism()}, CPU: ${os.cpus()[0]?.model.trim() ?? 'unknown'}`;
}

/** The command that started this run, as the user typed it: `npm run <script> -- …` or `node dist/…`. */
export function commandLine(script: string): string {
  const args = process.argv.slice(2).join(' ');
  return process.env.npm_lifecycle_event === script
    ? `npm run ${script}${args ? ` -- ${args}` : ''}`
    : `node ${relative(root, process.argv[1]!)}${args ? ` ${args}` : ''}`;
}

/**
 * Replaces the part of bench/RESULTS.md between `<!-- name:begin -->` and `<!-- name:end -->` with
 * `content` (appending the marked part if it is absent), so that each benchmark rewrites only its
 * own section and hand-written text elsewhere is kept.
 */
export function writeSection(name: string, content: string, path = resultsPath): void {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${begin}\n${content.trimEnd()}\n${end}`;
  const old = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmark results\n';
  const from = old.indexOf(begin);
  const to = old.indexOf(end);
  const doc = from >= 0 && to > from
    ? old.slice(0, from) + block + old.slice(to + end.length)
    : `${old.trimEnd()}\n\n${block}\n`;
  writeFileSync(path, doc.endsWith('\n') ? doc : `${doc}\n`);
  console.error(`wrote the "${name}" section of ${path}`);
}

/** The median of `xs` (NaN for none): what one disturbed round cannot drag, as a mean would. */
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
