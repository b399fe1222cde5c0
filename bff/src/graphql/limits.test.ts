import { buildSchema, parse, specifiedRules, validate } from 'graphql';
import { costLimitRule, depthLimitRule } from './limits';

const schema = buildSchema(`
  type Query { node: Node, nodes: [Node!]!, leaf: Int }
  type Node { id: ID!, child: Node, children: [Node!]! }
`);

function errors(query: string, maxDepth = 5, maxCost = 100): string[] {
  return validate(schema, parse(query), [...specifiedRules, depthLimitRule(maxDepth), costLimitRule(maxCost)]).map(
    (e) => e.message,
  );
}

function nested(levels: number): string {
  return `{ ${'node { child { '.repeat(1)}${'child { '.repeat(levels - 2)}id${' }'.repeat(levels)} }`;
}

describe('depthLimitRule', () => {
  it('accepts a query within the limit', () => {
    expect(errors('{ node { child { child { id } } } }')).toEqual([]);
  });

  it('refuses a query nested too deep', () => {
    expect(errors(nested(50))).toEqual([expect.stringMatching(/nests 50 levels deep; at most 5/)]);
  });

  it('counts fragments, so nesting cannot hide in them', () => {
    const inline = `{ ${'... on Query { '.repeat(20)}leaf${' }'.repeat(20)} }`;
    expect(errors(inline)).toEqual([expect.stringMatching(/nests 20 levels deep/)]);
    const spread =
      'query { node { ...A } } fragment A on Node { child { ...B } } fragment B on Node { child { child { child { id } } } }';
    expect(errors(spread)).toEqual([expect.stringMatching(/nests 7 levels deep/)]);
  });

  it('survives fragment cycles (reported by the standard rules)', () => {
    const cyclic = 'query { node { ...A } } fragment A on Node { child { ...B } } fragment B on Node { child { ...A } }';
    expect(errors(cyclic).some((m) => /cannot spread fragment/i.test(m))).toBe(true);
  });
});

describe('costLimitRule', () => {
  it('counts fields, lists ten times what they select', () => {
    expect(errors('{ nodes { id child { id } } }', 10, 31)).toEqual([]);
    expect(errors('{ nodes { id children { id } } }', 10, 100)).toEqual([expect.stringMatching(/costs 121; at most 100/)]);
  });

  it('counts every alias', () => {
    const aliases = Array.from({ length: 150 }, (_, i) => `a${i}: leaf`).join(' ');
    expect(errors(`{ ${aliases} }`)).toEqual([expect.stringMatching(/costs 150/)]);
  });
});
