export interface Backend {
  host: string;
  port: number;
}
export interface Front {
  port: number;
  /** Sockets open now (both sides). */
  connections(): number;
  /** Connections each backend has taken so far, in the order of `backends`. */
  served(): number[];
  close(): Promise<void>;
}
export function startFront(o: { host: string; port: number; backends: Backend[]; connectTimeoutMs?: number }): Promise<Front>;
