// `wasmux run guest.wasm [--listen host:port]... [--dir host[:guest]]... [--env K=V]... [-- args...]`:
// the command line of runWasi, for src/cli/main.ts to call.
import { basename } from 'node:path';
import { runWasi, type RunWasiOptions } from '../wasi/run-wasi.js';

export const RUN_USAGE = `usage: wasmux run guest.wasm [--listen host:port]... [--dir host[:guest]]... [--env K=V]... [-- args...]
  --listen  a TCP listener for the guest, preopened as fd 3, 4, ... in order (like wasmtime's --tcplisten)
  --dir     a directory, preopened after the listeners (guest path defaults to the host path)
  --env     an environment variable for the guest
  args after -- are the guest's argv[1..]; argv[0] is the file's name`;

export interface RunCommand {
  wasm: string;
  listen: Array<{ host: string; port: number }>;
  preopens: Record<string, string>;
  env: Record<string, string>;
  /** The guest's argv, argv[0] included. */
  args: string[];
}

/** A bad `run` command line (the message says what). */
export class RunUsageError extends Error {
  override readonly name = 'RunUsageError';
}

function parseListen(value: string): { host: string; port: number } {
  const colon = value.lastIndexOf(':');
  const host = colon > 0 ? value.slice(0, colon).replace(/^\[(.*)\]$/, '$1') : '';
  const port = Number(value.slice(colon + 1));
  if (host === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RunUsageError(`--listen wants host:port, got '${value}'`);
  }
  return { host, port };
}

/** Parses the arguments after `run`. */
export function parseRunArgs(argv: readonly string[]): RunCommand {
  const out: RunCommand = { wasm: '', listen: [], preopens: {}, env: {}, args: [] };
  let i = 0;
  const value = (option: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new RunUsageError(`${option} needs a value`);
    return v;
  };
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.args.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '--listen') {
      out.listen.push(parseListen(value(arg)));
    } else if (arg === '--dir') {
      const spec = value(arg);
      const colon = spec.indexOf(':');
      const host = colon < 0 ? spec : spec.slice(0, colon);
      const guest = colon < 0 ? spec : spec.slice(colon + 1);
      if (host === '' || guest === '') throw new RunUsageError(`--dir wants host[:guest], got '${spec}'`);
      out.preopens[guest] = host;
    } else if (arg === '--env') {
      const spec = value(arg);
      const eq = spec.indexOf('=');
      if (eq <= 0) throw new RunUsageError(`--env wants NAME=value, got '${spec}'`);
      out.env[spec.slice(0, eq)] = spec.slice(eq + 1);
    } else if (arg.startsWith('-')) {
      throw new RunUsageError(`unknown option '${arg}'`);
    } else if (out.wasm === '') {
      out.wasm = arg;
    } else {
      throw new RunUsageError(`unexpected argument '${arg}' (guest arguments go after --)`);
    }
  }
  if (out.wasm === '') throw new RunUsageError('run needs a .wasm file');
  out.args.unshift(basename(out.wasm));
  return out;
}

/** The guest's stdin and stdout for runCommand (default the process's own), and a signal that ends the run. */
export type RunCommandIo = Pick<RunWasiOptions, 'stdin' | 'stdout' | 'signal'>;

/**
 * Runs `wasmux run ...`: the guest's exit code, as a process exit status (its low 8 bits, as a
 * POSIX shell sees it). The guest's stderr and our own messages go to `stderr`. Usage errors print
 * RUN_USAGE and give 2; a trap or a guest that cannot run prints the reason and gives 134 (as
 * wasmtime's abort does); a cancelled run gives 130.
 */
export async function runCommand(argv: readonly string[], stderr: NodeJS.WritableStream = process.stderr, io: RunCommandIo = {}): Promise<number> {
  let command: RunCommand;
  try {
    command = parseRunArgs(argv);
  } catch (error) {
    if (!(error instanceof RunUsageError)) throw error;
    stderr.write(`wasmux run: ${error.message}\n${RUN_USAGE}\n`);
    return 2;
  }
  try {
    const { exitCode } = await runWasi(command.wasm, {
      args: command.args,
      env: command.env,
      preopens: command.preopens,
      listen: command.listen,
      ...io,
      stderr,
      // Say where the listeners are (a port 0 was chosen by the system), on stderr so that the
      // guest's stdout stays its own.
      onListening: (addresses) => {
        for (const [i, a] of addresses.entries()) stderr.write(`wasmux run: fd ${3 + i} listens on ${a.address}:${a.port}\n`);
      },
    });
    return exitCode & 0xff;
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/^wasmux: /, '') : String(error);
    stderr.write(`wasmux run: ${message}\n`);
    return (error as { name?: unknown }).name === 'AbortError' ? 130 : 134;
  }
}
