import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerMetadata, parseId, type Logger, type TokenVerifier } from '@fcfs/kit';
import { toGraphQLError } from '../graphql/errors';
import type { Upstream } from '../upstream/clients';
import { nextRequestId } from './admission';
import { sendError } from './http';

/** `GET /admin/events/<id>/gifts.csv`: an event's gifts in line order, as a CSV download (admins only). */
const ROUTE = /^\/admin\/events\/([^/]+)\/gifts\.csv$/;
const PAGE = 1_000;
/** Participant look-ups in flight at once while a page is written. */
const LOOKUPS = 32;

/** One CSV field: quoted when it holds a comma, quote or line break; a leading =+-@ is defused for spreadsheets. */
function field(value: string | number | null | undefined): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
const row = (values: (string | number | null | undefined)[]) => `${values.map(field).join(',')}\r\n`;
const iso = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString());

/**
 * The same gifts as the `gifts` query, streamed a page (1,000) at a time, so an event with many winners
 * never sits in memory whole: `position,email,code,issuedAt,redeemedAt`. The admin's token comes as
 * `Authorization: Bearer`; it is checked here and again by the issuer. An error before the first byte is
 * answered like a GraphQL error (UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, UNAVAILABLE); one after it cuts the
 * download short (the client sees an incomplete body, never a partial file taken for a whole one).
 */
export function createGiftsCsv(deps: { upstream: Upstream; verifier: TokenVerifier; logger: Logger }) {
  const { upstream, verifier, logger } = deps;
  const { issuer, auth } = upstream;

  const email = async (participantId: string): Promise<string> => {
    const res = await upstream.call(auth.getParticipant.bind(auth), { participantId });
    return res.participant?.email ?? '';
  };

  const serve = async (req: IncomingMessage, res: ServerResponse, rawId: string): Promise<void> => {
    const requestId = nextRequestId();
    try {
      const header = req.headers.authorization ?? '';
      const token = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
      if (token === '') return sendError(res, 401, 'UNAUTHENTICATED', 'sign in first: a session token is required');
      const claims = await verifier.verify(token);
      if (claims.role !== 'admin') return sendError(res, 403, 'FORBIDDEN', 'this download needs the admin role');
      const eventId = parseId(decodeURIComponent(rawId), 'eventId');
      const settings = { metadata: bearerMetadata(token) };
      let pageToken = '';
      let started = false;
      do {
        const page = await upstream.call(issuer.listGifts.bind(issuer), { eventId, pageSize: PAGE, pageToken }, settings);
        const emails: string[] = [];
        for (let i = 0; i < page.gifts.length; i += LOOKUPS) {
          emails.push(...(await Promise.all(page.gifts.slice(i, i + LOOKUPS).map((g) => email(g.participantId)))));
        }
        if (!started) {
          res.writeHead(200, {
            'content-type': 'text/csv; charset=utf-8',
            'content-disposition': `attachment; filename="event-${eventId}-gifts.csv"`,
            'cache-control': 'no-store',
          });
          res.write(row(['position', 'email', 'code', 'issuedAt', 'redeemedAt']));
          started = true;
        }
        const text = page.gifts
          .map((g, i) => row([g.position, emails[i], g.code, iso(g.issuedAtMs), iso(g.redeemedAtMs)]))
          .join('');
        if (text !== '' && !res.write(text)) await new Promise((resolve) => res.once('drain', resolve));
        pageToken = page.nextPageToken;
      } while (pageToken !== '');
      res.end();
    } catch (err) {
      if (res.headersSent) {
        logger.warn({ err, requestId }, 'gift export cut short');
        res.destroy();
        return;
      }
      const mapped = toGraphQLError(err, { logger, requestId });
      const code = String(mapped.extensions['code']);
      const status = { UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404, BAD_USER_INPUT: 400, UNAVAILABLE: 503 }[code] ?? 500;
      sendError(res, status, code, mapped.message, code === 'INTERNAL_SERVER_ERROR' ? { requestId } : {});
    }
  };

  /** true when it took the request. */
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const match = ROUTE.exec((req.url ?? '/').split('?')[0] ?? '/');
    if (!match) return false;
    if (req.method !== 'GET') {
      sendError(res, 405, 'BAD_REQUEST', 'the gift export is a GET', {}, { allow: 'GET' });
      return true;
    }
    void serve(req, res, match[1] as string);
    return true;
  };
}
