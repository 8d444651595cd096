#!/usr/bin/env node
// Builds the WASI test guests into build/guests/:
//   echo.wasm, upper.wasm  from test/wasi/guests/*.ts (AssemblyScript + @assemblyscript/wasi-shim)
//   echo-c.wasm            from test/wasi/c/echo.c, when clang-14 and wasi-libc are installed
//                          (.ci/run installs them); else echo-c.missing, and the C tests skip
//   preview1-*.wasm        from test/wasi/c/preview1-*.c (the same toolchain; else .missing)
//   preview1-*-rs.wasm     from test/wasi/rust/preview1-*.rs, with Debian's rustc and its wasm32-wasi
//                          std (rustc, libstd-rust-dev-wasm32); else preview1-*-rs.missing
// Everything is rebuilt every time: the C and AssemblyScript guests take a few seconds
// together, each Rust guest about as long.
import asc from 'assemblyscript/asc';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
const cDir = join('test', 'wasi', 'c');
const cGuests = [['echo-c', 'echo.c'], ...sourcesIn(cDir, '.c').map((file) => [file.slice(0, -2), file])];
const cReason = missingCToolchain();
for (const [name, file] of cGuests) {
  buildOrExplain(name, cReason, 'clang-14', [
    '--target=wasm32-wasi', '-O2', '--sysroot=/usr', '-Wall', '-Wextra',
    '-o', join(out, `${name}.wasm`), join(cDir, file),
  ]);
}

// The Rust guests: Debian's rustc 1.63 by its full path (a rustup rustc earlier on PATH has no
// wasm32-wasi std), with libstd-rust-dev-wasm32's std for wasm32-wasi.
const RUSTC = '/usr/bin/rustc';
const rustDir = join('test', 'wasi', 'rust');
const rustReason = missingRustToolchain();
for (const file of sourcesIn(rustDir, '.rs')) {
  const name = `${file.slice(0, -3)}-rs`;
  buildOrExplain(name, rustReason, RUSTC, [
    '--target', 'wasm32-wasi', '--edition', '2021', '-O', '-D', 'warnings', '-C', 'strip=debuginfo',
    '-o', join(out, `${name}.wasm`), join(rustDir, file),
  ]);
}

/** The test guests `dir` holds with this extension (echo.c is built under its own name). */
function sourcesIn(dir, extension) {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('preview1-') && f.endsWith(extension)).sort() : [];
}

/**
 * Builds guest `name` with `command args`, or, when its toolchain is missing (`reason`), writes
 * <name>.missing with the reason, so that its tests skip with it; a compile error with the
 * toolchain present fails the build.
 */
function buildOrExplain(name, reason, command, args) {
  const missing = join(out, `${name}.missing`);
  rmSync(missing, { force: true });
  rmSync(join(out, `${name}.wasm`), { force: true });
  if (reason) {
    writeFileSync(missing, `${reason}\n`);
    console.log(`build-guests: not building ${name}: ${reason}`);
    return;
  }
  const build = spawnSync(command, args, { stdio: 'inherit' });
  if (build.status !== 0) {
    console.error(`build-guests: ${name} did not compile`);
    process.exit(1);
  }
}

function missingRustToolchain() {
  const version = spawnSync(RUSTC, ['--version'], { encoding: 'utf8' });
  if (version.status !== 0) return `${RUSTC} is not installed (Debian's rustc)`;
  const sysroot = spawnSync(RUSTC, ['--print', 'sysroot'], { encoding: 'utf8' }).stdout.trim();
  if (!existsSync(join(sysroot, 'lib', 'rustlib', 'wasm32-wasi', 'lib'))) {
    return 'the wasm32-wasi std is not installed (libstd-rust-dev-wasm32)';
  }
  return undefined;
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
