/**
 * The key of the disposal method that `using` calls. Node 20.4 and later define Symbol.dispose
 * (as Symbol.for('nodejs.dispose') until V8 has its own); on earlier Node 20 releases it is
 * missing, and the registered symbol is the one Node and the usual polyfills install. The global
 * is never modified here.
 */
export const disposeSymbol: typeof Symbol.dispose =
  (Symbol as { dispose?: typeof Symbol.dispose }).dispose ?? (Symbol.for('nodejs.dispose') as typeof Symbol.dispose);
