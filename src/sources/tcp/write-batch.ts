import type { Writable } from 'node:stream';

/** Streams corked in this turn; each is uncorked once, when the turn ends. */
const corked: Writable[] = [];
let scheduled = false;

/**
 * Corks `stream` until the end of the current turn, so that the sends a program makes while
 * handling one batch of events leave in one writev instead of one write each. The turn ends
 * when process.nextTick callbacks run: after the synchronous code and the promise callbacks
 * (an `await ep.poll()` loop body) that made the sends. A stream already corked is left as it is.
 */
export function corkForThisTurn(stream: Writable): void {
  if (stream.writableCorked > 0) return;
  stream.cork();
  corked.push(stream);
  if (!scheduled) {
    scheduled = true;
    process.nextTick(uncorkAll);
  }
}

function uncorkAll(): void {
  // Index loop: a stream corked while we uncork (from a write callback) is handled here too.
  for (let i = 0; i < corked.length; i++) corked[i]!.uncork();
  corked.length = 0;
  scheduled = false;
}
