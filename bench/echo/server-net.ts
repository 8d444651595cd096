// The node:net echo server of the benchmark: `data` → `write` of the same bytes, nothing more.
//   node dist/bench/echo/server-net.js <port> [--timeout S]
import net from 'node:net';
import { serveNet, serverArgs } from './lifecycle.js';

const args = serverArgs();
const sockets = new Set<net.Socket>();

const server = net.createServer({ noDelay: true }, (socket) => {
  sockets.add(socket);
  socket.on('data', (data) => socket.write(data));
  socket.on('end', () => socket.end());
  socket.on('error', () => socket.destroy());
  socket.on('close', () => sockets.delete(socket));
});
serveNet(server, sockets, args);
