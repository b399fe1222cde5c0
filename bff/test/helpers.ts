// Small fakes shared by the BFF's unit tests.
import { createLogger, type Logger } from '@fcfs/kit';
export { GrpcStatus, ServiceError } from '@fcfs/kit';

/** A logger whose error/warn lines are collected into `sink`. */
export function testLoggerless(sink: unknown[]): Logger {
  const logger = createLogger('bff-test', 'silent');
  const collect = (...args: unknown[]): void => {
    sink.push(args);
  };
  return Object.assign(Object.create(logger) as Logger, { error: collect, warn: collect });
}
