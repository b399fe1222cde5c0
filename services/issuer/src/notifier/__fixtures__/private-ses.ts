import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A port nothing listens on (now): connections to it are refused. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface PrivateSes {
  endpoint: string;
  start(): Promise<void>;
  /** Stops the emulator; its store (in memory) goes with it. */
  stop(): Promise<void>;
}

/** This test's own SES v2 emulator, which it may stop and start again on the same port. */
export async function privateSes(): Promise<PrivateSes> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const cli = require.resolve('aws-ses-v2-local/dist/cli.js');
  let child: ChildProcess | undefined;
  return {
    endpoint,
    async start() {
      const proc = spawn(process.execPath, [cli, '--host', '127.0.0.1', '--port', String(port)], { stdio: 'ignore' });
      child = proc;
      const deadline = Date.now() + 15_000;
      for (;;) {
        if (proc.exitCode !== null) throw new Error(`SES emulator exited with ${proc.exitCode}`);
        try {
          if ((await fetch(`${endpoint}/store`)).ok) return;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) throw new Error('SES emulator did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      const proc = child;
      child = undefined;
      if (!proc || proc.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      });
    },
  };
}
