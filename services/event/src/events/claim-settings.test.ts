import { parseClaimSettings } from './validation';

describe('parseClaimSettings', () => {
  it('takes no window, a window, and a window with an offer cap', () => {
    expect(parseClaimSettings(undefined, undefined)).toEqual({ claimWindowSeconds: 0, maxOpenOffers: null });
    expect(parseClaimSettings(0, undefined)).toEqual({ claimWindowSeconds: 0, maxOpenOffers: null });
    expect(parseClaimSettings(300, undefined)).toEqual({ claimWindowSeconds: 300, maxOpenOffers: null });
    expect(parseClaimSettings(300, 10)).toEqual({ claimWindowSeconds: 300, maxOpenOffers: 10 });
  });

  it.each([
    [-1, undefined, 'claimWindowSeconds must be a whole number from 0 to 86400'],
    [1.5, undefined, 'claimWindowSeconds must be a whole number'],
    [86_401, undefined, 'claimWindowSeconds must be a whole number'],
    [0, 5, 'maxOpenOffers needs a claim window'],
    [undefined, 5, 'maxOpenOffers needs a claim window'],
    [60, 0, 'maxOpenOffers must be a whole number from 1'],
    [60, 2.5, 'maxOpenOffers must be a whole number from 1'],
  ])('refuses window %p with cap %p, naming the problem', (window, cap, message) => {
    expect(() => parseClaimSettings(window, cap)).toThrow(message);
  });
});
