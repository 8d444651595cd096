import { errno, type ErrnoCode } from './core/constants.js';

const codeOf = new Map<number, ErrnoCode>(Object.entries(errno).map(([k, v]) => [v, k as ErrnoCode]));

/** An Error carrying a POSIX `code` ('EBADF') and Linux `errno` (9), like Node's system errors. */
export class PosixError extends Error {
  readonly code: ErrnoCode;
  readonly errno: number;
  constructor(code: ErrnoCode, message?: string) {
    super(message ? `${code}: ${message}` : code);
    this.name = 'PosixError';
    this.code = code;
    this.errno = errno[code];
  }
}

/** Throws for a negative errno result of the core; returns non-negative results unchanged. */
export function check(result: number, what: string): number {
  if (result >= 0) return result;
  throw new PosixError(codeOf.get(-result) ?? 'EINVAL', what);
}
