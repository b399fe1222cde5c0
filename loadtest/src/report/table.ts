import type { HerdResult, LoadSummary, SigninResult } from '../result';

type Row = [string, string];
/** A heading and its rows. */
type Section = [string, Row[]];

const ms = (v: number | undefined) =>
  v === undefined ? 'never (see invariants)' : `${Math.round(v).toLocaleString('en-US')} ms`;
const n = (v: number) => v.toLocaleString('en-US');
const codes = (errors: Record<string, number>) =>
  Object.keys(errors).length === 0
    ? 'none'
    : Object.entries(errors)
        .map(([code, count]) => `${code} ${n(count)}`)
        .join(', ');

function render(title: string, sections: Section[]): string {
  const width = Math.max(...sections.flatMap(([, rows]) => rows.map(([k]) => k.length)));
  const lines = [title, '='.repeat(title.length)];
  for (const [heading, rows] of sections) {
    lines.push('', heading);
    for (const [key, value] of rows) lines.push(`  ${key.padEnd(width)}  ${value}`);
  }
  return `${lines.join('\n')}\n`;
}

function latencyRows(s: LoadSummary): Row[] {
  const l = s.latencyMs;
  return [['latency p50 / p95 / p99 / max', `${l.p50} / ${l.p95} / ${l.p99} / ${l.max} ms`]];
}

function herdRunSection(r: HerdResult): Section {
  const c = r.config;
  return [
    'run',
    [
      ['event', `${r.eventId} (run ${r.runId})`],
      ['participants / stock', `${n(c.participants)} / ${n(c.stock)}`],
      [
        'connections / subscribers',
        `${n(c.connections)} (${c.coldConnections === false ? 'open and warm before the herd' : 'opened as the herd starts'}) / ${n(c.subscribers)}`,
      ],
      [
        'rehearsal before the herd',
        r.warmup
          ? `${n(r.warmup.participants)} participants, stock ${n(r.warmup.stock)}, own event: ${n(r.warmup.appliesPerSecond)} applies/s, ${r.warmup.ok ? 'every check held' : 'FAILED'}; machine quiet ${n(r.warmup.quietAfterMs ?? 0)} ms later`
          : 'none (a platform that had served nothing)',
      ],
      ['machine', `${r.machine.cpus} CPUs (${r.machine.cpuModel}), Node ${r.machine.node}`],
    ],
  ];
}

function appliesSection(r: HerdResult): Section {
  return [
    'applies',
    [
      ['applies per second', n(r.applies.requestsPerSecond)],
      ...latencyRows(r.applies),
      ['outcomes', codes(r.applies.outcomes)],
      ...Object.entries(r.applies.latencyByOutcomeMs).map(([kind, l]): Row => [
        `  ${kind} p50 / p99 / max`,
        `${l.p50} / ${l.p99} / ${l.max} ms (${n(l.count)})`,
      ]),
      ...Object.entries(r.applies.latencyByPlaceMs).map(([place, l]): Row => [
        `  ${place} p50 / p99 / max`,
        `${l.p50} / ${l.p99} / ${l.max} ms (${n(l.count)})`,
      ]),
      ['errors by code', codes(r.applies.errors)],
      ['first to last apply', ms(r.timings.firstApplyToLastApply)],
      ['listen queue overflows (kernel)', r.listenOverflows === undefined ? 'unknown' : n(r.listenOverflows)],
    ],
  ];
}

function ceilingSection(ceiling: LoadSummary, percentOfCeiling: number | undefined): Section {
  return [
    'ceiling (bare Node http, same client)',
    [
      ['requests per second', n(ceiling.requestsPerSecond)],
      ...latencyRows(ceiling),
      ['applies/s as % of ceiling', `${percentOfCeiling ?? 0} %`],
    ],
  ];
}

function drainSection(r: HerdResult): Section {
  const told = r.subscribers.toldAfterDecisionMs;
  return [
    'drain',
    [
      ['first apply to last decision', ms(r.timings.firstApplyToLastDecision)],
      ['last apply to last decision', ms(r.timings.lastApplyToLastDecision)],
      ['first apply to every subscriber told', ms(r.timings.firstApplyToAllSubscribersTold)],
      [
        'subscriber told after decision',
        `p50 ${told.p50} / p99 ${told.p99} / max ${told.max} ms (${told.count} of ${r.subscribers.count})`,
      ],
      [
        'subscriptions refused before apply',
        `${n(r.subscribers.refusedBeforeApply)} (NOT_FOUND; subscribed again after their apply)`,
      ],
      ['first apply to every e-mail sent', ms(r.timings.firstApplyToAllEmailsSent)],
      ['e-mails sent', `${n(r.emails.sent)} of ${n(r.emails.expected)}`],
    ],
  ];
}

function cpuSection(r: HerdResult): Section {
  return [
    'CPU during the herd and drain',
    [
      ['window / machine busy', `${ms(r.cpu.windowMs)} / ${r.cpu.machineBusyPercent ?? 'unknown'} % of ${r.machine.cpus} cores`],
      ['CPU seconds by process', r.cpu.byProcess.map((p) => `${p.name} ${p.seconds}`).join(', ') || 'unknown'],
    ],
  ];
}

/** What the run checked: platform batch metrics, invariants (enforced) and targets (reported only). */
function checkSections(r: HerdResult): Section[] {
  return [
    [
      'platform metrics (this run: count, mean)',
      r.platformMetrics.length
        ? r.platformMetrics.map((m): Row => [m.what, `${n(m.count)} batches, mean ${m.mean}`])
        : [['(none)', "the parts' /metrics were not reachable"]],
    ],
    ['invariants', r.invariants.map((i): Row => [`${i.ok ? 'ok  ' : 'FAIL'} ${i.name}`, i.detail])],
    [
      'targets (this machine; reported, never enforced)',
      r.targets.map((t): Row => [`${t.met ? 'met ' : 'miss'} ${t.name}`, `${t.actual} (target ${t.target})`]),
    ],
  ];
}

/** The herd's numbers as the plain-text table printed at the end of a run. */
export function herdTable(r: HerdResult): string {
  const sections: Section[] = [
    herdRunSection(r),
    appliesSection(r),
    ...(r.ceiling ? [ceilingSection(r.ceiling, r.percentOfCeiling)] : []),
    drainSection(r),
    cpuSection(r),
    ...checkSections(r),
  ];
  const verdict = r.ok ? 'PASS: no errors, every invariant held' : 'FAIL: see errors and invariants above';
  return `${render('Thundering-herd benchmark', sections)}\n${verdict}\n`;
}

export function signinTable(r: SigninResult): string {
  const rate = r.config.sesRatePerSecond;
  const sections: [string, Row[]][] = [
    [
      'run',
      [
        ['participants / connections', `${n(r.config.participants)} / ${n(r.config.connections)}`],
        ['SES send budget', rate === undefined ? "the platform's own" : `${n(rate)} e-mails/s (SES_SEND_RATE_PER_SECOND)`],
        ['machine', `${r.machine.cpus} CPUs (${r.machine.cpuModel}), Node ${r.machine.node}`],
      ],
    ],
    [
      'sendVerificationCode (every call, retries after RATE_LIMITED included)',
      [
        ['calls / per second', `${n(r.sendCode.requests)} / ${n(r.sendCode.requestsPerSecond)}`],
        ...latencyRows(r.sendCode),
        ['errors by code', codes(r.sendCode.errors)],
      ],
    ],
    [
      'e-mailed codes',
      [
        [
          'time to code p50 / p99 / max',
          r.timeToCodeMs ? `${ms(r.timeToCodeMs.p50)} / ${ms(r.timeToCodeMs.p99)} / ${ms(r.timeToCodeMs.max)}` : '–',
        ],
        ['all codes delivered after', ms(r.codesDeliveredMs)],
        ['codes found', `${n(r.codesFound)} of ${n(r.config.participants)}`],
      ],
    ],
    [
      'verifyCode',
      [
        ['requests per second', n(r.verifyCode.requestsPerSecond)],
        ...latencyRows(r.verifyCode),
        ['errors by code', codes(r.verifyCode.errors)],
      ],
    ],
    [
      'end to end',
      [
        ['sign-ins per second', n(r.signinsPerSecond)],
        ['signed in', `${n(r.signedIn)} of ${n(r.config.participants)}`],
      ],
    ],
  ];
  if (r.line) {
    sections.push([
      'the line draining meanwhile (its result e-mails share the budget)',
      [
        ['applicants (result e-mails queued)', n(r.line.participants)],
        [
          'result e-mails before / during / after the wave',
          `${n(r.line.resultsBeforeWave)} / ${n(r.line.resultsDuringWave)} / ${n(r.line.resultsAfterWave)}`,
        ],
        ['every result e-mail sent, after the wave', ms(r.line.allResultsSentAfterWaveMs)],
      ],
    ]);
  }
  return `${render('Sign-in benchmark (e-mail code flow)', sections)}\n${r.ok ? 'PASS' : 'FAIL'}\n`;
}
