// A query text the BFF keeps seeing goes on to Apollo as a persisted query (hot-documents.ts): from its
// third sighting on, the answer must still be exactly the answer to the text, errors included.
import { randomSuffix } from '../../test/support';
import { gql } from '../../test/support/graphql';
import { startTestPlatform, type TestPlatform } from '../../test/support/platform';

let platform: TestPlatform;
let participant: string;

beforeAll(async () => {
  platform = await startTestPlatform({ notifier: false });
  const [p] = await platform.mintTokens([`hot-${randomSuffix()}@example.com`]);
  participant = p?.token ?? '';
});

afterAll(async () => {
  await platform?.stop();
});

const cases: Array<[string, string, Record<string, unknown>, boolean]> = [
  ['a query that succeeds', '{ events { id name } }', {}, false],
  ['a mutation refused for want of a token', 'mutation($id: ID!) { apply(eventId: $id) { outcome } }', { id: '1' }, false],
  ['an unknown event', 'mutation($id: ID!) { apply(eventId: $id) { outcome position } }', { id: '999999' }, true],
  ['a variable of the wrong type', 'mutation($id: ID!) { apply(eventId: $id) { outcome } }', { id: { no: 1 } }, true],
  ['a document that does not validate', '{ events { id nosuchfield } }', {}, false],
  ['a document that does not parse', '{ events { id ', {}, false],
];

it.each(cases)('answers %s the same the first time and the sixth', async (_what, query, variables, signedIn) => {
  const answers = [];
  for (let i = 0; i < 6; i++) answers.push(await gql(platform.url, query, variables, signedIn ? participant : undefined));
  for (const answer of answers.slice(1)) expect(answer).toEqual(answers[0]);
  expect(JSON.stringify(answers[5])).not.toContain('PERSISTED_QUERY');
});
