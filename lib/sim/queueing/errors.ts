/**
 * Errors of the queueing simulator. Each has a stable `name` and `code` (what tests and the bench
 * match on, never the message). They extend the simulator's `SimError`, so `toJSON()` gives the
 * `{ name, code, message }` form that crosses a worker boundary.
 */
import { SimError } from '../errors'

/** A `QueueingConfig` (or a scenario size override) that cannot describe a run. */
export class QueueingConfigError extends SimError {
  override readonly name = 'QueueingConfigError'
  readonly code = 'ERR_QUEUEING_CONFIG'
}

/** A router broke the routing contract (lib/mfn/types.ts): `choose` returned no valid index. */
export class QueueingRouterError extends SimError {
  override readonly name = 'QueueingRouterError'
  readonly code = 'ERR_QUEUEING_ROUTER'
}

/** A statistics helper was given an argument outside its domain (a quantile outside [0, 1]). */
export class QueueingStatsError extends SimError {
  override readonly name = 'QueueingStatsError'
  readonly code = 'ERR_QUEUEING_STATS'
}

/** No queueing scenario of that name exists. */
export class UnknownQueueingScenarioError extends SimError {
  override readonly name = 'UnknownQueueingScenarioError'
  readonly code = 'ERR_QUEUEING_UNKNOWN_SCENARIO'

  /**
   * @param scenario - the requested name
   * @param known - the existing names, for the message
   */
  constructor(
    readonly scenario: string,
    known: readonly string[],
  ) {
    super(`No queueing scenario "${scenario}"; known scenarios: ${known.join(', ')}.`)
  }
}
