// docs/examples/embed-core.mjs, the ABI's worked example, run as a user runs it: its output is
// the one docs/core-abi.md shows.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../docs/examples/embed-core.mjs', import.meta.url));
const doc = readFileSync(new URL('../../docs/core-abi.md', import.meta.url), 'utf8');

describe('the embedding example of docs/core-abi.md', () => {
  it('prints what the doc says it prints', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--no-warnings', script], { timeout: 20_000 });
    expect(stdout).toContain('first wait:  [ [ 10, 1 ], [ 11, 1 ] ]');
    for (const line of stdout.trim().split('\n')) expect(doc).toContain(line);
  });

  it('is in the doc verbatim', () => {
    expect(doc).toContain(readFileSync(script, 'utf8').trim());
  });
});
