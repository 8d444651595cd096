/**
 * The guest's fds 0, 1 and 2: ours on every runtime. node:wasi's stdio is not the same everywhere
 * (Bun's ignores the fds it is given, Deno's worker writes nothing to them), so:
 * - stdout/stderr: each fd_write posts its bytes to the main thread, which writes them to the
 *   embedder's target (an fd, a Writable or a callback) in order. OUT_INFLIGHT_1/2 count the bytes
 *   posted and not yet written; a write waits while it is above OUT_LIMIT, so a guest that writes
 *   faster than its reader is held back (bounded memory) as a blocking write(2) would be.
 * - stdin: reads and polls go through an RX ring the main thread fills (see stdin-mirror.ts).
 */
import { EAGAIN, EBADF, WasiErrno } from '../errno.js';
import type { StdioFd } from '../fd-table.js';
import type { GuestContext } from '../guest-context.js';
import { OUT_ERROR_1, OUT_ERROR_2, OUT_WANT, outInflight } from '../shared-state.js';
import { R_FD_FDSTAT_SET_FLAGS, R_FD_FILESTAT_GET, R_FD_READ, R_FD_WRITE, R_POLL_FD_READWRITE } from './fdstat.js';
import { isNonblock, recvStream } from './sock.js';

/** Output bytes that may be on their way to the main thread before writes wait. */
export const OUT_LIMIT = 1 << 20;
/**
 * What each write costs on top of its bytes, so that tiny writes cannot pile up messages without
 * bound either (at most OUT_LIMIT / WRITE_COST of them on their way). The main thread gives back
 * the same.
 */
export const WRITE_COST = 256;

const COMMON_RIGHTS = R_FD_FDSTAT_SET_FLAGS | R_FD_FILESTAT_GET | R_POLL_FD_READWRITE;

/** The errno a failed output target left for `stream` (EPIPE after the reader went away), or 0. */
export function outputError(ctx: GuestContext, stream: 1 | 2): number {
  return Atomics.load(ctx.state.i32, stream === 1 ? OUT_ERROR_1 : OUT_ERROR_2);
}

/** Room for output on `stream` now (0: full; then OUT_WANT is set so that the main thread wakes us). */
export function outputRoom(ctx: GuestContext, stream: 1 | 2): number {
  const i32 = ctx.state.i32;
  const word = outInflight(stream);
  let room = OUT_LIMIT - WRITE_COST - Atomics.load(i32, word);
  if (room > 0) return room;
  Atomics.store(i32, OUT_WANT, 1);
  room = OUT_LIMIT - WRITE_COST - Atomics.load(i32, word); // it may have dropped before WANT was seen
  return room > 0 ? room : 0;
}

/**
 * The entry of fd 0, 1 or 2. No FD_SEEK/FD_TELL: wasi-libc's isatty() is then true exactly for a
 * CHARACTER_DEVICE.
 */
export function stdioEntry(stream: 0 | 1 | 2, filetype: number): StdioFd {
  const rights = COMMON_RIGHTS | (stream === 0 ? R_FD_READ : R_FD_WRITE);
  return { kind: 'stdio', stream, filetype, fdflags: 0, rightsBase: rights, rightsInheriting: 0n };
}

/** fd_write on 1 or 2: the bytes are posted in one message, in order with every other write. */
export function stdioWrite(ctx: GuestContext, entry: StdioFd, bufs: Uint8Array[]): number {
  const { stream } = entry;
  if (stream === 0) throw new WasiErrno(EBADF); // stdin is not open for writing
  const total = bufs.reduce((sum, b) => sum + b.length, 0);
  const i32 = ctx.state.i32;
  const word = outInflight(stream);
  const fits = (inflight: number): boolean => inflight === 0 || inflight + total + WRITE_COST <= OUT_LIMIT;
  let take = total;
  for (;;) {
    const error = outputError(ctx, stream);
    if (error !== 0) throw new WasiErrno(error);
    if (total === 0) return 0;
    const seen = ctx.wakeCount();
    // Nothing on its way: even a write larger than the limit goes out whole.
    if (fits(Atomics.load(i32, word))) break;
    if (isNonblock(entry)) {
      take = Math.min(total, OUT_LIMIT - WRITE_COST - Atomics.load(i32, word));
      if (take > 0) break;
      throw new WasiErrno(EAGAIN);
    }
    Atomics.store(i32, OUT_WANT, 1); // then look again: the main thread may have written meanwhile
    if (fits(Atomics.load(i32, word))) break;
    ctx.sleep(seen);
  }
  const bytes = new Uint8Array(take);
  let at = 0;
  for (const buf of bufs) {
    const n = Math.min(buf.length, take - at);
    bytes.set(buf.subarray(0, n), at);
    at += n;
    if (at === take) break;
  }
  Atomics.add(i32, word, take + WRITE_COST);
  ctx.port.postMessage({ op: 'write', stream, bytes }, [bytes.buffer]);
  return take;
}

/** fd_read on 0: from the stdin ring (blocking unless NONBLOCK). */
export function stdioRead(ctx: GuestContext, entry: StdioFd, bufs: Uint8Array[]): number {
  if (entry.stream !== 0) throw new WasiErrno(EBADF); // stdout/stderr are not open for reading
  const ring = ctx.stdinRing();
  if (typeof ring === 'number') throw new WasiErrno(ring);
  ring.fdflags = entry.fdflags;
  return recvStream(ctx, ring, bufs, 0);
}

/** fd_close on 0, 1 or 2 (the number is free from then on): stdin's mirroring stops. */
export function stdioClose(ctx: GuestContext, entry: StdioFd): void {
  const slot = entry.stream === 0 ? ctx.stdinSlot() : undefined;
  if (slot !== undefined) ctx.request({ op: 'close', slot });
}
