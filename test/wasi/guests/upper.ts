// AssemblyScript guest: a client of stdin. Reads lines from fd 0, waiting for each chunk with
// poll_oneoff (fd_read on fd 0) before fd_read, and writes each line upper-cased (ASCII) to
// fd 1 as soon as its newline arrives. At EOF it writes what is left of a last line without a
// newline and exits 0; 2 when a call fails (see preview1.ts).

import { errno, fd_read } from "bindings/wasi_snapshot_preview1";
import {
  EVENTTYPE_FD_READ, EVENT_SIZE, SUBSCRIPTION_SIZE, eventError, fail, poll, setIov, sizeOut,
  subscribeFd, writeAll,
} from "./preview1";

const STDIN: u32 = 0;
const STDOUT: u32 = 1;
const sub = memory.data(<i32>SUBSCRIPTION_SIZE, 8);
const event = memory.data(<i32>EVENT_SIZE, 8);
const CHUNK = 4096;
const chunk = memory.data(CHUNK);
// A line longer than this goes out in pieces: memory stays bounded whatever stdin holds.
const LINE_MAX = 4096;
const line = memory.data(LINE_MAX);
let lineLength: usize = 0;

subscribeFd(sub, 0, 0, EVENTTYPE_FD_READ, STDIN);
for (;;) {
  // Wait first, then read: this is the poll_oneoff a host must serve on stdin without blocking
  // its own event loop. The event reports EOF as readable (a read returning 0), like poll(2).
  poll(sub, event, 1);
  const pollErr = eventError(event, 0);
  if (pollErr != errno.SUCCESS) fail("poll_oneoff on stdin", pollErr);

  const err = fd_read(STDIN, setIov(chunk, CHUNK), 1, sizeOut);
  if (err == errno.AGAIN) continue; // readiness is a hint
  if (err != errno.SUCCESS) fail("fd_read", err);
  const n = <usize>load<u32>(sizeOut);
  if (n == 0) break;

  for (let i: usize = 0; i < n; i++) {
    let c = load<u8>(chunk + i);
    if (c >= 0x61 && c <= 0x7a) c -= 0x20; // a-z to A-Z; other bytes (UTF-8 too) pass through
    store<u8>(line + lineLength++, c);
    if (c == 0x0a || lineLength == LINE_MAX) flushLine();
  }
}
flushLine();
process.exit(0);

function flushLine(): void {
  const err = writeAll(STDOUT, line, lineLength);
  if (err != errno.SUCCESS) fail("fd_write", err);
  lineLength = 0;
}
