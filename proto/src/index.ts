// The gRPC contracts, generated from proto/fcfs/v1 by `npm run generate` (buf + ts-proto).
export * from './gen/fcfs/v1/common';
export * from './gen/fcfs/v1/auth';
export * from './gen/fcfs/v1/event';
export * from './gen/fcfs/v1/issuer';
export * from './gen/fcfs/v1/records';
export { protobufPackage, protobufFileName } from './gen/fcfs/v1/common';
export type { DeepPartial, MessageFns } from './gen/fcfs/v1/common';
