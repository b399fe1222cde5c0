// Preloaded into the platform's processes by `--cpu-prof` (NODE_OPTIONS=--require ...), because
// Node does not accept --cpu-prof in NODE_OPTIONS. The benchmark sends SIGUSR2 when the herd
// starts and again when the drain ends, so the profile covers the hot path, not the start-up:
// <LOADTEST_CPU_PROF_DIR>/<part>-<pid>.cpuprofile (and .heapprofile with `--heap-prof`,
// LOADTEST_PROFILE_KINDS=cpu,heap) is written at the second signal (or at exit).
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import * as path from 'node:path';

/** `services/event/dist/main.js` -> `event`; `bff/dist/main.js` -> `bff`; otherwise the script's name. */
export function partName(script: string | undefined): string {
  if (!script) return 'node';
  const match = /(?:services\/)?([\w-]+)\/dist\/main\.js$/.exec(script.split(path.sep).join('/'));
  return match?.[1] ?? path.basename(script, '.js');
}

const dir = process.env['LOADTEST_CPU_PROF_DIR'];
const kinds = new Set((process.env['LOADTEST_PROFILE_KINDS'] ?? 'cpu').split(','));
if (dir) {
  const session = new Session();
  session.connect();
  let state: 'idle' | 'profiling' | 'written' = 'idle';
  const save = (suffix: string, data: unknown) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${partName(process.argv[1])}-${process.pid}.${suffix}`), JSON.stringify(data));
  };
  const write = () => {
    if (state !== 'profiling') return;
    state = 'written';
    // A session on this thread answers synchronously, so this also completes inside 'exit'.
    if (kinds.has('cpu')) session.post('Profiler.stop', (err, result) => !err && save('cpuprofile', result.profile));
    if (kinds.has('heap'))
      session.post('HeapProfiler.stopSampling', (err, result) => !err && save('heapprofile', result.profile));
  };
  process.on('SIGUSR2', () => {
    if (state === 'idle') {
      state = 'profiling';
      if (kinds.has('cpu')) session.post('Profiler.enable', () => session.post('Profiler.start'));
      if (kinds.has('heap')) {
        // Every allocation of the window counts, also what the next scavenge collects: bytes per request.
        session.post('HeapProfiler.enable', () =>
          session.post('HeapProfiler.startSampling', {
            samplingInterval: 16_384,
            includeObjectsCollectedByMajorGC: true,
            includeObjectsCollectedByMinorGC: true,
          }),
        );
      }
    } else {
      write();
    }
  });
  process.on('exit', write);
}
