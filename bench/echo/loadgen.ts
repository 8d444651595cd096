// The echo benchmark's load generator: N loopback connections doing ping-pong. Each connection
// sends one message of a fixed size, waits for the whole echo, checks every byte, and sends the
// next one, for a warm-up and then a measured window. Prints one JSON line on stdout.
//
//   node dist/bench/echo/loadgen.js --port P [--host 127.0.0.1] [--connections 100] [--size 64]
//        [--duration 5] [--warmup 1] [--server-pid PID]
//
// It is meant to cost as little CPU per message as node:net allows, so that the server (on the
// other core) is the bottleneck: reads land in one reused buffer (`onread`), the bytes are checked
// with one memcmp (`Buffer.compare`) per chunk, each message is one write of a preallocated
// buffer, and latencies go into a fixed histogram (1 µs buckets) instead of an array.
//
// Every message carries a per-connection sequence number in its first 4 bytes, and every
// connection its own random payload, so a lost, duplicated, reordered or crossed byte fails the
// check; any mismatch, extra byte, socket error or early close ends the run with exit code 1.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    connections: { type: 'string', default: '100' },
    size: { type: 'string', default: '64' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    'server-pid': { type: 'string' },
  },
});

const conns: { socket: net.Socket }[] = [];
const host = values.host!;
const port = positiveInt(values.port, 'port');
const connections = positiveInt(values.connections, 'connections');
const size = positiveInt(values.size, 'size');
const durationMs = positiveNumber(values.duration, 'duration') * 1000;
const warmupMs = Math.max(0, Number(values.warmup)) * 1000;
const serverPid = values['server-pid'] === undefined ? undefined : positiveInt(values['server-pid'], 'server-pid');
if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') fail(`loopback only, got host ${host}`);

/** Latency histogram: bucket i counts round trips of [i, i+1) µs; longer ones go to the last. */
const BUCKETS = 1_000_000;
const histogram = new Uint32Array(BUCKETS + 1);
let maxLatencyUs = 0;
let sumLatencyUs = 0;

let phase: 'connect' | 'warmup' | 'measure' | 'drain' = 'connect';
let measured = 0;
/** Every completed round trip, warm-up and drain included (bench/wasi divides the server's wakes by it). */
let echoes = 0;
let measureStart = 0;
let measureEnd = 0;
let cpuStart: NodeJS.CpuUsage | undefined;
let cpuDelta: NodeJS.CpuUsage | undefined;
let serverTicksStart = { user: 0, system: 0 };
let serverTicksDelta = { user: 0, system: 0 };
let finished = false;

/** One buffer for every read: onread callbacks run one at a time and the bytes are checked at once. */
const readBuffer = Buffer.allocUnsafe(Math.max(65536, size));

class Connection {
  readonly message: Buffer;
  readonly socket: net.Socket;
  /** Bytes of the current echo received so far. */
  got = 0;
  sentAt = 0;
  seq = 0;
  /** True while a message is out (sent, echo not complete). */
  busy = false;
  connected = false;

  constructor(readonly id: number, onConnect: () => void) {
    this.message = Buffer.allocUnsafe(size);
    let x = (id + 1) * 0x9e3779b1;
    for (let i = 0; i < size; i++) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5; // xorshift32: each connection its own bytes
      this.message[i] = x & 0xff;
    }
    this.socket = net.connect({
      host,
      port,
      noDelay: true,
      onread: { buffer: readBuffer, callback: (n: number, buf: Uint8Array) => this.onRead(n, buf as Buffer) },
    });
    this.socket.on('connect', () => {
      this.connected = true;
      onConnect();
    });
    this.socket.on('error', (error) => fail(`connection ${id}: ${error.message}`));
    this.socket.on('end', () => { if (!finished) fail(`connection ${id}: the server closed the connection`); });
  }

  send(now: number): void {
    if (size >= 4) this.message.writeUInt32LE(this.seq++ >>> 0, 0);
    this.got = 0;
    this.sentAt = now;
    this.busy = true;
    this.socket.write(this.message);
  }

  /** Checks a chunk of the echo against the message; returns true (keep reading). */
  onRead(n: number, buf: Buffer): boolean {
    const got = this.got;
    if (!this.busy || got + n > size) fail(`connection ${this.id}: ${got + n - size} bytes more than were sent`);
    if (buf.compare(this.message, got, got + n, 0, n) !== 0) fail(`connection ${this.id}: echoed bytes differ from the message`);
    this.got = got + n;
    if (this.got === size) this.onEcho();
    return true;
  }

  onEcho(): void {
    const now = performance.now();
    this.busy = false;
    echoes++;
    if (phase === 'measure') {
      const us = (now - this.sentAt) * 1000;
      histogram[us < BUCKETS ? Math.floor(us) : BUCKETS]!++;
      if (us > maxLatencyUs) maxLatencyUs = us;
      sumLatencyUs += us;
      measured++;
    }
    if (phase === 'drain') {
      if (--inFlight === 0) report();
      return;
    }
    this.send(now);
  }
}

let inFlight = 0;
let connectedCount = 0;
const connectTimer = setTimeout(() => fail(`only ${connectedCount} of ${connections} connections were established in 10 s`), 10_000);
const clients: Connection[] = [];
for (let i = 0; i < connections; i++) {
  const conn = new Connection(i, onConnected);
  clients.push(conn);
  conns.push(conn);
}

// A hard stop whatever happens: the run never outlives its budget.
const hardStop = setTimeout(() => fail('the run did not finish in time (server stalled?)'), warmupMs + durationMs + 20_000);
hardStop.unref();

function onConnected(): void {
  if (++connectedCount < connections) return;
  clearTimeout(connectTimer);
  phase = warmupMs > 0 ? 'warmup' : 'measure';
  if (phase === 'measure') startMeasure();
  else setTimeout(startMeasure, warmupMs);
  const now = performance.now();
  for (const conn of clients) conn.send(now);
}

function startMeasure(): void {
  phase = 'measure';
  serverTicksStart = serverTicks();
  cpuStart = process.cpuUsage();
  measureStart = performance.now();
  setTimeout(stopMeasure, durationMs);
}

function stopMeasure(): void {
  measureEnd = performance.now();
  cpuDelta = process.cpuUsage(cpuStart);
  const ticks = serverTicks();
  serverTicksDelta = { user: ticks.user - serverTicksStart.user, system: ticks.system - serverTicksStart.system };
  phase = 'drain';
  inFlight = clients.reduce((n, conn) => n + (conn.busy ? 1 : 0), 0);
  if (inFlight === 0) report();
  else setTimeout(() => fail(`${inFlight} echoes still missing 5 s after the end`), 5000).unref();
}

function report(): void {
  finished = true;
  const windowS = (measureEnd - measureStart) / 1000;
  const cpu = cpuDelta!;
  const result = {
    connections,
    size,
    durationS: windowS,
    warmupS: warmupMs / 1000,
    messages: measured,
    echoes,
    messagesPerS: measured / windowS,
    mibPerS: (measured * size) / windowS / 1048576,
    latencyUs: {
      mean: measured > 0 ? sumLatencyUs / measured : 0,
      p50: percentile(0.5),
      p90: percentile(0.9),
      p99: percentile(0.99),
      p999: percentile(0.999),
      max: maxLatencyUs,
    },
    loadgenCpu: (cpu.user + cpu.system) / 1e6 / windowS,
    loadgenUserCpu: cpu.user / 1e6 / windowS,
    serverCpu: serverPid === undefined ? null : (serverTicksDelta.user + serverTicksDelta.system) / clockTicks() / windowS,
    serverUserCpu: serverPid === undefined ? null : serverTicksDelta.user / clockTicks() / windowS,
    errors: 0,
  };
  for (const conn of conns) conn.socket.destroy();
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}

/** The smallest latency (µs, bucket midpoint) with at least q of the samples at or below it. */
function percentile(q: number): number {
  if (measured === 0) return 0;
  const rank = Math.ceil(q * measured);
  let seen = 0;
  for (let i = 0; i <= BUCKETS; i++) {
    seen += histogram[i]!;
    if (seen >= rank) return i === BUCKETS ? maxLatencyUs : i + 0.5;
  }
  return maxLatencyUs;
}

/** utime and stime of the server process, in clock ticks (0 if unknown). */
function serverTicks(): { user: number; system: number } {
  if (serverPid === undefined) return { user: 0, system: 0 };
  try {
    const stat = readFileSync(`/proc/${serverPid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(fields[11]), system: Number(fields[12]) };
  } catch {
    return { user: 0, system: 0 };
  }
}

function clockTicks(): number {
  return Number(process.env.CLK_TCK) || 100;
}

function fail(message: string): never {
  finished = true;
  process.stdout.write(`${JSON.stringify({ error: message })}\n`);
  process.stderr.write(`loadgen: ${message}\n`);
  for (const conn of conns) conn.socket.destroy();
  process.exit(1);
}

function positiveInt(value: string | undefined, name: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) fail(`--${name} must be a positive integer, got ${String(value)}`);
  return n;
}

function positiveNumber(value: string | undefined, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) fail(`--${name} must be a positive number, got ${String(value)}`);
  return n;
}
