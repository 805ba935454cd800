/**
 * Checks router options at the edge (STYLE.md habit 4): every builder validates its options once,
 * when the factory is made, so a bad figure fails loudly in the bench set-up rather than as NaN
 * latencies an hour into a run. The hot path then trusts the resolved values.
 */
import { MfnOptionsError } from './errors'

/** Bounds for one numeric option. */
export interface NumberBounds {
  /** Smallest allowed value (inclusive unless `exclusiveMin`). Default −∞. */
  readonly min?: number
  /** When true, `min` itself is refused. */
  readonly exclusiveMin?: boolean
  /** Largest allowed value (inclusive). Default +∞ (but always finite). */
  readonly max?: number
  /** When true, only integers are allowed. */
  readonly integer?: boolean
}

/** Reads and validates the options of one builder. */
export class OptionReader {
  private readonly record: Readonly<Record<string, unknown>>

  /**
   * @param where - the builder's name, for error messages
   * @param options - what the caller passed (undefined = all defaults)
   * @param allowed - every key the builder understands; any other key is refused
   */
  constructor(
    private readonly where: string,
    options: object | undefined,
    allowed: readonly string[],
  ) {
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw new MfnOptionsError(where, '(options)', 'must be an object')
    }
    this.record = (options ?? {}) as Readonly<Record<string, unknown>>
    for (const key of Object.keys(this.record)) {
      if (!allowed.includes(key)) {
        throw new MfnOptionsError(where, key, `is not an option; known: ${allowed.join(', ')}`)
      }
    }
  }

  /** A finite number within `bounds`, or `fallback` when the key is absent or undefined. */
  number(key: string, fallback: number, bounds: NumberBounds = {}): number {
    const value = this.record[key]
    if (value === undefined) return fallback
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new MfnOptionsError(this.where, key, 'must be a finite number')
    }
    const { min = -Infinity, max = Infinity, exclusiveMin = false, integer = false } = bounds
    if (exclusiveMin ? value <= min : value < min) {
      throw new MfnOptionsError(this.where, key, `must be ${exclusiveMin ? '>' : '≥'} ${min}`)
    }
    if (value > max) throw new MfnOptionsError(this.where, key, `must be ≤ ${max}`)
    if (integer && !Number.isInteger(value)) {
      throw new MfnOptionsError(this.where, key, 'must be an integer')
    }
    return value
  }

  /** The string `'auto'` (also when absent), or a number within `bounds`. */
  autoOrNumber(key: string, bounds: NumberBounds = {}): number | 'auto' {
    const value = this.record[key]
    if (value === undefined || value === 'auto') return 'auto'
    if (typeof value !== 'number') {
      throw new MfnOptionsError(this.where, key, "must be 'auto' or a finite number")
    }
    return this.number(key, NaN, bounds)
  }

  /** A boolean, or `fallback` when absent. */
  boolean(key: string, fallback: boolean): boolean {
    const value = this.record[key]
    if (value === undefined) return fallback
    if (typeof value !== 'boolean') {
      throw new MfnOptionsError(this.where, key, 'must be true or false')
    }
    return value
  }

  /** A non-empty string, or `fallback` when absent. */
  string(key: string, fallback: string): string {
    const value = this.record[key]
    if (value === undefined) return fallback
    if (typeof value !== 'string' || value.length === 0) {
      throw new MfnOptionsError(this.where, key, 'must be a non-empty string')
    }
    return value
  }

  /**
   * Per-name numbers (e.g. feature weights) as an array in `names` order, each defaulting to
   * `fallback[i]`; unknown names and non-finite values are refused.
   */
  namedNumbers(key: string, names: readonly string[], fallback: readonly number[]): number[] {
    const out = [...fallback]
    const value = this.record[key]
    if (value === undefined) return out
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new MfnOptionsError(this.where, key, `must be an object keyed by ${names.join(', ')}`)
    }
    for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
      const i = names.indexOf(name)
      if (i < 0) throw new MfnOptionsError(this.where, `${key}.${name}`, 'is not a known name')
      if (v === undefined) continue
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new MfnOptionsError(this.where, `${key}.${name}`, 'must be a finite number')
      }
      out[i] = v
    }
    return out
  }

  /** Throws for `key` with `reason` (cross-option checks). */
  fail(key: string, reason: string): never {
    throw new MfnOptionsError(this.where, key, reason)
  }
}
