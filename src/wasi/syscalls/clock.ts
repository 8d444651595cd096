/**
 * clock_time_get and clock_res_get for MONOTONIC and REALTIME: ours on every runtime (node:wasi's
 * clocks have other origins on Bun and Deno), and the clocks poll_oneoff measures its deadlines
 * on, so that an ABSTIME deadline made from clock_time_get means the same instant.
 */
import { SUCCESS } from '../errno.js';
import type { GuestContext } from '../guest-context.js';

/** clock ids */
export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;

/** clock_time_get: MONOTONIC and REALTIME are ours; the CPU-time clocks stay node:wasi's. */
export function clockTimeGet(ctx: GuestContext, id: number, precision: bigint, out: number): number {
  if (id !== CLOCK_MONOTONIC && id !== CLOCK_REALTIME) {
    return ctx.raw['clock_time_get']!(id as never, precision as never, out as never);
  }
  ctx.memory.setU64(out, id === CLOCK_MONOTONIC ? ctx.monotonicNs() : ctx.realtimeNs());
  return SUCCESS;
}

export function clockResGet(ctx: GuestContext, id: number, out: number): number {
  if (id !== CLOCK_MONOTONIC && id !== CLOCK_REALTIME) return ctx.raw['clock_res_get']!(id as never, out as never);
  ctx.memory.setU64(out, id === CLOCK_MONOTONIC ? 1n : 1_000_000n); // hrtime's ns; Date.now()'s ms
  return SUCCESS;
}
