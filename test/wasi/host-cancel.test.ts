// The host side of a guest's directories: a preopen that is missing fails the run before it starts;
// the host fds the guest holds are closed by the worker when the guest ends, and by the main thread
// (HostFdLedger) when the worker is terminated while the guest computes and cannot close them.
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runWasi } from '../../src/index.js';
import { guestsForFile } from './guest-helpers.js';

const OPEN = `
@external("wasi_snapshot_preview1", "path_open")
declare function path_open(fd: u32, dirflags: u32, path: usize, len: u32, oflags: u32, base: u64, inheriting: u64, fdflags: u32, out: usize): u32;
const HELD = memory.data<u8>([0x68, 0x65, 0x6c, 0x64]); // "held"
const SUB = memory.data<u8>([0x73, 0x75, 0x62]); // "sub"
function openBoth(): void {
  check(path_open(3, 0, HELD, 4, 1, 0x7fff_ffff, 0, 0, OUT), 1); // CREAT
  // DIRECTORY, without FD_WRITE (0x40): a directory opened for writing is EISDIR (the WASI testsuite's path_open_preopen).
  check(path_open(3, 0, SUB, 3, 2, 0x7fff_ffbf, 0x7fff_ffff, 0, OUT), 2);
}
`;

const SOURCES = {
  // Opens "held" and the directory "sub", says so, then computes forever without a host call.
  spin: `${OPEN}
export function _start(): void {
  openBoth();
  fd_write(1, iov(BUF, 1), 1, OUT2);
  for (;;) store<u32>(OUT, load<u32>(OUT) + 1);
}`,
  // Opens them and exits without closing them.
  leave: `${OPEN}
export function _start(): void {
  openBoth();
  proc_exit(0);
}`,
};

const guests = guestsForFile(SOURCES);
const box = mkdtempSync(join(tmpdir(), 'wasmux-host-cancel-'));
afterAll(() => rmSync(box, { recursive: true, force: true }));

/** Host fds of this process open on a path under `box`. */
function openUnderBox(): string[] {
  const held: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(`${box}/`)) held.push(target);
    } catch {
      // closed meanwhile
    }
  }
  return held;
}

/** Waits until nothing under `box` is open (the main thread closes after the worker's end event). */
async function noneOpen(): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  while (openUnderBox().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return openUnderBox();
}

describe('preopens', () => {
  it('a missing directory, or a file, rejects the run before it starts with the host\'s error', async () => {
    await expect(runWasi(guests.path('leave'), { preopens: { '/box': join(box, 'missing') } })).rejects.toMatchObject({ code: 'ENOENT' });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(box, 'plain'), '');
    await expect(runWasi(guests.path('leave'), { preopens: { '/box': join(box, 'plain') } })).rejects.toMatchObject({ code: 'ENOTDIR' });
  });
});

describe.runIf(process.platform === 'linux')('the guest\'s host fds', () => {
  it('are closed when the guest exits without closing them', async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(box, 'sub'), { recursive: true });
    expect((await runWasi(guests.path('leave'), { preopens: { '/box': box } })).exitCode).toBe(0);
    expect(openUnderBox()).toEqual([]);
  });

  // Bun and Deno do not stop a worker that computes (docs/wasi.md, Cancellation): its guest keeps them.
  const noKill = process.versions['bun'] !== undefined || 'Deno' in globalThis;
  it.skipIf(noKill)(`are closed by the main thread once a worker killed while computing has ended${noKill ? ' (skipped: this runtime cannot stop a worker running WebAssembly)' : ''}`, async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(box, 'sub'), { recursive: true });
    const controller = new AbortController();
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const run = runWasi(guests.path('spin'), { preopens: { '/box': box }, stdout: () => started(), signal: controller.signal });
    await running;
    expect(openUnderBox().sort()).toEqual([join(box, 'held'), join(box, 'sub')]);
    controller.abort();
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(await noneOpen()).toEqual([]);
  });
});
