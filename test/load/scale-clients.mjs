// Opens `count` connections to 127.0.0.1:`port` (at most `inFlight` connecting at once), sends one
// message on each and waits for its echo, keeping every connection open until all have been
// echoed; then prints one JSON line and closes them all. A separate process, so that the server's
// process holds only its own half of the descriptors.
// With hold = 1 it keeps them open after the report until its stdin ends (for measurements).
// Usage: node scale-clients.mjs <port> <count> [inFlight=200] [hold=0]
import net from 'node:net';

const [port, count, inFlight = 200, hold = 0] = process.argv.slice(2).map(Number);
const sockets = [];
let echoed = 0;
let failed = 0;
let started = 0;
let active = 0;
const firstError = [];

let finished = false;

function finish() {
  if (finished) return;
  finished = true;
  console.log(JSON.stringify({ echoed, failed, errors: firstError.slice(0, 5) }));
  const end = () => {
    for (const socket of sockets) socket.destroy();
    process.exit(failed === 0 ? 0 : 1);
  };
  if (hold) {
    process.stdin.resume();
    process.stdin.once('end', end);
  } else {
    end();
  }
}

function startOne() {
  const id = started++;
  active++;
  const message = Buffer.from(`hello from client ${id}\n`);
  const socket = net.connect({ host: '127.0.0.1', port });
  sockets.push(socket);
  let got = Buffer.alloc(0);
  let settled = false;
  const settle = (ok, error) => {
    if (settled) return;
    settled = true;
    active--;
    if (ok) echoed++;
    else {
      failed++;
      if (error) firstError.push(String(error.code ?? error.message));
    }
    if (echoed + failed === count) finish();
    else pump();
  };
  socket.once('connect', () => socket.write(message));
  socket.on('data', (chunk) => {
    got = Buffer.concat([got, chunk]);
    if (got.length >= message.length) settle(got.equals(message), got.equals(message) ? undefined : new Error('bad echo'));
  });
  socket.on('error', (error) => settle(false, error));
  socket.on('close', () => settle(false, new Error('closed before the echo')));
}

function pump() {
  while (started < count && active < inFlight) startOne();
}

setTimeout(() => {
  failed = count - echoed;
  firstError.push('timeout');
  finish();
}, 120_000).unref();
pump();
