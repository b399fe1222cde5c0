import { GraphQLError, parse, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';

export type PreparedDocument = { ok: true; document: DocumentNode } | { ok: false; errors: GraphQLError[] };

export interface DocumentCache {
  /** The query parsed and validated, from the cache when the same text was accepted before. */
  prepare(query: string): PreparedDocument;
  readonly size: number;
}

/**
 * Parses and validates subscription documents once per distinct query text. Validation depends only on
 * the text, the schema and the (static) rules, never on variables, so an accepted document can be reused.
 * At most `maxEntries` accepted documents are kept, least recently used first out. Rejected ones are not
 * kept: each is parsed and validated again, so its errors are exactly those of a fresh validation, and
 * junk queries cannot push out the real ones.
 */
export function createDocumentCache(
  schema: GraphQLSchema,
  rules: readonly ValidationRule[],
  { maxEntries = 1_000, maxTokens = 2_000 }: { maxEntries?: number; maxTokens?: number } = {},
): DocumentCache {
  // A Map iterates in insertion order: re-inserting on a hit makes the first key the least recently used.
  const accepted = new Map<string, DocumentNode>();

  return {
    prepare(query) {
      const cached = accepted.get(query);
      if (cached !== undefined) {
        accepted.delete(query);
        accepted.set(query, cached);
        return { ok: true, document: cached };
      }
      let document: DocumentNode;
      try {
        document = parse(query, { maxTokens });
      } catch (err) {
        return {
          ok: false,
          errors: [new GraphQLError((err as Error).message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })],
        };
      }
      const errors = validate(schema, document, rules);
      if (errors.length > 0) {
        return {
          ok: false,
          errors: errors.map(
            (e) =>
              new GraphQLError(e.message, {
                nodes: e.nodes ?? null,
                extensions: { ...e.extensions, code: 'GRAPHQL_VALIDATION_FAILED' },
              }),
          ),
        };
      }
      if (accepted.size >= maxEntries) {
        const oldest = accepted.keys().next();
        if (!oldest.done) accepted.delete(oldest.value);
      }
      accepted.set(query, document);
      return { ok: true, document };
    },
    get size() {
      return accepted.size;
    },
  };
}
