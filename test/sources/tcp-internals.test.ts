// The node:net internals of src/sources/tcp/net-internals.ts, on plain node:net sockets: each one
// works where tcpPaths() says the runtime offers it, and answers "not available" where it does
// not and when switched off, which is what the TCP sources' fallbacks are tested with (tcp-data
// and tcp-faults run on both).
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { closeSync, openSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DirectWriter, peerGone, setInternals, socketFd, tcpPaths, withUserBufferReads, writeDirect,
} from '../../src/sources/tcp/net-internals.js';
import { readFdAfterEof, runtimeReportsResets } from '../../src/sources/tcp/reset-probe.js';

afterEach(() => {
  for (const which of ['fd', 'directWrites', 'userBufferReads', 'peername'] as const) setInternals(which, true);
});

const paths = await tcpPaths();
const runtime = paths.runtime.split(' ')[0];
/** The fd is there: direct writes use it. */
const hasFd = paths.writes === 'fd';

/** A connected pair of plain node:net sockets; the server side comes paused (pauseOnConnect). */
async function nodePair(): Promise<{ server: net.Server; client: net.Socket; accepted: net.Socket }> {
  const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  // Both waits are set up before connecting: a runtime may report either one first (Deno
  // connects the client before the server's 'connection').
  const connection = once(server, 'connection') as Promise<[net.Socket]>;
  const client = net.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port });
  const [[accepted]] = await Promise.all([connection, once(client, 'connect')]);
  return { server, client, accepted };
}

async function closeAll(pair: { server: net.Server; client: net.Socket; accepted: net.Socket }): Promise<void> {
  pair.client.destroy();
  pair.accepted.destroy();
  await new Promise((resolve) => pair.server.close(resolve));
}

describe('net-internals', () => {
  it('tcpPaths: one answer per job, each a path this runtime takes; switches turn the internals off', async () => {
    expect(['onread', 'data']).toContain(paths.acceptedReads);
    expect(paths.connectedReads).toBe('onread'); // Node's documented option: every runtime honours it
    expect(['fd', 'socket.write']).toContain(paths.writes);
    expect(['runtime', 'fd', 'getpeername', 'remoteAddress']).toContain(paths.resetAfterData);
    // Where the runtime's version says it reports resets itself, it did.
    if (runtimeReportsResets) expect(paths.resetAfterData).toBe('runtime');
    for (const which of ['fd', 'directWrites', 'userBufferReads', 'peername'] as const) setInternals(which, false);
    const off = await tcpPaths();
    expect(off.acceptedReads).toBe('data');
    expect(off.writes).toBe('socket.write');
    expect(['runtime', 'remoteAddress', 'none']).toContain(off.resetAfterData);
    expect(off.runtime).toBe(paths.runtime);
  });

  it(`socketFd: the fd of a connected socket where the runtime has one (${runtime}: ${hasFd ? 'yes' : 'no'}), -1 when switched off`, async () => {
    const pair = await nodePair();
    if (hasFd) expect(socketFd(pair.client)).toBeGreaterThanOrEqual(0);
    else expect(socketFd(pair.client)).toBe(-1);
    setInternals('fd', false);
    expect(socketFd(pair.client)).toBe(-1);
    await closeAll(pair);
  });

  it.skipIf(!hasFd)(`writeDirect: writes to the kernel at once; 0 when its buffer is full; -1 when switched off${hasFd ? '' : ` (skipped: ${runtime} gives no fd)`}`, async () => {
    const pair = await nodePair();
    const data = Buffer.from('straight to the fd');
    expect(writeDirect(pair.client, data, data.length)).toBe(data.length);
    pair.accepted.resume();
    const [got] = (await once(pair.accepted, 'data')) as [Buffer];
    expect(got.toString()).toBe('straight to the fd');
    pair.accepted.pause();
    await new Promise((resolve) => setImmediate(resolve));
    // The peer reads nothing more: the kernel's buffers fill and the write would block.
    const block = Buffer.alloc(1 << 20);
    let total = 0;
    for (let n = writeDirect(pair.client, block, block.length); n > 0; n = writeDirect(pair.client, block, block.length)) {
      total += n;
      expect(total).toBeLessThan(256 << 20);
    }
    expect(writeDirect(pair.client, block, 1)).toBe(0);
    setInternals('directWrites', false);
    expect(writeDirect(pair.client, data, data.length)).toBe(-1);
    await closeAll(pair);
  });

  it(`DirectWriter: writes through the fd it read once; -1 once the socket has let its handle go, or when switched off (${runtime}: ${hasFd ? 'fd' : 'no fd, always -1'})`, async () => {
    const pair = await nodePair();
    const writer = new DirectWriter(pair.client);
    const data = Buffer.from('via the cached fd');
    expect(writer.write(data, data.length)).toBe(hasFd ? data.length : -1);
    if (hasFd) {
      pair.accepted.resume();
      const [got] = (await once(pair.accepted, 'data')) as [Buffer];
      expect(got.toString()).toBe('via the cached fd');
    }
    setInternals('fd', false);
    expect(writer.write(data, 1)).toBe(-1);
    setInternals('fd', true);
    setInternals('directWrites', false);
    expect(writer.write(data, 1)).toBe(-1);
    setInternals('directWrites', true);
    // destroy() closes the fd and drops the handle in one step: the number may be anyone's now.
    const oldFd = socketFd(pair.client);
    pair.client.destroy();
    const reused = openSync('/dev/null', 'w'); // the lowest free number: the old one, where there was one
    try {
      if (hasFd) expect(reused).toBe(oldFd);
      expect(writer.write(data, 1)).toBe(-1); // a stale fd would have written to /dev/null
    } finally {
      closeSync(reused);
    }
    await closeAll(pair);
  });

  it(`writeDirect: -1 where the runtime gives no fd (${runtime}: ${hasFd ? 'it does' : 'it does not'})`, async () => {
    const pair = await nodePair();
    const data = Buffer.from('x');
    if (hasFd) expect(writeDirect(pair.client, data, 1)).toBe(1);
    else expect(writeDirect(pair.client, data, 1)).toBe(-1);
    await closeAll(pair);
  });

  it(`withUserBufferReads: null where the accepted handle cannot read into a user buffer (${runtime}: ${paths.acceptedReads})`, async () => {
    const pair = await nodePair();
    if (paths.acceptedReads === 'data') expect(withUserBufferReads(pair.accepted, () => {})).toBeNull();
    await closeAll(pair);
  });

  const userBuffer = paths.acceptedReads === 'onread';
  it.skipIf(!userBuffer)(`withUserBufferReads: moves an accepted socket to onread reads; null when switched off${userBuffer ? '' : ` (skipped: ${runtime}'s accepted handles have no readStart/useUserBuffer)`}`, async () => {
    const pair = await nodePair();
    setInternals('userBufferReads', false);
    expect(withUserBufferReads(pair.accepted, () => {})).toBeNull();
    setInternals('userBufferReads', true);
    const reads: string[] = [];
    let gotRead!: () => void;
    const read = new Promise<void>((resolve) => (gotRead = resolve));
    const moved = withUserBufferReads(pair.accepted, (n, buffer) => {
      reads.push(buffer.toString('utf8', 0, n));
      gotRead();
    });
    expect(moved).not.toBeNull();
    expect(pair.accepted.destroyed).toBe(true); // the old socket, without its handle
    pair.client.write('into the user buffer');
    await read;
    expect(reads.join('')).toBe('into the user buffer');
    moved!.write('and back');
    const [back] = (await once(pair.client, 'data')) as [Buffer];
    expect(back.toString()).toBe('and back');
    moved!.destroy();
    await closeAll(pair);
  });

  it('after a peer sent data and reset: the fd reads the data then ECONNRESET (as recv); getpeername fails', async () => {
    const pair = await nodePair();
    void pair.accepted.remoteAddress; // cached, as a TcpSocket does
    await new Promise<void>((resolve) => pair.client.write(Buffer.alloc(5000, 1), () => resolve()));
    pair.client.resetAndDestroy();
    await once(pair.client, 'close');
    pair.accepted.on('error', () => {});
    // Nothing has been read from the accepted socket (pauseOnConnect): all of it waits in the kernel.
    if (hasFd) {
      const read = readFdAfterEof(pair.accepted);
      // Bun has closed its handle by now (its fd is gone): nothing to read there.
      if (read !== undefined) {
        expect(read.chunks.reduce((n, c) => n + c.length, 0)).toBe(5000);
        expect(read.code).toBe('ECONNRESET');
      }
    }
    const gone = peerGone(pair.accepted);
    if (gone !== undefined) expect(gone).toBe(true);
    setInternals('peername', false);
    expect(peerGone(pair.accepted)).toBeUndefined();
    await closeAll(pair);
  });

  it('getpeername answers false while the peer is connected, and after its FIN alone', async () => {
    const pair = await nodePair();
    const gone = peerGone(pair.accepted);
    if (gone === undefined) return expect(runtime).toBe('bun'); // Bun's handle has no getpeername
    expect(gone).toBe(false);
    pair.client.end();
    pair.accepted.on('data', () => {});
    pair.accepted.resume();
    await once(pair.accepted, 'end');
    expect(peerGone(pair.accepted)).toBe(false);
    await closeAll(pair);
  });
});
