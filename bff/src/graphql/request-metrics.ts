import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import { Kind, type GraphQLFormattedError, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import * as metrics from '../metrics';
import { PUBLIC_CODES } from './apollo';
import type { RequestContext } from './context';

/** The root fields of the schema: the only values `operation` takes besides `other`. */
export function rootFields(schema: GraphQLSchema): ReadonlySet<string> {
  const types = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()];
  return new Set(types.flatMap((type) => (type ? Object.keys(type.getFields()) : [])));
}

/** The operation's one root field (`__typename` aside) when it is a field of the schema; else `other`. */
export function operationLabel(operation: OperationDefinitionNode | undefined, allowed: ReadonlySet<string>): string {
  let name: string | undefined;
  for (const selection of operation?.selectionSet.selections ?? []) {
    if (selection.kind !== Kind.FIELD || selection.name.value === '__typename') continue;
    if (name !== undefined) return 'other';
    name = selection.name.value;
  }
  return name !== undefined && allowed.has(name) ? name : 'other';
}

/** `ok`, or the first error's code (formatError has already reduced it to a public one). */
export function outcomeLabel(errors: readonly GraphQLFormattedError[] | undefined): string {
  const code = errors?.[0]?.extensions?.['code'];
  if (errors === undefined || errors.length === 0) return 'ok';
  return typeof code === 'string' && PUBLIC_CODES.has(code) ? code : 'INTERNAL_SERVER_ERROR';
}

/**
 * Observes every GraphQL request Apollo answers (HTTP) into `fcfs_bff_request_duration_seconds`, from
 * its admission (the context's `receivedAt`) to the answer. One listener object serves every request.
 */
export function requestMetricsPlugin(schema: GraphQLSchema): ApolloServerPlugin<RequestContext> {
  const allowed = rootFields(schema);
  const listener: GraphQLRequestListener<RequestContext> = {
    willSendResponse({ operation, response, contextValue }) {
      const body = response.body;
      const errors = body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors;
      metrics.requestSeconds.observe(
        { operation: operationLabel(operation ?? undefined, allowed), outcome: outcomeLabel(errors) },
        (performance.now() - contextValue.receivedAt) / 1000,
      );
      return Promise.resolve();
    },
  };
  return { requestDidStart: () => Promise.resolve(listener) };
}
