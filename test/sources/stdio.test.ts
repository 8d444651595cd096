// stdio as sources: fd 0 over a Readable, fds 1 and 2 over Writables (injected streams, and the
// real process.stdin/stdout/stderr of a child process), and the table's fixed numbers 0-2.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Epoll } from '../../src/api/epoll.js';
import { EPOLLERR, EPOLLET, EPOLLIN, EPOLLOUT, EPOLLRDNORM, EPOLLWRNORM } from '../../src/core/constants.js';
import { read, write } from '../../src/fd/syscalls.js';
import { defaultTable } from '../../src/fd/table.js';
import { eventfd } from '../../src/sources/eventfd.js';
import { StdinReader, stderr, stdin, StdioWriter, stdout } from '../../src/sources/stdio.js';
import { code, expectTableEmptyAfterEach, level, text } from '../helpers.js';
import { next, until } from './tcp-helpers.js';

const R = EPOLLIN | EPOLLRDNORM;
const W = EPOLLOUT | EPOLLWRNORM;

expectTableEmptyAfterEach();

/** A Writable that holds every write until `complete()` says it was written. */
class SlowSink extends Writable {
  readonly received: Buffer[] = [];
  readonly #waiting: Array<() => void> = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.received.push(chunk);
    this.#waiting.push(() => callback());
  }

  /** Completes the writes held so far. */
  complete(): void {
    for (const done of this.#waiting.splice(0)) done();
  }

  get text(): string {
    return Buffer.concat(this.received).toString();
  }
}

describe('fixed numbers 0-2', () => {
  it('stdio takes fds 0, 1 and 2; allocation still starts at 3 and never hands them out', () => {
    const input = stdin({ stream: new PassThrough() });
    const output = stdout({ stream: new PassThrough() });
    const errors = stderr({ stream: new PassThrough() });
    expect([input.fileno(), output.fileno(), errors.fileno()]).toEqual([0, 1, 2]);
    expect([input.kind, output.kind, errors.kind]).toEqual(['stdin', 'stdout', 'stderr']);
    const e = eventfd();
    expect(e.fileno()).toBe(3);
    input.close();
    const f = eventfd();
    expect(f.fileno()).toBe(4); // 0 is free, but only claim() takes it
    expect(stdin({ stream: new PassThrough() }).fileno()).toBe(0);
    for (const d of [e, f, output, errors, defaultTable.get(0)!]) d.close();
  });

  it('claim refuses numbers from 3 up (EINVAL) and open ones (EEXIST)', () => {
    const e = eventfd();
    expect(code(() => defaultTable.claim(e, 3))).toBe('EINVAL');
    expect(code(() => defaultTable.claim(e, -1))).toBe('EINVAL');
    expect(code(() => defaultTable.claim(e, 0.5))).toBe('EINVAL');
    const input = stdin({ stream: new PassThrough() });
    expect(code(() => defaultTable.claim(e, 0))).toBe('EEXIST');
    expect(defaultTable.get(0)).toBe(input);
    input.close();
    e.close();
  });

  it('the accessors return the open source, and refuse another stream for an open fd (EEXIST)', () => {
    const input = stdin({ stream: new PassThrough() });
    expect(stdin()).toBe(input);
    expect(code(() => stdin({ stream: new PassThrough() }))).toBe('EEXIST');
    const output = stdout({ stream: new PassThrough() });
    expect(stdout()).toBe(output);
    expect(code(() => stdout({ capacity: 5 }))).toBe('EEXIST');
    expect(code(() => stderr({ stream: new PassThrough(), capacity: 0 }))).toBe('EINVAL');
    input.close();
    output.close();
  });
});

describe('stdin (fd 0)', () => {
  it('is readable while bytes are queued and at EOF; null when empty; each chunk is a wakeup', async () => {
    const stream = new PassThrough();
    const input = stdin({ stream });
    expect(input).toBeInstanceOf(StdinReader);
    expect(level(input)).toBe(0);
    expect(input.read(10)).toBeNull();
    const ep = new Epoll();
    ep.register(input, EPOLLIN | EPOLLET);
    stream.write('hello ');
    expect(await next(ep, input, EPOLLIN)).toBe(EPOLLIN);
    stream.write('world');
    expect(await next(ep, input, EPOLLIN)).toBe(EPOLLIN); // a second chunk, unread first: a new edge
    expect(level(input)).toBe(R);
    expect(text(input.read(6))).toBe('hello ');
    const buf = new Uint8Array(10);
    expect(input.readInto(buf)).toBe(5);
    expect(text(buf.subarray(0, 5))).toBe('world');
    expect(input.read(1)).toBeNull();
    expect(level(input)).toBe(0);
    stream.end();
    expect(await next(ep, input, EPOLLIN)).toBe(EPOLLIN);
    expect(input.read(10)).toEqual(new Uint8Array(0));
    expect(input.readInto(buf)).toBe(0);
    expect(level(input)).toBe(R); // EOF stays readable
    expect(read(0, 1)).toEqual(new Uint8Array(0));
    expect(code(() => write(0, 'x'))).toBe('EBADF');
    expect(code(() => input.read(0))).toBe('EINVAL');
    expect(code(() => input.readInto(new Uint8Array(0)))).toBe('EINVAL');
    ep.close();
    input.close();
    expect(code(() => input.read(1))).toBe('EBADF');
  });

  it('pauses the stream while `capacity` bytes are queued; reading resumes it; every byte arrives once, in order', async () => {
    const stream = new PassThrough();
    const input = stdin({ stream, capacity: 10 });
    const sent = 'abcdefghijklmnopqrstuvwxyz0123456789';
    for (let i = 0; i < sent.length; i += 4) stream.write(sent.slice(i, i + 4));
    stream.end();
    let got = '';
    const ep = new Epoll();
    ep.register(input, EPOLLIN | EPOLLET);
    for (;;) {
      const chunk = input.read(3);
      if (chunk === null) {
        await next(ep, input, EPOLLIN);
        continue;
      }
      if (chunk.length === 0) break;
      got += text(chunk);
    }
    expect(got).toBe(sent);
    ep.close();
    input.close();
  });

  it('holds no more than one chunk past `capacity`: the rest waits in the stream', async () => {
    const stream = new PassThrough();
    const input = stdin({ stream, capacity: 8 });
    const ep = new Epoll();
    ep.register(input, EPOLLIN | EPOLLET);
    for (let i = 0; i < 10; i++) stream.write('12345');
    await next(ep, input, EPOLLIN);
    // Let the stream deliver what it will: the second chunk fills the queue and pauses it.
    while (!stream.isPaused()) await next(ep, input, EPOLLIN);
    expect(stream.isPaused()).toBe(true);
    expect(stream.readableLength).toBeGreaterThan(0);
    expect(text(input.read(100))).toBe('1234512345');
    expect(stream.isPaused()).toBe(false);
    ep.close();
    input.close();
  });

  it('a stream error: the queued bytes first, then the error once (ERR), then EOF', async () => {
    const stream = new PassThrough();
    const input = stdin({ stream });
    stream.write('last words');
    await until(input, EPOLLIN);
    stream.destroy(Object.assign(new Error('device gone'), { code: 'EIO' }));
    await until(input, EPOLLERR);
    expect(level(input)).toBe(R | EPOLLERR);
    expect(text(input.read(100))).toBe('last words');
    expect(code(() => input.read(100))).toBe('EIO');
    expect(level(input)).toBe(R);
    expect(input.read(100)).toEqual(new Uint8Array(0));
    input.close();
  });

  it('close stops reading and pauses the stream; later data stays in the stream', async () => {
    const stream = new PassThrough();
    const input = stdin({ stream });
    stream.write('read');
    await until(input, EPOLLIN);
    input.close();
    expect(stream.isPaused()).toBe(true);
    stream.write('unread');
    expect(stream.read()?.toString()).toBe('unread');
    expect(defaultTable.get(0)).toBeUndefined();
  });
});

describe('stdout and stderr (fds 1 and 2)', () => {
  it('write accepts what fits in `capacity` until the stream has written it; then OUT comes back with a wakeup', async () => {
    const sink = new SlowSink();
    const output = stdout({ stream: sink, capacity: 10 });
    expect(output).toBeInstanceOf(StdioWriter);
    expect(level(output)).toBe(W);
    const ep = new Epoll();
    ep.register(output, EPOLLOUT | EPOLLET);
    expect(await next(ep, output, EPOLLOUT)).toBe(EPOLLOUT);
    expect(output.write('hello')).toBe(5);
    expect(output.write('world!!')).toBe(5);
    expect(level(output)).toBe(0);
    expect(output.write('x')).toBe(0);
    expect(await ep.poll(0)).toEqual([]);
    sink.complete();
    expect(await next(ep, output, EPOLLOUT)).toBe(EPOLLOUT);
    expect(level(output)).toBe(W);
    expect(write(1, new Uint8Array([0x21]))).toBe(1);
    sink.complete();
    expect(sink.text).toBe('helloworld!');
    expect(output.write('')).toBe(0);
    expect(code(() => read(1, 1))).toBe('EBADF');
    ep.close();
    output.close();
    expect(code(() => output.write('x'))).toBe('EBADF');
  });

  it('write copies: changing the buffer afterwards does not change what is written', () => {
    const sink = new SlowSink();
    const output = stderr({ stream: sink });
    const data = Buffer.from('abc');
    expect(output.write(data)).toBe(3);
    data.fill(0x7a);
    sink.complete();
    expect(sink.text).toBe('abc');
    output.close();
  });

  it('a failed stream (EPIPE): ERR and OUT for good, and every write throws the error', async () => {
    const sink = new SlowSink();
    const output = stdout({ stream: sink });
    sink.destroy(Object.assign(new Error('reader gone'), { code: 'EPIPE' }));
    expect(await until(output, EPOLLERR)).toBe(EPOLLERR);
    expect(level(output)).toBe(W | EPOLLERR);
    expect(code(() => output.write('x'))).toBe('EPIPE');
    expect(code(() => output.write('x'))).toBe('EPIPE');
    output.close();
  });
});

describe('stdio of a real process', () => {
  const dist = fileURLToPath(new URL('../../dist/src/index.js', import.meta.url));

  it('a child reads its stdin through Epoll, writes stdout and stderr, and exits at EOF', async () => {
    // The child upper-cases its input through fds 0 and 1 with a small stdout buffer (so writes
    // block and wait for OUT), then reports on fd 2.
    const script = `
      const { Epoll, EPOLLIN, EPOLLOUT, stdin, stdout, stderr } = await import(process.argv[2]);
      const ep = new Epoll(), out = new Epoll();
      const input = stdin(), output = stdout({ capacity: 1024 });
      ep.register(input, EPOLLIN);
      out.register(output, EPOLLOUT);
      let total = 0;
      for (;;) {
        if ((await ep.poll(10000)).length === 0) { process.exitCode = 3; break; }
        const data = input.read(4096);
        if (data === null) continue;
        if (data.length === 0) break;
        let rest = new TextEncoder().encode(new TextDecoder().decode(data).toUpperCase());
        while (rest.length > 0) {
          const n = output.write(rest);
          rest = rest.subarray(n);
          total += n;
          if (n === 0 && (await out.poll(10000)).length === 0) { process.exitCode = 4; break; }
        }
      }
      stderr().write('bytes: ' + total + '\\n');
      for (const d of [input, output, ep, out]) d.close();
    `;
    // A script file rather than `-e`: every runtime runs `<execPath> file.mjs arg` the same way
    // (Deno's `-e` neither takes top-level await there nor puts the argument in argv[1]).
    const dir = mkdtempSync(join(tmpdir(), 'wasmux-stdio-'));
    const file = join(dir, 'upper.mjs');
    writeFileSync(file, script);
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const child = spawn(process.execPath, [file, pathToFileURL(dist).href], { stdio: 'pipe' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} of the input\n`).join('');
    for (let i = 0; i < lines.length; i += 7000) child.stdin.write(lines.slice(i, i + 7000));
    child.stdin.end();
    const timer = setTimeout(() => child.kill(), 20_000);
    const [status] = (await once(child, 'close')) as [number | null];
    clearTimeout(timer);
    expect(Buffer.concat(err).toString()).toBe(`bytes: ${lines.length}\n`);
    expect(status).toBe(0);
    expect(Buffer.concat(out).toString()).toBe(lines.toUpperCase());
  });
});
