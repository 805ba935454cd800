/**
 * The scenario registry: name → scenario (process factory + invariants + metrics). The CLI runs
 * whatever is registered; scenarios/index.ts builds the default registry, and a new protocol
 * (consensus, ledger) becomes runnable by registering one more scenario there.
 */
import { DuplicateScenarioError, UnknownScenarioError } from './errors'
import type { Scenario, SimProcess } from './types'

/**
 * Any scenario, whatever its process and output types. Scenarios are only ever run through
 * `runSeed`, which keeps the two types consistent, so the registry may forget them.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyScenario = Scenario<SimProcess<any>, any>

/** A set of scenarios by name. */
export class ScenarioRegistry {
  private readonly scenarios = new Map<string, AnyScenario>()

  /** Adds a scenario; throws `DuplicateScenarioError` if the name is taken. Returns `this`. */
  register(scenario: AnyScenario): this {
    if (this.scenarios.has(scenario.name)) throw new DuplicateScenarioError(scenario.name)
    this.scenarios.set(scenario.name, scenario)
    return this
  }

  /** The scenario called `name`; throws `UnknownScenarioError` if none is. */
  get(name: string): AnyScenario {
    const s = this.scenarios.get(name)
    if (s === undefined) throw new UnknownScenarioError(name, this.names())
    return s
  }

  /** Registered names, sorted. */
  names(): string[] {
    return [...this.scenarios.keys()].sort()
  }

  /** Registered scenarios, sorted by name. */
  list(): AnyScenario[] {
    return this.names().map((n) => this.get(n))
  }
}
