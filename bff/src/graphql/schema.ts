import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildSchema,
  GraphQLError,
  GraphQLScalarType,
  isObjectType,
  Kind,
  type GraphQLFieldResolver,
  type GraphQLSchema,
} from 'graphql';
import type { Resolvers } from './generated/resolvers-types';

/** The served schema: the public contract, kept next to the package (bff/schema.graphql). */
export const SCHEMA_PATH = join(__dirname, '..', '..', 'schema.graphql');

type FieldResolver = GraphQLFieldResolver<unknown, unknown>;
type FieldResolvers = FieldResolver | { resolve?: FieldResolver; subscribe?: FieldResolver };

function parseDateTime(value: unknown): number {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  throw new GraphQLError('DateTime must be an ISO-8601 date and time, e.g. "2030-01-01T09:00:00Z"', {
    extensions: { code: 'BAD_USER_INPUT' },
  });
}

/** Epoch milliseconds inside, ISO-8601 strings outside. */
const dateTime = {
  serialize(value: unknown): string {
    if (typeof value === 'number') return new Date(value).toISOString();
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'string') return new Date(parseDateTime(value)).toISOString();
    throw new GraphQLError('DateTime cannot represent this value');
  },
  parseValue: parseDateTime,
  parseLiteral(ast: { kind: string; value?: string }): number {
    if (ast.kind !== Kind.STRING || ast.value === undefined) throw new GraphQLError('DateTime must be a string');
    return parseDateTime(ast.value);
  },
};

/** Builds the executable schema: the SDL with resolvers and the DateTime scalar attached. */
export function buildExecutableSchema(resolvers: Resolvers, sdl: string = readFileSync(SCHEMA_PATH, 'utf8')): GraphQLSchema {
  // The generated types check each resolver against its field; attaching them needs only their shape.
  const byType = resolvers as Record<string, Record<string, FieldResolvers>>;
  const schema = buildSchema(sdl);
  const scalar = schema.getType('DateTime');
  if (scalar instanceof GraphQLScalarType) Object.assign(scalar, dateTime);
  for (const [typeName, fields] of Object.entries(byType)) {
    const type = schema.getType(typeName);
    if (!isObjectType(type)) throw new Error(`resolvers for unknown type ${typeName}`);
    const defined = type.getFields();
    for (const [fieldName, resolver] of Object.entries(fields)) {
      const field = defined[fieldName];
      if (!field) throw new Error(`resolver for unknown field ${typeName}.${fieldName}`);
      if (typeof resolver === 'function') field.resolve = resolver;
      else {
        if (resolver.resolve) field.resolve = resolver.resolve;
        if (resolver.subscribe) field.subscribe = resolver.subscribe;
      }
    }
  }
  return schema;
}
