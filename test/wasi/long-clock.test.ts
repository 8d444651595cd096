// Clock subscriptions of any length (issue 8, "A long timeout spins"): poll_oneoff sleeps in steps
// of at most 2^31 - 1 ms (MAX_WAIT_MS), looks at the deadline after each, and so never ends
// early and never spins, even for a u64 timeout of 584 years. First on a driven clock (every
// step is seen), then for real: a guest waiting on such clocks costs no CPU and is woken by its
// sockets.
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runWasi } from '../../src/index.js';
import { GuestContext, MAX_WAIT_MS } from '../../src/wasi/guest-context.js';
import { GuestMemory } from '../../src/wasi/memory.js';
import { SharedState } from '../../src/wasi/shared-state.js';
import { pollOneoff } from '../../src/wasi/syscalls/poll-oneoff.js';
import { within } from '../examples/classic-helpers.js';
import { guestsForFile } from './guest-helpers.js';

const U64_MAX = 2n ** 64n - 1n;
const MS = 1_000_000n;

/** A GuestContext whose clocks only move when it sleeps, by exactly the time it asked for. */
class DrivenContext extends GuestContext {
  now = 1_000n * MS;
  wall = 1_700_000_000_000n * MS;
  readonly steps: number[] = [];

  override monotonicNs(): bigint {
    return this.now;
  }

  override realtimeNs(): bigint {
    return this.wall;
  }

  override waitWake(_seen: number, ms: number): void {
    this.steps.push(ms);
    // Atomics.wait may wake a little early: the driven clock does, by a microsecond, on every
    // step of a millisecond or more (the step after that is then exact, and at least 1 ns).
    const exact = BigInt(Math.max(1, Math.ceil(ms * 1e6)));
    const ns = ms >= 1 ? exact - 1_000n : exact;
    this.now += ns;
    this.wall += ns;
  }
}

function drivenContext(): { ctx: DrivenContext; mem: GuestMemory } {
  const mem = new GuestMemory();
  mem.attach(new (WebAssembly.Memory as unknown as new (d: { initial: number }) => WebAssembly.Memory)({ initial: 1 }));
  const state = SharedState.create({ slots: 2, ringBytes: 1024 });
  const ctx = new DrivenContext(state, mem, {} as never);
  return { ctx, mem };
}

/** One clock subscription at 0 (userdata 7), events at 1024, nevents at 2048. */
function pollClock(ctx: DrivenContext, mem: GuestMemory, clock: number, timeout: bigint, absolute: boolean): bigint {
  mem.bytes(0, 48).fill(0);
  mem.setU64(0, 7n);
  mem.setU8(8, 0);
  mem.setU32(16, clock);
  mem.setU64(24, timeout);
  mem.setU16(40, absolute ? 1 : 0);
  expect(pollOneoff(ctx, 0, 1024, 1, 2048)).toBe(0);
  expect(mem.u32(2048)).toBe(1);
  expect(mem.u64(1024)).toBe(7n);
  expect(mem.u16(1024 + 8)).toBe(0);
  return ctx.now;
}

describe('poll_oneoff clocks beyond 2^31 - 1 ms (driven clock)', () => {
  it.each([
    ['relative MONOTONIC, 2^64 - 1 ns', 1, U64_MAX, false],
    ['relative MONOTONIC, 2^31 ms exactly', 1, 2n ** 31n * MS, false],
    ['relative MONOTONIC, 3 x 2^31 ms + 1 ns', 1, 3n * 2n ** 31n * MS + 1n, false],
    ['relative REALTIME, 100 years', 0, 100n * 365n * 86_400_000n * MS, false],
  ])('%s: steps of at most 2^31 - 1 ms, as few as it takes, and not a nanosecond early', (_name, clock, timeout, absolute) => {
    const { ctx, mem } = drivenContext();
    const start = ctx.now;
    const end = pollClock(ctx, mem, clock, timeout, absolute);
    expect(end - start).toBeGreaterThanOrEqual(timeout);
    expect(Math.max(...ctx.steps)).toBeLessThanOrEqual(MAX_WAIT_MS);
    const needed = Number(timeout / MS) / MAX_WAIT_MS;
    // Whole steps, then the remainder, plus a few for the microsecond each step wakes early.
    expect(ctx.steps.length).toBeLessThanOrEqual(Math.ceil(needed) + 3);
  });

  it('ABSTIME: MONOTONIC at 2^64 - 1 and REALTIME 300 years ahead wait the same way', () => {
    const mono = drivenContext();
    expect(pollClock(mono.ctx, mono.mem, 1, U64_MAX, true)).toBeGreaterThanOrEqual(U64_MAX);
    expect(Math.max(...mono.ctx.steps)).toBeLessThanOrEqual(MAX_WAIT_MS);
    const real = drivenContext();
    const deadline = real.ctx.wall + 300n * 365n * 86_400_000n * MS;
    pollClock(real.ctx, real.mem, 0, deadline, true);
    expect(real.ctx.wall).toBeGreaterThanOrEqual(deadline);
    expect(Math.max(...real.ctx.steps)).toBeLessThanOrEqual(MAX_WAIT_MS);
  });
});

// Polls the listener (fd 3) with a relative MONOTONIC clock of 2^64 - 1 ns, saying 'w' first;
// accepts; polls the connection with an ABSTIME REALTIME clock 2^64 - 1 ns after the epoch; for
// each poll reports the number of events and the first one's userdata ('L', 'C' for the fds,
// 'T' for a clock), then exits 0.
const GUEST = `
function clockSub(i: u32, clock: u32, abstime: bool): void {
  const at = SUBS + 48 * i;
  memory.fill(at, 0, 48);
  store<u64>(at, 84);
  store<u32>(at + 16, clock);
  store<u64>(at + 24, 0xffffffffffffffff);
  store<u16>(at + 40, abstime ? 1 : 0);
}
function say(c: u8): void {
  store<u8>(SCRATCH + 200, c);
  fd_write(1, iov(SCRATCH + 200, 1), 1, OUT2);
}
function report(): void {
  say(<u8>(48 + load<u32>(OUT)));
  say(<u8>load<u64>(EVENTS));
}
export function _start(): void {
  clockSub(0, 1, false);
  sub(1, 76, 1, 3);
  say(119);
  check(poll_oneoff(SUBS, EVENTS, 2, OUT), 1);
  report();
  check(sock_accept(3, 0, OUT), 2);
  const conn = load<u32>(OUT);
  clockSub(0, 0, true);
  sub(1, 67, 1, conn);
  say(119);
  check(poll_oneoff(SUBS, EVENTS, 2, OUT), 3);
  report();
}`;

const guests = guestsForFile({ longClock: GUEST });
/** The most CPU share a waiting guest's process may show in its quietest window (see below). */
const IDLE_BOUND = 0.2;

describe('a guest waiting on clocks of 2^64 - 1 ns', () => {
  it('costs no CPU while it waits, and its sockets still wake it (the clocks do not fire)', async () => {
    let said = '';
    let wake = (): void => {};
    const saidNow = (text: string): Promise<void> => within(new Promise<void>((resolve) => {
      wake = () => {
        if (said === text) resolve();
      };
      wake();
    }), `the guest saying ${JSON.stringify(text)}`);
    let port = 0;
    const run = runWasi(guests.path('longClock'), {
      listen: [{ host: '127.0.0.1', port: 0 }],
      stdout: (chunk) => {
        said += Buffer.from(chunk).toString('latin1');
        wake();
      },
      onListening: ([address]) => (port = address!.port),
    });
    await saidNow('w'); // in the first poll
    const client = connect({ host: '127.0.0.1', port });
    client.on('error', () => {});
    try {
      await saidNow('w1Lw'); // the first poll ended with the listener, not the clock; now in the second
      // Waiting in the second poll, it must not spin: a spinning thread takes its share of a core
      // (0.3 to 1 here, on a loaded machine) in every window of 200 ms, while the process's other
      // threads (the compiler, the GC) settle within a few windows to little. Not to nothing: the
      // kernel charges CPU time at its ticks, and a runtime that only sleeps is charged 0.04 (Node)
      // to 0.08 (Deno) of a core per window here, and up to 0.17 for Deno with this guest under a
      // loaded CI run. So the bound is 0.2, and the least of up to ten windows must be under it.
      const windows: number[] = [];
      for (let i = 0; i < 10 && !(windows.at(-1)! < IDLE_BOUND); i++) {
        const cpu = process.cpuUsage();
        const wall = performance.now();
        await new Promise((resolve) => setTimeout(resolve, 200));
        const used = process.cpuUsage(cpu);
        windows.push((used.user + used.system) / 1000 / (performance.now() - wall));
      }
      expect(Math.min(...windows), `CPU share in each 200 ms window: ${windows.map((w) => w.toFixed(2)).join(', ')}`).toBeLessThan(IDLE_BOUND);
      client.write('x');
      await saidNow('w1Lw1C');
      expect((await within(run, 'the guest ending')).exitCode).toBe(0);
    } finally {
      client.destroy();
      await run.catch(() => {});
    }
  });
});
