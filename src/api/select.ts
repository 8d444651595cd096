import { FD_SETSIZE } from '../core/constants.js';
import { check, PosixError } from '../errors.js';
import { defaultTable, type DescriptorTable } from '../fd/table.js';
import { armDeadline } from './deadline.js';
import { toFd, type FileLike } from './fileobj.js';

/**
 * select(2), shaped like Python's `select.select`: resolves with the subsets of the three lists
 * that are ready, as the same objects that were passed in. timeoutMs undefined or null blocks;
 * 0 polls; a negative timeout is EINVAL (Python: "timeout must be non-negative"). An fd at or above
 * FD_SETSIZE is EINVAL (Python: "filedescriptor out of range in select()"); a closed one EBADF.
 */
export function select<R extends FileLike, W extends FileLike, X extends FileLike>(
  rlist: readonly R[],
  wlist: readonly W[],
  xlist: readonly X[],
  timeoutMs?: number | null,
  table: DescriptorTable = defaultTable,
): Promise<[R[], W[], X[]]> {
  let fds: Int32Array;
  try {
    if (timeoutMs !== undefined && timeoutMs !== null) {
      if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
        throw new PosixError('EINVAL', `timeout must be non-negative, got ${String(timeoutMs)}`);
      }
    }
    fds = Int32Array.from([...rlist, ...wlist, ...xlist], (file) => {
      const fd = toFd(file);
      if (fd >= FD_SETSIZE) throw new PosixError('EINVAL', 'filedescriptor out of range in select()');
      return fd;
    });
  } catch (error) {
    return Promise.reject(error);
  }
  const ready = new Uint8Array(fds.length);
  const nr = rlist.length;
  const nw = wlist.length;
  const scan = (): [R[], W[], X[]] | null => {
    const count = check(table.core.scanSelect(fds, nr, nw, xlist.length, ready), 'select');
    if (count === 0) return null;
    return [
      rlist.filter((_, k) => ready[k] === 1),
      wlist.filter((_, k) => ready[nr + k] === 1),
      xlist.filter((_, k) => ready[nr + nw + k] === 1),
    ];
  };
  const none = (): [R[], W[], X[]] => [[], [], []];
  try {
    const now = scan();
    if (now || timeoutMs === 0) return Promise.resolve(now ?? none());
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise((resolve, reject) => {
    let cancelTimer: (() => void) | undefined;
    const settle = (result: [R[], W[], X[]] | Error): void => {
      table.deleteScanWaiter(waiter);
      cancelTimer?.();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const waiter = {
      recheck: () => {
        try {
          const result = scan();
          if (result) settle(result);
        } catch (error) {
          settle(error as Error);
        }
      },
    };
    if (typeof timeoutMs === 'number' && timeoutMs !== Infinity) {
      cancelTimer = armDeadline(timeoutMs, () => {
        try {
          settle(scan() ?? none());
        } catch (error) {
          settle(error as Error);
        }
      });
    }
    table.addScanWaiter(waiter);
  });
}
