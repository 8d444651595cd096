// The `wasmux run` command line (src/wasi/cli-run.ts), parsed and run.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseRunArgs, runCommand, RunUsageError } from '../../src/index.js';

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
});
