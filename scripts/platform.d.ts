// Types of platform.js (CommonJS) for TypeScript callers (the chaos suite).
export type PartName = 'auth' | 'event' | 'issuer' | 'bff';

/** One running replica, which may be killed and started again (as Kubernetes restarts a pod). */
export interface Replica {
  /** `event`, `event-2`, ... */
  name: string;
  part: PartName;
  pid(): number | undefined;
  logFile: string;
  env: Record<string, string>;
  /** Default SIGKILL; resolves once it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again with the same environment; resolves once it is ready. */
  start(): Promise<void>;
}

export interface Platform {
  bffUrl: string;
  sesUrl: string;
  adminEmail: string;
  env: Record<string, string>;
  parts: Record<string, { pid: number | undefined; logFile: string }>;
  replicas: Replica[];
  stop(): Promise<void>;
}

export interface PlatformOptions {
  env?: Record<string, string>;
  parts?: Partial<Record<PartName, Record<string, string>>>;
  replicas?: Partial<Record<PartName, number>>;
  /** The infrastructure's addresses (REDIS_URL, MYSQL_URL, KAFKA_BROKERS, SES_ENDPOINT) when it is already up. */
  infra?: Record<string, string>;
  freePorts?: boolean;
  logDir?: string;
  log?: (line: string) => void;
  stdio?: 'summary' | 'inherit' | 'quiet';
  onUnexpectedExit?: (name: string, code: number | null) => void;
}

export function startPlatform(options?: PlatformOptions): Promise<Platform>;
/** `bff=2,event=3,issuer=2` as counts per part (every part named, 1 where not given); throws naming the problem. */
export function parseReplicas(text: string): Record<PartName, number>;
export const DEFAULT_ENV: Readonly<Record<string, string>>;
export const LOG_DIR: string;
