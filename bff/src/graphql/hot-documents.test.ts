import { createHash } from 'node:crypto';
import { createHotDocuments } from './hot-documents';

const APPLY = 'mutation($id: ID!) { apply(eventId: $id) { outcome position } }';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('hot documents', () => {
  it('sends a text seen three times on as its persisted-query hash, and answers the text for that hash', async () => {
    const hot = createHotDocuments({ after: 3 });
    const body = { query: APPLY, variables: { id: '1' }, operationName: null };
    expect(hot.rewrite(body)).toBe(body);
    expect(hot.rewrite(body)).toBe(body);
    const third = hot.rewrite(body);
    expect(third).toEqual({
      variables: { id: '1' },
      operationName: null,
      extensions: { persistedQuery: { version: 1, sha256Hash: sha256(APPLY) } },
    });
    expect(third).not.toHaveProperty('query');
    // Apollo asks its (prefixed) APQ cache for the text.
    expect(await hot.cache.get(`apq:${sha256(APPLY)}`)).toBe(APPLY);
    expect(hot.size).toBe(1);
  });

  it('keeps the request’s other extensions and leaves a client’s own persisted query, GET-like and odd bodies alone', () => {
    const hot = createHotDocuments({ after: 1 });
    expect(hot.rewrite({ query: APPLY, extensions: { trace: 'x' } })).toMatchObject({
      extensions: { trace: 'x', persistedQuery: { version: 1 } },
    });
    const own = { query: APPLY, extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } } };
    expect(hot.rewrite(own)).toBe(own);
    for (const odd of [null, 'text', [{ query: APPLY }], { query: 42 }, { query: APPLY, extensions: 'x' }]) {
      expect(hot.rewrite(odd)).toBe(odd);
    }
  });

  it('registers at most maxEntries texts and never evicts one, so a rewritten request always finds its text', async () => {
    const hot = createHotDocuments({ after: 1, maxEntries: 2 });
    const texts = ['{ a }', '{ b }', '{ c }'];
    const out = texts.map((query) => hot.rewrite({ query }));
    expect(out[2]).toEqual({ query: '{ c }' });
    expect(hot.size).toBe(2);
    expect(await hot.cache.get(`apq:${sha256('{ a }')}`)).toBe('{ a }');
  });

  it('keeps clients’ own APQ registrations in its LRU', async () => {
    const hot = createHotDocuments();
    await hot.cache.set('apq:own', '{ x }');
    expect(await hot.cache.get('apq:own')).toBe('{ x }');
    await hot.cache.delete('apq:own');
    expect(await hot.cache.get('apq:own')).toBeUndefined();
  });
});
