import { estimateDrainSeconds, estimateWaitingSeconds, estimateWaitlistedSeconds, estimateWaitSeconds } from '@fcfs/kit';
import { paceOf } from './pace';

describe('the line pace and the estimates', () => {
  it('is the moves per full bucket since the line started, leaving out the partial first bucket', () => {
    expect(paceOf([0, 0, 0, 0, 0], 1000)).toBe(0);
    expect(paceOf([0, 0, 0, 0, 40], 1000)).toBe(40);
    // Started during the third second: 30 of it are not a full second's worth.
    expect(paceOf([0, 0, 30, 100, 110], 1000)).toBe(105);
    expect(paceOf([90, 100, 110, 100, 100], 1000)).toBe(102.5);
    // A burst that is over: its second counts, over the seconds since.
    expect(paceOf([0, 50, 0, 0, 0], 1000)).toBe(12.5);
  });

  it('reads a line decided in a burst at the pace it went, in tenths of a second', () => {
    // 1,000 decided over three tenths (the first partial), read as the burst ends: 700 in two tenths.
    const tenths = [...Array<number>(47).fill(0), 300, 400, 300];
    expect(paceOf(tenths)).toBe(3_500);
    // The same burst counted per second reads a tenth of it.
    expect(paceOf([0, 0, 0, 0, 1_000], 1000)).toBe(1_000);
  });

  it('estimates a wait as (ahead + itself) / pace, rounded up; unknown without a pace', () => {
    expect(estimateWaitSeconds(0, 10)).toBe(1);
    expect(estimateWaitSeconds(99, 10)).toBe(10);
    expect(estimateWaitSeconds(5, 0)).toBeUndefined();
    expect(estimateDrainSeconds(0, 10)).toBeUndefined();
    expect(estimateDrainSeconds(500, 100)).toBe(5);
  });

  it('estimates a waiting participant at the middle place of the room, after the opening', () => {
    // 30 s to the opening, 199 waiting: the middle is the 100th, 10 s at 10 a second.
    expect(estimateWaitingSeconds(30_000, 199, 10)).toBe(40);
    expect(estimateWaitingSeconds(-5_000, 199, 10)).toBe(10);
    expect(estimateWaitingSeconds(30_000, 199, 0)).toBeUndefined();
    // Rounded up once, on the whole wait: 18.2 s to the opening and 0.5 s in line is 19 s.
    expect(estimateWaitingSeconds(18_200, 999, 1_000)).toBe(19);
  });

  it('a middle place beyond the room the gate has is decided at the placement: it waits for the opening only', () => {
    // 10,000 waiting for 1,000 items: the middle place (5,000.5th) is SOLD_OUT as the draw is placed.
    expect(estimateWaitingSeconds(18_200, 10_000, 1_000, 1_000)).toBe(19);
    expect(estimateWaitingSeconds(18_200, 10_000, 0, 1_000)).toBe(19);
    // Within the room it waits in line too: 2,000 waiting for 5,000 items, the middle 1,000.5 at 500 a second.
    expect(estimateWaitingSeconds(18_200, 2_000, 500, 5_000)).toBe(21);
  });

  it('estimates a waitlisted participant from items passed down, never sooner than the open offers could end', () => {
    // 9 before it at 2 passes a second: 5 s.
    expect(estimateWaitlistedSeconds(9, 2)).toBe(5);
    // Nothing passed lately: the 10th earliest deadline of the open offers, 42.1 s away.
    expect(estimateWaitlistedSeconds(9, 0, 42_100)).toBe(43);
    // Passing fast, but the offers ahead of it cannot all end before 30 s.
    expect(estimateWaitlistedSeconds(9, 2, 30_000)).toBe(30);
    expect(estimateWaitlistedSeconds(9, 0)).toBeUndefined();
  });
});
