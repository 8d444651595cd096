// Epoll instances: epoll_ctl with Linux's validation order, epoll_wait with its batch and
// round-robin, nesting limits, and teardown on close (docs/core-abi.md).
import {
  CTL_ADD, CTL_DEL, CTL_MOD, DISARMED, EBADF, EEXIST, EINVAL, ELOOP, ENOENT, ENOMEM, ERR, ET,
  EVENT_BITS, EXCLUSIVE, EXCLUSIVE_OK, HUP, MAX_NESTS, ONESHOT,
} from './constants';
import { reserveScratch, scratchCap, scratchPtr } from './regions';
import {
  INTEREST_HEAD, INTEREST_LINKS, descWatchers, epHead, epNext, fdNext, itemEvents, itemFd, itemInst,
  listAppend, listUnlink, memoDepth, nested, rdHead, rdNext, rdPrev, setDescWatchers, setFdNext,
  setItemEvents, setMemoDepth, setNested, setRdHead, setRdNext, setRdPrev, setStamp, slabAt, stamp,
} from './records';
import {
  allocRecord, deliver, enqueue, forgetNotify, freeRecord, instOf, isEpoll, isOpen, isQueued,
  itemRevents, unqueue,
} from './readiness';

/** A new, empty instance header for the epoll fd, or 0 when memory is exhausted. */
export function createInstance(fd: i32): i32 {
  const e = allocRecord();
  if (e != 0) store<i32>(slabAt(e), fd, 0);
  return e;
}

/** The item of instance e that watches fd, or 0. */
function findItem(e: i32, fd: i32): i32 {
  let i = descWatchers(fd);
  while (i != 0 && itemInst(i) != e) i = fdNext(i);
  return i;
}

/** Unlinks item i from fd's watcher list. */
function unlinkWatcher(i: i32): void {
  const fd = itemFd(i);
  let prev = 0;
  let w = descWatchers(fd);
  while (w != i) {
    prev = w;
    w = fdNext(w);
  }
  if (prev == 0) setDescWatchers(fd, fdNext(i));
  else setFdNext(prev, fdNext(i));
}

/** Removes item i entirely: ready list, interest list, and (unless told not to) fd's watchers. */
function removeItem(i: i32, fromWatchers: bool): void {
  const e = itemInst(i);
  if (isQueued(i)) unqueue(e, i);
  listUnlink(e, INTEREST_HEAD, i, INTEREST_LINKS);
  if (fromWatchers) unlinkWatcher(i);
  if (isEpoll(itemFd(i))) setNested(e, nested(e) - 1);
  freeRecord(i);
}

/** Every item watching fd leaves its instance (the fd is closing). */
export function dropWatchers(fd: i32): void {
  let i = descWatchers(fd);
  setDescWatchers(fd, 0);
  while (i != 0) {
    const next = fdNext(i);
    removeItem(i, false);
    i = next;
  }
}

/** Tears down instance e: its items leave their fds' watcher lists; the header is freed. */
export function destroyInstance(e: i32): void {
  forgetNotify(e);
  let i = epHead(e);
  while (i != 0) {
    const next = epNext(i);
    unlinkWatcher(i);
    freeRecord(i);
    i = next;
  }
  freeRecord(e);
}

// ---- Loop check (Linux's ep_loop_check): cycles and chains longer than MAX_NESTS edges. ----
let visit: i32 = 0;

/** Longest chain of nesting edges below instance x, or -1 if `target` is reachable (a loop). */
function depthBelow(x: i32, target: i32): i32 {
  if (x == target) return -1;
  if (stamp(x) == visit) return memoDepth(x);
  let depth = 0;
  if (nested(x) > 0) {
    let i = epHead(x);
    while (i != 0) {
      const fd = itemFd(i);
      if (isEpoll(fd)) {
        const below = depthBelow(instOf(fd), target);
        if (below < 0) return -1;
        if (below + 1 > depth) depth = below + 1;
      }
      i = epNext(i);
    }
  }
  setStamp(x, visit);
  setMemoDepth(x, depth);
  return depth;
}

/** Longest chain of instances watching instance x, directly or through others. */
function depthAbove(x: i32): i32 {
  if (stamp(x) == visit) return memoDepth(x);
  let depth = 0;
  let i = descWatchers(load<i32>(slabAt(x), 0));
  while (i != 0) {
    const above = depthAbove(itemInst(i)) + 1;
    if (above > depth) depth = above;
    i = fdNext(i);
  }
  setStamp(x, visit);
  setMemoDepth(x, depth);
  return depth;
}

/** True when adding instance `to` into instance `into` makes a loop or too deep a nest. */
function wouldLoop(into: i32, to: i32): bool {
  visit++;
  const below = depthBelow(to, into);
  if (below < 0 || below > MAX_NESTS) return true;
  visit++;
  return below + 1 + depthAbove(into) > MAX_NESTS;
}

// ---- epoll_ctl ----

export function ctl(epfd: i32, op: i32, fd: i32, events: u32): i32 {
  if (!isOpen(epfd) || !isOpen(fd)) return -EBADF;
  if (fd == epfd || !isEpoll(epfd)) return -EINVAL;
  const targetIsEpoll = isEpoll(fd);
  if (op != CTL_DEL && (events & EXCLUSIVE) != 0) {
    if (op == CTL_MOD) return -EINVAL;
    if (op == CTL_ADD && (targetIsEpoll || (events & ~EXCLUSIVE_OK) != 0)) return -EINVAL;
  }
  const e = instOf(epfd);
  if (op == CTL_ADD && targetIsEpoll && wouldLoop(e, instOf(fd))) return -ELOOP;
  const item = findItem(e, fd);
  const stored = (events & EVENT_BITS) | ERR | HUP;
  if (op == CTL_ADD) {
    if (item != 0) return -EEXIST;
    return add(e, fd, stored, targetIsEpoll);
  }
  if (op == CTL_MOD) {
    if (item == 0) return -ENOENT;
    if (itemEvents(item) & EXCLUSIVE) return -EINVAL;
    setItemEvents(item, stored);
    if (itemRevents(item) != 0) deliver(item);
    return 0;
  }
  if (op == CTL_DEL) {
    if (item == 0) return -ENOENT;
    removeItem(item, true);
    return 0;
  }
  return -EINVAL;
}

function add(e: i32, fd: i32, events: u32, targetIsEpoll: bool): i32 {
  const i = allocRecord();
  if (i == 0) return -ENOMEM;
  const p = slabAt(i);
  store<i32>(p, fd, 0);
  store<i32>(p, e, 4);
  store<u32>(p, events, 8);
  // Append to fd's watchers (attachment order decides EXCLUSIVE ties).
  let w = descWatchers(fd);
  if (w == 0) {
    setDescWatchers(fd, i);
  } else {
    while (fdNext(w) != 0) w = fdNext(w);
    setFdNext(w, i);
  }
  listAppend(e, INTEREST_HEAD, i, INTEREST_LINKS);
  if (targetIsEpoll) setNested(e, nested(e) + 1);
  if (itemRevents(i) != 0) deliver(i);
  return 0;
}

// ---- epoll_wait ----

/**
 * Detaches the ready list as a batch and reports from its head; LT items go back to the tail of
 * the (new) ready list, and what the batch did not reach goes back in front, in order: so waits
 * with a small maxevents go round-robin. Events are written at the scratch area, which grows to fit.
 */
export function wait(e: i32, maxevents: i32): i32 {
  let batch = rdHead(e);
  setRdHead(e, 0);
  let n = 0;
  while (batch != 0 && n < maxevents) {
    const at = <usize>n << 3;
    // Make room for the event before taking the item, so that no event is ever lost.
    if (at + 8 > scratchCap && !reserveScratch(at + 8)) break;
    const i = batch;
    batch = rdNext(i);
    if (batch != 0) setRdPrev(batch, rdPrev(i));
    setRdPrev(i, 0);
    setRdNext(i, 0);
    const revents = itemRevents(i);
    if (revents == 0) continue;
    store<i32>(scratchPtr + at, itemFd(i), 0);
    store<u32>(scratchPtr + at, revents, 4);
    n++;
    const events = itemEvents(i);
    if (events & ONESHOT) setItemEvents(i, events | DISARMED);
    else if ((events & ET) == 0) enqueue(e, i);
  }
  if (batch != 0) {
    putBack(e, batch);
    if (n == 0 && maxevents > 0) return -ENOMEM;
  }
  return n;
}

/** Splices the unreached rest of a batch (head's rdPrev is its tail) in front of the ready list. */
function putBack(e: i32, batch: i32): void {
  const head = rdHead(e);
  if (head != 0) {
    const batchTail = rdPrev(batch);
    const tail = rdPrev(head);
    setRdNext(batchTail, head);
    setRdPrev(head, batchTail);
    setRdPrev(batch, tail);
  }
  setRdHead(e, batch);
}

// ---- Inspection ----

/** Writes the interest list as { fd, events, state } records; returns the count or -ENOMEM. */
export function writeInterest(e: i32): i32 {
  let n = 0;
  let i = epHead(e);
  while (i != 0) {
    if (!reserveScratch(<usize>(n + 1) * 12)) return -ENOMEM;
    const p = scratchPtr + <usize>n * 12;
    const events = itemEvents(i);
    store<i32>(p, itemFd(i), 0);
    store<u32>(p, events & ~DISARMED, 4);
    store<i32>(p, ((events & DISARMED) == 0 ? 1 : 0) | (isQueued(i) ? 2 : 0), 8);
    n++;
    i = epNext(i);
  }
  return n;
}

/** Writes the ready list's fds in queue order; returns the count or -ENOMEM. */
export function writeReady(e: i32): i32 {
  let n = 0;
  let i = rdHead(e);
  while (i != 0) {
    if (!reserveScratch(<usize>(n + 1) << 2)) return -ENOMEM;
    store<i32>(scratchPtr + (<usize>n << 2), itemFd(i));
    n++;
    i = rdNext(i);
  }
  return n;
}

