import { z } from 'zod';
import { env } from './env';
import { defineConfig, fragment, renamed } from './fragment';
import { loadConfig } from './load';

const limits = fragment({ MAX_ITEMS: env.positiveInt(10), WAIT_MS: env.nonNegativeInt(1) }, (e) => ({
  maxItems: e.MAX_ITEMS,
  waitMs: e.WAIT_MS,
}));
const secret = fragment({ SECRET: env.optionalString }, (e, { production, problem }) => {
  if (production && e.SECRET === undefined) problem('SECRET', 'required in production');
  return e.SECRET ?? 'development-secret';
});
const schema = defineConfig({ limits, secret });

describe('defineConfig', () => {
  it('turns the variables into nested settings, with nodeEnv and logLevel on top', () => {
    expect(schema.parse({ MAX_ITEMS: '5', LOG_LEVEL: 'debug' })).toEqual({
      nodeEnv: 'development',
      logLevel: 'debug',
      limits: { maxItems: 5, waitMs: 1 },
      secret: 'development-secret',
    });
  });

  it('prints every malformed variable at once, each by name', () => {
    expect(() => loadConfig(schema, { MAX_ITEMS: '0', WAIT_MS: 'soon', NODE_ENV: 'staging' }, { exit: false })).toThrow(
      /invalid configuration:\n {2}NODE_ENV: .*\n {2}MAX_ITEMS: .*\n {2}WAIT_MS: /,
    );
  });

  it("prints a fragment's own rules together with the malformed variables of others", () => {
    const issues = schema.safeParse({ NODE_ENV: 'production', MAX_ITEMS: 'many' }).error?.issues;
    expect(issues?.map((i) => i.path.join('.'))).toEqual(['MAX_ITEMS', 'SECRET']);
  });

  it("applies a fragment's production rules, naming the variable", () => {
    const result = schema.safeParse({ NODE_ENV: 'production' });
    expect(result.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['SECRET', 'required in production']]);
    expect(schema.parse({ NODE_ENV: 'production', SECRET: 'set' }).secret).toBe('set');
  });

  it('lists every variable it reads in one zod object (what the deploy/k8s tests check the manifests against)', () => {
    const object = schema.def.in as z.ZodObject;
    expect(Object.keys(object.shape).sort()).toEqual(['LOG_LEVEL', 'MAX_ITEMS', 'NODE_ENV', 'SECRET', 'WAIT_MS']);
  });

  it('lets fragments share a variable only with the same rules', () => {
    const host = env.host('0.0.0.0');
    const a = fragment({ HOST: host }, (e) => e.HOST);
    const b = fragment({ HOST: host }, (e) => e.HOST.length);
    expect(defineConfig({ a, b }).parse({ HOST: 'h' })).toMatchObject({ a: 'h', b: 1 });
    const other = fragment({ HOST: env.host('127.0.0.1') }, (e) => e.HOST);
    expect(() => defineConfig({ a, other })).toThrow('HOST is declared twice with different rules');
  });
});

describe('renamed', () => {
  const prefix = renamed('NEW_PREFIX', 'OLD_PREFIX', z.string().max(4).default('p:'));
  const config = defineConfig({ prefix });

  it('reads the new name, else the deprecated one, else the default', () => {
    expect(config.parse({ NEW_PREFIX: 'n:' }).prefix).toBe('n:');
    expect(config.parse({ OLD_PREFIX: 'o:' }).prefix).toBe('o:');
    expect(config.parse({ NEW_PREFIX: 'b:', OLD_PREFIX: 'b:' }).prefix).toBe('b:');
    expect(config.parse({}).prefix).toBe('p:');
  });

  it('refuses the two names set to different values', () => {
    const issues = config.safeParse({ NEW_PREFIX: 'n:', OLD_PREFIX: 'o:' }).error?.issues;
    expect(issues?.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['NEW_PREFIX', 'differs from OLD_PREFIX (its deprecated name): set one of them'],
    ]);
  });

  it('names the variable actually set when its value is wrong', () => {
    const issues = (env: Record<string, string>) => config.safeParse(env).error?.issues.map((i) => i.path.join('.'));
    expect(issues({ OLD_PREFIX: 'far-too-long' })).toEqual(['OLD_PREFIX']);
    expect(issues({ NEW_PREFIX: 'far-too-long' })).toEqual(['NEW_PREFIX']);
  });
});
