import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger, TRACING_OFF } from '@fcfs/kit';
import { buildSchema, findBreakingChanges, graphql } from 'graphql';
import { createResolvers } from './resolvers';
import { buildExecutableSchema, SCHEMA_PATH } from './schema';

// The public contract as the team agreed it (outside the repository on the team's machines).
const CONTRACT = join(__dirname, '..', '..', '..', '..', 'shared', 'api', 'schema.graphql');

function executable() {
  const never = undefined as never;
  return buildExecutableSchema(
    createResolvers({
      upstream: { auth: {}, event: {} } as never,
      applyBatcher: never,
      hub: never,
      stats: never,
      aheadIntervalMs: 1,
      resyncMs: 1,
      waitResyncMs: 1,
      logger: createLogger('t', 'silent'),
      tracing: TRACING_OFF,
    }),
  );
}

describe('the served schema', () => {
  (existsSync(CONTRACT) ? it : it.skip)('keeps every operation of the public contract (additions only)', () => {
    const contract = buildSchema(readFileSync(CONTRACT, 'utf8'));
    const served = buildSchema(readFileSync(SCHEMA_PATH, 'utf8'));
    expect(findBreakingChanges(contract, served)).toEqual([]);
  });

  it('has a resolver for every root field', () => {
    const schema = executable();
    for (const type of [schema.getQueryType(), schema.getMutationType()]) {
      for (const field of Object.values(type?.getFields() ?? {}))
        expect([type?.name, field.name, typeof field.resolve]).toEqual([type?.name, field.name, 'function']);
    }
    for (const field of Object.values(schema.getSubscriptionType()?.getFields() ?? {}))
      expect(typeof field.subscribe).toBe('function');
  });

  it('renders DateTime as ISO-8601 and refuses a malformed one', async () => {
    const schema = executable();
    const scalar = schema.getType('DateTime') as unknown as { serialize(v: unknown): unknown; parseValue(v: unknown): unknown };
    expect(scalar.serialize(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(scalar.parseValue('2030-01-01T09:00:00Z')).toBe(Date.UTC(2030, 0, 1, 9));
    expect(() => scalar.parseValue('tomorrow')).toThrow(/ISO-8601/);
    const result = await graphql({ schema, source: '{ __typename }' });
    expect(result.data).toEqual({ __typename: 'Query' });
  });
});
