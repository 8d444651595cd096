#!/usr/bin/env node
// The `wasmux` command: `demo` (what `npm start` runs) and `serve`.
import { parseArgs } from 'node:util';

type OptionConfig = { type: 'string' };
import { SELECTORS, startSelectorsEchoServer, type SelectorName } from './echo-server.js';
import { runCommand } from './run.js';
import { runDemo } from './demo.js';

const USAGE = `usage: wasmux <command> [options]

commands:
  demo    start the selectors echo server and drive it with concurrent clients, then summarise
          [--port 8088] [--connections 100] [--duration 3] [--selector epoll|poll|select]
  serve   run the selectors echo server until Ctrl-C (try it with: nc 127.0.0.1 8088)
          [--port 8088] [--selector epoll|poll|select]
  run     run a WASI preview1 guest with real TCP listeners, preopened as fds 3, 4, ...
          guest.wasm [--listen host:port]... [--dir host[:guest]]... [--env K=V]... [-- args...]
  help    show this text
`;

/** A bad command line: usage on stderr, exit code 2. */
class UsageError extends Error {}

function integer(value: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got '${value}'`);
  return n;
}

function selectorOf(value: string | undefined): SelectorName {
  const name = value ?? 'epoll';
  if (!Object.hasOwn(SELECTORS, name)) throw new UsageError(`--selector must be one of ${Object.keys(SELECTORS).join(', ')}, got '${name}'`);
  return name as SelectorName;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  // run has a command line of its own (repeated flags, the guest's args after --).
  if (command === 'run') return runCommand(rest);
  const text: OptionConfig = { type: 'string' };
  const options: Record<string, OptionConfig> = command === 'demo'
    ? { port: text, selector: text, connections: text, duration: text }
    : { port: text, selector: text };
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({ args: rest, options, strict: true, allowPositionals: false }) as { values: Record<string, string | undefined> });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const port = integer(values.port, 'port', 0, 65535, 8088);
  const selector = selectorOf(values.selector);
  if (command === 'demo') {
    const connections = integer(values.connections, 'connections', 1, 10000, 100);
    const duration = values.duration === undefined ? 3 : Number(values.duration);
    if (!(duration > 0 && duration <= 3600)) throw new UsageError(`--duration must be seconds in (0, 3600], got '${values.duration}'`);
    return runDemo({ port, connections, durationMs: duration * 1000, selector });
  }
  if (command === 'serve') {
    const server = await startSelectorsEchoServer({ port, selector });
    console.log(`wasmux echo server (${selector} selector) on 127.0.0.1:${server.port}; Ctrl-C stops it`);
    const stop = (): void => server.stop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await server.done;
    console.log(`served ${server.stats.accepted} connections, ${server.stats.bytesEchoed.toLocaleString('en-US')} bytes echoed`);
    return 0;
  }
  throw new UsageError(`unknown command '${command}'`);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`wasmux: ${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else if ((error as { code?: string }).code === 'EADDRINUSE') {
    process.stderr.write(`wasmux: ${(error as Error).message}; pick another with --port (0: any free port)\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
