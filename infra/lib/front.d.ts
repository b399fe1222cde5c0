export interface Backend {
  host: string;
  port: number;
}
export interface Front {
  port: number;
  connections(): number;
  close(): Promise<void>;
}
export function startFront(o: { host: string; port: number; backends: Backend[]; connectTimeoutMs?: number }): Promise<Front>;
