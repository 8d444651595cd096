// I/O model: multiplexed, with callbacks on a selector. The classic Python `selectors` server,
// ported line by line, is the library's startSelectorsEchoServer (src/cli/echo-server.ts, which
// `wasmux demo` and `wasmux serve` run too): each registration carries, as its data, the function
// to call when the file object is ready (`accept` for the listener, `read` for a connection), and
// the main loop only selects and calls. This program starts it on a port, with a selector.
// Run: node dist/examples/selectors-echo-server.js [--port 8088] [--selector epoll|poll|select]
import { SELECTORS, startSelectorsEchoServer, type SelectorName } from '../src/index.js';
import { isMainModule } from './main-module.js';

if (isMainModule(import.meta.url)) {
  const flag = (name: string): string | undefined => {
    const at = process.argv.indexOf(name);
    return at > 0 ? process.argv[at + 1] : undefined;
  };
  const selector = (flag('--selector') ?? 'epoll') as SelectorName;
  if (!(selector in SELECTORS)) throw new Error(`--selector must be one of ${Object.keys(SELECTORS).join(', ')}`);
  const server = await startSelectorsEchoServer({ port: Number(flag('--port') ?? 8088), selector });
  console.log(`echo server (${selector} selector, callbacks) on 127.0.0.1:${server.port}; Ctrl-C stops it`);
  process.once('SIGINT', () => server.stop());
  await server.done;
}
