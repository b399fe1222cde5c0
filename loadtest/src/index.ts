// The thundering-herd benchmark as a library: the CLI (main.ts) and the smoke test both use it.
export { parseOptions, defaultOptions, USAGE, type BenchmarkOptions, type Scenario } from './options';
export { runBenchmark, resultTable, writeResults, fileStamp } from './run';
export { attachTarget, launchTarget, LOADTEST_ENV, type Target } from './target';
export { terminalProgress, silentProgress, type Progress } from './progress';
export { mintTokens, type MintedToken } from './tokens';
export type { BenchmarkResult, HerdResult, SigninResult } from './result';
export { graphql, GraphQLRequestError } from './graphql';
