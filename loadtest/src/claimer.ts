// Claim windows in the benchmark (`--claim-window`): the winners' side and the sampled invariants.
// Every 250 ms it reads the event's offers from MySQL (what the issuer committed) and the live counters
// (Redis, through eventStats); each new offer is claimed through the public API after a short random
// delay, except by the `--no-claim-share` of winners who never claim, whose items pass down the line
// when their window ends.
import { createHash } from 'node:crypto';
import { createLogger } from '@fcfs/kit';
import { createSequelize } from '@fcfs/kit/mysql';
import { QueryTypes } from 'sequelize';
import { graphql, type AdminApi } from './graphql';
import { poll } from './monitors';
import type { InvariantCheck } from './invariants';

export interface ClaimerSettings {
  bffUrl: string;
  mysqlUrl: string;
  eventId: string;
  stock: number;
  windowSeconds: number;
  noClaimShare: number;
  maxOpenOffers: number | undefined;
  participants: number;
  /** Participant id -> session token. */
  tokens: Map<string, string>;
  api: AdminApi;
}

/** Whether a participant is one who never claims: a stable share of them, by a hash of the id. */
export function neverClaims(participantId: string, share: number): boolean {
  const h = createHash('sha256').update(participantId).digest().readUInt32BE(0);
  return h / 2 ** 32 < share;
}

const CLAIM = 'mutation Claim($id: ID!) { claimGift(eventId: $id) { status } }';

export interface ClaimerReport {
  offers: number;
  claims: number;
  claimErrors: Record<string, number>;
  neverClaimed: number;
  samples: number;
  /** Worst sampled ISSUED + OFFERED (MySQL and eventStats) and OFFERED. */
  maxTakenMysql: number;
  maxTakenRedis: number;
  maxOffered: number;
  /** The event's outbox rows after the run, by kind and status ("OFFER_EMAIL SENT": n). */
  outbox: Record<string, number>;
}

export function startClaimer(s: ClaimerSettings) {
  const sequelize = createSequelize(s.mysqlUrl, createLogger('loadtest', 'silent'), { pool: { max: 2, min: 0 } });
  const seen = new Set<string>();
  const pending: Promise<void>[] = [];
  const report: ClaimerReport = {
    offers: 0,
    claims: 0,
    claimErrors: {},
    neverClaimed: 0,
    samples: 0,
    maxTakenMysql: 0,
    maxTakenRedis: 0,
    maxOffered: 0,
    outbox: {},
  };
  const maxDelayMs = Math.min(2_000, (s.windowSeconds * 1000) / 2);

  const claim = async (participantId: string) => {
    await new Promise((r) => setTimeout(r, Math.random() * maxDelayMs));
    try {
      await graphql(`${s.bffUrl}/graphql`, CLAIM, { id: s.eventId }, s.tokens.get(participantId));
      report.claims++;
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'ERROR';
      report.claimErrors[code] = (report.claimErrors[code] ?? 0) + 1;
    }
  };

  const tick = async () => {
    const rows = await sequelize.query<{ participant_id: string | number; status: string }>(
      "SELECT participant_id, status FROM applications WHERE event_id = :id AND status IN ('OFFERED', 'ISSUED', 'EXPIRED')",
      { replacements: { id: s.eventId }, type: QueryTypes.SELECT },
    );
    let taken = 0;
    let offered = 0;
    for (const row of rows) {
      const id = String(row.participant_id);
      if (row.status !== 'EXPIRED') taken++;
      if (row.status === 'OFFERED') offered++;
      if (seen.has(id)) continue;
      seen.add(id);
      report.offers++;
      if (neverClaims(id, s.noClaimShare)) report.neverClaimed++;
      else if (row.status === 'OFFERED') pending.push(claim(id));
    }
    const stats = await s.api.eventStats(s.eventId);
    report.samples++;
    report.maxTakenMysql = Math.max(report.maxTakenMysql, taken);
    report.maxTakenRedis = Math.max(report.maxTakenRedis, stats.issued + stats.offered);
    report.maxOffered = Math.max(report.maxOffered, offered, stats.offered);
  };

  const poller = poll(250, tick);
  return {
    report,
    async stop(): Promise<ClaimerReport> {
      await poller.stop();
      await Promise.all(pending);
      await tick().catch(() => undefined); // the offers made last
      const rows = await sequelize.query<{ kind: string; status: string; n: number | string }>(
        'SELECT kind, status, COUNT(*) AS n FROM outbox WHERE event_id = :id GROUP BY kind, status',
        { replacements: { id: s.eventId }, type: QueryTypes.SELECT },
      );
      for (const r of rows) report.outbox[`${r.kind} ${r.status}`] = Number(r.n);
      await sequelize.close();
      return report;
    },
    /** The checks of the sampled invariants (the after-the-event ones are in checkInvariants). */
    checks(): InvariantCheck[] {
      const cap = s.maxOpenOffers ?? s.stock;
      return [
        {
          name: 'ISSUED + OFFERED <= stock at every sample',
          ok: report.maxTakenMysql <= s.stock && report.maxTakenRedis <= s.stock,
          detail: `${report.samples} samples; worst MySQL ${report.maxTakenMysql}, eventStats ${report.maxTakenRedis}, stock ${s.stock}`,
        },
        {
          name: 'one e-mail per offer and one per final state (outbox)',
          ok:
            sum(report.outbox, 'OFFER_EMAIL') === report.offers &&
            sum(report.outbox, 'RESULT_EMAIL') === s.participants &&
            sum(report.outbox, 'FAILED') === 0,
          detail: `${report.offers} offers, ${s.participants} participants; outbox ${JSON.stringify(report.outbox)}`,
        },
        {
          name: 'OFFERED <= maxOpenOffers at every sample',
          ok: report.maxOffered <= cap,
          detail: `worst ${report.maxOffered}, cap ${cap}`,
        },
      ];
    },
  };
}

export type Claimer = ReturnType<typeof startClaimer>;

/** Rows of the outbox summary whose "kind status" key contains `part`. */
function sum(outbox: Record<string, number>, part: string): number {
  return Object.entries(outbox).reduce((total, [key, n]) => (key.includes(part) ? total + n : total), 0);
}
