// A test's own SES v2 emulator, which it may stop and start again: the shared one is never touched.
import type { ChildProcess } from 'node:child_process';
import { freePort } from '../../../infra/lib/net';
import { terminate } from '../../../infra/lib/process';
import { startSesEmulator } from '../../../infra/ses';

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
  let child: ChildProcess | undefined;
  return {
    endpoint,
    async start() {
      child = (await startSesEmulator({ host: '127.0.0.1', port, timeoutMs: 15_000 })).child;
    },
    async stop() {
      const proc = child;
      child = undefined;
      if (!proc?.pid || proc.exitCode !== null) return;
      await terminate(proc.pid, 5_000, proc);
    },
  };
}
