// Example 3, the select() upper-case server: several clients, each reply upper-cased in full.
import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startSelectUpperServer } from '../../examples/select-upper-server.js';
import { expectTableEmptyAfterEach } from '../helpers.js';

expectTableEmptyAfterEach();

async function talk(port: number, lines: string[]): Promise<string> {
  const socket = net.connect({ host: '127.0.0.1', port });
  const parts: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => parts.push(chunk));
  await once(socket, 'connect');
  for (const line of lines) socket.write(`${line}\n`);
  socket.end();
  await once(socket, 'close');
  return Buffer.concat(parts).toString('utf8');
}

describe('select() upper-case server', () => {
  it('answers every client with its text upper-cased, ASCII only', async () => {
    const server = await startSelectUpperServer();
    const scripts = Array.from({ length: 6 }, (_, i) => [`hello ${i}`, 'élan vital', 'x'.repeat(5000 + i)]);
    const replies = await Promise.all(scripts.map((lines) => talk(server.port, lines)));
    for (const [i, lines] of scripts.entries()) {
      expect(replies[i]).toBe(lines.map((line) => `${line.replace(/[a-z]/g, (c) => c.toUpperCase())}\n`).join(''));
    }
    server.stop();
    await server.done;
  });
});
