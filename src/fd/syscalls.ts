import { defaultTable } from './table.js';

/** read(2) on any descriptor of the default table: bytes, null (would block) or empty (EOF). */
export function read(fd: number, n: number): Uint8Array | null {
  return defaultTable.lookup(fd).read(n);
}

/** write(2) on any descriptor: the number of bytes accepted (0 when it would block). */
export function write(fd: number, data: Uint8Array | string): number {
  return defaultTable.lookup(fd).write(data);
}

/** close(2): EBADF if fd is not open. */
export function close(fd: number): void {
  defaultTable.lookup(fd).close();
}
