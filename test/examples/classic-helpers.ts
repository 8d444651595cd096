// Helpers for the tests of the classic example programs: plain node:net clients and servers (an
// oracle independent of wasmux), example programs run as child processes, and deadlines. Nothing
// here sleeps: every wait ends on an event, or fails at its deadline.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

/**
 * How long any single wait in these tests may take before the test fails: twice tcp-helpers.ts's
 * in-process WAIT_MS, since a wait here may include a child process starting its runtime.
 */
export const WAIT_MS = 10_000;

/** ASCII upper case, the replies every upper-casing server gives. */
export const upper = (text: string): string => text.replace(/[a-z]+/g, (s) => s.toUpperCase());

/** `promise`, or a rejection naming `what` after `ms`. */
export function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * A node:net client: connects to 127.0.0.1:port, writes each chunk (one write each, in order),
 * half-closes, and resolves with everything received until the server closed.
 */
export function exchange(port: number, chunks: string[]): Promise<string> {
  return within(new Promise<string>((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.once('error', reject);
    socket.once('end', () => resolve(Buffer.concat(received).toString()));
    socket.once('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
      socket.end();
    });
  }), `client of port ${port}`);
}

/** SHA-256 of `data`, in hex. */
export const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/**
 * A node:net client that reads late: it reads nothing until `readFrom` settles, while it writes
 * all of `data` and half-closes at once (Node keeps what the kernel does not take yet). Its
 * receive window stays closed meanwhile, so a server's echo backs up into the server. Resolves
 * with what came back until the server's FIN: its length and SHA-256. With `slowly`, it then
 * reads one chunk per timer tick.
 */
export function sendAllThenReadLate(
  port: number, data: Uint8Array, readFrom: Promise<unknown>, ms = WAIT_MS, options: { slowly?: boolean } = {},
): Promise<{ bytes: number; sha256: string }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.pause(); // attaching 'data' below does not resume a stream paused explicitly
  const hash = createHash('sha256');
  let bytes = 0;
  socket.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    bytes += chunk.length;
    if (options.slowly) {
      // A slow reader: one chunk per timer tick, so the server keeps echo for it to the end.
      // (Pacing only: what the test checks does not depend on how slow it is.)
      socket.pause();
      setTimeout(() => socket.resume(), 1);
    }
  });
  // Written before 'connect' is even listened for: the write is queued until the connection is up.
  socket.end(data);
  void readFrom.then(() => socket.resume(), (error: unknown) => socket.destroy(error as Error));
  return within(new Promise<{ bytes: number; sha256: string }>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('end', () => resolve({ bytes, sha256: hash.digest('hex') }));
  }), `the late reader on port ${port}`, ms).finally(() => socket.destroy());
}

export interface TestServer {
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/** A node:net server on 127.0.0.1 that echoes bytes upper-cased and closes after the client's FIN. */
export async function upperCaseEchoServer(): Promise<TestServer> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => socket.write(upper(chunk.toString('latin1')), 'latin1'));
    // allowHalfOpen is false: our end follows the client's FIN, after the replies written so far.
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    get connections() {
      return connections;
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Child {
  process: ChildProcessWithoutNullStreams;
  /** Everything written to stdout (stderr) so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line that matches `pattern`, once it is written. */
  line(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** The same for stderr. */
  errLine(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or the signal) once the process has exited. */
  exited(ms?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcessWithoutNullStreams>();

/** Kills every example process a test left running, so no test leaks one into the next. */
export function killChildrenAfterEach(): void {
  afterEach(() => {
    for (const child of running) child.kill('SIGKILL');
    running.clear();
  });
}

/**
 * Sends `sig` to the child. Not child.kill(sig): Deno's ChildProcess then reports the exit as
 * `{ code: null, signal }` whatever the child did, even when its handler ran and it exited 0;
 * process.kill sends the same signal and leaves the real exit status visible on every runtime.
 */
export function signal(child: Child | ChildProcessWithoutNullStreams, sig: NodeJS.Signals): void {
  const pid = 'process' in child ? child.process.pid : child.pid;
  if (pid === undefined) throw new Error('the child has no pid (it did not start)');
  process.kill(pid, sig);
}

/**
 * Runs `node dist/examples/<name>.js ...args` (built by `npm test`'s pretest). Tests that use it
 * must call killChildrenAfterEach().
 */
export function runExample(name: string, args: string[]): Child {
  return runScript(fileURLToPath(new URL(`../../dist/examples/${name}.js`, import.meta.url)), args, name);
}

/**
 * Runs a built script (`dist/...`) with this runtime, as runExample does; `name` is what
 * failures call it. Tests that use it must call killChildrenAfterEach().
 */
export function runScript(script: string, args: string[], name = script): Child {
  if (!existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` first (npm test does)`);
  const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  let err = '';
  let closed = false;
  const lineWaiters: Array<() => void> = [];
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    out += chunk;
    for (const wake of lineWaiters.splice(0)) wake();
  });
  child.stderr.on('data', (chunk: string) => {
    err += chunk;
    for (const wake of lineWaiters.splice(0)) wake();
  });
  // 'close', not 'exit': it comes once stdout and stderr have been read to their end.
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      closed = true;
      running.delete(child);
      for (const wake of lineWaiters.splice(0)) wake();
      resolve({ code, signal });
    });
  });
  // Writing to the stdin of a process that has exited must not crash the test run.
  child.stdin.on('error', () => {});
  /** The first line of `text()` matching `pattern`, as soon as it is written. */
  const lineOf = (text: () => string, stream: string, pattern: RegExp, ms: number): Promise<RegExpMatchArray> => {
    const found = (): RegExpMatchArray | null => {
      for (const line of text().split('\n')) {
        const match = line.match(pattern);
        if (match !== null) return match;
      }
      return null;
    };
    return within(new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = (): void => {
        const match = found();
        if (match !== null) resolve(match);
        else if (closed) {
          reject(new Error(`${name} exited without a ${stream} line matching ${pattern}; stdout:\n${out}\nstderr:\n${err}`));
        } else lineWaiters.push(check);
      };
      check();
    }), `${name}: a ${stream} line matching ${pattern} (stdout so far:\n${out}\nstderr:\n${err})`, ms);
  };
  return {
    process: child,
    stdout: () => out,
    stderr: () => err,
    line: (pattern, ms = WAIT_MS) => lineOf(() => out, 'stdout', pattern, ms),
    errLine: (pattern, ms = WAIT_MS) => lineOf(() => err, 'stderr', pattern, ms),
    exited: (ms = WAIT_MS) => within(exit, `${name} to exit`, ms),
  };
}
