import { drawOrder, newSeed } from './shuffle';

/** The chi-square statistic of observed counts against a uniform expectation. */
function chiSquare(counts: readonly number[], expected: number): number {
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}

describe('the waiting room draw', () => {
  it('is a function of its seed: the recorded seed redoes the recorded order', () => {
    const people = Array.from({ length: 50 }, (_, i) => `p${i}`);
    const seed = newSeed();
    expect(drawOrder(people, seed)).toEqual(drawOrder(people, seed));
    expect(drawOrder(people, seed)).not.toEqual(drawOrder(people, newSeed()));
    expect([...drawOrder(people, seed)].sort()).toEqual([...people].sort());
  });

  it('refuses a seed that is not 32 bytes of hex', () => {
    expect(() => drawOrder([1, 2], 'abc')).toThrow('32 bytes');
  });

  it('gives every participant every place with the same chance (chi-square over 20,000 draws)', () => {
    const n = 8;
    const draws = 20_000;
    const people = Array.from({ length: n }, (_, i) => i);
    // counts[person][place]
    const counts = people.map(() => new Array<number>(n).fill(0));
    for (let d = 0; d < draws; d++) {
      drawOrder(people, newSeed()).forEach((person, place) => {
        const row = counts[person] as number[];
        row[place] = (row[place] ?? 0) + 1;
      });
    }
    const expected = draws / n;
    // Each participant's places: 7 degrees of freedom; the 0.999 quantile of chi-square(7) is 24.32.
    for (const row of counts) expect(chiSquare(row, expected)).toBeLessThan(24.32);
    // All 64 cells together: 49 degrees of freedom ((n-1)^2); the 0.999 quantile is 85.35.
    expect(chiSquare(counts.flat(), expected)).toBeLessThan(85.35);
  });

  it('is not biased toward arrival order: the first to arrive is first no more often than chance', () => {
    const people = Array.from({ length: 100 }, (_, i) => i);
    let firstStaysFirst = 0;
    for (let d = 0; d < 5_000; d++) if (drawOrder(people, newSeed())[0] === 0) firstStaysFirst++;
    // Expected 50 of 5,000; a biased shuffle (or none) gives far more.
    expect(firstStaysFirst).toBeLessThan(90);
  });
});
