// A fake WatchEvent stream for the hub's unit tests.
import { EventEmitter } from 'node:events';
import { ApplicationStatus, type Application, type Decision, type WatchEventResponse } from '@fcfs/proto';
import type { WatchStream } from '../src/live/watch-hub';

export class FakeStream extends EventEmitter implements WatchStream {
  cancelled = false;
  constructor(readonly eventId: string) {
    super();
  }
  cancel(): void {
    this.cancelled = true;
    this.emit('error', Object.assign(new Error('Cancelled'), { code: 1 }));
  }
  progress(decidedThrough: number): void {
    const message: WatchEventResponse = {
      update: { $case: 'progress', value: { eventId: this.eventId, decidedThrough, issued: 0, remaining: 0 } },
    };
    this.emit('data', message);
  }
  decide(...decisions: Decision[]): void {
    this.emit('data', { update: { $case: 'decisions', value: { decisions } } } satisfies WatchEventResponse);
  }
  admit(...applications: Application[]): void {
    this.emit('data', { update: { $case: 'admissions', value: { applications } } } satisfies WatchEventResponse);
  }
}

/** An application as the gate admitted it: in line (PENDING) with `ahead` before it. */
export function admitted(eventId: string, participantId: string, position: number, ahead: number): Application {
  return {
    eventId,
    participantId,
    status: ApplicationStatus.APPLICATION_STATUS_PENDING,
    position,
    ahead,
    appliedAtMs: 1_000,
  };
}

export function decision(eventId: string, participantId: string, position: number, issued: boolean): Decision {
  return {
    eventId,
    participantId,
    position,
    status: issued ? ApplicationStatus.APPLICATION_STATUS_ISSUED : ApplicationStatus.APPLICATION_STATUS_SOLD_OUT,
    ...(issued ? { giftCode: `GIFT-${participantId}` } : {}),
    decidedAtMs: 2_000,
    appliedAtMs: 1_000,
  };
}
