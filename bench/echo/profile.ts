// Reads a V8 .cpuprofile (node --cpu-prof) and sums self time per function and per area.
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  /** Where it lives: file:line, or a V8 pseudo-frame. */
  where: string;
  area: string;
  us: number;
  share: number;
}

export interface ProfileSummary {
  totalUs: number;
  /** Time outside `(idle)` samples. */
  busyUs: number;
  functions: SelfTime[];
  areas: SelfTime[];
}

/** Self time per function (shares of the busy time), largest first, and per area. */
export function summarize(path: string, root: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) byId.set(node.id, node);
  const self = new Map<string, { name: string; where: string; area: string; us: number }>();
  const areas = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  // timeDeltas[i] is the time since the previous sample: it belongs to sample i's frame.
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!);
    const dt = Math.max(0, profile.timeDeltas[i] ?? 0);
    if (!node) continue;
    totalUs += dt;
    const frame = node.callFrame;
    if (frame.functionName === '(idle)') {
      idleUs += dt;
      continue;
    }
    const where = describe(frame, root);
    const name = frame.functionName || '(anonymous)';
    const key = `${name} ${where}`;
    const entry = self.get(key) ?? { name, where, area: areaOf(frame), us: 0 };
    entry.us += dt;
    self.set(key, entry);
    areas.set(entry.area, (areas.get(entry.area) ?? 0) + dt);
  }
  const busyUs = totalUs - idleUs;
  const functions = [...self.values()]
    .sort((a, b) => b.us - a.us)
    .map((entry) => ({ ...entry, share: entry.us / busyUs }));
  const areaRows = [...areas.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([area, us]) => ({ name: area, where: '', area, us, share: us / busyUs }));
  return { totalUs, busyUs, functions, areas: areaRows };
}

function describe(frame: CallFrame, root: string): string {
  if (!frame.url) return frame.functionName.startsWith('(') ? 'V8' : 'native';
  let url = frame.url.replace(/^file:\/\//, '');
  if (url.startsWith(root)) url = url.slice(root.length + 1);
  return `${url}:${frame.lineNumber + 1}`;
}

/** Which layer a frame belongs to. */
function areaOf(frame: CallFrame): string {
  const url = frame.url;
  const name = frame.functionName;
  if (name === '(garbage collector)') return 'garbage collector';
  if (name === '(program)') return 'native (libuv, syscalls, V8 runtime outside JS)';
  if (url.startsWith('wasm://') || url.includes('.wasm')) return 'wasm core';
  if (url.startsWith('node:')) return 'Node internals (streams, net, timers, promises)';
  if (url.includes('/dist/src/')) return 'wasmux glue (dist/src)';
  if (url.includes('/dist/bench/')) return 'the echo server itself (dist/bench/echo)';
  if (!url) return 'native functions called from JS (writeBuffer: the send(2) syscall)';
  return 'other JS';
}
