// examples/interactive-client.ts against an upper-casing node:net echo server started here: as a
// child process fed through its real stdin (fd 0), and in-process with an injected stdin stream.
// Each reply must be printed while stdin is still open (the client is interactive, not batch),
// the last one before the client exits at stdin's end, and failures must be reported.
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientError, runInteractiveClient } from '../../examples/interactive-client.js';
import { stdin } from '../../src/index.js';
import { expectTableEmptyAfterEach } from '../helpers.js';
import { closedPort } from '../sources/tcp-helpers.js';
import {
  killChildrenAfterEach, runExample, upper, upperCaseEchoServer, within, type TestServer,
} from './classic-helpers.js';

expectTableEmptyAfterEach();
killChildrenAfterEach();

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('interactive client, as a program', () => {
  it('prints each reply while stdin is open, and the last one before exiting at stdin EOF', async () => {
    server = await upperCaseEchoServer();
    const child = runExample('interactive-client', ['--port', String(server.port)]);
    child.process.stdin.write('hello\n');
    await child.line(/^HELLO$/); // answered before any more input: interactive
    child.process.stdin.write('second line, ');
    child.process.stdin.write('written in two pieces\n');
    await child.line(/^SECOND LINE, WRITTEN IN TWO PIECES$/);
    child.process.stdin.end('last one\n'); // the reply to this comes after stdin's EOF
    expect(await child.exited()).toEqual({ code: 0, signal: null });
    expect(child.stdout()).toBe('HELLO\nSECOND LINE, WRITTEN IN TWO PIECES\nLAST ONE\n');
    expect(child.stderr()).toBe('');
    expect(server.connections).toBe(1);
  });

  it('passes 6,000 lines (over 300 KB, more than the stdin queue and the socket send buffer hold) through in order', async () => {
    server = await upperCaseEchoServer();
    const child = runExample('interactive-client', ['--port', String(server.port), '--selector', 'poll']);
    const lines = Array.from({ length: 6000 }, (_, i) => `line ${i}: lorem ipsum dolor sit amet ${'x'.repeat(i % 37)}\n`);
    const input = lines.join('');
    expect(input.length).toBeGreaterThan(300_000);
    child.process.stdin.end(input);
    expect(await child.exited()).toEqual({ code: 0, signal: null });
    expect(child.stdout() === upper(input)).toBe(true);
  });

  it('with empty stdin: connects, half-closes, and exits 0 with nothing printed', async () => {
    server = await upperCaseEchoServer();
    const child = runExample('interactive-client', ['--port', String(server.port), '--selector', 'select']);
    child.process.stdin.end();
    expect(await child.exited()).toEqual({ code: 0, signal: null });
    expect(child.stdout()).toBe('');
    expect(server.connections).toBe(1);
  });

  it('a refused connection: a message naming ECONNREFUSED and exit code 1', async () => {
    const child = runExample('interactive-client', ['--port', String(await closedPort())]);
    expect(await child.exited()).toEqual({ code: 1, signal: null });
    expect(child.stderr()).toMatch(/^cannot connect to 127\.0\.0\.1:\d+: ECONNREFUSED$/m);
  });

  it('bad flags: a usage message and exit code 2', async () => {
    for (const args of [['--port', 'x'], ['--port', '1', '--selector', 'kqueue'], ['--verbose']]) {
      const child = runExample('interactive-client', args);
      expect(await child.exited(), args.join(' ')).toEqual({ code: 2, signal: null });
      expect(child.stderr()).toMatch(/^usage: interactive-client --port/);
    }
  });
});

describe('interactive client, in-process (stdin over an injected stream)', () => {
  it('replies come out as they arrive; the summary counts the bytes both ways', async () => {
    server = await upperCaseEchoServer();
    const stream = new PassThrough();
    let printed = '';
    let onPrint = (): void => {};
    const printedSoFar = (text: string): Promise<void> => within(new Promise<void>((resolve) => {
      onPrint = () => printed.endsWith(text) && resolve();
      onPrint();
    }), `output ending in ${JSON.stringify(text)}`);
    const run = runInteractiveClient({
      port: server.port,
      input: stdin({ stream }),
      output: (text) => {
        printed += text;
        onPrint();
      },
    });
    stream.write('ünïcode and ascii\n');
    await printedSoFar('üNïCODE AND ASCII\n');
    stream.end('bye\n');
    const summary = await within(run, 'the client to finish');
    expect(printed).toBe('üNïCODE AND ASCII\nBYE\n');
    const sent = Buffer.byteLength('ünïcode and ascii\nbye\n');
    expect(summary).toEqual({ bytesSent: sent, bytesReceived: sent, serverClosedFirst: false });
  });

  it('ends when the server closes first, saying so, with stdin still open', async () => {
    // A server that answers the first chunk and closes.
    const once = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () => socket.end('GOODBYE\n'));
    });
    await new Promise<void>((resolve) => once.listen(0, '127.0.0.1', resolve));
    try {
      const stream = new PassThrough();
      let printed = '';
      const run = runInteractiveClient({
        port: (once.address() as net.AddressInfo).port,
        input: stdin({ stream }),
        output: (text) => (printed += text),
      });
      stream.write('hi\n');
      const summary = await within(run, 'the client to finish');
      expect(printed).toBe('GOODBYE\n');
      expect(summary.serverClosedFirst).toBe(true);
      expect(stream.readableFlowing).toBe(false); // the client let go of its stdin
    } finally {
      await new Promise<void>((resolve) => once.close(() => resolve()));
    }
  });

  it('rejects with a ClientError carrying the code when the connection is refused', async () => {
    const port = await closedPort();
    const run = runInteractiveClient({ port, input: stdin({ stream: new PassThrough() }), output: () => {} });
    const error = await within(run.then(() => null, (e: unknown) => e), 'the client to fail');
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).code).toBe('ECONNREFUSED');
  });
});
