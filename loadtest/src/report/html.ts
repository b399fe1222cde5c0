import { waitingRoomTable } from '../waiting-room';
import type { BenchmarkResult, HerdResult, SigninResult } from '../result';
import { barsSvg, escapeHtml, histogramSvg, linesSvg } from './svg';
import { herdTable, signinTable } from './table';

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 820px; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.verdict { padding: .6rem 1rem; border-radius: 6px; font-weight: 600; }
.pass { background: #e6f4ea; color: #1e6b35; } .fail { background: #fde8e8; color: #9b1c1c; }
pre { background: #f6f6f6; padding: 1rem; overflow-x: auto; font-size: 12.5px; }
svg { width: 100%; height: auto; background: #fff; border: 1px solid #ddd; }
svg text { font-size: 11px; fill: #444; } svg .small { font-size: 9px; }
svg .grid { stroke: #eee; } svg .axis { stroke: #888; } svg .bar { fill: #4c78a8; }
table { border-collapse: collapse; } td, th { padding: .25rem .75rem; border-bottom: 1px solid #eee; text-align: left; }
`;

function page(title: string, ok: boolean, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>
<p class="verdict ${ok ? 'pass' : 'fail'}">${ok ? 'PASS: no errors, every invariant held' : 'FAIL: errors or violated invariants (see below)'}</p>
${body}
</body></html>
`;
}

function herdHtml(r: HerdResult): string {
  const rows = (items: { ok: boolean; name: string; detail: string }[]) =>
    items
      .map((i) => `<tr><td>${i.ok ? '✔' : '✘'}</td><td>${escapeHtml(i.name)}</td><td>${escapeHtml(i.detail)}</td></tr>`)
      .join('');
  const body = [
    `<p>Run ${escapeHtml(r.runId)}, ${escapeHtml(r.startedAt)}; event ${escapeHtml(r.eventId)}; ${r.machine.cpus} CPUs (${escapeHtml(r.machine.cpuModel)}), Node ${escapeHtml(r.machine.node)}.</p>`,
    '<h2>Invariants</h2>',
    `<table>${rows(r.invariants)}</table>`,
    '<h2>Targets on this machine</h2>',
    `<table>${rows(r.targets.map((t) => ({ ok: t.met, name: `${t.name} (target ${t.target})`, detail: t.actual })))}</table>`,
    '<h2>Apply latency</h2>',
    `<p>Every apply's time from sending to its full response, in buckets of growing width (hover a bar for its count).</p>`,
    histogramSvg(r.latencyHistogram, 'apply latency histogram'),
    '<h2>Over time</h2>',
    `<p>Cumulative counts from the first apply: answered applies, decisions (MySQL <code>decided_at</code>), subscribers told their final status, and result e-mails the SES emulator holds (read once a second).</p>`,
    linesSvg(
      [
        { name: 'applies answered', points: r.series.applies, color: '#4c78a8' },
        { name: 'decisions', points: r.series.decisions, color: '#f58518' },
        { name: 'e-mails sent', points: r.series.emails, color: '#54a24b' },
      ],
      'applies, decisions and e-mails over time',
      'count',
    ),
    linesSvg(
      [{ name: 'subscribers told', points: r.series.subscribersTold, color: '#b279a2' }],
      'subscribers told over time',
      'subscribers',
    ),
    '<h2>Where the CPU went</h2>',
    `<p>CPU seconds each process used from the first apply to the end of the drain (${Math.round(r.cpu.windowMs)} ms; the machine was ${r.cpu.machineBusyPercent ?? '?'} % busy across ${r.machine.cpus} cores). The infrastructure's processes are shared with anything else running on this machine.</p>`,
    barsSvg(
      r.cpu.byProcess.map((p) => ({ label: p.name, value: p.seconds })),
      'CPU seconds by process',
      's',
    ),
    '<h2>All numbers</h2>',
    `<pre>${escapeHtml(herdTable(r))}</pre>`,
    r.applies.errorSamples.length
      ? `<h2>Sample error responses</h2><pre>${escapeHtml(r.applies.errorSamples.join('\n'))}</pre>`
      : '',
    `<h2>Configuration and machine</h2><pre>${escapeHtml(JSON.stringify({ config: r.config, machine: r.machine, preparationMs: r.preparationMs }, null, 2))}</pre>`,
  ];
  return page('Thundering-herd benchmark', r.ok, body.join('\n'));
}

function signinHtml(r: SigninResult): string {
  return page('Sign-in benchmark', r.ok, `<pre>${escapeHtml(signinTable(r))}</pre>`);
}

/** The self-contained HTML report (inline CSS and SVG; nothing fetched). */
export function htmlReport(r: BenchmarkResult): string {
  if (r.scenario === 'waiting-room') return page('Waiting-room benchmark', r.ok, `<pre>${escapeHtml(waitingRoomTable(r))}</pre>`);
  return r.scenario === 'herd' ? herdHtml(r) : signinHtml(r);
}
