// Levels, wakeups and delivery: how readiness flows from sources into ready lists, and from
// nested instances up to the instances watching them (docs/core-abi.md, "Delivery and wakeups").
import {
  DISARMED, EPOLL_READY, EPOLL_WAKE, EXCLUSIVE, LEVEL_BITS,
} from './constants';
import { reserveSlab } from './regions';
import {
  IS_EPOLL, OPEN, READY_HEAD, READY_LINKS, descLevel, descMeta, descWatchers, fdNext, itemEvents,
  itemFd, itemInst, instFd, listAppend, listUnlink, notifyNext, rdHead, rdNext, rdPrev, setNotifyNext,
  slabAt, waiters, setFdNext,
} from './records';

// ---- Slab allocation: a free list threaded through fdNext, then never-used indices. ----
let freeHead: i32 = 0;
let slabTop: i32 = 1; // index 0 is "none"
/** Records in use; the host can read it to measure memory per registration. */
export let recordsInUse: i32 = 0;

/** A zeroed record, or 0 when memory is exhausted. */
export function allocRecord(): i32 {
  let i = freeHead;
  if (i != 0) {
    freeHead = fdNext(i);
  } else {
    if (!reserveSlab(<usize>slabTop)) return 0;
    i = slabTop++;
  }
  // Four stores: memory.fill is a call out of the module in V8, and this is on ctl's path.
  const p = slabAt(i);
  store<u64>(p, 0, 0);
  store<u64>(p, 0, 8);
  store<u64>(p, 0, 16);
  store<u64>(p, 0, 24);
  recordsInUse++;
  return i;
}

export function freeRecord(i: i32): void {
  setFdNext(i, freeHead);
  freeHead = i;
  recordsInUse--;
}

// ---- Descriptors ----
@inline export function isOpen(fd: i32): bool {
  return (descMeta(fd) & OPEN) != 0;
}
@inline export function isEpoll(fd: i32): bool {
  return (descMeta(fd) & IS_EPOLL) != 0;
}
/** The instance header of an open epoll fd (kept in the level field). */
@inline export function instOf(fd: i32): i32 {
  return <i32>descLevel(fd);
}

// The hot paths (fd_set, ep_wait) are inlined by hand with @inline: V8 does not inline calls
// between wasm functions, and each one costs more than the work it does. Recursion (nested
// epoll instances) goes through the out-of-line epollLevel, nestedRevents and wakeNested; asc
// compiles those while it is inlining their callers and then keeps a call where it would inline
// a function into itself (warning AS217, silenced in asconfig.json: it is expected here).

/** poll()'s view of fd: the stored level of a source, the computed one of an epoll fd. */
@inline export function levelOf(fd: i32): u32 {
  const meta = descMeta(fd);
  if ((meta & IS_EPOLL) == 0) return descLevel(fd);
  return epollLevel(<i32>descLevel(fd));
}

/** What item i would report now: 0 when disarmed or not ready. */
@inline export function itemRevents(i: i32): u32 {
  const events = itemEvents(i);
  if (events & DISARMED) return 0;
  return levelOf(itemFd(i)) & events & LEVEL_BITS;
}

/**
 * An instance is readable while one of its queued items would report something. Items that
 * would not are dropped on the way, as Linux's ep_eventpoll_poll does; nothing is consumed, so
 * looking does not eat edge-triggered events.
 */
export function epollLevel(e: i32): u32 {
  let i = rdHead(e);
  while (i != 0) {
    const next = rdNext(i);
    if (nestedRevents(i) != 0) return EPOLL_READY;
    unqueue(e, i);
    i = next;
  }
  return 0;
}

/** itemRevents out of line, for the recursion through nested instances. */
function nestedRevents(i: i32): u32 {
  return itemRevents(i);
}

// ---- Ready list (records.ts's READY list): rdPrev == 0 means not queued. ----
@inline export function isQueued(i: i32): bool {
  return rdPrev(i) != 0;
}

export function enqueue(e: i32, i: i32): void {
  listAppend(e, READY_HEAD, i, READY_LINKS);
}

export function unqueue(e: i32, i: i32): void {
  listUnlink(e, READY_HEAD, i, READY_LINKS);
}

// ---- Notification list: instances with waiters that had an item delivered. ----
let notifyHead: i32 = -1;
let notifyTail: i32 = -1;
export let notifyCount: i32 = 0;

function notify(e: i32): void {
  if (notifyNext(e) != 0) return;
  setNotifyNext(e, -1);
  if (notifyTail < 0) notifyHead = e;
  else setNotifyNext(notifyTail, e);
  notifyTail = e;
  notifyCount++;
}

/** Removes a closing instance from the notification list. */
export function forgetNotify(e: i32): void {
  if (notifyNext(e) == 0) return;
  let prev = -1;
  let i = notifyHead;
  while (i != e) {
    prev = i;
    i = notifyNext(i);
  }
  const next = notifyNext(e);
  if (prev < 0) notifyHead = next;
  else setNotifyNext(prev, next);
  if (notifyTail == e) notifyTail = prev;
  setNotifyNext(e, 0);
  notifyCount--;
}

/** Writes the notified instances' fds at `out` (i32 each), empties the list, returns the count. */
export function takeNotified(out: usize): i32 {
  let n = 0;
  let e = notifyHead;
  while (e >= 0) {
    store<i32>(out + (<usize>n << 2), instFd(e));
    const next = notifyNext(e);
    setNotifyNext(e, 0);
    e = next;
    n++;
  }
  notifyHead = notifyTail = -1;
  notifyCount = 0;
  return n;
}

// ---- Delivery ----

/** Queues item i (once), notifies its instance's waiters, and wakes whoever watches the instance. */
@inline export function deliver(i: i32): void {
  const e = itemInst(i);
  if (!isQueued(i)) enqueue(e, i);
  if (waiters(e) > 0) notify(e);
  const fd = instFd(e);
  if (descWatchers(fd) != 0) wakeNested(fd);
}

/** Propagation from an instance to the instances watching it, out of line (it recurses). */
function wakeNested(fd: i32): void {
  wake(fd, EPOLL_WAKE);
}

/**
 * A wakeup with mask m on fd: every eligible non-exclusive watcher is delivered; of the eligible
 * exclusive ones, exactly one: the first whose instance has waiters, else the first.
 */
@inline export function wakeInline(fd: i32, m: u32): void {
  let firstExclusive = 0;
  let waitingExclusive = 0;
  let i = descWatchers(fd);
  while (i != 0) {
    const events = itemEvents(i);
    if ((events & DISARMED) == 0 && (m & events & LEVEL_BITS) != 0) {
      if ((events & EXCLUSIVE) == 0) {
        deliver(i);
      } else {
        if (firstExclusive == 0) firstExclusive = i;
        if (waitingExclusive == 0 && waiters(itemInst(i)) > 0) waitingExclusive = i;
      }
    }
    i = fdNext(i);
  }
  if (waitingExclusive != 0) deliver(waitingExclusive);
  else if (firstExclusive != 0) deliver(firstExclusive);
}

/** wakeInline as a real function: the target of recursion from nested instances. */
export function wake(fd: i32, m: u32): void {
  wakeInline(fd, m);
}
