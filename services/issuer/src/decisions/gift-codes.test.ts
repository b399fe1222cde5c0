import { newGiftCodes } from './gift-codes';
import { sqlTime } from './store';

describe('gift codes', () => {
  it('are 16 random characters of Crockford base32 in groups of four, all different', () => {
    const codes = newGiftCodes(10_000);
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    expect(new Set(codes).size).toBe(codes.length);
  });
});

describe('sqlTime', () => {
  it('writes a UTC DATETIME(3) literal', () => {
    expect(sqlTime(Date.UTC(2026, 0, 2, 3, 4, 5, 67))).toBe("'2026-01-02 03:04:05.067'");
  });
});
