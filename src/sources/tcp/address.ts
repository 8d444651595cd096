import { isIP } from 'node:net';
import { PosixError } from '../../errors.js';

/** An endpoint, as getsockname(2)/getpeername(2) give it and Node's `address()` spells it. */
export interface SocketAddress {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
}

/**
 * The host of listen() or connect(): an IPv4 or IPv6 address, or 'localhost' (127.0.0.1).
 * Names are refused with EINVAL instead of being resolved: connect(2) takes an address, and a
 * lookup would be a hidden, possibly slow, step before EINPROGRESS (resolve first with
 * `dns.promises.lookup` if you need one).
 */
export function checkHost(host: unknown, what: string): string {
  if (host === 'localhost') return '127.0.0.1';
  if (typeof host !== 'string' || isIP(host) === 0) {
    throw new PosixError('EINVAL', `${what}: host must be an IP address or 'localhost', got ${JSON.stringify(host) ?? String(host)}`);
  }
  return host;
}

/** A TCP port: an integer in 0..65535, or 1..65535 where 0 makes no sense (a peer's port). */
export function checkPort(port: unknown, what: string, allowZero: boolean): number {
  const low = allowZero ? 0 : 1;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < low || port > 65535) {
    throw new PosixError('EINVAL', `${what}: port must be an integer in ${low}..65535, got ${String(port)}`);
  }
  return port;
}

/** Node's address fields as a SocketAddress, or null while Node does not know them. */
export function toSocketAddress(address: string | undefined, family: string | number | undefined, port: number | undefined): SocketAddress | null {
  if (address === undefined || port === undefined) return null;
  // Node 18.0-18.3 gave the family as 4 or 6; later versions as 'IPv4' or 'IPv6'.
  const v6 = family === 'IPv6' || family === 6 || (family === undefined && isIP(address) === 6);
  return { address, family: v6 ? 'IPv6' : 'IPv4', port };
}
