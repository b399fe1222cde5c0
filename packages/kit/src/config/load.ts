import { z } from 'zod';

/**
 * Parses the environment once against a zod schema. On any problem it prints every
 * issue (not just the first) and exits non-zero: a service never starts half-configured.
 * Nothing else in the codebase reads `process.env`.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
  { exit = true }: { exit?: boolean } = {},
): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const message = describeProblems(result.error.issues);
  if (!exit) throw new Error(message);
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/** One line per problem, each naming its variable, so an operator fixes them all in one go. */
export function describeProblems(issues: readonly z.core.$ZodIssue[]): string {
  const lines = issues.map((issue) => {
    const key = issue.path.join('.') || '(environment)';
    return `  ${key}: ${issue.message}`;
  });
  return `invalid configuration:\n${lines.join('\n')}`;
}
