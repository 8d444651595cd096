/** WASI preview1 errno values: the whole `errno` enum (u16) of typenames.witx, in its order. */
export const SUCCESS = 0;
export const E2BIG = 1;
export const EACCES = 2;
export const EADDRINUSE = 3;
export const EADDRNOTAVAIL = 4;
export const EAFNOSUPPORT = 5;
export const EAGAIN = 6;
export const EALREADY = 7;
export const EBADF = 8;
export const EBADMSG = 9;
export const EBUSY = 10;
export const ECANCELED = 11;
export const ECHILD = 12;
export const ECONNABORTED = 13;
export const ECONNREFUSED = 14;
export const ECONNRESET = 15;
export const EDEADLK = 16;
export const EDESTADDRREQ = 17;
export const EDOM = 18;
export const EDQUOT = 19;
export const EEXIST = 20;
export const EFAULT = 21;
export const EFBIG = 22;
export const EHOSTUNREACH = 23;
export const EIDRM = 24;
export const EILSEQ = 25;
export const EINPROGRESS = 26;
export const EINTR = 27;
export const EINVAL = 28;
export const EIO = 29;
export const EISCONN = 30;
export const EISDIR = 31;
export const ELOOP = 32;
export const EMFILE = 33;
export const EMLINK = 34;
export const EMSGSIZE = 35;
export const EMULTIHOP = 36;
export const ENAMETOOLONG = 37;
export const ENETDOWN = 38;
export const ENETRESET = 39;
export const ENETUNREACH = 40;
export const ENFILE = 41;
export const ENOBUFS = 42;
export const ENODEV = 43;
export const ENOENT = 44;
export const ENOEXEC = 45;
export const ENOLCK = 46;
export const ENOLINK = 47;
export const ENOMEM = 48;
export const ENOMSG = 49;
export const ENOPROTOOPT = 50;
export const ENOSPC = 51;
export const ENOSYS = 52;
export const ENOTCONN = 53;
export const ENOTDIR = 54;
export const ENOTEMPTY = 55;
export const ENOTRECOVERABLE = 56;
export const ENOTSOCK = 57;
export const ENOTSUP = 58;
export const ENOTTY = 59;
export const ENXIO = 60;
export const EOVERFLOW = 61;
export const EOWNERDEAD = 62;
export const EPERM = 63;
export const EPIPE = 64;
export const EPROTO = 65;
export const EPROTONOSUPPORT = 66;
export const EPROTOTYPE = 67;
export const ERANGE = 68;
export const EROFS = 69;
export const ESPIPE = 70;
export const ESRCH = 71;
export const ESTALE = 72;
export const ETIMEDOUT = 73;
export const ETXTBSY = 74;
export const EXDEV = 75;
export const ENOTCAPABLE = 76;

// Every host error name that has a witx twin (ENOTCAPABLE is WASI's own: no host reports it), plus the
// host's aliases and Node's own codes for the same conditions.
const BY_NAME = new Map<string, number>(Object.entries({
  E2BIG, EACCES, EADDRINUSE, EADDRNOTAVAIL, EAFNOSUPPORT, EAGAIN, EALREADY, EBADF, EBADMSG, EBUSY, ECANCELED, ECHILD,
  ECONNABORTED, ECONNREFUSED, ECONNRESET, EDEADLK, EDESTADDRREQ, EDOM, EDQUOT, EEXIST, EFAULT, EFBIG, EHOSTUNREACH,
  EIDRM, EILSEQ, EINPROGRESS, EINTR, EINVAL, EIO, EISCONN, EISDIR, ELOOP, EMFILE, EMLINK, EMSGSIZE, EMULTIHOP,
  ENAMETOOLONG, ENETDOWN, ENETRESET, ENETUNREACH, ENFILE, ENOBUFS, ENODEV, ENOENT, ENOEXEC, ENOLCK, ENOLINK, ENOMEM,
  ENOMSG, ENOPROTOOPT, ENOSPC, ENOSYS, ENOTCONN, ENOTDIR, ENOTEMPTY, ENOTRECOVERABLE, ENOTSOCK, ENOTSUP, ENOTTY,
  ENXIO, EOVERFLOW, EOWNERDEAD, EPERM, EPIPE, EPROTO, EPROTONOSUPPORT, EPROTOTYPE, ERANGE, EROFS, ESPIPE, ESRCH,
  ESTALE, ETIMEDOUT, ETXTBSY, EXDEV,
  EWOULDBLOCK: EAGAIN, EOPNOTSUPP: ENOTSUP, EDEADLOCK: EDEADLK, ERR_FS_FILE_TOO_LARGE: EFBIG,
}));

/** The WASI errno for a POSIX code name (PosixError.code, Node's error.code); EIO when unknown. */
export function wasiErrno(code: string | null | undefined): number {
  return (code !== null && code !== undefined ? BY_NAME.get(code) : undefined) ?? EIO;
}

/** Thrown inside a syscall implementation to return an errno to the guest. */
export class WasiErrno extends Error {
  constructor(readonly errno: number) {
    super(`wasi errno ${errno}`);
  }
}
