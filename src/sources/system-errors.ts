import { isIPv6 } from 'node:net';
import { errno, type ErrnoCode } from '../core/constants.js';
import { PosixError } from '../errors.js';

/**
 * The POSIX code of an error that node:net reported. Its system errors carry the libuv name,
 * which is the POSIX name ('ECONNRESET'); Node's own argument errors ('ERR_SOCKET_BAD_PORT')
 * are EINVAL, and what we cannot name is EIO rather than a guess.
 */
export function errnoCodeOf(error: unknown): ErrnoCode {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  if (typeof code !== 'string') return 'EIO';
  if (Object.hasOwn(errno, code)) return code as ErrnoCode;
  if (code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END') return 'EPIPE';
  if (code.startsWith('ERR_INVALID_') || code.startsWith('ERR_SOCKET_')) return 'EINVAL';
  return 'EIO';
}

/** A PosixError for a node:net error, keeping Node's message for the details. */
export function toPosixError(error: unknown, what: string): PosixError {
  const detail = error instanceof Error ? error.message : String(error);
  return new PosixError(errnoCodeOf(error), `${what}: ${detail}`);
}

/**
 * The POSIX code of a failed listen(): bind(2) and listen(2) on a fresh socket, with a host and
 * port already checked. Linux answers EADDRNOTAVAIL for an address that is not this machine's;
 * Deno reports that as EINVAL. On Linux such a bind gives EINVAL only for an IPv6 link-local
 * address without a scope (fe80::1 rather than fe80::1%eth0), so any other EINVAL from bind or
 * listen is the address that is not ours.
 */
export function listenErrnoCode(error: unknown, host: string): ErrnoCode {
  const code = errnoCodeOf(error);
  if (code !== 'EINVAL') return code;
  const syscall = (error as { syscall?: unknown }).syscall;
  if (syscall !== 'listen' && syscall !== 'bind') return code;
  return linkLocalWithoutScope(host) ? 'EINVAL' : 'EADDRNOTAVAIL';
}

/** fe80::/10 without a %scope: the kernel cannot tell which link is meant. */
function linkLocalWithoutScope(host: string): boolean {
  return isIPv6(host) && !host.includes('%') && /^fe[89ab][0-9a-f]?:/i.test(host);
}
