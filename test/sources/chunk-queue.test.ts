// The chunk queue (a TcpSocket's receive queue, stdin's too): chunks kept by reference, views
// where the bytes lie in one chunk.
import { describe, expect, it } from 'vitest';
import { ChunkQueue } from '../../src/sources/chunk-queue.js';
import { bytes, random, text } from '../helpers.js';

describe('ChunkQueue', () => {
  it('keeps chunks by reference: front and take within a chunk are views, across chunks copies', () => {
    const q = new ChunkQueue();
    const a = bytes('hello ');
    const b = bytes('world');
    q.push(a);
    q.push(new Uint8Array(0)); // ignored
    q.push(b);
    expect(q.size).toBe(11);
    expect(text(q.front())).toBe('hello ');
    expect(q.front().buffer).toBe(a.buffer);
    const he = q.take(2);
    expect(text(he)).toBe('he');
    expect(he.buffer).toBe(a.buffer); // a view
    const across = q.take(6);
    expect(text(across)).toBe('llo wo');
    expect(across.buffer).not.toBe(a.buffer); // spans two chunks: a copy
    expect(text(q.front())).toBe('rld');
    expect(q.discard(100)).toBe(3);
    expect(q.size).toBe(0);
    expect(q.front().length).toBe(0);
    expect(q.take(5).length).toBe(0);
  });

  it('returns every byte once, in order, through random pushes, takes, reads and discards', () => {
    const rand = random(21);
    const q = new ChunkQueue();
    const sent: number[] = [];
    const got: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const chunk = Uint8Array.from({ length: Math.floor(rand() * 50) }, () => Math.floor(rand() * 256));
      q.push(chunk);
      sent.push(...chunk);
      const op = rand();
      const n = Math.floor(rand() * 80);
      if (op < 0.3) {
        got.push(...q.take(n));
      } else if (op < 0.6) {
        const buf = new Uint8Array(n);
        got.push(...buf.subarray(0, q.readInto(buf)));
      } else if (op < 0.8) {
        const front = q.front();
        const k = Math.min(n, front.length);
        got.push(...front.subarray(0, k));
        expect(q.discard(k)).toBe(k);
      }
      expect(q.size).toBe(sent.length - got.length);
    }
    got.push(...q.take(q.size));
    expect(got).toEqual(sent);
  });

  it('keeps order across many queued chunks, through compaction and emptying, and tells each owner once', () => {
    const q = new ChunkQueue();
    const consumed: number[] = [];
    const owner = (id: number) => ({ escaped: false, consumed: () => consumed.push(id) });
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 3; round++) {
      // Build up a backlog well past the compaction mark, then read it while pushing more.
      for (let i = 0; i < 150; i++, next++) q.push(Uint8Array.of(next & 0xff, (next >> 8) & 0xff), owner(next));
      const one = new Uint8Array(2);
      for (let i = 0; i < 140; i++, expected++) {
        expect(q.readInto(one)).toBe(2);
        expect(one[0]! | (one[1]! << 8)).toBe(expected);
        if (i % 3 === 0) q.push(Uint8Array.of(next & 0xff, (next >> 8) & 0xff), owner(next++));
      }
      // Drain the rest: the queue is empty again and starts over from its first slot.
      while (q.size > 0) {
        expect(q.readInto(one)).toBe(2);
        expect(one[0]! | (one[1]! << 8)).toBe(expected++);
      }
    }
    expect(expected).toBe(next);
    expect(consumed).toEqual(Array.from({ length: next }, (_, i) => i));
  });
});

