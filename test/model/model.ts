/**
 * The reference model of docs/core-abi.md: the oracle the WebAssembly core (and the typed-array
 * port) are checked against by the property tests. It is written from the spec text alone, with
 * Maps and arrays and no cleverness: every method is a direct transcription of a paragraph of
 * the doc, cited in the comments as "(abi: <section>)". Speed does not matter here; being
 * obviously right does.
 */
import type { InterestEntry, ReadinessCore } from '../../src/core/readiness-core.js';
import {
  EPOLLERR,
  EPOLLET,
  EPOLLEXCLUSIVE,
  EPOLLHUP,
  EPOLLIN,
  EPOLLONESHOT,
  EPOLLOUT,
  EPOLLPRI,
  EPOLLRDBAND,
  EPOLLRDNORM,
  EPOLLWAKEUP,
  EPOLLWRBAND,
  EPOLLWRNORM,
  EPOLLNVAL,
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  EVENT_BITS,
  LEVEL_BITS,
  errno,
} from '../../src/core/constants.js';

// The ABI's derived numbers, exported so that the typed-array port (typed-core.ts) takes them
// from here rather than writing them again.
/** (abi: Descriptors) `0 <= fd < 2^24`. */
export const FD_LIMIT = 2 ** 24;
/** (abi: Nesting) `down(T) + 1 + up(E) > 4` is ELOOP. */
export const MAX_NESTS = 4;
/** (abi: ep_ctl rule 3) the only bits EXCLUSIVE may come with. */
export const EXCLUSIVE_OK = EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;
/** (abi: Epoll readiness) an instance's level while it has something to report. */
export const EPOLL_READY = EPOLLIN | EPOLLRDNORM;
/** (abi: Delivery) the mask of the wakeup an instance sends to its own fd: EPOLLIN alone. */
export const EPOLL_WAKE = EPOLLIN;
/** (abi: Scans) Linux's POLLIN_SET, POLLOUT_SET, POLLEX_SET. */
export const SELECT_READ = EPOLLIN | EPOLLRDNORM | EPOLLRDBAND | EPOLLHUP | EPOLLERR;
export const SELECT_WRITE = EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND | EPOLLERR;
export const SELECT_EXCEPT = EPOLLPRI;

/** A registration: the pair (instance, fd) with its interest mask. */
interface Item {
  /** The instance the item belongs to. */
  ep: Instance;
  /** The watched descriptor's number. */
  fd: number;
  /** The stored interest mask, unsigned: `(events & EVENT_BITS) | ERR | HUP`. */
  events: number;
  /** (abi: ONESHOT) false once a ONESHOT item was reported, until MOD. */
  disarmed: boolean;
}

/** Fields every open descriptor has. */
interface DescBase {
  fd: number;
  /** Items watching this descriptor, in the order they were added (abi: ADD, "watcher list"). */
  watchers: Item[];
}

interface Source extends DescBase {
  kind: 'source';
  /** Set by the host, always `& LEVEL_BITS`. */
  level: number;
}

interface Instance extends DescBase {
  kind: 'epoll';
  /** Registrations in the order they were added. */
  interest: Item[];
  /** FIFO of queued registrations, each at most once. */
  ready: Item[];
  /** (abi: Waiters) how many callers are blocked on it. */
  waiters: number;
}

type Desc = Source | Instance;

/** A mask as an unsigned 32-bit number. */
const u32 = (x: number): number => x >>> 0;

export class ModelCore implements ReadinessCore {
  readonly name = 'model';
  /** Open descriptors by number. */
  private readonly descs = new Map<number, Desc>();
  /** (abi: Descriptors) the generation of each number ever opened; survives close. */
  private readonly gens = new Map<number, number>();
  /** (abi: Waiters and notifications) instance fds, FIFO, each at most once. */
  private notified: number[] = [];
  /** The results of the last successful wait, as [fd, revents]. */
  private events: Array<[number, number]> = [];

  // ---------------------------------------------------------------- descriptors

  open(fd: number): number {
    return this.#create(fd, () => ({ kind: 'source', fd, watchers: [], level: 0 }));
  }

  epollCreate(fd: number): number {
    return this.#create(fd, () => ({ kind: 'epoll', fd, watchers: [], interest: [], ready: [], waiters: 0 }));
  }

  /** (abi: Descriptors, fd_open) EINVAL, EMFILE, EEXIST in this order; bump the generation. */
  #create(fd: number, make: () => Desc): number {
    if (fd < 0) return -errno.EINVAL;
    if (fd >= FD_LIMIT) return -errno.EMFILE;
    if (this.descs.has(fd)) return -errno.EEXIST;
    this.gens.set(fd, (this.gens.get(fd) ?? 0) + 1);
    this.descs.set(fd, make());
    return 0;
  }

  /** (abi: Close) */
  close(fd: number): number {
    const desc = this.descs.get(fd);
    if (desc === undefined) return -errno.EBADF;
    // Every item watching fd leaves its instance (interest list and ready list).
    for (const item of desc.watchers) {
      remove(item.ep.interest, item);
      remove(item.ep.ready, item);
    }
    if (desc.kind === 'epoll') {
      // An instance's own items leave the watcher lists of their fds...
      for (const item of desc.interest) remove(this.#desc(item.fd).watchers, item);
      // ...and the instance leaves the notification list.
      this.notified = this.notified.filter((n) => n !== fd);
    }
    this.descs.delete(fd);
    return 0;
  }

  /** (abi: fd_set) set the level, then deliver a wakeup with `edge` if it is not 0. */
  set(fd: number, level: number, edge: number): number {
    const desc = this.descs.get(fd);
    if (desc === undefined) return -errno.EBADF;
    if (desc.kind !== 'source') return -errno.EINVAL;
    desc.level = level & LEVEL_BITS;
    if ((edge | 0) !== 0) this.#wakeup(desc, edge);
    return this.notified.length;
  }

  level(fd: number): number {
    const desc = this.descs.get(fd);
    if (desc === undefined) return -errno.EBADF;
    return this.#level(desc);
  }

  generation(fd: number): number {
    if (!this.descs.has(fd)) return -errno.EBADF;
    return this.gens.get(fd)!;
  }

  // ---------------------------------------------------------------- epoll_ctl

  /** (abi: ep_ctl) the checks in their order, then the effects. */
  ctl(epfd: number, op: number, fd: number, events: number): number {
    const ep = this.descs.get(epfd);
    const target = this.descs.get(fd);
    // 1. EBADF: epfd or fd is not open.
    if (ep === undefined || target === undefined) return -errno.EBADF;
    // 2. EINVAL: fd == epfd, or epfd is not an epoll instance.
    if (fd === epfd || ep.kind !== 'epoll') return -errno.EINVAL;
    // 3. EINVAL: EXCLUSIVE misuse (checked on the caller's raw mask, as Linux does).
    if ((events & EPOLLEXCLUSIVE) !== 0 && op !== EPOLL_CTL_DEL) {
      if (op === EPOLL_CTL_MOD) return -errno.EINVAL;
      if (op === EPOLL_CTL_ADD && (target.kind === 'epoll' || (events & ~EXCLUSIVE_OK) !== 0)) {
        return -errno.EINVAL;
      }
    }
    // 4. ELOOP: ADD of an instance that would close a cycle or make a chain of more than 5.
    if (op === EPOLL_CTL_ADD && target.kind === 'epoll') {
      if (this.#reachable(target, ep) || this.#down(target) + 1 + this.#up(ep) > MAX_NESTS) {
        return -errno.ELOOP;
      }
    }
    // 5. By op.
    const item = ep.interest.find((it) => it.fd === fd);
    const stored = u32((events & EVENT_BITS) | EPOLLERR | EPOLLHUP);
    switch (op) {
      case EPOLL_CTL_ADD: {
        if (item !== undefined) return -errno.EEXIST;
        // Append to the interest list and to the end of fd's watcher list.
        const added: Item = { ep, fd, events: stored, disarmed: false };
        ep.interest.push(added);
        target.watchers.push(added);
        if ((this.#level(target) & added.events & LEVEL_BITS) !== 0) this.#deliver(added);
        return 0;
      }
      case EPOLL_CTL_MOD: {
        if (item === undefined) return -errno.ENOENT;
        if ((item.events & EPOLLEXCLUSIVE) !== 0) return -errno.EINVAL;
        // Set events (re-arms), then re-evaluate; a queued item is never removed here.
        item.events = stored;
        item.disarmed = false;
        if ((this.#level(target) & item.events & LEVEL_BITS) !== 0) this.#deliver(item);
        return 0;
      }
      case EPOLL_CTL_DEL: {
        if (item === undefined) return -errno.ENOENT;
        remove(ep.interest, item);
        remove(ep.ready, item);
        remove(target.watchers, item);
        return 0;
      }
      default:
        return -errno.EINVAL;
    }
  }

  /** (abi: Nesting) is `to` reachable from `from` through interest lists? */
  #reachable(from: Instance, to: Instance): boolean {
    if (from === to) return true;
    return this.#children(from).some((child) => this.#reachable(child, to));
  }

  /** (abi: Nesting) the instances in an instance's interest list. */
  #children(ep: Instance): Instance[] {
    const out: Instance[] = [];
    for (const item of ep.interest) {
      const desc = this.#desc(item.fd);
      if (desc.kind === 'epoll') out.push(desc);
    }
    return out;
  }

  /** (abi: Nesting) 0 with no instance below, else 1 + the largest `down` below. */
  #down(ep: Instance): number {
    let depth = 0;
    for (const child of this.#children(ep)) depth = Math.max(depth, 1 + this.#down(child));
    return depth;
  }

  /** (abi: Nesting) 0 when no instance watches it, else 1 + the largest `up` of the watchers. */
  #up(ep: Instance): number {
    let depth = 0;
    for (const item of ep.watchers) depth = Math.max(depth, 1 + this.#up(item.ep));
    return depth;
  }

  // ---------------------------------------------------------------- delivery and wakeups

  /**
   * (abi: Delivery) queue the item if it is not queued; then, queued before or not: note the
   * instance for notification if it has waiters, and send a wakeup IN to its own fd.
   */
  #deliver(item: Item): void {
    const ep = item.ep;
    if (!ep.ready.includes(item)) ep.ready.push(item);
    if (ep.waiters > 0 && !this.notified.includes(ep.fd)) this.notified.push(ep.fd);
    this.#wakeup(ep, EPOLL_WAKE);
  }

  /**
   * (abi: Wakeups) every eligible non-EXCLUSIVE item in watcher order, then exactly one of the
   * eligible EXCLUSIVE ones: the first whose instance has waiters, else the first.
   */
  #wakeup(desc: Desc, mask: number): void {
    const eligible = desc.watchers.filter(
      (it) => !it.disarmed && (mask & it.events & LEVEL_BITS) !== 0,
    );
    for (const it of eligible) if ((it.events & EPOLLEXCLUSIVE) === 0) this.#deliver(it);
    const exclusive = eligible.filter((it) => (it.events & EPOLLEXCLUSIVE) !== 0);
    if (exclusive.length > 0) {
      this.#deliver(exclusive.find((it) => it.ep.waiters > 0) ?? exclusive[0]!);
    }
  }

  // ---------------------------------------------------------------- levels

  /** A source's stored level, or an instance's computed readiness. */
  #level(desc: Desc): number {
    return desc.kind === 'source' ? desc.level : this.#epollLevel(desc);
  }

  /**
   * (abi: Epoll readiness) walk the ready list from the head, unqueueing each item with
   * revents 0; the first item with revents != 0 makes the level IN|RDNORM. Consumes nothing else.
   */
  #epollLevel(ep: Instance): number {
    while (ep.ready.length > 0) {
      if (this.#revents(ep.ready[0]!) !== 0) return EPOLL_READY;
      ep.ready.shift();
    }
    return 0;
  }

  /** (abi: ep_wait step 2) `level(fd) & events & LEVEL_BITS`, 0 for a DISARMED item. */
  #revents(item: Item): number {
    if (item.disarmed) return 0;
    return this.#level(this.#desc(item.fd)) & item.events & LEVEL_BITS;
  }

  // ---------------------------------------------------------------- epoll_wait

  /** (abi: ep_wait) detach the batch, report up to maxEvents, put the rest back in front. */
  wait(epfd: number, maxEvents: number): number {
    if (maxEvents <= 0) return -errno.EINVAL; // Linux checks maxevents before the fd
    const ep = this.descs.get(epfd);
    if (ep === undefined) return -errno.EBADF;
    if (ep.kind !== 'epoll') return -errno.EINVAL;
    // 1. Detach the whole ready list as the batch.
    const batch = ep.ready;
    ep.ready = [];
    const events: Array<[number, number]> = [];
    // 2. Pop, evaluate, report; requeue only level-triggered items.
    while (batch.length > 0 && events.length < maxEvents) {
      const item = batch.shift()!;
      const revents = this.#revents(item);
      if (revents === 0) continue; // dropped: no longer queued
      events.push([item.fd, u32(revents)]);
      if ((item.events & EPOLLONESHOT) !== 0) item.disarmed = true;
      else if ((item.events & EPOLLET) !== 0) {
        // ET: left unqueued.
      } else ep.ready.push(item);
    }
    // 3. The rest of the batch goes back in front, in order.
    ep.ready = [...batch, ...ep.ready];
    this.events = events;
    return events.length;
  }

  eventFd(i: number): number {
    return this.events[i]![0];
  }

  eventMask(i: number): number {
    return this.events[i]![1];
  }

  // ---------------------------------------------------------------- waiters and notifications

  /** (abi: ep_waiters) */
  setWaiters(epfd: number, n: number): number {
    const ep = this.descs.get(epfd);
    if (ep === undefined) return -errno.EBADF;
    if (ep.kind !== 'epoll' || n < 0) return -errno.EINVAL;
    ep.waiters = n;
    return 0;
  }

  /** (abi: take_notified) the list, FIFO, then empty it. */
  takeNotified(): number[] {
    const out = this.notified;
    this.notified = [];
    return out;
  }

  // ---------------------------------------------------------------- scans

  /** (abi: scan_poll) 0 for fd < 0, NVAL when not open, else `level & (events | ERR | HUP)`. */
  scanPoll(fds: Int32Array, events: Int32Array, revents: Int32Array, n: number): number {
    let count = 0;
    for (let k = 0; k < n; k++) {
      const fd = fds[k]!;
      const desc = this.descs.get(fd);
      let r: number;
      if (fd < 0) r = 0;
      else if (desc === undefined) r = EPOLLNVAL;
      else r = this.#level(desc) & (events[k]! | EPOLLERR | EPOLLHUP);
      revents[k] = r;
      if (r !== 0) count++;
    }
    return count;
  }

  /** (abi: scan_select) EBADF (nothing written) if any fd is not open; else 1/0 per slot. */
  scanSelect(fds: Int32Array, nr: number, nw: number, nx: number, ready: Uint8Array): number {
    const total = nr + nw + nx;
    for (let k = 0; k < total; k++) if (!this.descs.has(fds[k]!)) return -errno.EBADF;
    let count = 0;
    for (let k = 0; k < total; k++) {
      const set = k < nr ? SELECT_READ : k < nr + nw ? SELECT_WRITE : SELECT_EXCEPT;
      const on = (this.#level(this.#desc(fds[k]!)) & set) !== 0;
      ready[k] = on ? 1 : 0;
      if (on) count++;
    }
    return count;
  }

  // ---------------------------------------------------------------- inspection

  /** (abi: ep_interest) insertion order; armed = not DISARMED, queued = on the ready list. */
  interest(epfd: number): InterestEntry[] | number {
    const ep = this.#instance(epfd);
    if (typeof ep === 'number') return ep;
    return ep.interest.map((it) => ({
      fd: it.fd,
      events: it.events,
      armed: !it.disarmed,
      queued: ep.ready.includes(it),
    }));
  }

  /** (abi: ep_ready) the ready list's fds in queue order. */
  readyList(epfd: number): number[] | number {
    const ep = this.#instance(epfd);
    if (typeof ep === 'number') return ep;
    return ep.ready.map((it) => it.fd);
  }

  // ---------------------------------------------------------------- helpers

  /** The instance at epfd, or -EBADF (not open) / -EINVAL (not an instance). */
  #instance(epfd: number): Instance | number {
    const desc = this.descs.get(epfd);
    if (desc === undefined) return -errno.EBADF;
    if (desc.kind !== 'epoll') return -errno.EINVAL;
    return desc;
  }

  /** An open descriptor that must exist (an item's fd is always open: close removes items). */
  #desc(fd: number): Desc {
    const desc = this.descs.get(fd);
    if (desc === undefined) throw new Error(`model invariant: fd ${fd} is watched but not open`);
    return desc;
  }
}

/** Removes `x` from `list` if present. */
function remove<T>(list: T[], x: T): void {
  const i = list.indexOf(x);
  if (i >= 0) list.splice(i, 1);
}

export function createModelCore(): ReadinessCore {
  return new ModelCore();
}
