// runWasi basics: the guest runs in a worker with node:wasi behind it (argv, environment, stdout,
// exit code, preopened directories after the listeners).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWasi } from '../../src/index.js';
import { guestsForFile } from './guest-helpers.js';

const SOURCES = {
  // Writes argv then the environment (NUL-separated, as args_get lays them out), exits 7.
  args: `
export function _start(): void {
  check(args_sizes_get(OUT, OUT2), 1);
  const argc = load<u32>(OUT);
  check(args_get(SCRATCH, BUF), 2);
  fd_write(1, iov(BUF, load<u32>(OUT2)), 1, OUT);
  check(environ_sizes_get(OUT, OUT2), 3);
  check(environ_get(SCRATCH, BUF), 4);
  fd_write(1, iov(BUF, load<u32>(OUT2)), 1, OUT);
  proc_exit(argc == 3 ? 7 : 9);
}`,
  // Returns from _start: exit code 0.
  ret: `
export function _start(): void {
  fd_write(2, iov(BUF, 0), 1, OUT);
}`,
  // Reports fd_prestat_get for 3 and 4 and the fd number of the connection it accepts on 3.
  numbering: `
export function _start(): void {
  rec(fd_prestat_get(3, SCRATCH));
  rec(fd_prestat_get(4, SCRATCH));
  rec(load<u8>(SCRATCH));
  check(sock_accept(3, 0, OUT), 1);
  rec(load<u32>(OUT));
  check(fd_close(load<u32>(OUT)), 2);
  flush();
}`,
  trap: `
export function _start(): void {
  unreachable();
}`,
};

const guests = guestsForFile(SOURCES, 'wasmux-run-');

describe('runWasi', () => {
  it('passes argv and the environment, and returns the exit code of proc_exit', async () => {
    const { exitCode, out } = await guests.runCaptured('args', { args: ['prog', 'a b', 'c'], env: { K: 'V', EMPTY: '' } });
    expect(exitCode).toBe(7);
    expect(out).toBe('prog\0a b\0c\0K=V\0EMPTY=\0');
  });

  it('a guest returning from _start exits 0', async () => {
    expect((await guests.runCaptured('ret')).exitCode).toBe(0);
  });

  it('accepts a compiled WebAssembly.Module', async () => {
    const { readFile } = await import('node:fs/promises');
    const module = new WebAssembly.Module(await readFile(guests.path('ret')));
    expect((await runWasi(module)).exitCode).toBe(0);
  });

  it('rejects when the guest traps, and ends its worker', async () => {
    await expect(runWasi(guests.path('trap'))).rejects.toThrow(/unreachable/);
  });

  it('numbers the listeners 3.. before the directories; an accepted socket gets the lowest free fd', async () => {
    const dir = join(guests.work, 'data');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'f'), 'x');
    const { connect } = await import('node:net');
    let client: ReturnType<typeof connect> | undefined;
    const { exitCode, out } = await guests.runCaptured('numbering', {
      listen: [{ host: '127.0.0.1', port: 0 }],
      preopens: { '/data': dir },
      onListening: ([address]) => {
        client = connect({ host: '127.0.0.1', port: address!.port });
        client.on('error', () => {});
      },
    });
    client?.destroy();
    expect(exitCode).toBe(0);
    // fd 3 (a listener) is no preopen: EBADF; fd 4 is /data (tag 0 = dir); the socket is fd 5.
    expect([...Buffer.from(out, 'latin1')]).toEqual([8, 0, 0, 5]);
  });
});
