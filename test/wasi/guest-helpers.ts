// The WASI tests' guests: small AssemblyScript guests written inline in the host tests, compiled
// in-process with asc's API (no wat2wasm here), each declaring the preview1 calls it uses; and
// the guests scripts/build-guests.mjs builds before the tests (builtGuestPath).
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { runWasi, type RunWasiOptions } from '../../src/index.js';

/** asc's API, loaded untyped: its declarations bring AssemblyScript's globals (a `console` without `error`) into the type check. */
interface Asc {
  main(args: string[], options: { stderr: { write(text: string | Uint8Array): boolean } }): Promise<{ error: Error | null }>;
}
const ASC_MODULE = 'assemblyscript/asc';
const loadAsc = async (): Promise<Asc> => ((await import(ASC_MODULE)) as { default: Asc }).default;

/** The preview1 imports every test guest may use, and a few helpers over static memory. */
export const PRELUDE = `
@external("wasi_snapshot_preview1", "fd_write") declare function fd_write(fd: u32, iovs: usize, n: u32, out: usize): u32;
@external("wasi_snapshot_preview1", "fd_read") declare function fd_read(fd: u32, iovs: usize, n: u32, out: usize): u32;
@external("wasi_snapshot_preview1", "fd_close") declare function fd_close(fd: u32): u32;
@external("wasi_snapshot_preview1", "fd_seek") declare function fd_seek(fd: u32, offset: i64, whence: u32, out: usize): u32;
@external("wasi_snapshot_preview1", "fd_fdstat_get") declare function fd_fdstat_get(fd: u32, buf: usize): u32;
@external("wasi_snapshot_preview1", "fd_fdstat_set_flags") declare function fd_fdstat_set_flags(fd: u32, flags: u32): u32;
@external("wasi_snapshot_preview1", "fd_prestat_get") declare function fd_prestat_get(fd: u32, buf: usize): u32;
@external("wasi_snapshot_preview1", "fd_renumber") declare function fd_renumber(from: u32, to: u32): u32;
@external("wasi_snapshot_preview1", "args_sizes_get") declare function args_sizes_get(argc: usize, size: usize): u32;
@external("wasi_snapshot_preview1", "args_get") declare function args_get(argv: usize, buf: usize): u32;
@external("wasi_snapshot_preview1", "environ_sizes_get") declare function environ_sizes_get(n: usize, size: usize): u32;
@external("wasi_snapshot_preview1", "environ_get") declare function environ_get(env: usize, buf: usize): u32;
@external("wasi_snapshot_preview1", "clock_time_get") declare function clock_time_get(id: u32, precision: u64, out: usize): u32;
@external("wasi_snapshot_preview1", "poll_oneoff") declare function poll_oneoff(subs: usize, events: usize, n: u32, nevents: usize): u32;
@external("wasi_snapshot_preview1", "proc_exit") declare function proc_exit(code: u32): void;
@external("wasi_snapshot_preview1", "sock_accept") declare function sock_accept(fd: u32, flags: u32, fdOut: usize): u32;
@external("wasi_snapshot_preview1", "sock_recv") declare function sock_recv(fd: u32, iovs: usize, n: u32, flags: u32, len: usize, roFlags: usize): u32;
@external("wasi_snapshot_preview1", "sock_send") declare function sock_send(fd: u32, iovs: usize, n: u32, flags: u32, len: usize): u32;
@external("wasi_snapshot_preview1", "sock_shutdown") declare function sock_shutdown(fd: u32, how: u32): u32;

const SCRATCH = memory.data(256);
const BUF = memory.data(65536);
const IOV = memory.data(16);
const OUT = memory.data(8);
const OUT2 = memory.data(8);
const SUBS = memory.data(48 * 40);
const EVENTS = memory.data(32 * 40);
const REPORT = memory.data(1024);
let reportLen: u32 = 0;

/** One iovec over [ptr, ptr + len) at IOV. */
function iov(ptr: usize, len: u32): usize {
  store<u32>(IOV, <u32>ptr);
  store<u32>(IOV + 4, len);
  return IOV;
}

/** Appends a number to the report written to stdout by flush(). */
function rec(value: u32): void {
  store<u8>(REPORT + reportLen, <u8>value);
  reportLen++;
}

function flush(): void {
  fd_write(1, iov(REPORT, reportLen), 1, OUT);
  reportLen = 0;
}

/** A failed step: reports its errno, then exits with the step's code. */
function check(errno: u32, code: u32): void {
  if (errno != 0) {
    rec(errno);
    flush();
    proc_exit(code);
  }
}

/** Subscription i at SUBS for poll_oneoff: its userdata, type (0 clock, 1 fd_read, 2 fd_write) and fd. */
function sub(i: u32, userdata: u64, type: u8, fd: u32): void {
  const at = SUBS + 48 * i;
  memory.fill(at, 0, 48);
  store<u64>(at, userdata);
  store<u8>(at + 8, type);
  store<u32>(at + 16, fd);
}
`;

export interface Compiled {
  dir: string;
  path(name: string): string;
  cleanup(): Promise<void>;
}

/** Compiles `sources` (name -> AssemblyScript body, after PRELUDE) into a temp dir. */
export async function compileGuests(sources: Record<string, string>): Promise<Compiled> {
  const dir = await mkdtemp(join(tmpdir(), 'wasmux-as-'));
  // Our own (empty) config: asc would otherwise read the project's asconfig.json (the core's).
  await writeFile(join(dir, 'asconfig.json'), '{}');
  for (const [name, body] of Object.entries(sources)) {
    const file = join(dir, `${name}.ts`);
    await writeFile(file, PRELUDE + body);
    let errors = '';
    const asc = await loadAsc();
    const { error } = await asc.main(
      [file, '--config', join(dir, 'asconfig.json'), '--outFile', join(dir, `${name}.wasm`), '--runtime', 'stub', '--use', 'abort=', '-O1', '--noAssert'],
      { stderr: { write: (text) => { errors += String(text); return true; } } },
    );
    if (error) throw new Error(`asc ${name}: ${error.message}\n${errors}`);
  }
  return {
    dir,
    path: (name) => join(dir, `${name}.wasm`),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A test file's guests, compiled before its tests, and its scratch folder. */
export interface FileGuests {
  /** The compiled guest `name` (a .wasm file). */
  path(name: string): string;
  /** The scratch folder (only with a workPrefix). */
  readonly work: string;
  /**
   * Runs guest `name` with stdout and stderr into one new file in `work`; returns the exit code
   * and what was written.
   */
  runCaptured(name: string, options?: RunWasiOptions): Promise<{ exitCode: number; out: string }>;
}

/**
 * Compiles `sources` before the file's tests and, with `workPrefix`, makes a scratch folder
 * (`<tmpdir>/<workPrefix>XXXXXX`); both are removed after the file's tests.
 */
export function guestsForFile(sources: Record<string, string>, workPrefix?: string): FileGuests {
  let compiled: Compiled | undefined;
  let work: string | undefined;
  beforeAll(async () => {
    compiled = await compileGuests(sources);
    if (workPrefix !== undefined) work = await mkdtemp(join(tmpdir(), workPrefix));
  });
  afterAll(async () => {
    await compiled?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });
  const guests: FileGuests = {
    path(name) {
      if (compiled === undefined) throw new Error('the guests are not compiled (their beforeAll failed or has not run)');
      return compiled.path(name);
    },
    get work() {
      if (work === undefined) throw new Error('no scratch folder: guestsForFile was given no workPrefix, or its beforeAll failed');
      return work;
    },
    async runCaptured(name, options = {}) {
      const outPath = join(guests.work, `${name}-${Math.random().toString(36).slice(2)}.out`);
      const fd = openSync(outPath, 'w');
      try {
        const { exitCode } = await runWasi(guests.path(name), { ...options, stdout: fd, stderr: fd });
        return { exitCode, out: await readText(outPath) };
      } finally {
        closeSync(fd);
      }
    },
  };
  return guests;
}

export async function readText(path: string): Promise<string> {
  return (await readFile(path)).toString('utf8');
}

/**
 * A guest scripts/build-guests.mjs built into build/guests/ (from test/wasi/guests/*.ts and
 * test/wasi/c/echo.c; npm's pretest runs it): echo, upper, echo-c.
 */
export function builtGuestPath(name: string): string {
  return fileURLToPath(new URL(`../../build/guests/${name}.wasm`, import.meta.url));
}
