// Preloaded into the platform's processes by `--cpu-prof` (NODE_OPTIONS=--require ...), because
// Node does not accept --cpu-prof in NODE_OPTIONS. The benchmark sends SIGUSR2 when the herd
// starts and again when the drain ends, so the profile covers the hot path, not the start-up:
// <LOADTEST_CPU_PROF_DIR>/<part>-<pid>.cpuprofile is written at the second signal (or at exit).
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
if (dir) {
  const session = new Session();
  session.connect();
  let state: 'idle' | 'profiling' | 'written' = 'idle';
  const write = () => {
    if (state !== 'profiling') return;
    state = 'written';
    // A session on this thread answers synchronously, so this also completes inside 'exit'.
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, `${partName(process.argv[1])}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  };
  process.on('SIGUSR2', () => {
    if (state === 'idle') {
      state = 'profiling';
      session.post('Profiler.enable', () => session.post('Profiler.start'));
    } else {
      write();
    }
  });
  process.on('exit', write);
}
