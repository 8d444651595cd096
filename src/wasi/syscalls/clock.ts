/**
 * clock_time_get and clock_res_get: MONOTONIC and REALTIME are the clocks poll_oneoff measures its
 * deadlines on, so that an ABSTIME deadline made from clock_time_get means the same instant; the
 * CPU-time clocks come from process.cpuUsage (and process.threadCpuUsage where the runtime has it).
 */
import { EINVAL, SUCCESS, WasiErrno } from '../errno.js';
import type { GuestContext } from '../guest-context.js';

/** clock ids */
export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;
export const CLOCK_PROCESS_CPUTIME = 2;
export const CLOCK_THREAD_CPUTIME = 3;

type CpuUsage = () => { user: number; system: number };
/** Node 23.9+, Bun and Deno have the thread's own; elsewhere the worker's thread gets the process's. */
const threadCpuUsage: CpuUsage = (process as unknown as { threadCpuUsage?: CpuUsage }).threadCpuUsage?.bind(process)
  ?? (() => process.cpuUsage());

function cpuNs(usage: { user: number; system: number }): bigint {
  return BigInt(Math.round(usage.user + usage.system)) * 1000n; // µs
}

export function clockTimeGet(ctx: GuestContext, id: number, _precision: bigint, out: number): number {
  ctx.memory.check(out, 8);
  let ns: bigint;
  if (id === CLOCK_MONOTONIC) ns = ctx.monotonicNs();
  else if (id === CLOCK_REALTIME) ns = ctx.realtimeNs();
  else if (id === CLOCK_PROCESS_CPUTIME) ns = cpuNs(process.cpuUsage());
  else if (id === CLOCK_THREAD_CPUTIME) ns = cpuNs(threadCpuUsage());
  else throw new WasiErrno(EINVAL);
  ctx.memory.setU64(out, ns);
  return SUCCESS;
}

/** By clock id: Date.now()'s ms, hrtime's ns, cpuUsage's µs twice. */
const RESOLUTIONS = [1_000_000n, 1n, 1000n, 1000n];

export function clockResGet(ctx: GuestContext, id: number, out: number): number {
  const resolution = RESOLUTIONS[id];
  if (resolution === undefined) throw new WasiErrno(EINVAL);
  ctx.memory.setU64(out, resolution);
  return SUCCESS;
}
