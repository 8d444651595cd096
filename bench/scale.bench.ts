// Memory per connection: 10,000 concurrent loopback connections held open in one Epoll (the
// edge-triggered echo server of examples/), measured after a full GC while all are open: JS heap,
// the core's linear memory, and RSS. The clients are a child process (test/load/scale-clients.mjs).
// Run: npm run bench:scale [-- --connections 10000]   (writes its section of bench/RESULTS.md)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { serveEcho } from '../examples/epoll-echo-server.js';
import { WasmCore } from '../src/core/wasm-core.js';
import { defaultTable, listen } from '../src/index.js';
import { commandLine, gc, root, timestamp, writeSection } from './report.js';

const at = process.argv.indexOf('--connections');
const N = at > 0 ? Number(process.argv[at + 1]) : 10_000;
const clients = join(root, 'test/load/scale-clients.mjs');

function linearMemory(): number {
  const core = defaultTable.core;
  if (!(core instanceof WasmCore)) throw new Error('the default table does not run on the wasm core');
  return core.exports.memory.buffer.byteLength;
}

function sample(): { heap: number; linear: number; rss: number } {
  gc();
  gc();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, linear: linearMemory(), rss: usage.rss };
}

const listener = await listen({ host: '127.0.0.1', port: 0, backlog: 4096 });
const server = serveEcho(listener);
const before = sample();
const started = performance.now();
const child = spawn(process.execPath, [clients, String(listener.address().port), String(N), '200', '1'], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const [line] = (await once(child.stdout, 'data')) as [Buffer];
const elapsed = performance.now() - started;
const report = JSON.parse(line.toString().trim()) as { echoed: number; failed: number };
const during = sample();
const open = server.stats.accepted - server.stats.closed;
child.stdin.end();
await once(child, 'exit');
server.stop();
await server.done;

if (report.echoed !== N || open !== N) throw new Error(`not all served: ${JSON.stringify(report)}, ${open} open`);
const per = (a: number, b: number): string => ((b - a) / N).toFixed(0);
const section = [
  '## Scale: memory per connection',
  '',
  `- ${timestamp()}, node ${process.version}; command: \`${commandLine('bench:scale')}\``,
  `- ${N.toLocaleString('en-US')} concurrent loopback connections, each echoed one message through one edge-triggered \`Epoll\` (examples/epoll-echo-server.ts), clients in a child process; connect + echo of all took ${(elapsed / 1000).toFixed(1)} s`,
  '- Measured in the server process after two full GCs, with every connection open, minus the same measure before the clients started.',
  '',
  '| measure | before | with all open | per connection |',
  '|---|---:|---:|---:|',
  `| JS heap used | ${mib(before.heap)} | ${mib(during.heap)} | ${per(before.heap, during.heap)} B |`,
  `| core linear memory | ${mib(before.linear)} | ${mib(during.linear)} | ${per(before.linear, during.linear)} B |`,
  `| RSS (heap, Node's socket handles and buffers, the kernel's view) | ${mib(before.rss)} | ${mib(during.rss)} | ${per(before.rss, during.rss)} B |`,
  '',
].join('\n');
console.log(section);
writeSection('scale', section);

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}
