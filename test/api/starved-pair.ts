// Issue 8's setup for the no-starvation tests, with real loopback TcpSockets.
import { expect } from 'vitest';
import { SHUT_WR, type Listener, type TcpSocket } from '../../src/index.js';
import { keep, text } from '../helpers.js';
import { recvToEof, tcpPair } from '../sources/tcp-helpers.js';

/**
 * c sent 'ping' and half-closed; s read it and EOF, so s stays readable (LT at EOF) for as long
 * as it is open; s then sent 'back', which only reaches c's buffer when the host loop turns.
 * All three are kept (closed by closeKept() after the test).
 */
export async function starvedPair(): Promise<{ listener: Listener; c: TcpSocket; s: TcpSocket }> {
  const { listener, client: c, server: s } = await tcpPair();
  keep(listener);
  keep(c);
  keep(s);
  c.send('ping');
  c.shutdown(SHUT_WR);
  expect(text(await recvToEof(s))).toBe('ping');
  expect(s.send('back')).toBe(4);
  return { listener, c, s };
}
