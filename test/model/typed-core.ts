/**
 * A TypeScript port of the WebAssembly core (assembly/) on typed arrays: the same descriptor
 * table, the same slab of 8-int32 records with intrusive lists, the same algorithms, so it gives
 * exactly the same results for every call (docs/core-abi.md). It is the benchmark baseline that
 * shows what the WebAssembly core buys over well-written JavaScript (bench/core.bench.ts), and a
 * second implementation the property tests check against the reference model (model.ts). Nothing
 * in src/ uses it, so the package does not ship it.
 *
 * Layout (mirrors assembly/records.ts):
 * - `desc`: Int32Array, 3 int32 per fd: level (or, for an epoll fd, the slab index of its
 *   instance header), watchers (first item watching the fd), meta (generation << 2 | IS_EPOLL | OPEN).
 * - `slab`: Int32Array, 8 int32 per record; index 0 is "none". A record is an item
 *   (registration) or an instance header; field offsets are in `S` below.
 * - `out`: Int32Array of wait results, { fd, revents } pairs.
 * All three grow by doubling. Hot paths (set, ctl, wait) allocate nothing but records.
 */
import type { InterestEntry, ReadinessCore } from '../../src/core/readiness-core.js';
import {
  EPOLLERR,
  EPOLLET,
  EPOLLEXCLUSIVE,
  EPOLLHUP,
  EPOLLNVAL,
  EPOLLONESHOT,
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  EVENT_BITS as EVENT_BITS_,
  LEVEL_BITS as LEVEL_BITS_,
  errno,
} from '../../src/core/constants.js';
// The ABI's derived numbers are the model's, written once.
import {
  EPOLL_READY as EPOLL_READY_,
  EPOLL_WAKE as EPOLL_WAKE_,
  EXCLUSIVE_OK as EXCLUSIVE_OK_,
  FD_LIMIT,
  MAX_NESTS as MAX_NESTS_,
  SELECT_EXCEPT as SELECT_EXCEPT_,
  SELECT_READ as SELECT_READ_,
  SELECT_WRITE as SELECT_WRITE_,
} from './model.js';

// Inlined by tsc (const enums): field offsets, so hot paths see literals.
const enum D {
  LEVEL = 0,
  WATCHERS = 1,
  META = 2,
  SIZE = 3,
}

const enum S {
  // Item (registration).
  FD = 0,
  INST = 1,
  EVENTS = 2,
  FD_NEXT = 3,
  // Each PREV follows its NEXT: the list functions find it at links + 1.
  EP_NEXT = 4,
  EP_PREV = 5,
  RD_NEXT = 6,
  RD_PREV = 7,
  // Instance header.
  H_FD = 0,
  RD_HEAD = 1,
  EP_HEAD = 2,
  NESTED = 3,
  WAITERS = 4,
  NOTIFY_NEXT = 5,
  STAMP = 6,
  DEPTH = 7,
}

// Inlined by tsc (const enums, whose members may name imported constant consts): the bits and
// operations are src/core/constants.ts's, the derived masks and limits the model's, so hot paths
// see literals.
const enum B {
  ERR = EPOLLERR,
  HUP = EPOLLHUP,
  NVAL = EPOLLNVAL,
  EXCLUSIVE = EPOLLEXCLUSIVE,
  ONESHOT = EPOLLONESHOT,
  ET = EPOLLET | 0, // int32, as the core sees it
  LEVEL_BITS = LEVEL_BITS_,
  EVENT_BITS = EVENT_BITS_ | 0,
  EXCLUSIVE_OK = EXCLUSIVE_OK_ | 0,
  EPOLL_READY = EPOLL_READY_,
  EPOLL_WAKE = EPOLL_WAKE_, // the upward wakeup's key: EPOLLIN alone, as Linux's ep_poll_safewake
  SELECT_READ = SELECT_READ_,
  SELECT_WRITE = SELECT_WRITE_,
  SELECT_EXCEPT = SELECT_EXCEPT_,
  // This port's own: a ONESHOT item's disarmed mark, and descriptor meta flags.
  DISARMED = 1 << 27,
  OPEN = 1,
  IS_EPOLL = 2,
}

const enum C {
  ADD = EPOLL_CTL_ADD,
  DEL = EPOLL_CTL_DEL,
  MOD = EPOLL_CTL_MOD,
  MAX_NESTS = MAX_NESTS_,
  MAX_FD = FD_LIMIT,
}

// Error paths only, so a property load is fine (an object's members can't be const enum values).
const { ENOENT, EBADF, ENOMEM, EEXIST, EINVAL, EMFILE, ELOOP } = errno;

/** A new zeroed array of `length` int32 holding `old`'s contents, or null if it can't be had. */
function grown(old: Int32Array, length: number): Int32Array | null {
  let next: Int32Array;
  try {
    next = new Int32Array(length);
  } catch {
    return null;
  }
  next.set(old);
  return next;
}

export class TypedCore implements ReadinessCore {
  readonly name = 'typed';

  /** 3 int32 per descriptor (see the file comment); length is 3 * descCap. */
  desc: Int32Array = new Int32Array(1024 * D.SIZE);
  descCap = 1024;
  /** 8 int32 per record; length is 8 * slabCap. */
  slab: Int32Array = new Int32Array(1024 * 8);
  slabCap = 1024;
  /** The last wait's events: out[2k] = fd, out[2k + 1] = revents (as int32). Replaced on growth. */
  out: Int32Array = new Int32Array(4096);

  /** Slab records in use (registrations plus one header per instance). */
  recordsInUse = 0;
  private freeHead = 0;
  private slabTop = 1;
  private notifyHead = -1;
  private notifyTail = -1;
  private notifyCount = 0;
  private visit = 0;

  /** Bytes held by the typed arrays (descriptor table, slab, output). */
  get byteLength(): number {
    return this.desc.byteLength + this.slab.byteLength + this.out.byteLength;
  }

  // ---- Growth and records ----

  private reserveDescs(fd: number): boolean {
    if (fd < this.descCap) return true;
    let cap = this.descCap;
    while (cap <= fd) cap *= 2;
    const next = grown(this.desc, cap * D.SIZE);
    if (next === null) return false;
    this.desc = next;
    this.descCap = cap;
    return true;
  }

  private allocRecord(): number {
    let i = this.freeHead;
    if (i !== 0) {
      this.freeHead = this.slab[(i << 3) + S.FD_NEXT]!;
    } else {
      i = this.slabTop;
      if (i >= this.slabCap) {
        const next = grown(this.slab, this.slabCap * 2 * 8);
        if (next === null) return 0;
        this.slab = next;
        this.slabCap *= 2;
      }
      this.slabTop = i + 1;
    }
    const s = this.slab;
    const b = i << 3;
    s[b] = 0;
    s[b + 1] = 0;
    s[b + 2] = 0;
    s[b + 3] = 0;
    s[b + 4] = 0;
    s[b + 5] = 0;
    s[b + 6] = 0;
    s[b + 7] = 0;
    this.recordsInUse++;
    return i;
  }

  private freeRecord(i: number): void {
    this.slab[(i << 3) + S.FD_NEXT] = this.freeHead;
    this.freeHead = i;
    this.recordsInUse--;
  }

  // ---- Descriptors ----

  private known(fd: number): boolean {
    return fd >= 0 && fd < this.descCap && (this.desc[fd * D.SIZE + D.META]! & B.OPEN) !== 0;
  }

  private isEpoll(fd: number): boolean {
    return (this.desc[fd * D.SIZE + D.META]! & B.IS_EPOLL) !== 0;
  }

  private instOf(fd: number): number {
    return this.desc[fd * D.SIZE + D.LEVEL]!;
  }

  private levelOf(fd: number): number {
    const d = this.desc;
    const b = fd * D.SIZE;
    if ((d[b + D.META]! & B.IS_EPOLL) === 0) return d[b + D.LEVEL]!;
    return this.epollLevel(d[b + D.LEVEL]!);
  }

  private itemRevents(i: number): number {
    const s = this.slab;
    const b = i << 3;
    const events = s[b + S.EVENTS]!;
    if ((events & B.DISARMED) !== 0) return 0;
    return this.levelOf(s[b + S.FD]!) & events & B.LEVEL_BITS;
  }

  private epollLevel(e: number): number {
    const s = this.slab;
    let i = s[(e << 3) + S.RD_HEAD]!;
    while (i !== 0) {
      const next = s[(i << 3) + S.RD_NEXT]!;
      if (this.itemRevents(i) !== 0) return B.EPOLL_READY;
      this.unqueue(e, i);
      i = next;
    }
    return 0;
  }

  // ---- Intrusive lists (assembly/records.ts's listAppend/listUnlink): a header field holds the
  // first item; an item's links are [next, prev] at `links`, the first item's prev is the tail.
  // The ready list (RD_HEAD, RD_NEXT: rdPrev == 0 means not queued) and the interest list
  // (EP_HEAD, EP_NEXT) are both such lists. ----

  private listAppend(e: number, head: number, i: number, links: number): void {
    const s = this.slab;
    const first = s[(e << 3) + head]!;
    const at = (i << 3) + links;
    s[at] = 0;
    if (first === 0) {
      s[(e << 3) + head] = i;
      s[at + 1] = i;
    } else {
      const firstAt = (first << 3) + links;
      const tail = s[firstAt + 1]!;
      s[(tail << 3) + links] = i;
      s[at + 1] = tail;
      s[firstAt + 1] = i;
    }
  }

  /** Unlinks item i from header e's list and zeroes its links. */
  private listUnlink(e: number, head: number, i: number, links: number): void {
    const s = this.slab;
    const first = s[(e << 3) + head]!;
    const at = (i << 3) + links;
    const next = s[at]!;
    const prev = s[at + 1]!;
    if (i === first) {
      s[(e << 3) + head] = next;
      if (next !== 0) s[(next << 3) + links + 1] = prev;
    } else {
      s[(prev << 3) + links] = next;
      s[((next !== 0 ? next : first) << 3) + links + 1] = prev;
    }
    s[at] = 0;
    s[at + 1] = 0;
  }

  private enqueue(e: number, i: number): void {
    this.listAppend(e, S.RD_HEAD, i, S.RD_NEXT);
  }

  private unqueue(e: number, i: number): void {
    this.listUnlink(e, S.RD_HEAD, i, S.RD_NEXT);
  }

  // ---- Notification list: -1 ends it; 0 = not in it. ----

  private notify(e: number): void {
    const s = this.slab;
    if (s[(e << 3) + S.NOTIFY_NEXT] !== 0) return;
    s[(e << 3) + S.NOTIFY_NEXT] = -1;
    if (this.notifyTail < 0) this.notifyHead = e;
    else s[(this.notifyTail << 3) + S.NOTIFY_NEXT] = e;
    this.notifyTail = e;
    this.notifyCount++;
  }

  private forgetNotify(e: number): void {
    const s = this.slab;
    if (s[(e << 3) + S.NOTIFY_NEXT] === 0) return;
    let prev = -1;
    let i = this.notifyHead;
    while (i !== e) {
      prev = i;
      i = s[(i << 3) + S.NOTIFY_NEXT]!;
    }
    const next = s[(e << 3) + S.NOTIFY_NEXT]!;
    if (prev < 0) this.notifyHead = next;
    else s[(prev << 3) + S.NOTIFY_NEXT] = next;
    if (this.notifyTail === e) this.notifyTail = prev;
    s[(e << 3) + S.NOTIFY_NEXT] = 0;
    this.notifyCount--;
  }

  // ---- Delivery ----

  private deliver(i: number): void {
    const s = this.slab;
    const ib = i << 3;
    const e = s[ib + S.INST]!;
    if (s[ib + S.RD_PREV] === 0) this.enqueue(e, i);
    if (s[(e << 3) + S.WAITERS]! > 0) this.notify(e);
    const fd = s[(e << 3) + S.H_FD]!;
    if (this.desc[fd * D.SIZE + D.WATCHERS] !== 0) this.wake(fd, B.EPOLL_WAKE);
  }

  private wake(fd: number, m: number): void {
    const s = this.slab;
    let firstExclusive = 0;
    let waitingExclusive = 0;
    let i = this.desc[fd * D.SIZE + D.WATCHERS]!;
    while (i !== 0) {
      const ib = i << 3;
      const events = s[ib + S.EVENTS]!;
      if ((events & B.DISARMED) === 0 && (m & events & B.LEVEL_BITS) !== 0) {
        if ((events & B.EXCLUSIVE) === 0) {
          this.deliver(i);
        } else {
          if (firstExclusive === 0) firstExclusive = i;
          if (waitingExclusive === 0 && s[(s[ib + S.INST]! << 3) + S.WAITERS]! > 0) waitingExclusive = i;
        }
      }
      i = s[ib + S.FD_NEXT]!;
    }
    if (waitingExclusive !== 0) this.deliver(waitingExclusive);
    else if (firstExclusive !== 0) this.deliver(firstExclusive);
  }

  // ---- Items ----

  private findItem(e: number, fd: number): number {
    const s = this.slab;
    let i = this.desc[fd * D.SIZE + D.WATCHERS]!;
    while (i !== 0 && s[(i << 3) + S.INST] !== e) i = s[(i << 3) + S.FD_NEXT]!;
    return i;
  }

  private unlinkWatcher(i: number): void {
    const s = this.slab;
    const d = this.desc;
    const fd = s[(i << 3) + S.FD]!;
    let prev = 0;
    let w = d[fd * D.SIZE + D.WATCHERS]!;
    while (w !== i) {
      prev = w;
      w = s[(w << 3) + S.FD_NEXT]!;
    }
    if (prev === 0) d[fd * D.SIZE + D.WATCHERS] = s[(i << 3) + S.FD_NEXT]!;
    else s[(prev << 3) + S.FD_NEXT] = s[(i << 3) + S.FD_NEXT]!;
  }

  private removeItem(i: number, fromWatchers: boolean): void {
    const s = this.slab;
    const e = s[(i << 3) + S.INST]!;
    if (s[(i << 3) + S.RD_PREV] !== 0) this.unqueue(e, i);
    this.listUnlink(e, S.EP_HEAD, i, S.EP_NEXT);
    if (fromWatchers) this.unlinkWatcher(i);
    if (this.isEpoll(s[(i << 3) + S.FD]!)) s[(e << 3) + S.NESTED]!--;
    this.freeRecord(i);
  }

  private dropWatchers(fd: number): void {
    const b = fd * D.SIZE + D.WATCHERS;
    let i = this.desc[b]!;
    this.desc[b] = 0;
    while (i !== 0) {
      const next = this.slab[(i << 3) + S.FD_NEXT]!;
      this.removeItem(i, false);
      i = next;
    }
  }

  private destroyInstance(e: number): void {
    this.forgetNotify(e);
    let i = this.slab[(e << 3) + S.EP_HEAD]!;
    while (i !== 0) {
      const next = this.slab[(i << 3) + S.EP_NEXT]!;
      this.unlinkWatcher(i);
      this.freeRecord(i);
      i = next;
    }
    this.freeRecord(e);
  }

  // ---- Loop check (Linux's ep_loop_check) ----

  private depthBelow(x: number, target: number): number {
    if (x === target) return -1;
    const s = this.slab;
    const xb = x << 3;
    if (s[xb + S.STAMP] === this.visit) return s[xb + S.DEPTH]!;
    let depth = 0;
    if (s[xb + S.NESTED]! > 0) {
      let i = s[xb + S.EP_HEAD]!;
      while (i !== 0) {
        const fd = s[(i << 3) + S.FD]!;
        if (this.isEpoll(fd)) {
          const below = this.depthBelow(this.instOf(fd), target);
          if (below < 0) return -1;
          if (below + 1 > depth) depth = below + 1;
        }
        i = s[(i << 3) + S.EP_NEXT]!;
      }
    }
    s[xb + S.STAMP] = this.visit;
    s[xb + S.DEPTH] = depth;
    return depth;
  }

  private depthAbove(x: number): number {
    const s = this.slab;
    const xb = x << 3;
    if (s[xb + S.STAMP] === this.visit) return s[xb + S.DEPTH]!;
    let depth = 0;
    let i = this.desc[s[xb + S.H_FD]! * D.SIZE + D.WATCHERS]!;
    while (i !== 0) {
      const above = this.depthAbove(s[(i << 3) + S.INST]!) + 1;
      if (above > depth) depth = above;
      i = s[(i << 3) + S.FD_NEXT]!;
    }
    s[xb + S.STAMP] = this.visit;
    s[xb + S.DEPTH] = depth;
    return depth;
  }

  private wouldLoop(into: number, to: number): boolean {
    this.visit = (this.visit + 1) | 0;
    const below = this.depthBelow(to, into);
    if (below < 0 || below > C.MAX_NESTS) return true;
    this.visit = (this.visit + 1) | 0;
    return below + 1 + this.depthAbove(into) > C.MAX_NESTS;
  }

  // ---- The contract ----

  private openAt(fd: number, epoll: boolean): number {
    if (fd < 0) return -EINVAL;
    if (fd >= C.MAX_FD) return -EMFILE;
    if (!this.reserveDescs(fd)) return -ENOMEM;
    const b = fd * D.SIZE;
    if ((this.desc[b + D.META]! & B.OPEN) !== 0) return -EEXIST;
    let level = 0;
    if (epoll) {
      const e = this.allocRecord();
      if (e === 0) return -ENOMEM;
      this.slab[(e << 3) + S.H_FD] = fd;
      level = e;
    }
    const d = this.desc;
    d[b + D.LEVEL] = level;
    d[b + D.WATCHERS] = 0;
    const generation = (d[b + D.META]! >>> 2) + 1;
    d[b + D.META] = (generation << 2) | B.OPEN | (epoll ? B.IS_EPOLL : 0);
    return 0;
  }

  open(fd: number): number {
    return this.openAt(fd | 0, false);
  }

  epollCreate(fd: number): number {
    return this.openAt(fd | 0, true);
  }

  close(fd: number): number {
    fd |= 0;
    if (!this.known(fd)) return -EBADF;
    this.dropWatchers(fd);
    if (this.isEpoll(fd)) this.destroyInstance(this.instOf(fd));
    const b = fd * D.SIZE;
    this.desc[b + D.LEVEL] = 0;
    this.desc[b + D.META] = this.desc[b + D.META]! & ~(B.OPEN | B.IS_EPOLL);
    return 0;
  }

  set(fd: number, level: number, edge: number): number {
    fd |= 0;
    if (fd < 0 || fd >= this.descCap) return -EBADF;
    const d = this.desc;
    const b = fd * D.SIZE;
    const meta = d[b + D.META]!;
    if ((meta & B.OPEN) === 0) return -EBADF;
    if ((meta & B.IS_EPOLL) !== 0) return -EINVAL;
    d[b + D.LEVEL] = level & B.LEVEL_BITS;
    edge |= 0;
    if (edge !== 0 && d[b + D.WATCHERS] !== 0) this.wake(fd, edge);
    return this.notifyCount;
  }

  level(fd: number): number {
    fd |= 0;
    if (!this.known(fd)) return -EBADF;
    return this.levelOf(fd);
  }

  generation(fd: number): number {
    fd |= 0;
    if (!this.known(fd)) return -EBADF;
    return (this.desc[fd * D.SIZE + D.META]! >>> 2) | 0;
  }

  ctl(epfd: number, op: number, fd: number, events: number): number {
    epfd |= 0;
    op |= 0;
    fd |= 0;
    events |= 0;
    if (!this.known(epfd) || !this.known(fd)) return -EBADF;
    if (fd === epfd || !this.isEpoll(epfd)) return -EINVAL;
    const targetIsEpoll = this.isEpoll(fd);
    if (op !== C.DEL && (events & B.EXCLUSIVE) !== 0) {
      if (op === C.MOD) return -EINVAL;
      if (op === C.ADD && (targetIsEpoll || (events & ~B.EXCLUSIVE_OK) !== 0)) return -EINVAL;
    }
    const e = this.instOf(epfd);
    if (op === C.ADD && targetIsEpoll && this.wouldLoop(e, this.instOf(fd))) return -ELOOP;
    const item = this.findItem(e, fd);
    const stored = (events & B.EVENT_BITS) | B.ERR | B.HUP;
    if (op === C.ADD) {
      if (item !== 0) return -EEXIST;
      return this.add(e, fd, stored, targetIsEpoll);
    }
    if (op === C.MOD) {
      if (item === 0) return -ENOENT;
      if ((this.slab[(item << 3) + S.EVENTS]! & B.EXCLUSIVE) !== 0) return -EINVAL;
      this.slab[(item << 3) + S.EVENTS] = stored;
      if (this.itemRevents(item) !== 0) this.deliver(item);
      return 0;
    }
    if (op === C.DEL) {
      if (item === 0) return -ENOENT;
      this.removeItem(item, true);
      return 0;
    }
    return -EINVAL;
  }

  private add(e: number, fd: number, events: number, targetIsEpoll: boolean): number {
    const i = this.allocRecord();
    if (i === 0) return -ENOMEM;
    const s = this.slab; // after allocRecord: it may have grown the slab
    const d = this.desc;
    const ib = i << 3;
    s[ib + S.FD] = fd;
    s[ib + S.INST] = e;
    s[ib + S.EVENTS] = events;
    // Append to fd's watchers (attachment order decides EXCLUSIVE ties).
    let w = d[fd * D.SIZE + D.WATCHERS]!;
    if (w === 0) {
      d[fd * D.SIZE + D.WATCHERS] = i;
    } else {
      while (s[(w << 3) + S.FD_NEXT] !== 0) w = s[(w << 3) + S.FD_NEXT]!;
      s[(w << 3) + S.FD_NEXT] = i;
    }
    this.listAppend(e, S.EP_HEAD, i, S.EP_NEXT);
    if (targetIsEpoll) s[(e << 3) + S.NESTED]!++;
    if (this.itemRevents(i) !== 0) this.deliver(i);
    return 0;
  }

  /** The instance header of an open epoll fd, or a negative errno. */
  private instance(epfd: number): number {
    if (!this.known(epfd)) return -EBADF;
    if (!this.isEpoll(epfd)) return -EINVAL;
    return this.instOf(epfd);
  }

  wait(epfd: number, maxEvents: number): number {
    maxEvents |= 0;
    if (maxEvents <= 0) return -EINVAL; // checked before the fd, as Linux does
    const e = this.instance(epfd | 0);
    if (e < 0) return e;
    const s = this.slab; // nothing below allocates records
    const eb = e << 3;
    let out = this.out;
    let batch = s[eb + S.RD_HEAD]!;
    s[eb + S.RD_HEAD] = 0;
    let n = 0;
    while (batch !== 0 && n < maxEvents) {
      const at = n << 1;
      if (at + 2 > out.length) {
        const next = grown(out, out.length * 2);
        if (next === null) break;
        this.out = out = next;
      }
      const i = batch;
      const ib = i << 3;
      batch = s[ib + S.RD_NEXT]!;
      if (batch !== 0) s[(batch << 3) + S.RD_PREV] = s[ib + S.RD_PREV]!;
      s[ib + S.RD_PREV] = 0;
      s[ib + S.RD_NEXT] = 0;
      const revents = this.itemRevents(i);
      if (revents === 0) continue;
      out[at] = s[ib + S.FD]!;
      out[at + 1] = revents;
      n++;
      const events = s[ib + S.EVENTS]!;
      if ((events & B.ONESHOT) !== 0) s[ib + S.EVENTS] = events | B.DISARMED;
      else if ((events & B.ET) === 0) this.enqueue(e, i);
    }
    if (batch !== 0) {
      // Splice the unreached rest of the batch in front of the ready list.
      const head = s[eb + S.RD_HEAD]!;
      if (head !== 0) {
        const batchTail = s[(batch << 3) + S.RD_PREV]!;
        const tail = s[(head << 3) + S.RD_PREV]!;
        s[(batchTail << 3) + S.RD_NEXT] = head;
        s[(head << 3) + S.RD_PREV] = batchTail;
        s[(batch << 3) + S.RD_PREV] = tail;
      }
      s[eb + S.RD_HEAD] = batch;
      if (n === 0) return -ENOMEM;
    }
    return n;
  }

  eventFd(i: number): number {
    return this.out[2 * i]!;
  }

  eventMask(i: number): number {
    return this.out[2 * i + 1]! >>> 0;
  }

  setWaiters(epfd: number, n: number): number {
    const e = this.instance(epfd | 0);
    if (e < 0) return e;
    n |= 0;
    if (n < 0) return -EINVAL;
    this.slab[(e << 3) + S.WAITERS] = n;
    return 0;
  }

  takeNotified(): number[] {
    const s = this.slab;
    const fds: number[] = [];
    let e = this.notifyHead;
    while (e >= 0) {
      fds.push(s[(e << 3) + S.H_FD]!);
      const next = s[(e << 3) + S.NOTIFY_NEXT]!;
      s[(e << 3) + S.NOTIFY_NEXT] = 0;
      e = next;
    }
    this.notifyHead = this.notifyTail = -1;
    this.notifyCount = 0;
    return fds;
  }

  scanPoll(fds: Int32Array, events: Int32Array, revents: Int32Array, n: number): number {
    n |= 0;
    if (n < 0) return -EINVAL;
    let ready = 0;
    for (let k = 0; k < n; k++) {
      const fd = fds[k]!;
      let r = 0;
      if (fd >= 0) {
        r = this.known(fd) ? this.levelOf(fd) & ((events[k]! & 0xffff) | B.ERR | B.HUP) : B.NVAL;
      }
      revents[k] = r;
      if (r !== 0) ready++;
    }
    return ready;
  }

  scanSelect(fds: Int32Array, nr: number, nw: number, nx: number, ready: Uint8Array): number {
    nr |= 0;
    nw |= 0;
    nx |= 0;
    if (nr < 0 || nw < 0 || nx < 0) return -EINVAL;
    const total = nr + nw + nx;
    for (let k = 0; k < total; k++) {
      if (!this.known(fds[k]!)) return -EBADF;
    }
    let count = 0;
    for (let k = 0; k < total; k++) {
      const set = k < nr ? B.SELECT_READ : k < nr + nw ? B.SELECT_WRITE : B.SELECT_EXCEPT;
      const hit = (this.levelOf(fds[k]!) & set) !== 0 ? 1 : 0;
      ready[k] = hit;
      count += hit;
    }
    return count;
  }

  interest(epfd: number): InterestEntry[] | number {
    const e = this.instance(epfd | 0);
    if (e < 0) return e;
    const s = this.slab;
    const entries: InterestEntry[] = [];
    let i = s[(e << 3) + S.EP_HEAD]!;
    while (i !== 0) {
      const events = s[(i << 3) + S.EVENTS]!;
      entries.push({
        fd: s[(i << 3) + S.FD]!,
        events: (events & ~B.DISARMED) >>> 0,
        armed: (events & B.DISARMED) === 0,
        queued: s[(i << 3) + S.RD_PREV] !== 0,
      });
      i = s[(i << 3) + S.EP_NEXT]!;
    }
    return entries;
  }

  readyList(epfd: number): number[] | number {
    const e = this.instance(epfd | 0);
    if (e < 0) return e;
    const s = this.slab;
    const fds: number[] = [];
    let i = s[(e << 3) + S.RD_HEAD]!;
    while (i !== 0) {
      fds.push(s[(i << 3) + S.FD]!);
      i = s[(i << 3) + S.RD_NEXT]!;
    }
    return fds;
  }
}

export function createTypedCore(): TypedCore {
  return new TypedCore();
}
