import { EventStatus } from '@fcfs/proto';
import { effectiveStatus } from './status';
import { MAX_STOCK, parseName, parseSchedule, parseStock } from './validation';

describe('effectiveStatus', () => {
  const now = 1_000_000;
  const line = { stock: 10, issued: 3, pending: 2 };
  const base = { stored: 'DRAFT', opensAtMs: undefined, closesAtMs: undefined, line };

  it('follows the schedule without a timer', () => {
    expect(effectiveStatus(base, now)).toBe(EventStatus.EVENT_STATUS_DRAFT);
    expect(effectiveStatus({ ...base, stored: 'SCHEDULED', opensAtMs: now + 1 }, now)).toBe(EventStatus.EVENT_STATUS_SCHEDULED);
    expect(effectiveStatus({ ...base, stored: 'SCHEDULED', opensAtMs: now }, now)).toBe(EventStatus.EVENT_STATUS_OPEN);
    expect(effectiveStatus({ ...base, stored: 'OPEN', closesAtMs: now }, now)).toBe(EventStatus.EVENT_STATUS_CLOSED);
    expect(effectiveStatus({ ...base, stored: 'CLOSED' }, now)).toBe(EventStatus.EVENT_STATUS_CLOSED);
  });

  it('is SOLD_OUT once the stock is issued and nobody waits', () => {
    expect(effectiveStatus({ ...base, stored: 'OPEN', line: { stock: 3, issued: 3, pending: 1 } }, now)).toBe(
      EventStatus.EVENT_STATUS_OPEN,
    );
    expect(effectiveStatus({ ...base, stored: 'OPEN', line: { stock: 3, issued: 3, pending: 0 } }, now)).toBe(
      EventStatus.EVENT_STATUS_SOLD_OUT,
    );
    expect(effectiveStatus({ ...base, stored: 'OPEN', line: { stock: 0, issued: 0, pending: 0 } }, now)).toBe(
      EventStatus.EVENT_STATUS_SOLD_OUT,
    );
  });
});

describe('event input validation', () => {
  it('checks names', () => {
    expect(parseName('  Spring drop ')).toBe('Spring drop');
    for (const bad of ['', '   ', 'a\nb', 'x'.repeat(201), 42]) expect(() => parseName(bad)).toThrow();
  });

  it('checks stock, naming the limit', () => {
    expect(parseStock(0)).toBe(0);
    expect(parseStock(MAX_STOCK)).toBe(MAX_STOCK);
    expect(() => parseStock(-1)).toThrow('negative');
    expect(() => parseStock(1.5)).toThrow('integer');
    expect(() => parseStock(MAX_STOCK + 1)).toThrow('1,000,000');
  });

  it('checks the schedule', () => {
    expect(parseSchedule(undefined, undefined, 10)).toEqual({ opensAtMs: undefined, closesAtMs: undefined });
    expect(() => parseSchedule(100, 50, 10)).toThrow('after opensAt');
    expect(() => parseSchedule(undefined, 5, 10)).toThrow('future');
    expect(() => parseSchedule(-1, undefined, 10)).toThrow('epoch milliseconds');
  });
});
