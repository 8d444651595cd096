import { EBADF, EINVAL, SUCCESS, WasiErrno } from '../errno.js';
import { nodeFdOpen, type GuestContext, type SocketFd } from '../guest-context.js';
import { F_RX_DONE, F_TX_DONE, S_ERROR, S_FLAGS, S_PENDING } from '../shared-state.js';

/** eventtype */
const EVENTTYPE_CLOCK = 0;
const EVENTTYPE_FD_READ = 1;
const EVENTTYPE_FD_WRITE = 2;
/** clockid */
const CLOCK_REALTIME = 0;
const CLOCK_MONOTONIC = 1;
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

const monotonicNs = (): bigint => process.hrtime.bigint();
const realtimeNs = (): bigint => BigInt(Date.now()) * 1_000_000n;

/**
 * poll_oneoff(in, out, nsubscriptions, nevents). Checks every fd subscription against the
 * mirrored levels in shared memory; if none is ready and no clock has expired, sleeps on the wake
 * counter until the main thread bumps it or the earliest clock deadline passes. Errors are per
 * subscription (an event with `error` set); the call itself fails only for zero subscriptions
 * (EINVAL) and bad pointers (EFAULT).
 */
export function pollOneoff(ctx: GuestContext, inPtr: number, outPtr: number, nsubs: number, neventsPtr: number): number {
  const mem = ctx.memory;
  nsubs >>>= 0;
  if (nsubs === 0) throw new WasiErrno(EINVAL);
  mem.check(inPtr, nsubs * SUBSCRIPTION_SIZE);
  mem.check(outPtr, nsubs * EVENT_SIZE);
  mem.check(neventsPtr, 4);
  const now = monotonicNs();
  const subs: Sub[] = [];
  let deadline = -1n;
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
        sub.deadline = absolute ? now + (timeout - realtimeNs()) : now + timeout;
      } else {
        sub.error = EINVAL; // the CPU-time clocks cannot be waited for
      }
      if (sub.error === SUCCESS && (deadline < 0n || sub.deadline < deadline)) deadline = sub.deadline;
    } else if (sub.type === EVENTTYPE_FD_READ || sub.type === EVENTTYPE_FD_WRITE) {
      sub.fd = mem.u32(at + 16);
    } else {
      sub.error = EINVAL;
    }
    subs.push(sub);
  }
  for (;;) {
    const seen = ctx.wakeCount();
    const time = monotonicNs();
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
    const remainingMs = deadline < 0n ? Infinity : Number(deadline - time) / 1e6;
    ctx.sleep(seen, Math.max(0, remainingMs));
  }
}

/**
 * Stdin is readable when the host's stdin has data or EOF: its bytes go through a ring that the
 * main thread fills, started the first time the guest polls fd 0 for reading (undefined: fd 0 is
 * closed, or the host's stdin cannot be mirrored; node:wasi's answer then stands).
 */
function stdinRing(ctx: GuestContext): SocketFd | undefined {
  return ctx.stdinIfMirrored() ?? (nodeFdOpen(ctx, 0) ? ctx.mirroredStdin() ?? undefined : undefined);
}

/** One fd subscription's state now: null if not ready. */
function fdReadiness(ctx: GuestContext, fd: number, read: boolean): Ready | null {
  const socket = ctx.socket(fd) ?? (fd === 0 && read ? stdinRing(ctx) : undefined);
  if (socket === undefined) {
    // node:wasi's other fds (stdout, stderr, files): reported ready, as regular files always are;
    // a write to a full pipe or terminal may then block the guest (docs/wasi.md).
    return { error: nodeFdOpen(ctx, fd) ? SUCCESS : EBADF, nbytes: 0, flags: 0 };
  }
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
