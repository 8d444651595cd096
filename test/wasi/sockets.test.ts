// Guests serving real TCP connections from node:net clients on 127.0.0.1: a blocking echo server
// (sock_accept, fd_read/fd_write, sock_recv/sock_send, fd_close) and a poll_oneoff echo server over
// several connections at once, plus poll_oneoff's clocks.
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { RunWasiOptions } from '../../src/index.js';
import { guestsForFile } from './guest-helpers.js';

const SUBSCRIPTIONS = `
function subFd(at: usize, fd: u32, write: bool): void {
  memory.fill(at, 0, 48);
  store<u64>(at, fd);
  store<u8>(at + 8, write ? 2 : 1);
  store<u32>(at + 16, fd);
}
function subClock(at: usize, userdata: u64, clock: u32, ns: u64, absolute: bool): void {
  memory.fill(at, 0, 48);
  store<u64>(at, userdata);
  store<u8>(at + 8, 0);
  store<u32>(at + 16, clock);
  store<u64>(at + 24, ns);
  store<u16>(at + 40, absolute ? 1 : 0);
}
function now(clock: u32): u64 {
  clock_time_get(clock, 1, OUT);
  return load<u64>(OUT);
}
`;

const SOURCES = {
  // Two connections, one after the other: the first with fd_read/fd_write, the second with
  // sock_recv/sock_send; each echoed until EOF, then closed.
  echo: `
export function _start(): void {
  for (let conn = 0; conn < 2; conn++) {
    check(sock_accept(3, 0, OUT), 1);
    const fd = load<u32>(OUT);
    while (true) {
      if (conn == 0) check(fd_read(fd, iov(BUF, 65536), 1, OUT2), 2);
      else check(sock_recv(fd, iov(BUF, 65536), 1, 0, OUT2, SCRATCH), 3);
      const n = load<u32>(OUT2);
      if (n == 0) break;
      if (conn == 0) check(fd_write(fd, iov(BUF, n), 1, OUT2), 4);
      else check(sock_send(fd, iov(BUF, n), 1, 0, OUT2), 5);
      if (load<u32>(OUT2) != n) proc_exit(6);
    }
    check(fd_close(fd), 7);
  }
}`,
  // Non-blocking listener and connections under one poll_oneoff with a 5 s timeout; serves until
  // three connections have ended.
  pollEcho: SUBSCRIPTIONS + `
const conns = memory.data(4 * 32);
let nconns: u32 = 0;
function drop(fd: u32): void {
  for (let i: u32 = 0; i < nconns; i++) {
    if (load<u32>(conns + 4 * i) == fd) {
      store<u32>(conns + 4 * i, load<u32>(conns + 4 * (nconns - 1)));
      nconns--;
      return;
    }
  }
}
export function _start(): void {
  check(fd_fdstat_set_flags(3, 4), 1);
  let served = 0;
  while (served < 3) {
    let n: u32 = 0;
    subFd(SUBS + 48 * n++, 3, false);
    for (let i: u32 = 0; i < nconns; i++) subFd(SUBS + 48 * n++, load<u32>(conns + 4 * i), false);
    subClock(SUBS + 48 * n++, 0xc10c, 1, 5000000000, false);
    check(poll_oneoff(SUBS, EVENTS, n, OUT), 2);
    const got = load<u32>(OUT);
    for (let e: u32 = 0; e < got; e++) {
      const ev = EVENTS + 32 * e;
      check(load<u16>(ev + 8), 3);
      if (load<u8>(ev + 10) == 0) proc_exit(4);
      const fd = <u32>load<u64>(ev);
      if (fd == 3) {
        while (true) {
          const r = sock_accept(3, 4, OUT2);
          if (r == 6) break;
          check(r, 5);
          store<u32>(conns + 4 * nconns, load<u32>(OUT2));
          nconns++;
        }
        continue;
      }
      const r = sock_recv(fd, iov(BUF, 65536), 1, 0, OUT2, SCRATCH);
      if (r == 6) continue;
      check(r, 6);
      const k = load<u32>(OUT2);
      if (k == 0) {
        if ((load<u16>(ev + 24) & 1) == 0) proc_exit(9); // EOF comes with the hangup flag
        check(fd_close(fd), 7);
        drop(fd);
        served++;
        continue;
      }
      let off: u32 = 0;
      while (off < k) {
        const w = sock_send(fd, iov(BUF + off, k - off), 1, 0, OUT2);
        if (w == 6) {
          subFd(SCRATCH, fd, true);
          check(poll_oneoff(SCRATCH, SCRATCH + 64, 1, SCRATCH + 128), 10);
          continue;
        }
        check(w, 8);
        off += load<u32>(OUT2);
      }
    }
  }
}`,
  // poll_oneoff's clocks: relative and absolute, MONOTONIC and REALTIME; reports 1 per check passed.
  clocks: SUBSCRIPTIONS + `
const MS: u64 = 1000000;
function waitOne(userdata: u64, clock: u32, ns: u64, absolute: bool): u64 {
  const t0 = now(1);
  subClock(SUBS, userdata, clock, ns, absolute);
  check(poll_oneoff(SUBS, EVENTS, 1, OUT2), 1);
  if (load<u32>(OUT2) != 1 || load<u64>(EVENTS) != userdata || load<u8>(EVENTS + 10) != 0 || load<u16>(EVENTS + 8) != 0) proc_exit(2);
  return now(1) - t0;
}
export function _start(): void {
  rec(waitOne(11, 1, 30 * MS, false) >= 30 * MS ? 1 : 0);
  rec(waitOne(12, 1, now(1) + 20 * MS, true) >= 19 * MS ? 1 : 0);
  rec(waitOne(13, 0, 20 * MS, false) >= 20 * MS ? 1 : 0);
  rec(waitOne(14, 0, now(0) + 20 * MS, true) >= 15 * MS ? 1 : 0);
  rec(waitOne(15, 1, 1, true) < 10 * MS ? 1 : 0); // a deadline long past: at once
  // Two clocks: the earlier one fires alone.
  subClock(SUBS, 21, 1, 2000 * MS, false);
  subClock(SUBS + 48, 22, 1, 10 * MS, false);
  check(poll_oneoff(SUBS, EVENTS, 2, OUT2), 3);
  rec(load<u32>(OUT2));
  rec(<u32>load<u64>(EVENTS));
  flush();
}`,
};

const guests = guestsForFile(SOURCES, 'wasmux-sock-');

async function run(name: string, options: RunWasiOptions = {}): Promise<{ exitCode: number; out: Buffer }> {
  const { exitCode, out } = await guests.runCaptured(name, options);
  return { exitCode, out: Buffer.from(out, 'latin1') };
}

/** Sends `data` in `chunk`-byte writes, reads everything echoed until the server's EOF. */
function echoClient(port: number, data: Buffer, chunk: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host: '127.0.0.1', port });
    const got: Buffer[] = [];
    socket.on('data', (b) => got.push(b));
    socket.on('error', reject);
    socket.on('end', () => {
      socket.end();
      resolve(Buffer.concat(got));
    });
    socket.on('connect', async () => {
      for (let off = 0; off < data.length; off += chunk) {
        if (!socket.write(data.subarray(off, off + chunk))) await new Promise((r) => socket.once('drain', r));
      }
      socket.end();
    });
  });
}

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

describe('sockets', () => {
  it('blocking echo: fd_read/fd_write then sock_recv/sock_send, 1 MiB each through 16 KiB rings', async () => {
    const results: Promise<Buffer>[] = [];
    const a = pattern(1 << 20, 1);
    const b = pattern(1 << 20, 2);
    const run1 = run('echo', {
      listen: [{ host: '127.0.0.1', port: 0 }],
      ringBytes: 16384,
      onListening: ([address]) => {
        // One after the other: the guest serves them in order.
        const first = echoClient(address!.port, a, 4096);
        results.push(first, first.then(() => echoClient(address!.port, b, 50000)));
      },
    });
    const { exitCode, out } = await run1;
    expect(out.toString()).toBe('');
    expect(exitCode).toBe(0);
    const [ea, eb] = await Promise.all(results);
    expect(ea!.equals(a)).toBe(true);
    expect(eb!.equals(b)).toBe(true);
  });

  it('poll_oneoff echo: three concurrent connections on one non-blocking guest', async () => {
    const data = [pattern(100_000, 3), pattern(7, 4), pattern(300_000, 5)];
    let echoed: Promise<Buffer[]> = Promise.resolve([]);
    const { exitCode, out } = await run('pollEcho', {
      listen: [{ host: '127.0.0.1', port: 0 }],
      ringBytes: 8192,
      onListening: ([address]) => {
        echoed = Promise.all(data.map((d, i) => echoClient(address!.port, d, [1000, 7, 65536][i]!)));
      },
    });
    expect([...out]).toEqual([]);
    expect(exitCode).toBe(0);
    const got = await echoed;
    got.forEach((g, i) => expect(g.equals(data[i]!)).toBe(true));
  });

  it('poll_oneoff clocks: relative and absolute, MONOTONIC and REALTIME; the earliest of two fires', async () => {
    const { exitCode, out } = await run('clocks');
    expect(exitCode).toBe(0);
    expect([...out]).toEqual([1, 1, 1, 1, 1, 1, 22]);
  });
});
