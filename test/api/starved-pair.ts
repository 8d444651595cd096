// Issue 8's setup for the no-starvation tests, with real loopback TcpSockets.
import { expect } from 'vitest';
import { SHUT_WR, type Listener, type TcpSocket } from '../../src/index.js';
import { text } from '../helpers.js';
import { recvToEof, tcpPair } from '../sources/tcp-helpers.js';

/**
 * c sent 'ping' and half-closed; s read it and EOF, so s stays readable (LT at EOF) for as long
 * as it is open; s then sent 'back', which only reaches c's buffer when the host loop turns.
 */
export async function starvedPair(): Promise<{ listener: Listener; c: TcpSocket; s: TcpSocket }> {
  const { listener, client: c, server: s } = await tcpPair();
  c.send('ping');
  c.shutdown(SHUT_WR);
  expect(text(await recvToEof(s))).toBe('ping');
  expect(s.send('back')).toBe(4);
  return { listener, c, s };
}
