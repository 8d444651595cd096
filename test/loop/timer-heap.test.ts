// The timer heap: (when, seq) order, FIFO among equal deadlines, retain() rebuilding the heap.
import { describe, expect, it } from 'vitest';
import { TimerHeap, type HeapEntry } from '../../src/loop/timer-heap.js';
import { random } from '../helpers.js';

interface Entry extends HeapEntry {
  name: string;
}

function drain(heap: TimerHeap<Entry>): Entry[] {
  const out: Entry[] = [];
  for (let e = heap.pop(); e !== undefined; e = heap.pop()) out.push(e);
  return out;
}

const byWhenThenSeq = (a: Entry, b: Entry): number => a.when - b.when || a.seq - b.seq;

describe('TimerHeap', () => {
  it('pops in deadline order; equal deadlines in push order', () => {
    const heap = new TimerHeap<Entry>();
    const pushed: Entry[] = [];
    let seq = 0;
    for (const [when, name] of [[30, 'a'], [10, 'b'], [20, 'c'], [10, 'd'], [30, 'e'], [10, 'f']] as const) {
      const e = { when, seq: seq++, name };
      pushed.push(e);
      heap.push(e);
    }
    expect(heap.size).toBe(6);
    expect(heap.peek()!.name).toBe('b');
    expect(drain(heap).map((e) => e.name)).toEqual(['b', 'd', 'f', 'c', 'a', 'e']);
    expect(heap.size).toBe(0);
    expect(heap.pop()).toBeUndefined();
    expect(heap.peek()).toBeUndefined();
  });

  it('matches a sort by (when, seq) for random pushes, pops and retains (many deadlines equal)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rnd = random(seed);
      const heap = new TimerHeap<Entry>();
      let model: Entry[] = [];
      let seq = 0;
      for (let step = 0; step < 300; step++) {
        const r = rnd();
        if (r < 0.6) {
          const e = { when: Math.floor(rnd() * 8), seq: seq++, name: `t${seq}` };
          heap.push(e);
          model.push(e);
        } else if (r < 0.95) {
          model.sort(byWhenThenSeq);
          expect(heap.pop()).toBe(model.shift());
        } else {
          const drop = (e: Entry): boolean => e.seq % 3 !== 0;
          const removed = heap.retain(drop);
          const kept = model.filter(drop);
          expect(removed).toBe(model.length - kept.length);
          model = kept;
        }
        expect(heap.size).toBe(model.length);
      }
      model.sort(byWhenThenSeq);
      expect(drain(heap)).toEqual(model);
    }
  });

  it('clear() empties it and hands back everything it held', () => {
    const heap = new TimerHeap<Entry>();
    for (let i = 0; i < 5; i++) heap.push({ when: 5 - i, seq: i, name: String(i) });
    expect(heap.clear().map((e) => e.name).sort()).toEqual(['0', '1', '2', '3', '4']);
    expect(heap.size).toBe(0);
  });
});
