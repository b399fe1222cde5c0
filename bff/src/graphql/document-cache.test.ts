import { buildSchema, parse, specifiedRules, validate, type ValidationContext, type ValidationRule } from 'graphql';
import { createDocumentCache } from './document-cache';
import { depthLimitRule } from './limits';

const schema = buildSchema(`
  type Query { leaf: Int }
  type Subscription { status(id: ID!): Status }
  type Status { id: ID!, state: String, node: Node }
  type Node { child: Node, id: ID }
`);

/** The standard rules and a depth limit, counting how many documents were validated. */
function countingRules() {
  const seen = { validated: 0 };
  const counter: ValidationRule = (_context: ValidationContext) => {
    seen.validated += 1;
    return {};
  };
  return { rules: [...specifiedRules, depthLimitRule(3), counter], seen };
}

const STATUS = 'subscription S($id: ID!) { status(id: $id) { id state } }';

describe('createDocumentCache', () => {
  it('parses and validates a repeated query once, handing back the same document', () => {
    const { rules, seen } = countingRules();
    const cache = createDocumentCache(schema, rules);
    const first = cache.prepare(STATUS);
    const second = cache.prepare(STATUS);
    expect(first.ok && second.ok && first.document === second.document).toBe(true);
    expect(seen.validated).toBe(1);
    expect(cache.size).toBe(1);
  });

  it('answers an invalid query with the same errors every time, never caching it', () => {
    const { rules, seen } = countingRules();
    const cache = createDocumentCache(schema, rules);
    const bad = 'subscription { status(id: "1") { nope } }';
    const fresh = validate(schema, parse(bad), rules).map((e) => e.message);
    seen.validated = 0;
    const a = cache.prepare(bad);
    const b = cache.prepare(bad);
    for (const result of [a, b]) {
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.errors.map((e) => e.message)).toEqual(fresh);
      expect(result.errors.every((e) => e.extensions['code'] === 'GRAPHQL_VALIDATION_FAILED')).toBe(true);
      expect(result.errors[0]?.locations).toEqual([{ line: 1, column: 34 }]);
    }
    expect(seen.validated).toBe(2);
    expect(cache.size).toBe(0);
  });

  it('answers a query that does not parse, or has too many tokens, with GRAPHQL_PARSE_FAILED', () => {
    const cache = createDocumentCache(schema, specifiedRules, { maxTokens: 20 });
    const broken = cache.prepare('subscription { status(id: ');
    expect(broken.ok || broken.errors.map((e) => [e.extensions['code'], e.message])).toEqual([
      ['GRAPHQL_PARSE_FAILED', expect.stringMatching(/^Syntax Error/)],
    ]);
    const long = cache.prepare(`{ ${'leaf '.repeat(30)}}`);
    expect(long.ok || long.errors[0]?.message).toMatch(/more that 20 tokens/);
  });

  it('applies the depth limit like any validation rule', () => {
    const cache = createDocumentCache(schema, [...specifiedRules, depthLimitRule(3)]);
    const deep = cache.prepare('subscription { status(id: "1") { node { child { child { id } } } } }');
    expect(deep.ok || deep.errors.map((e) => e.extensions['code'])).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('keeps at most maxEntries documents, dropping the least recently used', () => {
    const { rules, seen } = countingRules();
    const cache = createDocumentCache(schema, rules, { maxEntries: 2 });
    const q = (n: number) => `subscription Q${n} { status(id: "${n}") { id } }`;
    cache.prepare(q(1));
    cache.prepare(q(2));
    cache.prepare(q(1)); // now q(2) is the least recently used
    cache.prepare(q(3)); // evicts q(2)
    expect(cache.size).toBe(2);
    seen.validated = 0;
    cache.prepare(q(1));
    cache.prepare(q(3));
    expect(seen.validated).toBe(0);
    cache.prepare(q(2));
    expect(seen.validated).toBe(1);
    expect(cache.size).toBe(2);
  });
});
