// AssemblyScript, not TypeScript: compiled by scripts/build-guests.mjs with asc and the
// @assemblyscript/wasi-shim config, never by tsc (tsconfig.test.json excludes this folder).
//
// What the guests share: the one preview1 call the shim does not declare (sock_accept), the
// byte layouts of `subscription` and `event` as the wasi_snapshot_preview1 witx defines them,
// and small helpers over static memory, so that the poll loops allocate nothing.

import { errno, fd_write, poll_oneoff } from "bindings/wasi_snapshot_preview1";

// The shim's bindings have sock_recv/sock_send/sock_shutdown and poll_oneoff but no
// sock_accept (it came to preview1 late). witx: (param $fd $fd) (param $flags $fdflags)
// (result (expected $fd (error $errno))), lowered to (fd: u32, flags: u16, *newfd) -> errno.
@external("wasi_snapshot_preview1", "sock_accept")
export declare function sock_accept(fd: u32, flags: u16, newFd: usize): u16;

// --- subscription: 48 bytes, align 8 ------------------------------------------------------
// userdata u64 @0; then the union subscription_u: its tag (eventtype, u8) @8 and, aligned to
// the largest member's 8, the contents @16.
//   subscription_clock @16: id (clockid u32) @16, timeout (u64) @24, precision (u64) @32,
//                           flags (subclockflags u16) @40
//   subscription_fd_readwrite @16: file_descriptor (u32) @16
export const SUBSCRIPTION_SIZE: usize = 48;
// --- event: 32 bytes, align 8 -------------------------------------------------------------
// userdata u64 @0, error (errno u16) @8, type (eventtype u8) @10,
// fd_readwrite @16: nbytes (filesize u64) @16, flags (eventrwflags u16) @24
export const EVENT_SIZE: usize = 32;

export const EVENTTYPE_CLOCK: u8 = 0;
export const EVENTTYPE_FD_READ: u8 = 1;
export const EVENTTYPE_FD_WRITE: u8 = 2;
export const CLOCKID_MONOTONIC: u32 = 1;
export const EVENTRWFLAGS_HANGUP: u16 = 1;

/** Fills subscription `i` of the array at `subs` with a wait for `fd` (fd_read or fd_write). */
export function subscribeFd(subs: usize, i: i32, userdata: u64, type: u8, fd: u32): void {
  const s = subs + <usize>i * SUBSCRIPTION_SIZE;
  memory.fill(s, 0, SUBSCRIPTION_SIZE); // hosts may check the unused union bytes: keep them 0
  store<u64>(s, userdata, 0);
  store<u8>(s, type, 8);
  store<u32>(s, fd, 16);
}

/** Fills subscription `i` with a relative MONOTONIC timeout: fires `ns` after the call starts. */
export function subscribeTimeout(subs: usize, i: i32, userdata: u64, ns: u64): void {
  const s = subs + <usize>i * SUBSCRIPTION_SIZE;
  memory.fill(s, 0, SUBSCRIPTION_SIZE);
  store<u64>(s, userdata, 0);
  store<u8>(s, EVENTTYPE_CLOCK, 8);
  store<u32>(s, CLOCKID_MONOTONIC, 16);
  store<u64>(s, ns, 24);
  store<u64>(s, 0, 32); // precision: no coalescing asked for
  store<u16>(s, 0, 40); // flags: not ABSTIME, i.e. relative
}

export function eventUserdata(events: usize, i: i32): u64 {
  return load<u64>(events + <usize>i * EVENT_SIZE, 0);
}
export function eventError(events: usize, i: i32): u16 {
  return load<u16>(events + <usize>i * EVENT_SIZE, 8);
}
export function eventType(events: usize, i: i32): u8 {
  return load<u8>(events + <usize>i * EVENT_SIZE, 10);
}
export function eventFlags(events: usize, i: i32): u16 {
  return load<u16>(events + <usize>i * EVENT_SIZE, 24);
}

// One iovec/ciovec ({ buf: u32, buf_len: u32 }, 8 bytes) and one size_t out-parameter, reused
// by every call: the guests are single-threaded and never nest these calls.
export const iov = memory.data(8);
export const sizeOut = memory.data(4);

/** Points the shared iovec at [ptr, ptr + len). */
export function setIov(ptr: usize, len: usize): usize {
  store<u32>(iov, <u32>ptr, 0);
  store<u32>(iov, <u32>len, 4);
  return iov;
}

/** poll_oneoff over `n` subscriptions; returns the number of events, or traps the errno out. */
export function poll(subs: usize, events: usize, n: i32): i32 {
  const err = poll_oneoff(subs, events, <usize>n, sizeOut);
  if (err != errno.SUCCESS) fail("poll_oneoff", err);
  return <i32>load<u32>(sizeOut);
}

/** Writes all of [ptr, ptr + len) to `fd` with fd_write, however many calls that takes. */
export function writeAll(fd: u32, ptr: usize, len: usize): u16 {
  while (len > 0) {
    const err = fd_write(fd, setIov(ptr, len), 1, sizeOut);
    if (err != errno.SUCCESS) return err;
    const n = <usize>load<u32>(sizeOut);
    ptr += n;
    len -= n;
  }
  return errno.SUCCESS;
}

export function writeString(fd: u32, s: string): void {
  const bytes = String.UTF8.encode(s);
  writeAll(fd, changetype<usize>(bytes), <usize>bytes.byteLength);
}

/** Reports an unexpected errno on stderr and exits with code 2, so a test sees which call failed. */
export function fail(call: string, err: u16): void {
  writeString(2, call + " failed: errno " + err.toString() + "\n");
  process.exit(2);
}
