import { readSync } from 'node:fs';
import type { Socket as NodeSocket } from 'node:net';
import { setInternals, socketFd } from './net-internals.js';

/**
 * Telling a reset from a FIN after Node reported EOF, with the socket's fd (net-internals.ts).
 *
 * When a reset arrives while received data is still queued, libuv reads the data and then,
 * seeing POLLHUP after a short read, reports EOF without reading again. Node emits 'end', and the
 * ECONNRESET stays pending in the kernel. recv(2) would return it, so after 'end' we read the fd
 * once more, as recv would: 0 means the EOF was a real FIN, an error is the pending reset.
 *
 * Without the fd (another runtime, Windows, a future Node) the probe answers `undefined` and the
 * caller keeps the documented behaviour: the EOF stands, and the reset shows on the next send.
 */

/** What reading the fd after Node's EOF found. */
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

let scratch: Buffer | null = null;

/** Turns the probe off (or on again): tests use it to run the documented fallback. */
export function setResetProbe(on: boolean): void {
  setInternals('fd', on);
}

/** True when probeAfterEof can answer for `socket`. */
export function resetProbeAvailable(socket: NodeSocket): boolean {
  return socketFd(socket) >= 0;
}

/**
 * Call when Node emitted 'end' and the handle is still open (allowHalfOpen). Returns undefined
 * when the probe is not available.
 */
export function probeAfterEof(socket: NodeSocket): ProbeResult | undefined {
  const fd = socketFd(socket);
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
