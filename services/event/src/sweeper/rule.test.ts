import { partitionOf } from './offsets';
import { orphanPosition, sweepableBefore } from './rule';

describe('when a PENDING application may be swept', () => {
  const grace = 60_000;

  it('never while the issuer has not consumed up to an end offset read after the grace', () => {
    // Partition 1 has 5 records and the issuer committed 3: a record there may still wait to be decided.
    expect(sweepableBefore(1, [0, 3], [{ at: 100_000, ends: [0, 5] }], grace)).toBeUndefined();
    // An unknown partition (the topic has fewer partitions than thought) says nothing.
    expect(sweepableBefore(2, [0, 3], [{ at: 100_000, ends: [0, 5] }], grace)).toBeUndefined();
  });

  it('on an idle line: up to the grace before the end offsets were read', () => {
    expect(sweepableBefore(1, [0, 5], [{ at: 100_000, ends: [0, 5] }], grace)).toBe(40_000);
  });

  it('on a busy line: once the issuer passed the end of the previous pass, up to the grace before that pass', () => {
    const previous = { at: 100_000, ends: [0, 5] };
    const current = { at: 130_000, ends: [0, 9] };
    expect(sweepableBefore(1, [0, 7], [previous, current], grace)).toBe(40_000);
    expect(sweepableBefore(1, [0, 9], [previous, current], grace)).toBe(70_000);
  });

  it('ignores a snapshot taken with another partition count', () => {
    expect(sweepableBefore(1, [0, 5, 0], [{ at: 100_000, ends: [0, 5] }], grace)).toBeUndefined();
  });

  it('takes only PENDING entries applied at or before the limit, with their position', () => {
    expect(orphanPosition('P|7|40000||', 40_000)).toBe(7);
    expect(orphanPosition('P|7|40001||', 40_000)).toBeUndefined();
    expect(orphanPosition('I|7|1000|2000|CODE', 40_000)).toBeUndefined();
    expect(orphanPosition('S|7|1000|2000|', 40_000)).toBeUndefined();
    expect(orphanPosition('P|x|1000||', 40_000)).toBeUndefined();
    expect(orphanPosition('P|7|||', 40_000)).toBeUndefined();
  });

  it('reads the partition the producer writes an event to (one event, one partition)', () => {
    const p = partitionOf('applications', '42', 3);
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThan(3);
    expect(partitionOf('applications', '42', 3)).toBe(p);
  });
});
