import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { seededRandom } from '../ports'
import { p2cPeakEwma } from './baselines'
import { MFN_DEFAULTS } from './constants'
import { mfn, type MfnInit } from './router'
import { candidate, candidates, runFake, shareOf } from './test-support'
import type { CandidateView, JobView } from './types'

const JOB: JobView = { jobClass: 0, sizeHint: null }
/** Every mechanism but the one under test switched off, so nothing else spreads the choices. */
const QUIET: MfnInit = { noise: false, learning: false, refractory: false, adaptation: false }
const ZERO = { latency: 0, load: 0, reliability: 0, speed: 0, service: 0, affinity: 0 }

const view = fc.record({
  predictedRttMs: fc.option(fc.double({ min: 0, max: 400, noNaN: true })),
  inFlight: fc.nat({ max: 8 }),
  reportedQueue: fc.option(fc.nat({ max: 20 })),
  reportAgeMs: fc.double({ min: 0, max: 5_000, noNaN: true }),
  capacity: fc.option(fc.double({ min: 0.1, max: 10, noNaN: true })),
})

describe('MFN router: the race', () => {
  it('without noise, on a fresh router, picks the candidate with the largest input current (property)', () => {
    fc.assert(
      fc.property(fc.array(view, { minLength: 1, maxLength: 40 }), fc.nat(), (fields, seed) => {
        const router = mfn({ noise: false })(seededRandom(seed))
        const views: CandidateView[] = fields.map((f, i) => ({ id: i, ...f }))
        const chosen = router.choose({ jobClass: 1, sizeHint: 50 }, views, 1_000)
        const inputs = router.snapshot(1_000).neurons.map((n) => n.lastInput!)
        expect(inputs[chosen]! >= Math.max(...inputs)).toBe(true)
      }),
    )
  })

  it('refractoriness: within t_ref the last winner cannot fire, so a burst spreads', () => {
    const views = [candidate(1, { capacity: 1.2 }), candidate(2), candidate(3)]
    const withRefractory = mfn({ ...QUIET, refractory: true })(seededRandom(1))
    const burst = [0, 0.1, 0.2].map((t) => withRefractory.choose(JOB, views, t))
    expect(burst[0]).toBe(0) // the best candidate first
    expect(new Set(burst).size).toBe(3)
    // Everybody refractory: the one that recovers first.
    expect(withRefractory.choose(JOB, views, 0.3)).toBe(0)
    const snap = withRefractory.snapshot(0.3)
    expect(snap.neurons[0]!.refractoryUntilMs).toBeCloseTo(0.3 + MFN_DEFAULTS.refractoryMs, 9)

    const argmax = mfn(QUIET)(seededRandom(1))
    expect([0, 0.1, 0.2, 0.3].map((t) => argmax.choose(JOB, views, t))).toEqual([0, 0, 0, 0])
  })

  it('adaptive thresholds: each spike raises the winner’s threshold, which spreads later decisions and relaxes back', () => {
    const views = [candidate(1, { capacity: 1.05 }), candidate(2), candidate(3)]
    const adaptive = mfn({ ...QUIET, adaptation: true })(seededRandom(1))
    const choices = Array.from({ length: 30 }, (_, i) => adaptive.choose(JOB, views, 5 * i))
    expect(new Set(choices).size).toBe(3)
    const snap = adaptive.snapshot(150)
    for (const n of snap.neurons) {
      expect(n.threshold).toBeGreaterThan(MFN_DEFAULTS.threshold)
      expect(n.threshold).toBeLessThanOrEqual(MFN_DEFAULTS.threshold + MFN_DEFAULTS.thresholdMax)
    }
    const later = adaptive.snapshot(150 + 50 * MFN_DEFAULTS.thresholdTauMs)
    for (const n of later.neurons) expect(n.threshold).toBeCloseTo(MFN_DEFAULTS.threshold, 9)

    const fixed = mfn(QUIET)(seededRandom(1))
    const same = Array.from({ length: 30 }, (_, i) => fixed.choose(JOB, views, 5 * i))
    expect(new Set(same)).toEqual(new Set([0]))
  })

  it('the winner resets to V_reset and relaxes back to rest with τ; the losers are inhibited to rest', () => {
    const router = mfn({ ...QUIET, refractory: true })(seededRandom(1))
    const k = router.choose(JOB, candidates(3, 10), 0)
    const at = (t: number) => router.snapshot(t).neurons
    expect(at(0)[k]!.potential).toBe(MFN_DEFAULTS.resetPotential)
    // Clamped during the refractory period, then V = V_reset·e^(−(t − t_ref)/τ).
    expect(at(MFN_DEFAULTS.refractoryMs / 2)[k]!.potential).toBe(MFN_DEFAULTS.resetPotential)
    const t = MFN_DEFAULTS.refractoryMs + MFN_DEFAULTS.membraneTauMs
    expect(at(t)[k]!.potential).toBeCloseTo(MFN_DEFAULTS.resetPotential / Math.E, 9)
    for (const n of at(0)) if (n.id !== 10 + k) expect(n.potential).toBe(0)
    expect(at(0)[k]!.spikeCount).toBe(1)
    expect(at(0)[k]!.lastSpikeMs).toBe(0)
  })

  it('noise explores: among equal candidates, a noisy router uses all of them', () => {
    const noisy = mfn({ ...QUIET, noise: true })(seededRandom(3))
    const views = [candidate(1, { capacity: 1.01 }), candidate(2), candidate(3)]
    const picks = new Set(Array.from({ length: 100 }, (_, i) => noisy.choose(JOB, views, i * 10)))
    expect(picks.size).toBe(3)
  })
})

describe('MFN router: learning', () => {
  const FAST_FOR_CLASS_1 = [0, 1, 2, 3, 4].map((i) => ({
    latencyMs: (c: number) => (i === 3 && c === 1 ? 10 : 100),
  }))

  it('moves class-1 jobs to the executor that is 10× faster for class 1, starting from zero weights', () => {
    const learner = mfn({ weights: ZERO })(seededRandom(1))
    const run = runFake(learner, FAST_FOR_CLASS_1, 3000, 1)
    const early = shareOf(run, 3, 0, 40, 1)
    const late = shareOf(run, 3, 2500, 3000, 1)
    expect(late).toBeGreaterThan(0.6)
    expect(late).toBeGreaterThan(early)
    // The weights that carry the difference grew; the others had nothing to learn from.
    const w = learner.weights()
    expect(w.latency).toBeGreaterThan(0.2)
    expect(w.affinity).toBeGreaterThan(0.2)
    expect(Math.abs(w.speed)).toBeLessThan(1e-9)

    // Same start without learning: the weights stay 0 and the choice stays blind.
    const blind = mfn({ weights: ZERO, learning: false })(seededRandom(1))
    const blindShare = shareOf(runFake(blind, FAST_FOR_CLASS_1, 3000, 1), 3, 2500, 3000, 1)
    expect(blindShare).toBeLessThan(0.35)
    expect(late).toBeGreaterThan(blindShare + 0.3)
    expect(blind.weights()).toEqual(ZERO)
  })

  it('with the default weights, uses the fast executor for class 1 but not for class 0', () => {
    const run = runFake(mfn()(seededRandom(2)), FAST_FOR_CLASS_1, 2000, 2)
    expect(shareOf(run, 3, 1000, 2000, 1)).toBeGreaterThan(0.7)
    expect(shareOf(run, 3, 1000, 2000, 0)).toBeLessThan(0.4)
  })

  it('avoids a peer that fails fast, which fools P2C + peak-EWMA', () => {
    const executors = [0, 1, 2, 3, 4].map((i) =>
      i === 0 ? { latencyMs: () => 50, failure: 1, failAfterMs: 1 } : { latencyMs: () => 50 },
    )
    const mfnRun = runFake(mfn()(seededRandom(4)), executors, 2000, 4)
    const p2cRun = runFake(p2cPeakEwma()(seededRandom(4)), executors, 2000, 4)
    expect(shareOf(mfnRun, 0, 500, 2000)).toBeLessThan(0.05)
    expect(shareOf(p2cRun, 0, 500, 2000)).toBeGreaterThan(0.3)
  })
})

describe('MFN router: contract', () => {
  it('snapshot: neurons by id, weights, and the last decisions with winner and runner-up', () => {
    const router = mfn()(seededRandom(5))
    const views = candidates(4, 20)
    for (let i = 0; i < 20; i++) {
      const k = router.choose(JOB, views, i * 3)
      router.feedback({
        candidate: views[k]!.id,
        job: JOB,
        latencyMs: 30,
        ok: true,
        now: i * 3 + 1,
      })
    }
    router.choose(JOB, [candidate(99)], 100)
    const snap = router.snapshot(100)
    expect(snap.name).toBe('mfn')
    expect(snap.neurons.map((n) => n.id)).toEqual([20, 21, 22, 23, 99])
    expect(snap.neurons.reduce((s, n) => s + n.spikeCount, 0)).toBe(21)
    expect(Object.keys(snap.weights)).toEqual([
      'latency',
      'load',
      'reliability',
      'speed',
      'service',
      'affinity',
    ])
    expect(snap.decisions).toHaveLength(16)
    const last = snap.decisions[15]!
    expect(last).toMatchObject({ atMs: 100, winner: 99, runnerUp: null, runnerUpSpikeMs: null })
    const earlier = snap.decisions[14]!
    expect(earlier.runnerUp).not.toBeNull()
    expect(earlier.runnerUp).not.toBe(earlier.winner)
    expect(earlier.runnerUpSpikeMs ?? Infinity).toBeGreaterThanOrEqual(earlier.winnerSpikeMs ?? 0)
    expect(router.lastDecision()).toEqual(last)
    expect(mfn()(seededRandom(1)).lastDecision()).toBeNull()
    expect(snap.pending).toBe(1)
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap)
  })

  it('names its ablations', () => {
    expect(mfn({ noise: false })(seededRandom(1)).name).toBe('mfn/no-noise')
    expect(mfn({ coordinates: false, learning: false })(seededRandom(1)).name).toBe(
      'mfn/no-learning+no-coordinates',
    )
    expect(mfn({ name: 'mine' })(seededRandom(1)).name).toBe('mine')
  })

  it('refuses bad options with MfnOptionsError, when the factory is made', () => {
    const bad: unknown[] = [
      { noiseStd: -1 },
      { membraneTauMs: 0 },
      { resetPotential: 2 },
      { biasCurrent: 0.5 },
      { lateralInhibition: 0 },
      { weights: { speedy: 1 } },
      { weights: { latency: Number.NaN } },
      { reportStaleMs: 'soon' },
      { noise: 'yes' },
      { maxPending: 1.5 },
      { learningrate: 0.1 },
    ]
    for (const options of bad) {
      expect(() => mfn(options as MfnInit), JSON.stringify(options)).toThrowError(
        expect.objectContaining({ name: 'MfnOptionsError', code: 'ERR_MFN_OPTIONS' }),
      )
    }
  })

  it('refuses an empty candidate list and a non-finite time with MfnInputError', () => {
    const router = mfn()(seededRandom(1))
    expect(() => router.choose(JOB, [], 0)).toThrowError(
      expect.objectContaining({ name: 'MfnInputError' }),
    )
    expect(() => router.choose(JOB, candidates(2), Number.NaN)).toThrowError(
      expect.objectContaining({ name: 'MfnInputError' }),
    )
    expect(() =>
      router.feedback({ candidate: 0, job: JOB, latencyMs: Number.NaN, ok: true, now: 0 }),
    ).toThrowError(expect.objectContaining({ name: 'MfnInputError' }))
  })
})
