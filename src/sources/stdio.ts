import type { Readable, Writable } from 'node:stream';
import { EPOLLERR, EPOLLIN, EPOLLOUT, EPOLLRDNORM, EPOLLWRNORM, type ErrnoCode } from '../core/constants.js';
import { PosixError } from '../errors.js';
import { Descriptor } from '../fd/descriptor.js';
import { defaultTable, type DescriptorTable } from '../fd/table.js';
import { toBytes } from './byte-queue.js';
import { ByteReader, queueReads, type ReadQueue } from './read-rules.js';
import { ChunkQueue } from './chunk-queue.js';
import { SendBuffer } from './send-buffer.js';
import { errnoCodeOf } from './system-errors.js';
import { PIPE_READ_KEY as READ_KEY, PIPE_WRITE_KEY as WRITE_KEY, WAKE_ALL } from './wakeup-keys.js';

/** Bytes stdin queues before it pauses, and stdout or stderr hold unwritten, by default. */
export const DEFAULT_STDIO_CAPACITY = 65536;

/** Keeps a stream's late errors from being unhandled once we stopped watching it. */
const ignore = (): void => {};

export interface StdinOptions {
  /** The stream behind fd 0; default process.stdin. */
  stream?: Readable;
  /** Bytes queued before the stream is paused; default 65536. */
  capacity?: number;
  /** The descriptor table; default the process's table. */
  table?: DescriptorTable;
}

export interface StdoutOptions {
  /** The stream behind the fd; default process.stdout (fd 1) or process.stderr (fd 2). */
  stream?: Writable;
  /** Bytes held unwritten before write() returns 0; default 65536. */
  capacity?: number;
  /** The descriptor table; default the process's table. */
  table?: DescriptorTable;
}

/**
 * fd 0 as a non-blocking source, over process.stdin (or another Readable). Nothing is read from
 * the stream before it is made; from then on its chunks are queued, up to `capacity` bytes, and
 * the stream is paused while the queue is full.
 *
 * Level: IN|RDNORM while bytes are queued or the stream has ended (read() then returns EOF), as
 * a terminal shows Ctrl-D; ERR while a stream error is pending (read() throws it once, after the
 * queued bytes). Each chunk is a wakeup; the end and an error wake everyone.
 */
export class StdinReader extends ByteReader {
  readonly kind = 'stdin';
  readonly capacity: number;
  readonly #stream: Readable;
  readonly #queue = new ChunkQueue();
  #ended = false;
  #pendingError: ErrnoCode | null = null;
  #paused = false;
  /** The queue under the shared read rules (read-rules.ts). */
  protected readonly reads: ReadQueue = queueReads(this.#queue, () => this.#drained(), () => this.#afterRead());

  /** Use `stdin()`. */
  constructor(stream: Readable, capacity: number, table: DescriptorTable) {
    super(table, { fd: 0 });
    this.capacity = capacity;
    this.#stream = stream;
    stream.on('data', this.#onData);
    stream.on('end', this.#onEnd);
    stream.on('error', this.#onError);
    if (stream.readableEnded) this.#ended = true;
    else stream.resume();
    this.#publish(0);
  }

  /** Bytes queued and not yet read (FIONREAD). */
  get queued(): number {
    return this.#queue.size;
  }

  /** EBADF: fd 0 is read-only here. */
  override write(_data: Uint8Array | string): number {
    this.openFd('write');
    throw new PosixError('EBADF', 'write on stdin');
  }

  /** Stops reading: the stream is paused and left to others (the process can exit), unread bytes are dropped. */
  protected override onClose(): void {
    const stream = this.#stream;
    stream.off('data', this.#onData);
    stream.off('end', this.#onEnd);
    stream.off('error', this.#onError);
    stream.on('error', ignore);
    stream.pause();
    this.#queue.clear();
  }

  readonly #onData = (chunk: Buffer | string): void => {
    this.#queue.push(typeof chunk === 'string' ? toBytes(chunk) : chunk);
    if (!this.#paused && this.#queue.size >= this.capacity) {
      this.#paused = true;
      this.#stream.pause();
    }
    this.#publish(READ_KEY);
  };

  readonly #onEnd = (): void => {
    this.#ended = true;
    this.#publish(WAKE_ALL);
  };

  readonly #onError = (error: Error): void => {
    this.#pendingError = errnoCodeOf(error);
    this.#ended = true;
    this.#publish(WAKE_ALL);
  };

  /** The queue is empty: a pending error (once), then EOF if the stream ended; else would block. */
  #drained(): boolean {
    const error = this.#pendingError;
    if (error !== null) {
      this.#pendingError = null;
      this.#publish(0);
      throw new PosixError(error, 'stdin failed');
    }
    return this.#ended;
  }

  #afterRead(): void {
    if (this.#paused && this.#queue.size < this.capacity) {
      this.#paused = false;
      this.#stream.resume();
    }
    if (this.#queue.size === 0) this.#publish(0);
  }

  #publish(key: number): void {
    let level = this.#pendingError !== null ? EPOLLERR : 0;
    if (this.#queue.size > 0 || this.#ended) level |= EPOLLIN | EPOLLRDNORM;
    if (key === 0) this.setReadiness(level, 0);
    else this.setReadinessFromIo(level, key === WAKE_ALL ? level : key); // wakeups come from stream callbacks
  }
}

/**
 * fd 1 or 2 as a non-blocking source, over process.stdout or process.stderr (or another
 * Writable). write() copies what fits in `capacity` bytes and hands it to the stream; those bytes
 * count until the stream reports them written, so a reader that stops reading (a full pipe) makes
 * write() return 0.
 *
 * Level: OUT|WRNORM while fewer than `capacity` bytes are unwritten; ERR for good once the
 * stream failed (EPIPE: the reader went away), and OUT too, so that a writer wakes up and
 * write() throws the error, as on a pipe whose reader is closed. Wakeups: the unwritten bytes
 * falling to half the capacity after the buffer was full, and the failure.
 */
export class StdioWriter extends Descriptor {
  readonly kind: 'stdout' | 'stderr';
  readonly capacity: number;
  readonly #stream: Writable;
  readonly #sendBuffer: SendBuffer;
  #error: ErrnoCode | null = null;

  /** Use `stdout()` or `stderr()`. */
  constructor(stream: Writable, fd: 1 | 2, capacity: number, table: DescriptorTable) {
    super(table, { fd });
    this.kind = fd === 1 ? 'stdout' : 'stderr';
    this.capacity = capacity;
    this.#stream = stream;
    this.#sendBuffer = new SendBuffer(stream, capacity, () => {
      if (!this.closed) this.#publish(WRITE_KEY);
    });
    stream.on('error', this.#onError);
    if (stream.destroyed || stream.writableEnded) this.#error = 'EPIPE';
    this.#publish(0);
  }

  /**
   * Writes what fits: all of data, part of it, or 0 when `capacity` bytes are unwritten (would
   * block). Strings are written as UTF-8. Throws the stream's error (EPIPE...) once it failed.
   */
  override write(data: Uint8Array | string): number {
    this.openFd('write');
    const bytes = toBytes(data);
    if (this.#error !== null) throw new PosixError(this.#error, `write on ${this.kind}`);
    if (bytes.length === 0) return 0;
    const buffer = this.#sendBuffer;
    const room = buffer.room();
    if (room === 0) return 0;
    const n = Math.min(bytes.length, room);
    // The stream keeps what it is given until written: give it bytes of our own.
    this.#stream.write(typeof data === 'string' && n === bytes.length ? bytes : copyOf(bytes, n), buffer.written);
    if (buffer.filledUp()) this.#publish(0); // OUT is gone
    return n;
  }

  /** EBADF: the fd is write-only here. */
  override read(_n: number): Uint8Array | null {
    this.openFd('read');
    throw new PosixError('EBADF', `read on ${this.kind}`);
  }

  /** Stops watching the stream; what was written is still flushed (the stream is not ended). */
  protected override onClose(): void {
    this.#stream.off('error', this.#onError);
    this.#stream.on('error', ignore);
  }

  readonly #onError = (error: Error): void => {
    if (this.#error !== null) return;
    this.#error = errnoCodeOf(error);
    this.#publish(WAKE_ALL);
  };

  #publish(key: number): void {
    let level = 0;
    if (this.#error !== null) level = EPOLLERR | EPOLLOUT | EPOLLWRNORM;
    else if (this.#sendBuffer.hasRoom) level = EPOLLOUT | EPOLLWRNORM;
    if (key === 0) this.setReadiness(level, 0);
    else this.setReadinessFromIo(level, key === WAKE_ALL ? level : key); // wakeups come from stream callbacks
  }
}

/**
 * fd 0 as a source (see StdinReader): the open one if there is, else a new one over
 * `options.stream` (default process.stdin). EEXIST if fd 0 is open and options ask for another
 * stream or capacity; EINVAL for a bad capacity.
 */
export function stdin(options: StdinOptions = {}): StdinReader {
  const table = options.table ?? defaultTable;
  const open = table.get(0);
  if (open instanceof StdinReader && options.stream === undefined && options.capacity === undefined) return open;
  return new StdinReader(options.stream ?? process.stdin, capacityOf(options.capacity), table);
}

/** fd 1 as a source (see StdioWriter), over `options.stream` (default process.stdout); as stdin() otherwise. */
export function stdout(options: StdoutOptions = {}): StdioWriter {
  return writer(1, options, process.stdout);
}

/** fd 2 as a source (see StdioWriter), over `options.stream` (default process.stderr); as stdin() otherwise. */
export function stderr(options: StdoutOptions = {}): StdioWriter {
  return writer(2, options, process.stderr);
}

function writer(fd: 1 | 2, options: StdoutOptions, fallback: Writable): StdioWriter {
  const table = options.table ?? defaultTable;
  const open = table.get(fd);
  if (open instanceof StdioWriter && options.stream === undefined && options.capacity === undefined) return open;
  return new StdioWriter(options.stream ?? fallback, fd, capacityOf(options.capacity), table);
}

function capacityOf(capacity: number | undefined): number {
  if (capacity === undefined) return DEFAULT_STDIO_CAPACITY;
  if (!Number.isSafeInteger(capacity) || capacity <= 0) {
    throw new PosixError('EINVAL', `capacity must be a positive integer, got ${String(capacity)}`);
  }
  return capacity;
}

/** The first n bytes of `bytes`, copied (Buffer's slice would be a view). */
function copyOf(bytes: Uint8Array, n: number): Uint8Array {
  const copy = new Uint8Array(n);
  copy.set(n === bytes.length ? bytes : bytes.subarray(0, n));
  return copy;
}
