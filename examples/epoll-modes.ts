// I/O model: multiplexed with epoll: level-triggered, edge-triggered and one-shot side by side.
// The core at work: three socketpairs in one Epoll, one level-triggered, one edge-triggered and
// one one-shot, and what each wait reports and why. Run: node dist/examples/epoll-modes.js
import {
  EPOLLET, EPOLLIN, EPOLLONESHOT, Epoll, Poll, POLLIN, select, socketpair, type Socket,
} from '../src/index.js';

const ep = new Epoll();
const pairs = { LT: socketpair(), ET: socketpair(), ONESHOT: socketpair() };
const names = new Map<number, string>();
for (const [name, [, reader]] of Object.entries(pairs)) names.set(reader.fileno(), name);

ep.register(pairs.LT[1], EPOLLIN);
ep.register(pairs.ET[1], EPOLLIN | EPOLLET);
ep.register(pairs.ONESHOT[1], EPOLLIN | EPOLLONESHOT);

async function wait(why: string): Promise<void> {
  const events = await ep.poll(0);
  const shown = events.map(([fd]) => names.get(fd)).join(', ') || '(nothing)';
  console.log(`  wait -> ${shown.padEnd(20)} ${why}`);
}

function send(pair: [Socket, Socket], text: string): void {
  pair[0].send(text);
}

console.log(`epoll modes: one Epoll (fd ${ep.fileno()}) watching three socketpairs for EPOLLIN\n`);

console.log('1. "ping" arrives on all three:');
for (const pair of Object.values(pairs)) send(pair, 'ping');
await wait('all three are readable');
await wait('LT: still unread, so again; ET: no new data; ONESHOT: disarmed');

console.log('\n2. more data arrives on all three, nothing was read:');
for (const pair of Object.values(pairs)) send(pair, 'more');
await wait('ET reports each new chunk; ONESHOT stays disarmed until MOD');

console.log('\n3. the ONESHOT item is re-armed with modify():');
ep.modify(pairs.ONESHOT[1], EPOLLIN | EPOLLONESHOT);
await wait('MOD re-evaluates readiness: still readable, reported once more');

console.log('\n4. every reader drains its data:');
for (const [, reader] of Object.values(pairs)) reader.recv(1024);
await wait('nothing is readable any more');

console.log('\n5. a blocked wait, woken by a send a moment later:');
setTimeout(() => send(pairs.ET, 'late'), 20);
const started = performance.now();
const events = await ep.poll(1000);
console.log(`  wait -> ${events.map(([fd]) => names.get(fd)).join(', ')} after ${(performance.now() - started).toFixed(1)} ms`);

console.log('\n6. the same readiness through poll() and select():');
const p = new Poll();
for (const [, reader] of Object.values(pairs)) p.register(reader, POLLIN);
const polled = await p.poll(0);
console.log(`  Poll.poll -> ${polled.map(([fd]) => names.get(fd)).join(', ')}`);
const [readable] = await select(Object.values(pairs).map(([, reader]) => reader), [], [], 0);
console.log(`  select    -> ${readable.map((s) => names.get(s.fileno())).join(', ')}`);

console.log('\nThe interest list, as /proc/PID/fdinfo would show it:');
for (const item of ep.inspect().interest) {
  const flags = item.flags.join('|') || 'LT';
  console.log(`  fd ${item.fd} (${names.get(item.fd)}): events 0x${item.events.toString(16)} ${flags} ${item.armed ? 'armed' : 'disarmed'}`);
}

ep.close();
for (const [a, b] of Object.values(pairs)) {
  a.close();
  b.close();
}
