import { z } from 'zod';
import { env } from './env';

/** Environment variables by name, each with the zod schema that reads it. */
export type EnvShape = Record<string, z.ZodType>;
export type ParsedEnv<S extends EnvShape> = z.output<z.ZodObject<S>>;

export interface ReadContext {
  /** `NODE_ENV=production`: no development defaults for secrets and endpoints. */
  production: boolean;
  /** Records a problem with one variable; reading goes on, so every problem is printed at once. */
  problem(variable: string, message: string): void;
}

/**
 * One group of settings: the variables it reads and the typed, nested value it makes of them.
 * A part's config is a set of fragments (`defineConfig`); shared ones live in the kit, so each
 * variable is declared, validated and defaulted in one place.
 */
export interface Fragment<S extends EnvShape, T> {
  readonly shape: S;
  // A method, not a property: a fragment over more variables still counts as a Fragment<EnvShape, T>.
  read(env: ParsedEnv<S>, context: ReadContext): T;
}

export type SettingsOf<F> = F extends Fragment<EnvShape, infer T> ? T : never;

export function fragment<S extends EnvShape, T>(shape: S, read: (env: ParsedEnv<S>, context: ReadContext) => T): Fragment<S, T> {
  return { shape, read };
}

type RawEnv<N extends string> = Record<N, z.ZodOptional<z.ZodString>>;

/**
 * A variable that was renamed: the old name keeps working, the new one wins, and the two set to
 * different values is a problem (an operator who half-migrated would otherwise get one silently).
 */
export function renamed<N extends string, O extends string, T>(
  name: N,
  deprecatedName: O,
  schema: z.ZodType<T, string | undefined>,
): Fragment<RawEnv<N | O>, T> {
  const raw = z.string().optional();
  const shape = { [name]: raw, [deprecatedName]: raw } as unknown as RawEnv<N | O>;
  return fragment(shape, (parsed, context) => {
    const e = parsed as Record<string, string | undefined>;
    const value = e[name];
    const old = e[deprecatedName];
    if (value !== undefined && old !== undefined && value !== old) {
      context.problem(name, `differs from ${deprecatedName} (its deprecated name): set one of them`);
    }
    const variable = value === undefined && old !== undefined ? deprecatedName : name;
    const result = schema.safeParse(value ?? old);
    if (result.success) return result.data;
    for (const issue of result.error.issues) context.problem(variable, issue.message);
    return undefined as T;
  });
}

const runtime = fragment({ NODE_ENV: env.nodeEnv, LOG_LEVEL: env.logLevel }, (e) => ({
  nodeEnv: e.NODE_ENV,
  logLevel: e.LOG_LEVEL,
}));

export type Runtime = SettingsOf<typeof runtime>;
export type ConfigOf<F extends Record<string, Fragment<EnvShape, unknown>>> = Runtime & { [K in keyof F]: SettingsOf<F[K]> };

/** One shape from many; a variable two fragments share must be the same schema object. */
function mergeShapes(fragments: Fragment<EnvShape, unknown>[]): EnvShape {
  const shape: EnvShape = {};
  for (const f of fragments) {
    for (const [variable, schema] of Object.entries(f.shape)) {
      if (shape[variable] !== undefined && shape[variable] !== schema) {
        throw new Error(`config: ${variable} is declared twice with different rules`);
      }
      shape[variable] = schema;
    }
  }
  return shape;
}

/**
 * A part's config schema: a zod object over every variable it reads (so deploy/k8s tests can list
 * them), turned into `{ nodeEnv, logLevel, ...one key per fragment }`.
 */
export function defineConfig<F extends Record<string, Fragment<EnvShape, unknown>>>(fragments: F) {
  const all = Object.values(fragments);
  const shape = mergeShapes([runtime, ...all]);
  const contextOf = (e: Record<string, unknown>, ctx: z.RefinementCtx): ReadContext => ({
    production: e['NODE_ENV'] === 'production',
    problem: (variable, message) => ctx.addIssue({ code: 'custom', path: [variable], message }),
  });
  return (
    z
      .object(shape)
      // Zod skips the transform once a variable is malformed: the rules of the fragments whose own
      // variables are fine run here instead, so one start prints every problem.
      .superRefine(
        (e, ctx) => {
          const malformed = new Set(ctx.issues.map((issue) => issue.path?.[0]));
          if (malformed.size === 0) return;
          const context = contextOf(e, ctx);
          for (const f of all.filter((f) => Object.keys(f.shape).every((k) => !malformed.has(k)))) f.read(e, context);
        },
        { when: () => true },
      )
      .transform((e, ctx): ConfigOf<F> => {
        const context = contextOf(e, ctx);
        const settings = Object.fromEntries(Object.entries(fragments).map(([key, f]) => [key, f.read(e, context)]));
        return { ...runtime.read(e as ParsedEnv<typeof runtime.shape>, context), ...settings } as ConfigOf<F>;
      })
  );
}
