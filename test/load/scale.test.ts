/**
 * 10,000 concurrent loopback connections in one Epoll, each echoing one message. The clients run
 * in a child process (test/load/scale-clients.mjs) so that each process holds 10,000 sockets,
 * within the machine's 20,000 open files.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { serveEcho } from '../../examples/epoll-echo-server.js';
import { listen } from '../../src/index.js';

const CONNECTIONS = Number(process.env.WASMUX_SCALE_CONNECTIONS ?? 10_000);
const clients = fileURLToPath(new URL('./scale-clients.mjs', import.meta.url));

describe('scale', () => {
  it(`serves ${CONNECTIONS} concurrent connections from one Epoll`, async () => {
    const listener = await listen({ host: '127.0.0.1', port: 0, backlog: 4096 });
    const server = serveEcho(listener);
    const child = spawn(process.execPath, [clients, String(listener.address().port), String(CONNECTIONS)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const report = JSON.parse(output.trim().split('\n').pop() ?? '{}') as { echoed?: number; errors?: string[] };

    expect(report.errors ?? []).toEqual([]);
    expect(report.echoed).toBe(CONNECTIONS);
    expect(exitCode).toBe(0);
    expect(server.stats.accepted).toBe(CONNECTIONS);
    expect(server.stats.peakOpen).toBe(CONNECTIONS); // all were open at once
    server.stop();
    await server.done;
  }, 150_000);
});
