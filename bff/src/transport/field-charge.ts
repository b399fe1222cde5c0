import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestListener } from '@apollo/server';
import { GraphQLError, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import type { RequestContext } from '../graphql/context';
import { fragmentsOf, rootFieldCount } from '../graphql/limits';
import type { Admitter, Refusal } from './admission';

/** RATE_LIMITED with `retryAfterSeconds`; over HTTP also status 429 and `Retry-After` (Apollo drops `http` from the body). */
export function rateLimitedError({ message, retryAfterSeconds }: Refusal, overHttp = false): GraphQLError {
  const http = { status: 429, headers: new HeaderMap([['retry-after', String(retryAfterSeconds)]]) };
  return new GraphQLError(message, {
    extensions: overHttp ? { code: 'RATE_LIMITED', retryAfterSeconds, http } : { code: 'RATE_LIMITED', retryAfterSeconds },
  });
}

/**
 * Charges an operation's root fields to the rate limits before it runs: the refusal when over a
 * limit, else undefined. HTTP (the plugin below) and WebSocket (ws.ts) both come here, after the
 * document is resolved and before any executor sees it.
 */
export function chargeOperation(
  admitter: Admitter,
  context: RequestContext,
  document: DocumentNode,
  operation: OperationDefinitionNode,
): Promise<Refusal | undefined> {
  return admitter.chargeFields(context, rootFieldCount(operation, fragmentsOf(document)));
}

/** Apollo's side: `didResolveOperation` runs for every HTTP operation, whatever executes it afterwards. */
export function fieldChargePlugin(admitter: Admitter): ApolloServerPlugin<RequestContext> {
  const listener: GraphQLRequestListener<RequestContext> = {
    async didResolveOperation({ contextValue, document, operation }) {
      if (!operation) return;
      const refused = await chargeOperation(admitter, contextValue, document, operation);
      if (refused) throw rateLimitedError(refused, true);
    },
  };
  return { requestDidStart: () => Promise.resolve(listener) };
}
