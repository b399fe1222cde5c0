// Types of process.js for the TypeScript test support.
import type { ChildProcess } from 'node:child_process';

export function sleep(ms: number): Promise<void>;
export function isAlive(pid: number): boolean;
export function cmdline(pid: number): string | null;
export function isOurProcess(pid: number, match: string): boolean;
export function findBin(name: string, extra?: string[]): string | null;
export function terminate(pid: number, graceMs: number, child?: ChildProcess): Promise<void>;
export function lastError(file: string): string;
export function rotateLog(file: string): void;

export interface Spawned {
  child: ChildProcess;
  /** 0 when the spawn failed */
  pid: number;
  /** why it stopped ("exit 1", "signal SIGKILL", a spawn error), or null while it runs */
  exited(): string | null;
}
export function spawnLogged(
  cmd: string,
  args: string[],
  opts?: { logFile?: string; cwd?: string; env?: NodeJS.ProcessEnv; detached?: boolean },
): Spawned;

export function waitUntil(
  probe: () => Promise<boolean>,
  opts: {
    timeoutMs: number;
    intervalMs?: number;
    exited?: () => string | null;
    onExit?: (why: string) => Error;
    onTimeout: () => Error | Promise<Error>;
  },
): Promise<void>;
