import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { seededRandom } from '../ports'
import { firstSpikeTime, firstToSpike, lifUpdate, newRaceResult, type LifParams } from './lif'

const params = fc.record({
  tauMs: fc.double({ min: 1, max: 100, noNaN: true }),
  restingPotential: fc.double({ min: -1, max: 1, noNaN: true }),
  resistance: fc.double({ min: 0.2, max: 5, noNaN: true }),
})
const P: LifParams = { tauMs: 20, restingPotential: 0, resistance: 1 }

/** Forward Euler on τ dV/dt = −(V − E_L) + R·I with step h. */
function euler(v0: number, current: number, dt: number, p: LifParams, steps: number): number {
  const h = dt / steps
  let v = v0
  for (let i = 0; i < steps; i++)
    v += (h / p.tauMs) * (-(v - p.restingPotential) + p.resistance * current)
  return v
}

/** First time Euler with step h reaches θ, or Infinity before `horizon`. */
function eulerCrossing(
  v0: number,
  current: number,
  theta: number,
  p: LifParams,
  h: number,
  horizon: number,
): number {
  let v = v0
  for (let t = 0; t < horizon; t += h) {
    const next = v + (h / p.tauMs) * (-(v - p.restingPotential) + p.resistance * current)
    if (next >= theta) return t + (h * (theta - v)) / (next - v)
    v = next
  }
  return Infinity
}

describe('lifUpdate', () => {
  it('solves the membrane equation: its time derivative is (−(V − E_L) + R·I) / τ', () => {
    fc.assert(
      fc.property(
        params,
        fc.double({ min: -2, max: 2, noNaN: true }),
        fc.double({ min: -3, max: 3, noNaN: true }),
        fc.double({ min: 0, max: 200, noNaN: true }),
        (p, v0, current, t) => {
          const h = 1e-4 * p.tauMs
          const v = lifUpdate(v0, current, t, p)
          const slope =
            (lifUpdate(v0, current, t + h, p) - lifUpdate(v0, current, t - h, p)) / (2 * h)
          const rhs = (-(v - p.restingPotential) + p.resistance * current) / p.tauMs
          expect(Math.abs(slope - rhs)).toBeLessThan(1e-5 * (1 + Math.abs(rhs)))
        },
      ),
    )
  })

  it('starts at V, tends to E_L + R·I, and composes: update(update(v, a), b) = update(v, a + b)', () => {
    fc.assert(
      fc.property(
        params,
        fc.double({ min: -2, max: 2, noNaN: true }),
        fc.double({ min: -3, max: 3, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (p, v0, current, a, b) => {
          expect(lifUpdate(v0, current, 0, p)).toBeCloseTo(v0, 12)
          expect(lifUpdate(v0, current, 1e6 * p.tauMs, p)).toBeCloseTo(
            p.restingPotential + p.resistance * current,
            12,
          )
          const twoSteps = lifUpdate(lifUpdate(v0, current, a, p), current, b, p)
          expect(twoSteps).toBeCloseTo(lifUpdate(v0, current, a + b, p), 10)
        },
      ),
    )
  })

  it('agrees with fine-step Euler integration', () => {
    fc.assert(
      fc.property(
        params,
        fc.double({ min: -2, max: 2, noNaN: true }),
        fc.double({ min: -3, max: 3, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (p, v0, current, dt) => {
          const exact = lifUpdate(v0, current, dt, p)
          const approx = euler(v0, current, dt, p, 20_000)
          expect(Math.abs(exact - approx)).toBeLessThan(1e-3)
        },
      ),
      { numRuns: 50 },
    )
  })
})

describe('firstSpikeTime', () => {
  it('lands exactly on the threshold: V(t*) = θ', () => {
    fc.assert(
      fc.property(
        params,
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.double({ min: 0.01, max: 5, noNaN: true }),
        (p, gap, drive) => {
          // θ above V₀, and a current strong enough to get there.
          const theta = p.restingPotential + 1
          const v0 = theta - 1 - gap
          const current = (theta - p.restingPotential + drive) / p.resistance
          const t = firstSpikeTime(v0, current, theta, p)
          expect(Number.isFinite(t)).toBe(true)
          expect(t).toBeGreaterThan(0)
          expect(lifUpdate(v0, current, t, p)).toBeCloseTo(theta, 9)
        },
      ),
    )
  })

  it('matches the crossing time of a fine-step Euler integration', () => {
    fc.assert(
      fc.property(
        params,
        fc.double({ min: 0, max: 1.5, noNaN: true }),
        fc.double({ min: 0.1, max: 3, noNaN: true }),
        (p, gap, drive) => {
          const theta = p.restingPotential + 1
          const v0 = theta - 0.01 - gap
          const current = (theta - p.restingPotential + drive) / p.resistance
          const exact = firstSpikeTime(v0, current, theta, p)
          const h = p.tauMs / 20_000
          const approx = eulerCrossing(v0, current, theta, p, h, 100 * p.tauMs)
          expect(Math.abs(exact - approx)).toBeLessThan(1e-3 * p.tauMs + 1e-3 * exact)
        },
      ),
      { numRuns: 50 },
    )
  })

  it('is infinite when R·I ≤ θ − E_L, where Euler never crosses either', () => {
    fc.assert(
      fc.property(params, fc.double({ min: 0.01, max: 2, noNaN: true }), (p, shortfall) => {
        const theta = p.restingPotential + 1
        const current = (theta - p.restingPotential - shortfall) / p.resistance
        expect(firstSpikeTime(p.restingPotential, current, theta, p)).toBe(Infinity)
        expect(
          eulerCrossing(p.restingPotential, current, theta, p, p.tauMs / 200, 20 * p.tauMs),
        ).toBe(Infinity)
      }),
    )
  })

  it('is 0 at or above the threshold, and τ·ln 2 from rest at R·I = 2(θ − E_L)', () => {
    expect(firstSpikeTime(1, 5, 1, P)).toBe(0)
    expect(firstSpikeTime(1.5, -5, 1, P)).toBe(0)
    expect(firstSpikeTime(0, 2, 1, P)).toBeCloseTo(20 * Math.LN2, 12)
  })
})

describe('firstToSpike', () => {
  // Currents on a 10⁻⁶ grid: two currents a few ulps apart can round to the same spike time, which
  // is a tie in floating point, not a counterexample to the mathematics.
  const inputs = fc.array(
    fc.integer({ min: -1_000_000, max: 4_000_000 }).map((k) => k / 1_000_000),
    { minLength: 1, maxLength: 50 },
  )

  it('without noise, between neurons in equal states, is argmax of the inputs (property)', () => {
    fc.assert(
      fc.property(
        inputs,
        fc.double({ min: -1, max: 0.9, noNaN: true }),
        fc.nat(),
        (xs, v0, seed) => {
          const n = xs.length
          const currents = Float64Array.from(xs)
          const potentials = new Float64Array(n).fill(v0)
          const thresholds = new Float64Array(n).fill(1)
          const out = firstToSpike(
            n,
            currents,
            potentials,
            thresholds,
            null,
            P,
            seededRandom(seed),
            newRaceResult(),
          )
          const max = Math.max(...xs)
          expect(xs[out.winner] === max).toBe(true)
          expect(out.fallback).toBe(max <= 1)
          if (out.runnerUp >= 0) {
            expect(out.runnerUp).not.toBe(out.winner)
            expect(out.runnerUpTime).toBeGreaterThanOrEqual(out.winnerTime)
          }
        },
      ),
    )
  })

  it('breaks exact ties uniformly at random', () => {
    const n = 4
    const counts = [0, 0, 0, 0]
    const random = seededRandom(7)
    const currents = new Float64Array(n).fill(2)
    const potentials = new Float64Array(n)
    const thresholds = new Float64Array(n).fill(1)
    const out = newRaceResult()
    for (let i = 0; i < 4000; i++) {
      firstToSpike(n, currents, potentials, thresholds, null, P, random, out)
      counts[out.winner]!++
    }
    for (const c of counts) expect(c).toBeGreaterThan(800)
  })

  it('never picks an ineligible neuron, and reports −1 when none is eligible', () => {
    fc.assert(
      fc.property(inputs, fc.array(fc.boolean(), { minLength: 50, maxLength: 50 }), (xs, flags) => {
        const n = xs.length
        const eligible = Uint8Array.from(flags.slice(0, n).map((f) => (f ? 1 : 0)))
        const out = firstToSpike(
          n,
          Float64Array.from(xs),
          new Float64Array(n),
          new Float64Array(n).fill(1),
          eligible,
          P,
          seededRandom(1),
          newRaceResult(),
        )
        if (eligible.includes(1)) expect(eligible[out.winner]).toBe(1)
        else expect(out.winner).toBe(-1)
      }),
    )
  })

  it('lets state decide against the input: a neuron at reset loses to a slightly weaker one at rest', () => {
    const out = firstToSpike(
      2,
      Float64Array.of(2.1, 2),
      Float64Array.of(-0.5, 0),
      Float64Array.of(1, 1),
      null,
      P,
      null,
      newRaceResult(),
    )
    expect(out.winner).toBe(1)
    expect(out.runnerUp).toBe(0)
  })

  it('falls back to the largest margin R·I − (θ − E_L) when nobody can fire', () => {
    const out = firstToSpike(
      3,
      Float64Array.of(0.5, 0.9, 0.95),
      new Float64Array(3),
      Float64Array.of(1, 1, 1.2),
      null,
      P,
      null,
      newRaceResult(),
    )
    expect(out).toMatchObject({ winner: 1, runnerUp: 2, fallback: true, winnerTime: Infinity })
  })
})
