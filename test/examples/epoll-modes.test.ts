// The epoll-modes example, run as a program: what each wait reports under LT, ET and ONESHOT.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const program = fileURLToPath(new URL('../../dist/examples/epoll-modes.js', import.meta.url));

describe('epoll-modes example', () => {
  it('shows LT repeating, ET once per chunk, ONESHOT once until modify', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [program], { timeout: 20_000 });
    const waits = stdout.split('\n').filter((line) => line.includes('wait ->')).map((line) => line.split(/\s{2,}/)[1]);
    expect(waits.slice(0, 5)).toEqual(['wait -> LT, ET, ONESHOT', 'wait -> LT', 'wait -> LT, ET', 'wait -> LT, ONESHOT', 'wait -> (nothing)']);
    expect(stdout).toMatch(/wait -> ET after [\d.]+ ms/);
    expect(stdout).toContain('Poll.poll -> ET');
    expect(stdout).toMatch(/fd \d+ \(ONESHOT\): events 0x19 ONESHOT disarmed/);
  });
});
