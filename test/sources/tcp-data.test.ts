// Data on real loopback TCP connections: recv/send/peek/consume, wakeups, the bounded receive
// and send buffers (backpressure both ways), half-close and close.
import { describe, expect, it } from 'vitest';
import { Epoll } from '../../src/api/epoll.js';
import { EPOLLERR, EPOLLET, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP } from '../../src/core/constants.js';
import { read, write } from '../../src/fd/syscalls.js';
import { SHUT_RD, SHUT_RDWR, SHUT_WR } from '../../src/sources/wakeup-keys.js';
import { bytes, code, expectTableEmptyAfterEach, level, text } from '../helpers.js';
import {
  describeEachTcpPath, next, offered, pattern, R, receiveAtLeast, recvExactly, recvToEof, RSHUT, sendAll, tcpPair, until, W,
} from './tcp-helpers.js';

expectTableEmptyAfterEach();

describeEachTcpPath('TCP', (internals) => {
  it('reads by the path under test (the runtime\'s offer with internals); connect() sockets always by onread', async () => {
    const { listener, client, server } = await tcpPair();
    expect(server.readPath).toBe(internals ? offered.acceptedReads : 'data');
    expect(client.readPath).toBe('onread');
    for (const s of [client, server, listener]) s.close();
  });

  it('forwards with no copy: peek, sendZeroCopy, consume', async () => {
    const { listener, client, server } = await tcpPair();
    const data = pattern(100_000, 7);
    await sendAll(client, data);
    client.shutdown(SHUT_WR);
    // The server forwards what it receives back to the client, by views alone.
    const back: Uint8Array[] = [];
    let forwarded = 0;
    while (forwarded < data.length) {
      const view = server.peek();
      if (view === null) {
        await until(server, EPOLLIN);
        continue;
      }
      const n = server.sendZeroCopy(view);
      if (n > 0) server.consume(n);
      forwarded += n;
      if (n < view.length) await until(server, EPOLLOUT);
      const got = client.recv(1 << 20);
      if (got !== null && got.length > 0) back.push(got.slice());
    }
    server.shutdown(SHUT_WR);
    back.push(await recvToEof(client));
    expect(Buffer.concat(back).equals(Buffer.from(data))).toBe(true);
    expect(code(() => server.sendZeroCopy('text' as unknown as Uint8Array))).toBe('EINVAL');
    for (const s of [client, server, listener]) s.close();
    expect(code(() => server.sendZeroCopy(new Uint8Array(1)))).toBe('EBADF');
  });

  describe('TCP data', () => {
    it('send and recv carry bytes in order; IN while received bytes are queued', async () => {
      const { listener, client, server } = await tcpPair();
      expect(client.send('hello')).toBe(5);
      expect(await until(server, EPOLLIN)).toBe(EPOLLIN);
      expect(level(server)).toBe(R | W);
      expect(server.receiveQueued).toBe(5);
      expect(text(server.recv(2))).toBe('he');
      const buf = new Uint8Array(10);
      expect(server.recvInto(buf)).toBe(3);
      expect(text(buf.subarray(0, 3))).toBe('llo');
      expect(server.recv(1)).toBeNull();
      expect(level(server)).toBe(W);
      // The other way, through the fd-level read/write too.
      expect(write(server.fileno(), new Uint8Array([1, 2, 3]))).toBe(3);
      await until(client, EPOLLIN);
      expect(read(client.fileno(), 10)).toEqual(new Uint8Array([1, 2, 3]));
      for (const s of [client, server, listener]) s.close();
    });

    it('sends strings as UTF-8, and send of nothing is 0', async () => {
      const { listener, client, server } = await tcpPair();
      expect(client.send('héllo €')).toBe(10);
      expect(client.send('')).toBe(0);
      expect(client.send(new Uint8Array(0))).toBe(0);
      expect(text(await recvExactly(server, 10))).toBe('héllo €');
      for (const s of [client, server, listener]) s.close();
    });

    it('send copies: changing the buffer after send does not change what is sent', async () => {
      const { listener, client, server } = await tcpPair();
      const data = bytes('abcdef');
      expect(client.send(data)).toBe(6);
      data.fill(0x7a);
      expect(text(await recvExactly(server, 6))).toBe('abcdef');
      for (const s of [client, server, listener]) s.close();
    });

    it('edge-triggered: every arriving chunk is a wakeup, even when the earlier ones were not read', async () => {
      const { listener, client, server } = await tcpPair();
      const ep = new Epoll();
      ep.register(server, EPOLLIN | EPOLLET);
      client.send('one');
      expect(await next(ep, server, EPOLLIN)).toBe(EPOLLIN);
      expect(await ep.poll(0)).toEqual([]); // no new data, no new edge
      client.send('two');
      expect(await next(ep, server, EPOLLIN)).toBe(EPOLLIN);
      expect(text(await recvExactly(server, 6))).toBe('onetwo');
      expect(await ep.poll(0)).toEqual([]);
      for (const s of [client, server, listener, ep]) s.close();
    });

    it('peek gives a view of the received bytes without consuming them; consume drops them', async () => {
      const { listener, client, server } = await tcpPair();
      client.send('hello world');
      await receiveAtLeast(server, 11);
      const view = server.peek()!;
      expect(text(view)).toBe('hello world');
      expect(server.peek()!.buffer).toBe(view.buffer); // the same memory: no copy was made
      expect(server.receiveQueued).toBe(11);
      server.consume(6);
      expect(text(server.peek())).toBe('world');
      expect(code(() => server.consume(0))).toBe('EINVAL');
      expect(code(() => server.consume(6))).toBe('EINVAL'); // only 5 are queued
      expect(code(() => server.consume(1.5))).toBe('EINVAL');
      server.consume(5);
      expect(server.peek()).toBeNull();
      expect(level(server)).toBe(W);
      client.shutdown(SHUT_WR);
      await until(server, EPOLLRDHUP);
      expect(server.peek()).toEqual(new Uint8Array(0)); // EOF
      for (const s of [client, server, listener]) s.close();
    });

    it('recv returns bytes that lie in one received chunk as a view of it, without a copy', async () => {
      const { listener, client, server } = await tcpPair();
      client.send('abcdef');
      await receiveAtLeast(server, 6);
      const first = server.recv(3)!;
      const second = server.recv(3)!;
      expect([text(first), text(second)]).toEqual(['abc', 'def']);
      expect(second.buffer).toBe(first.buffer);
      for (const s of [client, server, listener]) s.close();
    });

    it('carries 4 MiB each way at once, intact, through small recvInto buffers', async () => {
      const { listener, client, server } = await tcpPair();
      const up = pattern(4 << 20, 1);
      const down = pattern(4 << 20, 2);
      const [, , gotUp, gotDown] = await Promise.all([
        sendAll(client, up), sendAll(server, down), recvExactly(server, up.length, 1000), recvExactly(client, down.length, 777),
      ]);
      expect(Buffer.compare(gotUp, up)).toBe(0);
      expect(Buffer.compare(gotDown, down)).toBe(0);
      for (const s of [client, server, listener]) s.close();
    });
  });

  describe('TCP buffers and backpressure', () => {
    it('a reader that does not read pauses its socket at the receive capacity; the sender then sees send return 0 and OUT clear; reading resumes both', async () => {
      const { listener, client, server } = await tcpPair({ server: { receiveCapacity: 65536 }, client: { sendCapacity: 65536 } });
      const data = pattern(64 << 20, 3);
      const ep = new Epoll();
      ep.register(client, EPOLLOUT | EPOLLET);
      let sent = 0;
      // Send until the sender is blocked: send returns 0 and no OUT edge comes for a second.
      // Without backpressure this would run through all 64 MiB and fail below.
      for (;;) {
        const n = client.send(data.subarray(sent, sent + 65536));
        sent += n;
        if (n > 0) continue;
        expect(level(client) & EPOLLOUT).toBe(0);
        if (sent >= data.length) break;
        const events = await ep.poll(1000);
        if (events.length === 0) break;
      }
      expect(sent).toBeLessThan(data.length);
      expect(client.sendQueued).toBe(65536);
      // The receiver stopped taking data from Node at its capacity (plus at most one read of Node's).
      expect(server.receiveQueued).toBeGreaterThanOrEqual(65536);
      expect(server.receiveQueued).toBeLessThanOrEqual(65536 + 65536);
      // Now read everything: the sender's OUT edge comes back, and every byte arrives once, in order.
      const got = recvExactly(server, sent, 4096);
      expect(await next(ep, client, EPOLLOUT)).toBe(EPOLLOUT);
      const received = await got;
      expect(Buffer.compare(received, data.subarray(0, sent))).toBe(0);
      for (const s of [client, server, listener, ep]) s.close();
    });

    it('writability comes back after writes that complete at once (ET writer, small send buffer)', async () => {
      const { listener, client, server } = await tcpPair({ client: { sendCapacity: 8192 } });
      const ep = new Epoll();
      ep.register(client, EPOLLOUT | EPOLLET);
      expect(await next(ep, client, EPOLLOUT)).toBe(EPOLLOUT); // the initial edge
      const chunk = pattern(8192, 4);
      let total = 0;
      for (let round = 0; round < 50; round++) {
        // The first send of a turn is written at once (the kernel takes 8 KiB at once: the send
        // buffer is empty again when send returns); the second is corked until the turn ends and
        // fills the buffer, so OUT clears; the third would block.
        expect(client.send(chunk)).toBe(8192);
        expect(client.send(chunk)).toBe(8192);
        expect(level(client) & EPOLLOUT).toBe(0);
        expect(client.send(chunk)).toBe(0);
        total += 16384;
        // The corked bytes leave at the end of the turn; the wakeup must come.
        expect(await next(ep, client, EPOLLOUT)).toBe(EPOLLOUT);
        expect(client.sendQueued).toBe(0); // written at once: nothing waits in Node
        // Keep the peer drained, so that the kernel takes each write at once.
        expect(Buffer.compare(await recvExactly(server, 16384), Buffer.concat([chunk, chunk]))).toBe(0);
      }
      expect(server.recv(1)).toBeNull();
      expect(total).toBe(50 * 16384);
      for (const s of [client, server, listener, ep]) s.close();
    });

    it('a send larger than the room left is partial', async () => {
      const { listener, client, server } = await tcpPair({ client: { sendCapacity: 1000 } });
      // One turn: the first send goes out at once, then the buffer is corked and fills.
      expect(client.send(pattern(600, 5))).toBe(600);
      expect(client.send(pattern(3000, 6))).toBe(1000);
      expect(client.send('x')).toBe(0);
      const got = await recvExactly(server, 1600);
      expect(Buffer.compare(got.subarray(0, 600), pattern(600, 5))).toBe(0);
      expect(Buffer.compare(got.subarray(600), pattern(3000, 6).subarray(0, 1000))).toBe(0);
      for (const s of [client, server, listener]) s.close();
    });
  });

  describe('TCP shutdown and close', () => {
    it('SHUT_RD: EOF once the queue is empty, RDHUP; SHUT_RDWR: HUP; a bad how is EINVAL', async () => {
      const { listener, client, server } = await tcpPair();
      client.send('queued');
      await receiveAtLeast(server, 6);
      server.shutdown(SHUT_RD);
      expect(level(server)).toBe(RSHUT | W);
      expect(text(server.recv(100))).toBe('queued'); // what was queued is still read first
      expect(server.recv(100)).toEqual(new Uint8Array(0));
      expect(server.send('still sending')).toBe(13); // SHUT_RD leaves the send side alone
      expect(code(() => server.shutdown(3))).toBe('EINVAL');
      expect(code(() => server.shutdown(-1))).toBe('EINVAL');
      server.shutdown(SHUT_RDWR);
      expect(level(server)).toBe(RSHUT | W | EPOLLHUP);
      expect(text(await recvToEof(client))).toBe('still sending');
      for (const s of [client, server, listener]) s.close();
    });

    it('close with received bytes unread resets the connection, as Linux does: the peer gets ECONNRESET', async () => {
      const { listener, client, server } = await tcpPair();
      client.send('never read');
      await receiveAtLeast(server, 10);
      server.close();
      expect(await until(client, EPOLLERR)).toBe(EPOLLERR | EPOLLHUP);
      expect(level(client)).toBe(RSHUT | W | EPOLLERR | EPOLLHUP);
      expect(code(() => client.recv(10))).toBe('ECONNRESET');
      expect(client.recv(10)).toEqual(new Uint8Array(0));
      expect(client.error).toBe('ECONNRESET');
      for (const s of [client, listener]) s.close();
    });

    it('setLinger(true, 0) makes close abortive: the peer gets ECONNRESET though nothing was unread', async () => {
      const { listener, client, server } = await tcpPair();
      server.setLinger(true, 0);
      expect(code(() => server.setLinger(true, 5))).toBe('EINVAL');
      server.close();
      expect(await until(client, EPOLLERR)).toBe(EPOLLERR | EPOLLHUP);
      expect(code(() => client.recv(10))).toBe('ECONNRESET');
      // setLinger(false) restores the graceful close: FIN, read as EOF.
      const pair = await tcpPair();
      pair.server.setLinger(true, 0);
      pair.server.setLinger(false);
      pair.server.close();
      expect(await recvToEof(pair.client)).toEqual(new Uint8Array(0));
      for (const s of [client, listener, pair.client, pair.listener]) s.close();
    });
  });
});
