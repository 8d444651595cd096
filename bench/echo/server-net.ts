// The node:net echo server of the benchmark: `data` → `write` of the same bytes, nothing more.
//   node dist/bench/echo/server-net.js <port> [--timeout S]
import net from 'node:net';
import { announce, serverArgs } from './lifecycle.js';

const { port, timeoutS } = serverArgs();
const sockets = new Set<net.Socket>();

const server = net.createServer({ noDelay: true }, (socket) => {
  sockets.add(socket);
  socket.on('data', (data) => socket.write(data));
  socket.on('end', () => socket.end());
  socket.on('error', () => socket.destroy());
  socket.on('close', () => sockets.delete(socket));
});
server.on('error', (error) => {
  console.error(`echo server: ${error.message}`);
  process.exit(1);
});
server.listen({ host: '127.0.0.1', port, backlog: 511 }, () => {
  const address = server.address() as net.AddressInfo;
  announce(address.port, timeoutS, () => {
    server.close();
    for (const socket of sockets) socket.destroy();
  });
});
