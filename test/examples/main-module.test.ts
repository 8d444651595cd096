// examples/main-module.ts: an example runs as a program only when it is the script the runtime
// was started with, however that script's path is spelled; imported, or under `-e`, it does not.
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isMainModule } from '../../examples/main-module.js';
import { killChildrenAfterEach, runScript } from './classic-helpers.js';

killChildrenAfterEach();

const exampleUrl = new URL('../../examples/select-upper-server.ts', import.meta.url).href;

/** Runs `body` with process.argv[1] set to `script` (undefined: no script, as under `-e`). */
function withScript(script: string | undefined, body: () => void): void {
  const saved = process.argv.slice();
  process.argv.splice(1, process.argv.length - 1, ...(script === undefined ? [] : [script, '--port', '0']));
  try {
    body();
  } finally {
    process.argv.splice(0, process.argv.length, ...saved);
  }
}

describe('isMainModule', () => {
  it('is false for a module imported by another (here, by the test runner)', () => {
    expect(isMainModule(exampleUrl)).toBe(false);
  });

  it('is false with no script (node -e, a REPL) or an argument that is not a file', () => {
    withScript(undefined, () => expect(isMainModule(exampleUrl)).toBe(false));
    withScript('--port', () => expect(isMainModule(exampleUrl)).toBe(false));
  });

  it('is true for the script itself, by absolute or relative path', () => {
    const path = fileURLToPath(exampleUrl);
    withScript(path, () => expect(isMainModule(exampleUrl)).toBe(true));
    withScript(relative(process.cwd(), path), () => expect(isMainModule(exampleUrl)).toBe(true));
  });

  it('an example started through a path with a space and a symlink runs as a program', async () => {
    // A bare `import.meta.url === file://${argv[1]}` is false here on every runtime: the URL is
    // percent-encoded, and the link's path is not the file's. The program would do nothing.
    const dir = await mkdtemp(join(tmpdir(), 'wasmux main '));
    try {
      const root = fileURLToPath(new URL('../..', import.meta.url));
      await symlink(root, join(dir, 'package'), 'dir');
      const child = runScript(join(dir, 'package', 'dist', 'examples', 'http-fetcher.js'), ['--count', '2'], 'http-fetcher (linked)');
      expect(await child.exited()).toEqual({ code: 0, signal: null });
      expect(child.stdout()).toMatch(/^2\/2 responses complete and correct/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
