/**
 * Explicit tests of every semantic corner and errno path of docs/core-abi.md, run against every
 * available core: the reference model, the WebAssembly core, and the typed-array port. Where a Linux behaviour motivates a test, a one-line comment names it.
 */
import { describe, expect, it } from 'vitest';
import {
  EPOLLERR,
  EPOLLET,
  EPOLLEXCLUSIVE,
  EPOLLHUP,
  EPOLLIN,
  EPOLLMSG,
  EPOLLNVAL,
  EPOLLONESHOT,
  EPOLLOUT,
  EPOLLPRI,
  EPOLLRDBAND,
  EPOLLRDHUP,
  EPOLLRDNORM,
  EPOLLWAKEUP,
  EPOLLWRBAND,
  EPOLLWRNORM,
  EPOLL_CTL_ADD as ADD,
  EPOLL_CTL_DEL as DEL,
  EPOLL_CTL_MOD as MOD,
  LEVEL_BITS,
  errno,
} from '../../src/core/constants.js';
import type { ReadinessCore } from '../../src/core/readiness-core.js';
import { createTypedCore } from '../model/typed-core.js';
import { createWasmCore } from '../../src/core/wasm-core.js';
import { createModelCore } from '../model/model.js';

const EBADF = -errno.EBADF;
const EINVAL = -errno.EINVAL;
const EEXIST = -errno.EEXIST;
const ENOENT = -errno.ENOENT;
const ELOOP = -errno.ELOOP;
const EMFILE = -errno.EMFILE;
/** An instance's level (and the mask of the wakeup it sends upward). */
const READY = EPOLLIN | EPOLLRDNORM;
const u = (x: number): number => x >>> 0;

const cores: Array<[string, () => ReadinessCore]> = [
  ['model', createModelCore],
  ['wasm', createWasmCore],
  ['typed', createTypedCore],
];

/** wait, returning the events as [fd, mask] pairs (or the negative result). */
function wait(c: ReadinessCore, epfd: number, max = 64): Array<[number, number]> | number {
  const n = c.wait(epfd, max);
  if (n < 0) return n;
  const out: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) out.push([c.eventFd(i), c.eventMask(i)]);
  return out;
}

/** Opens the given sources and instances, expecting success. */
function setup(c: ReadinessCore, sources: number[], instances: number[]): void {
  for (const fd of sources) expect(c.open(fd)).toBe(0);
  for (const fd of instances) expect(c.epollCreate(fd)).toBe(0);
}

function poll(c: ReadinessCore, entries: Array<[number, number]>): { count: number; revents: number[] } {
  const fds = Int32Array.from(entries.map((e) => e[0]));
  const events = Int32Array.from(entries.map((e) => e[1]));
  const revents = new Int32Array(entries.length).fill(-1);
  const count = c.scanPoll(fds, events, revents, entries.length);
  return { count, revents: Array.from(revents) };
}

function select(c: ReadinessCore, r: number[], w: number[], x: number[]): { count: number; ready: number[] } {
  const fds = Int32Array.from([...r, ...w, ...x]);
  const ready = new Uint8Array(fds.length).fill(9);
  const count = c.scanSelect(fds, r.length, w.length, x.length, ready);
  return { count, ready: Array.from(ready) };
}

describe.each(cores)('%s core', (_name, create) => {
  /** A core with source 1 watched by instance 2 for `events` (the ADD must succeed). */
  function watching(events: number): ReadinessCore {
    const c = create();
    setup(c, [1], [2]);
    expect(c.ctl(2, ADD, 1, events)).toBe(0);
    return c;
  }

  // ------------------------------------------------------------------ descriptors

  describe('descriptors', () => {
    it('open / epollCreate: EINVAL for fd < 0, EMFILE for fd >= 2^24, EEXIST when open', () => {
      const c = create();
      expect(c.open(-1)).toBe(EINVAL);
      expect(c.epollCreate(-5)).toBe(EINVAL);
      expect(c.open(2 ** 24)).toBe(EMFILE);
      expect(c.epollCreate(2 ** 24)).toBe(EMFILE);
      expect(c.open(3)).toBe(0);
      expect(c.open(3)).toBe(EEXIST);
      expect(c.epollCreate(3)).toBe(EEXIST);
      expect(c.epollCreate(4)).toBe(0);
      expect(c.open(4)).toBe(EEXIST);
    });

    it('the largest number, 2^24 - 1, can be opened', () => {
      const c = create();
      expect(c.open(2 ** 24 - 1)).toBe(0);
      expect(c.generation(2 ** 24 - 1)).toBe(1);
      expect(c.close(2 ** 24 - 1)).toBe(0);
    });

    it('generations start at 1 and are bumped on every open of a number, of either kind', () => {
      const c = create();
      expect(c.generation(5)).toBe(EBADF);
      expect(c.open(5)).toBe(0);
      expect(c.generation(5)).toBe(1);
      expect(c.open(5)).toBe(EEXIST); // a failed open bumps nothing
      expect(c.generation(5)).toBe(1);
      expect(c.close(5)).toBe(0);
      expect(c.generation(5)).toBe(EBADF);
      expect(c.epollCreate(5)).toBe(0);
      expect(c.generation(5)).toBe(2);
      expect(c.close(5)).toBe(0);
      expect(c.open(5)).toBe(0);
      expect(c.generation(5)).toBe(3);
      expect(c.open(6)).toBe(0);
      expect(c.generation(6)).toBe(1); // per number
    });

    it('close: EBADF when not open, and twice', () => {
      const c = create();
      expect(c.close(0)).toBe(EBADF);
      expect(c.close(-1)).toBe(EBADF);
      expect(c.open(0)).toBe(0);
      expect(c.close(0)).toBe(0);
      expect(c.close(0)).toBe(EBADF);
    });

    it('set: EBADF when not open, EINVAL on an instance; the level keeps only LEVEL_BITS', () => {
      const c = create();
      setup(c, [1], [2]);
      expect(c.set(0, EPOLLIN, 0)).toBe(EBADF);
      expect(c.set(2, EPOLLIN, 0)).toBe(EINVAL);
      expect(c.level(1)).toBe(0);
      expect(c.set(1, -1, 0)).toBe(0);
      expect(c.level(1)).toBe(LEVEL_BITS);
      expect(c.set(1, EPOLLIN | EPOLLET | (1 << 20), 0)).toBe(0);
      expect(c.level(1)).toBe(EPOLLIN);
      expect(c.level(0)).toBe(EBADF);
      expect(c.level(2)).toBe(0);
    });
  });

  // ------------------------------------------------------------------ ep_ctl errors

  describe('ep_ctl errors, in do_epoll_ctl order', () => {
    it('EBADF: epfd or fd not open (either, both), before any other check', () => {
      const c = create();
      setup(c, [1], [2]);
      expect(c.ctl(9, ADD, 1, EPOLLIN)).toBe(EBADF);
      expect(c.ctl(2, ADD, 9, EPOLLIN)).toBe(EBADF);
      expect(c.ctl(8, ADD, 9, EPOLLIN)).toBe(EBADF);
      expect(c.ctl(-1, ADD, 1, EPOLLIN)).toBe(EBADF);
      expect(c.ctl(2, ADD, -1, EPOLLIN)).toBe(EBADF);
      expect(c.ctl(1, ADD, 9, EPOLLIN)).toBe(EBADF); // not EINVAL for a non-epoll epfd
      expect(c.ctl(9, 77, 9, EPOLLIN)).toBe(EBADF); // not EINVAL for the op
      expect(c.ctl(2, MOD, 9, EPOLLIN | EPOLLEXCLUSIVE)).toBe(EBADF);
    });

    it('EINVAL: fd == epfd (an instance added to itself)', () => {
      // epoll_ctl(2): "epfd is the same as fd" is EINVAL, not ELOOP.
      const c = create();
      setup(c, [], [2]);
      expect(c.ctl(2, ADD, 2, EPOLLIN)).toBe(EINVAL);
      expect(c.ctl(2, DEL, 2, 0)).toBe(EINVAL);
      expect(c.ctl(2, MOD, 2, EPOLLIN)).toBe(EINVAL);
    });

    it('EINVAL: epfd is not an epoll instance', () => {
      const c = create();
      setup(c, [1, 3], [2]);
      expect(c.ctl(1, ADD, 3, EPOLLIN)).toBe(EINVAL);
      expect(c.ctl(1, DEL, 3, 0)).toBe(EINVAL);
      expect(c.ctl(1, ADD, 2, EPOLLIN)).toBe(EINVAL);
      expect(c.ctl(1, ADD, 1, EPOLLIN)).toBe(EINVAL);
    });

    it('EINVAL: MOD with EXCLUSIVE, even for an absent item (rule 3 before ENOENT)', () => {
      // Linux's do_epoll_ctl rejects EPOLLEXCLUSIVE with EPOLL_CTL_MOD before looking the item up.
      const c = create();
      setup(c, [1], [2]);
      expect(c.ctl(2, MOD, 1, EPOLLIN | EPOLLEXCLUSIVE)).toBe(EINVAL);
      expect(c.ctl(2, ADD, 1, EPOLLIN)).toBe(0);
      expect(c.ctl(2, MOD, 1, EPOLLIN | EPOLLEXCLUSIVE)).toBe(EINVAL);
    });

    it('EINVAL: ADD with EXCLUSIVE and a disallowed bit (ONESHOT, RDHUP, PRI, RDNORM, stray)', () => {
      // epoll_ctl(2): EXCLUSIVE goes only with IN, OUT, WAKEUP, ET (and ERR, HUP).
      const c = create();
      setup(c, [1], [2]);
      for (const bad of [EPOLLONESHOT, EPOLLRDHUP, EPOLLPRI, EPOLLRDNORM, EPOLLWRNORM, 1 << 20, 1 << 27]) {
        expect(c.ctl(2, ADD, 1, (EPOLLIN | EPOLLEXCLUSIVE | bad) | 0)).toBe(EINVAL);
      }
      expect(c.interest(2)).toEqual([]);
      const ok = EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;
      expect(c.ctl(2, ADD, 1, ok | 0)).toBe(0);
      expect(c.interest(2)).toEqual([{ fd: 1, events: u(ok), armed: true, queued: false }]);
    });

    it('EINVAL: ADD with EXCLUSIVE whose target is an epoll instance (before ELOOP)', () => {
      const c = create();
      setup(c, [], [2, 3]);
      expect(c.ctl(2, ADD, 3, EPOLLIN | EPOLLEXCLUSIVE)).toBe(EINVAL);
      expect(c.ctl(3, ADD, 2, EPOLLIN)).toBe(0);
      // 2 -> 3 would now close a cycle, but the EXCLUSIVE check comes first.
      expect(c.ctl(2, ADD, 3, EPOLLIN | EPOLLEXCLUSIVE)).toBe(EINVAL);
      expect(c.ctl(2, ADD, 3, EPOLLIN)).toBe(ELOOP);
    });

    it('EINVAL: EXCLUSIVE misuse comes before EEXIST', () => {
      const c = watching(EPOLLIN);
      expect(c.ctl(2, ADD, 1, (EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT) | 0)).toBe(EINVAL);
      expect(c.ctl(2, ADD, 1, EPOLLIN | EPOLLEXCLUSIVE)).toBe(EEXIST);
    });

    it('EXCLUSIVE in the mask of DEL is ignored', () => {
      const c = watching(EPOLLIN);
      expect(c.ctl(2, DEL, 1, (EPOLLEXCLUSIVE | EPOLLONESHOT) | 0)).toBe(0);
      expect(c.ctl(2, DEL, 1, EPOLLEXCLUSIVE)).toBe(ENOENT);
    });

    it('EINVAL: MOD of an item added with EXCLUSIVE, whatever the new mask', () => {
      // epoll_ctl(2): "EPOLL_CTL_MOD was requested on an fd added with EPOLLEXCLUSIVE".
      const c = watching(EPOLLIN | EPOLLEXCLUSIVE);
      expect(c.ctl(2, MOD, 1, EPOLLIN)).toBe(EINVAL);
      expect(c.ctl(2, MOD, 1, EPOLLOUT)).toBe(EINVAL);
      expect(c.ctl(2, DEL, 1, 0)).toBe(0);
    });

    it('EINVAL: an unknown op (0, 4, -1), whether or not the item exists', () => {
      const c = create();
      setup(c, [1, 3], [2]);
      expect(c.ctl(2, ADD, 1, EPOLLIN)).toBe(0);
      for (const op of [0, 4, -1, 100]) {
        expect(c.ctl(2, op, 1, EPOLLIN)).toBe(EINVAL);
        expect(c.ctl(2, op, 3, EPOLLIN)).toBe(EINVAL);
        expect(c.ctl(2, op, 3, EPOLLIN | EPOLLEXCLUSIVE)).toBe(EINVAL);
      }
      expect(c.interest(2)).toEqual([{ fd: 1, events: EPOLLIN | EPOLLERR | EPOLLHUP, armed: true, queued: false }]);
    });

    it('EEXIST for ADD of a present item; ENOENT for MOD and DEL of an absent one', () => {
      const c = create();
      setup(c, [1], [2]);
      expect(c.ctl(2, MOD, 1, EPOLLIN)).toBe(ENOENT);
      expect(c.ctl(2, DEL, 1, 0)).toBe(ENOENT);
      expect(c.ctl(2, ADD, 1, EPOLLIN)).toBe(0);
      expect(c.ctl(2, ADD, 1, EPOLLOUT)).toBe(EEXIST);
      expect(c.ctl(2, MOD, 1, EPOLLOUT)).toBe(0);
      expect(c.ctl(2, DEL, 1, 0)).toBe(0);
      expect(c.ctl(2, DEL, 1, 0)).toBe(ENOENT);
      expect(c.ctl(2, MOD, 1, EPOLLIN)).toBe(ENOENT);
    });

    it('ELOOP: a cycle, of two or of three instances', () => {
      // epoll_ctl(2): ELOOP when "fd refers to an epoll instance and this EPOLL_CTL_ADD
      // operation would result in a circular loop of epoll instances".
      const c = create();
      setup(c, [], [1, 2, 3]);
      expect(c.ctl(1, ADD, 2, EPOLLIN)).toBe(0);
      expect(c.ctl(2, ADD, 1, EPOLLIN)).toBe(ELOOP);
      expect(c.ctl(2, ADD, 3, EPOLLIN)).toBe(0);
      expect(c.ctl(3, ADD, 1, EPOLLIN)).toBe(ELOOP);
      expect(c.ctl(3, ADD, 2, EPOLLIN)).toBe(ELOOP);
      expect(c.ctl(1, ADD, 3, EPOLLIN)).toBe(0); // a diamond is not a cycle
      expect(c.interest(3)).toEqual([]);
    });

    it('ELOOP comes before EEXIST/ENOENT only for ADD; DEL and MOD never check loops', () => {
      const c = create();
      setup(c, [], [1, 2]);
      expect(c.ctl(1, ADD, 2, EPOLLIN)).toBe(0);
      expect(c.ctl(2, MOD, 1, EPOLLIN)).toBe(ENOENT);
      expect(c.ctl(2, DEL, 1, 0)).toBe(ENOENT);
      expect(c.ctl(1, ADD, 2, EPOLLIN)).toBe(EEXIST);
    });

    it('ELOOP: a chain of 5 instances works, 6 fails when added at the bottom', () => {
      // Linux's EP_MAX_NESTS = 4: ep_loop_check fails when down(T) + 1 + up(E) > 4.
      const c = create();
      setup(c, [100], [1, 2, 3, 4, 5, 6]);
      for (let e = 1; e < 5; e++) expect(c.ctl(e, ADD, e + 1, EPOLLIN)).toBe(0);
      expect(c.ctl(5, ADD, 100, EPOLLIN)).toBe(0); // a source below does not count
      expect(c.ctl(5, ADD, 6, EPOLLIN)).toBe(ELOOP);
      expect(c.interest(5)).toEqual([{ fd: 100, events: EPOLLIN | EPOLLERR | EPOLLHUP, armed: true, queued: false }]);
    });

    it('ELOOP: a chain of 6 formed by adding at the top', () => {
      const c = create();
      setup(c, [], [1, 2, 3, 4, 5, 6]);
      for (let e = 2; e < 6; e++) expect(c.ctl(e, ADD, e + 1, EPOLLIN)).toBe(0); // 2..6: 5 instances
      expect(c.ctl(1, ADD, 2, EPOLLIN)).toBe(ELOOP);
      expect(c.ctl(1, ADD, 3, EPOLLIN)).toBe(0); // 1,3,4,5,6: 5 instances
    });

    it('ELOOP: a chain of 6 formed by joining two chains in the middle', () => {
      const c = create();
      setup(c, [], [1, 2, 3, 4, 5, 6]);
      expect(c.ctl(1, ADD, 2, EPOLLIN)).toBe(0);
      expect(c.ctl(2, ADD, 3, EPOLLIN)).toBe(0);
      expect(c.ctl(4, ADD, 5, EPOLLIN)).toBe(0);
      expect(c.ctl(5, ADD, 6, EPOLLIN)).toBe(0);
      expect(c.ctl(3, ADD, 4, EPOLLIN)).toBe(ELOOP); // 1..6
      expect(c.ctl(2, ADD, 4, EPOLLIN)).toBe(0); // 1,2,4,5,6
      expect(c.ctl(3, ADD, 5, EPOLLIN)).toBe(0); // 1,2,3,5,6
    });

    it('ELOOP uses the longest path: down over all children, up over all watchers', () => {
      const c = create();
      setup(c, [], [1, 2, 3, 4, 5, 6, 7, 8]);
      // 7 has a short (7 -> 8) and a long (7 -> 1 -> 2 -> 3) branch below: down(7) = 3.
      expect(c.ctl(7, ADD, 8, EPOLLIN)).toBe(0);
      expect(c.ctl(1, ADD, 2, EPOLLIN)).toBe(0);
      expect(c.ctl(2, ADD, 3, EPOLLIN)).toBe(0);
      expect(c.ctl(7, ADD, 1, EPOLLIN)).toBe(0);
      // 5 is watched by 4 directly and by 6 <- ... : up(5) = 1.
      expect(c.ctl(4, ADD, 5, EPOLLIN)).toBe(0);
      expect(c.ctl(5, ADD, 7, EPOLLIN)).toBe(ELOOP); // 4,5,7,1,2,3: 6
      expect(c.ctl(6, ADD, 7, EPOLLIN)).toBe(0); // 6,7,1,2,3: 5
    });

    it('the chain limit is counted again after a close breaks a chain', () => {
      const c = create();
      setup(c, [], [1, 2, 3, 4, 5, 6]);
      for (let e = 1; e < 5; e++) expect(c.ctl(e, ADD, e + 1, EPOLLIN)).toBe(0);
      expect(c.ctl(5, ADD, 6, EPOLLIN)).toBe(ELOOP);
      expect(c.close(1)).toBe(0);
      expect(c.ctl(5, ADD, 6, EPOLLIN)).toBe(0);
    });
  });

  // ------------------------------------------------------------------ ep_ctl effects

  describe('ep_ctl effects', () => {
    it('ADD stores (events & EVENT_BITS) | ERR | HUP, unsigned; bit 27 and others are dropped', () => {
      const c = create();
      setup(c, [1, 3, 4], [2]);
      expect(c.ctl(2, ADD, 1, (EPOLLIN | EPOLLET) | 0)).toBe(0); // negative i32 spelling
      expect(c.ctl(2, ADD, 3, u(EPOLLOUT | EPOLLET | EPOLLONESHOT | EPOLLWAKEUP))).toBe(0);
      expect(c.ctl(2, ADD, 4, EPOLLPRI | (1 << 27) | (1 << 20) | (1 << 14))).toBe(0);
      expect(c.interest(2)).toEqual([
        { fd: 1, events: u(EPOLLIN | EPOLLET | EPOLLERR | EPOLLHUP), armed: true, queued: false },
        { fd: 3, events: u(EPOLLOUT | EPOLLET | EPOLLONESHOT | EPOLLWAKEUP | EPOLLERR | EPOLLHUP), armed: true, queued: false },
        { fd: 4, events: EPOLLPRI | EPOLLERR | EPOLLHUP, armed: true, queued: false },
      ]);
    });

    it('ADD of a ready fd queues it at once; of a not-ready one does not', () => {
      const c = create();
      setup(c, [1, 3], [2]);
      c.set(1, EPOLLIN, 0);
      c.set(3, EPOLLOUT, 0);
      expect(c.ctl(2, ADD, 1, EPOLLIN)).toBe(0);
      expect(c.ctl(2, ADD, 3, EPOLLIN)).toBe(0);
      expect(c.readyList(2)).toEqual([1]);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
    });

    it('MOD re-evaluates: a queued item is never removed, a stale one is dropped at the wait', () => {
      const c = create();
      setup(c, [1], [2]);
      c.set(1, EPOLLIN, 0);
      expect(c.ctl(2, ADD, 1, EPOLLIN)).toBe(0);
      expect(c.ctl(2, MOD, 1, EPOLLOUT)).toBe(0);
      expect(c.readyList(2)).toEqual([1]);
      expect(wait(c, 2)).toEqual([]);
      expect(c.readyList(2)).toEqual([]);
      expect(c.ctl(2, MOD, 1, EPOLLIN | EPOLLOUT)).toBe(0);
      expect(c.readyList(2)).toEqual([1]);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
    });

    it('DEL removes the item from the interest and ready lists and from the watcher list', () => {
      const c = create();
      setup(c, [1, 3], [2]);
      c.set(1, EPOLLIN, 0);
      c.ctl(2, ADD, 1, EPOLLIN);
      c.ctl(2, ADD, 3, EPOLLIN);
      expect(c.readyList(2)).toEqual([1]);
      expect(c.ctl(2, DEL, 1, 0)).toBe(0);
      expect(c.readyList(2)).toEqual([]);
      expect(c.interest(2)).toEqual([{ fd: 3, events: EPOLLIN | EPOLLERR | EPOLLHUP, armed: true, queued: false }]);
      c.set(1, EPOLLIN, EPOLLIN);
      expect(wait(c, 2)).toEqual([]);
      expect(c.ctl(2, ADD, 1, EPOLLIN)).toBe(0); // re-ADD: a new registration, evaluated again
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
    });

    it('the interest list keeps insertion order; the ready list is FIFO by delivery', () => {
      const c = create();
      setup(c, [1, 3, 4], [2]);
      c.ctl(2, ADD, 4, EPOLLIN);
      c.ctl(2, ADD, 1, EPOLLIN);
      c.ctl(2, ADD, 3, EPOLLIN);
      c.set(3, EPOLLIN, EPOLLIN);
      c.set(4, EPOLLIN, EPOLLIN);
      c.set(1, EPOLLIN, EPOLLIN);
      c.set(3, EPOLLIN, EPOLLIN); // already queued: stays in place
      expect((c.interest(2) as Array<{ fd: number }>).map((e) => e.fd)).toEqual([4, 1, 3]);
      expect(c.readyList(2)).toEqual([3, 4, 1]);
      expect(wait(c, 2)).toEqual([[3, EPOLLIN], [4, EPOLLIN], [1, EPOLLIN]]);
    });
  });

  // ------------------------------------------------------------------ ep_wait

  describe('ep_wait', () => {
    it('EBADF when not open, EINVAL for a source or maxEvents <= 0', () => {
      // epoll_wait(2): EINVAL "maxevents is less than or equal to zero".
      const c = create();
      setup(c, [1], [2]);
      expect(c.wait(9, 1)).toBe(EBADF);
      expect(c.wait(-1, 1)).toBe(EBADF);
      expect(c.wait(1, 1)).toBe(EINVAL);
      expect(c.wait(2, 0)).toBe(EINVAL);
      expect(c.wait(2, -1)).toBe(EINVAL);
      expect(c.wait(2, -(2 ** 31))).toBe(EINVAL);
      expect(c.wait(2, 1)).toBe(0);
    });

    it('checks maxEvents before the fd, as Linux does', () => {
      // do_epoll_wait: "if (maxevents <= 0 || ...) return -EINVAL;" comes before fdget(epfd).
      const c = create();
      setup(c, [1], [2]);
      expect(c.wait(9, 0)).toBe(EINVAL);
      expect(c.wait(-1, -1)).toBe(EINVAL);
      expect(c.wait(1, 0)).toBe(EINVAL);
    });

    it('an invalid maxEvents consumes nothing', () => {
      const c = watching(EPOLLIN | EPOLLET);
      c.set(1, EPOLLIN, EPOLLIN);
      expect(c.wait(2, 0)).toBe(EINVAL);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
    });

    it('LT: reported by every wait while ready, not after the level drops', () => {
      // epoll(7): level-triggered has the semantics of poll(2).
      const c = watching(EPOLLIN);
      c.set(1, EPOLLIN, EPOLLIN);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
      c.set(1, 0, 0);
      expect(wait(c, 2)).toEqual([]);
      expect(c.readyList(2)).toEqual([]);
      c.set(1, EPOLLIN, 0); // a level without an edge queues nothing
      expect(wait(c, 2)).toEqual([]);
    });

    it('ET: reported once, again on a new edge even if undrained', () => {
      // epoll(7): "multiple events can be generated upon receipt of multiple chunks of data".
      const c = watching(EPOLLIN | EPOLLET);
      c.set(1, EPOLLIN, EPOLLIN);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
      expect(wait(c, 2)).toEqual([]);
      expect(c.interest(2)).toEqual([{ fd: 1, events: u(EPOLLIN | EPOLLET | EPOLLERR | EPOLLHUP), armed: true, queued: false }]);
      c.set(1, EPOLLIN, EPOLLIN);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
      expect(wait(c, 2)).toEqual([]);
    });

    it('ET: not reported again after set() without an edge', () => {
      // epoll(7) pipe example: the second epoll_wait may block although data remains.
      const c = watching(EPOLLIN | EPOLLET);
      c.set(1, EPOLLIN, EPOLLIN);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
      c.set(1, EPOLLIN | EPOLLOUT, 0);
      expect(wait(c, 2)).toEqual([]);
    });

    it('ET: an edge that does not match the interest mask is ignored', () => {
      const c = watching(EPOLLIN | EPOLLET);
      c.set(1, EPOLLIN | EPOLLOUT, EPOLLOUT);
      expect(wait(c, 2)).toEqual([]);
      c.set(1, EPOLLIN | EPOLLOUT, EPOLLIN | EPOLLOUT);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
    });

    it('ONESHOT: disarmed after one report, stays registered (EEXIST), MOD re-arms and re-evaluates', () => {
      // epoll(7): with EPOLLONESHOT the fd is disabled after one event until EPOLL_CTL_MOD.
      const c = watching(EPOLLIN | EPOLLONESHOT);
      c.set(1, EPOLLIN, EPOLLIN);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
      expect(wait(c, 2)).toEqual([]);
      c.set(1, EPOLLIN, EPOLLIN); // wakeups skip a disarmed item
      expect(c.readyList(2)).toEqual([]);
      expect(wait(c, 2)).toEqual([]);
      expect(c.interest(2)).toEqual([{ fd: 1, events: EPOLLIN | EPOLLONESHOT | EPOLLERR | EPOLLHUP, armed: false, queued: false }]);
      expect(c.ctl(2, ADD, 1, EPOLLIN)).toBe(EEXIST);
      expect(c.ctl(2, MOD, 1, EPOLLIN | EPOLLONESHOT)).toBe(0);
      expect(c.interest(2)).toEqual([{ fd: 1, events: EPOLLIN | EPOLLONESHOT | EPOLLERR | EPOLLHUP, armed: true, queued: true }]);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
      expect(wait(c, 2)).toEqual([]);
      c.set(1, 0, 0);
      expect(c.ctl(2, MOD, 1, EPOLLIN | EPOLLONESHOT)).toBe(0); // re-armed, not ready
      expect(wait(c, 2)).toEqual([]);
      c.set(1, EPOLLIN, EPOLLIN);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
    });

    it('ONESHOT: a disarmed item is not reported even while its level is high (ERR/HUP too)', () => {
      const c = watching(EPOLLIN | EPOLLONESHOT);
      c.set(1, EPOLLIN, EPOLLIN);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
      c.set(1, EPOLLIN | EPOLLHUP | EPOLLERR, EPOLLHUP | EPOLLERR);
      expect(wait(c, 2)).toEqual([]);
      expect(c.level(2)).toBe(0);
    });

    it('ONESHOT with MOD to a mask without ONESHOT makes the item LT again', () => {
      const c = watching(EPOLLIN | EPOLLONESHOT);
      c.set(1, EPOLLIN, EPOLLIN);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
      c.ctl(2, MOD, 1, EPOLLIN);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
    });

    it('MOD of a still-ready ET item reports it again (epoll59)', () => {
      // epoll_ctl(2) / Linux's selftest epoll59: EPOLL_CTL_MOD rereads available I/O.
      const c = watching(EPOLLIN | EPOLLET);
      c.set(1, EPOLLIN, EPOLLIN);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
      expect(wait(c, 2)).toEqual([]);
      expect(c.ctl(2, MOD, 1, EPOLLIN | EPOLLET)).toBe(0);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
      expect(wait(c, 2)).toEqual([]);
    });

    it('ERR and HUP are reported without being requested', () => {
      // epoll_ctl(2): EPOLLERR/EPOLLHUP are always reported; it is not necessary to set them.
      const c = create();
      setup(c, [1, 3], [2]);
      c.ctl(2, ADD, 1, EPOLLOUT);
      c.ctl(2, ADD, 3, 0);
      expect(c.interest(2)).toEqual([
        { fd: 1, events: EPOLLOUT | EPOLLERR | EPOLLHUP, armed: true, queued: false },
        { fd: 3, events: EPOLLERR | EPOLLHUP, armed: true, queued: false },
      ]);
      c.set(1, EPOLLIN | EPOLLHUP, EPOLLHUP);
      c.set(3, EPOLLIN | EPOLLERR, EPOLLERR);
      expect(wait(c, 2)).toEqual([[1, EPOLLHUP], [3, EPOLLERR]]);
      c.ctl(2, MOD, 1, EPOLLOUT); // MOD adds them too (and leaves the requeued LT item in place)
      expect(wait(c, 2)).toEqual([[1, EPOLLHUP], [3, EPOLLERR]]);
    });

    it('the reported mask is level & interest: input flags never, unrequested bits never', () => {
      const c = watching((EPOLLIN | EPOLLET | EPOLLONESHOT | EPOLLWAKEUP) | 0);
      c.set(1, EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLMSG, EPOLLIN);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
    });

    it('several wakeups coalesce into one entry holding the level at the time of the wait', () => {
      // epoll(7): events between two epoll_wait calls are combined into one entry.
      const c = watching(EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
      c.set(1, EPOLLIN, EPOLLIN);
      c.set(1, EPOLLIN | EPOLLOUT, EPOLLOUT);
      c.set(1, EPOLLIN | EPOLLOUT | EPOLLRDHUP, EPOLLRDHUP);
      expect(c.readyList(2)).toEqual([1]);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN | EPOLLOUT | EPOLLRDHUP]]);
      c.set(1, EPOLLIN, EPOLLIN);
      c.set(1, EPOLLOUT, 0); // IN went away before the wait
      expect(wait(c, 2)).toEqual([[1, EPOLLOUT]]);
    });

    it('round-robin when more are ready than maxEvents', () => {
      // epoll_wait(2): successive calls round-robin through the set of ready fds.
      const c = create();
      setup(c, [1, 3, 4], [2]);
      for (const fd of [1, 3, 4]) {
        c.ctl(2, ADD, fd, EPOLLIN);
        c.set(fd, EPOLLIN, EPOLLIN);
      }
      expect(wait(c, 2, 2)).toEqual([[1, EPOLLIN], [3, EPOLLIN]]);
      expect(c.readyList(2)).toEqual([4, 1, 3]);
      expect(wait(c, 2, 2)).toEqual([[4, EPOLLIN], [1, EPOLLIN]]);
      expect(wait(c, 2, 2)).toEqual([[3, EPOLLIN], [4, EPOLLIN]]);
      expect(wait(c, 2, 1)).toEqual([[1, EPOLLIN]]);
      expect(wait(c, 2, 5)).toEqual([[3, EPOLLIN], [4, EPOLLIN], [1, EPOLLIN]]);
    });

    it('the rest of the batch goes back in front; stale items are dropped without counting', () => {
      const c = create();
      setup(c, [1, 3, 4, 5], [2]);
      c.ctl(2, ADD, 1, EPOLLIN | EPOLLET);
      c.ctl(2, ADD, 3, EPOLLIN);
      c.ctl(2, ADD, 4, EPOLLIN);
      c.ctl(2, ADD, 5, EPOLLIN | EPOLLET);
      for (const fd of [1, 3, 4, 5]) c.set(fd, EPOLLIN, EPOLLIN);
      c.set(3, 0, 0); // stale
      expect(wait(c, 2, 2)).toEqual([[1, EPOLLIN], [4, EPOLLIN]]);
      // 3 was dropped, 5 put back in front of the requeued 4; ET 1 is not requeued.
      expect(c.readyList(2)).toEqual([5, 4]);
      expect(c.interest(2)).toEqual([
        { fd: 1, events: u(EPOLLIN | EPOLLET | EPOLLERR | EPOLLHUP), armed: true, queued: false },
        { fd: 3, events: EPOLLIN | EPOLLERR | EPOLLHUP, armed: true, queued: false },
        { fd: 4, events: EPOLLIN | EPOLLERR | EPOLLHUP, armed: true, queued: true },
        { fd: 5, events: u(EPOLLIN | EPOLLET | EPOLLERR | EPOLLHUP), armed: true, queued: true },
      ]);
    });

    it('an item whose level dropped before the wait is not reported', () => {
      const c = create();
      setup(c, [1, 3], [2]);
      c.ctl(2, ADD, 1, EPOLLIN | EPOLLET);
      c.ctl(2, ADD, 3, EPOLLIN);
      c.set(1, EPOLLIN, EPOLLIN);
      c.set(3, EPOLLIN, EPOLLIN);
      c.set(1, 0, 0);
      c.set(3, EPOLLOUT, 0);
      expect(wait(c, 2)).toEqual([]);
      expect(c.readyList(2)).toEqual([]);
      c.set(1, 0, EPOLLIN); // an edge while the level is 0 queues an item that reports nothing
      expect(c.readyList(2)).toEqual([1]);
      expect(wait(c, 2)).toEqual([]);
    });

    it('eventFd / eventMask read the last successful wait', () => {
      const c = create();
      setup(c, [1, 3], [2]);
      c.ctl(2, ADD, 1, EPOLLIN);
      c.ctl(2, ADD, 3, EPOLLOUT);
      c.set(1, EPOLLIN, EPOLLIN);
      c.set(3, EPOLLOUT, EPOLLOUT);
      expect(c.wait(2, 8)).toBe(2);
      expect([c.eventFd(0), c.eventMask(0), c.eventFd(1), c.eventMask(1)]).toEqual([1, EPOLLIN, 3, EPOLLOUT]);
    });
  });

  // ------------------------------------------------------------------ close and reuse

  describe('close', () => {
    it('removes the fd from every instance watching it', () => {
      // epoll(7): closing a (last) fd removes it from all interest lists.
      const c = create();
      setup(c, [1, 5], [2, 3, 4]);
      for (const ep of [2, 3, 4]) c.ctl(ep, ADD, 1, EPOLLIN);
      c.ctl(3, ADD, 5, EPOLLIN);
      c.set(1, EPOLLIN, EPOLLIN);
      expect(c.close(1)).toBe(0);
      expect(c.interest(2)).toEqual([]);
      expect(c.interest(3)).toEqual([{ fd: 5, events: EPOLLIN | EPOLLERR | EPOLLHUP, armed: true, queued: false }]);
      expect(c.interest(4)).toEqual([]);
      for (const ep of [2, 3, 4]) {
        expect(c.readyList(ep)).toEqual([]);
        expect(wait(c, ep)).toEqual([]);
        expect(c.level(ep)).toBe(0);
      }
    });

    it('a reused number never sees an old event, and its generation changes', () => {
      const c = watching(EPOLLIN);
      c.set(1, EPOLLIN, EPOLLIN);
      expect(c.generation(1)).toBe(1);
      c.close(1);
      expect(c.open(1)).toBe(0);
      expect(c.generation(1)).toBe(2);
      expect(c.level(1)).toBe(0);
      expect(wait(c, 2)).toEqual([]);
      c.set(1, EPOLLIN, EPOLLIN); // the new descriptor is not registered
      expect(wait(c, 2)).toEqual([]);
      expect(c.ctl(2, MOD, 1, EPOLLIN)).toBe(ENOENT);
      expect(c.ctl(2, ADD, 1, EPOLLIN)).toBe(0);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
    });

    it('closing an instance removes its items from their fds, and it from the instances watching it', () => {
      const c = create();
      setup(c, [1], [2, 3]);
      c.ctl(2, ADD, 1, EPOLLIN);
      c.ctl(3, ADD, 2, EPOLLIN);
      c.set(1, EPOLLIN, EPOLLIN);
      expect(c.readyList(3)).toEqual([2]);
      expect(c.close(2)).toBe(0);
      expect(c.interest(3)).toEqual([]);
      expect(wait(c, 3)).toEqual([]);
      expect(c.epollCreate(2)).toBe(0);
      expect(c.generation(2)).toBe(2);
      expect(c.interest(2)).toEqual([]);
      c.set(1, EPOLLIN, EPOLLIN); // nothing watches 1 any more
      expect(c.readyList(2)).toEqual([]);
      expect(wait(c, 2)).toEqual([]);
      expect(c.ctl(2, ADD, 1, EPOLLIN)).toBe(0);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
    });
  });

  // ------------------------------------------------------------------ nesting

  describe('nested instances', () => {
    it('an instance is readable (IN|RDNORM) while it has something to report', () => {
      // epoll(7): an epoll fd is pollable; it is readable when it has events waiting.
      const c = create();
      setup(c, [1], [2, 3]);
      c.ctl(2, ADD, 1, EPOLLIN);
      c.ctl(3, ADD, 2, EPOLLIN);
      expect(c.level(2)).toBe(0);
      c.set(1, EPOLLIN, EPOLLIN);
      expect(c.level(2)).toBe(READY);
      expect(c.level(3)).toBe(READY);
      expect(wait(c, 3)).toEqual([[2, EPOLLIN]]);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
      c.set(1, 0, 0);
      expect(wait(c, 3)).toEqual([]); // the inner instance is no longer ready: dropped
      expect(c.level(2)).toBe(0);
    });

    it('polling an inner instance does not consume its ET events (epoll6)', () => {
      // Linux's selftest epoll6: poll() on an epoll fd must not eat its edge-triggered events.
      const c = watching(EPOLLIN | EPOLLET);
      c.set(1, EPOLLIN, EPOLLIN);
      expect(c.level(2)).toBe(READY);
      expect(c.level(2)).toBe(READY);
      expect(poll(c, [[2, EPOLLIN]])).toEqual({ count: 1, revents: [EPOLLIN] });
      expect(select(c, [2], [], [])).toEqual({ count: 1, ready: [1] });
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
      expect(c.level(2)).toBe(0);
    });

    it('an inner wait does not consume the outer event, but the outer one reports only while the inner is ready', () => {
      const c = create();
      setup(c, [1], [2, 3]);
      c.ctl(2, ADD, 1, EPOLLIN | EPOLLET);
      c.ctl(3, ADD, 2, EPOLLIN);
      c.set(1, EPOLLIN, EPOLLIN);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
      expect(c.readyList(3)).toEqual([2]);
      expect(wait(c, 3)).toEqual([]); // inner drained: the queued outer item is stale
    });

    it('an outer ET item is re-reported on each delivery in the inner instance', () => {
      // ep_poll_callback propagates upward on every wakeup, even when the item was already queued.
      const c = create();
      setup(c, [1], [2, 3]);
      c.ctl(2, ADD, 1, EPOLLIN); // LT inside
      c.ctl(3, ADD, 2, EPOLLIN | EPOLLET); // ET outside
      c.set(1, EPOLLIN, EPOLLIN);
      expect(wait(c, 3)).toEqual([[2, EPOLLIN]]);
      expect(wait(c, 3)).toEqual([]);
      c.set(1, EPOLLIN, EPOLLIN); // inner item already queued: still a delivery
      expect(c.readyList(2)).toEqual([1]);
      expect(wait(c, 3)).toEqual([[2, EPOLLIN]]);
      expect(wait(c, 3)).toEqual([]);
    });

    it('propagation runs up a chain of five, and the upward wakeup is EPOLLIN alone', () => {
      // Linux's ep_poll_safewake wakes the instance's poll_wait with EPOLLIN, so a watcher that
      // asked for RDNORM only is not woken, though the instance's level is IN|RDNORM.
      const c = create();
      setup(c, [1], [2, 3, 4, 5, 6, 7, 8]);
      c.ctl(2, ADD, 1, EPOLLOUT);
      c.ctl(3, ADD, 2, EPOLLIN | EPOLLET);
      c.ctl(4, ADD, 3, EPOLLIN | EPOLLRDNORM | EPOLLET);
      c.ctl(5, ADD, 4, EPOLLIN | EPOLLET);
      c.ctl(6, ADD, 5, EPOLLIN | EPOLLET);
      c.ctl(7, ADD, 4, EPOLLRDNORM | EPOLLET); // not woken by EPOLLIN
      c.ctl(8, ADD, 4, EPOLLOUT | EPOLLPRI); // never matches an instance's wakeup or level
      c.set(1, EPOLLOUT, EPOLLOUT);
      expect(c.readyList(7)).toEqual([]);
      expect(c.ctl(7, MOD, 4, EPOLLRDNORM | EPOLLET)).toBe(0); // MOD re-evaluates the level
      expect(wait(c, 7)).toEqual([[4, EPOLLRDNORM]]);
      expect(wait(c, 6)).toEqual([[5, EPOLLIN]]);
      expect(wait(c, 5)).toEqual([[4, EPOLLIN]]);
      expect(wait(c, 4)).toEqual([[3, EPOLLIN | EPOLLRDNORM]]);
      expect(wait(c, 3)).toEqual([[2, EPOLLIN]]);
      expect(c.readyList(8)).toEqual([]);
      expect(wait(c, 2)).toEqual([[1, EPOLLOUT]]);
    });

    it('computing an instance level drops stale items from the head only, up to the first ready one', () => {
      const c = create();
      setup(c, [1, 3, 4], [2]);
      for (const fd of [1, 3, 4]) {
        c.ctl(2, ADD, fd, EPOLLIN);
        c.set(fd, EPOLLIN, EPOLLIN);
      }
      c.set(1, 0, 0);
      c.set(4, 0, 0);
      expect(c.level(2)).toBe(READY);
      expect(c.readyList(2)).toEqual([3, 4]);
      c.set(3, 0, 0);
      expect(c.level(2)).toBe(0);
      expect(c.readyList(2)).toEqual([]);
    });

    it('a nested instance level recurses into the inner instance', () => {
      const c = create();
      setup(c, [1], [2, 3]);
      c.ctl(2, ADD, 1, EPOLLIN);
      c.ctl(3, ADD, 2, EPOLLIN);
      c.set(1, EPOLLIN, EPOLLIN);
      c.set(1, 0, 0);
      expect(c.readyList(2)).toEqual([1]);
      expect(c.level(3)).toBe(0);
      expect(c.readyList(3)).toEqual([]);
      expect(c.readyList(2)).toEqual([]); // dropped by the recursion
    });

    it('ADD of a ready inner instance queues it in the outer one', () => {
      const c = create();
      setup(c, [1], [2, 3]);
      c.ctl(2, ADD, 1, EPOLLIN);
      c.set(1, EPOLLIN, EPOLLIN);
      c.ctl(3, ADD, 2, EPOLLIN | EPOLLET);
      expect(wait(c, 3)).toEqual([[2, EPOLLIN]]);
    });
  });

  // ------------------------------------------------------------------ EXCLUSIVE

  describe('EXCLUSIVE', () => {
    it('exactly one of several exclusive instances gets a wakeup; non-exclusive ones all do', () => {
      // epoll_ctl(2): "one or more" exclusive instances; we always pick exactly one.
      const c = create();
      setup(c, [1], [2, 3, 4, 5, 6]);
      c.ctl(2, ADD, 1, EPOLLIN | EPOLLEXCLUSIVE);
      c.ctl(3, ADD, 1, EPOLLIN);
      c.ctl(4, ADD, 1, EPOLLIN | EPOLLEXCLUSIVE);
      c.ctl(5, ADD, 1, EPOLLIN);
      c.ctl(6, ADD, 1, EPOLLIN | EPOLLEXCLUSIVE);
      c.set(1, EPOLLIN, EPOLLIN);
      expect([2, 3, 4, 5, 6].map((ep) => c.readyList(ep))).toEqual([[1], [1], [], [1], []]);
    });

    it('the exclusive instance with waiters is preferred; with none, the first', () => {
      // Linux wakes the exclusive waiter that is actually blocked.
      const c = create();
      setup(c, [1], [2, 3, 4]);
      for (const ep of [2, 3, 4]) c.ctl(ep, ADD, 1, EPOLLIN | EPOLLEXCLUSIVE);
      c.setWaiters(4, 1);
      c.set(1, EPOLLIN, EPOLLIN);
      expect([2, 3, 4].map((ep) => c.readyList(ep))).toEqual([[], [], [1]]);
      expect(c.takeNotified()).toEqual([4]);
      c.setWaiters(3, 2);
      c.set(1, EPOLLIN, EPOLLIN);
      expect([2, 3, 4].map((ep) => c.readyList(ep))).toEqual([[], [1], [1]]); // 3 is first with waiters
      c.setWaiters(3, 0);
      c.setWaiters(4, 0);
      c.set(1, EPOLLIN, EPOLLIN);
      expect([2, 3, 4].map((ep) => c.readyList(ep))).toEqual([[1], [1], [1]]);
    });

    it('only eligible items take part: the mask must match the wakeup', () => {
      const c = create();
      setup(c, [1], [2, 3]);
      c.ctl(2, ADD, 1, EPOLLOUT | EPOLLEXCLUSIVE);
      c.ctl(3, ADD, 1, EPOLLIN | EPOLLEXCLUSIVE);
      c.set(1, EPOLLIN, EPOLLIN);
      expect([c.readyList(2), c.readyList(3)]).toEqual([[], [1]]);
      c.set(1, EPOLLIN | EPOLLHUP, EPOLLHUP); // both have HUP: the first gets it
      expect([c.readyList(2), c.readyList(3)]).toEqual([[1], [1]]);
    });

    it('the exclusive delivery comes after the non-exclusive ones', () => {
      const c = create();
      setup(c, [1], [2, 3]);
      c.ctl(2, ADD, 1, EPOLLIN | EPOLLEXCLUSIVE);
      c.ctl(3, ADD, 1, EPOLLIN);
      c.setWaiters(2, 1);
      c.setWaiters(3, 1);
      c.set(1, EPOLLIN, EPOLLIN);
      expect(c.takeNotified()).toEqual([3, 2]);
    });

    it('ADD evaluates each new exclusive item by itself: all ready ones are queued', () => {
      const c = create();
      setup(c, [1], [2, 3]);
      c.set(1, EPOLLIN, 0);
      c.ctl(2, ADD, 1, EPOLLIN | EPOLLEXCLUSIVE);
      c.ctl(3, ADD, 1, EPOLLIN | EPOLLEXCLUSIVE);
      expect([wait(c, 2), wait(c, 3)]).toEqual([[[1, EPOLLIN]], [[1, EPOLLIN]]]);
    });

    it('an exclusive item is LT by default and reported like any other', () => {
      const c = watching(EPOLLIN | EPOLLEXCLUSIVE);
      c.set(1, EPOLLIN, EPOLLIN);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
      expect(wait(c, 2)).toEqual([[1, EPOLLIN]]);
    });
  });

  // ------------------------------------------------------------------ notifications

  describe('waiters and notifications', () => {
    it('setWaiters: 0, EBADF, EINVAL for a source or n < 0', () => {
      const c = create();
      setup(c, [1], [2]);
      expect(c.setWaiters(2, 3)).toBe(0);
      expect(c.setWaiters(2, 0)).toBe(0);
      expect(c.setWaiters(9, 1)).toBe(EBADF);
      expect(c.setWaiters(1, 1)).toBe(EINVAL);
      expect(c.setWaiters(2, -1)).toBe(EINVAL);
      expect(c.setWaiters(9, -1)).toBe(EBADF);
    });

    it('only instances with waiters are notified; set() returns the list length', () => {
      const c = create();
      setup(c, [1], [2, 3]);
      c.ctl(2, ADD, 1, EPOLLIN);
      c.ctl(3, ADD, 1, EPOLLIN);
      expect(c.set(1, EPOLLIN, EPOLLIN)).toBe(0);
      expect(c.takeNotified()).toEqual([]);
      c.setWaiters(3, 1);
      expect(c.set(1, EPOLLIN, EPOLLIN)).toBe(1);
      expect(c.set(1, EPOLLIN, 0)).toBe(1); // unchanged without an edge
      expect(c.takeNotified()).toEqual([3]);
      expect(c.takeNotified()).toEqual([]);
      expect(c.set(1, EPOLLIN, 0)).toBe(0);
    });

    it('FIFO, and no duplicates', () => {
      const c = create();
      setup(c, [1, 4], [2, 3]);
      c.ctl(2, ADD, 1, EPOLLIN);
      c.ctl(3, ADD, 4, EPOLLIN);
      c.setWaiters(2, 1);
      c.setWaiters(3, 1);
      expect(c.set(4, EPOLLIN, EPOLLIN)).toBe(1);
      expect(c.set(1, EPOLLIN, EPOLLIN)).toBe(2);
      expect(c.set(4, EPOLLIN, EPOLLIN)).toBe(2);
      expect(c.set(1, EPOLLIN, EPOLLIN)).toBe(2);
      expect(c.takeNotified()).toEqual([3, 2]);
    });

    it('a delivery to an already queued item notifies again after a take', () => {
      const c = watching(EPOLLIN);
      c.setWaiters(2, 1);
      c.set(1, EPOLLIN, EPOLLIN);
      expect(c.takeNotified()).toEqual([2]);
      c.set(1, EPOLLIN, EPOLLIN);
      expect(c.takeNotified()).toEqual([2]);
    });

    it('ADD and MOD deliveries notify too; a ready-less ADD does not', () => {
      const c = create();
      setup(c, [1, 3], [2]);
      c.setWaiters(2, 1);
      c.ctl(2, ADD, 3, EPOLLIN);
      expect(c.takeNotified()).toEqual([]);
      c.set(1, EPOLLIN, 0);
      c.ctl(2, ADD, 1, EPOLLIN | EPOLLET);
      expect(c.takeNotified()).toEqual([2]);
      wait(c, 2);
      c.ctl(2, MOD, 1, EPOLLIN | EPOLLET);
      expect(c.takeNotified()).toEqual([2]);
    });

    it('MOD of an already queued ready item is still a delivery: notifies and propagates upward', () => {
      // The doc's rule ("queued before or not"); Linux's ep_modify wakes only when it newly links the item.
      const c = create();
      setup(c, [1], [2, 3]);
      c.ctl(2, ADD, 1, EPOLLIN);
      c.ctl(3, ADD, 2, EPOLLIN | EPOLLET);
      c.set(1, EPOLLIN, EPOLLIN);
      expect(wait(c, 3)).toEqual([[2, EPOLLIN]]);
      c.setWaiters(2, 1);
      expect(c.readyList(2)).toEqual([1]);
      expect(c.ctl(2, MOD, 1, EPOLLIN)).toBe(0);
      expect(c.readyList(2)).toEqual([1]);
      expect(c.takeNotified()).toEqual([2]);
      expect(wait(c, 3)).toEqual([[2, EPOLLIN]]);
    });

    it('upward propagation notifies outer instances with waiters, inner first', () => {
      const c = create();
      setup(c, [1], [2, 3]);
      c.ctl(2, ADD, 1, EPOLLIN);
      c.ctl(3, ADD, 2, EPOLLIN);
      c.setWaiters(3, 1);
      c.set(1, EPOLLIN, EPOLLIN);
      expect(c.takeNotified()).toEqual([3]);
      c.setWaiters(2, 1);
      c.set(1, EPOLLIN, EPOLLIN);
      expect(c.takeNotified()).toEqual([2, 3]);
    });

    it('a closed instance leaves the list; a reopened number starts without waiters', () => {
      const c = create();
      setup(c, [1], [2, 3]);
      c.ctl(2, ADD, 1, EPOLLIN);
      c.ctl(3, ADD, 1, EPOLLIN);
      c.setWaiters(2, 1);
      c.setWaiters(3, 1);
      expect(c.set(1, EPOLLIN, EPOLLIN)).toBe(2);
      c.close(2);
      expect(c.takeNotified()).toEqual([3]);
      c.epollCreate(2);
      c.ctl(2, ADD, 1, EPOLLIN);
      expect(c.set(1, EPOLLIN, EPOLLIN)).toBe(1);
      expect(c.takeNotified()).toEqual([3]);
    });
  });

  // ------------------------------------------------------------------ scans

  describe('scan_poll', () => {
    it('negative fd gives 0, a closed one NVAL, else level & (events | ERR | HUP)', () => {
      // poll(2): a negative fd is ignored (revents 0); an fd that is not open gives POLLNVAL.
      const c = create();
      setup(c, [1, 3, 4], [2]);
      c.set(1, EPOLLIN | EPOLLOUT, 0);
      c.set(3, EPOLLIN | EPOLLHUP | EPOLLERR, 0);
      c.set(4, EPOLLPRI | EPOLLRDNORM, 0);
      expect(
        poll(c, [
          [-1, EPOLLIN],
          [9, EPOLLIN],
          [1, EPOLLIN],
          [1, EPOLLOUT | EPOLLPRI],
          [3, EPOLLOUT],
          [3, 0],
          [4, EPOLLIN],
          [4, EPOLLPRI | EPOLLRDNORM],
          [2, EPOLLIN],
          [2 ** 24, EPOLLIN],
        ]),
      ).toEqual({
        count: 7,
        revents: [0, EPOLLNVAL, EPOLLIN, EPOLLOUT, EPOLLHUP | EPOLLERR, EPOLLHUP | EPOLLERR, 0, EPOLLPRI | EPOLLRDNORM, 0, EPOLLNVAL],
      });
    });

    it('an empty scan returns 0', () => {
      const c = create();
      expect(poll(c, [])).toEqual({ count: 0, revents: [] });
    });
  });

  describe('scan_select', () => {
    it('read, write and except sets use POLLIN_SET, POLLOUT_SET, POLLEX_SET', () => {
      // Linux fs/select.c: POLLIN_SET = RDNORM|RDBAND|IN|HUP|ERR, POLLOUT_SET = WRBAND|WRNORM|OUT|ERR,
      // POLLEX_SET = PRI.
      const c = create();
      const levels = [0, EPOLLIN, EPOLLRDNORM, EPOLLRDBAND, EPOLLHUP, EPOLLERR, EPOLLOUT, EPOLLWRNORM, EPOLLWRBAND, EPOLLPRI, EPOLLRDHUP | EPOLLMSG];
      levels.forEach((level, fd) => {
        c.open(fd);
        c.set(fd, level, 0);
      });
      const all = levels.map((_, fd) => fd);
      expect(select(c, all, [], [])).toEqual({ count: 5, ready: [0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0] });
      expect(select(c, [], all, [])).toEqual({ count: 4, ready: [0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0] });
      expect(select(c, [], [], all)).toEqual({ count: 1, ready: [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0] });
      expect(select(c, [1, 6], [1, 6], [9, 1])).toEqual({ count: 3, ready: [1, 0, 0, 1, 1, 0] });
    });

    it('an instance is read-ready while it has something to report', () => {
      const c = watching(EPOLLIN);
      expect(select(c, [2], [2], [2])).toEqual({ count: 0, ready: [0, 0, 0] });
      c.set(1, EPOLLIN, EPOLLIN);
      expect(select(c, [2], [2], [2])).toEqual({ count: 1, ready: [1, 0, 0] });
    });

    it('EBADF when any fd is not open (negative too), and nothing is written', () => {
      // select(2): EBADF "an invalid file descriptor was given in one of the sets".
      const c = create();
      setup(c, [1], []);
      c.set(1, EPOLLIN, 0);
      expect(select(c, [1], [], [7])).toEqual({ count: EBADF, ready: [9, 9] });
      expect(select(c, [1, -1], [], [])).toEqual({ count: EBADF, ready: [9, 9] });
      expect(select(c, [], [3], [])).toEqual({ count: EBADF, ready: [9] });
      expect(select(c, [], [], [])).toEqual({ count: 0, ready: [] });
    });

    it('EBADF drops nothing: a stale instance item survives a failed select', () => {
      const c = watching(EPOLLIN);
      c.set(1, EPOLLIN, EPOLLIN);
      c.set(1, 0, 0);
      expect(select(c, [2, 9], [], []).count).toBe(EBADF);
      expect(c.readyList(2)).toEqual([1]);
    });
  });

  // ------------------------------------------------------------------ inspection

  describe('inspection', () => {
    it('interest / readyList: EBADF when not open, EINVAL for a source', () => {
      const c = create();
      setup(c, [1], [2]);
      expect(c.interest(9)).toBe(EBADF);
      expect(c.readyList(9)).toBe(EBADF);
      expect(c.interest(1)).toBe(EINVAL);
      expect(c.readyList(1)).toBe(EINVAL);
      expect(c.interest(2)).toEqual([]);
      expect(c.readyList(2)).toEqual([]);
    });

    it('interest reports armed and queued state', () => {
      const c = create();
      setup(c, [1, 3], [2]);
      c.ctl(2, ADD, 1, (EPOLLIN | EPOLLONESHOT) | 0);
      c.ctl(2, ADD, 3, EPOLLIN);
      c.set(1, EPOLLIN, EPOLLIN);
      expect(c.interest(2)).toEqual([
        { fd: 1, events: EPOLLIN | EPOLLONESHOT | EPOLLERR | EPOLLHUP, armed: true, queued: true },
        { fd: 3, events: EPOLLIN | EPOLLERR | EPOLLHUP, armed: true, queued: false },
      ]);
      wait(c, 2);
      expect(c.interest(2)).toEqual([
        { fd: 1, events: EPOLLIN | EPOLLONESHOT | EPOLLERR | EPOLLHUP, armed: false, queued: false },
        { fd: 3, events: EPOLLIN | EPOLLERR | EPOLLHUP, armed: true, queued: false },
      ]);
    });

    it('many registrations and descriptors (tables grow) keep their state', () => {
      const c = create();
      setup(c, [], [0, 1]);
      for (let fd = 2; fd < 400; fd++) {
        expect(c.open(fd)).toBe(0);
        expect(c.ctl(fd % 2, ADD, fd, EPOLLIN)).toBe(0);
        c.set(fd, EPOLLIN, EPOLLIN);
      }
      expect(c.wait(0, 1000)).toBe(199);
      expect(c.eventFd(198)).toBe(398);
      expect((c.interest(1) as unknown[]).length).toBe(199);
      expect((c.readyList(1) as number[]).slice(0, 3)).toEqual([3, 5, 7]);
      for (let fd = 2; fd < 400; fd += 3) expect(c.close(fd)).toBe(0);
      expect(c.wait(1, 1000)).toBe(199 - 66);
      expect(c.generation(399)).toBe(1);
    });
  });
});
