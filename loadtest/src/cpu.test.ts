import { classifyCommand, cpuSecondsOfStat, machineTicks } from './cpu';

describe('cpu accounting', () => {
  it('names the processes the benchmark cares about', () => {
    expect(classifyCommand('/usr/bin/node /repo/services/issuer/dist/main.js')).toBe('issuer');
    expect(classifyCommand('/usr/bin/node /repo/bff/dist/main.js')).toBe('bff');
    expect(classifyCommand('/usr/sbin/mariadbd --user=mysql')).toBe('mariadb');
    expect(classifyCommand('java -cp libs/* kafka.Kafka server.properties')).toBe('kafka');
    expect(classifyCommand('node /repo/node_modules/aws-ses-v2-local/dist/cli.js')).toBe('ses-emulator');
    expect(classifyCommand('node jest')).toBeUndefined();
  });

  it('reads utime + stime, whatever the command name holds', () => {
    const stat = '42 (node (x) y) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0';
    expect(cpuSecondsOfStat(stat)).toBe(3);
  });

  it('counts idle and iowait as not busy', () => {
    expect(machineTicks('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3')).toEqual({ busy: 150, total: 1000 });
  });
});
