// The exceptions Python's selectors raise, as Errors whose `name` says which one, so callers can
// tell them apart with `error.name === 'KeyError'` or `instanceof KeyError`.

/** A bad argument: an invalid file object or descriptor, invalid events, an fd select() cannot take. */
export class ValueError extends Error {
  override readonly name = 'ValueError';
}

/** A file object that is already registered (register) or is not (unregister, modify, getKey). */
export class KeyError extends Error {
  override readonly name = 'KeyError';
}

/** An operation on a closed selector ('Selector is closed'). */
export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';
}
