#!/usr/bin/env node
// Builds the WASI test guests into build/guests/:
//   echo.wasm, upper.wasm  from test/wasi/guests/*.ts (AssemblyScript + @assemblyscript/wasi-shim)
//   echo-c.wasm            from test/wasi/c/echo.c, when clang-14 and wasi-libc are installed
//                          (.ci/run installs them); else echo-c.missing, and the C tests skip
// Everything is rebuilt every time: the three take well under two seconds together.
import asc from 'assemblyscript/asc';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Relative paths from the package root on purpose: asc 0.28 lists a config's "lib" folder with
// path.join(baseDir, lib), which breaks when the config path, and so lib, is absolute (the
// shim's globals, wasi_abort and the rest, are then "not found").
process.chdir(join(dirname(fileURLToPath(import.meta.url)), '..'));
const out = join('build', 'guests');
mkdirSync(out, { recursive: true });

const shimConfig = join('node_modules', '@assemblyscript', 'wasi-shim', 'asconfig.json');
for (const name of ['echo', 'upper']) {
  const { error, stderr } = await asc.main([
    join('test', 'wasi', 'guests', `${name}.ts`),
    '--config', shimConfig,       // WASI imports for abort/console/process instead of Web APIs
    '--runtime', 'stub',          // the guests allocate a little at start and never free
    '--optimizeLevel', '3',
    '--outFile', join(out, `${name}.wasm`),
  ]);
  if (error) {
    console.error(stderr.toString());
    console.error(`build-guests: ${name}.ts: ${error.message}`);
    process.exit(1);
  }
}

// The C guest needs clang-14 with wasm-ld (lld-14), Debian bookworm's wasi-libc, which installs
// /usr/include/wasm32-wasi and /usr/lib/wasm32-wasi (where clang's WASI toolchain looks under
// --sysroot=/usr), and compiler-rt's wasm32 builtins (libclang-rt-14-dev-wasm32). Without all
// of them echo-c.missing says what is missing, and the C tests skip with that reason; a
// compile error with all of them present fails the build.
const missing = join(out, 'echo-c.missing');
const cWasm = join(out, 'echo-c.wasm');
rmSync(missing, { force: true });
rmSync(cWasm, { force: true });
const reason = missingCToolchain();
if (reason) {
  writeFileSync(missing, `${reason}\n`);
  console.log(`build-guests: not building the C guest: ${reason}`);
} else {
  const c = spawnSync('clang-14', [
    '--target=wasm32-wasi', '-O2', '--sysroot=/usr', '-Wall', '-Wextra',
    '-o', cWasm, join('test', 'wasi', 'c', 'echo.c'),
  ], { stdio: 'inherit' });
  if (c.status !== 0) {
    console.error('build-guests: test/wasi/c/echo.c did not compile');
    process.exit(1);
  }
}

function missingCToolchain() {
  const clang = (...flags) =>
    spawnSync('clang-14', ['--target=wasm32-wasi', '--sysroot=/usr', ...flags], { encoding: 'utf8' });
  const version = clang('--version');
  if (version.status !== 0) return 'clang-14 is not installed';
  // Debian's clang-14 is /usr/lib/llvm-14/bin/clang and finds wasm-ld next to itself there.
  if (!existsSync('/usr/lib/llvm-14/bin/wasm-ld')) return 'wasm-ld is not installed (lld-14)';
  // -print-file-name echoes the bare name back when the file is not in the sysroot.
  const libc = clang('-print-file-name=libc.a').stdout.trim();
  if (!isAbsolute(libc) || !existsSync(libc)) return 'wasi-libc is not installed';
  const builtins = clang('-print-libgcc-file-name').stdout.trim();
  if (!existsSync(builtins)) return 'libclang-rt-14-dev-wasm32 is not installed';
  return undefined;
}
