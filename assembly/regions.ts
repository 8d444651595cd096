// Linear memory is three regions laid end to end, each growing by doubling:
//
//   [ scratch | descriptors | slab ]
//
// scratch carries arrays between host and core; descriptors is indexed by fd; the slab holds
// registrations and instance headers. The slab is last so it grows in place; when an earlier
// region grows, the regions after it are moved up (memory.copy is a memmove), so no hole is left.
// Every record is addressed by index from these globals, never by a pointer kept across calls.

/** Bytes per descriptor entry; bytes per slab record. */
@inline export const DESC_SIZE: usize = 12;
@inline export const SLAB_SIZE: usize = 32;

export let scratchPtr: usize = (__heap_base + 15) & ~15;
export let scratchCap: usize = 16 << 10;
export let descPtr: usize = scratchPtr + scratchCap;
export let descCap: usize = 1024;
export let slabPtr: usize = descPtr + descCap * DESC_SIZE;
export let slabCap: usize = 1024;

/** Grows memory so that [0, end) exists. False when the host refuses more pages. */
function fit(end: usize): bool {
  const have = (<usize>memory.size()) << 16;
  if (end <= have) return true;
  const pages = <i32>((end - have + 0xffff) >> 16);
  return memory.grow(pages) >= 0;
}

function slabEnd(): usize {
  return slabPtr + slabCap * SLAB_SIZE;
}

/** Called once at start: the initial regions must exist (zeroed: 0 means "none" everywhere). */
export function initRegions(): bool {
  return fit(slabEnd());
}

/** Moves descriptors and slab up by `delta` bytes. */
function shiftFromDescs(delta: usize): bool {
  if (!fit(slabEnd() + delta)) return false;
  const bytes = slabEnd() - descPtr;
  memory.copy(descPtr + delta, descPtr, bytes);
  descPtr += delta;
  slabPtr += delta;
  return true;
}

export function reserveScratch(bytes: usize): bool {
  if (bytes <= scratchCap) return true;
  let cap = scratchCap;
  while (cap < bytes) cap <<= 1;
  if (!shiftFromDescs(cap - scratchCap)) return false;
  scratchCap = cap;
  return true;
}

/** Makes descriptor index `fd` addressable; new entries are zero (never opened). */
export function reserveDescs(fd: usize): bool {
  if (fd < descCap) return true;
  let cap = descCap;
  while (cap <= fd) cap <<= 1;
  const delta = (cap - descCap) * DESC_SIZE;
  const oldEnd = descPtr + descCap * DESC_SIZE;
  if (!fit(slabEnd() + delta)) return false;
  memory.copy(slabPtr + delta, slabPtr, slabCap * SLAB_SIZE);
  slabPtr += delta;
  memory.fill(oldEnd, 0, delta);
  descCap = cap;
  return true;
}

/** Makes slab index `index` addressable. Fresh pages are zero; reused ones are reset by the caller. */
export function reserveSlab(index: usize): bool {
  if (index < slabCap) return true;
  let cap = slabCap;
  while (cap <= index) cap <<= 1;
  if (!fit(slabPtr + cap * SLAB_SIZE)) return false;
  slabCap = cap;
  return true;
}
