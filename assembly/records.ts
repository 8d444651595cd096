// Field accessors for the two record kinds. Index 0 of the slab is never used, so 0 means
// "none" in every link field and a zeroed record is an empty one.
import { descPtr, slabPtr, DESC_SIZE, SLAB_SIZE } from './regions';

// ---- Descriptor entry (12 bytes, indexed by fd) ----
//   0  level: a source's readiness, or for an epoll fd the slab index of its instance header
//   4  watchers: first registration watching this fd (singly linked through item.fdNext)
//   8  meta: generation << 2 | IS_EPOLL | OPEN
@inline export const OPEN: u32 = 1;
@inline export const IS_EPOLL: u32 = 2;

@inline export function descAt(fd: i32): usize {
  return descPtr + <usize>fd * DESC_SIZE;
}
@inline export function descLevel(fd: i32): u32 { return load<u32>(descAt(fd), 0); }
@inline export function setDescLevel(fd: i32, v: u32): void { store<u32>(descAt(fd), v, 0); }
@inline export function descWatchers(fd: i32): i32 { return load<i32>(descAt(fd), 4); }
@inline export function setDescWatchers(fd: i32, v: i32): void { store<i32>(descAt(fd), v, 4); }
@inline export function descMeta(fd: i32): u32 { return load<u32>(descAt(fd), 8); }
@inline export function setDescMeta(fd: i32, v: u32): void { store<u32>(descAt(fd), v, 8); }

// ---- Slab record (32 bytes) used as a registration ("item") ----
//   0 fd        the watched descriptor
//   4 inst      slab index of the instance header
//   8 events    interest mask and flags (ERR|HUP always added)
//  12 fdNext    next watcher of the same fd
//  16 epNext    interest list: next item; epPrev: previous (the head's epPrev is the tail)
//  20 epPrev
//  24 rdNext    ready list: next item; rdPrev: previous (head's rdPrev is the tail; 0 = not queued)
//  28 rdPrev
@inline export function slabAt(i: i32): usize {
  return slabPtr + <usize>i * SLAB_SIZE;
}
@inline export function itemFd(i: i32): i32 { return load<i32>(slabAt(i), 0); }
@inline export function itemInst(i: i32): i32 { return load<i32>(slabAt(i), 4); }
@inline export function itemEvents(i: i32): u32 { return load<u32>(slabAt(i), 8); }
@inline export function setItemEvents(i: i32, v: u32): void { store<u32>(slabAt(i), v, 8); }
@inline export function fdNext(i: i32): i32 { return load<i32>(slabAt(i), 12); }
@inline export function setFdNext(i: i32, v: i32): void { store<i32>(slabAt(i), v, 12); }
@inline export function epNext(i: i32): i32 { return load<i32>(slabAt(i), 16); }
@inline export function setEpNext(i: i32, v: i32): void { store<i32>(slabAt(i), v, 16); }
@inline export function epPrev(i: i32): i32 { return load<i32>(slabAt(i), 20); }
@inline export function setEpPrev(i: i32, v: i32): void { store<i32>(slabAt(i), v, 20); }
@inline export function rdNext(i: i32): i32 { return load<i32>(slabAt(i), 24); }
@inline export function setRdNext(i: i32, v: i32): void { store<i32>(slabAt(i), v, 24); }
@inline export function rdPrev(i: i32): i32 { return load<i32>(slabAt(i), 28); }
@inline export function setRdPrev(i: i32, v: i32): void { store<i32>(slabAt(i), v, 28); }

// ---- Slab record used as an epoll instance header ----
//   0 fd          the instance's own descriptor
//   4 rdHead      ready list head (0: empty)
//   8 epHead      interest list head (0: empty)
//  12 nested      how many items watch an epoll fd (skips the loop check walk when 0)
//  16 waiters     callers blocked on the instance, as told by the host
//  20 notifyNext  next instance in the notification list; -1 ends it; 0 = not in the list
//  24 stamp       loop-check visit mark
//  28 depth       loop-check result memoised under `stamp`
@inline export function instFd(e: i32): i32 { return load<i32>(slabAt(e), 0); }
@inline export function rdHead(e: i32): i32 { return load<i32>(slabAt(e), 4); }
@inline export function setRdHead(e: i32, v: i32): void { store<i32>(slabAt(e), v, 4); }
@inline export function epHead(e: i32): i32 { return load<i32>(slabAt(e), 8); }
@inline export function setEpHead(e: i32, v: i32): void { store<i32>(slabAt(e), v, 8); }
@inline export function nested(e: i32): i32 { return load<i32>(slabAt(e), 12); }
@inline export function setNested(e: i32, v: i32): void { store<i32>(slabAt(e), v, 12); }
@inline export function waiters(e: i32): i32 { return load<i32>(slabAt(e), 16); }
@inline export function setWaiters(e: i32, v: i32): void { store<i32>(slabAt(e), v, 16); }
@inline export function notifyNext(e: i32): i32 { return load<i32>(slabAt(e), 20); }
@inline export function setNotifyNext(e: i32, v: i32): void { store<i32>(slabAt(e), v, 20); }
@inline export function stamp(e: i32): i32 { return load<i32>(slabAt(e), 24); }
@inline export function setStamp(e: i32, v: i32): void { store<i32>(slabAt(e), v, 24); }
@inline export function memoDepth(e: i32): i32 { return load<i32>(slabAt(e), 28); }
@inline export function setMemoDepth(e: i32, v: i32): void { store<i32>(slabAt(e), v, 28); }

// ---- The two intrusive lists through items ----
// Both are doubly linked: the head is a field of the instance header, each item holds next and
// then prev in two adjacent fields, the head's prev is the tail, and 0 ends the list. They differ
// only in where those fields are, given below as byte offsets (head in the header, links in the item).
@inline export const INTEREST_HEAD: usize = 8; // epHead
@inline export const INTEREST_LINKS: usize = 16; // epNext, epPrev
@inline export const READY_HEAD: usize = 4; // rdHead
@inline export const READY_LINKS: usize = 24; // rdNext, rdPrev

/** Appends item i at the tail of header e's list. */
@inline export function listAppend(e: i32, head: usize, i: i32, links: usize): void {
  const first = load<i32>(slabAt(e) + head);
  const at = slabAt(i) + links;
  store<i32>(at, 0, 0);
  if (first == 0) {
    store<i32>(slabAt(e) + head, i);
    store<i32>(at, i, 4);
  } else {
    const firstAt = slabAt(first) + links;
    const tail = load<i32>(firstAt, 4);
    store<i32>(slabAt(tail) + links, i, 0);
    store<i32>(at, tail, 4);
    store<i32>(firstAt, i, 4);
  }
}

/** Unlinks item i from header e's list and zeroes its links (for the ready list: not queued). */
@inline export function listUnlink(e: i32, head: usize, i: i32, links: usize): void {
  const first = load<i32>(slabAt(e) + head);
  const at = slabAt(i) + links;
  const next = load<i32>(at, 0);
  const prev = load<i32>(at, 4);
  if (i == first) {
    store<i32>(slabAt(e) + head, next);
    if (next != 0) store<i32>(slabAt(next) + links, prev, 4);
  } else {
    store<i32>(slabAt(prev) + links, next, 0);
    store<i32>(slabAt(next != 0 ? next : first) + links, prev, 4);
  }
  store<i64>(at, 0, 0);
}
