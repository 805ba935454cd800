/**
 * Epochs and committee election (docs/ledger.md, "Committee"). Pure functions over plain values:
 * the state machine calls them at epoch boundaries, tests call them directly.
 */
import { MAX_TOTAL_POWER } from './constants'
import { compareBytes } from './codec'

/**
 * Epoch of a block height: heights 1…L are epoch 0, L+1…2L epoch 1, and so on. Height 0 (the
 * genesis state) counts as epoch 0.
 */
export function epochOf(height: number, epochLength: number): number {
  return height <= 0 ? 0 : Math.floor((height - 1) / epochLength)
}

/** First height of `epoch`. */
export function firstHeightOf(epoch: number, epochLength: number): number {
  return epoch * epochLength + 1
}

/** Last height of `epoch`: the block that elects the committee of `epoch + 2`. */
export function lastHeightOf(epoch: number, epochLength: number): number {
  return (epoch + 1) * epochLength
}

/** A candidate for the committee: its key and its weight (stake × uptime, an integer). */
export interface Candidate {
  readonly publicKey: Uint8Array
  readonly weight: bigint
}

/** A member of an elected committee. */
export interface ElectedMember {
  readonly publicKey: Uint8Array
  readonly power: number
}

/**
 * Powers from weights: the weights themselves when their sum is at most {@link MAX_TOTAL_POWER},
 * else `max(1, floor(weight × MAX_TOTAL_POWER / total))` each, so the total stays a safe integer
 * (at most `MAX_TOTAL_POWER + n`) and every member keeps a vote.
 */
export function scalePowers(weights: readonly bigint[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0n)
  const max = BigInt(MAX_TOTAL_POWER)
  if (total <= max) return weights.map((w) => Number(w))
  return weights.map((w) => {
    const p = (w * max) / total
    return p < 1n ? 1 : Number(p)
  })
}

/**
 * Elect a committee: candidates of positive weight, by weight descending, ties by public key
 * bytes ascending; the first `maxValidators`; powers from {@link scalePowers}. The result is in
 * that order. Empty when no candidate has weight.
 */
export function electCommittee(
  candidates: readonly Candidate[],
  maxValidators: number,
): ElectedMember[] {
  const chosen = candidates
    .filter((c) => c.weight > 0n)
    .sort((a, b) =>
      a.weight === b.weight ? compareBytes(a.publicKey, b.publicKey) : a.weight > b.weight ? -1 : 1,
    )
    .slice(0, maxValidators)
  const powers = scalePowers(chosen.map((c) => c.weight))
  return chosen.map((c, i) => ({ publicKey: c.publicKey, power: powers[i]! }))
}
