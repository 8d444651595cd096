/**
 * Property tests: random sequences of core operations run against each implementation under
 * test and a fresh reference model (test/model/model.ts). Every step must give identical results
 * (return codes, wait's full event list, notification lists, scan outputs, inspection), and at
 * the end of a sequence the whole observable state must agree.
 *
 * Descriptor arguments are either plain numbers (0..12, so that collisions and reuse happen, and
 * sometimes invalid ones) or references such as "the k-th open instance" or "the k-th
 * registration", resolved against the model's state just before the step. Both cores then get
 * the same concrete arguments; references only make most operations reach their real work.
 *
 * WASMUX_PROPERTY_RUNS sets the number of sequences (default 10000). WASMUX_PROPERTY_SELF=1 adds
 * the model itself as an implementation (a sanity check of the harness).
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
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
  EPOLL_CTL_ADD,
} from '../../src/core/constants.js';
import type { ReadinessCore } from '../../src/core/readiness-core.js';
import { createWasmCore } from '../../src/core/wasm-core.js';
import { createModelCore } from '../model/model.js';
import { createTypedCore } from '../model/typed-core.js';

const RUNS = Number(process.env.WASMUX_PROPERTY_RUNS ?? 10000);
const MAX_OPS = 60;
/** Descriptor numbers used by the sequences: small, so that collisions and reuse happen. */
const MAX_FD = 12;
/** The opening prefix puts instances mostly at 0..EPOLL_MAX and sources above. */
const EPOLL_MAX = 5;
const FDS = Array.from({ length: MAX_FD + 1 }, (_, i) => i);

// ------------------------------------------------------------------ implementations under test

interface Impl {
  name: string;
  create: () => ReadinessCore;
}

const impls: Impl[] = [
  { name: 'wasm', create: createWasmCore },
  { name: 'typed', create: createTypedCore },
];
if (process.env.WASMUX_PROPERTY_SELF === '1') {
  impls.push({ name: 'model (self-check)', create: createModelCore });
}

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

const kArb = fc.nat(64);
const numberFdArb = fc.oneof(
  { weight: 30, arbitrary: fc.integer({ min: 0, max: MAX_FD }) },
  { weight: 1, arbitrary: fc.constantFrom(-1, -100, 2 ** 24, 2 ** 24 + 5) },
);
/** Any descriptor argument, mostly a plain number. */
const fdArb: fc.Arbitrary<FdRef> = fc.oneof(
  { weight: 3, arbitrary: numberFdArb },
  { weight: 1, arbitrary: fc.record({ ref: fc.constant('open' as const), k: kArb }) },
);
/** Mostly an open instance. */
const epfdArb: fc.Arbitrary<FdRef> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ ref: fc.constant('ep' as const), k: kArb }) },
  { weight: 1, arbitrary: numberFdArb },
);
/** Mostly an open source, often a watched one. */
const srcArb: fc.Arbitrary<FdRef> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ ref: fc.constant('src' as const), k: kArb }) },
  { weight: 4, arbitrary: fc.record({ ref: fc.constant('watched' as const), k: kArb }) },
  { weight: 1, arbitrary: numberFdArb },
);
/** For waits: mostly an instance with something queued. */
const waitFdArb: fc.Arbitrary<FdRef> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ ref: fc.constant('busy' as const), k: kArb }) },
  { weight: 4, arbitrary: epfdArb },
);
/** A target of ADD: a source, an instance, or any number. */
const targetArb: fc.Arbitrary<FdRef> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ ref: fc.constant('src' as const), k: kArb }) },
  { weight: 2, arbitrary: fc.record({ ref: fc.constant('ep' as const), k: kArb }) },
  { weight: 2, arbitrary: numberFdArb },
);

/** A level or an edge: a few level bits (IN/OUT often), sometimes any i32 (bits above LEVEL_BITS are dropped). */
const levelArb = fc.oneof(
  { weight: 5, arbitrary: fc.array(fc.constantFrom(...LEVEL_BIT_LIST), { minLength: 1, maxLength: 3 }).map(orAll) },
  { weight: 8, arbitrary: fc.constantFrom(EPOLLIN, EPOLLOUT, EPOLLIN | EPOLLOUT, EPOLLIN | EPOLLRDNORM, EPOLLHUP) },
  { weight: 2, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) },
);
const edgeArb = fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: levelArb });

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
    fc.oneof(
      { weight: 3, arbitrary: fc.array(fc.constantFrom(...INTEREST_BIT_LIST), { maxLength: 3 }).map(orAll) },
      { weight: 2, arbitrary: fc.constantFrom(EPOLLIN, EPOLLOUT, EPOLLIN | EPOLLOUT) },
    ),
    flagsArb,
    fc.oneof(
      { weight: 20, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.constantFrom(1 << 27, 1 << 14, 1 << 20, EPOLLNVAL, EPOLLWRNORM) },
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

const anyEventsArb = fc.oneof(
  { weight: 5, arbitrary: eventsArb },
  { weight: 1, arbitrary: exclusiveEventsArb },
);

const opCodeArb = fc.oneof(
  { weight: 10, arbitrary: fc.constant(1) },
  { weight: 3, arbitrary: fc.constant(2) },
  { weight: 4, arbitrary: fc.constant(3) },
  { weight: 1, arbitrary: fc.constantFrom(0, 4, -1) },
);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('open' as const), fd: numberFdArb }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('epoll' as const), fd: numberFdArb }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('close' as const), fd: fdArb }) },
  {
    // The edge is often the new level itself (new data), sometimes unrelated or 0.
    weight: 16,
    arbitrary: fc
      .record({ fd: srcArb, level: levelArb, edge: edgeArb, same: fc.nat(2).map((n) => n > 0) })
      .map(({ fd, level, edge, same }): Op => ({ t: 'set', fd, level, edge: same ? level : edge })),
  },
  {
    weight: 12,
    arbitrary: fc.record({
      t: fc.constant('ctl' as const),
      epfd: epfdArb,
      op: opCodeArb,
      fd: targetArb,
      events: anyEventsArb,
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('ctlItem' as const),
      k: kArb,
      op: fc.oneof(
        { weight: 5, arbitrary: fc.constant(3) },
        { weight: 2, arbitrary: fc.constant(2) },
        { weight: 1, arbitrary: fc.constantFrom(1, 0, 4) },
      ),
      events: fc.oneof({ weight: 8, arbitrary: eventsArb }, { weight: 1, arbitrary: exclusiveEventsArb }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('chain' as const),
      fds: fc.array(
        fc.oneof(
          { weight: 6, arbitrary: fc.record({ ref: fc.constant('ep' as const), k: fc.nat(7) }) },
          { weight: 1, arbitrary: numberFdArb },
        ),
        { minLength: 2, maxLength: 8 },
      ),
      events: fc.constantFrom(
        EPOLLIN, EPOLLIN | EPOLLET, (EPOLLIN | EPOLLONESHOT) | 0, EPOLLOUT, EPOLLRDNORM, EPOLLIN | EPOLLEXCLUSIVE,
      ),
    }),
  },
  {
    weight: 12,
    arbitrary: fc.record({
      t: fc.constant('wait' as const),
      epfd: waitFdArb,
      max: fc.oneof(
        { weight: 8, arbitrary: fc.integer({ min: 1, max: 4 }) },
        { weight: 3, arbitrary: fc.constant(64) },
        { weight: 1, arbitrary: fc.constantFrom(0, -1, -(2 ** 31)) },
      ),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('waiters' as const),
      epfd: epfdArb,
      n: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 1, arbitrary: fc.constant(-1) }),
    }),
  },
  { weight: 3, arbitrary: fc.constant({ t: 'notified' as const }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('level' as const), fd: fdArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('gen' as const), fd: fdArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('poll' as const),
      entries: fc.array(
        fc.tuple(
          fc.oneof({ weight: 6, arbitrary: fdArb }, { weight: 1, arbitrary: fc.constant(-1) }),
          fc.oneof(
            { weight: 4, arbitrary: fc.array(fc.constantFrom(...LEVEL_BIT_LIST), { maxLength: 3 }).map(orAll) },
            { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x7fff }) },
          ),
        ),
        { maxLength: 5 },
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('select' as const),
      r: fc.array(fdArb, { maxLength: 3 }),
      w: fc.array(fdArb, { maxLength: 3 }),
      x: fc.array(fdArb, { maxLength: 2 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('interest' as const), epfd: epfdArb }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('ready' as const), epfd: epfdArb }) },
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
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        t: fc.constant('ctl' as const),
        epfd: fc.record({ ref: fc.constant('ep' as const), k: kArb }),
        op: fc.constant(EPOLL_CTL_ADD),
        fd: targetArb,
        events: anyEventsArb,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant('waiters' as const),
        epfd: fc.record({ ref: fc.constant('ep' as const), k: kArb }),
        n: fc.integer({ min: 0, max: 2 }),
      }),
    },
  ),
  { maxLength: 12, size: 'max' },
);

const sequenceArb: fc.Arbitrary<Op[]> = fc
  .tuple(prefixArb, setupArb, fc.array(opArb, { maxLength: MAX_OPS, size: 'max' }))
  .map(([kinds, setup, ops]) => [
    ...kinds.flatMap((t, fd): Op[] => (t === 'open' || t === 'epoll' ? [{ t, fd }] : [])),
    ...setup,
    ...ops,
  ]);

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

/** Replaces references by numbers (an empty category falls back to the number k % 13). */
function resolve(model: ReadinessCore, op: Op): Concrete {
  const v = view(model);
  const fd = (f: FdRef): number => {
    if (typeof f === 'number') return f;
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
      const item = v.items.length > 0 ? v.items[op.k % v.items.length]! : [op.k % 6, 6 + (op.k % 7)];
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

/** Runs one op and returns everything it made observable, for comparison. */
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
        results.push(core.ctl(op.fds[i]!, EPOLL_CTL_ADD, op.fds[i + 1]!, op.events));
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
      const revents = new Int32Array(n).fill(-7);
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
 * last because an epoll level may drop stale items.
 */
function snapshot(core: ReadinessCore): unknown {
  const pure = FDS.map((fd) => ({
    fd,
    gen: core.generation(fd),
    interest: core.interest(fd),
    ready: core.readyList(fd),
  }));
  const levels = FDS.map((fd) => core.level(fd));
  return { pure, levels, notified: core.takeNotified() };
}

/** Runs a sequence on both cores; fails (naming the step and the resolved op) at the first difference. */
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

describe('core vs model', () => {
  for (const { name, create } of impls) {
    it(`${name}: ${RUNS} random sequences agree with the model`, { timeout: 600_000 }, () => {
      fc.assert(
        fc.property(sequenceArb, (ops) => check(create, ops)),
        { numRuns: RUNS },
      );
    });
  }
});
