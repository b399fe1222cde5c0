// Types of ses.js for the TypeScript test support.
import type { Spawned } from './lib/process';

export function sesAnswers(endpoint: string): Promise<boolean>;
export function startSesEmulator(o: {
  host: string;
  port: number;
  endpoint?: string;
  logFile?: string;
  detached?: boolean;
  timeoutMs?: number;
}): Promise<Spawned>;
export function sesUp(
  cfg: { sesEndpoint: string },
  log: (msg: string) => void,
): Promise<{ endpoint: string; started: boolean; pid: number | null }>;
