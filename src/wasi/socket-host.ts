import { EPOLLET, EPOLLIN, EPOLLOUT, EPOLLRDHUP } from '../core/constants.js';
import { Epoll } from '../api/epoll.js';
import { Events } from '../api/events.js';
import { PosixError } from '../errors.js';
import { SHUT_RD, SHUT_WR } from '../sources/wakeup-keys.js';
import type { Listener } from '../sources/tcp/listener.js';
import type { TcpSocket } from '../sources/tcp/tcp-socket.js';
import { EAGAIN, EBADF, EMFILE, ENOTCONN, wasiErrno } from './errno.js';
import type { StdinSource } from './host-stdio.js';
import {
  F_RX_DONE, F_TX_DONE, KIND_FREE, KIND_LISTENER, KIND_STREAM, RESPONSE, RESULT, S_ERROR, S_FLAGS, S_PENDING,
  S_RX_WANT, S_TX_WANT, type GuestMessage, type SharedState,
} from './shared-state.js';
import { StdinMirror, type GuestWaker } from './stdin-mirror.js';

/** WASI sdflags. */
const SD_RD = 1;
const SD_WR = 2;

interface SlotEntry {
  listener?: Listener;
  socket?: TcpSocket;
  /** The host's stdin, mirrored into the slot's RX ring. */
  stdin?: StdinMirror;
  /** The guest closed it: closed for real once TX is drained. */
  closing: boolean;
  /** The guest asked for SHUT_WR: sent once TX is drained. */
  shutWrPending: boolean;
}

/**
 * The main thread's half of a WASI run: owns the listeners and connections, mirrors each one's
 * state into its shared slot and moves bytes between the TcpSockets and the shared rings.
 * Driven by one edge-triggered Epoll over the sockets and by the guest's messages.
 */
export class SocketHost {
  readonly #state: SharedState;
  readonly #respond: (value: number) => void;
  readonly #slots: (SlotEntry | undefined)[];
  readonly #byFd = new Map<number, number>();
  readonly #epoll = new Epoll();
  #stopped = false;
  /** Cross-thread wakes that reached a sleeping guest (Atomics.notify counts). */
  wakes = 0;
  /** Something a guest may be waiting for changed since the last wake. */
  #changed = false;
  /** How the stdin mirror reports news for the guest and wakes it. */
  readonly #waker: GuestWaker = { changed: () => { this.#changed = true; }, wake: () => this.#wake() };
  /** Where the guest's stdin comes from (see host-stdio.ts). */
  readonly #stdin: StdinSource | undefined;
  #stdinClosed = false;

  constructor(state: SharedState, listeners: readonly Listener[], stdin?: StdinSource) {
    this.#state = state;
    this.#stdin = stdin;
    this.#slots = new Array<SlotEntry | undefined>(state.slots);
    this.#respond = (value) => {
      Atomics.store(state.i32, RESULT, value);
      Atomics.add(state.i32, RESPONSE, 1);
      Atomics.notify(state.i32, RESPONSE);
    };
    listeners.forEach((listener, slot) => {
      this.#slots[slot] = { listener, closing: false, shutWrPending: false };
      state.resetSlot(slot, KIND_LISTENER);
      this.#byFd.set(listener.fileno(), slot);
      this.#epoll.register(listener, EPOLLIN | EPOLLET);
      state.store(slot, S_PENDING, listener.pending);
    });
    void this.#run();
  }

  async #run(): Promise<void> {
    const events = new Events(256);
    while (!this.#stopped) {
      try {
        await this.#epoll.wait(events);
      } catch (error) {
        if (this.#stopped) return;
        throw error;
      }
      for (let i = 0; i < events.length; i++) {
        const slot = this.#byFd.get(events.fd(i));
        if (slot !== undefined) this.#pump(slot);
      }
      this.#wake();
    }
  }

  /**
   * Wakes a sleeping guest, but only if something it can wait for has changed since the last
   * wake (#changed): received bytes, a flag or error, a listener's queue, or room in a TX ring
   * that was full. A guest's own 'tx' message usually changes nothing it waits for, and waking it
   * for that would cost a thread switch per message for nothing.
   */
  #wake(): void {
    if (!this.#changed) return;
    this.#changed = false;
    if (this.#state.wake() > 0) this.wakes++;
  }

  /** A message from the guest. */
  onMessage(message: GuestMessage): void {
    if (this.#stopped) return;
    const entry = 'slot' in message ? this.#slots[message.slot] : undefined;
    switch (message.op) {
      case 'tx':
        if (entry?.socket) this.#drainTx(message.slot, entry);
        break;
      case 'rx':
        if (entry?.socket) this.#fillRx(message.slot, entry.socket);
        else entry?.stdin?.fill();
        break;
      case 'stdin':
        this.#respond(this.#attachStdin());
        break;
      case 'accept':
        this.#respond(this.#accept(message.slot));
        break;
      case 'shutdown':
        this.#respond(this.#shutdown(message.slot, message.how));
        break;
      case 'close':
        this.#close(message.slot);
        this.#respond(0);
        break;
    }
    this.#wake();
  }

  #pump(slot: number): void {
    const entry = this.#slots[slot];
    if (entry?.listener) {
      this.#state.store(slot, S_PENDING, entry.listener.closed ? 0 : entry.listener.pending);
      this.#changed = true;
    } else if (entry?.socket) {
      this.#fillRx(slot, entry.socket);
      this.#drainTx(slot, entry);
    }
  }

  /** Returns the new slot, or -errno. */
  #accept(slot: number): number {
    const listener = this.#slots[slot]?.listener;
    if (!listener || listener.closed) return -EBADF;
    const free = this.#freeSlot();
    let socket: TcpSocket | null;
    try {
      if (listener.pending > 0 && free < 0) return -EMFILE;
      socket = listener.accept();
    } catch (error) {
      return -wasiErrno(error instanceof PosixError ? error.code : undefined);
    } finally {
      this.#state.store(slot, S_PENDING, listener.pending);
      this.#changed = true;
    }
    if (socket === null) return -EAGAIN;
    const entry: SlotEntry = { socket, closing: false, shutWrPending: false };
    this.#slots[free] = entry;
    this.#state.resetSlot(free, KIND_STREAM);
    this.#byFd.set(socket.fileno(), free);
    this.#epoll.register(socket, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
    this.#fillRx(free, socket);
    this.#drainTx(free, entry);
    return free;
  }

  /** A free socket slot (the last one is stdin's), or -1. */
  #freeSlot(): number {
    for (let i = 0; i < this.#slots.length - 1; i++) if (this.#slots[i] === undefined) return i;
    return -1;
  }

  #shutdown(slot: number, how: number): number {
    const entry = this.#slots[slot];
    const socket = entry?.socket;
    if (!entry || !socket) return -ENOTCONN;
    const state = this.#state;
    if (socket.error !== null) return -ENOTCONN; // reset or failed: not connected any more
    try {
      if (how & SD_RD) socket.shutdown(SHUT_RD);
    } catch (error) {
      return -wasiErrno(error instanceof PosixError ? error.code : undefined);
    }
    if (how & SD_WR) {
      entry.shutWrPending = true;
      Atomics.or(state.i32, state.word(slot, S_FLAGS), F_TX_DONE);
      this.#changed = true;
    }
    this.#fillRx(slot, socket);
    this.#drainTx(slot, entry);
    return 0;
  }

  #close(slot: number): void {
    const entry = this.#slots[slot];
    if (!entry) return;
    if (entry.stdin) {
      entry.stdin.detach();
      this.#stdinClosed = true;
      this.#free(slot);
      return;
    }
    if (entry.listener) {
      this.#byFd.delete(entry.listener.fileno());
      entry.listener.close();
      this.#free(slot);
      return;
    }
    entry.closing = true;
    // Received bytes the guest never read make the close a reset, as Linux's tcp_close does; the
    // TcpSocket only sees the bytes it still holds, not those already copied into the ring.
    if (entry.socket && this.#state.used(slot, false) > 0) entry.socket.setLinger(true, 0);
    this.#drainTx(slot, entry);
  }

  #free(slot: number): void {
    this.#slots[slot] = undefined;
    this.#state.resetSlot(slot, KIND_FREE);
  }

  /** Moves received bytes from the TcpSocket into RX while it has room. */
  #fillRx(slot: number, socket: TcpSocket): void {
    const state = this.#state;
    if (socket.closed || (state.load(slot, S_FLAGS) & F_RX_DONE) !== 0) return;
    for (;;) {
      const views = state.freeViews(slot, false);
      if (views.length === 0) {
        // Full: the guest tells us (an 'rx' message) when it has made room.
        state.store(slot, S_RX_WANT, 1);
        if (state.used(slot, false) === state.ringBytes) return;
        Atomics.store(state.i32, state.word(slot, S_RX_WANT), 0);
        continue;
      }
      for (const view of views) {
        let n: number | null;
        try {
          n = socket.recvInto(view);
        } catch (error) {
          this.#fail(slot, error);
          return;
        }
        if (n === null) return;
        if (n === 0) {
          Atomics.or(state.i32, state.word(slot, S_FLAGS), F_RX_DONE);
          this.#changed = true;
          return;
        }
        state.commit(slot, false, n);
        this.#changed = true;
        // Read again even after a short read: only a read tells the EOF that follows the data.
        if (n < view.length) break;
      }
    }
  }

  /** Hands TX's bytes to the TcpSocket while it takes them; then a pending SHUT_WR or close. */
  #drainTx(slot: number, entry: SlotEntry): void {
    const state = this.#state;
    const socket = entry.socket!;
    for (;;) {
      const views = state.usedViews(slot, true);
      if (views.length === 0) {
        state.store(slot, S_TX_WANT, 1);
        if (state.used(slot, true) !== 0) {
          Atomics.store(state.i32, state.word(slot, S_TX_WANT), 0);
          continue;
        }
        this.#finishTx(slot, entry);
        return;
      }
      if (socket.closed || socket.error !== null && (state.load(slot, S_FLAGS) & F_TX_DONE) !== 0) {
        for (const view of views) this.#discardTx(slot, view.length);
        continue;
      }
      for (const view of views) {
        let n: number;
        try {
          n = socket.send(view);
        } catch (error) {
          this.#fail(slot, error);
          this.#discardTx(slot, state.used(slot, true));
          break;
        }
        this.#discardTx(slot, n);
        if (n < view.length) return; // the send buffer is full: EPOLLOUT brings us back
      }
    }
  }

  /**
   * Frees n bytes of a TX ring. Room in a full ring is news for a guest that found it full and
   * sleeps (the guest sleeps only after seeing it full, and nobody else empties it, so it is
   * still full at our next discard); room in a ring that was not full is not.
   */
  #discardTx(slot: number, n: number): void {
    const state = this.#state;
    if (n > 0 && state.used(slot, true) === state.ringBytes) this.#changed = true;
    state.discard(slot, true, n);
  }

  #finishTx(slot: number, entry: SlotEntry): void {
    const socket = entry.socket!;
    if (entry.shutWrPending && !socket.closed) {
      entry.shutWrPending = false;
      try {
        socket.shutdown(SHUT_WR);
      } catch {
        // ENOTCONN: the connection is already over; nothing to send a FIN on.
      }
    }
    if (entry.closing && !socket.closed) {
      this.#byFd.delete(socket.fileno());
      socket.close();
      this.#free(slot);
    }
  }

  /** recv/send failed: the error is the guest's SO_ERROR, and the connection is over both ways. */
  #fail(slot: number, error: unknown): void {
    const state = this.#state;
    const code = error instanceof PosixError ? error.code : undefined;
    if (code !== 'EPIPE') Atomics.compareExchange(state.i32, state.word(slot, S_ERROR), 0, wasiErrno(code));
    Atomics.or(state.i32, state.word(slot, S_FLAGS), F_RX_DONE | F_TX_DONE);
    this.#changed = true;
  }

  /**
   * Starts mirroring the guest's stdin into its slot's RX ring (stdin-mirror.ts), the first time
   * the guest reads or polls fd 0. Returns the slot, or -EBADF.
   */
  #attachStdin(): number {
    const source = this.#stdin;
    if (source === undefined) return -EBADF;
    // The last slot is stdin's (run-wasi.ts adds it to maxSockets): reading fd 0 never fails
    // for want of a slot. Once the guest has closed fd 0 it stays closed.
    const slot = this.#state.slots - 1;
    const entry = this.#slots[slot];
    if (entry !== undefined) return entry.stdin ? slot : -EBADF;
    if (this.#stdinClosed) return -EBADF;
    this.#state.resetSlot(slot, KIND_STREAM);
    this.#slots[slot] = { stdin: new StdinMirror(this.#state, slot, source, this.#waker), closing: false, shutWrPending: false };
    return slot;
  }

  /** Closes everything (the guest has exited). */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const entry of this.#slots) {
      // Leave stdin to the rest of the program, paused, so that it does not keep Node running.
      entry?.stdin?.detach();
      entry?.listener?.close();
      entry?.socket?.close();
    }
    this.#epoll.close();
  }
}
