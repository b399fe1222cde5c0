import { parseCommand, UsageError, USAGE, type Command } from './args';
import { loadOpsConfig } from './config';
import { createContext, type OpsContext, type Output } from './context';
import { listDeadLetters, replayDeadLetters } from './dlq';
import { listFailedEmails, redriveEmails } from './emails';
import { reconcileEvent } from './reconcile';
import { exportWinners } from './winners';

/** Exit codes: 0 done, 1 the command failed, 2 a bad command line, 3 `reconcile` found Redis and MySQL apart. */
export const EXIT = { ok: 0, failed: 1, usage: 2, inconsistent: 3 } as const;

type Handler<N extends Command['name']> = (
  ctx: OpsContext,
  command: Extract<Command, { name: N }>,
  output: Output,
) => Promise<number>;

const done =
  <N extends Command['name']>(
    f: (ctx: OpsContext, command: Extract<Command, { name: N }>, output: Output) => Promise<unknown>,
  ): Handler<N> =>
  async (ctx, command, output) => {
    await f(ctx, command, output);
    return EXIT.ok;
  };

const HANDLERS: { [N in Command['name']]: Handler<N> } = {
  'dlq list': done(listDeadLetters),
  'dlq replay': done(replayDeadLetters),
  'emails failed': done(listFailedEmails),
  'emails redrive': done(redriveEmails),
  reconcile: async (ctx, command, output) => {
    const { before, after } = await reconcileEvent(ctx, command, output);
    return (after ?? before).consistent ? EXIT.ok : EXIT.inconsistent;
  },
  winners: done(exportWinners),
};

function execute(ctx: OpsContext, command: Command, output: Output): Promise<number> {
  // The map's type pairs each name with its command; TypeScript cannot follow that through a union lookup.
  return (HANDLERS[command.name] as Handler<Command['name']>)(ctx, command as never, output);
}

/**
 * One command line, start to end: parse it, read the configuration, run, close every client. Never throws
 * and never prints a stack: what went wrong is one line on `err`, and the exit code says what kind it was.
 */
export async function run(argv: string[], environment: Record<string, string | undefined>, output: Output): Promise<number> {
  let command: Command | 'help';
  try {
    command = parseCommand(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    output.err(`ops: ${err.message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (command === 'help') {
    // Asked for: the usage is the answer (stdout, 0); no command at all: it is the complaint (stderr, 2).
    if (argv.length > 0) output.out(USAGE);
    else output.err(USAGE);
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  let ctx: OpsContext;
  try {
    ctx = createContext(loadOpsConfig(environment));
  } catch (err) {
    output.err(`ops: ${(err as Error).message}`);
    return EXIT.failed;
  }
  try {
    return await execute(ctx, command, output);
  } catch (err) {
    output.err(`ops ${command.name} failed: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT.failed;
  } finally {
    await ctx.close().catch(() => undefined);
  }
}

/** A command run with its output kept as lines: what the integration tests (and a calling script) read. */
export async function runCaptured(
  argv: string[],
  environment: Record<string, string | undefined>,
): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, environment, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}
