// poll_oneoff on fd 0: readable only when the host's stdin has data or EOF, not at once (the
// guest's stdin is mirrored through a ring the main thread fills). The guest runs under
// `wasmux run` in a child process whose stdin is a pipe this test writes to.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { guestsForFile } from './guest-helpers.js';

const cli = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

// Each turn: poll fd 0 (userdata 1) and a relative 100 ms clock (userdata 2). "T" when only the
// clock fired, "D" and the bytes when stdin had data, "E" at EOF (then exit 0).
const GUEST = `
export function _start(): void {
  for (;;) {
    memory.fill(SUBS, 0, 96);
    store<u64>(SUBS, 1);
    store<u8>(SUBS + 8, 1); // fd_read
    store<u32>(SUBS + 16, 0);
    store<u64>(SUBS + 48, 2);
    store<u8>(SUBS + 56, 0); // clock
    store<u32>(SUBS + 64, 1); // monotonic
    store<u64>(SUBS + 72, 100_000_000);
    check(poll_oneoff(SUBS, EVENTS, 2, OUT), 10);
    let stdinReady = false;
    for (let i: u32 = 0; i < load<u32>(OUT); i++) {
      if (load<u64>(EVENTS + i * 32) == 1) stdinReady = true;
    }
    if (!stdinReady) {
      rec(84);
      rec(10);
      flush();
      continue;
    }
    check(fd_read(0, iov(BUF, 65536), 1, OUT2), 11);
    const got = load<u32>(OUT2);
    if (got == 0) {
      rec(69);
      rec(10);
      flush();
      proc_exit(0);
    }
    rec(68);
    for (let j: u32 = 0; j < got; j++) rec(load<u8>(BUF + j));
    flush();
  }
}
`;

const guests = guestsForFile({ stdinPoll: GUEST });

describe('poll_oneoff on stdin', () => {
  it('reports fd 0 only when data or EOF arrives; the clock fires meanwhile', async () => {
    const child = spawn(process.execPath, [cli, 'run', guests.path('stdinPoll')], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      /** Waits until the output from `from` on contains `text`. */
      const until = async (text: string, from = 0): Promise<void> => {
        while (!out.slice(from).includes(text)) await once(child.stdout, 'data');
      };
      await until('T\nT\n'); // nothing on stdin: two clock turns, fd 0 never reported
      child.stdin.write('hello\n');
      await until('Dhello\n');
      await until('T\n', out.indexOf('Dhello\n')); // read: quiet again until more comes
      child.stdin.end('bye\n');
      await until('Dbye\nE\n');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
      expect(out).not.toMatch(/D\n/); // never an empty "data" report
    } finally {
      child.kill();
    }
  }, 30_000);
});
