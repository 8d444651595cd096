// The echo servers of the library's higher layers, doing the same work as the benchmark's others
// (read what arrived, send the same bytes back):
//
//   node dist/bench/echo/server-loop.js <port> [--timeout S] --eventloop
//        one async handler per connection on an EventLoop over the epoll selector, `await
//        loop.sockRecv(sock, 65536)` then `await loop.sockSendall(sock, data)`: the style of
//        examples/blocking-style-server.ts, echoing as is rather than upper-cased
//   node dist/bench/echo/server-loop.js <port> [--timeout S] --selectors
//        startSelectorsEchoServer (epoll selector): the server that `npm start` runs
import { EpollSelector, EventLoop, listen, startSelectorsEchoServer, type TcpSocket } from '../../src/index.js';
import { announce, serverArgs } from './lifecycle.js';

const { port, timeoutS } = serverArgs();

if (process.argv.includes('--selectors')) {
  const server = await startSelectorsEchoServer({ host: '127.0.0.1', port, selector: 'epoll' });
  announce(server.port, timeoutS, () => server.stop());
} else if (process.argv.includes('--eventloop')) {
  const listener = await listen({ host: '127.0.0.1', port, backlog: 511 });
  const loop = new EventLoop(new EpollSelector());
  const open = new Set<TcpSocket>();

  const handle = async (sock: TcpSocket): Promise<void> => {
    try {
      for (;;) {
        const data = await loop.sockRecv(sock, 65536);
        if (data.length === 0) break;
        await loop.sockSendall(sock, data);
      }
    } catch {
      // a reset or broken pipe ends this connection only
    } finally {
      open.delete(sock);
      sock.close();
    }
  };
  const acceptForever = async (): Promise<void> => {
    for (;;) {
      const sock = await loop.sockAccept(listener);
      sock.setNoDelay(true);
      open.add(sock);
      void handle(sock);
    }
  };

  void acceptForever();
  void loop.run();
  announce(listener.address().port, timeoutS, () => {
    loop.stop();
    for (const sock of open) sock.close();
    listener.close();
  });
} else {
  console.error('usage: server-loop <port> [--timeout S] --eventloop|--selectors');
  process.exit(2);
}
