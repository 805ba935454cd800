/**
 * `slash`: evidence that a validator equivocated. Body `{ a: bytes, b: bytes }`, two votes in
 * their wire form (lib/consensus/vote.ts). Accepted when both decode, they are an equivocation
 * (same chain, height, round and type, same validator, different block), the chain is this one,
 * both signatures verify, the validator was in the committee of that height, the height is below
 * the block's and its epoch is at most {@link EVIDENCE_MAX_AGE_EPOCHS} old, and this
 * (validator, height, round, type) was not slashed before.
 *
 * Effect: `slashFractionPerMille` ‰ of the validator's bonded stake and of each unbonding entry
 * (each rounded down) is burned. The submitter gets nothing but pays its fee: evidence is a duty
 * of honest validators, and a reward would invite selling evidence (docs/ledger.md).
 */
import { decodeVote, isEquivocation, voteSignBytes, type SignedVote } from '../../consensus/vote'
import { equalBytes, readBytes, readMap } from '../codec'
import { EVIDENCE_MAX_AGE_EPOCHS } from '../constants'
import { epochOf } from '../committee'
import { BadEvidenceError, DuplicateEvidenceError } from '../errors'
import type { LedgerView } from '../state'
import type { DecodedTx, TxKind } from '../types'
import { slashedKey } from '../values'

/** Largest encoded vote accepted in evidence (lib/consensus/vote.ts's `MAX_VOTE_BYTES`). */
const MAX_EVIDENCE_VOTE_BYTES = 512

/** Body of a `slash`. */
export interface SlashBody {
  /** One vote, encoded (`encodeVote`). */
  a: Uint8Array
  /** The conflicting vote, encoded. */
  b: Uint8Array
}

function votes(tx: DecodedTx<SlashBody>): [SignedVote, SignedVote] {
  try {
    return [decodeVote(tx.body.a), decodeVote(tx.body.b)]
  } catch {
    throw new BadEvidenceError('format')
  }
}

function checkEvidence(view: LedgerView, tx: DecodedTx<SlashBody>): SignedVote {
  const [a, b] = votes(tx)
  if (!isEquivocation(a, b)) throw new BadEvidenceError('not-equivocation')
  if (a.chainId !== view.genesis.chainId) throw new BadEvidenceError('wrong-chain')
  if (a.height >= view.height) throw new BadEvidenceError('future')
  const epoch = epochOf(a.height, view.genesis.epochLength)
  if (epoch + EVIDENCE_MAX_AGE_EPOCHS < view.epoch) throw new BadEvidenceError('too-old')
  const committee = view.committee(epoch)
  if (committee === undefined) throw new BadEvidenceError('too-old')
  if (!committee.some((m) => equalBytes(m.publicKey, a.validator))) {
    throw new BadEvidenceError('not-validator')
  }
  for (const vote of [a, b]) {
    if (!view.verifier.verify(vote.validator, voteSignBytes(vote), vote.signature)) {
      throw new BadEvidenceError('signature')
    }
  }
  if (view.get(slashedKey(a.validator, a.height, a.round, a.type)) !== undefined) {
    throw new DuplicateEvidenceError()
  }
  return a
}

/** The `slash` kind. */
export const slashKind: TxKind<SlashBody> = {
  kind: 'slash',
  decodeBody(raw) {
    const m = readMap(raw, 'body', ['a', 'b'])
    return {
      a: readBytes(m.a, 'body.a', { min: 1, max: MAX_EVIDENCE_VOTE_BYTES }),
      b: readBytes(m.b, 'body.b', { min: 1, max: MAX_EVIDENCE_VOTE_BYTES }),
    }
  },
  check(view, tx) {
    checkEvidence(view, tx)
  },
  apply(view, tx) {
    const vote = checkEvidence(view, tx)
    const perMille = BigInt(view.genesis.slashFractionPerMille)
    const cut = (x: bigint): bigint => (x * perMille) / 1000n
    const account = view.account(vote.validator)
    let burned = 0n
    if (account !== undefined) {
      const fromStake = cut(account.stake)
      burned += fromStake
      const unbonding = account.unbonding
        .map((e) => {
          const part = cut(e.amount)
          burned += part
          return { amount: e.amount - part, release: e.release }
        })
        .filter((e) => e.amount > 0n)
      view.putAccount(vote.validator, { ...account, stake: account.stake - fromStake, unbonding })
    }
    view.burn(burned)
    view.put(slashedKey(vote.validator, vote.height, vote.round, vote.type), {
      at: view.height,
      burned,
    })
  },
}
