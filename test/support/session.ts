// A participant's way in through the public API, for end-to-end tests: the e-mailed code, read from the
// SES emulator, exchanged for a token; and an admin's open event.
import { emailsTo, eventually, randomSuffix } from './index';
import { gql } from './graphql';

/** The six-digit code of the last verification e-mail to `address`. */
export async function codeFor(address: string): Promise<string> {
  const emails = await eventually(
    async () => {
      const found = await emailsTo(address);
      return found.length > 0 ? found : undefined;
    },
    15_000,
    `the code e-mail to ${address}`,
  );
  const code = /\b(\d{6})\b/.exec(emails[emails.length - 1]?.body.text ?? '')?.[1];
  if (code === undefined) throw new Error('no code in the e-mail');
  return code;
}

/** The whole sign-in over GraphQL: send a code, read it, exchange it for a session token. */
export async function signIn(url: string, email: string): Promise<string> {
  const sent = await gql(url, 'mutation($email: String!) { sendVerificationCode(email: $email) { ok } }', { email });
  if (sent.errors) throw new Error(`sendVerificationCode: ${JSON.stringify(sent.errors)}`);
  const code = await codeFor(email);
  const verified = await gql(
    url,
    'mutation($email: String!, $code: String!) { verifyCode(email: $email, code: $code) { token } }',
    {
      email,
      code,
    },
  );
  if (verified.errors) throw new Error(`verifyCode: ${JSON.stringify(verified.errors)}`);
  return verified.data?.['verifyCode'].token as string;
}

/** A new event with `stock`, opened now by the admin; answers its id. */
export async function createOpenEvent(url: string, adminToken: string, stock: number): Promise<string> {
  const created = await gql(
    url,
    'mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }',
    { input: { name: `Drop ${randomSuffix()}`, stock } },
    adminToken,
  );
  if (created.errors) throw new Error(`createEvent: ${JSON.stringify(created.errors)}`);
  const id = created.data?.['createEvent'].id as string;
  const opened = await gql(url, 'mutation($id: ID!) { openEvent(eventId: $id) { status } }', { id }, adminToken);
  if (opened.errors) throw new Error(`openEvent: ${JSON.stringify(opened.errors)}`);
  return id;
}
