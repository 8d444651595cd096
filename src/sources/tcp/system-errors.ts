import { errno, type ErrnoCode } from '../../core/constants.js';
import { PosixError } from '../../errors.js';

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
