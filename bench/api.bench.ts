// The Epoll API's two ways to take events, side by side in one run: poll(), which allocates an
// array of [fd, events] pairs and a promise, and pollInto(), which fills a reused Events buffer.
// Run by npm run bench (bench/core.bench.ts writes its tables into bench/RESULTS.md), or alone:
// node dist/bench/api.bench.js [--quick] after npm run build.
import { Bench } from 'tinybench';
import { isMainModule } from '../examples/main-module.js';
import { EPOLLET, EPOLLIN, Epoll, Events, eventfd, type EventFd } from '../src/index.js';
import { markdownTable, type Row } from './report.js';

const quick = process.argv.includes('--quick');
const time = quick ? 100 : 1000;

export async function runApiBench(): Promise<string> {
  const sections: string[] = [];

  // One event per wait: an eventfd write (a wakeup) then a wait, edge-triggered.
  {
    const ep = new Epoll();
    const efd = eventfd(0);
    ep.register(efd, EPOLLIN | EPOLLET);
    const events = new Events(64);
    const bench = new Bench({ name: 'wakeup + wait, 1 event', time });
    bench
      .add('Epoll.poll(0)', async () => {
        efd.write(1);
        const got = await ep.poll(0, 64);
        if (got.length !== 1) throw new Error('lost an event');
      })
      .add('Epoll.pollInto(events)', () => {
        efd.write(1);
        if (ep.pollInto(events) !== 1) throw new Error('lost an event');
      })
      .add('await Epoll.wait(events, 0)', async () => {
        efd.write(1);
        if ((await ep.wait(events, 0)) !== 1) throw new Error('lost an event');
      });
    await bench.run();
    sections.push(markdownTable(bench.name!, rows(bench, 1), 'Epoll.poll(0)'));
    ep.close();
    efd.close();
  }

  // 1000 level-triggered ready fds per wait.
  {
    const ep = new Epoll();
    const efds: EventFd[] = Array.from({ length: 1000 }, () => eventfd(1));
    for (const efd of efds) ep.register(efd, EPOLLIN);
    const events = new Events(1024);
    const bench = new Bench({ name: 'wait of 1000 LT-ready fds', time });
    bench
      .add('Epoll.poll(0, 1024)', async () => {
        if ((await ep.poll(0, 1024)).length !== 1000) throw new Error('short wait');
      })
      .add('Epoll.pollInto(events)', () => {
        if (ep.pollInto(events) !== 1000) throw new Error('short wait');
      });
    await bench.run();
    sections.push(markdownTable(bench.name!, rows(bench, 1000), 'Epoll.poll(0, 1024)'));
    ep.close();
    for (const efd of efds) efd.close();
  }
  return sections.join('\n');
}

function rows(bench: Bench, eventsPerOp: number): Row[] {
  return bench.tasks.map((task) => {
    const result = task.result;
    if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
    return { name: task.name, meanNs: result.latency.mean * 1e6, eventsPerOp };
  });
}

if (isMainModule(import.meta.url)) {
  console.log(await runApiBench());
}
