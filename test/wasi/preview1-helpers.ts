// The preview1 test guests (test/wasi/c/preview1-*.c, test/wasi/rust/*.rs, built by
// scripts/build-guests.mjs) print one line per check: "ok <name>" or "FAIL <name>: <detail>",
// and "# ..." lines for information. A test file names every check it expects (the list is the
// spec), runs the guest once, and has one test per check, so a report shows which checks pass.
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWasi, type RunWasiOptions } from '../../src/index.js';
import { builtGuestPath } from './guest-helpers.js';

/** Why the guest `name` was not built (its toolchain is missing), or undefined when it was. */
export function missingGuest(name: string): string | undefined {
  const missing = builtGuestPath(name).replace(/\.wasm$/, '.missing');
  return existsSync(missing) ? readFileSync(missing, 'utf8').trim() : undefined;
}

export interface CheckRun {
  /** The exit code, or undefined when the run failed (`error`). */
  exitCode?: number;
  /** Why runWasi rejected (a trap, the time limit); the lines printed before still count. */
  error?: unknown;
  /** Everything the guest wrote to stdout and stderr. */
  out: string;
  /** The "ok"/"FAIL" lines. */
  lines: string[];
}

/** A guest's "ok"/"FAIL" lines. */
export function checkLines(out: string): string[] {
  return out.split('\n').filter((line) => line.startsWith('ok ') || line.startsWith('FAIL '));
}

/** The line of check `name` (names may hold ": ", so a FAIL line is matched by its prefix). */
function lineFor(lines: readonly string[], name: string): string | undefined {
  return lines.find((line) => line === `ok ${name}` || line.startsWith(`FAIL ${name}: `));
}

/**
 * Runs a built guest under runWasi with stdout and stderr into one file in `work`, for at most
 * 30 seconds (a host that hangs in one call still reports the checks printed before it).
 */
export async function runChecks(work: string, name: string, options: RunWasiOptions = {}): Promise<CheckRun> {
  const outPath = join(work, `${name}-${Math.random().toString(36).slice(2)}.out`);
  const fd = openSync(outPath, 'w');
  let exitCode: number | undefined;
  let error: unknown;
  try {
    ({ exitCode } = await runWasi(builtGuestPath(name), {
      args: [name], signal: AbortSignal.timeout(30_000), ...options, stdout: fd, stderr: fd,
    }));
  } catch (thrown) {
    error = thrown;
  } finally {
    closeSync(fd);
  }
  const out = readFileSync(outPath, 'utf8');
  return { exitCode, error, out, lines: checkLines(out) };
}

/**
 * One test per expected check (`ok <name>`), and one that the guest printed nothing else and
 * exited with `exitCode` (default 0). `run` is called once, before the tests, after the file's
 * own beforeAll hooks; `skip` (why) skips them all, the reason in their titles.
 */
export function expectChecks(
  names: readonly string[],
  run: () => Promise<CheckRun>,
  options: { skip?: string; exitCode?: number } = {},
): void {
  const exitCode = options.exitCode ?? 0;
  let result: CheckRun | undefined;
  let failure: unknown;
  beforeAll(async () => {
    if (options.skip) return;
    try {
      result = await run();
    } catch (error) {
      failure = error;
    }
  }, 120_000);
  const ran = (): CheckRun => {
    if (failure !== undefined) throw failure;
    if (result === undefined) throw new Error('the guest did not run');
    return result;
  };
  const title = (text: string): string => (options.skip ? `${text} [skipped: ${options.skip}]` : text);
  for (const name of names) {
    it.skipIf(options.skip !== undefined)(title(name), () => {
      expect(lineFor(ran().lines, name) ?? `(no line for "${name}"; output:\n${ran().out})`).toBe(`ok ${name}`);
    });
  }
  it.skipIf(options.skip !== undefined)(title(`every check passes, none is unexpected, exit ${exitCode}`), () => {
    const result = ran();
    expect(result.error, result.out).toBeUndefined();
    expect(result.lines.filter((line) => !names.some((name) => lineFor([line], name))), result.out).toEqual([]);
    expect(result.exitCode, result.out).toBe(exitCode);
  });
}

/** A scratch folder for a test file, removed after its tests. */
export function scratchFolder(prefix: string): () => string {
  let work: string | undefined;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });
  return () => {
    if (work === undefined) throw new Error('no scratch folder: its beforeAll failed or has not run');
    return work;
  };
}

/** What makeTree makes at a path: a file's content, a directory (`DIR`) or a symlink. */
export type TreeEntry = string | typeof DIR | { symlink: string };
export const DIR = Symbol('directory');

/** Makes files, directories and symlinks under `root`, in the order given, parents as needed. */
export async function makeTree(root: string, entries: Record<string, TreeEntry>): Promise<void> {
  for (const [path, entry] of Object.entries(entries)) {
    const at = join(root, path);
    await mkdir(entry === DIR ? at : dirname(at), { recursive: true });
    if (typeof entry === 'string') await writeFile(at, entry);
    else if (entry !== DIR) await symlink(entry.symlink, at);
  }
}

/**
 * A test file's usual shape: a describe block whose tests are the checks of the built guest
 * `guest`, run once with the options `prepare` returns (it may make files in the scratch folder
 * it is given first), skipped with the reason when the guest's toolchain is missing.
 */
export function describeChecks(
  title: string,
  guest: string,
  names: readonly string[],
  prepare: (work: string) => Promise<RunWasiOptions> = async () => ({}),
  exitCode = 0,
): void {
  describe(title, () => {
    const work = scratchFolder(`wasmux-${guest}-`);
    expectChecks(names, async () => runChecks(work(), guest, await prepare(work())), { skip: missingGuest(guest), exitCode });
  });
}
