/**
 * Seeded randomness split into independent named streams. Each stream is its own mulberry32
 * generator (lib/ports.ts) seeded from (run seed, stream name), so drawing more numbers in one
 * place (say, the workload) never shifts the numbers another place (the network) sees: a change to
 * one part of a scenario keeps the rest of a failing seed's run recognisable.
 */
import { seededRandom, type Random } from '../ports'

/** A `Random` with the helpers a simulation needs. All draws come from `next()`. */
export interface SimRandom extends Random {
  /** Integer in [0, n). `n` must be a positive integer. */
  int(n: number): number
  /** Float in [lo, hi). */
  range(lo: number, hi: number): number
  /** True with probability `p` (no draw when `p <= 0` or `p >= 1`). */
  chance(p: number): boolean
  /** A uniformly chosen element; `items` must not be empty. */
  pick<T>(items: readonly T[]): T
  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[]
}

/** FNV-1a over the UTF-16 code units of `text`, 32-bit. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** The murmur3 32-bit finaliser: spreads every input bit over the whole word. */
function fmix32(x: number): number {
  let h = x >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/**
 * The 32-bit seed of stream `name` under run seed `seed`. Different names give unrelated seeds,
 * and so do neighbouring run seeds (sweeps use 0, 1, 2…).
 */
export function streamSeed(seed: number, name: string): number {
  return fmix32(fmix32(seed >>> 0) ^ Math.imul(fnv1a(name), 0x9e3779b1))
}

/** Wraps any `Random` (a port, a recorded sequence) with the SimRandom helpers. */
export function simRandom(source: Random): SimRandom {
  const next = (): number => source.next()
  return {
    next,
    int(n) {
      return Math.floor(next() * n)
    },
    range(lo, hi) {
      return lo + next() * (hi - lo)
    },
    chance(p) {
      if (p <= 0) return false
      if (p >= 1) return true
      return next() < p
    },
    pick(items) {
      if (items.length === 0) throw new RangeError('SimRandom.pick: empty list')
      return items[Math.floor(next() * items.length)] as (typeof items)[number]
    },
    shuffle(items) {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1))
        const t = items[i] as (typeof items)[number]
        items[i] = items[j] as (typeof items)[number]
        items[j] = t
      }
      return items
    },
  }
}

/**
 * The named random streams of one run. `stream(name)` returns the same generator object for the
 * same name, so a stream keeps its position across callers.
 *
 * @example
 * const streams = new RandomStreams(42)
 * streams.stream('network').chance(0.1)
 * streams.stream('workload').int(10) // unaffected by how often 'network' was used
 */
export class RandomStreams {
  private readonly streams = new Map<string, SimRandom>()

  /** @param seed - the run seed (an unsigned 32-bit integer; other numbers are truncated) */
  constructor(readonly seed: number) {}

  /** The generator of stream `name`, created on first use. */
  stream(name: string): SimRandom {
    let s = this.streams.get(name)
    if (s === undefined) {
      s = simRandom(seededRandom(streamSeed(this.seed, name)))
      this.streams.set(name, s)
    }
    return s
  }
}
