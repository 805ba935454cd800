/**
 * The supermarket model (Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing",
 * 2001): n → ∞ servers of rate 1, exponential sizes of mean 1, Poisson arrivals at rate λn, each
 * job joins the shortest of d queues picked at random. In the limit the fraction of queues with at
 * least i jobs is s_i = λ^((d^i − 1)/(d − 1)), so by Little's law the mean sojourn is
 *
 *   T_d(λ) = Σ_{i≥1} s_i / λ = Σ_{i≥1} λ^((d^i − d)/(d − 1))
 *
 * and for d = 1 (random routing: n independent M/M/1 queues) T_1 = Σ_{i≥1} λ^(i−1) = 1/(1 − λ).
 * At λ = 0.9: T_1 = 10.0 and T_2 = 1 + 0.9² + 0.9⁶ + 0.9¹⁴ + 0.9³⁰ + 0.9⁶² + … = 2.614.
 *
 * Run lengths: the mean sojourn of M/M/1 at ρ = 0.9 converges slowly (relative variance about
 * 380 / jobs), so random routing gets 8 seeds × 2M jobs (standard error ≈ 0.45 %, the 2 %
 * tolerance ≈ 4.5 standard errors); its queues relax in a few hundred time units, so 2,000 are
 * dropped as warm-up. Two choices relax fast but carry a finite-n bias (≈ +2 % at n = 100), so
 * they run on 1,000 servers (bias ≈ +0.2 %), 3 seeds × 1M jobs.
 */
import { describe, expect, it } from 'vitest'
import type { RouterFactory } from '../../mfn/types'
import type { QueueingConfig } from './config'
import { runQueueing } from './simulate'
import { mean } from './stats'

/** Σ_{i≥1} λ^((d^i − d)/(d − 1)) (d ≥ 2), or 1/(1 − λ) for d = 1; terms below 1e-15 dropped. */
function supermarketLimit(d: number, lambda: number): number {
  if (d === 1) return 1 / (1 - lambda)
  let sum = 0
  for (let i = 1; ; i++) {
    const term = Math.pow(lambda, (Math.pow(d, i) - d) / (d - 1))
    sum += term
    if (term < 1e-15) return sum
  }
}

/** Fixture: a uniformly random up server. */
const randomRouter: RouterFactory = (random) => ({
  name: 'random',
  choose: (_job, candidates) => Math.floor(random.next() * candidates.length),
  feedback() {},
})

/** Fixture: the shortest reported queue among d distinct servers picked at random. */
const powerOfD =
  (d: number): RouterFactory =>
  (random) => {
    const picked: number[] = []
    return {
      name: `power-of-${d}`,
      choose(_job, candidates) {
        picked.length = 0
        let best = -1
        let bestQueue = Infinity
        while (picked.length < Math.min(d, candidates.length)) {
          const i = Math.floor(random.next() * candidates.length)
          if (picked.includes(i)) continue
          picked.push(i)
          const q = candidates[i]?.reportedQueue ?? 0
          if (q < bestQueue) {
            best = i
            bestQueue = q
          }
        }
        return best
      },
      feedback() {},
    }
  }

function supermarket(servers: number, jobs: number, warmupMs: number): QueueingConfig {
  return {
    servers,
    routers: 1,
    jobs,
    load: 0.9,
    warmupMs,
    classes: [{ weight: 1, size: { kind: 'exponential', mean: 1 } }],
    speeds: Array.from({ length: servers }, () => ({ kind: 'constant', speed: 1 })),
    gossipPeriodMs: 0,
  }
}

function meanSojourn(config: QueueingConfig, factory: RouterFactory, seeds: number): number {
  const means: number[] = []
  for (let seed = 1; seed <= seeds; seed++) {
    const result = runQueueing(config, factory, seed)
    expect(result.completed).toBe(result.measuredJobs)
    means.push(mean(result.sojournMs))
  }
  return mean(means)
}

describe('supermarket model at λ = 0.9, fresh information, no network', () => {
  it('has the closed forms 10.0 (random) and 2.614 (two choices)', () => {
    expect(supermarketLimit(1, 0.9)).toBeCloseTo(10, 10)
    expect(supermarketLimit(2, 0.9)).toBeCloseTo(2.614, 3)
  })

  it('random routing gives mean sojourn 10.0 within 2 %', () => {
    const got = meanSojourn(supermarket(100, 2_000_000, 2_000), randomRouter, 8)
    expect(Math.abs(got / supermarketLimit(1, 0.9) - 1)).toBeLessThan(0.02)
  })

  it('the shorter of d = 2 random queues gives mean sojourn 2.614 within 2 %', () => {
    const got = meanSojourn(supermarket(1_000, 1_000_000, 100), powerOfD(2), 3)
    expect(Math.abs(got / supermarketLimit(2, 0.9) - 1)).toBeLessThan(0.02)
  })
})
