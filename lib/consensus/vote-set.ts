/**
 * The votes of one (height, round, type), with power tallies kept as votes arrive so every quorum
 * question is O(1).
 *
 * A validator's first vote counts towards "any choice" totals once. A validator that equivocates
 * may also count towards a second choice: the paper's rules count, per value, the distinct senders
 * of messages for that value, and liveness needs it — an equivocator can show one half of the
 * network a prevote for v and the other half nil, and the half that saw v may lock on a polka the
 * others can only confirm by counting that same prevote when it reaches them. Two quorums for
 * different values in one round still need more than 1/3 of the power to equivocate.
 */
import { toHex } from './bytes'
import type { SignedVote } from './vote'

/** Map key of a block choice: hex of the block hash, or `'nil'`. */
export type ChoiceKey = string

/** The key of a vote's choice. */
export function choiceKey(blockHash: Uint8Array | null): ChoiceKey {
  return blockHash === null ? 'nil' : toHex(blockHash)
}

interface Choice {
  power: number
  voters: Map<string, SignedVote>
}

/** Votes of one (height, round, type) with running tallies. */
export class VoteSet {
  /** First vote of each validator (by hex key). */
  readonly votes = new Map<string, SignedVote>()
  /** Validators (hex) already reported for equivocation at this (height, round, type). */
  readonly evidenced = new Set<string>()
  private readonly choices = new Map<ChoiceKey, Choice>()
  /** Number of choices each validator counts for (more than one only for equivocators). */
  private readonly perValidator = new Map<string, number>()
  private totalPower = 0
  private quorumBlock: ChoiceKey | null = null

  /** @param quorum - power that makes a quorum in this committee (more than 2/3) */
  constructor(readonly quorum: number) {}

  /** Power of all validators that voted (each once, whatever it voted). */
  get power(): number {
    return this.totalPower
  }

  /** Power of the distinct validators that voted for `choice`. */
  powerFor(choice: ChoiceKey): number {
    return this.choices.get(choice)?.power ?? 0
  }

  /** Whether validator `key` already counts for `choice`. */
  counts(key: string, choice: ChoiceKey): boolean {
    return this.choices.get(choice)?.voters.has(key) ?? false
  }

  /** How many choices validator `key` counts for. */
  choicesOf(key: string): number {
    return this.perValidator.get(key) ?? 0
  }

  /** The votes for `choice`, one per validator. */
  votesFor(choice: ChoiceKey): IterableIterator<SignedVote> {
    return (this.choices.get(choice)?.voters ?? new Map<string, SignedVote>()).values()
  }

  /** Record the first vote of validator `key` with `power`. */
  add(key: string, vote: SignedVote, power: number): void {
    this.votes.set(key, vote)
    this.totalPower += power
    this.count(key, vote, power)
  }

  /**
   * Record a second vote of validator `key` for another choice (an equivocation whose signature
   * the caller has checked): it counts for that choice, not again for the totals.
   */
  addConflicting(key: string, vote: SignedVote, power: number): void {
    this.count(key, vote, power)
  }

  private count(key: string, vote: SignedVote, power: number): void {
    const choice = choiceKey(vote.blockHash)
    let c = this.choices.get(choice)
    if (c === undefined) {
      c = { power: 0, voters: new Map() }
      this.choices.set(choice, c)
    }
    if (c.voters.has(key)) return
    c.voters.set(key, vote)
    c.power += power
    this.perValidator.set(key, (this.perValidator.get(key) ?? 0) + 1)
    if (choice !== 'nil' && this.quorumBlock === null && c.power >= this.quorum) {
      this.quorumBlock = choice
    }
  }

  /** The first block (not nil) whose votes reached the quorum, if any. */
  get quorumFor(): ChoiceKey | null {
    return this.quorumBlock
  }

  /** Whether the votes for `choice` reach the quorum. */
  hasQuorumFor(choice: ChoiceKey): boolean {
    return this.powerFor(choice) >= this.quorum
  }

  /** Whether the votes of any choice together reach the quorum. */
  get hasQuorumAny(): boolean {
    return this.totalPower >= this.quorum
  }
}
