// Markdown tables for the benchmark reports, with ratios taken within the same run.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface Row {
  name: string;
  /** Mean time per operation, in nanoseconds. */
  meanNs: number;
  /** Events handled per operation, for the "ns per event" column. */
  eventsPerOp: number;
}

/** A table of rows with ops/s, ns/op, ns/event, and each row's speed relative to `baseline`. */
export function markdownTable(title: string, rows: Row[], baseline: string): string {
  const base = rows.find((row) => row.name === baseline);
  const lines = [
    `### ${title}`,
    '',
    `| task | ops/s | ns/op | ns/event | speed vs ${baseline} |`,
    '|---|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    const ratio = base ? `${(base.meanNs / row.meanNs).toFixed(2)}×` : '';
    lines.push(
      `| ${row.name} | ${format(1e9 / row.meanNs)} | ${row.meanNs.toFixed(1)} | ${(row.meanNs / row.eventsPerOp).toFixed(1)} | ${ratio} |`,
    );
  }
  return lines.join('\n') + '\n';
}

function format(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/**
 * Replaces the part of a results file between `<!-- name:begin -->` and `<!-- name:end -->` with
 * `content` (appending the marked part if it is absent), so that each benchmark rewrites only its
 * own section of bench/RESULTS.md and hand-written text elsewhere is kept.
 */
export function replaceSection(path: string, name: string, content: string): void {
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
}
