// The Epoll API's two ways to take events, side by side in one run: poll(), which allocates an
// array of [fd, events] pairs and a promise, and pollInto(), which fills a reused Events buffer.
// Run by npm run bench (bench/core.bench.ts writes its tables into bench/RESULTS.md), or alone:
// node dist/bench/api.bench.js [--quick] after npm run build.
//
// Then one message at a time through a socketpair (send, then recv or recvInto), the pattern of a
// request and its reply over an in-process socket. `--baseline DIR` adds the same rows for another
// built checkout's socketpair, measured in the same run: node dist/bench/api.bench.js --baseline ../before
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainModule } from '../examples/main-module.js';
import { EPOLLET, EPOLLIN, Epoll, Events, eventfd, socketpair, type EventFd } from '../src/index.js';
import { batched, commitOf, row, run, table } from './report.js';

/** Messages per tinybench sample of the socketpair rows. */
const MESSAGES = 1000;

export async function runApiBench(): Promise<string> {
  const sections: string[] = [];

  // One event per wait: an eventfd write (a wakeup) then a wait, edge-triggered.
  {
    const ep = new Epoll();
    const efd = eventfd(0);
    ep.register(efd, EPOLLIN | EPOLLET);
    const events = new Events(64);
    const tasks = await run('wakeup + wait, 1 event', [
      ['Epoll.poll(0)', async () => {
        efd.write(1);
        const got = await ep.poll(0, 64);
        if (got.length !== 1) throw new Error('lost an event');
      }],
      ['Epoll.pollInto(events)', () => {
        efd.write(1);
        if (ep.pollInto(events) !== 1) throw new Error('lost an event');
      }],
      ['await Epoll.wait(events, 0)', async () => {
        efd.write(1);
        if ((await ep.wait(events, 0)) !== 1) throw new Error('lost an event');
      }],
    ]);
    const rows = [...tasks].map(([name, task]) => row('1', name, task, 1));
    sections.push(table('Epoll API: wakeup + wait, 1 event', rows, { key: 'events per wait', per: 'ns/event', baseline: 'Epoll.poll(0)' }));
    ep.close();
    efd.close();
  }

  // 1000 level-triggered ready fds per wait.
  {
    const ep = new Epoll();
    const efds: EventFd[] = Array.from({ length: 1000 }, () => eventfd(1));
    for (const efd of efds) ep.register(efd, EPOLLIN);
    const events = new Events(1024);
    const tasks = await run('wait of 1000 LT-ready fds', [
      ['Epoll.poll(0, 1024)', async () => {
        if ((await ep.poll(0, 1024)).length !== 1000) throw new Error('short wait');
      }],
      ['Epoll.pollInto(events)', () => {
        if (ep.pollInto(events) !== 1000) throw new Error('short wait');
      }],
    ]);
    const rows = [...tasks].map(([name, task]) => row('1000', name, task, 1000));
    sections.push(table('Epoll API: wait of 1000 LT-ready fds', rows, { key: 'events per wait', per: 'ns/event', baseline: 'Epoll.poll(0, 1024)' }));
    ep.close();
    for (const efd of efds) efd.close();
  }
  sections.push('`poll()` allocates a promise and an array of [fd, events] pairs per call; `pollInto(events)` fills a reused `Events` buffer synchronously (no promise); `wait(events, 0)` is the awaitable form of the same. One call per tinybench sample; ratios of median times, from this run.\n');
  sections.push(await socketpairSection());
  return sections.join('\n');
}

/** The socketpair rows: this checkout's, and a --baseline checkout's beside them. */
async function socketpairSection(): Promise<string> {
  const pairs: Array<[string, typeof socketpair]> = [['this checkout', socketpair]];
  const at = process.argv.indexOf('--baseline');
  let versus: string | undefined;
  if (at >= 0) {
    const dir = resolve(process.argv[at + 1] ?? '.');
    const other = (await import(pathToFileURL(join(dir, 'dist/src/index.js')).href)) as { socketpair: typeof socketpair };
    versus = `at ${commitOf(dir)}`;
    pairs.push([versus, other.socketpair]);
  }
  const rows = [];
  for (const size of [64, 16384]) {
    const message = new Uint8Array(size).fill(7);
    const buf = new Uint8Array(65536);
    const tasks: Array<[string, () => unknown]> = [];
    const ends: Array<{ close(): void }> = [];
    for (const [name, make] of pairs) {
      const [a, b] = make();
      ends.push(a, b);
      tasks.push([`recv(65536) ${name}`, batched(MESSAGES, (n) => {
        let got = 0;
        for (let i = 0; i < n; i++) {
          a.send(message);
          got += b.recv(65536)!.length;
        }
        return got;
      })]);
      tasks.push([`recvInto(buf) ${name}`, batched(MESSAGES, (n) => {
        let got = 0;
        for (let i = 0; i < n; i++) {
          a.send(message);
          got += b.recvInto(buf)!;
        }
        return got;
      })]);
    }
    const measured = await run(`socketpair ${size} B`, tasks);
    for (const [name] of pairs) {
      for (const op of ['recv(65536)', 'recvInto(buf)']) rows.push(row(`${size} B, ${op}`, name, measured.get(`${op} ${name}`)!, 1));
    }
    for (const end of ends) end.close();
  }
  return table('socketpair: send, then receive, one message at a time', rows, {
    key: 'message, read with', per: 'ns/message', baseline: versus ?? 'this checkout',
    notes: ['A socketpair end keeps one chunk of its receive queue (up to 16 KiB) once a read has emptied it (src/sources/byte-queue.ts); recv returns a new array, recvInto fills a reused buffer.'],
  });
}

if (isMainModule(import.meta.url)) {
  console.log(await runApiBench());
}
