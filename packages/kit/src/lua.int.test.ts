import { join } from 'node:path';
import { Redis } from 'ioredis';
import { randomSuffix, urls } from '../../../test/support';
import { defineLuaScripts, readLua } from './lua';

describe('Lua scripts through ioredis against the real Redis', () => {
  const redis = new Redis(urls.redis);
  afterAll(() => redis.quit());

  it('inlines @include helpers', () => {
    expect(readLua(join(__dirname, '../test/__fixtures__/incr-by-sum.lua'))).toContain('local function add');
  });

  it('runs a script file and survives a SCRIPT FLUSH (EVALSHA falls back to EVAL)', async () => {
    const key = `test:{${randomSuffix()}}:counter`;
    const scripts = defineLuaScripts(redis, {
      incrBySum: { file: join(__dirname, '../test/__fixtures__/incr-by-sum.lua'), keys: 1 },
    });
    await expect(scripts.incrBySum([key], [2, 3])).resolves.toBe(5);
    await redis.script('FLUSH');
    await expect(scripts.incrBySum([key], [10, 1])).resolves.toBe(16);
    await redis.del(key);
  });
});
