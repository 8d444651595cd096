// Whether an example file is the program being run, or a module imported by another one.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/**
 * True when the module at `moduleUrl` (its import.meta.url) is the script the runtime was
 * started with. Compares file URLs built the same way on both sides, after resolving symlinks,
 * so a path with spaces or non-ASCII characters, or one reached through a link, still matches;
 * false when there is no script (`node -e`, a REPL) or it cannot be resolved.
 */
export function isMainModule(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined || script === '') return false;
  try {
    return pathToFileURL(realpathSync(script)).href === moduleUrl;
  } catch {
    return false;
  }
}
