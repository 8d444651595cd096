import type { Writable } from 'node:stream';

/**
 * The send buffer of a source over a Node Writable (stdout and stderr, a TCP socket): bytes
 * handed to the stream count as buffered until it reports them written, up to `capacity`. A
 * writer that found it full (SOCK_NOSPACE) is woken once it has drained to half the capacity,
 * not at every byte written, so that it wakes to room for a sizeable send.
 */
export class SendBuffer {
  readonly capacity: number;
  readonly #stream: Writable;
  readonly #lowWater: number;
  readonly #onDrained: () => void;
  /** A send found no room: the next drain to #lowWater is a wakeup. */
  #full = false;

  /** `onDrained` runs from the stream's write callbacks: it publishes the writer's wakeup. */
  constructor(stream: Writable, capacity: number, onDrained: () => void) {
    this.#stream = stream;
    this.capacity = capacity;
    this.#lowWater = Math.floor(capacity / 2);
    this.#onDrained = onDrained;
  }

  /** Bytes handed to the stream and not yet written. */
  get queued(): number {
    return this.#stream.writableLength;
  }

  /** Below capacity: the source shows OUT. */
  get hasRoom(): boolean {
    return this.#stream.writableLength < this.capacity;
  }

  /** The bytes a send may hand over now; 0 (would block) marks the buffer full. */
  room(): number {
    const room = this.capacity - this.#stream.writableLength;
    if (room > 0) return room;
    this.#full = true;
    return 0;
  }

  /** A send would block for another reason (TCP while connecting): wake the writer at the next drain too. */
  markFull(): void {
    this.#full = true;
  }

  /** After a write: true if it filled the buffer (OUT is gone, and the next drain is a wakeup). */
  filledUp(): boolean {
    if (this.hasRoom) return false;
    this.#full = true;
    return true;
  }

  /** The stream's write callback: wakes a writer that found the buffer full once it has drained. */
  readonly written = (error?: Error | null): void => {
    if (error || !this.#full) return;
    if (this.#stream.writableLength <= this.#lowWater) {
      this.#full = false;
      this.#onDrained();
    }
  };
}
