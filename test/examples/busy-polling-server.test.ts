// examples/busy-polling-server.ts: correct upper-cased replies to concurrent node:net clients,
// and the CPU figures it exists to show are measured and reported (their values depend on the
// machine, so only their presence and consistency are checked, never a threshold).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatCpuSample, serveBusyPolling } from '../../examples/busy-polling-server.js';
import { upperCase } from '../../examples/upper-case.js';
import { listen } from '../../src/index.js';
import { expectTableEmptyAfterEach } from '../helpers.js';
import {
  exchange, killChildrenAfterEach, runExample, sendAllThenReadLate, sha256, signal, upper, within,
} from './classic-helpers.js';

expectTableEmptyAfterEach();
killChildrenAfterEach();

describe('busy-polling server', () => {
  it('upper-cases bytes, leaving everything but a-z alone', () => {
    const input = new TextEncoder().encode('Hello, wörld! az AZ {`@[');
    expect(new TextDecoder().decode(upperCase(input))).toBe('HELLO, WöRLD! AZ AZ {`@[');
  });

  it('answers 20 concurrent clients, each message upper-cased and in order', async () => {
    const listener = await listen({ host: '127.0.0.1', port: 0 });
    const server = serveBusyPolling(listener);
    const port = listener.address().port;
    server.sample(); // start the window here
    const scripts = Array.from({ length: 20 }, (_, c) =>
      Array.from({ length: 10 }, (_, m) => `client ${c} message ${m}: the quick brown fox\n`));
    const replies = await Promise.all(scripts.map((chunks) => exchange(port, chunks)));
    for (const [c, chunks] of scripts.entries()) expect(replies[c], `client ${c}`).toBe(upper(chunks.join('')));

    const sample = server.sample();
    expect(server.stats.accepted).toBe(20);
    expect(sample.messages).toBeGreaterThan(0); // TCP may coalesce writes: at least one recv per client
    expect(sample.messages).toBe(server.stats.messages);
    expect(sample.passes).toBeGreaterThan(0);
    expect(Number.isFinite(sample.cpuMs) && sample.cpuMs >= 0).toBe(true);
    expect(sample.cpuUsPerMessage).not.toBeNull();
    expect(formatCpuSample(sample)).toMatch(/s: CPU \d+% of a core \([\d.]+ ms\), [\d,]+ passes, [\d,]+ messages, [\d.]+ µs CPU per message$/);
    server.stop();
    await within(server.done, 'the server to stop');
    expect(server.stats.closed).toBe(20);
    expect(server.stats.bytesEchoed).toBe(scripts.flat().join('').length);
  });

  it('measures what idle passes cost: passes counted, no messages, CPU reported', async () => {
    const listener = await listen({ host: '127.0.0.1', port: 0 });
    const server = serveBusyPolling(listener);
    const idle = await within(server.measureIdle(500), '500 idle passes');
    expect(idle.passes).toBe(500);
    expect(idle.messages).toBe(0);
    expect(idle.cpuUsPerMessage).toBeNull();
    expect(idle.wallMs).toBeGreaterThan(0);
    expect(Number.isFinite(idle.corePercent) && idle.corePercent >= 0).toBe(true);
    expect(formatCpuSample(idle)).toMatch(/CPU \d+% of a core .*, 500 passes, 0 messages \(idle\)$/);
    // Each idle pass asked the listener and found nothing: pure would-block answers.
    expect(server.stats.wouldBlock).toBeGreaterThanOrEqual(500);
    server.stop();
    await within(server.done, 'the server to stop');
  });

  it('sends 4 MiB through a 4 KiB send buffer whole and in order (partial sends retried each pass)', async () => {
    const listener = await listen({ host: '127.0.0.1', port: 0, sendCapacity: 4096 });
    const server = serveBusyPolling(listener);
    // 4 MiB in one go: far more than the 4 KiB send buffer and loopback's kernel buffers hold.
    const big = 'abcdefghijklmnopqrstuvwxyz0123456789\n'.repeat(4 * 1024 * 1024 / 37);
    const reply = await exchange(listener.address().port, [big]);
    expect(reply.length).toBe(big.length);
    expect(reply === upper(big)).toBe(true);
    server.stop();
    await within(server.done, 'the server to stop');
  });

  it('a client that half-closes at once and reads only after the server closed its socket gets every byte', async () => {
    // The server meets the EOF with its replies handed to the socket but not yet read by the
    // client (its window is closed): close() must still deliver them, then the FIN.
    const listener = await listen({ host: '127.0.0.1', port: 0 });
    const server = serveBusyPolling(listener);
    const closed = (async () => {
      // Waits on the loop's own passes, not a timer: each measureIdle ends after one more idle pass.
      while (server.stats.closed === 0) await server.measureIdle(1);
    })();
    const data = randomBytes(200 * 1024); // within the socket's 256 KiB send buffer: every send takes all
    const back = await sendAllThenReadLate(listener.address().port, data, closed);
    expect(back.bytes).toBe(data.length);
    expect(back.sha256).toBe(sha256(upperCase(data)));
    server.stop();
    await within(server.done, 'the server to stop');
  });

  it('runs as a program: reports CPU per window, serves a client, stops on SIGINT', async () => {
    const child = runExample('busy-polling-server', ['--port', '0', '--report-ms', '50']);
    const [, port] = await child.line(/on 127\.0\.0\.1:(\d+);/);
    await child.line(/CPU \d+% of a core .* \(idle\)$/); // a window with no client
    expect(await exchange(Number(port), ['ping\n'])).toBe('PING\n');
    signal(child, 'SIGINT');
    expect(await child.exited()).toEqual({ code: 0, signal: null });
    expect(child.stdout()).toMatch(/served 1 connections, \d+ messages, 5 bytes in [\d,]+ passes/);
  });

  it('refuses a bad flag with a usage message and exit code 2', async () => {
    const child = runExample('busy-polling-server', ['--port', 'eighty']);
    expect(await child.exited()).toEqual({ code: 2, signal: null });
    expect(child.stderr()).toMatch(/usage: busy-polling-server/);
  });
});
