// The Epoll API's two ways to take events, side by side in one run: poll(), which allocates an
// array of [fd, events] pairs and a promise, and pollInto(), which fills a reused Events buffer.
// Run by npm run bench (bench/core.bench.ts writes its tables into bench/RESULTS.md), or alone:
// node dist/bench/api.bench.js [--quick] after npm run build.
import { isMainModule } from '../examples/main-module.js';
import { EPOLLET, EPOLLIN, Epoll, Events, eventfd, type EventFd } from '../src/index.js';
import { row, run, table } from './report.js';

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
    sections.push(table('wakeup + wait, 1 event', rows, { key: 'events per wait', per: 'ns/event', baseline: 'Epoll.poll(0)' }));
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
    sections.push(table('wait of 1000 LT-ready fds', rows, { key: 'events per wait', per: 'ns/event', baseline: 'Epoll.poll(0, 1024)' }));
    ep.close();
    for (const efd of efds) efd.close();
  }
  sections.push('`poll()` allocates a promise and an array of [fd, events] pairs per call; `pollInto(events)` fills a reused `Events` buffer synchronously (no promise); `wait(events, 0)` is the awaitable form of the same. One call per tinybench sample; ratios of median times, from this run.\n');
  return sections.join('\n');
}

if (isMainModule(import.meta.url)) {
  console.log(await runApiBench());
}
