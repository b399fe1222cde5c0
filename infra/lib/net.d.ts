// Types of net.js for the TypeScript test support.
export function isLocalHost(host: string): boolean;
export function hasListener(host: string, port: number, timeoutMs?: number): Promise<boolean>;
export function canListen(host: string, port: number): Promise<boolean>;
export function freePort(host?: string): Promise<number>;
export function freePortPair(host?: string): Promise<number>;
export function distinctFreePorts(allocate?: () => Promise<number>): () => Promise<number>;
