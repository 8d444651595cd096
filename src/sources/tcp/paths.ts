import { once } from 'node:events';
import { createServer, Socket as NodeSocket, type AddressInfo, type Server } from 'node:net';
import { handleReadsIntoUserBuffer, internalsOn, peerGone, socketFd, writeDirect } from './net-internals.js';
import { readFdAfterEof, runtimeReportsResets } from './reset-probe.js';

/**
 * Which way each job of the TCP sources is done in this runtime: the fast path through an
 * internal of node:net (net-internals.ts) or its fallback. Found on real loopback connections the
 * first time it is asked, then combined with the switches of setInternals on every call.
 */
export interface TcpPaths {
  /** The runtime, as 'node 22.12.0', 'bun 1.1.0' or 'deno 2.1.0'. */
  runtime: string;
  /** Reads of accepted connections: into one reused buffer ('onread', internal 3) or 'data' events. */
  acceptedReads: 'onread' | 'data';
  /** Reads of connect() sockets: Node's documented `onread` option, or 'data' events if it is ignored. */
  connectedReads: 'onread' | 'data';
  /** A send with nothing queued: one write(2) on the fd ('fd', internal 2) or 'socket.write'. */
  writes: 'fd' | 'socket.write';
  /**
   * Who tells a reset that arrives behind unread data from a FIN (reset-probe.ts): the runtime's
   * own 'error' ('runtime'), a read of the fd ('fd', internal 1), a fresh getpeername
   * ('getpeername', internal 4), the documented remoteAddress ('remoteAddress'), or nobody
   * ('none': the EOF stands and the next send shows the reset).
   */
  resetAfterData: 'runtime' | 'fd' | 'getpeername' | 'remoteAddress' | 'none';
}

/** What the runtime offers, whatever the switches say. */
interface Offers {
  runtime: string;
  userBufferReads: boolean;
  connectOnread: boolean;
  directWrites: boolean;
  reset: { runtime: boolean; fd: boolean; getpeername: boolean; remoteAddress: boolean };
}

/** How long each step of the detection may take before it counts as "not offered". */
const STEP_MS = 2000;

let offers: Promise<Offers> | null = null;

/** Which path each job takes here, with the internals switched on now (see TcpPaths). */
export async function tcpPaths(): Promise<TcpPaths> {
  offers ??= detect();
  const o = await offers;
  const reset = o.reset;
  let resetAfterData: TcpPaths['resetAfterData'] = 'none';
  if (reset.runtime) resetAfterData = 'runtime';
  else if (runtimeReportsResets) resetAfterData = 'none'; // its version says it reports them, and it did not
  else if (reset.fd && internalsOn('fd')) resetAfterData = 'fd';
  else if (reset.getpeername && internalsOn('peername')) resetAfterData = 'getpeername';
  else if (reset.remoteAddress) resetAfterData = 'remoteAddress';
  return {
    runtime: o.runtime,
    acceptedReads: o.userBufferReads && internalsOn('userBufferReads') ? 'onread' : 'data',
    connectedReads: o.connectOnread ? 'onread' : 'data',
    writes: o.directWrites && internalsOn('directWrites') && internalsOn('fd') ? 'fd' : 'socket.write',
    resetAfterData,
  };
}

function runtimeName(): string {
  const v = process.versions as Record<string, string | undefined>;
  if (v.bun !== undefined) return `bun ${v.bun}`;
  if (v.deno !== undefined) return `deno ${v.deno}`;
  return `node ${process.versions.node}`;
}

function within<T>(promise: Promise<T>, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => (timer = setTimeout(resolve, STEP_MS, fallback)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Resolves with the next connection the server accepts (listen before connecting). */
function nextConnection(server: Server): Promise<NodeSocket> {
  return new Promise((resolve) => server.once('connection', resolve));
}

async function detect(): Promise<Offers> {
  const server = createServer({ pauseOnConnect: true, allowHalfOpen: true });
  const sockets: NodeSocket[] = [];
  const ignore = (): void => {};
  try {
    server.on('connection', (s: NodeSocket) => {
      sockets.push(s);
      s.on('error', ignore);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;

    // A connect() socket with onread, and its accepted end.
    let gotOnread!: () => void;
    const onread = new Promise<boolean>((resolve) => (gotOnread = () => resolve(true)));
    const options = { allowHalfOpen: true, onread: { buffer: Buffer.alloc(64), callback: () => (gotOnread(), true) } };
    const client = new NodeSocket(options as ConstructorParameters<typeof NodeSocket>[0]);
    sockets.push(client);
    client.on('error', ignore);
    const accepted = nextConnection(server);
    client.connect(port, '127.0.0.1');
    const peer = await within(accepted, null);
    if (peer === null) throw new Error('no connection');
    await within(once(client, 'connect'), null);
    const userBufferReads = handleReadsIntoUserBuffer(peer);
    const viaData = once(client, 'data').then(() => false, () => false);
    const direct = writeDirect(peer, Buffer.from('x'), 1, true) === 1;
    if (!direct) peer.write('x');
    const connectOnread = await within(Promise.race([onread, viaData]), false);

    // A peer that sends and resets before the accepted end reads: who tells the reset?
    const resetOffers = { runtime: false, fd: false, getpeername: false, remoteAddress: false };
    const next = nextConnection(server);
    const resetter = new NodeSocket();
    sockets.push(resetter);
    resetter.on('error', ignore);
    resetter.connect(port, '127.0.0.1');
    await within(once(resetter, 'connect'), null);
    const victim = await within(next, null);
    if (victim !== null) {
      void victim.remoteAddress; // as a TcpSocket does when it is accepted
      await new Promise<void>((resolve) => resetter.write(Buffer.alloc(1000), () => resolve()));
      resetter.resetAndDestroy();
      await within(once(resetter, 'close'), null);
      const ended = new Promise<'end' | 'error'>((resolve) => {
        victim.once('end', () => resolve('end'));
        victim.once('error', () => resolve('error'));
      });
      victim.on('data', ignore);
      victim.resume();
      const how = await within(ended, null);
      if (how === 'error') {
        resetOffers.runtime = true;
      } else if (how === 'end') {
        const gone = peerGone(victim, true);
        const read = readFdAfterEof(victim, true);
        resetOffers.fd = read !== undefined && read.code === 'ECONNRESET';
        resetOffers.getpeername = gone === true;
        resetOffers.remoteAddress = victim.remoteAddress === undefined;
      }
    }
    return {
      runtime: runtimeName(),
      userBufferReads,
      connectOnread,
      directWrites: direct && socketFd(peer, true) >= 0,
      reset: resetOffers,
    };
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
  }
}
