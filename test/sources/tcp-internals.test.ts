// The node:net internals of src/sources/tcp/net-internals.ts, on plain node:net sockets: each one
// works here (Linux, Node 20) and each one answers "not available" when switched off, which is
// what the TCP sources' fallbacks are tested with (tcp-data and tcp-faults run on both).
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { setInternals, socketFd, withUserBufferReads, writeDirect } from '../../src/sources/tcp/net-internals.js';

afterEach(() => {
  for (const which of ['fd', 'directWrites', 'userBufferReads'] as const) setInternals(which, true);
});

/** A connected pair of plain node:net sockets; the server side comes paused (pauseOnConnect). */
async function nodePair(): Promise<{ server: net.Server; client: net.Socket; accepted: net.Socket }> {
  const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = net.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port });
  const [accepted] = (await once(server, 'connection')) as [net.Socket];
  await once(client, 'connect');
  return { server, client, accepted };
}

async function closeAll(pair: { server: net.Server; client: net.Socket; accepted: net.Socket }): Promise<void> {
  pair.client.destroy();
  pair.accepted.destroy();
  await new Promise((resolve) => pair.server.close(resolve));
}

describe('net-internals', () => {
  it('socketFd: the fd of a connected socket, -1 when switched off', async () => {
    const pair = await nodePair();
    expect(socketFd(pair.client)).toBeGreaterThanOrEqual(0);
    setInternals('fd', false);
    expect(socketFd(pair.client)).toBe(-1);
    await closeAll(pair);
  });

  it('writeDirect: writes to the kernel at once; 0 when its buffer is full; -1 when switched off', async () => {
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

  it('withUserBufferReads: moves an accepted socket to onread reads; null when switched off', async () => {
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
});
