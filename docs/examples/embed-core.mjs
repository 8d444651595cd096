// A host that is not wasmux: plain Node, WebAssembly and node:wasi, driving build/core.wasm
// through its exports (docs/core-abi.md). Run from the project root after `npm run build`:
//   node docs/examples/embed-core.mjs
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';

const IN = 0x1, OUT = 0x4, ET = 0x80000000, ADD = 1;
const EBADF = 9;

// The core imports nothing, so it fits in any WASI host's import object as it is. (wasiImport,
// not getImportObject(): Bun's node:wasi has only the former.)
const wasi = new WASI({ version: 'preview1' });
const bytes = await readFile(new URL('../../build/core.wasm', import.meta.url));
const imports = { wasi_snapshot_preview1: wasi.wasiImport };
const { instance } = await WebAssembly.instantiate(bytes, imports);
const core = instance.exports;

// Results are i32: negative values are -errno. Masks come back signed; >>> 0 makes them unsigned.
const check = (result, what) => {
  if (result < 0) throw new Error(`${what}: errno ${-result}`);
  return result;
};

// Descriptor numbers are ours to choose: two sources (a socket's two ends, say) and one epoll.
check(core.fd_open(10), 'fd_open 10');
check(core.fd_open(11), 'fd_open 11');
check(core.ep_create(20), 'ep_create 20');
check(core.ep_ctl(20, ADD, 10, IN | ET), 'ADD 10 (edge-triggered)');
check(core.ep_ctl(20, ADD, 11, IN), 'ADD 11 (level-triggered)');

/** One epoll_wait: events are 8-byte records { i32 fd, u32 revents } at scratch_ptr(). */
function wait(epfd, maxEvents = 16) {
  const n = check(core.ep_wait(epfd, maxEvents), 'ep_wait');
  const view = new DataView(core.memory.buffer, core.scratch_ptr(), 8 * n); // after the call: memory may grow
  const events = [];
  for (let i = 0; i < n; i++) events.push([view.getInt32(8 * i, true), view.getUint32(8 * i + 4, true)]);
  return events;
}

/** [ [ fd, revents ], ... ], spelled out (runtimes' console.log lay nested arrays out differently). */
const show = (events) => `[ ${events.map(([fd, revents]) => `[ ${fd}, ${revents} ]`).join(', ')} ]`;

// Data arrives on both: the level becomes IN|OUT and the arrival is a wakeup (an edge) with IN.
core.fd_set(10, IN | OUT, IN);
core.fd_set(11, IN | OUT, IN);
console.log('first wait: ', show(wait(20))); // both fds, each with IN (revents = level & interest)
console.log('second wait:', show(wait(20))); // only fd 11: level-triggered items come back while ready
core.fd_set(10, IN | OUT, IN); // a new chunk on fd 10, still unread: a new edge
console.log('third wait: ', show(wait(20))); // fd 11 (still ready) and fd 10 (the new edge)

// Closing a descriptor takes it out of every interest list; its number can be opened again.
check(core.fd_close(10), 'fd_close 10');
console.log('closed fd:  ', core.ep_ctl(20, ADD, 10, IN) === -EBADF ? 'EBADF, as expected' : 'unexpected');
console.log('records in use:', core.records_in_use());
