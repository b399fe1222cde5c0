import { WatchEventResponse, type Decision, type Progress } from '@fcfs/proto';

/** A DecisionBatch as published on an event's channel. */
export function decisionsMessage(decisions: Decision[]): Buffer {
  return Buffer.from(WatchEventResponse.encode({ update: { $case: 'decisions', value: { decisions } } }).finish());
}

/** A Progress as published on an event's channel. */
export function progressMessage(progress: Progress): Buffer {
  return Buffer.from(WatchEventResponse.encode({ update: { $case: 'progress', value: progress } }).finish());
}
