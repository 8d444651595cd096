// The `wasmux` command, run as a user runs it (node dist/src/cli/main.js, built by npm test's
// pretest): the demo's summary, serve with a real client, and usage errors.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

function start(args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [cli, ...args], { stdio: 'pipe' });
}

async function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = start(args);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

describe('wasmux CLI', () => {
  it('demo: serves its clients and ends with the summary, 0 bytes lost', async () => {
    const { code, stdout } = await run(['demo', '--port', '0', '--connections', '20', '--duration', '0.5', '--selector', 'poll']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/selector\s+poll \(20 connections accepted\)/);
    expect(stdout).toMatch(/connections\s+20/);
    expect(stdout).toMatch(/messages\s+[\d,]+ \([\d,]+\/s\)/);
    expect(stdout).toMatch(/latency\s+p50 [\d.]+ ms, p99 [\d.]+ ms/);
    expect(stdout).toContain('0 bytes lost (every echo checked)');
  }, 30_000);

  it('serve: echoes what a client sends, and stops on SIGTERM', async () => {
    const child = start(['serve', '--port', '0', '--selector', 'select']);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    while (!/127\.0\.0\.1:(\d+)/.test(stdout)) await once(child.stdout, 'data');
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(stdout)![1]);
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.end('hello, wasmux\n');
    const parts: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => parts.push(chunk));
    await once(socket, 'close');
    expect(Buffer.concat(parts).toString()).toBe('hello, wasmux\n');
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(stdout).toContain('served 1 connections, 14 bytes echoed');
  }, 30_000);

  it('run: a WASI guest serves a real client on the listener it was given, then exits with its code', async () => {
    const guest = fileURLToPath(new URL('../../build/guests/echo.wasm', import.meta.url));
    const child = start(['run', guest, '--listen', '127.0.0.1:0', '--', '1', '20000']);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    while (!/fd 3 listens on 127\.0\.0\.1:(\d+)/.test(stderr)) await once(child.stderr, 'data');
    const port = Number(/fd 3 listens on 127\.0\.0\.1:(\d+)/.exec(stderr)![1]);
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.end('through the guest\n');
    const parts: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => parts.push(chunk));
    await once(socket, 'close');
    expect(Buffer.concat(parts).toString()).toBe('through the guest\n');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0); // the echo guest exits 0 once its one connection has closed
  }, 30_000);

  it.each([
    [['serve', '--bogus']],
    [['demo', '--port', '70000']],
    [['demo', '--selector', 'kqueue']],
    [['demo', '--connections', '0']],
    [['frobnicate']],
    [['run']],
    [[]],
  ])('bad command line %j: usage on stderr, exit code 2', async (args) => {
    const { code, stdout, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stdout + stderr).toMatch(/usage: wasmux (<command>|run guest.wasm)/);
  });

  it('help: usage on stdout, exit code 0', async () => {
    const { code, stdout } = await run(['help']);
    expect(code).toBe(0);
    expect(stdout).toContain('serve   run the selectors echo server');
  });
});
