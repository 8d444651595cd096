// Checks that every echo server of the benchmark returns exactly what it was sent, also when its
// send path fills up: streams of random bytes in both directions at once, one reader that stops
// for a while (so the server's sends are partial and it must wait for EPOLLOUT), then a
// half-close (the server must flush everything and close). The Epoll server prints how often it
// took its slow paths (partial sends, reading stopped) when it exits. SHA-256 of what came back must equal
// what was sent. Run after `npm run build`:
//
//   node dist/bench/echo/check.js [--servers epoll,selectors,loop,net,node-floor,node-floor-deferred,python] [--connections 8] [--mib 4]
//   (c-epoll, once bench:echo has built build/bench/server-epoll: its sends wait with poll(), so the
//   stalled reader holds up the other connections for a while, but every byte must still come back)
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const { values } = parseArgs({
  options: {
    servers: { type: 'string', default: 'epoll,selectors,loop,net,node-floor,node-floor-deferred,python' },
    connections: { type: 'string', default: '8' },
    mib: { type: 'string', default: '4' },
  },
});
const connections = Number(values.connections);
const bytesPerConnection = Number(values.mib) * 1048576;
const STALLED_BYTES = 32 * 1048576;

const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
const commands: Record<string, string[]> = {
  epoll: [process.execPath, join(root, 'dist/bench/echo/server-epoll.js')],
  'epoll-peek': [process.execPath, join(root, 'dist/bench/echo/server-epoll.js'), '--peek'],
  selectors: [process.execPath, join(root, 'dist/bench/echo/server-loop.js'), '--selectors'],
  loop: [process.execPath, join(root, 'dist/bench/echo/server-loop.js'), '--eventloop'],
  'c-epoll': [join(root, 'build/bench/server-epoll')],
  net: [process.execPath, join(root, 'dist/bench/echo/server-net.js')],
  'node-floor': [process.execPath, join(root, 'dist/bench/echo/server-floor.js')],
  'node-floor-deferred': [process.execPath, join(root, 'dist/bench/echo/server-floor.js'), '--deferred'],
  python: [python || 'python3', join(root, 'bench/echo/server_selectors.py')],
};

const children = new Set<ChildProcess>();
process.on('exit', () => { for (const child of children) child.kill('SIGKILL'); });
const deadline = setTimeout(() => {
  console.error('check: did not finish in 120 s');
  process.exit(1);
}, 120_000);

function start(command: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(command[0]!, [...command.slice(1), '0', '--timeout', '120'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, WASMUX_ECHO_STATS: '1' },
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((done, fail) => {
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      const match = /^ready (\d+)$/m.exec(out);
      if (match) done({ child, port: Number(match[1]) });
    });
    child.once('exit', (code) => fail(new Error(`server exited early (${code})`)));
  });
}

/** One connection: writes `total` random bytes in random-sized pieces, reads the echo. */
function stream(port: number, total: number, stall: boolean): Promise<void> {
  return new Promise((done, fail) => {
    const sent = createHash('sha256');
    const back = createHash('sha256');
    let received = 0;
    let written = 0;
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    socket.on('error', fail);
    socket.on('data', (chunk: Buffer) => {
      back.update(chunk);
      received += chunk.length;
      if (received > total) fail(new Error(`echoed ${received - total} bytes more than sent`));
    });
    socket.on('end', () => {
      if (received !== total) return fail(new Error(`the server closed after ${received} of ${total} bytes`));
      const a = sent.digest('hex');
      const b = back.digest('hex');
      if (a !== b) return fail(new Error(`SHA-256 differs: sent ${a}, got back ${b}`));
      socket.end();
      done();
    });
    if (stall) {
      // Read nothing for a while: the server's sends to us fill up and go partial.
      socket.pause();
      setTimeout(() => socket.resume(), 700);
    }
    const writeMore = (): void => {
      while (written < total) {
        const n = Math.min(total - written, 1 + Math.floor(Math.random() * 65536));
        const piece = randomBytes(n);
        sent.update(piece);
        written += n;
        if (!socket.write(piece)) {
          socket.once('drain', writeMore);
          return;
        }
      }
      socket.end(); // half-close: the server must echo everything, then close
    };
    socket.on('connect', writeMore);
  });
}

let failed = false;
for (const key of values.servers!.split(',')) {
  const command = commands[key];
  if (!command) throw new Error(`unknown server ${key}`);
  const { child, port } = await start(command);
  const t0 = Date.now();
  try {
    // The stalled reader sends more, so that the kernel's buffers alone cannot absorb its echo.
    await Promise.all(Array.from({ length: connections }, (_, i) => stream(port, i === 0 ? STALLED_BYTES : bytesPerConnection, i === 0)));
    console.log(`check ${key}: ok, ${connections - 1} × ${values.mib} MiB + 1 stalled reader × ${STALLED_BYTES / 1048576} MiB echoed intact, ${Date.now() - t0} ms`);
  } catch (error) {
    failed = true;
    console.log(`check ${key}: FAILED: ${(error as Error).message}`);
  }
  child.kill('SIGTERM');
  if (child.exitCode === null) await new Promise((done) => child.once('exit', done));
}
clearTimeout(deadline);
process.exit(failed ? 1 : 0);
