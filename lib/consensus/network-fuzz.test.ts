import { describe, expect, it } from 'vitest'
import { byzantineScenario, crashScenario } from './testing/scenarios'

/** Seeds that once broke liveness, kept as named regressions (docs/consensus.md, "re-broadcast"). */
const CRASH_REGRESSIONS = [38, 53, 123]
const BYZANTINE_REGRESSIONS = [12, 366, 384]

describe('seeded network scenarios', () => {
  it('crashes, restarts, loss, duplication, reordering and skew: agreement and progress', () => {
    for (const seed of [...CRASH_REGRESSIONS, ...Array.from({ length: 20 }, (_, i) => 1_000 + i)]) {
      const result = crashScenario(seed)
      expect(result, `seed ${seed}`).toMatchObject({ problems: [] })
    }
  })

  it('equivocating validators under 1/3 and partitions: agreement, evidence, progress after healing', () => {
    let evidence = 0
    for (const seed of [
      ...BYZANTINE_REGRESSIONS,
      ...Array.from({ length: 20 }, (_, i) => 2_000 + i),
    ]) {
      const result = byzantineScenario(seed)
      expect(result, `seed ${seed}`).toMatchObject({ problems: [] })
      evidence += result.evidence
    }
    expect(evidence).toBeGreaterThan(0)
  })
})
