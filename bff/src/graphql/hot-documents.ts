import { createHash } from 'node:crypto';
import { InMemoryLRUCache, type KeyValueCache } from '@apollo/utils.keyvaluecache';

/**
 * The query texts this BFF keeps seeing (apply, myApplication ...), handed to Apollo as persisted queries.
 *
 * Apollo parses and validates a query text once (its document store), but finds it there by the text's
 * sha256, computed on every request: 3 % of the BFF's CPU in the herd benchmark. A text seen `after` times
 * is registered here with its hash, and from then on a request carrying it reaches Apollo as an automatic
 * persisted query (`extensions.persistedQuery.sha256Hash`, no `query`): Apollo takes the text from `cache`
 * and the document from its store by that hash, without hashing. The hash is the text's own sha256, so the
 * document store, validation, execution, errors and the answer are exactly those of the text.
 *
 * Registered texts are never evicted (a request rewritten a moment ago must find its text), and at most
 * `maxEntries` are registered: once full, further texts simply go to Apollo as they came. The sighting
 * counts start over when they exceed `maxSeen` distinct texts, so junk cannot grow memory either.
 */
export interface HotDocuments {
  /** The JSON body Apollo should get for this one: a registered text's request as its persisted-query form. */
  rewrite(body: unknown): unknown;
  /** Apollo's APQ cache (`persistedQueries.cache`): registered texts first, then clients' own registrations. */
  readonly cache: KeyValueCache<string>;
  readonly size: number;
}

/** Apollo's prefix for APQ keys in the cache it is given (requestPipeline's APQ_CACHE_PREFIX). */
const APQ_PREFIX = 'apq:';

export function createHotDocuments({ after = 3, maxEntries = 256, maxSeen = 10_000 } = {}): HotDocuments {
  const hashOf = new Map<string, string>();
  const textOf = new Map<string, string>();
  const seen = new Map<string, number>();
  const clients = new InMemoryLRUCache<string>();

  const cache: KeyValueCache<string> = {
    get: (key) => {
      const text = key.startsWith(APQ_PREFIX) ? textOf.get(key.slice(APQ_PREFIX.length)) : undefined;
      return text !== undefined ? Promise.resolve(text) : clients.get(key);
    },
    set: (key, value, options) => clients.set(key, value, options),
    delete: (key) => clients.delete(key),
  };

  function register(query: string): string | undefined {
    if (hashOf.size >= maxEntries) return undefined;
    const count = (seen.get(query) ?? 0) + 1;
    if (count < after) {
      if (seen.size >= maxSeen) seen.clear();
      seen.set(query, count);
      return undefined;
    }
    seen.delete(query);
    const hash = createHash('sha256').update(query).digest('hex');
    hashOf.set(query, hash);
    textOf.set(hash, query);
    return hash;
  }

  return {
    rewrite(body) {
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
      const { query, extensions, ...rest } = body as Record<string, unknown>;
      if (typeof query !== 'string') return body;
      // A client's own persisted-query request, or extensions Apollo would refuse, go as they came.
      if (extensions !== undefined && (typeof extensions !== 'object' || extensions === null || Array.isArray(extensions))) {
        return body;
      }
      if (extensions !== undefined && 'persistedQuery' in extensions) return body;
      const hash = hashOf.get(query) ?? register(query);
      if (hash === undefined) return body;
      return { ...rest, extensions: { ...extensions, persistedQuery: { version: 1, sha256Hash: hash } } };
    },
    cache,
    get size() {
      return hashOf.size;
    },
  };
}
