import { classifyCommand, cpuSecondsOfStat, machineTicks, waitForQuiet } from './cpu';

describe('cpu accounting', () => {
  it('names the processes the benchmark cares about', () => {
    expect(classifyCommand('/usr/bin/node /repo/services/issuer/dist/main.js', '/repo')).toBe('issuer');
    expect(classifyCommand('/usr/bin/node /repo/bff/dist/main.js', '/repo')).toBe('bff');
    expect(classifyCommand('/usr/sbin/mariadbd --user=mysql')).toBe('mariadb');
    expect(classifyCommand('java -cp libs/* kafka.Kafka server.properties')).toBe('kafka');
    expect(classifyCommand('node /repo/node_modules/aws-ses-v2-local/dist/cli.js')).toBe('ses-emulator');
    expect(classifyCommand('node jest')).toBeUndefined();
  });

  it('leaves out the parts of another checkout on the same machine', () => {
    expect(classifyCommand('/usr/bin/node /work/wt/other/bff/dist/main.js', '/work/wt/mine')).toBeUndefined();
    expect(classifyCommand('/usr/bin/node /work/wt/mine-too/bff/dist/main.js', '/work/wt/mine')).toBeUndefined();
    expect(classifyCommand('/usr/bin/node /work/wt/mine/services/event/dist/main.js', '/work/wt/mine')).toBe('event');
  });

  it('reads utime + stime, whatever the command name holds', () => {
    const stat = '42 (node (x) y) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0';
    expect(cpuSecondsOfStat(stat)).toBe(3);
  });

  it('counts idle and iowait as not busy', () => {
    expect(machineTicks('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3')).toEqual({ busy: 150, total: 1000 });
  });
});

describe('waitForQuiet', () => {
  /** /proc/stat's first line with `busy` user jiffies and `idle` idle jiffies. */
  const stat = (busy: number, idle: number) => `cpu  ${busy} 0 0 ${idle} 0 0 0 0 0 0\ncpu0 0 0 0 0\n`;

  function machine(samples: string[]) {
    let t = 0;
    const reads = [...samples];
    return {
      readStat: () => reads.shift(),
      sleep: async (ms: number) => {
        t += ms;
      },
      now: () => t,
    };
  }

  it('returns after the first window whose busy share is under the threshold', async () => {
    // Windows: 90 % busy, 60 % busy, 10 % busy.
    const m = machine([stat(0, 0), stat(90, 10), stat(150, 50), stat(160, 140)]);
    await expect(waitForQuiet({ threshold: 0.25, windowMs: 500, ...m })).resolves.toEqual({ waitedMs: 1_500, busy: 0.1 });
  });

  it('gives up after maxMs on a machine that stays busy, and says so where there is no /proc/stat', async () => {
    const busy = Array.from({ length: 20 }, (_, i) => stat(i * 100, 0));
    const m = machine(busy);
    await expect(waitForQuiet({ windowMs: 500, maxMs: 2_000, ...m })).resolves.toEqual({ waitedMs: 2_000, busy: 1 });
    await expect(waitForQuiet({ readStat: () => undefined })).resolves.toEqual({ waitedMs: 0, busy: undefined });
  });
});
