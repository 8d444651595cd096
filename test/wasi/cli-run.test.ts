// The `wasmux run` command line (src/cli/run.ts), parsed and run.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseRunArgs, runCommand, RunUsageError } from '../../src/cli/run.js';
import { guestsForFile } from './guest-helpers.js';

const SOURCES = {
  // Reads stdin, writes it to stdout and "err" to stderr, exits 300.
  exit300: `
export function _start(): void {
  fd_read(0, iov(BUF, 100), 1, OUT);
  fd_write(1, iov(BUF, load<u32>(OUT)), 1, OUT2);
  store<u32>(BUF, 0x00727265);
  fd_write(2, iov(BUF, 3), 1, OUT2);
  proc_exit(300);
}`,
  trap: `
export function _start(): void {
  unreachable();
}`,
};

const guests = guestsForFile(SOURCES);

/** A Writable that keeps the text written to it. */
function textSink(): { stream: Writable; text: () => string } {
  let text = '';
  return { stream: new Writable({ write(chunk, _enc, done) { text += String(chunk); done(); } }), text: () => text };
}

describe('parseRunArgs', () => {
  it('reads the file, listeners in order, directories, environment and the guest args after --', () => {
    expect(parseRunArgs(['dir/guest.wasm', '--listen', '127.0.0.1:8080', '--listen', '[::1]:0', '--dir', '/tmp/x:/data', '--dir', '/srv',
      '--env', 'A=b=c', '--', '--listen', 'x'])).toEqual({
      wasm: 'dir/guest.wasm',
      listen: [{ host: '127.0.0.1', port: 8080 }, { host: '::1', port: 0 }],
      preopens: { '/data': '/tmp/x', '/srv': '/srv' },
      env: { A: 'b=c' },
      args: ['guest.wasm', '--listen', 'x'],
    });
  });

  it.each([
    [[]], [['--listen', '127.0.0.1:1']], [['g.wasm', '--listen', '8080']], [['g.wasm', '--listen', 'h:99999']],
    [['g.wasm', '--listen']], [['g.wasm', '--env', 'novalue']], [['g.wasm', '--bogus']], [['g.wasm', 'extra']],
  ])('rejects %j', (argv) => {
    expect(() => parseRunArgs(argv as string[])).toThrow(RunUsageError);
  });
});

describe('runCommand', () => {
  it('a usage error prints the usage and gives 2; a missing file gives 134 with the reason', async () => {
    let text = '';
    const sink = new Writable({ write(chunk, _enc, done) { text += String(chunk); done(); } });
    expect(await runCommand(['--nope'], sink)).toBe(2);
    expect(text).toMatch(/unknown option '--nope'[\s\S]*usage: wasmux run/);
    text = '';
    expect(await runCommand(['/nonexistent/guest.wasm'], sink)).toBe(134);
    expect(text).toMatch(/ENOENT/);
  });

  it('gives the exit code as a process status (its low 8 bits); the guest\'s stderr goes to stderr', async () => {
    const err = textSink();
    let out = '';
    expect(await runCommand([guests.path('exit300')], err.stream, { stdin: 'in', stdout: (c) => (out += Buffer.from(c).toString()) })).toBe(300 & 0xff);
    expect(out).toBe('in');
    expect(err.text()).toBe('err');
  });

  it('a trap gives 134 and says which trap, in the same words on every runtime', async () => {
    const err = textSink();
    expect(await runCommand([guests.path('trap')], err.stream)).toBe(134);
    expect(err.text()).toBe('wasmux run: the guest trapped: unreachable\n');
  });
});
