/**
 * The few draws the routers need, all from the `Random` port (lib/ports.ts) so a router is
 * reproducible per seed. No allocation: the routers call these in their hot path.
 */
import type { Random } from '../ports'

/** A uniform integer in [0, n) for a positive integer `n` (one draw). */
export function randomIndex(random: Random, n: number): number {
  const i = Math.floor(random.next() * n)
  // A port that returns exactly 1 (outside its contract) must still not yield index n.
  return i < n ? i : n - 1
}

/**
 * Standard normal deviates by the Box–Muller transform, two per pair of uniform draws (the second
 * is kept for the next call). Box–Muller rather than a ziggurat: no tables, exact, and one log,
 * one sqrt and one cos/sin per two deviates is well inside the decision budget.
 */
export class GaussianSource {
  private spare = 0
  private hasSpare = false

  /** @param random - the uniform source every deviate is drawn from */
  constructor(private readonly random: Random) {}

  /** A standard normal deviate (mean 0, variance 1). */
  next(): number {
    if (this.hasSpare) {
      this.hasSpare = false
      return this.spare
    }
    // 1 − u lies in (0, 1], so the log is finite.
    const u1 = 1 - this.random.next()
    const u2 = this.random.next()
    const r = Math.sqrt(-2 * Math.log(u1))
    const a = 2 * Math.PI * u2
    this.spare = r * Math.sin(a)
    this.hasSpare = true
    return r * Math.cos(a)
  }
}
