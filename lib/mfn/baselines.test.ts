import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { seededRandom, type Random } from '../ports'
import {
  PeakEwmaMetric,
  candidateLoad,
  leastLoaded,
  p2cPeakEwma,
  pickTwoDistinct,
  randomRouter,
  roundRobin,
  softmax,
} from './baselines'
import { FINAGLE_PENALTY } from './constants'
import { candidate, candidates, runFake, shareOf } from './test-support'
import type { JobView } from './types'

const JOB: JobView = { jobClass: 0, sizeHint: null }
const TAU = 10_000

describe('random and round-robin', () => {
  it('random spreads over every candidate', () => {
    const router = randomRouter()(seededRandom(3))
    const seen = new Set<number>()
    for (let i = 0; i < 200; i++) seen.add(router.choose(JOB, candidates(5), i))
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4])
  })

  it('round-robin visits every position once per cycle, from a seeded start', () => {
    const router = roundRobin()(seededRandom(4))
    const first = Array.from({ length: 6 }, (_, i) => router.choose(JOB, candidates(6), i))
    expect([...first].sort()).toEqual([0, 1, 2, 3, 4, 5])
    for (let i = 1; i < first.length; i++) expect(first[i]).toBe((first[i - 1]! + 1) % 6)
  })
})

describe('least-loaded', () => {
  it('compares the gossiped queue, never below own in-flight, and in-flight alone when nothing was heard', () => {
    expect(candidateLoad(candidate(1, { reportedQueue: 4, inFlight: 1 }))).toBe(4)
    expect(candidateLoad(candidate(1, { reportedQueue: 1, inFlight: 3 }))).toBe(3)
    expect(candidateLoad(candidate(1, { reportedQueue: null, inFlight: 2 }))).toBe(2)
  })

  it('picks the smallest load, uniformly among ties', () => {
    const views = [
      candidate(1, { reportedQueue: 3 }),
      candidate(2, { reportedQueue: 1 }),
      candidate(3, { reportedQueue: 5 }),
      candidate(4, { reportedQueue: 1 }),
    ]
    const router = leastLoaded()(seededRandom(5))
    const counts = [0, 0, 0, 0]
    for (let i = 0; i < 2000; i++) counts[router.choose(JOB, views, i)]!++
    expect(counts[0]).toBe(0)
    expect(counts[2]).toBe(0)
    expect(counts[1]).toBeGreaterThan(850)
    expect(counts[3]).toBeGreaterThan(850)
  })
})

describe('PeakEwmaMetric (Finagle PeakEwma.scala)', () => {
  it('costs 0 with no history and nothing pending, Penalty + pending with requests pending', () => {
    const m = new PeakEwmaMetric(TAU, 0)
    expect(m.load(0, 0)).toBe(0)
    expect(m.load(2, 0)).toBe(FINAGLE_PENALTY + 2)
    expect(FINAGLE_PENALTY).toBe(2 ** 47 - 1) // Long.MaxValue >> 16
  })

  it('resets to a peak at once: the first RTT, and any RTT above the cost', () => {
    const m = new PeakEwmaMetric(TAU, 0)
    m.observe(100, 0)
    expect(m.cost).toBe(100)
    expect(m.load(0, 0)).toBe(100)
    expect(m.load(1, 0)).toBe(200)
    m.observe(50, 1_000)
    m.observe(200, 1_000)
    expect(m.cost).toBe(200)
  })

  it('moves toward a lower RTT with weight e^(−Δt/τ): 100 then 50 one second later is 95.24187', () => {
    const m = new PeakEwmaMetric(TAU, 0)
    m.observe(100, 0)
    m.observe(50, 1_000)
    // 100·e^(−0.1) + 50·(1 − e^(−0.1)) = 90.48374 + 4.75813
    expect(m.cost).toBeCloseTo(95.24187, 5)
  })

  it('decays on read, and the read moves the stamp (so it changes the next EWMA step)', () => {
    const read = new PeakEwmaMetric(TAU, 0)
    read.observe(100, 0)
    expect(read.load(0, TAU)).toBeCloseTo(100 / Math.E, 9) // 36.7879
    expect(read.load(0, TAU)).toBeCloseTo(100 / Math.E, 9) // a second read at the same time: no change

    const a = new PeakEwmaMetric(TAU, 0)
    a.observe(100, 0)
    a.load(0, 5_000) // cost 60.6531, stamp 5 000
    a.observe(50, 10_000) // 60.6531·e^(−0.5) + 50·(1 − e^(−0.5)) = 36.7879 + 19.6735
    expect(a.cost).toBeCloseTo(56.4614, 4)

    const b = new PeakEwmaMetric(TAU, 0)
    b.observe(100, 0)
    b.observe(50, 10_000) // 100·e^(−1) + 50·(1 − e^(−1)) = 36.7879 + 31.6060
    expect(b.cost).toBeCloseTo(68.394, 4)
  })
})

describe('P2C + peak-EWMA', () => {
  it('draws two distinct indices, every ordered pair about equally often', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 64 }), fc.nat(), (n, seed) => {
        const random = seededRandom(seed)
        const out: [number, number] = [0, 0]
        for (let i = 0; i < 50; i++) {
          const [a, b] = pickTwoDistinct(random, n, out)
          expect(a).not.toBe(b)
          expect(a >= 0 && a < n && b >= 0 && b < n).toBe(true)
        }
      }),
    )
    const random = seededRandom(11)
    const counts = new Map<string, number>()
    const out: [number, number] = [0, 0]
    for (let i = 0; i < 12_000; i++) {
      const [a, b] = pickTwoDistinct(random, 4, out)
      counts.set(`${a}${b}`, (counts.get(`${a}${b}`) ?? 0) + 1)
    }
    expect(counts.size).toBe(12)
    for (const c of counts.values()) expect(Math.abs(c - 1000)).toBeLessThan(150)
  })

  it('never picks the strictly most loaded candidate (it always meets a distinct, lighter one)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 20 }), { minLength: 2, maxLength: 30 }),
        fc.nat(),
        (loads, seed) => {
          const max = Math.max(...loads)
          fc.pre(loads.filter((l) => l === max).length === 1)
          const router = p2cPeakEwma()(seededRandom(seed))
          const views = loads.map((l, i) => candidate(i, { inFlight: l }))
          // Give every candidate the same latency history, so load = cost × (pending + 1).
          views.forEach((c) =>
            router.feedback({ candidate: c.id, job: JOB, latencyMs: 10, ok: true, now: 0 }),
          )
          for (let i = 0; i < 20; i++) expect(loads[router.choose(JOB, views, 0)]).not.toBe(max)
        },
      ),
    )
  })

  it('penalises a candidate with requests pending and no history: always the other of two', () => {
    const router = p2cPeakEwma()(seededRandom(2))
    const views = [candidate(1, { inFlight: 1 }), candidate(2, { inFlight: 5 })]
    router.feedback({ candidate: 2, job: JOB, latencyMs: 1_000, ok: true, now: 0 })
    for (let i = 0; i < 50; i++) expect(router.choose(JOB, views, i)).toBe(1)
  })

  it('counts failures as latency observations, as Finagle does: a fast-failing peer looks best', () => {
    const router = p2cPeakEwma()(seededRandom(2))
    const views = [candidate(1), candidate(2)]
    router.feedback({ candidate: 1, job: JOB, latencyMs: 1, ok: false, now: 0 })
    router.feedback({ candidate: 2, job: JOB, latencyMs: 50, ok: true, now: 0 })
    for (let i = 0; i < 20; i++) expect(router.choose(JOB, views, 0)).toBe(0)
  })

  it('takes τ as an option (the tuned variant) and names it', () => {
    expect(p2cPeakEwma()(seededRandom(1)).name).toBe('p2c-pewma')
    expect(p2cPeakEwma({ decayTimeMs: 2_000 })(seededRandom(1)).name).toBe('p2c-pewma/2000ms')
  })
})

describe('softmax bandit', () => {
  const FAST_FOR_CLASS_1 = [0, 1, 2, 3, 4].map((i) => ({
    latencyMs: (c: number) => (i === 3 && c === 1 ? 10 : 100),
  }))

  it('learns from zero weights to send class-1 jobs to the executor that is 10× faster for them', () => {
    const zero = { latency: 0, load: 0, reliability: 0, speed: 0, service: 0, affinity: 0 }
    const learner = softmax({ weights: zero, learningRate: 0.05 })(seededRandom(1))
    const run = runFake(learner, FAST_FOR_CLASS_1, 3000, 1)
    const early = shareOf(run, 3, 0, 40, 1)
    const late = shareOf(run, 3, 2500, 3000, 1)
    expect(late).toBeGreaterThan(0.6)
    expect(late).toBeGreaterThan(early)
    expect(learner.weights().latency).toBeGreaterThan(0.5)

    const fixed = softmax({ weights: zero, learning: false })(seededRandom(1))
    const blind = shareOf(runFake(fixed, FAST_FOR_CLASS_1, 3000, 1), 3, 2500, 3000, 1)
    expect(blind).toBeLessThan(0.35)
    expect(late).toBeGreaterThan(blind + 0.3)
  })
})

describe('seeded randomness', () => {
  it('the baselines draw only from their port', () => {
    let draws = 0
    const counting = (seed: number): Random => {
      const r = seededRandom(seed)
      return { next: () => (draws++, r.next()) }
    }
    randomRouter()(counting(1)).choose(JOB, candidates(3), 0)
    expect(draws).toBe(1)
    p2cPeakEwma()(counting(1)).choose(JOB, candidates(3), 0)
    expect(draws).toBe(3)
    p2cPeakEwma()(counting(1)).choose(JOB, candidates(1), 0)
    expect(draws).toBe(3)
  })
})
