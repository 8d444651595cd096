// listen(), connect() and accept(): numbering, addresses, readiness while connecting and once
// connected, and the listener's readiness and wakeups.
import { describe, expect, it } from 'vitest';
import { Epoll } from '../../src/api/epoll.js';
import { EPOLLET, EPOLLIN, EPOLLOUT, EPOLLRDNORM } from '../../src/core/constants.js';
import { connect } from '../../src/sources/tcp/connect.js';
import { listen } from '../../src/sources/tcp/listener.js';
import { listenErrnoCode } from '../../src/sources/system-errors.js';
import { DEFAULT_TCP_RECEIVE_CAPACITY, DEFAULT_TCP_SEND_CAPACITY } from '../../src/sources/tcp/options.js';
import { code, expectTableEmptyAfterEach, level } from '../helpers.js';
import { next, tcpPair, until, W } from './tcp-helpers.js';

expectTableEmptyAfterEach();

describe('listen', () => {
  it('binds 127.0.0.1 on a port of the system\'s choice by default, and numbers the listener lowest-free', async () => {
    const listener = await listen();
    expect(listener.fileno()).toBe(3);
    expect(listener.kind).toBe('tcp-listener');
    const address = listener.address();
    expect(address).toMatchObject({ address: '127.0.0.1', family: 'IPv4' });
    expect(address.port).toBeGreaterThan(0);
    expect(listener.accept()).toBeNull(); // nothing pending: would block
    expect(level(listener)).toBe(0);
    listener.close();
    expect(listener.fileno()).toBe(-1);
    expect(code(() => listener.accept())).toBe('EBADF');
    expect(code(() => listener.address())).toBe('EBADF');
  });

  it('rejects EADDRNOTAVAIL for an address that is not this machine\'s', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned to a host.
    await expect(listen({ host: '192.0.2.1' })).rejects.toMatchObject({ code: 'EADDRNOTAVAIL' });
    // 2001:db8::/32 is IPv6's documentation prefix (RFC 3849). Deno says EINVAL for both: mapped.
    await expect(listen({ host: '2001:db8::1' })).rejects.toMatchObject({ code: 'EADDRNOTAVAIL' });
  });

  it('listenErrnoCode: a bind or listen EINVAL is EADDRNOTAVAIL (Deno\'s spelling), except where Linux says EINVAL', () => {
    expect(listenErrnoCode({ code: 'EINVAL', syscall: 'listen' }, '192.0.2.1')).toBe('EADDRNOTAVAIL');
    expect(listenErrnoCode({ code: 'EINVAL', syscall: 'bind' }, '2001:db8::1')).toBe('EADDRNOTAVAIL');
    expect(listenErrnoCode({ code: 'EINVAL', syscall: 'listen' }, 'fe80::1')).toBe('EINVAL');
    expect(listenErrnoCode({ code: 'EINVAL', syscall: 'listen' }, 'fe80::1%lo')).toBe('EADDRNOTAVAIL');
    expect(listenErrnoCode({ code: 'EADDRINUSE', syscall: 'listen' }, '127.0.0.1')).toBe('EADDRINUSE');
    expect(listenErrnoCode({ code: 'ERR_SOCKET_BAD_PORT' }, '127.0.0.1')).toBe('EINVAL');
  });

  it('rejects EINVAL for an IPv6 link-local address without a scope, as Linux\'s bind does', async () => {
    await expect(listen({ host: 'fe80::1' })).rejects.toMatchObject({ code: 'EINVAL' });
  });

  it('a listener frees its port when closed: the port can be listened on again', async () => {
    const first = await listen();
    const { port } = first.address();
    first.close();
    const second = await listen({ port });
    expect(second.address().port).toBe(port);
    second.close();
  });
});

describe('connect and accept', () => {
  it('connect returns at once, connecting (no readiness); OUT and a wakeup come with the connection', async () => {
    const listener = await listen();
    const client = connect({ port: listener.address().port });
    expect(client.kind).toBe('tcp');
    expect(client.fileno()).toBe(4);
    expect(level(client)).toBe(0); // SYN_SENT: nothing yet
    expect(client.send('early')).toBe(0); // would block, as send(2) while connecting
    expect(client.recv(10)).toBeNull();
    expect(code(() => client.remoteAddress())).toBe('ENOTCONN');
    expect(code(() => client.shutdown(1))).toBe('ENOTCONN');
    const ep = new Epoll();
    ep.register(client, EPOLLOUT | EPOLLET);
    expect(await next(ep, client, EPOLLOUT)).toBe(EPOLLOUT);
    expect(level(client)).toBe(W);
    expect(client.getError()).toBeNull();
    expect(client.error).toBeNull();
    ep.close();
    client.close();
    listener.close();
  });

  it('accept hands out queued connections in order as TcpSockets, numbered lowest-free; null when none is left', async () => {
    const listener = await listen();
    const port = listener.address().port;
    const ep = new Epoll();
    ep.register(listener, EPOLLIN | EPOLLET);
    const a = connect({ port });
    await next(ep, listener, EPOLLIN);
    const b = connect({ port });
    await next(ep, listener, EPOLLIN);
    expect(listener.pending).toBe(2);
    expect(level(listener)).toBe(EPOLLIN | EPOLLRDNORM);
    const first = listener.accept()!;
    const second = listener.accept()!;
    expect(listener.accept()).toBeNull();
    expect(level(listener)).toBe(0);
    expect([first.fileno(), second.fileno()]).toEqual([7, 8]);
    await until(a, EPOLLOUT);
    await until(b, EPOLLOUT);
    expect(first.remoteAddress().port).toBe(a.localAddress().port);
    expect(second.remoteAddress().port).toBe(b.localAddress().port);
    expect(first.localAddress()).toEqual({ address: '127.0.0.1', family: 'IPv4', port });
    expect(a.remoteAddress()).toEqual({ address: '127.0.0.1', family: 'IPv4', port });
    expect([first.receiveCapacity, first.sendCapacity]).toEqual([DEFAULT_TCP_RECEIVE_CAPACITY, DEFAULT_TCP_SEND_CAPACITY]);
    for (const s of [a, b, first, second, listener, ep]) s.close();
  });

  it('an edge-triggered listener is woken by every new connection, even before the last was accepted', async () => {
    const listener = await listen();
    const port = listener.address().port;
    const ep = new Epoll();
    ep.register(listener, EPOLLIN | EPOLLET);
    const clients = [];
    for (let i = 1; i <= 3; i++) {
      clients.push(connect({ port }));
      expect(await next(ep, listener, EPOLLIN)).toBe(EPOLLIN);
      expect(listener.pending).toBe(i); // nothing accepted: each wakeup is a new connection
    }
    expect(await ep.poll(0)).toEqual([]);
    const accepted = [listener.accept()!, listener.accept()!, listener.accept()!];
    expect(listener.accept()).toBeNull();
    for (const s of [...clients, ...accepted, listener, ep]) s.close();
  });

  it('accepted sockets take the buffer sizes given to listen; connect takes its own', async () => {
    const { listener, client, server } = await tcpPair({ server: { receiveCapacity: 1000, sendCapacity: 2000 }, client: { sendCapacity: 3000 } });
    expect([server.receiveCapacity, server.sendCapacity]).toEqual([1000, 2000]);
    expect([client.receiveCapacity, client.sendCapacity]).toEqual([DEFAULT_TCP_RECEIVE_CAPACITY, 3000]);
    for (const s of [client, server, listener]) s.close();
  });

  it('a connected pair: both ends writable, nothing to read, with their addresses', async () => {
    const { listener, client, server } = await tcpPair();
    expect(level(client)).toBe(W);
    expect(level(server)).toBe(W);
    expect(client.recv(1)).toBeNull();
    expect(server.recvInto(new Uint8Array(1))).toBeNull();
    expect(server.peek()).toBeNull();
    expect(client.localAddress()).toEqual(server.remoteAddress());
    expect(client.remoteAddress()).toEqual(server.localAddress());
    client.setNoDelay();
    client.setNoDelay(false);
    server.setKeepAlive(true, 1000);
    expect(code(() => server.setKeepAlive(true, -1))).toBe('EINVAL');
    for (const s of [client, server, listener]) s.close();
    expect(code(() => client.setNoDelay())).toBe('EBADF');
    expect(code(() => client.localAddress())).toBe('EBADF');
  });
});

describe('close while connecting', () => {
  it('closing a socket that is still connecting abandons the attempt and frees its number', async () => {
    const listener = await listen();
    const client = connect({ port: listener.address().port });
    const fd = client.fileno();
    client.close();
    expect(client.fileno()).toBe(-1);
    const again = connect({ port: listener.address().port });
    expect(again.fileno()).toBe(fd);
    await until(again, EPOLLOUT);
    again.close();
    listener.close();
  });
});
