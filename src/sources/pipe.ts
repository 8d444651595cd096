import { EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDNORM, EPOLLWRNORM } from '../core/constants.js';
import { PosixError } from '../errors.js';
import { Descriptor, openPair } from '../fd/descriptor.js';
import { defaultTable, type DescriptorTable } from '../fd/table.js';
import { ByteQueue, toBytes } from './byte-queue.js';
import { ByteReader, queueReads, type ReadQueue } from './read-rules.js';
import { PIPE_READ_KEY as READ_KEY, PIPE_WRITE_KEY as WRITE_KEY, WAKE_ALL } from './wakeup-keys.js';

/** POSIX PIPE_BUF (Linux: 4096): writes of at most this many bytes are atomic. */
export const PIPE_BUF = 4096;
/** Linux's default pipe size (16 pages). */
export const DEFAULT_PIPE_CAPACITY = 65536;

export interface PipeOptions {
  /** Bytes the pipe buffers; default 65536. At least PIPE_BUF (Linux's minimum is one page). */
  capacity?: number;
  /** The descriptor table the two ends are numbered in; default the process's table. */
  table?: DescriptorTable;
}

/** What the two ends share: the buffer, which ends are open, and how to publish each end's level. */
class PipeBuffer {
  readonly queue: ByteQueue;
  readerOpen = true;
  writerOpen = true;
  /** Set by each end: recomputes and publishes its level, with a wakeup key (WAKE_ALL: the level). */
  publishReader: (key: number) => void = () => {};
  publishWriter: (key: number) => void = () => {};

  constructor(capacity: number) {
    this.queue = new ByteQueue(capacity);
  }

  /** Linux's pipe_poll for the read end. */
  readerLevel(): number {
    let level = 0;
    if (this.queue.size > 0) level |= EPOLLIN | EPOLLRDNORM;
    // No writer: HUP, without IN when empty (read() then returns EOF; select() counts HUP as readable).
    if (!this.writerOpen) level |= EPOLLHUP;
    return level;
  }

  /** Linux's pipe_poll for the write end. */
  writerLevel(): number {
    let level = 0;
    // Linux is writable while a page slot is free; in bytes: room for one atomic PIPE_BUF write.
    if (this.queue.free >= PIPE_BUF) level |= EPOLLOUT | EPOLLWRNORM;
    if (!this.readerOpen) level |= EPOLLERR;
    return level;
  }
}

/**
 * The read end of a pipe. read() returns bytes, null if the pipe is empty (would block), or an
 * empty array at EOF (empty and the writer closed). Level: IN|RDNORM while bytes are buffered,
 * HUP once the writer is closed. Writing to it is EBADF, as on Linux (the fd is O_RDONLY).
 */
export class PipeReader extends ByteReader {
  readonly kind = 'pipe-reader';
  readonly #pipe: PipeBuffer;
  /** The pipe's buffer under the shared read rules (read-rules.ts): EOF once the writer is closed. */
  protected readonly reads: ReadQueue;

  /** Use `pipe()`. */
  constructor(buffer: PipeBuffer, table: DescriptorTable) {
    super(table);
    this.#pipe = buffer;
    this.reads = queueReads(buffer.queue, () => !buffer.writerOpen, (n) => this.#afterRead(n));
    buffer.publishReader = (key) => {
      const level = buffer.readerLevel();
      this.setReadiness(level, key === WAKE_ALL ? level : key);
    };
  }

  /** EBADF: the read end is not open for writing. */
  override write(_data: Uint8Array | string): number {
    this.openFd('write');
    throw new PosixError('EBADF', 'write on the read end of a pipe');
  }

  protected override onClose(): void {
    const pipe = this.#pipe;
    pipe.readerOpen = false;
    // pipe_release wakes the other end with no key: every waiter of the writer sees its ERR.
    if (pipe.writerOpen) pipe.publishWriter(WAKE_ALL);
  }

  /** n bytes were read: updates both levels. */
  #afterRead(n: number): void {
    const pipe = this.#pipe;
    pipe.publishReader(0);
    // pipe_read wakes writers only if the pipe was full when it started: freeing room in a pipe
    // that was already writable is not an edge (unlike a socket).
    const wasWritable = pipe.queue.free - n >= PIPE_BUF;
    if (pipe.writerOpen) pipe.publishWriter(wasWritable ? 0 : WRITE_KEY);
  }
}

/**
 * The write end of a pipe. write() returns the bytes accepted: a write of at most PIPE_BUF
 * (4096) bytes is all-or-nothing (0 when it does not fit entirely), a larger one may be partial.
 * Level: OUT|WRNORM while at least PIPE_BUF bytes are free, so POLLOUT promises that a PIPE_BUF
 * write succeeds; ERR once the reader is closed, and write() then fails with EPIPE. Reading from
 * it is EBADF, as on Linux (the fd is O_WRONLY).
 */
export class PipeWriter extends Descriptor {
  readonly kind = 'pipe-writer';
  readonly #pipe: PipeBuffer;

  /** Use `pipe()`. */
  constructor(buffer: PipeBuffer, table: DescriptorTable) {
    super(table);
    this.#pipe = buffer;
    buffer.publishWriter = (key) => {
      const level = buffer.writerLevel();
      this.setReadiness(level, key === WAKE_ALL ? level : key);
    };
  }

  /** Writes what fits (see the class doc); EPIPE if the reader is closed. */
  override write(data: Uint8Array | string): number {
    this.openFd('write');
    const bytes = toBytes(data);
    const pipe = this.#pipe;
    // pipe_write returns 0 for an empty write before it looks at the readers.
    if (bytes.length === 0) return 0;
    if (!pipe.readerOpen) throw new PosixError('EPIPE', 'write on a pipe whose reader is closed');
    const queue = pipe.queue;
    // POSIX: a write of at most PIPE_BUF bytes is never interleaved, so it goes in whole or not at all.
    if (bytes.length <= PIPE_BUF && queue.free < bytes.length) return 0;
    const n = queue.push(bytes);
    if (n > 0) {
      pipe.publishWriter(0);
      pipe.publishReader(READ_KEY);
    }
    return n;
  }

  /** EBADF: the write end is not open for reading. */
  override read(_n: number): Uint8Array | null {
    this.openFd('read');
    throw new PosixError('EBADF', 'read on the write end of a pipe');
  }

  protected override onClose(): void {
    const pipe = this.#pipe;
    pipe.writerOpen = false;
    // pipe_release wakes the reader with no key: it sees HUP (and reads the rest, then EOF).
    if (pipe.readerOpen) pipe.publishReader(WAKE_ALL);
  }
}

/**
 * pipe2(O_NONBLOCK): [read end, write end], numbered lowest-free (the reader gets the lower
 * number). The buffer holds `capacity` bytes (default 65536, Linux's default pipe size).
 */
export function pipe(options: PipeOptions = {}): [PipeReader, PipeWriter] {
  const capacity = options.capacity ?? DEFAULT_PIPE_CAPACITY;
  // F_SETPIPE_SZ never goes below one page; below PIPE_BUF the writer could never be writable.
  if (!Number.isSafeInteger(capacity) || capacity < PIPE_BUF) {
    throw new PosixError('EINVAL', `pipe capacity must be an integer >= ${PIPE_BUF}, got ${String(capacity)}`);
  }
  const table = options.table ?? defaultTable;
  const buffer = new PipeBuffer(capacity);
  const [reader, writer] = openPair(() => new PipeReader(buffer, table), () => new PipeWriter(buffer, table));
  buffer.publishReader(0);
  buffer.publishWriter(0);
  return [reader, writer];
}
