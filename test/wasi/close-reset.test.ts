// A guest that closes a connection without reading what arrived resets it, as Linux's tcp_close
// does: the peer sees ECONNRESET rather than an orderly EOF.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { runWasi } from '../../src/index.js';
import { guestsForFile } from './guest-helpers.js';

// Accepts one connection (blocking), peeks one byte (so the data is there), closes without
// reading, and exits.
const GUEST = `
export function _start(): void {
  check(sock_accept(3, 0, OUT), 10);
  const conn = load<u32>(OUT);
  check(sock_recv(conn, iov(BUF, 1), 1, 1, OUT, OUT2), 11); // RECV_PEEK
  check(fd_close(conn), 12);
}
`;

const guests = guestsForFile({ closeUnread: GUEST });

describe('closing with unread bytes', () => {
  it('resets the connection', async () => {
    let client!: net.Socket;
    const outcome = new Promise<string>((resolve) => {
      const run = runWasi(guests.path('closeUnread'), {
        listen: [{ host: '127.0.0.1', port: 0 }],
        onListening: ([address]) => {
          client = net.connect({ host: '127.0.0.1', port: address!.port });
          client.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
          client.on('end', () => resolve('EOF'));
          client.write('never read by the guest');
        },
      });
      void run.then(({ exitCode }) => expect(exitCode).toBe(0));
    });
    expect(await outcome).toBe('ECONNRESET');
    client.destroy();
  }, 20_000);
});
