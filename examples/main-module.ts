// Whether an example file is the program being run, or a module imported by another one.
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * True when the module at `moduleUrl` (its import.meta.url) is the script the runtime was
 * started with. Both sides are file URLs built the same way, so a path with spaces or non-ASCII
 * characters matches (a bare `file://${argv[1]}` does not: import.meta.url is percent-encoded),
 * and so does a script reached through a symlink, whether the runtime reports the link or its
 * target. False when there is no script (`node -e`, a REPL): argv[1] is then absent, or not a
 * file on some runtimes.
 */
export function isMainModule(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined || script === '') return false;
  const given = resolve(script);
  if (pathToFileURL(given).href === moduleUrl) return true;
  try {
    return pathToFileURL(realpathSync(given)).href === moduleUrl;
  } catch {
    return false; // not a file
  }
}
