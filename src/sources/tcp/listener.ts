import { createServer, type Server, type Socket as NodeSocket } from 'node:net';
import { EPOLLIN, EPOLLRDNORM, type ErrnoCode } from '../../core/constants.js';
import { PosixError } from '../../errors.js';
import { Descriptor } from '../../fd/descriptor.js';
import { checkHost, checkPort, toSocketAddress, type SocketAddress } from './address.js';
import { errnoCodeOf, listenErrnoCode } from '../system-errors.js';
import { DATA_READY } from '../wakeup-keys.js';
import { checkBacklog, DEFAULT_BACKLOG, socketSettings, type ListenOptions, type SocketSettings } from './options.js';
import { TcpSocket } from './tcp-socket.js';

/** Keeps an unaccepted connection's errors from being unhandled; accept() looks at its state. */
const ignore = (): void => {};

/** A connection the system completed, waiting for accept(). */
interface Queued {
  socket: NodeSocket;
  /** Bytes the runtime had read before the connection failed while queued (Bun reads then). */
  received: Uint8Array[];
  onError: (error: Error) => void;
}

/**
 * A listening TCP socket, made by `listen()`. Connections the system completed wait in a queue
 * until `accept()` takes them; they are accepted paused (Node's pauseOnConnect), so not a byte
 * is read from them before the program has its socket.
 *
 * Readiness, as Linux's inet_csk_listen_poll: IN|RDNORM while connections are queued. Each new
 * connection is a wakeup, so an edge-triggered listener sees every one (and must accept until
 * null, as with Linux). A failed accept in Node (EMFILE...) is kept, makes the listener
 * readable, and is thrown by the next accept().
 */
export class Listener extends Descriptor {
  readonly kind = 'tcp-listener';
  readonly #server: Server;
  readonly #address: SocketAddress;
  readonly #settings: SocketSettings;
  /** Connections not yet accepted, oldest first from #head. */
  readonly #queue: (Queued | undefined)[] = [];
  #head = 0;
  #acceptError: ErrnoCode | null = null;

  /** @internal Use `listen()`: takes over a listening server made with pauseOnConnect and allowHalfOpen. */
  constructor(server: Server, settings: SocketSettings) {
    super(settings.table);
    this.#server = server;
    this.#settings = settings;
    const address = server.address();
    const known = address !== null && typeof address === 'object' ? toSocketAddress(address.address, address.family, address.port) : null;
    this.#address = known ?? { address: '0.0.0.0', family: 'IPv4', port: 0 };
    server.on('connection', this.#onConnection);
    server.on('error', this.#onError);
    this.#publish(0);
  }

  /** getsockname(2): where it listens; `port` is the one the system chose for port 0. */
  address(): SocketAddress {
    this.openFd('address');
    return { ...this.#address };
  }

  /** Connections waiting for accept(). */
  get pending(): number {
    return this.#queue.length - this.#head;
  }

  /**
   * accept4(SOCK_NONBLOCK): the oldest queued connection as a TcpSocket (numbered lowest-free),
   * or null if none is queued (would block). A connection that the peer reset while it waited is
   * still returned; its first recv reports the reset.
   */
  accept(): TcpSocket | null {
    this.openFd('accept');
    const error = this.#acceptError;
    if (error !== null) {
      this.#acceptError = null;
      this.#publish(0);
      throw new PosixError(error, 'accept');
    }
    if (this.pending === 0) return null;
    const queued = this.#queue[this.#head]!;
    // Take the number first: if the table is full (EMFILE) the connection stays queued.
    const accepted = new TcpSocket(queued.socket, false, this.#settings, undefined, queued.received);
    queued.socket.off('error', queued.onError);
    this.#queue[this.#head++] = undefined;
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    } else if (this.#head >= 64 && this.#head * 2 >= this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
    if (this.pending === 0) this.#publish(0);
    return accepted;
  }

  /** A listening socket has no data: ENOTCONN, as read(2) on one gives. */
  override read(_n: number): Uint8Array | null {
    this.openFd('read');
    throw new PosixError('ENOTCONN', 'read on a listening socket');
  }

  /** ENOTCONN, as for read. */
  override write(_data: Uint8Array | string): number {
    this.openFd('write');
    throw new PosixError('ENOTCONN', 'write on a listening socket');
  }

  /**
   * Stops listening and frees the port. Connections still queued are reset, as Linux's
   * inet_csk_listen_stop does: their peers see ECONNRESET.
   */
  protected override onClose(): void {
    this.#server.close();
    for (let i = this.#head; i < this.#queue.length; i++) this.#queue[i]!.socket.resetAndDestroy();
    this.#queue.length = 0;
    this.#head = 0;
  }

  readonly #onConnection = (socket: NodeSocket): void => {
    if (this.closed) {
      socket.on('error', ignore);
      socket.resetAndDestroy();
      return;
    }
    // Node reads nothing from a connection accepted paused; Bun does, and drops what it read
    // when the connection fails: keep those bytes for the TcpSocket, which reads them first.
    const queued: Queued = {
      socket,
      received: [],
      onError: () => {
        for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) queued.received.push(chunk);
      },
    };
    socket.on('error', queued.onError);
    this.#queue.push(queued);
    this.#publish(DATA_READY);
  };

  readonly #onError = (error: Error): void => {
    if (this.closed) return;
    this.#acceptError = errnoCodeOf(error);
    this.#publish(DATA_READY);
  };

  /** Publishes the level; a wakeup (key != 0) always comes from a node:net callback. */
  #publish(key: number): void {
    const level = this.pending > 0 || this.#acceptError !== null ? EPOLLIN | EPOLLRDNORM : 0;
    if (key === 0) this.setReadiness(level, 0);
    else this.setReadinessFromIo(level, key);
  }
}

/**
 * socket + bind + listen: resolves with a Listener once the port is bound. Rejects with a
 * PosixError: EADDRINUSE, EACCES (a port below 1024 without the right), EADDRNOTAVAIL (not an
 * address of this machine), EINVAL for a bad host, port, backlog or capacity. Accepted sockets
 * get the buffer sizes given here.
 */
export function listen(options: ListenOptions = {}): Promise<Listener> {
  let host: string;
  let port: number;
  let backlog: number;
  let settings: SocketSettings;
  try {
    host = checkHost(options.host ?? '127.0.0.1', 'listen');
    port = checkPort(options.port ?? 0, 'listen', true);
    backlog = checkBacklog(options.backlog ?? DEFAULT_BACKLOG, 'listen');
    settings = socketSettings(options, 'listen');
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise((resolve, reject) => {
    const server = createServer({ pauseOnConnect: true, allowHalfOpen: true });
    const onError = (error: Error): void => {
      const detail = error instanceof Error ? error.message : String(error);
      reject(new PosixError(listenErrnoCode(error, host), `listen on ${host}:${port}: ${detail}`));
    };
    server.once('error', onError);
    server.listen({ host, port, backlog }, () => {
      server.off('error', onError);
      try {
        resolve(new Listener(server, settings));
      } catch (error) {
        server.close();
        reject(error);
      }
    });
  });
}
