/**
 * The scenarios the CLI knows. To make a protocol runnable, export a `Scenario` from a module of
 * this folder and register it here, e.g. `registry.register(consensusScenario)`.
 */
import { ScenarioRegistry } from '../registry'
import { consensus } from './consensus'
import { toyCounter } from './toy-counter'

/** A registry holding every built-in scenario. */
export function defaultScenarios(): ScenarioRegistry {
  return new ScenarioRegistry().register(toyCounter).register(consensus)
}
