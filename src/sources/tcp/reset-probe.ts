import { readSync } from 'node:fs';
import type { Socket as NodeSocket } from 'node:net';
import { peerGone, setInternals, socketFd } from './net-internals.js';

/**
 * Telling a reset from a FIN after the runtime reported EOF.
 *
 * What Linux does (checked on this project's machine, kernel 6.18, over 127.0.0.1 with a peer
 * that sent 50,000 bytes and closed with SO_LINGER 0 before the server read anything): the RST
 * does not discard the receive queue. recv() returns the 50,000 bytes, then fails once with
 * ECONNRESET, then returns 0 (EOF) for ever; poll shows IN|ERR|HUP|RDHUP until the error is read.
 *
 * libuv before 1.52.1 (Node 20 and 22) does not: after a short read with POLLHUP set it reports
 * EOF without reading again, so the ECONNRESET stays pending in the kernel. libuv 1.52.1 (Node 24
 * and 26) reads again and reports the reset itself, as Deno does, and as Bun 1.4 does for a
 * socket with an 'error' listener (a TcpSocket always has one; without one Bun says EOF). So
 * after an EOF we ask, in this order:
 * 1. the fd (net-internals.ts 1), read once more as recv(2) would: 0 is a real FIN, an error is
 *    the pending reset. Exact.
 * 2. a fresh getpeername (net-internals.ts 4): ENOTCONN means the kernel's socket is CLOSED,
 *    which a FIN alone never does. Only asked while we have not sent our own FIN (after both
 *    FINs the socket is CLOSED too). It cannot tell a FIN followed by a reset from a reset: it
 *    reports both as ECONNRESET, where recv would return EOF (and the error would wait for a send).
 * 3. the documented `socket.remoteAddress`: undefined when it was first asked after the socket
 *    lost its peer (Node and Bun keep the first answer, and a TcpSocket asks when it is made, so
 *    this tells only for a connection that was reset before it was accepted).
 * With none of them, the EOF stands and the reset shows on the next send.
 */

/** What asking after the runtime's EOF found. */
export interface ProbeResult {
  /** The pending socket error ('ECONNRESET'...), or null for a clean EOF. */
  code: string | null;
  /** Bytes the read returned before that (none in practice: data never follows a FIN). */
  chunks: Uint8Array[];
}

/** Errors that mean the connection ended badly; any other answer is no information. */
const CONNECTION_ERRORS = new Set([
  'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN',
]);

/**
 * True when the runtime reads past a hang-up itself, so that its EOF is always a FIN and a reset
 * is always its 'error': libuv 1.52.1 and later (Node 24 and 26; Deno reports that version and
 * behaves so). Bun reports an older libuv.
 */
export const runtimeReportsResets: boolean = (() => {
  if (process.versions.bun !== undefined) return false;
  const [major = 0, minor = 0, patch = 0] = (process.versions.uv ?? '').split('.').map(Number);
  return major > 1 || (major === 1 && (minor > 52 || (minor === 52 && patch >= 1)));
})();

let scratch: Buffer | null = null;

/** Turns the fd probe off (or on again): tests use it to run the next way of asking. */
export function setResetProbe(on: boolean): void {
  setInternals('fd', on);
}

/** True when the fd probe can answer for `socket`. */
export function resetProbeAvailable(socket: NodeSocket): boolean {
  return socketFd(socket) >= 0;
}

/** Reads the fd until it says EOF or an error: the fd probe. undefined without the fd. */
export function readFdAfterEof(socket: NodeSocket, always = false): ProbeResult | undefined {
  const fd = socketFd(socket, always);
  if (fd < 0) return undefined;
  scratch ??= Buffer.allocUnsafe(65536);
  const chunks: Uint8Array[] = [];
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, scratch, 0, scratch.length, null);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return { code: typeof code === 'string' && CONNECTION_ERRORS.has(code) ? code : null, chunks };
    }
    if (n === 0) return { code: null, chunks };
    chunks.push(new Uint8Array(scratch.subarray(0, n)));
  }
}

/**
 * Call when the runtime emitted 'end' and the handle is still open (allowHalfOpen); `sentFin`:
 * we shut down our sending side. Returns undefined when nothing here can tell.
 */
export function probeAfterEof(socket: NodeSocket, sentFin: boolean): ProbeResult | undefined {
  if (runtimeReportsResets) return { code: null, chunks: [] };
  const read = readFdAfterEof(socket);
  if (read !== undefined) return read;
  if (sentFin) return undefined;
  const gone = peerGone(socket);
  if (gone !== undefined) return { code: gone ? 'ECONNRESET' : null, chunks: [] };
  return socket.remoteAddress === undefined ? { code: 'ECONNRESET', chunks: [] } : undefined;
}
