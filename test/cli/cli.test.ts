// The `wasmux` command, run as a user runs it (node dist/src/cli/main.js, built by npm test's
// pretest): the demo's summary, serve with real clients (one that half-closes at once and reads
// late), run with a WASI guest, and usage errors. Every wait is bounded.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  exchange, killChildrenAfterEach, runScript, sendAllThenReadLate, sha256, signal, type Child,
} from '../examples/classic-helpers.js';

killChildrenAfterEach();

const cli = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const wasmux = (args: string[]): Child => runScript(cli, args, `wasmux ${args.join(' ')}`);

describe('wasmux CLI', () => {
  it('demo: serves its clients and ends with the summary, 0 bytes lost', async () => {
    const child = wasmux(['demo', '--port', '0', '--connections', '20', '--duration', '0.5', '--selector', 'poll']);
    expect(await child.exited(30_000)).toEqual({ code: 0, signal: null });
    const stdout = child.stdout();
    expect(stdout).toMatch(/selector\s+poll \(20 connections accepted\)/);
    expect(stdout).toMatch(/connections\s+20/);
    expect(stdout).toMatch(/messages\s+[\d,]+ \([\d,]+\/s\)/);
    expect(stdout).toMatch(/latency\s+p50 [\d.]+ ms, p99 [\d.]+ ms/);
    expect(stdout).toContain('0 bytes lost (every echo checked)');
  }, 40_000);

  it.each(['SIGTERM', 'SIGINT'] as const)('serve: echoes what a client sends, and stops on %s with exit code 0', async (sig) => {
    const child = wasmux(['serve', '--port', '0', '--selector', 'select']);
    const [, port] = await child.line(/127\.0\.0\.1:(\d+)/);
    expect(await exchange(Number(port), ['hello, wasmux\n'])).toBe('hello, wasmux\n');
    signal(child, sig); // process.kill: see signal() for why not child.kill on Deno
    expect(await child.exited()).toEqual({ code: 0, signal: null });
    expect(child.stdout()).toContain('served 1 connections, 14 bytes echoed');
  }, 30_000);

  it('serve: a client that sends 8 MiB, half-closes at once and reads late and slowly gets every byte back', async () => {
    const child = wasmux(['serve', '--port', '0']);
    const [, port] = await child.line(/127\.0\.0\.1:(\d+)/);
    const data = randomBytes(8 << 20);
    // It starts reading once a second client's 64 KiB have been echoed (by then the server has
    // kept echo for it, its window being closed), then reads slowly: the server may meet its EOF
    // with echo still kept, and must then send all of it before closing. (Whether it does depends
    // on how much the kernel buffers; test/examples/selectors-echo-server.test.ts makes it certain.)
    const readFrom = exchange(Number(port), ['x'.repeat(64 << 10)]);
    const back = await sendAllThenReadLate(Number(port), data, readFrom, 50_000, { slowly: true });
    expect(back.bytes).toBe(data.length);
    expect(back.sha256).toBe(sha256(data));
    signal(child, 'SIGTERM');
    expect(await child.exited()).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('run: a WASI guest serves a real client on the listener it was given, then exits with its code', async () => {
    const guest = fileURLToPath(new URL('../../build/guests/echo.wasm', import.meta.url));
    const child = wasmux(['run', guest, '--listen', '127.0.0.1:0', '--', '1', '20000']);
    const [, port] = await child.errLine(/fd 3 listens on 127\.0\.0\.1:(\d+)/);
    expect(await exchange(Number(port), ['through the guest\n'])).toBe('through the guest\n');
    // The echo guest exits 0 once its one connection has closed.
    expect(await child.exited(30_000)).toEqual({ code: 0, signal: null });
  }, 40_000);

  it.each([
    [['serve', '--bogus']],
    [['demo', '--port', '70000']],
    [['demo', '--selector', 'kqueue']],
    [['demo', '--connections', '0']],
    [['frobnicate']],
    [['run']],
    [[]],
  ])('bad command line %j: usage on stderr, exit code 2', async (args) => {
    const child = wasmux(args);
    expect(await child.exited(), child.stderr()).toEqual({ code: 2, signal: null });
    expect(child.stdout() + child.stderr()).toMatch(/usage: wasmux (<command>|run guest.wasm)/);
  });

  it('help: usage on stdout, exit code 0', async () => {
    const child = wasmux(['help']);
    expect(await child.exited()).toEqual({ code: 0, signal: null });
    expect(child.stdout()).toContain('serve   run the selectors echo server');
  });
});
