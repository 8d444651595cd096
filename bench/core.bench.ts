// The three readiness cores side by side in one run: the WebAssembly core (build/core.wasm,
// called through its raw exports on hot paths, as a real host does), TypedCore (the same data
// structures in typed-array JavaScript, test/model/typed-core.ts) and the Map-based reference model
// (test/model/model.ts). Ratios are taken within this run.
//
// Run: npm run bench   (or, after npm run build: node dist/bench/core.bench.js [--quick])
// --quick: short time budgets and no model at N = 1e5, for a smoke run; bench/RESULTS.md is not written.
import os from 'node:os';
import type { ReadinessCore } from '../src/core/readiness-core.js';
import { createWasmCore, type CoreExports, type WasmCore } from '../src/core/wasm-core.js';
import { createModelCore } from '../test/model/model.js';
import { createTypedCore } from '../test/model/typed-core.js';
import { runApiBench } from './api.bench.js';
import {
  ITERATIONS, TIME, WARMUP, batched, commandLine, gc, machineLine, num, pass, quick, row, run, sink, table, timestamp,
  writeSection, type Row,
} from './report.js';

const SIZES = [10, 1e3, 1e5, 1e6];
/** The model's ctl ADD scans the interest list (Array.find), so building N registrations is O(N²). */
const MODEL_MAX_N = quick ? 1e3 : 1e5;

const IN = 0x1;
const ET = 0x80000000;
const ADD = 1;
const DEL = 2;
const EPFD = 0;

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function sizeLabel(n: number): string {
  return n >= 1e3 ? `1e${Math.round(Math.log10(n))}` : String(n);
}

// ---------------------------------------------------------------- fixtures

/** epfd 0 plus sources 1..n, each registered once (IN, edge-triggered unless `lt`). */
function populate(core: ReadinessCore, n: number, lt = false): void {
  if (core.epollCreate(EPFD) !== 0) throw new Error(`${core.name}: epollCreate`);
  for (let fd = 1; fd <= n; fd++) {
    if (core.open(fd) !== 0 || core.ctl(EPFD, ADD, fd, lt ? IN : IN | ET) !== 0) {
      throw new Error(`${core.name}: registering fd ${fd}`);
    }
  }
}

/** A host's view of the wasm core's scratch area, sized once so that waits never move it. */
class WasmHost {
  readonly x: CoreExports;
  i32: Int32Array;
  /** scratch_ptr() in i32 units, valid while nothing grows the scratch area. */
  base: number;
  constructor(readonly core: WasmCore, scratchBytes: number) {
    this.x = core.exports;
    const ptr = this.x.scratch_reserve(scratchBytes);
    if (ptr < 0) throw new Error('scratch_reserve');
    this.base = ptr >> 2;
    this.i32 = new Int32Array(this.x.memory.buffer);
  }
}

// ---------------------------------------------------------------- a. ctl ADD + DEL

async function benchCtl(): Promise<Row[]> {
  const N = 1000;
  const fd = N + 1;
  const wasm = createWasmCore();
  const typed = createTypedCore();
  const model = createModelCore();
  for (const core of [wasm, typed, model]) {
    populate(core, N);
    core.open(fd);
  }
  const x = wasm.exports;
  const events = IN | ET;
  const tasks = await run('ctl ADD+DEL', [
    ['wasm', batched(1000, (n) => {
      let s = 0;
      for (let k = 0; k < n; k++) s += x.ep_ctl(EPFD, ADD, fd, events) + x.ep_ctl(EPFD, DEL, fd, 0);
      if (s !== 0) throw new Error('wasm ctl failed');
      return s;
    })],
    ['typed', batched(1000, (n) => {
      let s = 0;
      for (let k = 0; k < n; k++) s += typed.ctl(EPFD, ADD, fd, events) + typed.ctl(EPFD, DEL, fd, 0);
      if (s !== 0) throw new Error('typed ctl failed');
      return s;
    })],
    ['model', batched(20, (n) => {
      let s = 0;
      for (let k = 0; k < n; k++) s += model.ctl(EPFD, ADD, fd, events) + model.ctl(EPFD, DEL, fd, 0);
      if (s !== 0) throw new Error('model ctl failed');
      return s;
    })],
  ]);
  return ['wasm', 'typed', 'model'].map((impl) => row('1e3', impl, tasks.get(impl)!, 2));
}

// ---------------------------------------------------------------- b, c, e: 1 ready among N

interface SizeResults {
  epoll: Row[];
  poll: Row[];
  select: Row[];
  memory?: MemoryResult;
  modelSkip?: string;
}

interface MemoryResult {
  n: number;
  wasmBytes: number;
  wasmRecords: number;
  typedBytes: number;
  modelNote: string;
}

async function benchSize(N: number, modelHeap: { perReg?: number; n?: number }): Promise<SizeResults> {
  const key = sizeLabel(N);
  const target = Math.max(1, N >> 1);
  const wasm = createWasmCore();
  const typed = createTypedCore();
  const memBefore = wasm.exports.memory.buffer.byteLength;
  const typedBefore = typed.byteLength;
  let t0 = performance.now();
  populate(wasm, N);
  const wasmSetup = performance.now() - t0;
  t0 = performance.now();
  populate(typed, N);
  const typedSetup = performance.now() - t0;
  const memAfter = wasm.exports.memory.buffer.byteLength;
  const typedAfter = typed.byteLength;

  let model: ReadinessCore | undefined;
  let modelSkip: string | undefined;
  if (N <= MODEL_MAX_N) {
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    model = createModelCore();
    t0 = performance.now();
    populate(model, N);
    const modelSetup = performance.now() - t0;
    gc();
    const perReg = (process.memoryUsage().heapUsed - heapBefore) / N;
    if (N >= 1e3) {
      modelHeap.perReg = perReg;
      modelHeap.n = N;
    }
    log(`  N=${key}: setup wasm ${wasmSetup.toFixed(0)} ms, typed ${typedSetup.toFixed(0)} ms, model ${modelSetup.toFixed(0)} ms`);
  } else {
    modelSkip = quick && N <= 1e5
      ? `model skipped at N=${key} in --quick mode: registering N fds in the model is O(N²) (several seconds at 1e5)`
      : `model skipped at N=${key}: its ctl ADD scans the interest list (Array.find), so registering N fds is O(N²): ~N²/2 = ${(N * N / 2).toExponential(0)} steps, some 100× the ~10 s it takes at 1e5; its Map of objects would also take ~${modelHeap.perReg ? Math.round(modelHeap.perReg * N / 1e6) : 400} MB of heap (table e)`;
    log(`  N=${key}: setup wasm ${wasmSetup.toFixed(0)} ms, typed ${typedSetup.toFixed(0)} ms; ${modelSkip}`);
  }

  // b. wakeup + wait: set(target, IN, IN) then wait(epfd, 64) and read the one event.
  const host = new WasmHost(wasm, 64 * 8);
  const x = host.x;
  const epollTasks: Array<[string, () => unknown]> = [
    ['wasm', batched(1000, (n) => {
      let s = 0;
      for (let k = 0; k < n; k++) {
        x.fd_set(target, IN, IN);
        if (x.ep_wait(EPFD, 64) !== 1) throw new Error('wasm: expected one event');
        let i32 = host.i32;
        if (i32.length === 0) i32 = host.i32 = new Int32Array(x.memory.buffer);
        s += i32[host.base]! + i32[host.base + 1]!;
      }
      return s;
    })],
    ['typed', batched(1000, (n) => {
      let s = 0;
      for (let k = 0; k < n; k++) {
        typed.set(target, IN, IN);
        if (typed.wait(EPFD, 64) !== 1) throw new Error('typed: expected one event');
        const out = typed.out;
        s += out[0]! + out[1]!;
      }
      return s;
    })],
  ];
  if (model !== undefined) {
    const m = model;
    epollTasks.push(['model', batched(200, (n) => {
      let s = 0;
      for (let k = 0; k < n; k++) {
        m.set(target, IN, IN);
        if (m.wait(EPFD, 64) !== 1) throw new Error('model: expected one event');
        s += m.eventFd(0) + m.eventMask(0);
      }
      return s;
    })]);
  }
  log(`  b. wakeup+wait N=${key}`);
  const epoll = await run(`wakeup+wait N=${key}`, epollTasks);
  const epollRows = [...epoll.keys()].map((impl) => row(key, impl, epoll.get(impl)!, 1));

  // c. poll and select over all N sources, one of which (target) is ready.
  const inner = Math.max(1, Math.floor(1e4 / N));
  const scanIterations = N >= 1e6 ? 10 : ITERATIONS;
  const fds = new Int32Array(N);
  const pollEvents = new Int32Array(N).fill(IN);
  const revents = new Int32Array(N);
  const ready = new Uint8Array(N);
  for (let k = 0; k < N; k++) fds[k] = k + 1;
  // The wasm host keeps its pollfd array in scratch: written once, scanned in place.
  const pollPtr = x.scratch_reserve(N * 8);
  if (pollPtr < 0) throw new Error('scratch_reserve');
  let i32 = new Int32Array(x.memory.buffer);
  for (let k = 0; k < N; k++) {
    i32[(pollPtr >> 2) + 2 * k] = k + 1;
    i32[(pollPtr >> 2) + 2 * k + 1] = IN; // events = POLLIN (low half), revents = 0
  }
  log(`  c. poll N=${key}`);
  const poll = await run(`poll N=${key}`, [
    ['wasm', batched(inner, (n) => {
      let s = 0;
      for (let k = 0; k < n; k++) {
        const got = x.scan_poll(N);
        if (got !== 1) throw new Error('wasm poll: expected 1');
        s += got;
      }
      return s;
    })],
    ['typed', batched(inner, (n) => {
      let s = 0;
      for (let k = 0; k < n; k++) {
        const got = typed.scanPoll(fds, pollEvents, revents, N);
        if (got !== 1) throw new Error('typed poll: expected 1');
        s += got;
      }
      return s;
    })],
    ['wasm-wrapper', batched(inner, (n) => {
      let s = 0;
      for (let k = 0; k < n; k++) {
        const got = wasm.scanPoll(fds, pollEvents, revents, N);
        if (got !== 1) throw new Error('WasmCore.scanPoll: expected 1');
        s += got;
      }
      return s;
    })],
  ], scanIterations);
  const pollRows = [
    row(key, 'wasm', poll.get('wasm')!, N, 'exports.scan_poll on a persistent pollfd array in scratch'),
    row(key, 'typed', poll.get('typed')!, N),
    row(key, 'wasm-wrapper', poll.get('wasm-wrapper')!, N, 'WasmCore.scanPoll: packs and unpacks every call'),
  ];

  log(`  c. select N=${key}`);
  const selectPtr = x.scratch_reserve(N * 4);
  if (selectPtr < 0) throw new Error('scratch_reserve');
  i32 = new Int32Array(x.memory.buffer);
  const select = await run(`select N=${key}`, [
    ['wasm', batched(inner, (n) => {
      let s = 0;
      for (let k = 0; k < n; k++) {
        // select's sets are overwritten with the result: a host copies its fd set in every call.
        if (i32.length === 0) i32 = new Int32Array(x.memory.buffer);
        i32.set(fds, selectPtr >> 2);
        const got = x.scan_select(N, 0, 0);
        if (got !== 1) throw new Error('wasm select: expected 1');
        s += got;
      }
      return s;
    })],
    ['typed', batched(inner, (n) => {
      let s = 0;
      for (let k = 0; k < n; k++) {
        const got = typed.scanSelect(fds, N, 0, 0, ready);
        if (got !== 1) throw new Error('typed select: expected 1');
        s += got;
      }
      return s;
    })],
  ], scanIterations);
  const selectRows = [
    row(key, 'wasm', select.get('wasm')!, N, 'copies the N fds in, then exports.scan_select'),
    row(key, 'typed', select.get('typed')!, N),
  ];

  let memory: MemoryResult | undefined;
  if (N === 1e6) {
    memory = {
      n: N,
      wasmBytes: memAfter - memBefore,
      wasmRecords: wasm.exports.records_in_use(),
      typedBytes: typedAfter - typedBefore,
      modelNote: '',
    };
  }
  return { epoll: epollRows, poll: pollRows, select: selectRows, memory, modelSkip };
}

// ---------------------------------------------------------------- d. 1000 LT-ready fds

async function benchLevelTriggered(): Promise<Row[]> {
  const N = 1000;
  const wasm = createWasmCore();
  const typed = createTypedCore();
  const model = createModelCore();
  for (const core of [wasm, typed, model]) {
    if (core.epollCreate(EPFD) !== 0) throw new Error('epollCreate');
    for (let fd = 1; fd <= N; fd++) {
      core.open(fd);
      core.set(fd, IN, 0);
      core.ctl(EPFD, ADD, fd, IN);
    }
  }
  const host = new WasmHost(wasm, 1024 * 8);
  const x = host.x;
  const tasks = await run('wait of 1000 LT-ready fds', [
    ['wasm', batched(20, (n) => {
      let s = 0;
      for (let k = 0; k < n; k++) {
        const got = x.ep_wait(EPFD, 1024);
        if (got !== N) throw new Error('wasm: short wait');
        let i32 = host.i32;
        if (i32.length === 0) i32 = host.i32 = new Int32Array(x.memory.buffer);
        const base = host.base;
        for (let e = 0; e < got; e++) s += i32[base + 2 * e]! + i32[base + 2 * e + 1]!;
      }
      return s;
    })],
    ['typed', batched(20, (n) => {
      let s = 0;
      for (let k = 0; k < n; k++) {
        const got = typed.wait(EPFD, 1024);
        if (got !== N) throw new Error('typed: short wait');
        const out = typed.out;
        for (let e = 0; e < got; e++) s += out[2 * e]! + out[2 * e + 1]!;
      }
      return s;
    })],
    ['model', batched(2, (n) => {
      let s = 0;
      for (let k = 0; k < n; k++) {
        const got = model.wait(EPFD, 1024);
        if (got !== N) throw new Error('model: short wait');
        for (let e = 0; e < got; e++) s += model.eventFd(e) + model.eventMask(e);
      }
      return s;
    })],
  ]);
  return ['wasm', 'typed', 'model'].map((impl) => row('1000', impl, tasks.get(impl)!, N));
}

// ---------------------------------------------------------------- f. where the time goes

async function benchBreakdown(): Promise<Row[]> {
  const wasm = createWasmCore();
  const typed = createTypedCore();
  for (const core of [wasm, typed]) {
    populate(core, 1000);
    core.open(2000); // a source nobody watches
  }
  const x = wasm.exports;
  // [op, impl, loop]: each loop is written out so that V8 inlines its one call (see batched).
  const cases: Array<[string, string, (n: number) => number]> = [
    ['exports.scratch_ptr()', 'wasm', (n) => {
      let s = 0;
      for (let k = 0; k < n; k++) s += x.scratch_ptr();
      return s;
    }],
    ['fd_set, no watcher', 'wasm', (n) => {
      let s = 0;
      for (let k = 0; k < n; k++) s += x.fd_set(2000, IN, IN);
      return s;
    }],
    ['fd_set, no watcher', 'typed', (n) => {
      let s = 0;
      for (let k = 0; k < n; k++) s += typed.set(2000, IN, IN);
      return s;
    }],
    ['fd_set, 1 ET watcher: queue (stays queued)', 'wasm', (n) => {
      let s = 0;
      for (let k = 0; k < n; k++) s += x.fd_set(500, IN, IN);
      return s;
    }],
    ['fd_set, 1 ET watcher: queue (stays queued)', 'typed', (n) => {
      let s = 0;
      for (let k = 0; k < n; k++) s += typed.set(500, IN, IN);
      return s;
    }],
    ['ep_wait, empty ready list', 'wasm', (n) => {
      let s = 0;
      x.ep_wait(EPFD, 64);
      for (let k = 0; k < n; k++) s += x.ep_wait(EPFD, 64);
      return s;
    }],
    ['ep_wait, empty ready list', 'typed', (n) => {
      let s = 0;
      typed.wait(EPFD, 64);
      for (let k = 0; k < n; k++) s += typed.wait(EPFD, 64);
      return s;
    }],
  ];
  const tasks = await run('breakdown', cases.map(([op, impl, loop]) => [`${impl} ${op}`, batched(1000, loop)]));
  return cases.map(([op, impl]) => row(op, impl, tasks.get(`${impl} ${op}`)!, 1));
}

// ---------------------------------------------------------------- report

async function main(): Promise<void> {
  const started = performance.now();
  const startedAt = timestamp();
  const load = os.loadavg()[0]!;
  log(`core bench${quick ? ' (quick)' : ''}: ${machineLine().slice(2)}`);

  log('a. ctl ADD+DEL');
  const ctlRows = await benchCtl();
  gc();

  const epollRows: Row[] = [];
  const pollRows: Row[] = [];
  const selectRows: Row[] = [];
  const skips: string[] = [];
  const modelHeap: { perReg?: number; n?: number } = {};
  let memory: MemoryResult | undefined;
  for (const N of SIZES) {
    log(`N = ${sizeLabel(N)}`);
    const r = await benchSize(N, modelHeap);
    epollRows.push(...r.epoll);
    pollRows.push(...r.poll);
    selectRows.push(...r.select);
    if (r.memory) memory = r.memory;
    if (r.modelSkip) skips.push(r.modelSkip);
    gc();
  }

  log('d. wait of 1000 LT-ready fds');
  const ltRows = await benchLevelTriggered();
  gc();
  log('f. breakdown');
  const breakdownRows = await benchBreakdown();
  gc();
  log('g. Epoll API: poll() vs the zero-allocation paths; socketpair round trips');
  const apiSections = await runApiBench();

  // ---- tables
  const sections: string[] = [];
  const vsWasm = { baseline: 'wasm' };
  sections.push(table('a. epoll_ctl ADD + DEL of one fd (1000 other fds registered)', ctlRows, { ...vsWasm, key: 'N', per: 'ns/ctl call', notes: [
    'One op = one ADD and one DEL (2 calls).',
  ] }));

  const at = (impl: string, n: number): Row | undefined => epollRows.find((r) => r.impl === impl && r.key === sizeLabel(n));
  const flatness = ['wasm', 'typed', 'model'].map((impl) => {
    const lo = at(impl, 10);
    const hi = at(impl, 1e6) ?? at(impl, MODEL_MAX_N);
    if (!lo || !hi) return `${impl}: –`;
    return `${impl}: t(${hi.key})/t(10) = ${(hi.p50Ns / lo.p50Ns).toFixed(2)} (p50), ${(hi.meanNs / lo.meanNs).toFixed(2)} (mean)`;
  });
  sections.push(table('b. wakeup + wait, 1 ready among N (ET; set(fd, IN, IN), wait(epfd, 64), read the event)', epollRows, { ...vsWasm, key: 'N', per: 'ns/event', notes: [
    `Flatness: ${flatness.join('; ')}.`,
    'The woken fd is the same every iteration (its records stay in cache); the wasm host reserved its scratch once (64 events) and reads events through a cached Int32Array view.',
    ...skips.map((s) => `Note: ${s}.`),
  ] }));

  sections.push(table('c1. poll: scan of N pollfd entries, 1 ready', pollRows, { ...vsWasm, key: 'N', per: 'ns/entry', notes: [
    'wasm: the pollfd records are written into scratch once and `exports.scan_poll(n)` is called in the loop, as a host with a persistent pollfd array does. wasm-wrapper: `WasmCore.scanPoll`, which packs fds/events into scratch and unpacks revents on every call.',
  ] }));
  sections.push(table('c2. select: scan of N fds in the read set, 1 ready', selectRows, { ...vsWasm, key: 'N', per: 'ns/entry', notes: [
    'wasm: the fd set is copied into scratch on every call (scan_select overwrites it with the result, as select(2) does), then `exports.scan_select(N, 0, 0)`.',
  ] }));
  sections.push(table('d. wait of 1000 LT-ready fds (maxevents 1024; every event read)', ltRows, { ...vsWasm, key: 'ready fds', per: 'ns/event' }));
  sections.push(table('f. where the time goes (1000 fds registered)', breakdownRows, { ...vsWasm, key: 'op', per: 'ns/op', notes: [
    '`exports.scratch_ptr()` is an empty call: the JS→wasm boundary cost alone.',
  ] }));
  sections.push(apiSections.replace(/^### /gm, '### g. '));

  // e. memory
  let memoryOk = false;
  let wasmPerReg = NaN;
  if (memory) {
    wasmPerReg = memory.wasmBytes / memory.n;
    memoryOk = wasmPerReg <= 48;
    const typedPerReg = memory.typedBytes / memory.n;
    const modelLine = modelHeap.perReg !== undefined
      ? `| model (JS heap, at N=${sizeLabel(modelHeap.n!)}; heapUsed delta after gc) | ${num(modelHeap.perReg, 1)} |`
      : '| model | – (not measured) |';
    sections.push([
      `### e. memory per registration (${sizeLabel(memory.n)} sources, each registered once in one epoll)`,
      '',
      '| impl | bytes per registration |',
      '|---|---:|',
      `| wasm (linear memory: (byteLength after − before) / 1e6) | ${num(wasmPerReg, 2)} |`,
      `| typed (typed-array bytes after − before) / 1e6 | ${num(typedPerReg, 2)} |`,
      modelLine,
      '',
      `The wasm core holds ${memory.wasmRecords.toLocaleString('en-US')} slab records (32 bytes each) and a descriptor table of 12 bytes per fd, both grown by doubling: 44 bytes per registration at full tables, up to 2× that just after a doubling (1e6 sits just below 2^20).`,
      '',
    ].join('\n'));
  }

  // ---- targets
  const wasm1e6 = at('wasm', 1e6);
  const wasm10 = at('wasm', 10);
  const perEvent = wasm1e6 ? wasm1e6.p50Ns : NaN;
  const perEventMean = wasm1e6 ? wasm1e6.meanNs : NaN;
  const flat = wasm1e6 && wasm10 ? wasm1e6.p50Ns / wasm10.p50Ns : NaN;
  const flatMean = wasm1e6 && wasm10 ? wasm1e6.meanNs / wasm10.meanNs : NaN;
  const linear = (rows: Row[], impl: string): { ok: boolean; text: string } => {
    const a = rows.find((r) => r.impl === impl && r.key === '1e3');
    const b = rows.find((r) => r.impl === impl && r.key === '1e6');
    if (!a || !b) return { ok: false, text: '–' };
    const growth = b.p50Ns / a.p50Ns;
    return { ok: growth >= 250 && growth <= 4000, text: `t(1e6)/t(1e3) = ${growth.toFixed(0)} (×1000 in N)` };
  };
  const targetRows: string[] = [
    `| epoll wakeup+wait at N=1e6 (wasm) ≤ 25 ns/event | ${num(perEvent)} ns (mean ${num(perEventMean)}) | ${pass(perEvent <= 25)} |`,
    `| epoll t(1e6)/t(10) (wasm) ≤ 1.3 | ${flat.toFixed(2)} (mean ${flatMean.toFixed(2)}) | ${pass(flat <= 1.3)} |`,
  ];
  for (const [name, rows] of [['poll', pollRows], ['select', selectRows]] as const) {
    for (const impl of ['wasm', 'typed']) {
      const l = linear(rows, impl);
      targetRows.push(`| ${name} grows linearly (${impl}) | ${l.text} | ${pass(l.ok)} |`);
    }
  }
  const same: Array<[string, Row[]]> = [
    ['a. ctl ADD+DEL', ctlRows],
    ...SIZES.map((n) => [`b. wakeup+wait N=${sizeLabel(n)}`, epollRows.filter((r) => r.key === sizeLabel(n))] as [string, Row[]]),
    ...SIZES.map((n) => [`c1. poll N=${sizeLabel(n)}`, pollRows.filter((r) => r.key === sizeLabel(n))] as [string, Row[]]),
    ...SIZES.map((n) => [`c2. select N=${sizeLabel(n)}`, selectRows.filter((r) => r.key === sizeLabel(n))] as [string, Row[]]),
    ['d. wait 1000 LT', ltRows],
  ];
  for (const [name, rows] of same) {
    const w = rows.find((r) => r.impl === 'wasm');
    const t = rows.find((r) => r.impl === 'typed');
    const m = rows.find((r) => r.impl === 'model');
    if (w && t) {
      const ratio = t.p50Ns / w.p50Ns;
      targetRows.push(`| wasm ≥ 1.3× typed: ${name} | ${ratio.toFixed(2)}× (mean ${(t.meanNs / w.meanNs).toFixed(2)}×) | ${pass(ratio >= 1.3)} |`);
    }
    if (w && m) {
      const ratio = m.p50Ns / w.p50Ns;
      targetRows.push(`| wasm ≥ 5× model: ${name} | ${ratio.toFixed(2)}× (mean ${(m.meanNs / w.meanNs).toFixed(2)}×) | ${pass(ratio >= 5)} |`);
    }
  }
  targetRows.push(`| linear memory ≤ 48 bytes/registration at 1e6 | ${num(wasmPerReg, 2)} | ${pass(memoryOk)} |`);
  sections.push(['### Targets', '', '| target | measured | result |', '|---|---:|---|', ...targetRows, ''].join('\n'));

  const elapsed = (performance.now() - started) / 1000;
  const header = [
    `## ${startedAt}${quick ? ' (quick)' : ''}`,
    '',
    machineLine(),
    `- command: \`${commandLine('bench')}\` (tinybench ${TIME} ms per task, ${WARMUP} ms warmup; samples are means of batches; wall time ${elapsed.toFixed(0)} s)`,
    '- "p50 time vs wasm" = median time of the row / median time of the wasm row of the same N: above 1 means wasm is faster.',
    `- Each sample is the mean of a batch of calls; ratios, per-event figures and pass/fail use the median (p50) of the samples, because on this shared machine (load average ${load.toFixed(2)} at the start, ${os.availableParallelism()} cores) a batch that loses the CPU inflates the mean; means are shown for reference.`,
    '',
  ].join('\n');
  const report = `${header}\n${sections.join('\n')}`;
  console.log(report);
  console.log(`<!-- checksum ${sink} -->`);

  if (quick) {
    log('quick run: bench/RESULTS.md not written');
    return;
  }
  writeSection('core', `## Core: ${report.replace(/^## /, '')}`);
}

await main();
