// The chaos suite as a library: the CLI (cli.ts) and the short version in `npm test` use it.
export { runChaos, resultTable, startShape, type ChaosOptions, type ChaosResult } from './run';
export { measureFailover } from './failover';
export { FAULTS, faultsNamed, type Fault } from './faults';
export { checkRound, INVARIANTS, type RoundFacts } from './checks';
