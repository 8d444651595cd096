// AssemblyScript guest: a TCP echo server on the listener the host preopens as fd 3.
//
//   echo <connections> [idle-ms]
//
// One poll_oneoff per turn waits on the listener, on every open connection (fd_read each) and
// on a relative clock. It exits 0 once <connections> connections have closed, so a test ends
// without killing it; 3 when nothing happened for idle-ms (default 10000), so a test that never
// connects ends too; 1 on bad arguments; 2 when a call fails unexpectedly (see preview1.ts).

import {
  errno, fd_close, fdflags, sdflags, sock_recv, sock_send, sock_shutdown,
} from "bindings/wasi_snapshot_preview1";
import {
  EVENTTYPE_CLOCK, EVENTTYPE_FD_READ, EVENTTYPE_FD_WRITE, EVENT_SIZE, SUBSCRIPTION_SIZE,
  eventError, eventType, eventUserdata, fail, poll, setIov, sizeOut, sock_accept,
  subscribeFd, subscribeTimeout, writeString,
} from "./preview1";

const LISTENER: u32 = 3;
const MAX_CONNECTIONS = 64;
// Subscription slots: 0 is the clock, 1 the listener, 2 + i connection slot i. The slot is the
// userdata, so an event leads straight back to its connection.
const CLOCK_SLOT = 0;
const LISTENER_SLOT = 1;
const FIRST_CONNECTION_SLOT = 2;

const subs = memory.data(<i32>SUBSCRIPTION_SIZE * (FIRST_CONNECTION_SLOT + MAX_CONNECTIONS), 8);
const events = memory.data(<i32>EVENT_SIZE * (FIRST_CONNECTION_SLOT + MAX_CONNECTIONS), 8);
const BUFFER_SIZE = 65536;
const buffer = memory.data(BUFFER_SIZE);
// waitWritable's own single subscription and event, so that it never overwrites the events the
// main loop is still walking through.
const waitSub = memory.data(<i32>SUBSCRIPTION_SIZE, 8);
const waitEvent = memory.data(<i32>EVENT_SIZE, 8);
const newFd = memory.data(4);
const roFlags = memory.data(2);

// Connection slot i holds an fd, or -1 when free.
const connections = new StaticArray<i32>(MAX_CONNECTIONS);
for (let i = 0; i < MAX_CONNECTIONS; i++) connections[i] = -1;
let open = 0;
let closed = 0;

const argv = process.argv;
const wanted = argv.length > 1 ? I32.parseInt(argv[1]) : 0;
const idleMs = argv.length > 2 ? I32.parseInt(argv[2]) : 10000;
if (wanted <= 0 || idleMs <= 0) {
  writeString(2, "usage: echo <connections> [idle-ms]\n");
  process.exit(1);
}

for (;;) {
  // Rebuild the subscriptions every turn: connections come and go, and the array is small.
  let n = 0;
  subscribeTimeout(subs, n++, CLOCK_SLOT, <u64>idleMs * 1_000_000);
  // With every slot taken we stop asking about the listener: it would stay readable and turn
  // this loop into a busy one. Waiting clients stay queued in the host's backlog.
  if (open < MAX_CONNECTIONS) subscribeFd(subs, n++, LISTENER_SLOT, EVENTTYPE_FD_READ, LISTENER);
  for (let i = 0; i < MAX_CONNECTIONS; i++) {
    const fd = connections[i];
    if (fd >= 0) subscribeFd(subs, n++, FIRST_CONNECTION_SLOT + i, EVENTTYPE_FD_READ, <u32>fd);
  }

  const ready = poll(subs, events, n);
  let active = false;
  for (let e = 0; e < ready; e++) {
    if (eventType(events, e) == EVENTTYPE_CLOCK) continue;
    active = true;
    const slot = <i32>eventUserdata(events, e);
    if (slot == LISTENER_SLOT) {
      const err = eventError(events, e);
      if (err != errno.SUCCESS) fail("poll_oneoff on the listener", err);
      acceptOne();
    } else {
      // An error in the event (the connection was reset, say) still ends in a read that says
      // so, so both cases go through serve().
      serve(slot - FIRST_CONNECTION_SLOT);
    }
  }
  // The clock only wins when nothing else was ready for a whole idle period.
  if (!active) {
    writeString(2, "echo: idle for " + idleMs.toString() + " ms, " + closed.toString() +
      " of " + wanted.toString() + " connections closed\n");
    process.exit(3);
  }
}

function acceptOne(): void {
  // NONBLOCK on the new socket: we only read after poll_oneoff said "readable", but a send to a
  // client that does not read must not stall every other connection (see sendAll).
  const err = sock_accept(LISTENER, fdflags.NONBLOCK, newFd);
  if (err == errno.AGAIN) return; // another accept took it first: nothing pending after all
  if (err != errno.SUCCESS) fail("sock_accept", err);
  for (let i = 0; i < MAX_CONNECTIONS; i++) {
    if (connections[i] < 0) {
      connections[i] = <i32>load<u32>(newFd);
      open++;
      return;
    }
  }
  fail("sock_accept (no free slot)", errno.NFILE);
}

/** Reads once from connection slot i and echoes what came, or closes it at EOF or error. */
function serve(i: i32): void {
  const fd = <u32>connections[i];
  const err = sock_recv(fd, setIov(buffer, BUFFER_SIZE), 1, 0, sizeOut, roFlags);
  if (err == errno.AGAIN) return; // readiness is a hint; nothing to read after all
  const n = <usize>load<u32>(sizeOut);
  if (err != errno.SUCCESS || n == 0) {
    closeConnection(i);
    return;
  }
  if (sendAll(fd, buffer, n) != errno.SUCCESS) closeConnection(i);
}

/**
 * sock_send until all of [ptr, ptr + len) is gone. When the socket's send buffer is full
 * (AGAIN), wait for fd_write on this one socket: simple, at the price of not serving the others
 * meanwhile, which is fine for a client that reads its echoes.
 */
function sendAll(fd: u32, ptr: usize, len: usize): u16 {
  while (len > 0) {
    const err = sock_send(fd, setIov(ptr, len), 1, 0, sizeOut);
    if (err == errno.AGAIN) {
      waitWritable(fd);
      continue;
    }
    if (err != errno.SUCCESS) return err;
    const n = <usize>load<u32>(sizeOut);
    ptr += n;
    len -= n;
  }
  return errno.SUCCESS;
}

function waitWritable(fd: u32): void {
  subscribeFd(waitSub, 0, 0, EVENTTYPE_FD_WRITE, fd);
  poll(waitSub, waitEvent, 1);
  // An error here (EPIPE, reset) shows up again in the next sock_send, which returns it.
}

function closeConnection(i: i32): void {
  const fd = <u32>connections[i];
  // The client half-closed (or went away): everything it sent has been echoed, so send our FIN
  // now. Its errno is not interesting: a peer that is already gone makes it fail harmlessly.
  sock_shutdown(fd, sdflags.WR);
  const err = fd_close(fd);
  if (err != errno.SUCCESS) fail("fd_close", err);
  connections[i] = -1;
  open--;
  closed++;
  if (closed >= wanted) process.exit(0);
}
