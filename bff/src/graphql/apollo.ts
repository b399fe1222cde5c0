import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import type { Logger } from '@fcfs/kit';
import type { GraphQLFormattedError, GraphQLSchema, ValidationRule } from 'graphql';
import type { RequestContext } from './context';
import { CONTRACT_ERROR_CODES } from './errors';

/** Codes a caller may see: the contract's, and Apollo's for malformed GraphQL requests. */
export const PUBLIC_CODES: ReadonlySet<string> = new Set<string>([
  ...CONTRACT_ERROR_CODES,
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * The last line of defence for what leaves the server: a known code passes (without any
 * stack trace), anything else becomes a plain INTERNAL_SERVER_ERROR. Resolver errors are
 * already mapped and logged with their request id by the resolvers themselves.
 */
export function formatError(formatted: GraphQLFormattedError, logger: Logger): GraphQLFormattedError {
  const code = formatted.extensions?.['code'];
  if (typeof code === 'string' && PUBLIC_CODES.has(code)) {
    if (formatted.extensions && 'stacktrace' in formatted.extensions) {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions;
      return { ...formatted, extensions };
    }
    return formatted;
  }
  logger.error({ message: formatted.message, code }, 'unexpected error escaped the resolvers');
  return { message: 'internal error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

export interface ApolloOptions {
  schema: GraphQLSchema;
  production: boolean;
  validationRules: ValidationRule[];
  logger: Logger;
  plugins: ApolloServerPlugin<RequestContext>[];
  /** The APQ cache (hot-documents.ts: the hot query texts by hash, then clients' own registrations). */
  persistedQueriesCache?: KeyValueCache<string>;
}

/**
 * Apollo Server for our raw `http` integration: CSRF prevention on, no introspection in
 * production, and none of the plugins that cost time per request (landing page, cache
 * control, tracing, usage reporting) when they are not needed.
 */
export function createApollo({
  schema,
  production,
  validationRules,
  logger,
  plugins,
  persistedQueriesCache,
}: ApolloOptions): ApolloServer<RequestContext> {
  return new ApolloServer<RequestContext>({
    schema,
    introspection: !production,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    // Shutdown is ours (createShutdown, in order); Apollo's own handler would re-raise the signal mid-drain.
    stopOnTerminationSignals: false,
    hideSchemaDetailsFromClientErrors: production,
    validationRules,
    ...(persistedQueriesCache ? { persistedQueries: { cache: persistedQueriesCache } } : {}),
    // Bounds the parser's work before validation even starts.
    parseOptions: { maxTokens: 2_000 },
    formatError: (formatted) => formatError(formatted, logger),
    logger: {
      debug: (m: string) => logger.debug(m),
      info: (m: string) => logger.debug(m),
      warn: (m: string) => logger.warn(m),
      error: (m: string) => logger.error(m),
    },
    plugins: [
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      ...(production ? [ApolloServerPluginLandingPageDisabled()] : []),
      ...plugins,
    ],
  });
}
