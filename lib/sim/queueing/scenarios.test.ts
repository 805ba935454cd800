import { describe, expect, it } from 'vitest'
import type { RouterFactory } from '../../mfn/types'
import { resolveQueueingConfig } from './config'
import { QUEUEING_DEFAULT_JOBS } from './constants'
import { QUEUEING_SCENARIOS, queueingScenario } from './scenarios'
import { runQueueing } from './simulate'

const randomRouter: RouterFactory = (random) => ({
  name: 'random',
  choose: (_job, candidates) => Math.floor(random.next() * candidates.length),
  feedback() {},
})

describe('queueing scenarios', () => {
  it('lists the six where learning should help and the five where it cannot', () => {
    const names = (learning: string) =>
      QUEUEING_SCENARIOS.filter((s) => s.learning === learning).map((s) => s.name)
    expect(names('should-help')).toEqual([
      'affinity',
      'heavy-tail',
      'wan-churn',
      'periodic',
      'fast-fail',
      'stale-many',
    ])
    expect(names('cannot-help')).toEqual([
      'homogeneous',
      'transient-slow',
      'flips',
      'swap',
      'overload',
    ])
    for (const s of QUEUEING_SCENARIOS) {
      expect(s.description.length).toBeGreaterThan(0)
      expect(s.description).not.toContain('\n')
    }
  })

  it('builds valid configs at the default size, with the documented parameters', () => {
    for (const s of QUEUEING_SCENARIOS) {
      const config = s.build()
      const resolved = resolveQueueingConfig(config)
      expect(resolved.jobs).toBe(QUEUEING_DEFAULT_JOBS)
      if (s.learning === 'should-help') {
        expect(resolved.load >= 0.8 && resolved.load <= 0.9).toBe(true)
      }
      if (s.name !== 'overload') expect(resolved.warmupMs).toBeGreaterThan(0)
    }
    const overload = resolveQueueingConfig(queueingScenario('overload').build())
    expect(overload.load).toBe(1.05)
    expect(overload.warmupMs).toBe(0)
    expect(queueingScenario('overload').note).toBeDefined()
    const stale = resolveQueueingConfig(queueingScenario('stale-many').build())
    expect(stale.routers).toBeGreaterThanOrEqual(20)
    expect(stale.gossipPeriodMs).toBeGreaterThanOrEqual(1000)
    const wan = resolveQueueingConfig(queueingScenario('wan-churn').build())
    expect(wan.rttMs).toEqual([5, 300])
    expect(wan.churn?.coldStartMs).toBeGreaterThan(0)
    const gpu = queueingScenario('affinity').build()
    expect(gpu.affinity).toEqual([{ server: 0, jobClass: 1, factor: 10 }])
    expect(resolveQueueingConfig(queueingScenario('homogeneous').build()).gossipPeriodMs).toBe(0)
  })

  it('keeps timed events inside the run when the size changes', () => {
    const small = queueingScenario('transient-slow').build({ jobs: 3000, servers: 10 })
    const slow = small.speeds[0]
    expect(small.servers).toBe(10)
    expect(small.speeds).toHaveLength(10)
    expect(slow?.kind).toBe('transient')
    const result = runQueueing(small, randomRouter, 1)
    if (slow?.kind === 'transient') {
      expect(slow.fromMs).toBeGreaterThan(small.warmupMs ?? 0)
      expect(slow.toMs).toBeLessThan(result.endTimeMs)
    }
  })

  it('runs every scenario at a small size with every job accounted for', () => {
    for (const s of QUEUEING_SCENARIOS) {
      const result = runQueueing(s.build({ jobs: 2000, servers: 10 }), randomRouter, 1)
      expect(result.completed + result.dropped).toBe(result.measuredJobs)
      expect(result.measuredJobs).toBeGreaterThan(1000)
    }
  })

  it('rejects bad sizes and unknown names with typed errors', () => {
    expect(() => queueingScenario('nope')).toThrow(
      expect.objectContaining({ name: 'UnknownQueueingScenarioError', scenario: 'nope' }),
    )
    for (const size of [{ jobs: 0 }, { jobs: 1.5 }, { servers: 1 }]) {
      expect(() => queueingScenario('swap').build(size)).toThrow(
        expect.objectContaining({ name: 'QueueingConfigError' }),
      )
    }
  })
})
