// The Dockerfile, read statically (no container engine here): base image, user, entry point,
// what it copies, and that the script each Deployment and Job runs exists in the build output.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { OVERLAYS, ROOT, all, container, describe_, render } from './manifests';

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
const instructions = dockerfile
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'))
  .map((line) => {
    const [op = '', ...rest] = line.split(/\s+/);
    return { op: op.toUpperCase(), args: rest.join(' ') };
  });
const stages = instructions.filter((i) => i.op === 'FROM');
const runtime = instructions.slice(instructions.lastIndexOf(stages[stages.length - 1]!));
const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const workspaces: string[] = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).workspaces;

/** .dockerignore semantics, enough for its patterns here: `**\/x`, `*.ext`, a path prefix. */
function isIgnored(path: string): boolean {
  return ignored.some((pattern) => {
    const source = pattern
      .replace(/[.+^${}()|[\]]/g, '\\$&')
      .replace(/\*\*\//g, '(.*/)?')
      .replace(/\*/g, '[^/]*');
    return new RegExp(`^${source}(/.*)?$`).test(path);
  });
}

/** The runtime copy (`tar --exclude=...` in the build stage) keeps everything but these. */
const runtimeExcludes = [...dockerfile.matchAll(/--exclude='?([^'\s]+)'?/g)].map((m) => m[1]!);
const droppedAtRuntime = (file: string): boolean =>
  runtimeExcludes.some((ex) => file.split('/').includes(ex) || (ex.startsWith('*') && file.endsWith(ex.slice(1))));

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (['node_modules', 'dist', 'results'].includes(name)) return [];
    return statSync(path).isDirectory() ? filesUnder(path) : [relative(ROOT, path)];
  });
}

describe('Dockerfile', () => {
  it('builds on Node 24 LTS slim in every stage', () => {
    expect(stages.map((s) => s.args.split(/\s+/)[0])).toEqual(stages.map(() => 'node:24-slim'));
  });

  it('runs as the unprivileged node user with node as the entry point and no default secrets', () => {
    const users = runtime.filter((i) => i.op === 'USER').map((i) => i.args);
    expect(users[users.length - 1]).toBe('node');
    expect(runtime.filter((i) => i.op === 'ENTRYPOINT').map((i) => i.args)).toEqual(['["node"]']);
    expect(runtime.some((i) => i.op === 'ENV' && i.args === 'NODE_ENV=production')).toBe(true);
    const secretish = instructions.filter((i) => ['ENV', 'ARG'].includes(i.op) && /SECRET|PASSWORD|TOKEN|_KEY/i.test(i.args));
    expect(secretish).toEqual([]);
  });

  it('installs with the lock file and ships production dependencies only', () => {
    const runs = instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(runs.some((r) => r.includes('npm ci'))).toBe(true);
    expect(runs.some((r) => /npm (prune|ci) .*--omit=dev/.test(r))).toBe(true);
  });

  it("copies every workspace's package.json before npm ci (or the install does not match the lock)", () => {
    const copied = instructions.filter((i) => i.op === 'COPY').map((i) => i.args);
    const missing = workspaces.filter((ws) => !copied.some((c) => c.startsWith(`${ws}/package.json `)));
    expect(missing).toEqual([]);
  });

  it('copies only paths that exist in the repository and are not in .dockerignore', () => {
    const problems: string[] = [];
    for (const copy of instructions.filter((i) => i.op === 'COPY' && !i.args.includes('--from'))) {
      const sources = copy.args
        .split(/\s+/)
        .filter((a) => !a.startsWith('--'))
        .slice(0, -1);
      for (const source of sources) {
        if (!existsSync(join(ROOT, source))) problems.push(`COPY ${source}: does not exist`);
        else if (isIgnored(source)) problems.push(`COPY ${source}: excluded by .dockerignore`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('keeps the files the parts read at run time (Lua, templates, schema) in the build context and the image', () => {
    const parts = [
      'packages/kit',
      'packages/db',
      'packages/stock',
      'proto',
      'services/auth',
      'services/event',
      'services/issuer',
      'bff',
    ];
    const assets = parts
      .flatMap((p) => filesUnder(join(ROOT, p)))
      .filter((f) => !/\.(ts|json|md)$/.test(f) && !f.includes('__fixtures__') && !f.includes('/src/gen/'));
    expect(assets.length).toBeGreaterThan(0);
    const lost = assets.filter((f) => isIgnored(f) || droppedAtRuntime(f));
    expect(lost).toEqual([]);
  });
});

describe.each(OVERLAYS)('overlay %s: the command of every workload', (overlay) => {
  it('runs a script the build produced, from the image, with node as the entry point', () => {
    const problems: string[] = [];
    for (const workload of [...all(render(overlay), 'Deployment'), ...all(render(overlay), 'Job')]) {
      const c = container(workload);
      const script: string | undefined = c.args?.[0];
      if (c.command !== undefined)
        problems.push(`${describe_(workload)}: sets command; the image's ENTRYPOINT is node, set args`);
      if (!c.image?.startsWith(overlay === 'prod' ? 'registry.example.com/fcfs:' : 'fcfs:'))
        problems.push(`${describe_(workload)}: image ${c.image}`);
      if (!script || !existsSync(join(ROOT, script))) {
        problems.push(`${describe_(workload)}: args[0] ${script} does not exist (run \`npm run build\` first; npm test does)`);
      } else if (!/^((packages|services)\/[^/]+|bff)\/dist\/[^*]+\.js$/.test(script) || droppedAtRuntime(script)) {
        problems.push(`${describe_(workload)}: ${script} is not compiled JavaScript of a part the image carries`);
      }
    }
    expect(problems).toEqual([]);
  });
});
