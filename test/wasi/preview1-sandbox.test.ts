// The sandbox (issue 10): a guest with a preopened /box cannot leave it, through symlinks the host
// left there (absolute, climbing, in a subdirectory), `..`, absolute paths, symlinks it makes
// itself, or a race that swaps a directory for a symlink out between the check and the use.
// The guest is test/wasi/c/preview1-sandbox.c; its header comment draws the tree made here.
// Everything runs twice: on the /proc/self/fd walk, and on path-resolve.ts's fallback (path strings,
// chosen in the guest's worker by WASMUX_WASI_NO_PROC_FD=1, which the worker inherits from process.env).
import { existsSync } from 'node:fs';
import { readdir, readFile, rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectChecks, makeTree, missingGuest, runChecks, scratchFolder } from './preview1-helpers.js';

const GUEST = 'preview1-sandbox';
const skip = missingGuest(GUEST);
const NO_PROC_FD = 'WASMUX_WASI_NO_PROC_FD';

/** runChecks with the guest's worker on the fallback walk when `fallback` (the worker copies process.env at start). */
async function runOnWalk(fallback: boolean, ...args: Parameters<typeof runChecks>): ReturnType<typeof runChecks> {
  if (!fallback) return runChecks(...args);
  process.env[NO_PROC_FD] = '1';
  try {
    return await runChecks(...args);
  } finally {
    delete process.env[NO_PROC_FD];
  }
}

describe.each([
  ['the /proc/self/fd walk', false],
  ['the fallback walk (WASMUX_WASI_NO_PROC_FD=1)', true],
])('on %s', (_walk, fallback) => {
  const work = scratchFolder('wasmux-sandbox-');
  const box = (): string => join(work(), 'box');
  const outside = (): string => join(work(), 'outside');

  /** The tree preview1-sandbox.c's header draws: the box, a sibling outside it, symlinks out and in. */
  const makeBoxes = (): Promise<void> => makeTree(work(), {
    'box/marker': 'inside\n',
    'box/sub/inner': 'inner\n',
    'outside/secret': 'SECRET\n',
    'outside/marker': 'SECRET\n',
    'outside/sub/marker': 'SECRET\n',
    'box/link': { symlink: '/etc' },
    'box/out-abs': { symlink: outside() },
    'box/rel-link': { symlink: '../outside' },
    'box/etc-climb': { symlink: `${'../'.repeat(40)}etc` },
    'box/sub/deep-link': { symlink: '../../..' },
    'box/sub/up-link': { symlink: '../..' },
    'box/file-out': { symlink: '../outside/secret' },
    'box/in-link': { symlink: 'sub/inner' },
    'box/sub/back-link': { symlink: '../marker' },
    'box/chain1': { symlink: 'chain2' },
    'box/chain2': { symlink: 'sub/back-link' },
    'box/loop1': { symlink: 'loop2' },
    'box/loop2': { symlink: 'loop1' },
  });

  describe('sandbox: no way out of a preopen', () => {
    expectChecks([
      'open through link -> /etc',
      'open link -> /etc itself as a directory',
      'open through an absolute link to a sibling',
      'open through rel-link -> ../outside',
      'open through a relative link climbing to /etc',
      'open through sub/deep-link -> ../../..',
      'open through sub/up-link -> ../..',
      'open a link to a file outside, followed',
      'open ../outside/secret',
      'open sub/../../outside/secret',
      'open an absolute path',
      'open through an escaping link without SYMLINK_FOLLOW',
      'in-link -> sub/inner',
      'sub/back-link -> ../marker',
      'chain1 -> chain2 -> sub/back-link',
      'sub/../marker',
      './sub/./inner and sub//inner',
      'libc open through rel-link: ENOTCAPABLE',
      'libc fopen through link -> /etc: ENOTCAPABLE',
      'path_filestat_get through link -> /etc',
      'path_filestat_get following file-out',
      'path_filestat_get of file-out itself',
      'path_create_directory through rel-link',
      'path_open CREAT through rel-link',
      'path_unlink_file through rel-link',
      'path_remove_directory through sub/up-link',
      'path_rename into rel-link',
      'path_rename out of rel-link',
      'path_link out of rel-link',
      'path_link following file-out',
      'path_symlink into rel-link',
      'path_filestat_set_times through rel-link',
      'path_readlink of link gives its text',
      'a symlink the guest made to ../outside is not followed',
      'a symlink the guest made to /etc is not followed',
      'the marker is still there',
      'loop1 <-> loop2: ELOOP',
      'open sub as a directory',
      'inner from the sub fd',
      '.. from the sub fd',
      'back-link -> ../marker from the sub fd',
    ], async () => {
      await makeBoxes();
      return runOnWalk(fallback, work(), GUEST, { args: [GUEST, basename(work())], preopens: { '/box': box() } });
    }, { skip });

    it.skipIf(skip !== undefined)(`nothing outside the box changed${skip ? ` [skipped: ${skip}]` : ''}`, async () => {
      expect((await readdir(outside())).sort()).toEqual(['marker', 'secret', 'sub']);
      expect(await readFile(join(outside(), 'secret'), 'utf8')).toBe('SECRET\n');
      expect(existsSync(join(work(), 'hard-secret'))).toBe(false);
    });
  });

  // The fallback names entries by host path strings, so a swap between its check and its use can lead out: the
  // race is run on the /proc/self/fd walk only.
  const raceSkip = fallback ? 'the fallback walk is not race-free (path-resolve.ts)' : skip;
  describe('sandbox: a host-side race swapping a directory and symlinks out', () => {
    // The guest opens racer/marker and racer/sub/marker in a loop while this thread renames
    // a real directory, a relative symlink out and an absolute one in and out of `racer` (libuv's
    // threads do the renames; the guest runs in its worker), for as long as the guest runs.
    const ITERATIONS = 20_000;
    const MAX_SWAPS = 1_000_000;
    let swaps = 0;
    expectChecks([
      'race: never reads outside the box',
      'race: refusals are ENOENT, ENOTCAPABLE, ELOOP or ENOTDIR',
    ], async () => {
      const raceBox = join(work(), 'race-box');
      if (!existsSync(outside())) await makeBoxes();
      await makeTree(raceBox, {
        '.real/marker': 'inside\n',
        '.real/sub/marker': 'inside\n',
        '.rel': { symlink: '../outside' },
        '.abs': { symlink: outside() },
      });
      const racer = join(raceBox, 'racer');
      let running = true;
      const swapper = (async () => {
        const spares = ['.real', '.rel', '.abs'].map((name) => join(raceBox, name));
        for (; running && swaps < MAX_SWAPS; swaps++) {
          const spare = spares[swaps % spares.length]!;
          await rename(spare, racer);
          await rename(racer, spare);
        }
      })();
      try {
        return await runChecks(work(), GUEST, { args: [GUEST, 'race', String(ITERATIONS)], preopens: { '/box': raceBox } });
      } finally {
        running = false;
        await swapper;
      }
    }, { skip: raceSkip });

    it.skipIf(raceSkip !== undefined)(`the swapper ran during the guest${raceSkip ? ` [skipped: ${raceSkip}]` : ''}`, () => {
      expect(swaps).toBeGreaterThan(10);
    });
  });
});
