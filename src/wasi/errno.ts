/** WASI preview1 errno values (wasi_snapshot_preview1 witx, `errno` enum, u16). */
export const SUCCESS = 0;
export const E2BIG = 1;
export const EACCES = 2;
export const EADDRINUSE = 3;
export const EADDRNOTAVAIL = 4;
export const EAGAIN = 6;
export const EBADF = 8;
export const ECONNABORTED = 13;
export const ECONNREFUSED = 14;
export const ECONNRESET = 15;
export const EFAULT = 21;
export const EHOSTUNREACH = 23;
export const EINVAL = 28;
export const EIO = 29;
export const EMFILE = 33;
export const ENETUNREACH = 40;
export const ENFILE = 41;
export const ENOBUFS = 42;
export const ENOMEM = 48;
export const ENOSYS = 52;
export const ENOTCONN = 53;
export const ENOTDIR = 54;
export const ENOTSOCK = 57;
export const ENOTSUP = 58;
export const EPIPE = 64;
export const ESPIPE = 70;
export const ETIMEDOUT = 73;
export const ENOTCAPABLE = 76;

const BY_NAME: Record<string, number> = {
  E2BIG, EACCES, EADDRINUSE, EADDRNOTAVAIL, EAGAIN, EWOULDBLOCK: EAGAIN, EBADF, ECONNABORTED, ECONNREFUSED, ECONNRESET,
  EFAULT, EHOSTUNREACH, EINVAL, EIO, EMFILE, ENETUNREACH, ENFILE, ENOBUFS, ENOMEM, ENOSYS, ENOTCONN, ENOTDIR, ENOTSOCK,
  ENOTSUP, EPIPE, ESPIPE, ETIMEDOUT,
};

/** The WASI errno for a POSIX code name (PosixError.code, Node's error.code); EIO when unknown. */
export function wasiErrno(code: string | null | undefined): number {
  return (code !== null && code !== undefined ? BY_NAME[code] : undefined) ?? EIO;
}

/** Thrown inside a syscall implementation to return an errno to the guest. */
export class WasiErrno extends Error {
  constructor(readonly errno: number) {
    super(`wasi errno ${errno}`);
  }
}
