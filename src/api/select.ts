import { FD_SETSIZE } from '../core/constants.js';
import { check, PosixError } from '../errors.js';
import { defaultTable, type DescriptorTable } from '../fd/table.js';
import { toFd, type FileLike } from './fileobj.js';
import { waitFor, type WaitOptions, type WaitSource } from './wait.js';

/** select()'s options: the descriptor table (default: defaultTable) and an AbortSignal. */
export interface SelectOptions extends WaitOptions {
  table?: DescriptorTable | undefined;
}

/**
 * select(2), shaped like Python's `select.select`: resolves with the subsets of the three lists
 * that are ready, as the same objects that were passed in. timeoutMs undefined, null or Infinity
 * blocks; 0 polls; any other positive number (however large) waits at least that long; a
 * negative timeout is EINVAL (Python: "timeout must be non-negative"). An fd at or above
 * FD_SETSIZE is EINVAL (Python: "filedescriptor out of range in select()"); a closed one EBADF.
 * The fifth argument is a DescriptorTable or `{ table, signal }`; aborting `signal` rejects with
 * an AbortError. Results found without waiting follow the no-starvation rule (FAIRNESS_RESULTS
 * in wait.ts).
 */
export function select<R extends FileLike, W extends FileLike, X extends FileLike>(
  rlist: readonly R[],
  wlist: readonly W[],
  xlist: readonly X[],
  timeoutMs?: number | null,
  tableOrOptions?: DescriptorTable | SelectOptions,
): Promise<[R[], W[], X[]]> {
  let fds: Int32Array;
  let table: DescriptorTable;
  let options: WaitOptions | undefined;
  try {
    if (tableOrOptions === undefined || isTable(tableOrOptions)) {
      table = tableOrOptions ?? defaultTable;
    } else {
      if (tableOrOptions === null || typeof tableOrOptions !== 'object') {
        throw new PosixError('EINVAL', `select's fifth argument must be a DescriptorTable or options, got ${String(tableOrOptions)}`);
      }
      options = tableOrOptions;
      table = tableOrOptions.table ?? defaultTable;
      if (!isTable(table)) throw new PosixError('EINVAL', 'options.table must be a DescriptorTable');
    }
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
  const source: WaitSource<[R[], W[], X[]], undefined> = {
    take: () => {
      const count = check(table.core.scanSelect(fds, nr, nw, xlist.length, ready), 'select');
      if (count === 0) return null;
      return [
        rlist.filter((_, k) => ready[k] === 1),
        wlist.filter((_, k) => ready[nr + k] === 1),
        xlist.filter((_, k) => ready[nr + nw + k] === 1),
      ];
    },
    empty: () => [[], [], []],
    park: (wait) => table.addScanWaiter(wait),
    unpark: (wait) => table.deleteScanWaiter(wait),
  };
  const timeout = timeoutMs === undefined || timeoutMs === null || timeoutMs === Infinity ? -1 : timeoutMs;
  return waitFor(source, undefined, timeout, options);
}

/** A DescriptorTable (by shape: a table from another copy of the module works too). */
function isTable(value: unknown): value is DescriptorTable {
  return typeof value === 'object' && value !== null && typeof (value as DescriptorTable).addScanWaiter === 'function'
    && typeof (value as DescriptorTable).core === 'object';
}
