export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * Delay before the next try after `attempt` tries (1-based): exponential, capped, with "equal jitter"
 * (half fixed, half random) so that sends failing together (an outage, a reset) do not retry in lockstep.
 */
export function retryDelayMs(attempt: number, { baseMs, maxMs }: BackoffPolicy, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const ceiling = Math.min(maxMs, baseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
