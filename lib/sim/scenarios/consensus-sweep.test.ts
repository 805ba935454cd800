/**
 * The consensus seed sweep: 2,000 seeds of random fault lists (loss, duplication, reordering,
 * jitter, partitions healing, crash / restart with and without losing unsynced storage, skew,
 * churn) with at most f = 1 Byzantine validator of 4 (plus 1 plain node): random behaviours,
 * each behaviour on its own, none, and the core's default round timeouts. No invariant may break,
 * and liveness must return within the deadline after every heal. The families run on two cores
 * (child processes, see consensus/sweep.ts): vitest gives a 2-core machine one worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  sweepInParallel,
  sweepSummary,
  type FamilyResult,
  type SweepFamily,
} from './consensus/sweep'

const chunks = (
  name: string,
  from: number,
  to: number,
  size: number,
  rest: Omit<SweepFamily, 'name' | 'from' | 'to'>,
): SweepFamily[] => {
  const out: SweepFamily[] = []
  for (let a = from; a <= to; a += size)
    out.push({ name, from: a, to: Math.min(to, a + size - 1), ...rest })
  return out
}

const behaviours = ['equivocate', 'withhold', 'invalid', 'lie-time', 'twins'] as const
const families: SweepFamily[] = [
  ...chunks('random-byzantine', 1, 700, 175, { byzantine: 1 }),
  ...chunks('random-honest', 1, 300, 150, { byzantine: 0 }),
  ...behaviours.flatMap((behaviour, i) =>
    chunks(behaviour, 10_000 * (i + 1) + 1, 10_000 * (i + 1) + 180, 90, {
      byzantine: 1,
      behaviour,
    }),
  ),
  ...chunks('deployment-timeouts', 60_001, 60_100, 50, { byzantine: 1, timeouts: 'deployment' }),
]

/** Against a hung run only: the sweep asserts no timing. */
const LIMIT_MS = 1_200_000
let results: FamilyResult[] = []

describe('consensus sweep: 2,000 seeds, at most f Byzantine validators, every heal recovers', () => {
  beforeAll(async () => {
    results = await sweepInParallel(families)
  }, LIMIT_MS)

  it('covers at least 2,000 seeds', () => {
    expect(results.reduce((n, r) => n + r.seeds, 0)).toBeGreaterThanOrEqual(2_000)
  })

  families.forEach((f, i) => {
    const what =
      f.behaviour ??
      (f.byzantine === 0 ? 'no Byzantine validator' : 'Byzantine behaviour from the seed')
    it(`${f.name} (${what}): seeds ${f.from}..${f.to}`, () => {
      const r = results[i] as FamilyResult
      expect(r.seeds).toBe(f.to - f.from + 1)
      expect(
        r.failures.map(
          (x) => `seed ${x.seed}: [${x.violation.invariant}] ${x.violation.message}\n  ${x.replay}`,
        ),
      ).toEqual([])
    })
  })

  afterAll(() => {
    if (results.length > 0) console.log(sweepSummary('', results))
  })
})
