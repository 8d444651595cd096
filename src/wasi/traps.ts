/**
 * A guest's trap in one shape on every runtime. V8 (Node, Deno) and JavaScriptCore (Bun) word the
 * same trap differently ("unreachable" / "Unreachable code should not be executed"), so the kind
 * is named as the WebAssembly spec's test suite names it (assert_trap), and the engine's own
 * words are kept as the error's `cause`.
 */

/** Engine message patterns (V8, then JavaScriptCore) -> the spec's name for the trap. */
const KINDS: Array<[RegExp, string]> = [
  [/unreachable/i, 'unreachable'],
  [/memory access out of bounds|out of bounds memory access/i, 'out of bounds memory access'],
  [/divide by zero|remainder by zero|division by zero/i, 'integer divide by zero'],
  [/divide result unrepresentable|integer overflow/i, 'integer overflow'],
  [/float unrepresentable|out of bounds trunc/i, 'invalid conversion to integer'],
  [/table index is out of bounds|out of bounds call_indirect|out of bounds table access|null table entry/i, 'undefined element'],
  [/signature mismatch|signature that does not match/i, 'indirect call type mismatch'],
  [/call stack|stack overflow/i, 'call stack exhausted'],
];

/** The trap kind of an engine's message; the message itself when it is none we know. */
export function trapKind(message: string): string {
  for (const [pattern, kind] of KINDS) if (pattern.test(message)) return kind;
  return message;
}

/** WebAssembly.RuntimeError (src/core/webassembly.d.ts declares only what the core uses). */
const RuntimeError = (WebAssembly as unknown as { RuntimeError: abstract new () => Error }).RuntimeError;

/** Whether an exception out of the guest's `_start` is a trap (not a host bug). */
export function isTrap(error: unknown): error is Error {
  if (error instanceof RuntimeError) return true;
  // Stack exhaustion inside WebAssembly is a RangeError on V8 and on JavaScriptCore.
  return error instanceof RangeError && /call stack|stack overflow/i.test(error.message);
}

/**
 * What `runWasi` rejects with when the guest traps: `trap` is the kind ('unreachable', 'out of
 * bounds memory access', ...), `cause` the engine's own message.
 */
export class WasiTrapError extends Error {
  override readonly name = 'WasiTrapError';
  readonly trap: string;

  constructor(trap: string, engineMessage: string) {
    super(`wasmux: the guest trapped: ${trap}`, { cause: engineMessage });
    this.trap = trap;
  }
}
