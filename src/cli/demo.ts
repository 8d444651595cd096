import { startSelectorsEchoServer, type SelectorName } from './echo-server.js';
import { quantile, runLoadClients } from './load-clients.js';

export interface DemoOptions {
  port: number;
  connections: number;
  durationMs: number;
  selector: SelectorName;
}

/**
 * The main job: the selectors echo server on 127.0.0.1, driven by its own concurrent clients,
 * with progress while it runs and a summary at the end. Returns the exit code: 0 when every byte
 * came back as it was sent, 1 otherwise.
 */
export async function runDemo(options: DemoOptions, out: NodeJS.WriteStream = process.stdout): Promise<number> {
  const server = await startSelectorsEchoServer({ port: options.port, selector: options.selector });
  out.write(
    `wasmux demo: the selectors echo server (${options.selector} selector) on 127.0.0.1:${server.port},\n` +
    `driven by ${options.connections} concurrent clients for ${(options.durationMs / 1000).toFixed(1)} s; ` +
    'each sends random bytes and checks the echo.\n\n',
  );
  const tty = out.isTTY === true;
  let lastLine = 0;
  const started = performance.now();
  const report = await runLoadClients({
    port: server.port,
    connections: options.connections,
    durationMs: options.durationMs,
    onProgress: (messages, bytes, connected) => {
      const elapsed = (performance.now() - started) / 1000;
      const line = `  ${elapsed.toFixed(1)} s  ${connected}/${options.connections} connected  ` +
        `${messages.toLocaleString('en-US')} messages  ${(bytes / 1048576).toFixed(1)} MiB echoed`;
      if (tty) {
        out.write(`\r${line}`);
      } else if (performance.now() - lastLine >= 1000) {
        lastLine = performance.now();
        out.write(`${line}\n`);
      }
    },
  });
  const seconds = (performance.now() - started) / 1000;
  if (tty) out.write('\n');
  server.stop();
  await server.done;

  const ms = (q: number): string => `${quantile(report.latenciesMs, q).toFixed(2)} ms`;
  const rows: Array<[string, string]> = [
    ['selector', `${options.selector} (${server.stats.accepted} connections accepted)`],
    ['connections', String(report.connections)],
    ['messages', `${report.messages.toLocaleString('en-US')} (${Math.round(report.messages / seconds).toLocaleString('en-US')}/s)`],
    ['bytes', `${report.bytesSent.toLocaleString('en-US')} sent, ${report.bytesReceived.toLocaleString('en-US')} echoed`],
    ['latency', `p50 ${ms(0.5)}, p99 ${ms(0.99)} (round trip, clients in the same process)`],
    ['lost', report.bytesLost === 0 && report.errors.length === 0 ? '0 bytes lost (every echo checked)' : `${report.bytesLost} bytes lost`],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  out.write(`\n${rows.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`).join('\n')}\n`);
  for (const error of report.errors.slice(0, 10)) out.write(`  error: ${error}\n`);
  return report.bytesLost === 0 && report.errors.length === 0 ? 0 : 1;
}
