// Differential check: TypedCore (the typed-array TypeScript port) against the WebAssembly core.
// Random sequences of every call of the ReadinessCore contract; every result must be identical.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ReadinessCore } from '../../src/core/readiness-core.js';
import { createTypedCore } from '../model/typed-core.js';
import { createWasmCore } from '../../src/core/wasm-core.js';

const FDS = 8;
const fdArb = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0, max: FDS - 1 }) },
  { weight: 1, arbitrary: fc.constantFrom(-1, 1 << 24, 5000) },
);
/** Epoll fds are opened at 0..2 by the usual prefix, so ctl/wait aim there more often. */
const epfdArb = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 1, arbitrary: fdArb });
const levelArb = fc.oneof(
  fc.constantFrom(0, 0x1, 0x4, 0x5, 0x8, 0x10, 0x2, 0x41, 0x2000),
  fc.integer({ min: 0, max: 0xffff }),
);
const flagArb = fc.constantFrom(0, 1 << 31, 1 << 30, 1 << 28, 1 << 29, (1 << 31) | (1 << 30), (1 << 28) | (1 << 31));
const eventsArb = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(0x1, 0x4, 0x5, 0x2, 0x41, 0x8, 0x2001), flagArb).map(([a, b]) => a | b) },
  { weight: 1, arbitrary: fc.integer({ min: -0x80000000, max: 0x7fffffff }) },
  { weight: 1, arbitrary: fc.constant(0x80000001) },
);

type Op =
  | { k: 'open'; fd: number }
  | { k: 'epoll'; fd: number }
  | { k: 'close'; fd: number }
  | { k: 'set'; fd: number; level: number; edge: number }
  | { k: 'level'; fd: number }
  | { k: 'gen'; fd: number }
  | { k: 'ctl'; epfd: number; op: number; fd: number; events: number }
  | { k: 'wait'; epfd: number; max: number }
  | { k: 'waiters'; epfd: number; n: number }
  | { k: 'notified' }
  | { k: 'poll'; fds: number[]; events: number[] }
  | { k: 'select'; fds: number[]; nr: number; nw: number }
  | { k: 'interest'; epfd: number }
  | { k: 'ready'; epfd: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fdArb.map((fd) => ({ k: 'open', fd }) as Op) },
  { weight: 3, arbitrary: fdArb.map((fd) => ({ k: 'epoll', fd }) as Op) },
  { weight: 2, arbitrary: fdArb.map((fd) => ({ k: 'close', fd }) as Op) },
  {
    weight: 6,
    arbitrary: fc
      .record({ fd: fdArb, level: levelArb, edge: fc.oneof(fc.constant(0), levelArb, fc.constant(-1)) })
      .map((r) => ({ k: 'set', ...r }) as Op),
  },
  { weight: 3, arbitrary: fdArb.map((fd) => ({ k: 'level', fd }) as Op) },
  { weight: 1, arbitrary: fdArb.map((fd) => ({ k: 'gen', fd }) as Op) },
  {
    weight: 10,
    arbitrary: fc
      .record({
        epfd: epfdArb,
        op: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(1, 2, 3) }, { weight: 1, arbitrary: fc.constantFrom(0, 4, -1) }),
        fd: fdArb,
        events: eventsArb,
      })
      .map((r) => ({ k: 'ctl', ...r }) as Op),
  },
  {
    weight: 5,
    arbitrary: fc
      .record({ epfd: fdArb, max: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: fc.constantFrom(0, -1, 64) }) })
      .map((r) => ({ k: 'wait', ...r }) as Op),
  },
  { weight: 2, arbitrary: fc.record({ epfd: epfdArb, n: fc.integer({ min: -1, max: 2 }) }).map((r) => ({ k: 'waiters', ...r }) as Op) },
  { weight: 1, arbitrary: fc.constant({ k: 'notified' } as Op) },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.tuple(fc.oneof(fdArb, fc.constant(-5)), fc.integer({ min: 0, max: 0x1ffff })), { maxLength: 6 })
      .map((pairs) => ({ k: 'poll', fds: pairs.map((p) => p[0]), events: pairs.map((p) => p[1]) }) as Op),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ fds: fc.array(fdArb, { maxLength: 6 }), a: fc.nat(6), b: fc.nat(6) })
      .map(({ fds, a, b }) => {
        const nr = Math.min(a, fds.length);
        const nw = Math.min(b, fds.length - nr);
        return { k: 'select', fds, nr, nw } as Op;
      }),
  },
  { weight: 1, arbitrary: epfdArb.map((epfd) => ({ k: 'interest', epfd }) as Op) },
  { weight: 3, arbitrary: epfdArb.map((epfd) => ({ k: 'ready', epfd }) as Op) },
);

/** Applies op and returns everything observable about its result. */
function apply(core: ReadinessCore, op: Op): unknown {
  switch (op.k) {
    case 'open':
      return core.open(op.fd);
    case 'epoll':
      return core.epollCreate(op.fd);
    case 'close':
      return core.close(op.fd);
    case 'set':
      return core.set(op.fd, op.level, op.edge);
    case 'level':
      return core.level(op.fd);
    case 'gen':
      return core.generation(op.fd);
    case 'ctl':
      return core.ctl(op.epfd, op.op, op.fd, op.events);
    case 'wait': {
      const n = core.wait(op.epfd, op.max);
      const events: number[] = [];
      for (let i = 0; i < n; i++) events.push(core.eventFd(i), core.eventMask(i));
      return [n, events];
    }
    case 'waiters':
      return core.setWaiters(op.epfd, op.n);
    case 'notified':
      return core.takeNotified();
    case 'poll': {
      const n = op.fds.length;
      const revents = new Int32Array(n);
      const r = core.scanPoll(Int32Array.from(op.fds), Int32Array.from(op.events), revents, n);
      return [r, Array.from(revents)];
    }
    case 'select': {
      const n = op.fds.length;
      const ready = new Uint8Array(n).fill(7);
      const r = core.scanSelect(Int32Array.from(op.fds), op.nr, op.nw, n - op.nr - op.nw, ready);
      return [r, Array.from(ready)];
    }
    case 'interest':
      return core.interest(op.epfd);
    case 'ready':
      return core.readyList(op.epfd);
  }
}

/** Everything inspectable at the end: levels, generations, interest and ready lists. */
function snapshot(core: ReadinessCore): unknown {
  const out: unknown[] = [];
  for (let fd = 0; fd < FDS; fd++) {
    out.push(core.generation(fd), core.interest(fd), core.readyList(fd), core.level(fd), core.readyList(fd));
  }
  out.push(core.takeNotified());
  return out;
}

describe('TypedCore vs the WebAssembly core', () => {
  it('gives the same result for every call of random sequences', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(opArb, { minLength: 10, maxLength: 150, size: 'max' }), (prefix, ops) => {
        const wasm = createWasmCore();
        const typed = createTypedCore();
        if (prefix) {
          // Usually start from epoll fds 0..2 and sources 3..7, so that most calls do something.
          for (const core of [wasm, typed]) {
            for (let fd = 0; fd < FDS; fd++) expect(fd < 3 ? core.epollCreate(fd) : core.open(fd)).toBe(0);
          }
        }
        for (let step = 0; step < ops.length; step++) {
          const expected = apply(wasm, ops[step]!);
          const actual = apply(typed, ops[step]!);
          expect(actual, `step ${step}: ${JSON.stringify(ops[step])}`).toEqual(expected);
        }
        expect(snapshot(typed)).toEqual(snapshot(wasm));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees on nesting chains and loops (ELOOP)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 7 }), fc.constantFrom(1, 2)), { maxLength: 40, size: 'max' }),
        (edges) => {
          const cores = [createWasmCore(), createTypedCore()];
          const results = cores.map((core) => {
            const got: unknown[] = [];
            for (let fd = 0; fd < 8; fd++) got.push(core.epollCreate(fd));
            core.open(8);
            for (let fd = 0; fd < 8; fd++) got.push(core.ctl(fd, 1, 8, 1));
            for (const [a, b, op] of edges) got.push(core.ctl(a, op, b, 1 | (1 << 31)));
            got.push(core.set(8, 1, 1), core.takeNotified());
            for (let fd = 0; fd < 8; fd++) {
              got.push(core.level(fd), core.readyList(fd));
              const n = core.wait(fd, 8);
              got.push(n);
              for (let i = 0; i < n; i++) got.push(core.eventFd(i), core.eventMask(i));
            }
            return got;
          });
          expect(results[1]).toEqual(results[0]);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('agrees on EXCLUSIVE wakeups across instances with and without waiters', () => {
    const step = fc.oneof(
      fc.record({ k: fc.constant('set' as const), level: fc.constantFrom(0, 1, 4, 5), edge: fc.constantFrom(0, 1, 4, 5) }),
      fc.record({ k: fc.constant('waiters' as const), epfd: fc.integer({ min: 1, max: 5 }), n: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ k: fc.constant('wait' as const), epfd: fc.integer({ min: 1, max: 5 }) }),
      fc.record({ k: fc.constant('ctl' as const), epfd: fc.integer({ min: 1, max: 5 }), op: fc.constantFrom(1, 2, 3), events: eventsArb }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60, size: 'max' }), fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }), (steps, exclusive) => {
        const cores = [createWasmCore(), createTypedCore()];
        const results = cores.map((core) => {
          const got: unknown[] = [core.open(0)];
          for (let e = 1; e <= 5; e++) {
            got.push(core.epollCreate(e), core.ctl(e, 1, 0, exclusive[e - 1] ? 1 | 4 | (1 << 28) : 1 | 4 | (1 << 31)));
          }
          for (const s of steps) {
            if (s.k === 'set') got.push(core.set(0, s.level, s.edge));
            else if (s.k === 'waiters') got.push(core.setWaiters(s.epfd, s.n));
            else if (s.k === 'ctl') got.push(core.ctl(s.epfd, s.op, 0, s.events));
            else {
              const n = core.wait(s.epfd, 4);
              got.push(n);
              for (let i = 0; i < n; i++) got.push(core.eventFd(i), core.eventMask(i));
            }
            got.push(core.takeNotified());
            for (let e = 1; e <= 5; e++) got.push(core.readyList(e));
          }
          return got;
        });
        expect(results[1]).toEqual(results[0]);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees on ready and interest lists under churn in one instance', () => {
    const src = fc.integer({ min: 1, max: 6 });
    const step = fc.oneof(
      fc.record({ k: fc.constant('ctl' as const), op: fc.constantFrom(1, 1, 2, 3), fd: src, lt: fc.boolean(), oneshot: fc.boolean() }),
      fc.record({ k: fc.constant('set' as const), fd: src, level: fc.constantFrom(0, 1, 1, 4, 5), edge: fc.constantFrom(0, 1, 5) }),
      fc.record({ k: fc.constant('wait' as const), max: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ k: fc.constant('reopen' as const), fd: src }),
      fc.record({ k: fc.constant('level' as const) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80, size: 'max' }), (steps) => {
        const cores = [createWasmCore(), createTypedCore()];
        const results = cores.map((core) => {
          const got: unknown[] = [core.epollCreate(0)];
          for (let fd = 1; fd <= 6; fd++) got.push(core.open(fd));
          for (const s of steps) {
            if (s.k === 'ctl') {
              got.push(core.ctl(0, s.op, s.fd, 1 | 4 | (s.lt ? 0 : 1 << 31) | (s.oneshot ? 1 << 30 : 0)));
            } else if (s.k === 'set') {
              got.push(core.set(s.fd, s.level, s.edge));
            } else if (s.k === 'reopen') {
              got.push(core.close(s.fd), core.open(s.fd));
            } else if (s.k === 'level') {
              got.push(core.level(0));
            } else {
              const n = core.wait(0, s.max);
              got.push(n);
              for (let i = 0; i < n; i++) got.push(core.eventFd(i), core.eventMask(i));
            }
            got.push(core.readyList(0), core.interest(0));
          }
          return got;
        });
        expect(results[1]).toEqual(results[0]);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees when tables grow (many fds and registrations)', () => {
    const wasm = createWasmCore();
    const typed = createTypedCore();
    for (const core of [wasm, typed]) {
      expect(core.epollCreate(0)).toBe(0);
      for (let fd = 1; fd <= 5000; fd++) {
        core.open(fd);
        core.ctl(0, 1, fd, fd % 3 === 0 ? 1 : 1 | 0x80000000);
        core.set(fd, 1, 1);
      }
    }
    for (let round = 0; round < 3; round++) {
      const a = apply(wasm, { k: 'wait', epfd: 0, max: 3000 });
      const b = apply(typed, { k: 'wait', epfd: 0, max: 3000 });
      expect(b).toEqual(a);
    }
    expect(typed.readyList(0)).toEqual(wasm.readyList(0));
  });
});
