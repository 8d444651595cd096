// The byte-stream sources under one contract (byte-stream.test.ts): each case opens a reader and
// drives its other end, the way CPython's selectors tests run one suite over every backend.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { Epoll } from '../../src/api/epoll.js';
import {
  EPOLLERR, EPOLLET, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLRDNORM, EPOLLWRBAND, EPOLLWRNORM,
} from '../../src/core/constants.js';
import { PIPE_BUF, pipe } from '../../src/sources/pipe.js';
import { socketpair } from '../../src/sources/socket.js';
import { SHUT_WR } from '../../src/sources/wakeup-keys.js';
import { stdin } from '../../src/sources/stdio.js';
import { next, receiveAtLeast, tcpPair, until } from './tcp-helpers.js';

const R = EPOLLIN | EPOLLRDNORM;

/** What the suite reads through: every byte-stream source has these. */
export interface ByteReader {
  fileno(): number;
  read(n: number): Uint8Array | null;
  close(): void;
}

export interface StreamEnds {
  reader: ByteReader;
  /** readInto (pipe, stdin) or recvInto (sockets). */
  readInto(buf: Uint8Array): number | null;
  /** Sends data from the other end; resolves once all of it can be read. */
  feed(data: Uint8Array): Promise<void>;
  /** The other end stops sending; resolves once the reader shows it. */
  endWrites(): Promise<void>;
  /** The reader's own sending side stops (its SHUT_WR), for sources that have one. */
  endOwnWrites?: () => void;
  /** The other end resets the connection; resolves once the reader shows ERR. */
  reset?: () => Promise<void>;
  /** Closes everything the case opened. */
  close(): void;
}

/**
 * A run of seeded random writes and reads of random sizes through a small buffer, synchronous
 * (sources whose bytes arrive at once), checking OUT and IN against the bytes in flight.
 */
export interface StressRun {
  /** What the run goes through, for its title. */
  through: string;
  seed: number;
  open(): { writer: ByteWriter; reader: ByteReader; readInto(buf: Uint8Array): number | null };
  /** Writes and reads take 1 to this many bytes. */
  maxWrite: number;
  maxRead: number;
  /** Whether the writer shows OUT with `inFlight` bytes written and not yet read. */
  writable(inFlight: number): boolean;
  /** Writes of at most this many bytes go in whole or not at all (a pipe's PIPE_BUF). */
  atomicUpTo?: number;
}

/** The writing end of a stress run. */
export interface ByteWriter {
  fileno(): number;
  write(data: Uint8Array): number;
  close(): void;
}

export interface ByteStreamCase {
  name: string;
  open(): Promise<StreamEnds>;
  /** The stress run, for sources that can take one. */
  stress?: StressRun;
  /** The reader's level once the other end stopped sending and every byte was read. */
  peerDoneLevel: number;
  /** The same once both directions are done; a string says why the source has no such state. */
  bothDoneLevel: number | string;
  /** The error the reader reports after a reset; a string says why the source cannot be reset. */
  resetCode: `E${string}` | { why: string };
}

/** Waits (edge-triggered, in an Epoll of its own) until `queued()` reaches `target`. */
async function arrived(reader: ByteReader, queued: () => number, target: number): Promise<void> {
  if (queued() >= target) return;
  const ep = new Epoll();
  try {
    ep.register(reader, EPOLLIN | EPOLLET);
    while (queued() < target) await next(ep, reader, EPOLLIN);
  } finally {
    ep.close();
  }
}

const socketpairCase: ByteStreamCase = {
  name: 'socketpair end',
  async open() {
    const [a, b] = socketpair();
    return {
      reader: a,
      readInto: (buf) => a.recvInto(buf),
      feed: async (data) => {
        if (b.send(data) !== data.length) throw new Error('the pair took less than was sent');
      },
      endWrites: async () => b.shutdown(SHUT_WR),
      endOwnWrites: () => a.shutdown(SHUT_WR),
      // The peer closes with bytes it has not read (unix_release_sock: ECONNRESET for us).
      reset: async () => {
        a.send('unread');
        b.close();
      },
      close: () => {
        a.close();
        b.close();
      },
    };
  },
  peerDoneLevel: R | EPOLLRDHUP | EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND,
  bothDoneLevel: R | EPOLLRDHUP | EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND | EPOLLHUP,
  resetCode: 'ECONNRESET',
  stress: {
    through: '997-byte buffers',
    seed: 42,
    open: () => {
      const [a, b] = socketpair({ capacity: 997 });
      return { writer: a, reader: b, readInto: (buf) => b.recvInto(buf) };
    },
    maxWrite: 1500,
    maxRead: 1200,
    // Writable exactly while the peer's buffer has room.
    writable: (inFlight) => inFlight < 997,
  },
};

const pipeCase: ByteStreamCase = {
  name: 'pipe read end',
  async open() {
    const [r, w] = pipe();
    return {
      reader: r,
      readInto: (buf) => r.readInto(buf),
      feed: async (data) => {
        if (w.write(data) !== data.length) throw new Error('the pipe took less than was written');
      },
      endWrites: async () => w.close(),
      close: () => {
        r.close();
        w.close();
      },
    };
  },
  // pipe_poll: HUP without IN once the writer is gone and the pipe is empty.
  peerDoneLevel: EPOLLHUP,
  bothDoneLevel: EPOLLHUP, // one direction: the writer closing ends it
  resetCode: { why: 'a pipe cannot be reset' },
  stress: {
    through: 'a PIPE_BUF-sized pipe',
    seed: 1234,
    open: () => {
      const [r, w] = pipe({ capacity: PIPE_BUF });
      return { writer: w, reader: r, readInto: (buf) => r.readInto(buf) };
    },
    maxWrite: 6000,
    maxRead: 3000,
    // OUT needs PIPE_BUF free: in a PIPE_BUF-sized pipe, only when it is empty.
    writable: (inFlight) => inFlight === 0,
    atomicUpTo: PIPE_BUF,
  },
};

/** A TCP connection over 127.0.0.1; `end` chooses which end reads. */
function tcpCase(end: 'accepted' | 'connected'): ByteStreamCase {
  return {
    name: `TCP over loopback, ${end} end`,
    async open() {
      const pair = await tcpPair();
      const [reader, peer] = end === 'accepted' ? [pair.server, pair.client] : [pair.client, pair.server];
      return {
        reader,
        readInto: (buf) => reader.recvInto(buf),
        feed: async (data) => {
          const target = reader.receiveQueued + data.length;
          if (peer.send(data) !== data.length) throw new Error('the socket took less than was sent');
          await receiveAtLeast(reader, target);
        },
        endWrites: async () => {
          peer.shutdown(SHUT_WR);
          await until(reader, EPOLLRDHUP);
        },
        endOwnWrites: () => reader.shutdown(SHUT_WR),
        // The peer closes with a byte it has not read: Linux's tcp_close sends a RST.
        reset: async () => {
          reader.send('?');
          await receiveAtLeast(peer, 1);
          peer.close();
          await until(reader, EPOLLERR);
        },
        close: () => {
          for (const s of [pair.client, pair.server, pair.listener]) s.close();
        },
      };
    },
    peerDoneLevel: R | EPOLLRDHUP | EPOLLOUT | EPOLLWRNORM,
    bothDoneLevel: R | EPOLLRDHUP | EPOLLOUT | EPOLLWRNORM | EPOLLHUP,
    resetCode: 'ECONNRESET',
  };
}

/** stdin over a stream: an in-process one (which can fail), or a real pipe from a child process. */
function stdinCase(over: 'stream' | 'pipe'): ByteStreamCase {
  return {
    name: over === 'stream' ? 'stdin over a Readable' : 'stdin over a real pipe (a child process\'s stdout)',
    async open() {
      let stream: Readable;
      let write: (data: Uint8Array) => void;
      let end: () => void;
      let fail: (() => void) | undefined;
      let stop: () => void;
      if (over === 'stream') {
        const through = new PassThrough();
        stream = through;
        write = (data) => through.write(data);
        end = () => through.end();
        fail = () => through.destroy(Object.assign(new Error('connection reset'), { code: 'ECONNRESET' }));
        stop = () => through.destroy();
      } else {
        // cat copies its stdin to its stdout: what we write arrives through an OS pipe.
        const child = spawn('cat', [], { stdio: ['pipe', 'pipe', 'ignore'] });
        await once(child, 'spawn');
        stream = child.stdout!;
        write = (data) => child.stdin!.write(data);
        end = () => child.stdin!.end();
        stop = () => child.kill();
      }
      const reader = stdin({ stream });
      return {
        reader,
        readInto: (buf) => reader.readInto(buf),
        feed: async (data) => {
          const target = reader.queued + data.length;
          write(data);
          await arrived(reader, () => reader.queued, target);
        },
        endWrites: async () => {
          // Every byte fed has arrived, so the next edge is the end, which wakes everyone (an
          // edge even while bytes keep IN up).
          const ep = new Epoll();
          try {
            ep.register(reader, EPOLLIN | EPOLLET);
            end();
            await next(ep, reader, EPOLLIN);
          } finally {
            ep.close();
          }
        },
        reset: fail === undefined ? undefined : async () => {
          fail!();
          await until(reader, EPOLLERR);
        },
        close: () => {
          reader.close();
          stop();
        },
      };
    },
    // A stream's end is shown as IN (read() gives EOF), as a terminal shows Ctrl-D.
    peerDoneLevel: R,
    bothDoneLevel: 'stdin has one direction, and its end shows as IN (a stream does not say whether fd 0 is a pipe or a terminal)',
    resetCode: over === 'stream' ? 'ECONNRESET' : { why: 'a pipe cannot be reset' },
  };
}

export const byteStreamCases: ByteStreamCase[] = [
  socketpairCase,
  pipeCase,
  tcpCase('accepted'),
  tcpCase('connected'),
  stdinCase('stream'),
  stdinCase('pipe'),
];
