/**
 * A binary min-heap on a plain array, ordered by `before` (libuv's heap-inl.h, asyncio's heapq).
 * The descriptor table keeps its free fd numbers in one (lowest first) and the EventLoop its
 * timers (by deadline, then sequence number).
 */
export class MinHeap<T> {
  #items: T[] = [];
  /** a comes out before b: a strict order (false for equal keys). */
  readonly #before: (a: T, b: T) => boolean;

  constructor(before: (a: T, b: T) => boolean) {
    this.#before = before;
  }

  get size(): number {
    return this.#items.length;
  }

  /** The first entry, without removing it. */
  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    const items = this.#items;
    items.push(item);
    this.#siftUp(items.length - 1);
  }

  /** Removes and returns the first entry. */
  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      this.#siftDown(0);
    }
    return top;
  }

  /** Keeps only the entries `keep` accepts and rebuilds the heap (O(n)); returns how many left. */
  retain(keep: (item: T) => boolean): number {
    const before = this.#items.length;
    this.#items = this.#items.filter(keep);
    for (let i = (this.#items.length >> 1) - 1; i >= 0; i--) this.#siftDown(i);
    return before - this.#items.length;
  }

  /** Empties the heap and returns what it held, in no particular order. */
  clear(): T[] {
    const items = this.#items;
    this.#items = [];
    return items;
  }

  #siftUp(index: number): void {
    const items = this.#items;
    const before = this.#before;
    const item = items[index]!;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const p = items[parent]!;
      if (!before(item, p)) break;
      items[index] = p;
      index = parent;
    }
    items[index] = item;
  }

  #siftDown(index: number): void {
    const items = this.#items;
    const before = this.#before;
    const n = items.length;
    const item = items[index]!;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && before(items[right]!, items[child]!)) child = right;
      if (!before(items[child]!, item)) break;
      items[index] = items[child]!;
      index = child;
    }
    items[index] = item;
  }
}
