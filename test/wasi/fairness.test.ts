// No starvation in the WASI host (issue 8): a guest that keeps calling poll_oneoff while something
// stays ready (a socket at EOF that is never closed, or a clock of 0 in a loop) still gets the
// bytes that arrive for its other socket, every time, within a bounded time. It holds by
// construction (docs/wasi.md, "No starvation"): the guest runs in its own thread and answers
// itself from the shared state, and the main thread's event loop, which reads the sockets and
// fills the rings, never waits for the guest. These tests are the scenario.
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runWasi } from '../../src/index.js';
import { within } from '../examples/classic-helpers.js';
import { guestsForFile } from './guest-helpers.js';

// Mode by argc: 1 = poll A (at EOF: always ready) and B; 2 = poll B and a relative clock of 0.
// Says '1'/'2' as it accepts A/B, 'S' once the always-ready item has been reported 1000 times,
// echoes whatever B sends, says 'E' and returns at B's EOF. Gives up (exit 3) after 20 s.
const GUEST = `
const A_UD: u64 = 1;
const B_UD: u64 = 2;
const CLOCK_UD: u64 = 3;
function subFd(i: u32, ud: u64, fd: u32): void {
  const at = SUBS + 48 * i;
  memory.fill(at, 0, 48);
  store<u64>(at, ud);
  store<u8>(at + 8, 1);
  store<u32>(at + 16, fd);
}
function subZero(i: u32): void {
  const at = SUBS + 48 * i;
  memory.fill(at, 0, 48);
  store<u64>(at, CLOCK_UD);
  store<u32>(at + 16, 1);
}
function say(c: u8): void {
  store<u8>(SCRATCH + 200, c);
  fd_write(1, iov(SCRATCH + 200, 1), 1, OUT2);
}
function now(): u64 {
  clock_time_get(1, 1, OUT2);
  return load<u64>(OUT2);
}
export function _start(): void {
  args_sizes_get(OUT, OUT2);
  const zero = load<u32>(OUT) == 2;
  let a: u32 = 0;
  if (!zero) {
    check(sock_accept(3, 0, OUT), 1);
    a = load<u32>(OUT);
    say(49);
  }
  check(sock_accept(3, 0, OUT), 2);
  const b = load<u32>(OUT);
  say(50);
  const start = now();
  let polls: u32 = 0;
  let alwaysReady: u32 = 0;
  let signalled = false;
  for (;;) {
    if (zero) {
      subFd(0, B_UD, b);
      subZero(1);
    } else {
      subFd(0, A_UD, a);
      subFd(1, B_UD, b);
    }
    check(poll_oneoff(SUBS, EVENTS, 2, OUT), 3);
    polls++;
    const got = load<u32>(OUT);
    for (let i: u32 = 0; i < got; i++) {
      const ev = EVENTS + 32 * i;
      const ud = load<u64>(ev);
      if (ud == A_UD) {
        if (load<u64>(ev + 16) > 0) check(sock_recv(a, iov(BUF, 64), 1, 0, OUT2, SCRATCH), 4);
        else alwaysReady++;
      } else if (ud == CLOCK_UD) {
        alwaysReady++;
      } else if (ud == B_UD) {
        check(sock_recv(b, iov(BUF, 65536), 1, 0, OUT2, SCRATCH), 5);
        const len = load<u32>(OUT2);
        if (len == 0) {
          say(69);
          return;
        }
        check(sock_send(b, iov(BUF, len), 1, 0, OUT2), 6);
      }
    }
    if (!signalled && alwaysReady >= 1000) {
      signalled = true;
      say(83);
    }
    if ((polls & 0xfff) == 0 && now() - start > 20_000_000_000) proc_exit(3);
  }
}`;

const guests = guestsForFile({ busy: GUEST });

/** A client whose received bytes and end can be awaited. */
function client(port: number): { socket: Socket; received: (n: number) => Promise<string>; closed: Promise<void> } {
  const socket = connect({ host: '127.0.0.1', port });
  let data = '';
  let wake = (): void => {};
  socket.on('data', (chunk: Buffer) => {
    data += chunk.toString('latin1');
    wake();
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    received: (n) => new Promise<string>((resolve) => {
      wake = () => {
        if (data.length >= n) resolve(data.slice(0, n));
      };
      wake();
    }).then((text) => {
      data = data.slice(n);
      return text;
    }),
    closed,
  };
}

describe('poll_oneoff does not starve the other sockets', () => {
  it.each([
    ['a socket at EOF that is never closed', ['busy']],
    ['a relative clock of 0 in a loop', ['busy', 'zero']],
  ])('while %s stays ready, bytes for a second socket still arrive, every time', async (_what, args) => {
    const zero = args.length === 2;
    let said = '';
    let wake = (): void => {};
    const saidIncludes = (text: string): Promise<void> => within(new Promise<void>((resolve) => {
      wake = () => {
        if (said.includes(text)) resolve();
      };
      wake();
    }), `the guest saying ${text}`);
    let port = 0;
    const run = runWasi(guests.path('busy'), {
      args,
      listen: [{ host: '127.0.0.1', port: 0 }],
      stdout: (chunk) => {
        said += Buffer.from(chunk).toString();
        wake();
      },
      onListening: ([address]) => (port = address!.port),
    });
    const clients: Socket[] = [];
    try {
      while (port === 0) await new Promise((resolve) => setImmediate(resolve));
      if (!zero) {
        // A sends a byte and half-closes: from then on it is readable at EOF, forever.
        const a = client(port);
        clients.push(a.socket);
        a.socket.end('a');
        await saidIncludes('1');
      }
      const b = client(port);
      clients.push(b.socket);
      await saidIncludes('2');
      await saidIncludes('S'); // the guest is now spinning on the always-ready item
      for (const word of ['ping', 'pong', 'again']) {
        b.socket.write(word);
        expect(await within(b.received(word.length), `the echo of ${word}`)).toBe(word);
      }
      b.socket.end();
      await saidIncludes('E');
      expect((await within(run, 'the guest ending')).exitCode).toBe(0);
    } finally {
      for (const socket of clients) socket.destroy();
      await run.catch(() => {});
    }
  });
});
