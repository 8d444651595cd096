import type { Writable } from 'node:stream';

/**
 * Turns: a turn is the synchronous code and promise callbacks that run before process.nextTick
 * callbacks do (for example one pass of an `await ep.wait()` loop). Counting them lets a socket
 * see that it is sending for the second time in a turn, and only then pay for corking.
 */
let turn = 0;
let turnEnding = false;
/** Streams corked in this turn; each is uncorked once, when the turn ends. */
const corked: Writable[] = [];

/** The number of the current turn. */
export function currentTurn(): number {
  if (!turnEnding) {
    turnEnding = true;
    process.nextTick(endTurn);
  }
  return turn;
}

/**
 * Corks `stream` until the end of the current turn, so that the rest of the sends a program makes
 * while handling one batch of events leave in one writev instead of one write each. A stream
 * already corked is left as it is.
 */
export function corkForThisTurn(stream: Writable): void {
  if (stream.writableCorked > 0) return;
  stream.cork();
  corked.push(stream);
  currentTurn();
}

function endTurn(): void {
  turnEnding = false;
  turn++;
  // Index loop: a stream corked while we uncork (from a write callback) is handled here too.
  for (let i = 0; i < corked.length; i++) corked[i]!.uncork();
  corked.length = 0;
}
