import type { Application, ApplicationStatus } from './operations';
import { csvField, mergeApplication, remainingSeconds, toCsv } from './status';

const app = (status: ApplicationStatus, eventId = '1'): Application => ({
  eventId,
  status,
  position: 3,
  ahead: status === 'PENDING' ? 2 : null,
  appliedAt: '2030-01-01T00:00:00.000Z',
  decidedAt: null,
  giftCode: status === 'ISSUED' ? 'ABCD-EFGH-JKLM-NPQR' : null,
  claimBy: null,
  estimatedWaitSeconds: null,
  redeemedAt: null,
});

describe('mergeApplication', () => {
  it('takes the first answer and every later stage', () => {
    expect(mergeApplication(undefined, app('PENDING'))?.status).toBe('PENDING');
    expect(mergeApplication(app('PENDING'), app('ISSUED'))?.status).toBe('ISSUED');
    expect(mergeApplication(app('WAITLISTED'), app('OFFERED'))?.status).toBe('OFFERED');
    expect(mergeApplication(app('OFFERED'), app('EXPIRED'))?.status).toBe('EXPIRED');
  });

  it('never turns a result back into PENDING when the apply answer arrives after the live one', () => {
    const won = app('ISSUED');
    expect(mergeApplication(won, app('PENDING'))).toBe(won);
    const lost = app('SOLD_OUT');
    expect(mergeApplication(lost, app('WAITING'))).toBe(lost);
  });

  it('takes a newer answer of the same stage (ahead counts down)', () => {
    const later = { ...app('PENDING'), ahead: 0 };
    expect(mergeApplication(app('PENDING'), later)).toBe(later);
  });

  it('keeps what is shown when there is no answer, and starts over for another event', () => {
    const shown = app('ISSUED');
    expect(mergeApplication(shown, null)).toBe(shown);
    expect(mergeApplication(shown, app('PENDING', '2'))?.status).toBe('PENDING');
  });
});

describe('CSV', () => {
  it('quotes what needs quoting and defuses spreadsheet formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField(null)).toBe('');
    expect(csvField(7)).toBe('7');
  });

  it('writes rows with CRLF line ends', () => {
    expect(
      toCsv([
        ['position', 'email'],
        [1, 'a@x.test'],
      ]),
    ).toBe('position,email\r\n1,a@x.test\r\n');
  });
});

describe('remainingSeconds', () => {
  it('counts an estimate down from when it arrived, to zero, and knows no estimate', () => {
    expect(remainingSeconds(19, 1_000, 1_000)).toBe(19);
    expect(remainingSeconds(19, 1_000, 1_999)).toBe(19);
    expect(remainingSeconds(19, 1_000, 6_000)).toBe(14);
    expect(remainingSeconds(19, 1_000, 60_000)).toBe(0);
    // A clock that stepped back does not add time.
    expect(remainingSeconds(19, 1_000, 0)).toBe(19);
    expect(remainingSeconds(null, 1_000, 6_000)).toBeNull();
  });
});
