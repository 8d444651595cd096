import { Socket as NodeSocket } from 'node:net';
import { PosixError } from '../../errors.js';
import { checkHost, checkPort } from './address.js';
import { socketSettings, type ConnectOptions } from './options.js';
import { toPosixError } from '../system-errors.js';
import { onreadOption } from './net-internals.js';
import { TcpSocket, type ReadSink } from './tcp-socket.js';

/**
 * socket + connect(2) on a non-blocking socket: returns at once with the connection in progress
 * (EINPROGRESS). The socket shows nothing until it is connected, then OUT (and a wakeup). If the
 * connection fails it shows OUT|ERR|HUP (and IN|RDHUP, as Linux's tcp_poll: both directions are
 * finished) and the code ('ECONNREFUSED', 'ETIMEDOUT'...) is in `getError()` (read once, like
 * SO_ERROR) and `error`.
 *
 * Throws EINVAL at once for a bad host (not an IP address or 'localhost'), a bad port (not in
 * 1..65535) or a bad capacity.
 */
export function connect(options: ConnectOptions): TcpSocket {
  if (typeof options !== 'object' || options === null) throw new PosixError('EINVAL', 'connect needs { host, port }');
  const host = checkHost(options.host ?? '127.0.0.1', 'connect');
  const port = checkPort(options.port, 'connect', false);
  const settings = socketSettings(options, 'connect');
  // Reads land in one reused buffer and go straight to the TcpSocket (Node's documented onread),
  // rather than as 'data' events with a buffer allocated per read.
  const reads: ReadSink = {};
  const socket = new NodeSocket({ allowHalfOpen: true, onread: onreadOption((n, buffer) => reads.deliver!(n, buffer)) } as ConstructorParameters<typeof NodeSocket>[0]);
  let tcp: TcpSocket;
  try {
    tcp = new TcpSocket(socket, true, settings, reads);
  } catch (error) {
    socket.destroy(); // no fd for it (EMFILE): nothing was started
    throw error;
  }
  try {
    socket.connect({ host, port });
  } catch (error) {
    tcp.close();
    throw toPosixError(error, `connect to ${host}:${port}`);
  }
  return tcp;
}
