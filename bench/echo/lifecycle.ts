// What every echo server of the benchmark shares: the command line (`<port> [--timeout S]`, in
// any order, plus a server's own flags), the "ready <port>" line, and stopping by itself: on
// SIGTERM or SIGINT, when the stdin pipe from the runner closes (the runner died), and after
// --timeout seconds (default 600) whatever happens.
import { fstatSync } from 'node:fs';
import type net from 'node:net';

export interface ServerArgs {
  port: number;
  timeoutS: number;
}

/** The port is the first argument that is not a flag (nor --timeout's value); other flags are the server's own. */
export function serverArgs(argv: string[] = process.argv.slice(2)): ServerArgs {
  const at = argv.indexOf('--timeout');
  const positional = argv.find((arg, i) => !arg.startsWith('--') && !(at >= 0 && i === at + 1));
  const port = Number(positional ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`usage: <server> <port> [--timeout seconds]; bad port ${String(positional)}`);
    process.exit(2);
  }
  const timeoutS = at >= 0 ? Number(argv[at + 1]) : 600;
  if (!(timeoutS > 0)) {
    console.error(`bad --timeout ${String(argv[at + 1])}`);
    process.exit(2);
  }
  return { port, timeoutS };
}

/** Prints "ready <port>" and arranges every way of stopping; `stop` closes what the server holds. */
export function announce(port: number, timeoutS: number, stop: () => void): void {
  let stopping = false;
  const exit = (code: number): void => {
    if (stopping) return;
    stopping = true;
    try {
      stop();
    } finally {
      process.exit(code);
    }
  };
  process.on('SIGTERM', () => exit(0));
  process.on('SIGINT', () => exit(0));
  setTimeout(() => {
    console.error(`echo server: --timeout ${timeoutS} s reached, exiting`);
    exit(3);
  }, timeoutS * 1000).unref();
  let stdinIsPipe = false;
  try {
    const stat = fstatSync(0);
    stdinIsPipe = stat.isFIFO() || stat.isSocket();
  } catch {
    // no stdin at all
  }
  if (stdinIsPipe) {
    process.stdin.on('end', () => exit(0));
    process.stdin.on('error', () => exit(0));
    process.stdin.resume();
  }
  process.stdout.write(`ready ${port}\n`);
}

/**
 * For the plain node:net servers: listens on 127.0.0.1:`port`, announces, and on stop closes the
 * server and destroys every socket in `sockets` (the server keeps it current). A listen error ends
 * the process with code 1.
 */
export function serveNet(server: net.Server, sockets: Set<net.Socket>, { port, timeoutS }: ServerArgs): void {
  server.on('error', (error) => {
    console.error(`echo server: ${error.message}`);
    process.exit(1);
  });
  server.listen({ host: '127.0.0.1', port, backlog: 511 }, () => {
    const address = server.address() as net.AddressInfo;
    announce(address.port, timeoutS, () => {
      server.close();
      for (const socket of sockets) socket.destroy();
    });
  });
}
