import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressesFrom } from './addresses';

describe('mint-tokens addresses', () => {
  it('generates numbered addresses on the domain', () => {
    expect(addressesFrom({ count: '3', domain: 'loadtest.local' })).toEqual([
      'user-1@loadtest.local',
      'user-2@loadtest.local',
      'user-3@loadtest.local',
    ]);
    expect(addressesFrom({ count: '10000' })[0]).toBe('user-00001@loadtest.local');
  });

  it('reads a file of addresses, one a line or a JSON array', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mint-'));
    try {
      writeFileSync(join(dir, 'a.txt'), 'a@x.io\n\n b@x.io \n');
      writeFileSync(join(dir, 'b.json'), '["c@x.io"]');
      expect(addressesFrom({ emails: join(dir, 'a.txt') })).toEqual(['a@x.io', 'b@x.io']);
      expect(addressesFrom({ emails: join(dir, 'b.json') })).toEqual(['c@x.io']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a bad count', () => {
    expect(() => addressesFrom({ count: 'many' })).toThrow('--count');
    expect(() => addressesFrom({})).toThrow('--count');
  });
});
