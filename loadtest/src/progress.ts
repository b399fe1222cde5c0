import { MultiBar, Presets, type SingleBar } from 'cli-progress';

/** Where a run reports what it is doing: bars on a terminal, plain lines in CI, nothing in tests. */
export interface Progress {
  /** A new phase; a line of its own. */
  phase(message: string): void;
  /** A counter towards `total`, shown as a bar (terminal) or a line every few seconds (otherwise). */
  counter(label: string, total: number): (value: number) => void;
  /** Ends every bar. */
  stop(): void;
}

export const silentProgress: Progress = { phase: () => undefined, counter: () => () => undefined, stop: () => undefined };

/** Progress bars on stderr when it is a terminal; otherwise a plain line per counter every 2 s. */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return plainProgress(stream);
  let multibar: MultiBar | undefined;
  const bars: SingleBar[] = [];
  return {
    phase(message) {
      if (multibar) multibar.log(`${message}\n`);
      else stream.write(`${message}\n`);
    },
    counter(label, total) {
      multibar ??= new MultiBar(
        {
          stream,
          format: '{label} [{bar}] {percentage}% | {value}/{total} | {duration_formatted}',
          hideCursor: true,
          barsize: 30,
          etaBuffer: 50,
        },
        Presets.shades_classic,
      );
      const bar = multibar.create(total, 0, { label: label.padEnd(22) });
      bars.push(bar);
      return (value) => bar.update(Math.min(value, total));
    },
    stop() {
      multibar?.stop();
      multibar = undefined;
    },
  };
}

function plainProgress(stream: NodeJS.WritableStream): Progress {
  const counters: { label: string; total: number; value: number; shown: number }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    for (const c of counters) {
      if (c.value === c.shown) continue;
      c.shown = c.value;
      stream.write(`  ${c.label}: ${c.value}/${c.total}\n`);
    }
  };
  return {
    phase: (message) => stream.write(`${message}\n`),
    counter(label, total) {
      const counter = { label, total, value: 0, shown: -1 };
      counters.push(counter);
      timer ??= setInterval(flush, 2_000).unref();
      return (value) => (counter.value = Math.min(value, total));
    },
    stop() {
      flush();
      if (timer) clearInterval(timer);
      timer = undefined;
      counters.length = 0;
    },
  };
}
