/**
 * Byzantine validators of the consensus scenario, built from lib/sim/byzantine.ts's wrappers
 * around the honest process of the same host (so a Byzantine validator is the real core, with its
 * own key, doing something more):
 *
 * - `equivocate`: every vote of its own it sends is also signed for the other choice (a block hash → nil,
 *   nil → another hash); odd-indexed recipients (by `to + height + round`) get the conflicting
 *   vote, and one recipient per (height, round) gets both — as gossip would relay both to someone.
 * - `withhold`: drops its own votes (it still proposes and follows the chain).
 * - `invalid`: its proposals are corrupted in turn — a wrong state root (re-signed), a garbage
 *   transaction (transactions root recomputed, re-signed), or a broken signature.
 * - `lie-time`: its clock is an hour ahead (even node ids) or behind (odd ones), so its precommit
 *   timestamps lie (and a clock behind sees every honest block as from the future).
 * - `twins` needs nothing: the engine runs two honest processes under one identity and key.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { toHex } from '@/lib/consensus/bytes'
import { corrupt, intercept, lyingClock, withhold } from '../../byzantine'
import type { ByzantineFactory, NodeId } from '../../types'
import {
  decodeProposal,
  encodeProposal,
  proposalSignBytes,
  type SignedProposal,
} from '@/lib/consensus/codec'
import { merkleRootOfHashes, txHash } from '@/lib/consensus/merkle'
import { decodeVote, encodeVote, voteSignBytes, type SignedVote } from '@/lib/consensus/vote'
import type { SimChain } from './chain'
import type { ConsensusFact } from './process'
import type { SimKey } from './keys'
import { TAG_PROPOSAL, TAG_VOTE, frame, payloadOf } from './wire'

/** Offset of a lying clock, ms. */
export const LIE_TIME_MS = 3_600_000

/** A cache of one rewrite per original frame (a broadcast is rewritten once per recipient). */
function memo(
  rewrite: (bytes: Uint8Array) => Uint8Array | null,
): (bytes: Uint8Array) => Uint8Array | null {
  let last: Uint8Array | null = null
  let result: Uint8Array | null = null
  return (bytes) => {
    if (bytes !== last) {
      last = bytes
      try {
        result = rewrite(bytes)
      } catch {
        result = null
      }
    }
    return result
  }
}

/** The vote `v` re-signed for the other choice. */
function conflictingVote(v: SignedVote, key: SimKey): SignedVote {
  const other =
    v.blockHash === null
      ? sha256(new TextEncoder().encode(`equivocation/${v.height}/${v.round}/${v.type}`))
      : null
  const { signature: _signature, ...unsigned } = { ...v, blockHash: other }
  return { ...unsigned, signature: key.sign(voteSignBytes(unsigned)) }
}

function resign(p: SignedProposal, key: SimKey): SignedProposal {
  const { signature: _signature, ...unsigned } = p
  return { ...unsigned, signature: key.sign(proposalSignBytes(unsigned)) }
}

/** The invalid variant of a proposal, chosen by height + round. */
function invalidProposal(p: SignedProposal, key: SimKey): SignedProposal {
  const variant = (p.height + p.round) % 3
  const header = p.block.header
  if (variant === 0) {
    const stateRoot = header.stateRoot.slice()
    stateRoot[0] = (stateRoot[0] as number) ^ 0xff
    return resign({ ...p, block: { ...p.block, header: { ...header, stateRoot } } }, key)
  }
  if (variant === 1) {
    const txs = [
      ...p.block.txs,
      new TextEncoder().encode(`not a transaction ${p.height}/${p.round}`),
    ]
    const txsRoot = merkleRootOfHashes(txs.map(txHash))
    return resign({ ...p, block: { ...p.block, txs, header: { ...header, txsRoot } } }, key)
  }
  const signature = p.signature.slice()
  signature[5] = (signature[5] as number) ^ 0x01
  return { ...p, signature }
}

/** The scenario's Byzantine behaviours, by fault name. */
export function consensusByzantine(
  chain: SimChain,
): Record<string, ByzantineFactory<ConsensusFact>> {
  const keyOf = (node: NodeId): SimKey => chain.nodeKeys[node] as SimKey
  return {
    equivocate(info, honest) {
      const key = keyOf(info.node)
      const ownKey = toHex(key.publicKey)
      const identities = chain.nodeKeys.length
      let vote: SignedVote | null = null
      const conflicting = memo((bytes) => {
        if (bytes[0] !== TAG_VOTE) return null
        const v = decodeVote(payloadOf(bytes))
        // Only its own votes: the honest core also relays others' prevotes (a polka).
        if (toHex(v.validator) !== ownKey) return null
        vote = v
        return frame(TAG_VOTE, encodeVote(conflictingVote(v, key)))
      })
      return intercept(honest(), {
        outgoing(m) {
          const other = conflicting(m.bytes)
          if (other === null || vote === null) return m.bytes
          const turn = vote.height + vote.round
          if (m.to === turn % identities) return [m.bytes, other]
          return (m.to + turn) % 2 === 1 ? other : m.bytes
        },
      })
    },
    withhold: (_info, honest) => withhold(honest(), (bytes) => bytes[0] === TAG_VOTE),
    invalid(info, honest) {
      const key = keyOf(info.node)
      const mutate = memo((bytes) => {
        if (bytes[0] !== TAG_PROPOSAL) return null
        return frame(
          TAG_PROPOSAL,
          encodeProposal(invalidProposal(decodeProposal(payloadOf(bytes)), key)),
        )
      })
      return corrupt(honest(), (bytes) => mutate(bytes))
    },
    'lie-time': (info, honest) =>
      lyingClock(honest(), info.node % 2 === 0 ? LIE_TIME_MS : -LIE_TIME_MS),
  }
}
