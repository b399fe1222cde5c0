import { WatchEventResponse, type Application, type Decision, type Progress } from '@fcfs/proto';

/** A DecisionBatch as published on an event's channel. */
export function decisionsMessage(decisions: Decision[]): Buffer {
  return Buffer.from(WatchEventResponse.encode({ update: { $case: 'decisions', value: { decisions } } }).finish());
}

/** A Progress as published on an event's channel. */
export function progressMessage(progress: Progress): Buffer {
  return Buffer.from(WatchEventResponse.encode({ update: { $case: 'progress', value: progress } }).finish());
}

/** An AdmissionBatch as published on an event's channel. */
export function admissionsMessage(applications: Application[]): Buffer {
  return Buffer.from(WatchEventResponse.encode({ update: { $case: 'admissions', value: { applications } } }).finish());
}
