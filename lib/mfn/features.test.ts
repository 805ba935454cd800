import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { OptionReader } from './options'
import {
  FEATURE,
  FEATURE_COUNT,
  FEATURE_OPTION_KEYS,
  FeatureTracker,
  centre,
  readFeatureConfig,
  type FeatureInit,
} from './features'
import { candidate } from './test-support'
import type { CandidateView, JobView } from './types'

function tracker(init: FeatureInit = {}): FeatureTracker<null> {
  const config = readFeatureConfig(new OptionReader('test', init, FEATURE_OPTION_KEYS))
  return new FeatureTracker(config, () => null)
}

const JOB: JobView = { jobClass: 0, sizeHint: null }

/** Feature `k` of every candidate, as a plain array. */
function column(
  t: FeatureTracker<null>,
  job: JobView,
  cs: CandidateView[],
  now: number,
  k: number,
): number[] {
  const f = t.compute(job, cs, now).features
  return cs.map((_, i) => f[i * FEATURE_COUNT + k]!)
}

function ok(t: FeatureTracker<null>, id: number, latencyMs: number, now: number, job = JOB): void {
  t.observe({ candidate: id, job, latencyMs, ok: true, now }, 0, 0)
}

describe('centre', () => {
  it('leaves every column with mean 0 and turns unknowns into exactly 0', () => {
    const cell = fc.oneof(fc.double({ min: -10, max: 10, noNaN: true }), fc.constant(NaN))
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 6, maxLength: 6 }), { minLength: 1, maxLength: 30 }),
        (rows) => {
          const n = rows.length
          const f = Float64Array.from(rows.flat())
          const unknown = rows.flat().map((v) => Number.isNaN(v))
          centre(f, n, new Float64Array(FEATURE_COUNT), new Float64Array(FEATURE_COUNT))
          for (let k = 0; k < FEATURE_COUNT; k++) {
            let sum = 0
            for (let i = 0; i < n; i++) sum += f[i * FEATURE_COUNT + k]!
            expect(Math.abs(sum)).toBeLessThan(1e-9 * n * 10)
          }
          unknown.forEach((u, j) => {
            if (u) expect(f[j]).toBe(0)
          })
        },
      ),
    )
  })
})

describe('FeatureTracker', () => {
  it('predicts latency from Vivaldi RTT before any outcome, and ignores it with coordinates off', () => {
    const cs = [candidate(1, { predictedRttMs: 10 }), candidate(2, { predictedRttMs: 100 })]
    const [near, far] = column(tracker(), JOB, cs, 0, FEATURE.latency)
    expect(near! - far!).toBeCloseTo(Math.log(10), 9)
    expect(column(tracker({ coordinates: false }), JOB, cs, 0, FEATURE.latency)).toEqual([0, 0])
  })

  it('gives unknown values the neutral 0: null RTT, null capacity, no reliability history', () => {
    const cs = [
      candidate(1, { predictedRttMs: 10, capacity: 2 }),
      candidate(2, { predictedRttMs: null, capacity: null }),
      candidate(3, { predictedRttMs: 40, capacity: 0.5 }),
    ]
    const t = tracker()
    expect(column(t, JOB, cs, 0, FEATURE.latency)[1]).toBeCloseTo(
      // the unknown RTT is filled with the mean of the known ones: between the two
      -Math.log(25) + (Math.log(10) + Math.log(40) + Math.log(25)) / 3,
      9,
    )
    expect(column(t, JOB, cs, 0, FEATURE.speed)[1]).toBe(0)
    expect(column(t, JOB, cs, 0, FEATURE.reliability)).toEqual([0, 0, 0])
    expect(column(t, JOB, cs, 0, FEATURE.affinity)).toEqual([0, 0, 0])
  })

  it('learns latency from outcomes: the faster executor scores higher, by the log of the ratio', () => {
    const t = tracker({ coordinates: false })
    const cs = [candidate(1), candidate(2)]
    for (let i = 0; i < 50; i++) {
      ok(t, 1, 10, i)
      ok(t, 2, 40, i)
    }
    const [fast, slow] = column(t, JOB, cs, 50, FEATURE.latency)
    expect(fast! - slow!).toBeCloseTo(Math.log(4), 2)
  })

  it('forgets: an estimate not fed for many forgetMs returns to the router-wide mean', () => {
    const t = tracker({ coordinates: false, forgetMs: 1_000 })
    const cs = [candidate(1), candidate(2)]
    for (let i = 0; i < 20; i++) {
      ok(t, 1, 10, 0)
      ok(t, 2, 40, 0)
    }
    const [fast, slow] = column(t, JOB, cs, 100_000, FEATURE.latency)
    expect(Math.abs(fast! - slow!)).toBeLessThan(1e-9)
  })

  it('catches fast failures in reliability, not in latency', () => {
    const t = tracker({ coordinates: false })
    const cs = [candidate(1), candidate(2)]
    for (let i = 0; i < 20; i++) {
      t.observe({ candidate: 1, job: JOB, latencyMs: 1, ok: false, now: i }, 0, 0)
      ok(t, 2, 50, i)
    }
    const rel = column(t, JOB, cs, 20, FEATURE.reliability)
    expect(rel[0]! - rel[1]!).toBeLessThan(-2)
    // no successful outcome on 1: its latency is the router's mean, i.e. 2's
    const lat = column(t, JOB, cs, 20, FEATURE.latency)
    expect(Math.abs(lat[0]! - lat[1]!)).toBeLessThan(1e-9)
  })

  it('uses per-class history and scores affinity for the class an executor is fast at', () => {
    const t = tracker({ coordinates: false })
    const cs = [candidate(1), candidate(2)]
    const c0: JobView = { jobClass: 0, sizeHint: null }
    const c1: JobView = { jobClass: 1, sizeHint: null }
    for (let i = 0; i < 40; i++) {
      ok(t, 1, 100, i, c0)
      ok(t, 1, 10, i, c1)
      ok(t, 2, 50, i, c0)
      ok(t, 2, 50, i, c1)
    }
    const lat1 = column(t, c1, cs, 40, FEATURE.latency)
    const lat0 = column(t, c0, cs, 40, FEATURE.latency)
    expect(lat1[0]).toBeGreaterThan(lat1[1]!)
    expect(lat0[0]).toBeLessThan(lat0[1]!)
    const aff = column(t, c1, cs, 40, FEATURE.affinity)
    expect(aff[0]).toBeGreaterThan(aff[1]!)
  })

  it('favours faster executors for big jobs (size hint ÷ capacity), and ignores sizes without a hint', () => {
    const t = tracker()
    ok(t, 3, 100, 0) // the router's typical latency: 100 ms (the scale of service times)
    const cs = [candidate(1, { capacity: 4 }), candidate(2, { capacity: 1 })]
    const big = column(t, { jobClass: 0, sizeHint: 10_000 }, cs, 0, FEATURE.service)
    const small = column(t, { jobClass: 0, sizeHint: 1 }, cs, 0, FEATURE.service)
    expect(big[0]! - big[1]!).toBeGreaterThan(small[0]! - small[1]!)
    expect(small[0]!).toBeGreaterThan(small[1]!)
    expect(column(t, JOB, cs, 0, FEATURE.service)).toEqual([0, 0])
  })

  it('counts own in-flight exactly and trusts a gossiped queue less as it ages', () => {
    const t = tracker({ reportStaleMs: 100 })
    const fresh = [
      candidate(1, { inFlight: 1, reportedQueue: 9, reportAgeMs: 0 }),
      candidate(2, { inFlight: 1, reportedQueue: 1, reportAgeMs: 0 }),
    ]
    const [a, b] = column(t, JOB, fresh, 0, FEATURE.load)
    expect(a! - b!).toBeCloseTo(-Math.log(10 / 2), 9)
    const stale = fresh.map((c) => ({ ...c, reportAgeMs: 10_000 }))
    const [c, d] = column(t, JOB, stale, 0, FEATURE.load)
    expect(Math.abs(c! - d!)).toBeLessThan(1e-9)
    const own = [candidate(1, { inFlight: 3 }), candidate(2, { inFlight: 0 })]
    const [e, g] = column(t, JOB, own, 0, FEATURE.load)
    expect(e! - g!).toBeCloseTo(-Math.log(4), 9)
  })
})
