// `npm run loadtest -- [options]`: the thundering-herd benchmark (see loadtest/README.md).
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { parseOptions, USAGE } from './options';
import { terminalProgress } from './progress';
import { fileStamp, resultTable, runBenchmark, writeResults } from './run';
import { attachTarget, launchTarget, type Target } from './target';

async function main(): Promise<number> {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (!options) {
    process.stdout.write(USAGE);
    return 0;
  }
  const stamp = fileStamp();
  const progress = terminalProgress();
  let target: Target;
  let profiles: string | undefined;
  if (options.url) {
    target = attachTarget(options.url);
  } else {
    if (options.cpuProf || options.heapProf) {
      profiles = path.join(options.outDir, `${stamp}-profiles`);
      await mkdir(profiles, { recursive: true });
    }
    progress.phase(`starting the platform${profiles ? ` (profiles to ${profiles})` : ''}`);
    target = await launchTarget({
      cpuProfDir: profiles,
      profileKinds: [...(options.cpuProf ? ['cpu'] : []), ...(options.heapProf ? ['heap'] : [])],
      log: (line) => process.stderr.write(`${line}\n`),
      env: options.sesRate === undefined ? {} : { SES_SEND_RATE_PER_SECOND: String(options.sesRate) },
    });
  }

  const stopOnSignal = () => {
    process.stderr.write('interrupted: stopping the platform\n');
    void target.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);

  try {
    const result = await runBenchmark(options, target, progress);
    if (profiles) result.files = { json: '', html: '', profiles };
    const files = await writeResults(result, options.outDir, stamp);
    process.stdout.write(`\n${resultTable(result)}\n`);
    process.stdout.write(`report: ${files.html}\nnumbers: ${files.json}\n`);
    return result.ok ? 0 : 1;
  } finally {
    progress.stop();
    // Stopping the platform lets every profiled process write its profile.
    await target.stop();
    if (profiles) process.stdout.write(`Profiles: ${profiles} (summarise: node loadtest/dist/profile-summary.js ${profiles})\n`);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`loadtest failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
