// Receive blocks are reused once consumed, and never when a view of them was handed out.
import { describe, expect, it } from 'vitest';
import { ChunkQueue, type ChunkOwner } from '../../src/sources/chunk-queue.js';
import { BLOCK_SIZE, ReceiveBlock, freshBlocks, pooledBlocks } from '../../src/sources/tcp/receive-blocks.js';
import { EPOLLIN } from '../../src/core/constants.js';
import { bytes, expectTableEmptyAfterEach, text } from '../helpers.js';
import { pattern, recvExactly, sendAll, tcpPair, until } from './tcp-helpers.js';

expectTableEmptyAfterEach();

function owner(): ChunkOwner & { consumedCount: number } {
  return { escaped: false, consumedCount: 0, consumed() { this.consumedCount++; } };
}

describe('ChunkQueue owners', () => {
  it('tells each owner once its chunk is consumed, and marks owners whose memory went out as a view', () => {
    const q = new ChunkQueue();
    const [a, b, c] = [owner(), owner(), owner()];
    q.push(bytes('abc'), a);
    q.push(bytes('def'), b);
    q.push(bytes('ghi'), c);
    const buf = new Uint8Array(4);
    expect(q.readInto(buf)).toBe(4); // a copy: nothing escapes
    expect([a.consumedCount, b.consumedCount, a.escaped, b.escaped]).toEqual([1, 0, false, false]);
    expect(text(q.front())).toBe('ef'); // a view of b's memory
    expect(b.escaped).toBe(true);
    expect(text(q.take(2))).toBe('ef');
    expect(b.consumedCount).toBe(1);
    q.clear();
    expect(c.consumedCount).toBe(1);
    expect(c.escaped).toBe(false);
    const empty = owner();
    q.push(new Uint8Array(0), empty);
    expect(empty.consumedCount).toBe(1);
  });
});

describe('ReceiveBlock', () => {
  it('goes back to the pool once sealed and consumed, and is reused by the next block', () => {
    const block = new ReceiveBlock();
    const first = block.append(bytes('hello'), 5)!;
    expect(text(first)).toBe('hello');
    expect(block.append(new Uint8Array(BLOCK_SIZE), BLOCK_SIZE)).toBeNull(); // does not fit
    const before = pooledBlocks();
    block.consumed();
    expect(pooledBlocks()).toBe(before); // not sealed yet: the socket may still write to it
    block.seal();
    expect(pooledBlocks()).toBe(before + 1);
    const next = new ReceiveBlock();
    expect(next.bytes).toBe(block.bytes);
    expect(pooledBlocks()).toBe(before);
  });

  it('is never reused once part of it went out as a view', () => {
    const block = new ReceiveBlock();
    block.append(bytes('kept'), 4);
    block.escaped = true;
    const before = pooledBlocks();
    block.seal();
    block.consumed();
    expect(pooledBlocks()).toBe(before);
  });
});

describe('receive blocks in a TCP socket', () => {
  it('blocks read with recvInto are used again: six blocks of data go through at most four fresh blocks', async () => {
    const { listener, client, server } = await tcpPair();
    const data = pattern(6 * BLOCK_SIZE, 5);
    const before = freshBlocks();
    // The connect() end receives: it reads through onread into receive blocks on every runtime
    // (an accepted one does only where the runtime offers it: not Bun). Read in step with the
    // sends: the receive capacity (256 KiB) bounds what is unread, so at most three blocks hold
    // unread bytes at once, plus the tail; the others go back to the pool and are taken again.
    const [, got] = await Promise.all([sendAll(server, data), recvExactly(client, data.length, 4096)]);
    expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
    expect(freshBlocks() - before).toBeLessThanOrEqual(4);
    for (const s of [client, server, listener]) s.close();
  });

  it('a block sealed once all of it was read goes to the pool, and a new block takes pooled memory first', () => {
    const block = new ReceiveBlock();
    const chunk = block.append(bytes('read'), 4)!;
    expect(text(chunk)).toBe('read');
    block.consumed();
    const before = pooledBlocks();
    block.seal();
    expect(pooledBlocks()).toBe(before + 1);
    const freshBefore = freshBlocks();
    const next = new ReceiveBlock();
    expect(freshBlocks()).toBe(freshBefore); // taken from the pool, not allocated
    expect(pooledBlocks()).toBe(before);
    next.seal();
    expect(pooledBlocks()).toBe(before + 1);
  });

  it('a peeked view keeps its bytes after consume and after megabytes more through the socket', async () => {
    const { listener, client: server, server: client } = await tcpPair(); // the connect() end receives, as above
    client.send('first bytes');
    await until(server, EPOLLIN);
    const view = server.peek()!;
    const saved = text(view);
    server.consume(view.length);
    const more = pattern(3 << 20, 3);
    await Promise.all([sendAll(client, more), recvExactly(server, more.length, 4096)]);
    expect(text(view)).toBe(saved);
    expect(saved).toBe('first bytes');
    for (const s of [client, server, listener]) s.close();
  });
});
