import type { Clock } from '../../ports'

/** Options of {@link RateLimiter}. */
export interface RateLimiterInit {
  /** Sustained requests per minute per key. */
  perMinute: number
  /** Requests a key may make at once after a quiet period. */
  burst: number
  /** Keys tracked at most; the least recently seen are forgotten first. Default 100 000. */
  maxKeys?: number
}

/**
 * A token bucket per client address. Buckets that are full again carry no information and are
 * dropped, and the number of keys is capped, so a flood of addresses cannot grow memory without
 * bound.
 */
export class RateLimiter {
  readonly #init: Required<RateLimiterInit>
  readonly #clock: Clock
  readonly #buckets = new Map<string, { tokens: number; at: number }>()

  constructor(init: RateLimiterInit, clock: Clock) {
    if (!(init.perMinute > 0) || !(init.burst >= 1)) {
      throw new RangeError('RateLimiter: perMinute must be > 0 and burst ≥ 1')
    }
    this.#init = { maxKeys: 100_000, ...init }
    this.#clock = clock
  }

  /**
   * Take one token for `key`. Returns 0 when allowed, otherwise the ms until a token is back
   * (for a Retry-After header).
   */
  take(key: string): number {
    const now = this.#clock.now()
    const rate = this.#init.perMinute / 60_000
    const b = this.#buckets.get(key)
    let tokens =
      b === undefined
        ? this.#init.burst
        : Math.min(this.#init.burst, b.tokens + (now - b.at) * rate)
    this.#buckets.delete(key)
    if (tokens < 1) {
      this.#buckets.set(key, { tokens, at: now })
      return Math.ceil((1 - tokens) / rate)
    }
    tokens -= 1
    this.#buckets.set(key, { tokens, at: now })
    if (this.#buckets.size > this.#init.maxKeys) {
      const oldest = this.#buckets.keys().next()
      if (oldest.done !== true) this.#buckets.delete(oldest.value)
    }
    return 0
  }
}
