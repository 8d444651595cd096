import { EBADF, EINVAL, SUCCESS, WasiErrno } from '../errno.js';
import type { FileFd, SocketFd, StdioFd } from '../fd-table.js';
import type { GuestContext } from '../guest-context.js';
import { fstat } from '../host-fs.js';
import { F_RX_DONE, F_TX_DONE, S_ERROR, S_FLAGS, S_PENDING } from '../shared-state.js';
import { CLOCK_MONOTONIC, CLOCK_REALTIME } from './clock.js';
import { outputError, outputRoom } from './stdio.js';

/** eventtype */
const EVENTTYPE_CLOCK = 0;
const EVENTTYPE_FD_READ = 1;
const EVENTTYPE_FD_WRITE = 2;
/** subclockflags */
const SUBSCRIPTION_CLOCK_ABSTIME = 1;
/** eventrwflags */
const FD_READWRITE_HANGUP = 1;

const SUBSCRIPTION_SIZE = 48;
const EVENT_SIZE = 32;

interface Sub {
  userdata: bigint;
  type: number;
  fd: number;
  /** Clock subscriptions: the deadline on our monotonic clock, in ns. */
  deadline: bigint;
  /** An error found while reading it (EINVAL for a bad tag or clock): reported at once. */
  error: number;
}

interface Ready {
  error: number;
  nbytes: number;
  flags: number;
}

/**
 * poll_oneoff(in, out, nsubscriptions, nevents). Checks every fd subscription against the
 * mirrored levels in shared memory; if none is ready and no clock has expired, sleeps on the wake
 * counter until the main thread bumps it or the earliest clock deadline passes. Errors are per
 * subscription (an event with `error` set); the call itself fails only for zero subscriptions
 * (EINVAL) and bad pointers (EFAULT).
 *
 * It never waits for the main thread when something is ready, and it cannot hold the main thread
 * up: the guest runs in its own thread and the main thread fills the rings from its own event
 * loop, so bytes for one socket reach the guest's next call whatever another socket keeps
 * reporting (docs/wasi.md, "No starvation"). A clock of any length is slept in steps of at most
 * MAX_WAIT_MS (ctx.sleep), each followed by a look at the deadline: never early, never a spin.
 */
export function pollOneoff(ctx: GuestContext, inPtr: number, outPtr: number, nsubs: number, neventsPtr: number): number {
  const mem = ctx.memory;
  nsubs >>>= 0;
  if (nsubs === 0) throw new WasiErrno(EINVAL);
  mem.check(inPtr, nsubs * SUBSCRIPTION_SIZE);
  mem.check(outPtr, nsubs * EVENT_SIZE);
  mem.check(neventsPtr, 4);
  const now = ctx.monotonicNs();
  const subs: Sub[] = [];
  let deadline: bigint | null = null; // the earliest clock's
  for (let i = 0; i < nsubs; i++) {
    const at = inPtr + i * SUBSCRIPTION_SIZE;
    const sub: Sub = { userdata: mem.u64(at), type: mem.u8(at + 8), fd: 0, deadline: 0n, error: SUCCESS };
    if (sub.type === EVENTTYPE_CLOCK) {
      const id = mem.u32(at + 16);
      const timeout = mem.u64(at + 24);
      const absolute = (mem.u16(at + 40) & SUBSCRIPTION_CLOCK_ABSTIME) !== 0;
      if (id === CLOCK_MONOTONIC) {
        sub.deadline = absolute ? timeout : now + timeout;
      } else if (id === CLOCK_REALTIME) {
        sub.deadline = absolute ? now + (timeout - ctx.realtimeNs()) : now + timeout;
      } else {
        sub.error = EINVAL; // the CPU-time clocks cannot be waited for
      }
      if (sub.error === SUCCESS && (deadline === null || sub.deadline < deadline)) deadline = sub.deadline;
    } else if (sub.type === EVENTTYPE_FD_READ || sub.type === EVENTTYPE_FD_WRITE) {
      sub.fd = mem.u32(at + 16);
    } else {
      sub.error = EINVAL;
    }
    subs.push(sub);
  }
  for (;;) {
    const seen = ctx.wakeCount();
    const time = ctx.monotonicNs();
    let n = 0;
    for (const sub of subs) {
      let ready: Ready | null;
      if (sub.error !== SUCCESS) ready = { error: sub.error, nbytes: 0, flags: 0 };
      else if (sub.type === EVENTTYPE_CLOCK) ready = time >= sub.deadline ? { error: SUCCESS, nbytes: 0, flags: 0 } : null;
      else ready = fdReadiness(ctx, sub.fd, sub.type === EVENTTYPE_FD_READ);
      if (ready === null) continue;
      const ev = outPtr + n * EVENT_SIZE;
      mem.bytes(ev, EVENT_SIZE).fill(0);
      mem.setU64(ev, sub.userdata);
      mem.setU16(ev + 8, ready.error);
      mem.setU8(ev + 10, sub.type);
      mem.setU64(ev + 16, BigInt(ready.nbytes));
      mem.setU16(ev + 24, ready.flags);
      n++;
    }
    if (n > 0) {
      mem.setU32(neventsPtr, n);
      return SUCCESS;
    }
    const remainingMs = deadline === null ? Infinity : Number(deadline - time) / 1e6;
    ctx.sleep(seen, Math.max(0, remainingMs));
  }
}

/**
 * Our stdio fds: stdin is readable when the host's stdin has data or EOF (its ring, mirrored from
 * the first poll or read on); stdout and stderr are writable while the bytes on their way to the
 * main thread are under OUT_LIMIT. The other direction of each is EBADF, as for fd_read/fd_write.
 */
function stdioReadiness(ctx: GuestContext, entry: StdioFd, read: boolean): Ready | null {
  if (read !== (entry.stream === 0)) return { error: EBADF, nbytes: 0, flags: 0 };
  if (entry.stream === 0) {
    const ring = ctx.stdinRing();
    return typeof ring === 'number' ? { error: ring, nbytes: 0, flags: 0 } : socketReadiness(ctx, ring, true);
  }
  const error = outputError(ctx, entry.stream);
  if (error !== 0) return { error, nbytes: 0, flags: 0 };
  const room = outputRoom(ctx, entry.stream);
  return room > 0 ? { error: SUCCESS, nbytes: room, flags: 0 } : null;
}

/** One fd subscription's state now: null if not ready. */
function fdReadiness(ctx: GuestContext, fd: number, read: boolean): Ready | null {
  const entry = ctx.fds.find(fd);
  if (entry === undefined) return { error: EBADF, nbytes: 0, flags: 0 };
  if (entry.kind === 'stdio') return stdioReadiness(ctx, entry, read);
  if (entry.kind === 'socket') return socketReadiness(ctx, entry, read);
  // Files and directories are ready at once, as Linux's poll says of regular files; a device or
  // fifo too (a read or write on it may then block the guest, docs/wasi.md).
  return { error: SUCCESS, nbytes: entry.kind === 'file' && read ? bytesLeft(entry) : 0, flags: 0 };
}

/** What fd_read would read now from a regular file: the bytes after our offset. */
function bytesLeft(entry: FileFd): number {
  if (!entry.seekable) return 0;
  try {
    const left = fstat(entry.hostFd).size - entry.position;
    return left > 0n ? Number(left) : 0;
  } catch {
    return 0;
  }
}

/** A socket's (or the stdin ring's) readiness from its mirrored slot. */
function socketReadiness(ctx: GuestContext, socket: SocketFd, read: boolean): Ready | null {
  const { state } = ctx;
  const slot = socket.slot;
  if (socket.listener) {
    if (!read) return null; // a listening socket is never writable
    const pending = state.load(slot, S_PENDING);
    return pending > 0 ? { error: SUCCESS, nbytes: pending, flags: 0 } : null;
  }
  if (read) {
    const used = state.used(slot, false);
    if (used > 0) return { error: SUCCESS, nbytes: used, flags: 0 };
    const error = state.load(slot, S_ERROR);
    if (error !== 0) return { error, nbytes: 0, flags: 0 };
    if ((state.load(slot, S_FLAGS) & F_RX_DONE) !== 0) return { error: SUCCESS, nbytes: 0, flags: FD_READWRITE_HANGUP };
    return null;
  }
  const error = state.load(slot, S_ERROR);
  if (error !== 0) return { error, nbytes: 0, flags: 0 };
  if ((state.load(slot, S_FLAGS) & F_TX_DONE) !== 0) return { error: SUCCESS, nbytes: 0, flags: FD_READWRITE_HANGUP };
  const free = state.ringBytes - state.used(slot, true);
  return free > 0 ? { error: SUCCESS, nbytes: free, flags: 0 } : null;
}
