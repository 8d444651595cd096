/**
 * The main thread's side of the guest's stdio (docs/wasi.md, "Stdio"): where its stdout and
 * stderr bytes go, and where its stdin comes from. The guest posts each fd_write to 1 or 2 as one
 * 'write' message; messages arrive in order, and each target writes in order, so the output is
 * the guest's, byte for byte. `flushed()` resolves once every byte has been handed on: runWasi
 * waits for it before it settles.
 */
import { fstatSync, read as fsRead, write as fsWrite } from 'node:fs';
import { Readable } from 'node:stream';
import { PosixError } from '../errors.js';
import { EIO, EPIPE, wasiErrno } from './errno.js';
import { OUT_ERROR_1, OUT_ERROR_2, OUT_WANT, outInflight, type SharedState } from './shared-state.js';
import { WRITE_COST } from './syscalls/stdio.js';

/** Where the guest's stdout or stderr goes: a host fd, a Writable, or a callback per chunk. */
export type OutputTarget = number | NodeJS.WritableStream | ((chunk: Uint8Array) => void);

/** Where the guest's stdin comes from: a host fd, all of its bytes, or a Readable. */
export type InputSource = number | string | Uint8Array | NodeJS.ReadableStream;

/** WASI filetypes reported for fds 0, 1 and 2. */
const FILETYPE_UNKNOWN = 0;
const FILETYPE_CHARACTER_DEVICE = 2;
const FILETYPE_REGULAR_FILE = 4;

/** A terminal is a CHARACTER_DEVICE (wasi-libc's isatty), a file a REGULAR_FILE; pipes and the rest UNKNOWN. */
function fdFiletype(fd: number): number {
  try {
    const stat = fstatSync(fd);
    if (stat.isCharacterDevice()) return FILETYPE_CHARACTER_DEVICE;
    if (stat.isFile()) return FILETYPE_REGULAR_FILE;
  } catch {
    // Not open, or the runtime cannot stat it: nothing to say about it.
  }
  return FILETYPE_UNKNOWN;
}

function isTty(stream: unknown): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}

function isWritable(value: unknown): value is NodeJS.WritableStream {
  return typeof value === 'object' && value !== null && typeof (value as NodeJS.WritableStream).write === 'function';
}

function isReadable(value: unknown): value is NodeJS.ReadableStream {
  const r = value as NodeJS.ReadableStream;
  return typeof value === 'object' && value !== null && typeof r.on === 'function' && typeof r.pause === 'function' && typeof r.resume === 'function';
}

function isFd(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0x7fffffff;
}

/** Output writes to one host fd, in order, one at a time (shared by stdout and stderr on the same fd). */
class FdWriter {
  readonly #queue: Array<{ bytes: Uint8Array; done: (error: NodeJS.ErrnoException | null) => void }> = [];
  #busy = false;

  constructor(readonly fd: number) {}

  write(bytes: Uint8Array, done: (error: NodeJS.ErrnoException | null) => void): void {
    this.#queue.push({ bytes, done });
    if (!this.#busy) this.#next();
  }

  #next(): void {
    const head = this.#queue[0];
    if (head === undefined) {
      this.#busy = false;
      return;
    }
    this.#busy = true;
    fsWrite(this.fd, head.bytes, 0, head.bytes.length, null, (error, n) => {
      if (error && error.code === 'EAGAIN') {
        // A non-blocking pipe that is full: try again shortly (only while it stays full).
        setTimeout(() => this.#next(), 1);
        return;
      }
      if (!error && n < head.bytes.length) {
        head.bytes = head.bytes.subarray(n);
        this.#next();
        return;
      }
      this.#queue.shift();
      head.done(error);
      this.#next();
    });
  }
}

type Sink = (bytes: Uint8Array, done: (error: unknown) => void) => void;

/** The errno a failed write gives the guest: EPIPE when the reader or the stream is gone. */
function outputErrno(error: unknown): number {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('ERR_STREAM_')) return EPIPE; // destroyed, ended
  return wasiErrno(typeof code === 'string' ? code : undefined);
}

/**
 * The guest's stdout and stderr on the main thread. `onFatal` is called when a callback target
 * throws: the run then ends with that error (a target's own write errors are EPIPE/EIO to the
 * guest instead, as a closed pipe is to a process).
 */
export class OutputSinks {
  readonly #state: SharedState;
  readonly #sinks: Record<1 | 2, Sink>;
  readonly #filetypes: Record<1 | 2, number>;
  /** The Writables written to, each with the 'error' listener we hold on it during the run. */
  readonly #streams = new Map<NodeJS.WritableStream, () => void>();
  #pending = 0;
  #idle: Array<() => void> = [];
  #onFatal: (error: unknown) => void = () => {};

  constructor(state: SharedState, stdout: OutputTarget | undefined, stderr: OutputTarget | undefined) {
    this.#state = state;
    const writers = new Map<number, FdWriter>();
    const make = (target: OutputTarget | undefined, stream: 1 | 2): [Sink, number] => {
      // The process's own fds 1 and 2 go through process.stdout/stderr: Node may have made them
      // non-blocking, and the streams keep the order of everything else the program writes.
      if (target === undefined) target = stream;
      if (target === 1 || target === 2) {
        const own = target === 1 ? process.stdout : process.stderr;
        return [this.#streamSink(own), isTty(own) ? FILETYPE_CHARACTER_DEVICE : fdFiletype(target)];
      }
      if (isFd(target)) {
        let writer = writers.get(target);
        if (writer === undefined) writers.set(target, (writer = new FdWriter(target)));
        const w = writer;
        return [(bytes, done) => w.write(bytes, done), fdFiletype(target)];
      }
      if (typeof target === 'function') {
        const callback = target;
        return [(bytes, done) => {
          try {
            callback(bytes);
          } catch (error) {
            this.#onFatal(error);
          }
          done(null);
        }, FILETYPE_UNKNOWN];
      }
      if (isWritable(target)) return [this.#streamSink(target), isTty(target) ? FILETYPE_CHARACTER_DEVICE : FILETYPE_UNKNOWN];
      throw new PosixError('EINVAL', `${stream === 1 ? 'stdout' : 'stderr'} must be an fd, a Writable or a function, got ${String(target)}`);
    };
    const [out, outType] = make(stdout, 1);
    const [err, errType] = make(stderr, 2);
    this.#sinks = { 1: out, 2: err };
    this.#filetypes = { 1: outType, 2: errType };
  }

  /** A Writable's sink; its 'error' events are taken while the run lasts (they reach the guest as errnos). */
  #streamSink(stream: NodeJS.WritableStream): Sink {
    if (!this.#streams.has(stream)) {
      // Without a listener a stream's 'error' (EPIPE: the reader went away) would be thrown;
      // the write's callback gets the same error and gives the guest its errno.
      const onError = (): void => {};
      stream.on('error', onError);
      this.#streams.set(stream, onError);
    }
    return (bytes, done) => {
      const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
      try {
        stream.write(chunk, (error?: Error | null) => done(error ?? null));
      } catch (error) {
        done(error);
      }
    };
  }

  filetype(stream: 1 | 2): number {
    return this.#filetypes[stream];
  }

  set onFatal(fn: (error: unknown) => void) {
    this.#onFatal = fn;
  }

  /** A 'write' message: hands the bytes on; the guest's credit comes back once they are written. */
  write(stream: 1 | 2, bytes: Uint8Array): void {
    const state = this.#state;
    const errorWord = stream === 1 ? OUT_ERROR_1 : OUT_ERROR_2;
    const n = bytes.length;
    this.#pending++;
    let settled = false;
    const done = (error: unknown): void => {
      if (settled) return; // a Writable may call back twice (an error after a failed write)
      settled = true;
      if (error) Atomics.compareExchange(state.i32, errorWord, 0, outputErrno(error) || EIO);
      Atomics.sub(state.i32, outInflight(stream), n + WRITE_COST);
      // Wake a guest that waits for room (it set OUT_WANT before it slept), or for an error.
      if (Atomics.exchange(state.i32, OUT_WANT, 0) === 1 || error) state.wake();
      if (--this.#pending === 0) for (const resolve of this.#idle.splice(0)) resolve();
    };
    if (Atomics.load(state.i32, errorWord) !== 0) {
      done(null); // the target failed before: these bytes have nowhere to go
      return;
    }
    this.#sinks[stream](bytes, done);
  }

  /** Resolves once every byte posted so far has been written (or has failed). */
  flushed(): Promise<void> {
    return this.#pending === 0 ? Promise.resolve() : new Promise((resolve) => this.#idle.push(resolve));
  }

  /** The run is over: stop taking the targets' error events. */
  close(): void {
    for (const [stream, onError] of this.#streams) stream.removeListener('error', onError);
    this.#streams.clear();
  }
}

/** The guest's stdin as the SocketHost mirrors it: a stream to read, or all of its bytes at once. */
export interface StdinSource {
  /** The stream, made when the guest first reads or polls fd 0. */
  open?: () => NodeJS.ReadableStream;
  bytes?: Buffer;
  /** We made the stream (from an fd): destroy it at the end instead of leaving it paused. */
  own?: boolean;
  filetype: number;
}

/**
 * A Readable over a host fd that never closes it (fs.createReadStream's destroy() would): reads
 * at the fd's current position, retrying shortly on EAGAIN (a non-blocking pipe with no data).
 */
function fdReader(fd: number): Readable {
  const reader: Readable = new Readable({
    read(size) {
      const buf = Buffer.allocUnsafe(Math.max(size, 65536));
      const attempt = (): void => {
        fsRead(fd, buf, 0, buf.length, null, (error, n) => {
          if (reader.destroyed) return;
          if (error?.code === 'EAGAIN') setTimeout(attempt, 1);
          else if (error) reader.destroy(error);
          else reader.push(n > 0 ? buf.subarray(0, n) : null);
        });
      };
      attempt();
    },
  });
  return reader;
}

/** Normalises runWasi's `stdin` option. Nothing is read until the guest reads or polls fd 0. */
export function stdinSource(source: InputSource | undefined): StdinSource {
  if (source === undefined || source === 0) {
    return { open: () => process.stdin, filetype: isTty(process.stdin) ? FILETYPE_CHARACTER_DEVICE : fdFiletype(0) };
  }
  if (typeof source === 'string') return { bytes: Buffer.from(source, 'utf8'), filetype: FILETYPE_UNKNOWN };
  if (source instanceof Uint8Array) return { bytes: Buffer.from(source), filetype: FILETYPE_UNKNOWN };
  if (isFd(source)) {
    const fd = source;
    return { open: () => fdReader(fd), own: true, filetype: fdFiletype(fd) };
  }
  if (isReadable(source)) return { open: () => source, filetype: isTty(source) ? FILETYPE_CHARACTER_DEVICE : FILETYPE_UNKNOWN };
  throw new PosixError('EINVAL', `stdin must be an fd, a string, a Uint8Array or a Readable, got ${String(source)}`);
}
