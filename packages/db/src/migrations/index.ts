import type { QueryInterface } from 'sequelize';
import * as initialSchema from './0001-initial-schema';
import * as participantsEmailUnique from './0002-participants-email-unique';
import * as giftsRedeemedAt from './0003-gifts-redeemed-at';
import * as outboxEventStatus from './0004-outbox-event-status';
import * as eventsAuthority from './0005-events-authority';
import * as waitingRoom from './0006-waiting-room';
import * as claimWindows from './0007-claim-windows';

export interface Migration {
  name: string;
  up(qi: QueryInterface): Promise<void>;
  down(qi: QueryInterface): Promise<void>;
}

/** Every migration, in the order it runs. Add new files here; never edit an applied one. */
export const migrations: Migration[] = [
  { name: '0001-initial-schema', ...initialSchema },
  { name: '0002-participants-email-unique', ...participantsEmailUnique },
  { name: '0003-gifts-redeemed-at', ...giftsRedeemedAt },
  { name: '0004-outbox-event-status', ...outboxEventStatus },
  { name: '0005-events-authority', ...eventsAuthority },
  { name: '0006-waiting-room', ...waitingRoom },
  { name: '0007-claim-windows', ...claimWindows },
];
