import { gateClaim, initialLineGate, type LineGateState } from './line-gate';

const limits = { quietMs: 500, minRateWhileBusy: 2 };

describe('gateClaim (the notifier yields to the line)', () => {
  it('is open on a line that never committed, and once the line has been quiet for quietMs', () => {
    expect(gateClaim(initialLineGate, 1_000_000, limits)).toEqual({ kind: 'open' });
    const state = { busyAt: 10_000, trickleAt: 10_000 };
    expect(gateClaim(state, 10_500, limits)).toEqual({ kind: 'open' });
    expect(gateClaim(state, 60_000, limits)).toEqual({ kind: 'open' });
  });

  it('claims nothing new just after a commit, and says when to look again', () => {
    const state = { busyAt: 10_000, trickleAt: 10_000 };
    expect(gateClaim(state, 10_000, limits)).toEqual({ kind: 'closed', waitMs: 500 });
    expect(gateClaim(state, 10_200, limits)).toEqual({ kind: 'closed', waitMs: 300 });
    // The next trickle row comes before the quiet period ends.
    expect(gateClaim({ busyAt: 10_400, trickleAt: 10_000 }, 10_300, limits)).toEqual({ kind: 'closed', waitMs: 200 });
  });

  it('lets through at least minRateWhileBusy rows a second on a line that never goes quiet', () => {
    let state: LineGateState = { busyAt: 0, trickleAt: 0 };
    let claimed = 0;
    // Ten seconds of a commit every 100 ms, the notifier looking every 10 ms.
    for (let now = 0; now < 10_000; now += 10) {
      if (now % 100 === 0) state = { ...state, busyAt: now };
      const gate = gateClaim(state, now, limits);
      expect(gate.kind).not.toBe('open');
      if (gate.kind === 'trickle') {
        claimed += gate.rows;
        state = gate.state;
      }
    }
    expect(claimed).toBeGreaterThanOrEqual(19);
    expect(claimed).toBeLessThanOrEqual(21);
  });

  it('saves up at most one second of trickle while the line was quiet', () => {
    const gate = gateClaim({ busyAt: 100_000, trickleAt: 0 }, 100_000, limits);
    expect(gate).toEqual({ kind: 'trickle', rows: 2, state: { busyAt: 100_000, trickleAt: 100_000 } });
    if (gate.kind !== 'trickle') throw new Error('unreachable');
    expect(gateClaim(gate.state, 100_100, limits)).toEqual({ kind: 'closed', waitMs: 400 });
  });

  it('handles a fractional minimum rate (one row every two seconds)', () => {
    const slow = { quietMs: 500, minRateWhileBusy: 0.5 };
    const gate = gateClaim({ busyAt: 5_000, trickleAt: 4_000 }, 5_000, slow);
    expect(gate).toEqual({ kind: 'closed', waitMs: 500 });
    expect(gateClaim({ busyAt: 6_500, trickleAt: 4_000 }, 6_000, slow)).toEqual({
      kind: 'trickle',
      rows: 1,
      state: { busyAt: 6_500, trickleAt: 6_000 },
    });
  });
});
