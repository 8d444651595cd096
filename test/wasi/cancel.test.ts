// runWasi's `signal`: aborting ends the guest (its worker is terminated, whether it waits in a host
// call or computes), closes its listeners and connections, and rejects with an AbortError shaped
// as Node's own (name AbortError, code ABORT_ERR, cause: the signal's reason).
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AbortError, listen, runWasi } from '../../src/index.js';
import { runCommand } from '../../src/cli/run.js';
import { within } from '../examples/classic-helpers.js';
import { guestsForFile } from './guest-helpers.js';

const SOURCES = {
  // Accepts one connection, says so, then waits for bytes that never come.
  hold: `
export function _start(): void {
  check(sock_accept(3, 0, OUT), 1);
  fd_write(1, iov(BUF, 1), 1, OUT2);
  sock_recv(load<u32>(OUT), iov(BUF, 16), 1, 0, OUT2, SCRATCH);
  proc_exit(9);
}`,
  // Says so, then waits in poll_oneoff on a clock of an hour.
  sleep: `
export function _start(): void {
  fd_write(1, iov(BUF, 1), 1, OUT2);
  memory.fill(SUBS, 0, 48);
  store<u32>(SUBS + 16, 1);
  store<u64>(SUBS + 24, 3_600_000_000_000);
  poll_oneoff(SUBS, EVENTS, 1, OUT);
  proc_exit(9);
}`,
  // Says so, then computes forever without a host call.
  spin: `
export function _start(): void {
  fd_write(1, iov(BUF, 1), 1, OUT2);
  for (;;) store<u32>(OUT, load<u32>(OUT) + 1);
}`,
};

const guests = guestsForFile(SOURCES);

/** Resolves at the guest's first stdout byte. */
function firstOutput(): { stdout: (chunk: Uint8Array) => void; started: Promise<void> } {
  let started!: () => void;
  const promise = new Promise<void>((resolve) => (started = resolve));
  return { stdout: () => started(), started: within(promise, 'the guest starting') };
}

const abortShape = (reason: unknown) => ({ name: 'AbortError', code: 'ABORT_ERR', cause: reason });

describe('runWasi with a signal', () => {
  it('aborting ends a guest waiting in sock_recv: its client sees the connection end, the port is free again', async () => {
    const controller = new AbortController();
    const out = firstOutput();
    let port = 0;
    const run = runWasi(guests.path('hold'), {
      listen: [{ host: '127.0.0.1', port: 0 }],
      stdout: out.stdout,
      signal: controller.signal,
      onListening: ([address]) => (port = address!.port),
    });
    const outcome = run.then(() => undefined, (error: unknown) => error);
    while (port === 0) await new Promise((resolve) => setImmediate(resolve));
    const client = connect({ host: '127.0.0.1', port });
    client.on('error', () => {}); // a reset is as good an end as a FIN here
    const ended = within(once(client, 'close'), 'the client seeing its connection end');
    await out.started; // accepted
    const reason = new Error('enough');
    controller.abort(reason);
    const error = await within(outcome, 'runWasi settling');
    expect(error).toBeInstanceOf(AbortError); // the same class as every other wait's
    expect(error).toMatchObject(abortShape(reason));
    await ended;
    // Nothing listens on the port any more: it can be bound again at once.
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => server.close(resolve));
  });

  // Bun's worker.terminate() does not stop a thread that is running WebAssembly (it does stop one
  // waiting in a host call, which is where a guest waits for sockets, stdin or clocks).
  const bun = process.versions.bun !== undefined;
  it.skipIf(bun)(`aborting ends a guest that computes without calling the host${bun ? ' (skipped: Bun cannot terminate a worker running WebAssembly)' : ''}`, async () => {
    const controller = new AbortController();
    const out = firstOutput();
    const outcome = runWasi(guests.path('spin'), { stdout: out.stdout, signal: controller.signal }).then(() => undefined, (e: unknown) => e);
    await out.started;
    controller.abort();
    const error = await within(outcome, 'runWasi settling');
    expect(error).toMatchObject(abortShape(controller.signal.reason));
    expect((error as Error).cause).toBeInstanceOf(Error); // the default reason, a DOMException AbortError
  });

  it('an already aborted signal rejects before the guest starts, and closes the Listeners given', async () => {
    const listener = await listen({ host: '127.0.0.1', port: 0 });
    const reason = 'stop';
    await expect(runWasi(guests.path('hold'), { listen: [listener], signal: AbortSignal.abort(reason) })).rejects.toMatchObject(abortShape(reason));
    expect(listener.closed).toBe(true);
  });

  it('a signal that is not an AbortSignal is EINVAL', async () => {
    await expect(runWasi(guests.path('spin'), { signal: {} as AbortSignal })).rejects.toMatchObject({ code: 'EINVAL' });
  });

  it('wasmux run gives 130 when cancelled', async () => {
    const controller = new AbortController();
    const out = firstOutput();
    let text = '';
    const stderr = new Writable({ write(chunk, _enc, done) { text += String(chunk); done(); } });
    const code = runCommand([guests.path('sleep')], stderr, { stdout: out.stdout, signal: controller.signal });
    await out.started;
    controller.abort();
    expect(await within(code, 'runCommand settling')).toBe(130);
    expect(text).toMatch(/wasmux run: The operation was aborted/);
  });
});
