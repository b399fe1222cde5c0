import {
  formatHeapSummary,
  heapSizes,
  processName,
  selfTimes,
  shortLocation,
  type CpuProfile,
  type HeapProfile,
} from './profile-summary';

const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 } },
    { id: 2, callFrame: { functionName: 'main', url: 'file:///repo/services/event/dist/main.js', lineNumber: 0 } },
    { id: 3, callFrame: { functionName: 'parse', url: 'file:///repo/node_modules/graphql/language/parser.js', lineNumber: 9 } },
    { id: 4, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
    {
      id: 5,
      callFrame: { functionName: 'serialize', url: 'file:///repo/node_modules/@grpc/grpc-js/build/src/x.js', lineNumber: 1 },
    },
  ],
  samples: [3, 3, 5, 4, 2],
  timeDeltas: [0, 1000, 1000, 2000, 5000],
  startTime: 0,
  endTime: 9000,
};

describe('profile summary', () => {
  it('adds self time per function and package, idle apart', () => {
    const { total, idle, functions, packages } = selfTimes(profile);
    expect(idle).toBe(5);
    expect(total).toBe(4); // parse 1+1 ms, serialize 2 ms, main's last sample has no next delta
    expect(functions[0]).toMatchObject({ name: 'parse', where: 'graphql:10', ms: 2, percent: 50 });
    expect(packages.map((p) => p.name)).toEqual(['graphql', '@grpc/grpc-js', 'services/event']);
  });

  it('shortens locations and names the process', () => {
    expect(shortLocation('file:///a/node_modules/@grpc/grpc-js/build/x.js')).toBe('@grpc/grpc-js');
    expect(shortLocation('file:///work/main/bff/dist/apply.js')).toBe('bff/dist/apply.js');
    expect(shortLocation('node:internal/streams')).toBe('node:internal/streams');
    expect(processName(profile)).toBe('services/event');
  });
});

describe('heap profile summary', () => {
  const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
  const heap: HeapProfile = {
    head: {
      callFrame: frame('(root)', ''),
      selfSize: 0,
      children: [
        { callFrame: frame('parse', 'file:///r/node_modules/graphql/language/parser.js'), selfSize: 3072 },
        {
          callFrame: frame('serveGraphQL', 'file:///r/bff/dist/transport/http.js'),
          selfSize: 1024,
          children: [{ callFrame: frame('parse', 'file:///r/node_modules/graphql/language/parser.js'), selfSize: 1024 }],
        },
      ],
    },
  };

  it('adds the bytes each function and package allocated, and divides by the requests', () => {
    const { total, functions, packages } = heapSizes(heap);
    expect(total).toBe(5120);
    expect(functions[0]).toMatchObject({ name: 'parse', where: 'graphql:1', ms: 4096, percent: 80 });
    expect(packages.map((p) => p.name)).toEqual(['graphql', 'bff']);
    expect(formatHeapSummary('bff', heap, 5, 5)).toContain('1.0 KB per request (5)');
  });
});

describe('cpu profile file names', () => {
  it('names a profile by the part whose entry script ran', () => {
    const { partName } = require('./cpu-profile-preload') as typeof import('./cpu-profile-preload');
    expect(partName('/repo/services/event/dist/main.js')).toBe('event');
    expect(partName('/repo/bff/dist/main.js')).toBe('bff');
    expect(partName('/repo/packages/db/dist/cli.js')).toBe('cli');
    expect(partName(undefined)).toBe('node');
  });
});
