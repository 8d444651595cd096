// I/O model: non-blocking with busy polling — what not to do.
//
// Every socket is non-blocking, and the server asks each of them in turn "anything for me?"
// (accept, recv), over and over, catching "would block" (null) each time. No readiness API is
// used at all: no select, poll, epoll or selector. It works, and it is correct, but it never
// rests: with nothing to do it still spins, burning a whole core to learn that nothing happened.
// This example measures that cost with process.cpuUsage() and prints it, per second and per
// served message, so it can be compared with the readiness-based servers next to it, which use
// no CPU at all while idle.
//
// One thing is different from C: on Node the loop cannot be a plain `for (;;)`. Bytes reach a
// TcpSocket only when Node's event loop runs its I/O phase, which never happens while our loop
// holds the thread. So each pass ends with `await new Promise(setImmediate)`: Node runs one
// turn (polls the kernel without waiting, runs I/O callbacks), then the next pass begins. A C
// program would just call recv() again; the kernel fills its buffers on its own.
//
// Replies are the received bytes upper-cased (ASCII letters).
// Run: node dist/examples/busy-polling-server.js [--port 8080] [--report-ms 1000]
import { listen, type Listener, type TcpSocket } from '../src/index.js';
import { isMainModule } from './main-module.js';
import { upperCase } from './upper-case.js';

export interface BusyPollingStats {
  accepted: number;
  closed: number;
  /** Passes over the listener and every connection. */
  passes: number;
  /** recv calls that returned data. */
  messages: number;
  bytesEchoed: number;
  /** recv/accept calls that answered "would block" (null): the wasted work. */
  wouldBlock: number;
}

/** CPU used over a window of the server's life, from process.cpuUsage() (the whole process). */
export interface CpuSample {
  /** Wall-clock length of the window. */
  wallMs: number;
  /** User + system CPU time spent by the process in the window. */
  cpuMs: number;
  /** cpuMs / wallMs as a percentage: 100 is one whole core. */
  corePercent: number;
  passes: number;
  messages: number;
  /** CPU microseconds per message served in the window; null if none was. */
  cpuUsPerMessage: number | null;
}

export interface BusyPollingServer {
  readonly stats: BusyPollingStats;
  /** Resolves when the loop has stopped and every socket is closed. */
  readonly done: Promise<void>;
  /** The CPU used since the previous sample() (or since the server started). */
  sample(): CpuSample;
  /**
   * Resolves after `passes` more passes during which no connection was accepted and no byte
   * received, with the CPU those idle passes cost. Ends on the loop's own progress, not a timer.
   */
  measureIdle(passes: number): Promise<CpuSample>;
  /** Ends the loop after the current pass, closing the listener and every connection. */
  stop(): void;
}

interface Connection {
  socket: TcpSocket;
  /** Upper-cased bytes the send buffer did not take yet. */
  pending: Uint8Array | null;
  eof: boolean;
}


/** "Let Node run one turn": without it no byte could ever arrive (see the header). */
const yieldToNode = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Serves an upper-casing echo on `listener` by polling every socket in a loop until `stop()`. */
export function serveBusyPolling(listener: Listener): BusyPollingServer {
  const stats: BusyPollingStats = { accepted: 0, closed: 0, passes: 0, messages: 0, bytesEchoed: 0, wouldBlock: 0 };
  const connections: Connection[] = [];
  let stopping = false;
  /** Idle measurements in progress: each counts idle passes down to 0. */
  const idleWatchers: Array<{ left: number; start: Mark; resolve: (sample: CpuSample) => void }> = [];

  let last = mark(stats);

  const close = (conn: Connection): void => {
    conn.socket.close();
    stats.closed++;
  };

  /** Sends what is pending; true once nothing is. A full send buffer answers 0: try next pass. */
  const flush = (conn: Connection): boolean => {
    if (conn.pending === null) return true;
    const sent = conn.socket.send(conn.pending);
    stats.bytesEchoed += sent;
    conn.pending = sent === conn.pending.length ? null : conn.pending.subarray(sent);
    return conn.pending === null;
  };

  /** One try at a connection; false once it is finished and closed. */
  const poll = (conn: Connection): { alive: boolean; busy: boolean } => {
    try {
      // Echo nothing new before the old reply is out: that is this server's backpressure.
      if (!flush(conn)) return { alive: true, busy: false };
      if (conn.eof) {
        close(conn);
        return { alive: false, busy: true };
      }
      const data = conn.socket.recv(64 * 1024);
      if (data === null) {
        stats.wouldBlock++; // nothing there: the question was asked for nothing
        return { alive: true, busy: false };
      }
      if (data.length === 0) {
        conn.eof = true; // the peer's FIN: finish the replies, then close
        return { alive: true, busy: true };
      }
      stats.messages++;
      conn.pending = upperCase(data);
      flush(conn);
      return { alive: true, busy: true };
    } catch (error) {
      // ECONNRESET from recv, EPIPE from send: the peer is gone, and so is the connection.
      if (!isConnectionError(error)) throw error;
      close(conn);
      return { alive: false, busy: true };
    }
  };

  const loop = async (): Promise<void> => {
    while (!stopping) {
      stats.passes++;
      let busy = false;
      for (let socket = listener.accept(); socket !== null; socket = listener.accept()) {
        connections.push({ socket, pending: null, eof: false });
        stats.accepted++;
        busy = true;
      }
      stats.wouldBlock++; // the accept that said null
      for (let i = 0; i < connections.length; ) {
        const { alive, busy: worked } = poll(connections[i]!);
        busy ||= worked;
        if (alive) i++;
        else connections.splice(i, 1);
      }
      for (let i = 0; i < idleWatchers.length; ) {
        const watcher = idleWatchers[i]!;
        if (busy) watcher.start = mark(stats); // only uninterrupted idle passes count
        else if (--watcher.left === 0) {
          idleWatchers.splice(i, 1);
          watcher.resolve(since(watcher.start, stats));
          continue;
        }
        i++;
      }
      await yieldToNode();
    }
  };

  const done = loop().finally(() => {
    for (const conn of connections.splice(0)) close(conn);
    listener.close();
    for (const watcher of idleWatchers.splice(0)) watcher.resolve(since(watcher.start, stats));
  });

  return {
    stats,
    done,
    sample(): CpuSample {
      const now = mark(stats);
      const sample = between(last, now);
      last = now;
      return sample;
    },
    measureIdle(passes: number): Promise<CpuSample> {
      if (!Number.isSafeInteger(passes) || passes <= 0) return Promise.reject(new RangeError('passes must be a positive integer'));
      return new Promise((resolve) => idleWatchers.push({ left: passes, start: mark(stats), resolve }));
    },
    stop(): void {
      stopping = true;
    },
  };
}

/** A point in time: wall clock, the process's CPU usage, and the server's counters. */
interface Mark {
  wall: number;
  cpu: NodeJS.CpuUsage;
  passes: number;
  messages: number;
}

function mark(stats: BusyPollingStats): Mark {
  return { wall: performance.now(), cpu: process.cpuUsage(), passes: stats.passes, messages: stats.messages };
}

function since(start: Mark, stats: BusyPollingStats): CpuSample {
  return between(start, mark(stats));
}

function between(start: Mark, end: Mark): CpuSample {
  const wallMs = end.wall - start.wall;
  const cpuUs = end.cpu.user - start.cpu.user + (end.cpu.system - start.cpu.system);
  const messages = end.messages - start.messages;
  return {
    wallMs,
    cpuMs: cpuUs / 1000,
    corePercent: wallMs > 0 ? (cpuUs / 1000 / wallMs) * 100 : 0,
    passes: end.passes - start.passes,
    messages,
    cpuUsPerMessage: messages > 0 ? cpuUs / messages : null,
  };
}

/** One line for a sample: "1.00 s: CPU 98% of a core, 180,000 passes, 0 messages (idle)". */
export function formatCpuSample(sample: CpuSample): string {
  const head = `${(sample.wallMs / 1000).toFixed(2)} s: CPU ${sample.corePercent.toFixed(0)}% of a core ` +
    `(${sample.cpuMs.toFixed(1)} ms), ${sample.passes.toLocaleString('en-US')} passes, ` +
    `${sample.messages.toLocaleString('en-US')} messages`;
  return sample.cpuUsPerMessage === null
    ? `${head} (idle)`
    : `${head}, ${sample.cpuUsPerMessage.toFixed(1)} µs CPU per message`;
}

function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isSafeInteger(value) || value < 0) {
    console.error(`usage: busy-polling-server [--port 8080] [--report-ms 1000]  (bad ${name})`);
    process.exit(2);
  }
  return value;
}

if (isMainModule(import.meta.url)) {
  const port = flag('--port', 8080);
  const reportMs = Math.max(1, flag('--report-ms', 1000));
  const listener = await listen({ host: '127.0.0.1', port });
  const server = serveBusyPolling(listener);
  console.log(`busy-polling upper-case echo on 127.0.0.1:${listener.address().port}; Ctrl-C stops it`);
  console.log('watch the CPU figure while no client is connected: it stays near 100% of a core');
  // The report timer fires because the loop yields to Node every pass.
  const timer = setInterval(() => console.log(formatCpuSample(server.sample())), reportMs);
  process.once('SIGINT', () => server.stop());
  await server.done;
  clearInterval(timer);
  console.log(`served ${server.stats.accepted} connections, ${server.stats.messages} messages, ` +
    `${server.stats.bytesEchoed} bytes in ${server.stats.passes.toLocaleString('en-US')} passes ` +
    `(${server.stats.wouldBlock.toLocaleString('en-US')} would-block answers)`);
}
