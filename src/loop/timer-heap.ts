import { MinHeap } from '../fd/min-heap.js';

/** What the heap orders: a deadline, and a sequence number that breaks ties (FIFO). */
export interface HeapEntry {
  /** The deadline, on the loop's clock (ms). */
  readonly when: number;
  /** Unique and increasing in scheduling order: equal deadlines come out first-scheduled first. */
  readonly seq: number;
}

/** a comes out before b: the earlier deadline, and on equal deadlines the earlier sequence number. */
function before(a: HeapEntry, b: HeapEntry): boolean {
  return a.when < b.when || (a.when === b.when && a.seq < b.seq);
}

/**
 * The EventLoop's timers: a MinHeap ordered by (when, seq). Since sequence numbers are unique
 * the order is total, so entries with the same deadline come out in the order they were pushed,
 * which a binary heap alone does not promise.
 */
export class TimerHeap<T extends HeapEntry> extends MinHeap<T> {
  constructor() {
    super(before);
  }
}
