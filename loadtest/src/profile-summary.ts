// Summarises V8 CPU profiles (.cpuprofile, from `node --cpu-prof`): the top functions by self
// time, and self time by package, per profile; and sampling heap profiles (.heapprofile, from the
// benchmark's `--heap-prof`): bytes allocated in the window, by function and by package, and per
// request with `--per <requests>` (e.g. the run's participants).
//   node loadtest/dist/profile-summary.js <file.cpuprofile | file.heapprofile | directory>... [--top 15] [--per 10000]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  percent: number;
}

/** Where a script lives, shortened: a package name for node_modules, a repo path otherwise. */
export function shortLocation(url: string): string {
  if (!url) return '(native)';
  const clean = url.replace(/^file:\/\//, '');
  const nm = clean.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = clean.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? clean);
  }
  if (clean.startsWith('node:')) return clean;
  const parts = clean.split('/');
  const anchor = parts.findIndex((p) => p === 'services' || p === 'bff' || p === 'packages' || p === 'proto');
  return anchor >= 0 ? parts.slice(anchor).join('/') : clean;
}

function packageOf(url: string): string {
  const where = shortLocation(url);
  if (where.startsWith('node:') || where.startsWith('(')) return where.startsWith('node:') ? 'node (core)' : where;
  const parts = where.split('/');
  if (parts[0] === 'services' || parts[0] === 'packages') return parts.slice(0, 2).join('/');
  if (parts[0] === 'bff' || parts[0] === 'proto') return parts[0];
  return where;
}

/** Self time per function and per package, largest first, excluding the idle time. */
export function selfTimes(profile: CpuProfile): { total: number; idle: number; functions: SelfTime[]; packages: SelfTime[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const perNode = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; the time a sample stands for is the next delta.
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    perNode.set(id, (perNode.get(id) ?? 0) + dt);
  }
  const functions = new Map<string, SelfTime>();
  const packages = new Map<string, SelfTime>();
  let total = 0;
  let idle = 0;
  for (const [id, ms] of perNode) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idle += ms;
      continue;
    }
    total += ms;
    const name = functionName || '(anonymous)';
    const where = url ? `${shortLocation(url)}:${lineNumber + 1}` : '';
    const key = `${name} ${where}`;
    const fn = functions.get(key) ?? { name, where, ms: 0, percent: 0 };
    fn.ms += ms;
    functions.set(key, fn);
    const pkg = url ? packageOf(url) : name.startsWith('(') ? name : '(native)';
    const p = packages.get(pkg) ?? { name: pkg, where: '', ms: 0, percent: 0 };
    p.ms += ms;
    packages.set(pkg, p);
  }
  const sorted = (m: Map<string, SelfTime>) =>
    [...m.values()].map((s) => ({ ...s, percent: total ? (s.ms / total) * 100 : 0 })).sort((a, b) => b.ms - a.ms);
  return { total, idle, functions: sorted(functions), packages: sorted(packages) };
}

export function formatSummary(label: string, profile: CpuProfile, top = 15): string {
  const { total, idle, functions, packages } = selfTimes(profile);
  const wall = (profile.endTime - profile.startTime) / 1000;
  const row = (s: SelfTime) =>
    `  ${s.ms.toFixed(0).padStart(8)} ms ${s.percent.toFixed(1).padStart(5)} %  ${s.name}${s.where ? `  ${s.where}` : ''}`;
  return [
    `${label}: ${(wall / 1000).toFixed(1)} s profiled, ${(total / 1000).toFixed(1)} s busy, ${(idle / 1000).toFixed(1)} s idle`,
    `top ${top} functions by self time:`,
    ...functions.slice(0, top).map(row),
    'self time by package:',
    ...packages.slice(0, 10).map(row),
    '',
  ].join('\n');
}

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children?: HeapNode[];
}

export interface HeapProfile {
  head: HeapNode;
}

/** Bytes allocated (V8's sampled estimate) per function and per package, largest first. */
export function heapSizes(profile: HeapProfile): { total: number; functions: SelfTime[]; packages: SelfTime[] } {
  const functions = new Map<string, SelfTime>();
  const packages = new Map<string, SelfTime>();
  let total = 0;
  const visit = (node: HeapNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    if (node.selfSize > 0) {
      total += node.selfSize;
      const name = functionName || '(anonymous)';
      const where = url ? `${shortLocation(url)}:${lineNumber + 1}` : '';
      const fn = functions.get(`${name} ${where}`) ?? { name, where, ms: 0, percent: 0 };
      fn.ms += node.selfSize;
      functions.set(`${name} ${where}`, fn);
      const pkg = url ? packageOf(url) : name.startsWith('(') ? name : '(native)';
      const p = packages.get(pkg) ?? { name: pkg, where: '', ms: 0, percent: 0 };
      p.ms += node.selfSize;
      packages.set(pkg, p);
    }
    for (const child of node.children ?? []) visit(child);
  };
  visit(profile.head);
  const sorted = (m: Map<string, SelfTime>) =>
    [...m.values()].map((s) => ({ ...s, percent: total ? (s.ms / total) * 100 : 0 })).sort((a, b) => b.ms - a.ms);
  return { total, functions: sorted(functions), packages: sorted(packages) };
}

export function formatHeapSummary(label: string, profile: HeapProfile, top = 15, per?: number): string {
  const { total, functions, packages } = heapSizes(profile);
  const row = (s: SelfTime) =>
    `  ${(s.ms / 1024).toFixed(0).padStart(8)} KB ${s.percent.toFixed(1).padStart(5)} %  ${s.name}${s.where ? `  ${s.where}` : ''}`;
  const perLine = per ? `, ${(total / per / 1024).toFixed(1)} KB per request (${per})` : '';
  return [
    `${label}: ${(total / 1024 / 1024).toFixed(1)} MB allocated${perLine}`,
    `top ${top} functions by bytes allocated:`,
    ...functions.slice(0, top).map(row),
    'bytes allocated by package:',
    ...packages.slice(0, 10).map(row),
    '',
  ].join('\n');
}

/** Which part a profile is from, by the entry script it ran (e.g. services/event/dist/main.js). */
export function processName(profile: CpuProfile): string {
  for (const node of profile.nodes) {
    const match = /((?:services\/[\w-]+)|bff|scripts|loadtest)\/(?:dist\/)?[\w-]+\.js$/.exec(node.callFrame.url);
    if (match && /main\.js$|platform\.js$/.test(node.callFrame.url)) return match[1]!;
  }
  return 'unknown process';
}

function profileFiles(target: string): string[] {
  if (!statSync(target).isDirectory()) return [target];
  return readdirSync(target)
    .filter((f) => f.endsWith('.cpuprofile') || f.endsWith('.heapprofile'))
    .map((f) => path.join(target, f))
    .sort();
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '15' }, per: { type: 'string' } },
  });
  if (positionals.length === 0) {
    process.stderr.write(
      'usage: node loadtest/dist/profile-summary.js <file.cpuprofile | .heapprofile | directory>... [--top 15] [--per n]\n',
    );
    process.exit(2);
  }
  for (const file of positionals.flatMap(profileFiles)) {
    if (file.endsWith('.heapprofile')) {
      const part = /^([\w-]+)-\d+\.heapprofile$/.exec(path.basename(file))?.[1] ?? 'unknown process';
      const heap = JSON.parse(readFileSync(file, 'utf8')) as HeapProfile;
      const per = values.per === undefined ? undefined : Number(values.per);
      process.stdout.write(`${formatHeapSummary(`${part} (${path.basename(file)})`, heap, Number(values.top), per)}\n`);
      continue;
    }
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    // `--cpu-prof` names profiles <part>-<pid>.cpuprofile; others are named by their entry script.
    const part = /^([\w-]+)-\d+\.cpuprofile$/.exec(path.basename(file))?.[1] ?? processName(profile);
    process.stdout.write(`${formatSummary(`${part} (${path.basename(file)})`, profile, Number(values.top))}\n`);
  }
}

if (require.main === module) main();
