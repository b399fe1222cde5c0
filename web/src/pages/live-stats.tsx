import { useEffect, useRef, useState } from 'preact/hooks';
import { useI18n } from '../i18n';
import { subscribe } from '../live';
import { EVENT_STATS, type EventStats } from '../operations';
import { errorText } from '../ui';

/** One minute of samples at the server's few-a-second pace. */
const HISTORY = 240;

interface Sample {
  applies: number;
  decisions: number;
}

/** Draws both series onto the canvas; only the canvas repaints, never the page around it. */
function draw(canvas: HTMLCanvasElement, samples: readonly Sample[]): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  const top = Math.max(1, ...samples.map((s) => Math.max(s.applies, s.decisions)));
  ctx.strokeStyle = '#d0d7de';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(0, height - 0.5);
  ctx.lineTo(width, height - 0.5);
  ctx.stroke();
  ctx.fillStyle = '#57606a';
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillText(String(Math.round(top)), 4, 14);
  const series: [keyof Sample, string][] = [
    ['applies', '#0969da'],
    ['decisions', '#bc4c00'],
  ];
  for (const [key, color] of series) {
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    samples.forEach((s, i) => {
      const x = (width * (i + HISTORY - samples.length)) / (HISTORY - 1);
      const y = height - 2 - ((height - 20) * s[key]) / top;
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
}

const NUMBERS: (keyof EventStats)[] = [
  'remaining',
  'stock',
  'admitted',
  'pending',
  'issued',
  'soldOut',
  'lag',
  'waiting',
  'waitlisted',
  'offered',
  'expired',
  'redeemed',
  'emailsSent',
  'emailsPending',
  'emailsFailed',
];

/** The `eventStats` subscription: counters, and applies and decisions per second as a chart. */
export function LiveStats({ eventId, token }: { eventId: string; token: string }) {
  const { t } = useI18n();
  const [stats, setStats] = useState<EventStats>();
  const [problem, setProblem] = useState<string>();
  const samples = useRef<Sample[]>([]);
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(
    () =>
      subscribe<{ eventStats: EventStats }>(
        token,
        EVENT_STATS,
        { eventId },
        {
          next: ({ eventStats }) => {
            setProblem(undefined);
            setStats(eventStats);
            samples.current.push({ applies: eventStats.appliesPerSecond, decisions: eventStats.decisionsPerSecond ?? 0 });
            if (samples.current.length > HISTORY) samples.current.shift();
            if (canvas.current) draw(canvas.current, samples.current);
          },
          waiting: (ms) => setProblem(t('liveReconnecting', { seconds: Math.ceil(ms / 1000) })),
          fail: (err) => setProblem(errorText(t, err)),
        },
      ),
    [eventId, token],
  );
  const rate = (n: number | undefined): string => (n ?? 0).toFixed(1);
  return (
    <section aria-labelledby="stats-heading" class="panel">
      <h2 id="stats-heading">{t('liveStats')}</h2>
      {problem && <p class="error">{problem}</p>}
      <div class="chart">
        <canvas
          ref={canvas}
          width={560}
          height={140}
          role="img"
          aria-label={t('chartLabel', { applies: rate(stats?.appliesPerSecond), decisions: rate(stats?.decisionsPerSecond) })}
        />
        <p class="legend">
          <span class="key applies">{t('stat_appliesPerSecond')}</span>{' '}
          <strong data-stat="appliesPerSecond">{rate(stats?.appliesPerSecond)}</strong>
          {' · '}
          <span class="key decisions">{t('stat_decisionsPerSecond')}</span>{' '}
          <strong data-stat="decisionsPerSecond">{rate(stats?.decisionsPerSecond)}</strong>
        </p>
      </div>
      <dl class="stats">
        {NUMBERS.map((key) => (
          <div key={key}>
            <dt>{t(`stat_${key}` as Parameters<typeof t>[0])}</dt>
            <dd data-stat={key}>{stats ? String(stats[key] ?? 0) : '–'}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
