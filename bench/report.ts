// Markdown tables for the benchmark reports, with ratios taken within the same run.

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
