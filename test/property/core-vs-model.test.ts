/**
 * The differential harness: every core under test (the WebAssembly core and the typed-array
 * port) runs the same sequences of operations as a fresh reference model (test/model/model.ts),
 * one suite over each core, as mio and smol-rs/polling run theirs over each backend. Every step
 * must give identical results (return codes, wait's full event list, notification lists, scan
 * outputs, inspection), and at the end of a sequence the whole observable state must agree.
 *
 * The sequences come from generators, each aimed at one part of the contract:
 * - `mixed`: every call, with descriptor arguments that are plain numbers (0..12, so that
 *   collisions and reuse happen, sometimes invalid) or references such as "the k-th open
 *   instance" or "the k-th registration", resolved against the model's state just before the
 *   step; every core then gets the same concrete arguments.
 * - `plain`: every call with raw numbers only, wide levels and masks (any i32, bits above
 *   LEVEL_BITS), after an optional prefix of instances at 0..2 and sources at 3..7.
 * - `nesting`: ADD and DEL among eight instances watching one source: ELOOP chains and cycles.
 * - `exclusive`: EXCLUSIVE wakeups across five instances, with and without waiters.
 * - `churn`: the ready and interest lists of one instance under ADD/MOD/DEL, LT/ET/ONESHOT and
 *   reopened sources.
 * and one fixed case, tables growing to 5000 descriptors and registrations.
 *
 * WASMUX_PROPERTY_RUNS sets the number of `mixed` sequences (default 10000); every other
 * generator runs a fifth as many. WASMUX_PROPERTY_SELF=1 adds the model itself as a core under
 * test (a sanity check of the harness).
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EPOLLIN, EPOLLPRI, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLNVAL, EPOLLRDNORM, EPOLLRDBAND, EPOLLWRNORM, EPOLLWRBAND,
  EPOLLMSG, EPOLLRDHUP, EPOLLEXCLUSIVE, EPOLLWAKEUP, EPOLLONESHOT, EPOLLET,
  EPOLL_CTL_ADD as ADD, EPOLL_CTL_DEL as DEL, EPOLL_CTL_MOD as MOD,
} from '../../src/core/constants.js';
import type { ReadinessCore } from '../../src/core/readiness-core.js';
import { createWasmCore } from '../../src/core/wasm-core.js';
import { createModelCore } from '../model/model.js';
import { createTypedCore } from '../model/typed-core.js';

const RUNS = Number(process.env.WASMUX_PROPERTY_RUNS ?? 10000);
/** Sequences of each targeted generator: 2000 by default. */
const TARGETED_RUNS = Math.max(1, Math.round(RUNS / 5));
const MAX_OPS = 60;
/** Descriptor numbers used by the sequences: small, so that collisions and reuse happen. */
const MAX_FD = 12;
/** The opening prefix puts instances mostly at 0..EPOLL_MAX and sources above. */
const EPOLL_MAX = 5;
const FDS = Array.from({ length: MAX_FD + 1 }, (_, i) => i);

// ------------------------------------------------------------------ cores under test

const cores: Array<[string, () => ReadinessCore]> = [
  ['wasm', createWasmCore],
  ['typed', createTypedCore],
];
if (process.env.WASMUX_PROPERTY_SELF === '1') cores.push(['model (self-check)', createModelCore]);

// ------------------------------------------------------------------ operations

/**
 * A descriptor argument: a number, or a reference resolved against the model's state: the
 * k-th (mod count) open instance, open source, open descriptor of either kind, instance with a
 * non-empty ready list ('busy'), or source that some instance watches ('watched').
 */
type FdRef = number | { ref: 'ep' | 'src' | 'open' | 'busy' | 'watched'; k: number };

type Op<F = FdRef> =
  | { t: 'open'; fd: F }
  | { t: 'epoll'; fd: F }
  | { t: 'close'; fd: F }
  | { t: 'set'; fd: F; level: number; edge: number }
  | { t: 'ctl'; epfd: F; op: number; fd: F; events: number }
  /** ctl on the k-th existing registration (any instance): MOD, DEL, or ADD again. */
  | { t: 'ctlItem'; k: number; op: number; events: number }
  /** ADD fds[i+1] into fds[i] along a path: chains, and cycles when a number repeats. */
  | { t: 'chain'; fds: F[]; events: number }
  | { t: 'wait'; epfd: F; max: number }
  | { t: 'waiters'; epfd: F; n: number }
  | { t: 'notified' }
  | { t: 'level'; fd: F }
  | { t: 'gen'; fd: F }
  | { t: 'poll'; entries: Array<[F, number]> }
  | { t: 'select'; r: F[]; w: F[]; x: F[] }
  | { t: 'interest'; epfd: F }
  | { t: 'ready'; epfd: F };

/** An op with every descriptor argument a plain number. */
type Concrete = Exclude<Op<number>, { t: 'ctlItem' }>;

const LEVEL_BIT_LIST = [
  EPOLLIN, EPOLLPRI, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLNVAL, EPOLLRDNORM, EPOLLRDBAND,
  EPOLLWRNORM, EPOLLWRBAND, EPOLLMSG, EPOLLRDHUP,
];
/** The bits interest masks are drawn from. */
const INTEREST_BIT_LIST = [EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLRDHUP, EPOLLRDNORM, EPOLLERR, EPOLLHUP];

const orAll = (bits: number[]): number => bits.reduce((a, b) => a | b, 0);

// ------------------------------------------------------------------ arbitraries

/** fc.oneof over [weight, arbitrary] pairs, one line a choice. */
function weighted<T>(...choices: Array<[number, fc.Arbitrary<T>]>): fc.Arbitrary<T> {
  return fc.oneof(...choices.map(([weight, arbitrary]) => ({ weight, arbitrary })));
}

const kArb = fc.nat(64);
/** A reference of one kind, to the k-th of its pool. */
const refArb = (ref: Exclude<FdRef, number>['ref'], kOf = kArb): fc.Arbitrary<FdRef> =>
  fc.record({ ref: fc.constant(ref), k: kOf });

const numberFdArb = weighted(
  [30, fc.integer({ min: 0, max: MAX_FD })],
  [1, fc.constantFrom(-1, -100, 2 ** 24, 2 ** 24 + 5)],
);
/** Any descriptor argument, mostly a plain number. */
const fdArb = weighted<FdRef>([3, numberFdArb], [1, refArb('open')]);
/** Mostly an open instance. */
const epfdArb = weighted<FdRef>([5, refArb('ep')], [1, numberFdArb]);
/** Mostly an open source, often a watched one. */
const srcArb = weighted<FdRef>([3, refArb('src')], [4, refArb('watched')], [1, numberFdArb]);
/** For waits: mostly an instance with something queued. */
const waitFdArb = weighted<FdRef>([4, refArb('busy')], [4, epfdArb]);
/** A target of ADD: a source, an instance, or any number. */
const targetArb = weighted<FdRef>([5, refArb('src')], [2, refArb('ep')], [2, numberFdArb]);

/** A level or an edge: a few level bits (IN/OUT often), sometimes any i32 (bits above LEVEL_BITS are dropped). */
const levelArb = weighted(
  [5, fc.array(fc.constantFrom(...LEVEL_BIT_LIST), { minLength: 1, maxLength: 3 }).map(orAll)],
  [8, fc.constantFrom(EPOLLIN, EPOLLOUT, EPOLLIN | EPOLLOUT, EPOLLIN | EPOLLRDNORM, EPOLLHUP)],
  [2, fc.constant(0)],
  [1, fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })],
);
const edgeArb = weighted([1, fc.constant(0)], [3, levelArb]);

/** Input flags, each present with some probability. */
const flagsArb = fc
  .record({
    et: fc.boolean(),
    oneshot: fc.nat(4).map((n) => n === 0),
    exclusive: fc.nat(9).map((n) => n === 0),
    wakeup: fc.nat(6).map((n) => n === 0),
  })
  .map(
    (f) =>
      (f.et ? EPOLLET : 0) |
      (f.oneshot ? EPOLLONESHOT : 0) |
      (f.exclusive ? EPOLLEXCLUSIVE : 0) |
      (f.wakeup ? EPOLLWAKEUP : 0),
  );

/** The ABI takes a mask with bit 31 as a negative i32 or as an unsigned number. */
const spell = (mask: number, unsigned: boolean): number => (unsigned ? mask >>> 0 : mask | 0);

/** An interest mask: event bits and flags; rarely a stray bit (bit 27 is the private DISARMED). */
const eventsArb = fc
  .tuple(
    weighted(
      [3, fc.array(fc.constantFrom(...INTEREST_BIT_LIST), { maxLength: 3 }).map(orAll)],
      [2, fc.constantFrom(EPOLLIN, EPOLLOUT, EPOLLIN | EPOLLOUT)],
    ),
    flagsArb,
    weighted(
      [20, fc.constant(0)],
      [1, fc.constantFrom(1 << 27, 1 << 14, 1 << 20, EPOLLNVAL, EPOLLWRNORM)],
    ),
    fc.boolean(),
  )
  .map(([bits, flags, stray, unsigned]) => spell(bits | flags | stray, unsigned));

/** An EXCLUSIVE mask that passes rule 3 (IN/OUT/ERR/HUP/WAKEUP/ET only). */
const exclusiveEventsArb = fc
  .tuple(
    fc.constantFrom(EPOLLIN, EPOLLOUT, EPOLLIN | EPOLLOUT, EPOLLIN | EPOLLERR | EPOLLHUP),
    fc.boolean(),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([bits, et, wakeup, unsigned]) =>
    spell(bits | EPOLLEXCLUSIVE | (et ? EPOLLET : 0) | (wakeup ? EPOLLWAKEUP : 0), unsigned),
  );

const anyEventsArb = weighted([5, eventsArb], [1, exclusiveEventsArb]);

const opCodeArb = weighted(
  [10, fc.constant(ADD)],
  [3, fc.constant(DEL)],
  [4, fc.constant(MOD)],
  [1, fc.constantFrom(0, 4, -1)],
);

const opArb: fc.Arbitrary<Op> = weighted<Op>(
  [3, fc.record({ t: fc.constant('open' as const), fd: numberFdArb })],
  [3, fc.record({ t: fc.constant('epoll' as const), fd: numberFdArb })],
  [4, fc.record({ t: fc.constant('close' as const), fd: fdArb })],
  // The edge is often the new level itself (new data), sometimes unrelated or 0.
  [
    16,
    fc
      .record({ fd: srcArb, level: levelArb, edge: edgeArb, same: fc.nat(2).map((n) => n > 0) })
      .map(({ fd, level, edge, same }): Op => ({ t: 'set', fd, level, edge: same ? level : edge })),
  ],
  [12, fc.record({ t: fc.constant('ctl' as const), epfd: epfdArb, op: opCodeArb, fd: targetArb, events: anyEventsArb })],
  [
    6,
    fc.record({
      t: fc.constant('ctlItem' as const),
      k: kArb,
      op: weighted([5, fc.constant(MOD)], [2, fc.constant(DEL)], [1, fc.constantFrom(ADD, 0, 4)]),
      events: weighted([8, eventsArb], [1, exclusiveEventsArb]),
    }),
  ],
  [
    2,
    fc.record({
      t: fc.constant('chain' as const),
      fds: fc.array(weighted([6, refArb('ep', fc.nat(7))], [1, numberFdArb]), { minLength: 2, maxLength: 8 }),
      events: fc.constantFrom(
        EPOLLIN, EPOLLIN | EPOLLET, (EPOLLIN | EPOLLONESHOT) | 0, EPOLLOUT, EPOLLRDNORM, EPOLLIN | EPOLLEXCLUSIVE,
      ),
    }),
  ],
  [
    12,
    fc.record({
      t: fc.constant('wait' as const),
      epfd: waitFdArb,
      max: weighted(
        [8, fc.integer({ min: 1, max: 4 })],
        [3, fc.constant(64)],
        [1, fc.constantFrom(0, -1, -(2 ** 31))],
      ),
    }),
  ],
  [
    4,
    fc.record({
      t: fc.constant('waiters' as const),
      epfd: epfdArb,
      n: weighted([6, fc.integer({ min: 0, max: 2 })], [1, fc.constant(-1)]),
    }),
  ],
  [3, fc.constant({ t: 'notified' as const })],
  [3, fc.record({ t: fc.constant('level' as const), fd: fdArb })],
  [1, fc.record({ t: fc.constant('gen' as const), fd: fdArb })],
  [
    2,
    fc.record({
      t: fc.constant('poll' as const),
      entries: fc.array(
        fc.tuple(
          weighted([6, fdArb], [1, fc.constant(-1)]),
          weighted(
            [4, fc.array(fc.constantFrom(...LEVEL_BIT_LIST), { maxLength: 3 }).map(orAll)],
            [1, fc.integer({ min: 0, max: 0x7fff })],
          ),
        ),
        { maxLength: 5 },
      ),
    }),
  ],
  [
    2,
    fc.record({
      t: fc.constant('select' as const),
      r: fc.array(fdArb, { maxLength: 3 }),
      w: fc.array(fdArb, { maxLength: 3 }),
      x: fc.array(fdArb, { maxLength: 2 }),
    }),
  ],
  [2, fc.record({ t: fc.constant('interest' as const), epfd: epfdArb })],
  [2, fc.record({ t: fc.constant('ready' as const), epfd: epfdArb })],
);

/** What the prefix opens at each number: mostly instances low, sources high, sometimes nothing. */
const prefixArb = fc.tuple(
  ...FDS.map((fd) =>
    fd <= EPOLL_MAX
      ? fc.constantFrom('epoll', 'epoll', 'epoll', 'open', 'none')
      : fc.constantFrom('open', 'open', 'open', 'open', 'epoll', 'none'),
  ),
);

/** After opening: a few registrations (so that waits have work), and waiters on some instances. */
const setupArb = fc.array(
  weighted<Op>(
    [4, fc.record({ t: fc.constant('ctl' as const), epfd: refArb('ep'), op: fc.constant(ADD), fd: targetArb, events: anyEventsArb })],
    [1, fc.record({ t: fc.constant('waiters' as const), epfd: refArb('ep'), n: fc.integer({ min: 0, max: 2 }) })],
  ),
  { maxLength: 12, size: 'max' },
);

const mixedArb: fc.Arbitrary<Op[]> = fc
  .tuple(prefixArb, setupArb, fc.array(opArb, { maxLength: MAX_OPS, size: 'max' }))
  .map(([kinds, setup, ops]) => [
    ...kinds.flatMap((t, fd): Op[] => (t === 'open' || t === 'epoll' ? [{ t, fd }] : [])),
    ...setup,
    ...ops,
  ]);

// ------------------------------------------------------------------ plain numbers

/** Descriptors 0..7 of the plain sequences, rarely an invalid or far one. */
const plainFdArb = weighted([12, fc.integer({ min: 0, max: 7 })], [1, fc.constantFrom(-1, 1 << 24, 5000)]);
/** The plain prefix opens instances at 0..2, so ctl and ready aim there more often. */
const plainEpfdArb = weighted([3, fc.integer({ min: 0, max: 2 })], [1, plainFdArb]);
const plainLevelArb = fc.oneof(
  fc.constantFrom(0, EPOLLIN, EPOLLOUT, EPOLLIN | EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLPRI, EPOLLIN | EPOLLRDNORM, EPOLLRDHUP),
  fc.integer({ min: 0, max: 0xffff }),
);
/** Flags alone and in pairs, with bit 31 as a negative i32. */
const plainFlagArb = fc.constantFrom(
  0, EPOLLET | 0, EPOLLONESHOT, EPOLLEXCLUSIVE, EPOLLWAKEUP, EPOLLET | EPOLLONESHOT, EPOLLEXCLUSIVE | EPOLLET,
);
const plainEventsArb = weighted(
  [
    6,
    fc
      .tuple(fc.constantFrom(EPOLLIN, EPOLLOUT, EPOLLIN | EPOLLOUT, EPOLLPRI, EPOLLIN | EPOLLRDNORM, EPOLLERR, EPOLLIN | EPOLLRDHUP), plainFlagArb)
      .map(([bits, flags]) => bits | flags),
  ],
  [1, fc.integer({ min: -0x80000000, max: 0x7fffffff })],
  [1, fc.constant((EPOLLIN | EPOLLET) >>> 0)],
);

const plainOpArb = weighted<Op>(
  [4, fc.record({ t: fc.constant('open' as const), fd: plainFdArb })],
  [3, fc.record({ t: fc.constant('epoll' as const), fd: plainFdArb })],
  [2, fc.record({ t: fc.constant('close' as const), fd: plainFdArb })],
  [6, fc.record({ t: fc.constant('set' as const), fd: plainFdArb, level: plainLevelArb, edge: fc.oneof(fc.constant(0), plainLevelArb, fc.constant(-1)) })],
  [3, fc.record({ t: fc.constant('level' as const), fd: plainFdArb })],
  [1, fc.record({ t: fc.constant('gen' as const), fd: plainFdArb })],
  [
    10,
    fc.record({
      t: fc.constant('ctl' as const),
      epfd: plainEpfdArb,
      op: weighted([8, fc.constantFrom(ADD, DEL, MOD)], [1, fc.constantFrom(0, 4, -1)]),
      fd: plainFdArb,
      events: plainEventsArb,
    }),
  ],
  [
    5,
    fc.record({
      t: fc.constant('wait' as const),
      epfd: plainFdArb,
      max: weighted([6, fc.integer({ min: 1, max: 4 })], [1, fc.constantFrom(0, -1, 64)]),
    }),
  ],
  [2, fc.record({ t: fc.constant('waiters' as const), epfd: plainEpfdArb, n: fc.integer({ min: -1, max: 2 }) })],
  [1, fc.constant({ t: 'notified' as const })],
  [
    2,
    fc.record({
      t: fc.constant('poll' as const),
      entries: fc.array(fc.tuple(fc.oneof(plainFdArb, fc.constant(-5)), fc.integer({ min: 0, max: 0x1ffff })), { maxLength: 6 }),
    }),
  ],
  [
    2,
    fc.record({ fds: fc.array(plainFdArb, { maxLength: 6 }), nr: fc.nat(6), nw: fc.nat(6) }).map(({ fds, nr, nw }): Op => {
      const r = Math.min(nr, fds.length);
      const w = Math.min(nw, fds.length - r);
      return { t: 'select', r: fds.slice(0, r), w: fds.slice(r, r + w), x: fds.slice(r + w) };
    }),
  ],
  [1, fc.record({ t: fc.constant('interest' as const), epfd: plainEpfdArb })],
  [3, fc.record({ t: fc.constant('ready' as const), epfd: plainEpfdArb })],
);

const plainArb: fc.Arbitrary<Op[]> = fc
  .tuple(fc.boolean(), fc.array(plainOpArb, { minLength: 10, maxLength: 150, size: 'max' }))
  .map(([prefix, ops]): Op[] => [
    ...(prefix ? FDS.slice(0, 8).map((fd): Op => ({ t: fd < 3 ? 'epoll' : 'open', fd })) : []),
    ...ops,
  ]);

// ------------------------------------------------------------------ targeted generators

/** A wait on `epfd` (its result carries the events). */
const waitOp = (epfd: number, max: number): Op => ({ t: 'wait', epfd, max });
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * Nesting: instances 0..7 each watch source 8, then random ADD/DEL edges among them (chains,
 * cycles: ELOOP); then an edge on 8 runs up whatever chains were made, and each instance is read.
 */
const nestingArb: fc.Arbitrary<Op[]> = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 7 }), fc.constantFrom(ADD, DEL)), { maxLength: 40, size: 'max' })
  .map((edges): Op[] => [
    ...range(0, 7).map((fd): Op => ({ t: 'epoll', fd })),
    { t: 'open', fd: 8 },
    ...range(0, 7).map((epfd): Op => ({ t: 'ctl', epfd, op: ADD, fd: 8, events: EPOLLIN })),
    ...edges.map(([epfd, fd, op]): Op => ({ t: 'ctl', epfd, op, fd, events: EPOLLIN | EPOLLET })),
    { t: 'set', fd: 8, level: EPOLLIN, edge: EPOLLIN },
    { t: 'notified' },
    ...range(0, 7).flatMap((fd): Op[] => [{ t: 'level', fd }, { t: 'ready', epfd: fd }, waitOp(fd, 8)]),
  ]);

/**
 * EXCLUSIVE: instances 1..5 watch source 0, each exclusively or ET; then level changes, waiters,
 * waits and ctl calls, each followed by the notification list and every ready list.
 */
const exclusiveArb: fc.Arbitrary<Op[]> = fc
  .tuple(
    fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
    fc.array(
      fc.oneof(
        fc.record({ t: fc.constant('set' as const), fd: fc.constant(0), level: fc.constantFrom(0, 1, 4, 5), edge: fc.constantFrom(0, 1, 4, 5) }),
        fc.record({ t: fc.constant('waiters' as const), epfd: fc.integer({ min: 1, max: 5 }), n: fc.integer({ min: 0, max: 2 }) }),
        fc.integer({ min: 1, max: 5 }).map((epfd) => waitOp(epfd, 4)),
        fc.record({ t: fc.constant('ctl' as const), epfd: fc.integer({ min: 1, max: 5 }), op: fc.constantFrom(ADD, DEL, MOD), fd: fc.constant(0), events: plainEventsArb }),
      ),
      { maxLength: 60, size: 'max' },
    ),
  )
  .map(([exclusive, steps]): Op[] => [
    { t: 'open', fd: 0 },
    ...range(1, 5).flatMap((epfd): Op[] => [
      { t: 'epoll', fd: epfd },
      { t: 'ctl', epfd, op: ADD, fd: 0, events: EPOLLIN | EPOLLOUT | (exclusive[epfd - 1] ? EPOLLEXCLUSIVE : EPOLLET) },
    ]),
    ...steps.flatMap((step): Op[] => [step, { t: 'notified' }, ...range(1, 5).map((epfd): Op => ({ t: 'ready', epfd }))]),
  ]);

/**
 * Churn: instance 0 over sources 1..6: ADD/MOD/DEL as LT, ET or ONESHOT, level changes, waits,
 * sources closed and reopened; each step followed by the ready and interest lists.
 */
const churnSrcArb = fc.integer({ min: 1, max: 6 });
const churnArb: fc.Arbitrary<Op[]> = fc
  .array(
    fc.oneof(
      fc
        .record({ op: fc.constantFrom(ADD, ADD, DEL, MOD), fd: churnSrcArb, lt: fc.boolean(), oneshot: fc.boolean() })
        .map(({ op, fd, lt, oneshot }): Op[] => [
          { t: 'ctl', epfd: 0, op, fd, events: EPOLLIN | EPOLLOUT | (lt ? 0 : EPOLLET) | (oneshot ? EPOLLONESHOT : 0) },
        ]),
      fc
        .record({ fd: churnSrcArb, level: fc.constantFrom(0, 1, 1, 4, 5), edge: fc.constantFrom(0, 1, 5) })
        .map(({ fd, level, edge }): Op[] => [{ t: 'set', fd, level, edge }]),
      fc.integer({ min: 1, max: 4 }).map((max) => [waitOp(0, max)]),
      churnSrcArb.map((fd): Op[] => [{ t: 'close', fd }, { t: 'open', fd }]),
      fc.constant([{ t: 'level', fd: 0 }] as Op[]),
    ),
    { maxLength: 80, size: 'max' },
  )
  .map((steps): Op[] => [
    { t: 'epoll', fd: 0 },
    ...range(1, 6).map((fd): Op => ({ t: 'open', fd })),
    ...steps.flatMap((step): Op[] => [...step, { t: 'ready', epfd: 0 }, { t: 'interest', epfd: 0 }]),
  ]);

/** Tables grow: 5000 sources in one instance (LT and ET), all ready, read 3000 at a time. */
function growthSequence(): Op[] {
  const ops: Op[] = [{ t: 'epoll', fd: 0 }];
  for (const fd of range(1, 5000)) {
    const events = fd % 3 === 0 ? EPOLLIN : EPOLLIN | EPOLLET;
    ops.push({ t: 'open', fd }, { t: 'ctl', epfd: 0, op: ADD, fd, events }, { t: 'set', fd, level: EPOLLIN, edge: EPOLLIN });
  }
  ops.push(waitOp(0, 3000), waitOp(0, 3000), waitOp(0, 3000), { t: 'ready', epfd: 0 });
  return ops;
}

// ------------------------------------------------------------------ resolving references

interface View {
  ep: number[];
  src: number[];
  busy: number[];
  watched: number[];
  /** Registrations as [epfd, fd]. */
  items: Array<[number, number]>;
}

/** The model's open instances and sources, and its registrations (inspection only: pure). */
function view(model: ReadinessCore): View {
  const v: View = { ep: [], src: [], busy: [], watched: [], items: [] };
  for (const fd of FDS) {
    const interest = model.interest(fd);
    if (Array.isArray(interest)) {
      v.ep.push(fd);
      for (const entry of interest) v.items.push([fd, entry.fd]);
      const ready = model.readyList(fd);
      if (Array.isArray(ready) && ready.length > 0) v.busy.push(fd);
    } else if (model.generation(fd) > 0) {
      v.src.push(fd);
    }
  }
  v.watched = v.src.filter((fd) => v.items.some((item) => item[1] === fd));
  return v;
}

/**
 * Replaces references by numbers (an empty category falls back to the number k % 13). The
 * model's state is read only when the op holds a reference, so plain sequences pay nothing.
 */
function resolve(model: ReadinessCore, op: Op): Concrete {
  let cached: View | undefined;
  const state = (): View => (cached ??= view(model));
  const fd = (f: FdRef): number => {
    if (typeof f === 'number') return f;
    const v = state();
    const pools = {
      ep: v.ep,
      src: v.src,
      open: [...v.ep, ...v.src].sort((a, b) => a - b),
      busy: v.busy.length > 0 ? v.busy : v.ep,
      watched: v.watched.length > 0 ? v.watched : v.src,
    };
    const pool = pools[f.ref];
    return pool.length > 0 ? pool[f.k % pool.length]! : f.k % (MAX_FD + 1);
  };
  switch (op.t) {
    case 'open':
    case 'epoll':
    case 'close':
    case 'level':
    case 'gen':
      return { ...op, fd: fd(op.fd) };
    case 'set':
      return { ...op, fd: fd(op.fd) };
    case 'ctl':
      return { ...op, epfd: fd(op.epfd), fd: fd(op.fd) };
    case 'ctlItem': {
      const items = state().items;
      const item = items.length > 0 ? items[op.k % items.length]! : [op.k % 6, 6 + (op.k % 7)];
      return { t: 'ctl', epfd: item[0], op: op.op, fd: item[1], events: op.events };
    }
    case 'chain':
      return { ...op, fds: op.fds.map(fd) };
    case 'wait':
      return { ...op, epfd: fd(op.epfd) };
    case 'waiters':
      return { ...op, epfd: fd(op.epfd) };
    case 'notified':
      return op;
    case 'poll':
      return { ...op, entries: op.entries.map(([f, e]): [number, number] => [fd(f), e]) };
    case 'select':
      return { ...op, r: op.r.map(fd), w: op.w.map(fd), x: op.x.map(fd) };
    case 'interest':
    case 'ready':
      return { ...op, epfd: fd(op.epfd) };
  }
}

// ------------------------------------------------------------------ running

/** Runs one op on any core and returns everything it made observable, for comparison. */
function apply(core: ReadinessCore, op: Concrete): unknown {
  switch (op.t) {
    case 'open':
      return core.open(op.fd);
    case 'epoll':
      return core.epollCreate(op.fd);
    case 'close':
      return core.close(op.fd);
    case 'set':
      return core.set(op.fd, op.level, op.edge);
    case 'ctl':
      return core.ctl(op.epfd, op.op, op.fd, op.events);
    case 'chain': {
      const results: number[] = [];
      for (let i = 0; i + 1 < op.fds.length; i++) {
        results.push(core.ctl(op.fds[i]!, ADD, op.fds[i + 1]!, op.events));
      }
      return results;
    }
    case 'wait': {
      const n = core.wait(op.epfd, op.max);
      const events: Array<[number, number]> = [];
      for (let i = 0; i < n; i++) events.push([core.eventFd(i), core.eventMask(i)]);
      return { n, events };
    }
    case 'waiters':
      return core.setWaiters(op.epfd, op.n);
    case 'notified':
      return core.takeNotified();
    case 'level':
      return core.level(op.fd);
    case 'gen':
      return core.generation(op.fd);
    case 'poll': {
      const n = op.entries.length;
      const fds = Int32Array.from(op.entries.map((e) => e[0]));
      const events = Int32Array.from(op.entries.map((e) => e[1]));
      const revents = new Int32Array(n).fill(-7); // every slot must be written
      const count = core.scanPoll(fds, events, revents, n);
      return { count, revents: Array.from(revents) };
    }
    case 'select': {
      const fds = Int32Array.from([...op.r, ...op.w, ...op.x]);
      const ready = new Uint8Array(fds.length).fill(7); // must stay 7 on EBADF
      const count = core.scanSelect(fds, op.r.length, op.w.length, op.x.length, ready);
      return { count, ready: Array.from(ready) };
    }
    case 'interest':
      return core.interest(op.epfd);
    case 'ready':
      return core.readyList(op.epfd);
  }
}

/**
 * The whole observable state. Generations, interest and ready lists are pure; the levels come
 * after them because an epoll level may drop stale items, and the ready lists are read again
 * after the levels to see that both cores dropped the same ones.
 */
function snapshot(core: ReadinessCore): unknown {
  const pure = FDS.map((fd) => ({
    fd,
    gen: core.generation(fd),
    interest: core.interest(fd),
    ready: core.readyList(fd),
  }));
  const levels = FDS.map((fd) => core.level(fd));
  const readyAfterLevels = FDS.map((fd) => core.readyList(fd));
  return { pure, levels, readyAfterLevels, notified: core.takeNotified() };
}

/** Runs a sequence on a core and on the model; fails (naming the step and the resolved ops) at the first difference. */
function check(create: () => ReadinessCore, ops: Op[]): void {
  const core = create();
  const model = createModelCore();
  const done: Concrete[] = [];
  for (const op of ops) {
    const concrete = resolve(model, op);
    done.push(concrete);
    const got = apply(core, concrete);
    const want = apply(model, concrete);
    // (The message is built only on failure: it lists every op so far.)
    if (!isDeepStrictEqual(got, want)) expect(got, `after ${JSON.stringify(done)}`).toStrictEqual(want);
  }
  const got = snapshot(core);
  const want = snapshot(model);
  if (!isDeepStrictEqual(got, want)) expect(got, `final state after ${JSON.stringify(done)}`).toStrictEqual(want);
}

const generators: Array<[string, fc.Arbitrary<Op[]>, number]> = [
  ['mixed', mixedArb, RUNS],
  ['plain', plainArb, TARGETED_RUNS],
  ['nesting (ELOOP chains and cycles)', nestingArb, TARGETED_RUNS],
  ['EXCLUSIVE wakeups with and without waiters', exclusiveArb, TARGETED_RUNS],
  ['ready and interest lists under churn', churnArb, TARGETED_RUNS],
];

describe.each(cores)('%s core vs the model', (_name, create) => {
  for (const [name, sequences, numRuns] of generators) {
    it(`${name}: ${numRuns} random sequences agree`, { timeout: 600_000 }, () => {
      fc.assert(
        fc.property(sequences, (ops) => check(create, ops)),
        { numRuns },
      );
    });
  }

  it('tables grow: 5000 descriptors and registrations agree', { timeout: 60_000 }, () => {
    check(create, growthSequence());
  });
});
