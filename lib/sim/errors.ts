/**
 * Errors raised by the simulator. One class per failure, each with a stable `name` and `code`
 * spelled out (they survive minification and are what tests and the CLI match on, never the
 * message). Failures of the simulated protocol are not errors: they are recorded as violations in
 * the run report.
 */

/** The serialisable form of a simulator error. */
export interface SerializedSimError {
  name: string
  code: string
  message: string
}

/** Base class of every simulator error. */
export abstract class SimError extends Error {
  /** Stable identifier of the failure. */
  abstract readonly code: string

  /** The `{ name, code, message }` form, so `JSON.stringify` and logs keep the identity. */
  toJSON(): SerializedSimError {
    return { name: this.name, code: this.code, message: this.message }
  }
}

/** Run options or command-line arguments that cannot describe a run (bad counts, durations…). */
export class SimConfigError extends SimError {
  override readonly name = 'SimConfigError'
  readonly code = 'ERR_SIM_CONFIG'
}

/** A fault specification (`--faults LIST`) that does not follow the grammar of fault-spec.ts. */
export class FaultSpecError extends SimError {
  override readonly name = 'FaultSpecError'
  readonly code = 'ERR_SIM_FAULT_SPEC'

  /**
   * @param item - the offending item of the list, as written
   * @param reason - what is wrong with it
   */
  constructor(
    readonly item: string,
    reason: string,
  ) {
    super(`Fault "${item}": ${reason}`)
  }
}

/** No scenario of that name is registered. */
export class UnknownScenarioError extends SimError {
  override readonly name = 'UnknownScenarioError'
  readonly code = 'ERR_SIM_UNKNOWN_SCENARIO'

  /**
   * @param scenario - the requested name
   * @param known - the registered names, for the message
   */
  constructor(
    readonly scenario: string,
    known: readonly string[],
  ) {
    super(`No scenario "${scenario}"; known scenarios: ${known.join(', ') || '(none)'}.`)
  }
}

/** A second scenario was registered under a name already taken. */
export class DuplicateScenarioError extends SimError {
  override readonly name = 'DuplicateScenarioError'
  readonly code = 'ERR_SIM_DUPLICATE_SCENARIO'

  /** @param scenario - the name registered twice */
  constructor(readonly scenario: string) {
    super(`A scenario named "${scenario}" is already registered.`)
  }
}

/**
 * A simulated process misused its context: a timer with a negative or non-finite delay, a message
 * to a node that does not exist, a gossip fan-out that is not a count. This is a bug in the
 * process, so it is thrown into the process handler (and recorded as a violation of the run).
 */
export class SimUsageError extends SimError {
  override readonly name = 'SimUsageError'
  readonly code = 'ERR_SIM_USAGE'
}
