// The WASI echo server of the benchmark: the AssemblyScript echo guest (test/wasi/guests/echo.ts,
// build/guests/echo.wasm from `npm run build:guests`) under runWasi, listening on fd 3.
//   node dist/bench/wasi/server-wasi.js <port> [--timeout S]
//
// The same lifecycle as the bench/echo servers (bench/echo/lifecycle.ts): "ready <port>" once
// runWasi's listener is bound (onListening), and it stops on SIGTERM/SIGINT, when the stdin pipe
// closes, or after --timeout. The guest gets a huge connection count and idle time, so it never
// exits by itself during a run.
//
// On the way out it prints one line to stderr, `wasi-stats {"wakes":N,...}`: the cross-thread wakes
// of the guest so far (bench/wasi/run.ts reads it). runWasi reports `wakes` only once the guest has
// exited, and this guest is stopped from outside, so the count is read from the run's SocketHost,
// caught on its first guest message (the prototype is put back at once: nothing on the hot path).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWasi } from '../../src/index.js';
import { SocketHost } from '../../src/wasi/socket-host.js';
import { announce, serverArgs } from '../echo/lifecycle.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const guest = join(root, 'build/guests/echo.wasm');
if (!existsSync(guest)) {
  console.error(`server-wasi: ${guest} is missing; run \`npm run build:guests\``);
  process.exit(2);
}

const { port, timeoutS } = serverArgs();

let host: SocketHost | undefined;
const onMessage = SocketHost.prototype.onMessage;
SocketHost.prototype.onMessage = function (this: SocketHost, message) {
  host = this;
  SocketHost.prototype.onMessage = onMessage;
  onMessage.call(this, message);
};

const startedAt = Date.now();
function stats(exitCode: number | null, wakes: number): void {
  const line = { wakes, exitCode, lifeS: (Date.now() - startedAt) / 1000 };
  process.stderr.write(`wasi-stats ${JSON.stringify(line)}\n`);
}

// Connections before exit 0, and idle milliseconds before exit 3: neither is ever reached.
const FOREVER = '2000000000';
runWasi(guest, {
  args: ['echo.wasm', FOREVER, FOREVER],
  listen: [{ host: '127.0.0.1', port, backlog: 511 }],
  onListening: (addresses) => announce(addresses[0]!.port, timeoutS, () => stats(null, host?.wakes ?? 0)),
}).then(
  ({ exitCode, wakes }) => {
    console.error(`server-wasi: the guest exited by itself (${exitCode})`);
    stats(exitCode, wakes);
    process.exit(exitCode === 0 ? 1 : exitCode);
  },
  (error: unknown) => {
    console.error('server-wasi: the guest failed:', error);
    process.exit(1);
  },
);
