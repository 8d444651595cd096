// Errno paths of the socket calls and poll_oneoff, from the preview1 witx: each case is one
// call whose errno (or result) the guest reports as a byte; the host keeps running throughout.
import { closeSync, openSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listen, runWasi } from '../../src/index.js';
import { guestsForFile, readText } from './guest-helpers.js';

const BAD = 0xfffffff0;

// Expected results, in the guest's order (wasi errno values: AGAIN 6, BADF 8, FAULT 21,
// INVAL 28, NOTCONN 53, NOTSOCK 57, PIPE 64, SPIPE 70).
const CASES: Array<[string, string, number]> = [
  ['poll_oneoff with no subscriptions', 'poll_oneoff(SUBS, EVENTS, 0, OUT)', 28],
  ['poll_oneoff with subscriptions out of memory', `poll_oneoff(${BAD}, EVENTS, 1, OUT)`, 21],
  ['poll_oneoff with events out of memory', `poll_oneoff(SUBS, ${BAD}, 1, OUT)`, 21],
  ['poll_oneoff with an absurd count', 'poll_oneoff(SUBS, EVENTS, 0x7fffffff, OUT)', 21],
  ['poll_oneoff with nevents out of memory', `poll_oneoff(SUBS, EVENTS, 1, ${BAD})`, 21],
  ['poll_oneoff on a bad fd: the call succeeds', 'pollBadFd()', 0],
  ['... and its event carries EBADF', 'load<u16>(EVENTS + 8)', 8],
  ['... for the userdata given', '<u32>load<u64>(EVENTS)', 99],
  ['poll_oneoff with an unknown tag: the event carries EINVAL', 'pollBadTag()', 28],
  ['sock_accept on a bad fd', 'sock_accept(99, 0, OUT)', 8],
  ['sock_accept on stdout', 'sock_accept(1, 0, OUT)', 57],
  ['sock_accept with the result out of memory', `sock_accept(3, 0, ${BAD})`, 21],
  ['sock_accept with a flag other than NONBLOCK', 'sock_accept(3, 16, OUT)', 28],
  ['fd_fdstat_set_flags NONBLOCK on the listener', 'fd_fdstat_set_flags(3, 4)', 0],
  ['fd_fdstat_set_flags APPEND on the listener', 'fd_fdstat_set_flags(3, 1)', 28],
  ['fd_fdstat_get of the listener', 'fd_fdstat_get(3, SCRATCH)', 0],
  ['... filetype SOCKET_STREAM', 'load<u8>(SCRATCH)', 6],
  ['... flags NONBLOCK', 'load<u16>(SCRATCH + 2)', 4],
  ['... the SOCK_ACCEPT right', '<u32>((load<u64>(SCRATCH + 8) >> 29) & 1)', 1],
  ['fd_fdstat_get out of memory', `fd_fdstat_get(3, ${BAD})`, 21],
  ['sock_recv on the listener', 'sock_recv(3, iov(BUF, 16), 1, 0, OUT, OUT2)', 53],
  ['sock_recv on a bad fd', 'sock_recv(99, iov(BUF, 16), 1, 0, OUT, OUT2)', 8],
  ['sock_recv with iovecs out of memory', `sock_recv(3, ${BAD}, 1, 0, OUT, OUT2)`, 21],
  ['sock_recv with a buffer out of memory', `sock_recv(3, iov(${BAD}, 64), 1, 0, OUT, OUT2)`, 21],
  ['sock_send on the listener', 'sock_send(3, iov(BUF, 1), 1, 0, OUT)', 53],
  ['sock_shutdown on the listener', 'sock_shutdown(3, 2)', 53],
  ['sock_shutdown with how 0', 'sock_shutdown(3, 0)', 28],
  ['sock_shutdown on a bad fd', 'sock_shutdown(99, 1)', 8],
  ['fd_read on the listener', 'fd_read(3, iov(BUF, 16), 1, OUT)', 53],
  ['fd_seek on the listener', 'fd_seek(3, 0, 0, OUT)', 70],
  ['fd_prestat_get on the listener', 'fd_prestat_get(3, SCRATCH)', 8],
  // A client connected before the run and sent "abcdef", then its FIN.
  ['sock_accept (the listener is NONBLOCK, a connection is queued)', 'acceptOne()', 0],
  ['... the new fd is 4', 'conn', 4],
  ['... with NONBLOCK, as asked', 'fd_fdstat_get(conn, SCRATCH) + load<u16>(SCRATCH + 2)', 4],
  ['sock_accept again: nothing queued, non-blocking', 'sock_accept(3, 0, OUT)', 6],
  ['sock_recv with an unknown riflag', 'sock_recv(conn, iov(BUF, 16), 1, 4, OUT, OUT2)', 28],
  ['sock_send with an siflag', 'sock_send(conn, iov(BUF, 1), 1, 1, OUT)', 28],
  // Blocking from here: the bytes may still be on their way into the ring.
  ['sock_recv PEEK 3 bytes (blocking)', 'fd_fdstat_set_flags(conn, 0) + recvCount(3, 1)', 3],
  ['sock_recv PEEK|WAITALL 6 bytes: waits until all 6 are there', 'recvCount(6, 3)', 6],
  ['sock_recv WAITALL 6 bytes', 'recvCount(6, 2)', 6],
  ['... they are the peeked ones and the rest', 'load<u8>(BUF) + load<u8>(BUF + 5) - 2 * 97', 5],
  ['... and ro_flags is 0 (a stream never truncates)', 'load<u16>(OUT2)', 0],
  ['sock_recv at EOF', 'recvCount(16, 0)', 0],
  ['sock_shutdown WR', 'sock_shutdown(conn, 2)', 0],
  ['sock_send after SHUT_WR', 'sock_send(conn, iov(BUF, 1), 1, 0, OUT)', 64],
  ['fd_close', 'fd_close(conn)', 0],
  ['fd_close again', 'fd_close(conn)', 8],
  ['sock_recv on the closed fd', 'sock_recv(conn, iov(BUF, 16), 1, 0, OUT, OUT2)', 8],
];

const GUEST = `
let conn: u32 = 0;
function pollBadFd(): u32 {
  memory.fill(SUBS, 0, 48);
  store<u64>(SUBS, 99);
  store<u8>(SUBS + 8, 1);
  store<u32>(SUBS + 16, 99);
  return poll_oneoff(SUBS, EVENTS, 1, OUT);
}
function pollBadTag(): u32 {
  memory.fill(SUBS, 0, 48);
  store<u8>(SUBS + 8, 7);
  const r = poll_oneoff(SUBS, EVENTS, 1, OUT);
  return r != 0 ? 100 + r : <u32>load<u16>(EVENTS + 8);
}
function acceptOne(): u32 {
  const r = sock_accept(3, 4, OUT);
  conn = load<u32>(OUT);
  return r;
}
function recvCount(n: u32, flags: u32): u32 {
  const r = sock_recv(conn, iov(BUF, n), 1, flags, OUT, OUT2);
  return r != 0 ? 100 + r : load<u32>(OUT);
}
export function _start(): void {
${CASES.map(([, call]) => `  rec(<u32>(${call}));`).join('\n')}
  flush();
}`;

const guests = guestsForFile({ errno: GUEST }, 'wasmux-errno-');

describe('errno paths (one case per call and errno)', () => {
  it('every case gives the errno the witx says, and the host stays up', async () => {
    const listener = await listen({ host: '127.0.0.1', port: 0 });
    // Connect and send before the guest runs: the connection waits in the listener's queue.
    const client: Socket = connect({ host: '127.0.0.1', port: listener.address().port });
    client.on('error', () => {});
    await new Promise((resolve) => client.once('connect', resolve));
    client.end('abcdef');
    while (listener.pending === 0) await new Promise((resolve) => setImmediate(resolve));
    const outPath = join(guests.work, 'errno.out');
    const fd = openSync(outPath, 'w');
    let exitCode: number;
    try {
      ({ exitCode } = await runWasi(guests.path('errno'), { listen: [listener], stdout: fd, stderr: fd }));
    } finally {
      closeSync(fd);
      client.destroy();
    }
    expect(exitCode).toBe(0);
    const got = [...Buffer.from(await readText(outPath), 'latin1')];
    const table = CASES.map(([name], i) => `${name}: ${got[i]}`);
    expect(table).toEqual(CASES.map(([name, , want]) => `${name}: ${want}`));
  });
});
