import { estimateDrainSeconds, estimateWaitingSeconds, estimateWaitSeconds } from '@fcfs/kit';
import { paceOf } from './pace';

describe('the line pace and the estimates', () => {
  it('is the moves per full second since the line started, leaving out the partial first second', () => {
    expect(paceOf([0, 0, 0, 0, 0])).toBe(0);
    expect(paceOf([0, 0, 0, 0, 40])).toBe(40);
    // Started during the third second: 30 of it are not a full second's worth.
    expect(paceOf([0, 0, 30, 100, 110])).toBe(105);
    expect(paceOf([90, 100, 110, 100, 100])).toBe(102.5);
    // A burst that is over: its second counts, over the seconds since.
    expect(paceOf([0, 50, 0, 0, 0])).toBe(12.5);
  });

  it('estimates a wait as (ahead + itself) / pace, rounded up; unknown without a pace', () => {
    expect(estimateWaitSeconds(0, 10)).toBe(1);
    expect(estimateWaitSeconds(99, 10)).toBe(10);
    expect(estimateWaitSeconds(5, 0)).toBeUndefined();
    expect(estimateDrainSeconds(0, 10)).toBeUndefined();
    expect(estimateDrainSeconds(500, 100)).toBe(5);
  });

  it('estimates a waiting participant at the middle of the room, after the opening', () => {
    // 30 s to the opening, 199 waiting: the middle is the 100th, 10 s at 10 a second.
    expect(estimateWaitingSeconds(30_000, 199, 10)).toBe(40);
    expect(estimateWaitingSeconds(-5_000, 199, 10)).toBe(10);
    expect(estimateWaitingSeconds(30_000, 199, 0)).toBeUndefined();
  });
});
