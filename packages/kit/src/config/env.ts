import { z } from 'zod';

/** `host:port`, as gRPC targets and Kafka brokers are written. */
const HOST_PORT = /^[^\s:]+:\d+$/;

/**
 * A gRPC target: `host:port` (resolved by DNS: every A record is a backend), or a static list of
 * backends as grpc-js writes it, `ipv4:10.0.0.1:7051,10.0.0.2:7051` (`npm start --replicas`).
 */
const GRPC_TARGET = /^(?:[^\s:]+:\d+|ipv4:[^\s:,]+:\d+(?:,[^\s:,]+:\d+)*)$/;

/** A comma-separated list, blanks dropped. */
const list = (fallback = '') =>
  z
    .string()
    .default(fallback)
    .transform((s) =>
      s
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    );

/** Building blocks for one environment variable each, with working development defaults. */
export const env = {
  nodeEnv: z.enum(['development', 'test', 'production']).default('development'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  host: (fallback = '127.0.0.1') => z.string().min(1).default(fallback),
  url: (fallback: string) => z.string().url().default(fallback),
  /** `host:port` of another gRPC service, or `ipv4:host:port,host:port,...` for several replicas. */
  address: (fallback: string) =>
    z.string().regex(GRPC_TARGET, 'expected host:port, or ipv4:host:port,host:port for several').default(fallback),
  brokers: (fallback = '127.0.0.1:9092') =>
    list(fallback).pipe(z.array(z.string().regex(HOST_PORT, 'expected host:port')).min(1)),
  positiveInt: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  nonNegativeInt: (fallback: number) => z.coerce.number().int().min(0).default(fallback),
  list,
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1'),
  /** Unset, empty and blank all mean "not given"; anything else is trimmed. */
  optionalString: z
    .string()
    .optional()
    .transform((s) => (s === undefined || s.trim() === '' ? undefined : s.trim())),
};
