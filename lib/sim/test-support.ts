/**
 * Test support for the simulator and for scenarios built on it (test code only: imports
 * fast-check). Arbitrary fault items for property tests, and a one-line scenario builder.
 */
import fc from 'fast-check'
import type { FaultItem } from './fault-spec'
import type { Scenario, ScenarioSetup, ScenarioWorld, SimProcess } from './types'

/** Arbitrary well-formed fault items (shared with the engine property test). */
export const faultItemArb: fc.Arbitrary<FaultItem> = fc.oneof(
  fc.record({
    name: fc.constantFrom('loss' as const, 'dup' as const),
    params: fc.record(
      {
        p: fc.double({ min: 0, max: 0.5, noNaN: true }).map((x) => Math.round(x * 1000) / 1000 + 0),
      },
      { requiredKeys: [] },
    ),
  }),
  fc.record({
    name: fc.constant('reorder' as const),
    params: fc.record(
      { p: fc.constantFrom(0.1, 0.5), ms: fc.integer({ min: 0, max: 300 }) },
      { requiredKeys: [] },
    ),
  }),
  fc.record({
    name: fc.constant('jitter' as const),
    params: fc.record(
      { ms: fc.integer({ min: 0, max: 200 }), at: fc.integer({ min: 0, max: 500 }) },
      { requiredKeys: [] },
    ),
  }),
  fc.record({
    name: fc.constant('partition' as const),
    params: fc.record(
      {
        groups: fc.integer({ min: 2, max: 4 }),
        times: fc.integer({ min: 1, max: 3 }),
        for: fc.integer({ min: 1, max: 2000 }),
      },
      { requiredKeys: [] },
    ),
  }),
  fc.record({
    name: fc.constant('crash' as const),
    params: fc.record(
      {
        n: fc.integer({ min: 1, max: 5 }),
        who: fc.constantFrom('validators', 'nodes', 'any'),
        lose: fc.constantFrom('all', 'none', 'some'),
        at: fc.integer({ min: 0, max: 1000 }),
      },
      { requiredKeys: [] },
    ),
  }),
  fc.record({
    name: fc.constant('churn' as const),
    params: fc.record(
      { rate: fc.constantFrom(0.5, 2, 5), down: fc.integer({ min: 1, max: 3000 }) },
      { requiredKeys: [] },
    ),
  }),
)

/** Items that may appear only once. */
export const onceItemsArb = fc
  .record(
    {
      restart: fc.record({
        name: fc.constant('restart' as const),
        params: fc.record({ after: fc.integer({ min: 0, max: 3000 }) }, { requiredKeys: [] }),
      }),
      skew: fc.record({
        name: fc.constant('skew' as const),
        params: fc.record(
          { ms: fc.integer({ min: 0, max: 800 }), drift: fc.constantFrom(10, 500) },
          { requiredKeys: [] },
        ),
      }),
      heal: fc.record({
        name: fc.constant('heal' as const),
        params: fc.record({ at: fc.integer({ min: 1000, max: 1500 }) }),
      }),
    },
    { requiredKeys: [] },
  )
  .map((o) => Object.values(o) as FaultItem[])

/**
 * A scenario from a world factory, for tests.
 *
 * @example
 * const s = scenarioOf('ping', () => ({ createProcess: () => new Ping() }))
 */
export function scenarioOf<P extends SimProcess<O>, O = unknown>(
  name: string,
  world: (setup: ScenarioSetup) => ScenarioWorld<P, O>,
): Scenario<P, O> {
  return { name, description: `test scenario ${name}`, setup: world }
}
