// The least a Node echo server can do per message: the runtime's floor for this work, beside
// which the wasmux rows show what readiness, queues and promises cost. Each accepted connection's
// reads land in one shared buffer (withUserBufferReads, src/sources/tcp/net-internals.ts) and go
// straight back with fs.writeSync on the socket's fd, inside the read callback: no queue, no
// readiness, no wait. Where Node has bytes of ours queued (the kernel took part of a write), the
// rest goes through socket.write after them. Needs both internals; exits with a message where the
// runtime lacks one.
//   node dist/bench/echo/server-floor.js <port> [--timeout S]
import net from 'node:net';
import { DirectWriter, withUserBufferReads } from '../../src/sources/tcp/net-internals.js';
import { serveNet, serverArgs } from './lifecycle.js';

const args = serverArgs();
const sockets = new Set<net.Socket>();

const server = net.createServer({ noDelay: true, pauseOnConnect: true, allowHalfOpen: true }, (accepted) => {
  let socket: net.Socket | null = null;
  let writer: DirectWriter | null = null;
  socket = withUserBufferReads(accepted, (n, buffer) => {
    const sock = socket!;
    const done = sock.writableLength > 0 ? 0 : writer!.write(buffer, n);
    if (done < 0) {
      console.error('server-floor: no direct writes here (the socket has no fd)');
      process.exit(1);
    }
    if (done < n) sock.write(Buffer.from(buffer.subarray(done, n))); // a copy: the buffer is reused
  });
  if (socket === null) {
    console.error('server-floor: this runtime cannot move accepted sockets to user-buffer reads');
    process.exit(1);
  }
  writer = new DirectWriter(socket);
  sockets.add(socket);
  socket.setNoDelay(true);
  socket.on('end', () => socket!.end());
  socket.on('error', () => socket!.destroy());
  socket.on('close', () => sockets.delete(socket!));
  socket.resume();
});
serveNet(server, sockets, args);
