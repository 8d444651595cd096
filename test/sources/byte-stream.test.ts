// One contract for every byte-stream source (socketpair ends, the read end of a pipe, TCP over
// loopback from either end, stdin over a stream and over a real pipe), run over each of them as
// CPython runs one selectors suite over every backend:
// - a read with nothing queued would block: null (readInto: null);
// - bytes come out once, in order, across arrivals; every arrival is a wakeup, read or not;
// - EOF is an empty read (readInto: 0), after the queued bytes, for ever;
// - the other end's shutdown shows in the level (RDHUP for sockets, HUP for a pipe, IN for
//   stdin) and wakes a waiter; HUP once both directions are done;
// - after a reset: ERR, the queued bytes first, then the error once (ERR goes), then EOF;
// - a bad size or buffer is EINVAL, a closed source EBADF (the shared read rules);
// - where bytes arrive at once (socketpair, pipe): 1 MiB of random writes and reads through a
//   small buffer comes out intact, with OUT and IN true to the bytes in flight at every step.
import { afterEach, describe, expect, it } from 'vitest';
import { Epoll } from '../../src/api/epoll.js';
import { EPOLLERR, EPOLLET, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP } from '../../src/core/constants.js';
import { PosixError } from '../../src/errors.js';
import { DescriptorTable } from '../../src/fd/table.js';
import { pipe } from '../../src/sources/pipe.js';
import { socketpair } from '../../src/sources/socket.js';
import { code, expectTableEmptyAfterEach, level, random, text } from '../helpers.js';
import { byteStreamCases, type StreamEnds } from './byte-stream-cases.js';
import { next, pattern, WAIT_MS } from './tcp-helpers.js';

expectTableEmptyAfterEach();

const encode = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Reads everything queued now (until would-block or EOF), in reads of at most `step` bytes. */
function readQueued(ends: StreamEnds, step = 5): { text: string; eof: boolean } {
  let out = '';
  for (;;) {
    const chunk = ends.reader.read(step);
    if (chunk === null) return { text: out, eof: false };
    if (chunk.length === 0) return { text: out, eof: true };
    expect(chunk.length).toBeLessThanOrEqual(step);
    out += text(chunk);
  }
}

describe.each(byteStreamCases)('byte-stream contract: $name', (c) => {
  let ends: StreamEnds | null = null;
  const open = async (): Promise<StreamEnds> => (ends = await c.open());
  afterEach(() => {
    ends?.close();
    ends = null;
  });

  it('a read with nothing queued would block: null, and no IN', async () => {
    const s = await open();
    expect(s.reader.read(10)).toBeNull();
    expect(s.readInto(new Uint8Array(10))).toBeNull();
    expect(level(s.reader) & (EPOLLIN | EPOLLHUP | EPOLLERR)).toBe(0);
  });

  it('bytes come out once, in order, in reads of any size; then would-block again', async () => {
    const s = await open();
    await s.feed(encode('hello '));
    await s.feed(encode('world'));
    expect(level(s.reader) & EPOLLIN).toBe(EPOLLIN);
    expect(readQueued(s, 4)).toEqual({ text: 'hello world', eof: false });
    const data = pattern(40_000, 3);
    await s.feed(data);
    const got = new Uint8Array(data.length);
    let n = 0;
    while (n < data.length) {
      const k = s.readInto(got.subarray(n, Math.min(data.length, n + 7_000)));
      expect(k).not.toBeNull();
      n += k!;
    }
    expect(Buffer.compare(got, data)).toBe(0);
    expect(s.reader.read(1)).toBeNull();
    expect(level(s.reader) & EPOLLIN).toBe(0);
  });

  it('every arrival is a wakeup, even with earlier bytes unread; no arrival, no wakeup', async () => {
    const s = await open();
    const ep = new Epoll();
    try {
      ep.register(s.reader, EPOLLIN | EPOLLET);
      await s.feed(encode('one'));
      expect(await next(ep, s.reader, EPOLLIN) & EPOLLIN).toBe(EPOLLIN);
      await s.feed(encode('two'));
      expect(await next(ep, s.reader, EPOLLIN) & EPOLLIN).toBe(EPOLLIN); // 'one' is still unread
      expect(await ep.poll(0)).toEqual([]);
      expect(readQueued(s).text).toBe('onetwo');
    } finally {
      ep.close();
    }
  });

  it('EOF is an empty read after the queued bytes, for ever; the end shows in the level and wakes a waiter', async () => {
    const s = await open();
    await s.feed(encode('last words'));
    const ep = new Epoll();
    try {
      ep.register(s.reader, EPOLLIN | EPOLLRDHUP | EPOLLET);
      await next(ep, s.reader, EPOLLIN);
      await s.endWrites();
      // The end is a wakeup of its own, though IN was up already.
      expect(await next(ep, s.reader, EPOLLIN | EPOLLRDHUP | EPOLLHUP, WAIT_MS)).not.toBe(0);
    } finally {
      ep.close();
    }
    expect(readQueued(s, 3)).toEqual({ text: 'last words', eof: true });
    expect(s.reader.read(10)).toEqual(new Uint8Array(0));
    expect(s.readInto(new Uint8Array(10))).toBe(0);
    expect(level(s.reader)).toBe(c.peerDoneLevel);
  });

  const both = c.bothDoneLevel;
  it.skipIf(typeof both === 'string')(`HUP once both directions are done${typeof both === 'string' ? ` (skipped: ${both})` : ''}`, async () => {
    const s = await open();
    await s.endWrites();
    expect(level(s.reader) & EPOLLHUP).toBe(s.endOwnWrites ? 0 : EPOLLHUP);
    s.endOwnWrites?.();
    expect(s.reader.read(1)).toEqual(new Uint8Array(0));
    expect(level(s.reader)).toBe(both);
  });

  const reset = c.resetCode;
  it.skipIf(typeof reset !== 'string')(`after a reset: ERR; the queued bytes, then ${typeof reset === 'string' ? reset : 'the error'} once, then EOF${typeof reset === 'string' ? '' : ` (skipped: ${reset.why})`}`, async () => {
    const s = await open();
    await s.feed(encode('queued'));
    await s.reset!();
    expect(level(s.reader) & (EPOLLERR | EPOLLIN)).toBe(EPOLLERR | EPOLLIN);
    let got = '';
    let error: string | undefined;
    for (;;) {
      try {
        const chunk = s.reader.read(4);
        expect(chunk).not.toBeNull(); // nothing more can come: never would-block
        if (chunk!.length === 0) break;
        got += text(chunk);
      } catch (e) {
        expect(e).toBeInstanceOf(PosixError);
        expect(error).toBeUndefined(); // once
        error = (e as PosixError).code;
        expect(got).toBe('queued'); // after every queued byte
        expect(level(s.reader) & EPOLLERR).toBe(0); // reading the error clears ERR
      }
    }
    expect(got).toBe('queued');
    expect(error).toBe(reset);
    expect(s.reader.read(4)).toEqual(new Uint8Array(0));
  });

  const stress = c.stress;
  if (stress) {
    it(`carries 1 MiB of random bytes intact through ${stress.through}`, () => {
      const rand = random(stress.seed);
      const total = 1 << 20;
      const data = new Uint8Array(total);
      for (let i = 0; i < total; i++) data[i] = Math.floor(rand() * 256);
      const { writer, reader, readInto } = stress.open();
      const received = new Uint8Array(total);
      let sent = 0;
      let got = 0;
      let refused = 0;
      // Checked without expect inside the loop: it is hot.
      while (got < total) {
        if (sent < total) {
          const size = 1 + Math.floor(rand() * stress.maxWrite);
          const n = writer.write(data.subarray(sent, Math.min(total, sent + size)));
          if (stress.atomicUpTo !== undefined && size <= stress.atomicUpTo && n !== 0 && n !== Math.min(size, total - sent)) {
            throw new Error(`torn write of ${n}/${size}`);
          }
          if (n === 0) refused++;
          sent += n;
          if (((level(writer) & EPOLLOUT) !== 0) !== stress.writable(sent - got)) throw new Error(`OUT wrong at ${sent}/${got}`);
        }
        if (rand() < 0.5 || sent === total) {
          const buf = new Uint8Array(1 + Math.floor(rand() * stress.maxRead));
          const n = readInto(buf);
          if (n === null) {
            if (sent !== got) throw new Error(`would block with ${sent - got} bytes buffered`);
          } else {
            received.set(buf.subarray(0, n), got);
            got += n;
          }
          if (((level(reader) & EPOLLIN) !== 0) !== sent > got) throw new Error(`IN wrong at ${sent}/${got}`);
        }
      }
      expect(refused).toBeGreaterThan(0); // the buffer was full at times
      // Buffer.compare: a deep toEqual of 1 MiB takes seconds.
      expect(Buffer.compare(received, data)).toBe(0);
      reader.close();
      writer.close();
    });
  }

  it('a bad size or buffer is EINVAL; a closed source is EBADF', async () => {
    const s = await open();
    for (const n of [0, -1, 1.5, NaN, Infinity]) expect(code(() => s.reader.read(n))).toBe('EINVAL');
    expect(code(() => s.readInto(new Uint8Array(0)))).toBe('EINVAL');
    expect(code(() => s.readInto([1] as unknown as Uint8Array))).toBe('EINVAL');
    s.reader.close();
    expect(code(() => s.reader.read(1))).toBe('EBADF');
    expect(code(() => s.readInto(new Uint8Array(1)))).toBe('EBADF');
  });
});

describe.each([
  ['socketpair', (table: DescriptorTable) => socketpair({ table })],
  ['pipe', (table: DescriptorTable) => pipe({ table })],
])('%s: a pair that cannot be made', (_name, makePair) => {
  it('leaves nothing open when the second end gets no number', () => {
    const table = new DescriptorTable();
    const allocate = table.allocate.bind(table);
    let calls = 0;
    table.allocate = (...args) => {
      if (++calls === 2) throw new PosixError('EMFILE', 'no number left');
      return allocate(...args);
    };
    expect(code(() => makePair(table))).toBe('EMFILE');
    expect(calls).toBe(2);
    expect(table.inspect()).toEqual([]);
  });
});
