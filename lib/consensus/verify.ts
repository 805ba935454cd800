/**
 * Stand-alone checks of single votes and proposals against a committee, for code outside the
 * protocol core: the ledger checking the two votes of slashing evidence, an explorer showing a
 * proposal, a runtime scoring peers. The core itself runs the same checks inline, in an order
 * that drops duplicates before any signature check.
 */
import type { CommitteeMember } from './application'
import { bytesEqual, toHex } from './bytes'
import { committeeOf } from './chain'
import { type SignedProposal, proposalSignBytes } from './codec'
import { type Committee, proposerOf } from './committee'
import { InvalidProposalError, InvalidVoteError } from './errors'
import { type SignedVote, voteSignBytes } from './vote'
import type { SignatureVerifier } from '../ports'

function asCommittee(c: readonly CommitteeMember[] | Committee): Committee {
  return Array.isArray(c) ? committeeOf(c as readonly CommitteeMember[]) : (c as Committee)
}

/**
 * Check that `vote` counts for `committee` on `chainId`: same chain, a member's vote, a valid
 * signature. Returns the voter's power. Throws {@link InvalidVoteError}.
 *
 * @example
 * ```ts
 * verifyVote(evidence.voteA, committeeAt(evidence.voteA.height), chainId, verifier)
 * ```
 */
export function verifyVote(
  vote: SignedVote,
  committee: readonly CommitteeMember[] | Committee,
  chainId: string,
  verifier: SignatureVerifier,
): number {
  const o = { height: vote.height }
  if (vote.chainId !== chainId) throw new InvalidVoteError('chain-id', 'vote of another chain', o)
  const member = asCommittee(committee).byKey.get(toHex(vote.validator))
  if (member === undefined) {
    throw new InvalidVoteError('non-member', 'voter not in the committee', o)
  }
  if (!verifier.verify(vote.validator, voteSignBytes(vote), vote.signature)) {
    throw new InvalidVoteError('signature', 'bad vote signature', o)
  }
  return member.power
}

/**
 * Check that `proposal` is signed by the proposer of its height and round in `committee`, for a
 * block of `chainId` and of that committee, with −1 ≤ validRound < round. The block itself is not
 * validated (see `validateBlock`). Throws {@link InvalidProposalError}.
 */
export function verifyProposal(
  proposal: SignedProposal,
  committee: readonly CommitteeMember[] | Committee,
  chainId: string,
  verifier: SignatureVerifier,
): void {
  const c = asCommittee(committee)
  const o = { height: proposal.height }
  const { header } = proposal.block
  if (header.chainId !== chainId) {
    throw new InvalidProposalError('chain-id', 'proposal of another chain', o)
  }
  if (!bytesEqual(header.committeeHash, c.hash)) {
    throw new InvalidProposalError('committee', 'block of another committee', o)
  }
  const vr = proposal.validRound
  if (!Number.isSafeInteger(vr) || vr < -1 || vr >= proposal.round) {
    throw new InvalidProposalError('valid-round', 'valid round out of range', o)
  }
  const proposer = proposerOf(c, chainId, proposal.height, proposal.round)
  if (!verifier.verify(proposer.publicKey, proposalSignBytes(proposal), proposal.signature)) {
    throw new InvalidProposalError('signature', 'not signed by the proposer of the round', o)
  }
}
