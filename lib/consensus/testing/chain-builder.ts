/**
 * Hand-built blocks, votes, proposals and certificates for tests: everything a validator would
 * sign, signed with fixed test keys, with overrides to build the invalid variants.
 */
import type { Application } from '../application'
import { compareBytes, toHex, ZERO_HASH } from '../bytes'
import { type ChainParams, type ChainTip, blockContext, committeeOf } from '../chain'
import { weightedMedianTime } from '../certificate'
import {
  type Block,
  type BlockHeader,
  type CommitCertificate,
  type SignedProposal,
  blockHash,
  certificateHash,
  encodeProposal,
  proposalSignBytes,
} from '../codec'
import { merkleRootOfHashes, txHash } from '../merkle'
import { type SignedVote, type VoteType, encodeVote, voteSignBytes } from '../vote'
import { type TestKey, testSign } from './keys'

/** A vote signed with a test key. */
export function signedVote(
  key: TestKey,
  v: {
    chainId: string
    height: number
    round: number
    type: VoteType
    blockHash: Uint8Array | null
    timestamp?: number
  },
): SignedVote {
  const vote = {
    chainId: v.chainId,
    height: v.height,
    round: v.round,
    type: v.type,
    blockHash: v.blockHash,
    timestamp: v.type === 'prevote' ? 0 : (v.timestamp ?? 1),
    validator: key.publicKey,
  }
  return { ...vote, signature: testSign(key)(voteSignBytes(vote)) }
}

/** {@link signedVote} encoded for the wire. */
export function voteBytes(key: TestKey, v: Parameters<typeof signedVote>[1]): Uint8Array {
  return encodeVote(signedVote(key, v))
}

/** A commit certificate for `header` signed by `signers`, timestamps default to header time + 1 + i. */
export function certify(
  header: BlockHeader,
  signers: readonly TestKey[],
  options: { round?: number; timestamps?: number[]; chainId?: string } = {},
): CommitCertificate {
  const round = options.round ?? 0
  const precommits = signers.map((key, i) => {
    const v = signedVote(key, {
      chainId: options.chainId ?? header.chainId,
      height: header.height,
      round,
      type: 'precommit',
      blockHash: blockHash(header),
      timestamp: options.timestamps?.[i] ?? header.time + 1 + i,
    })
    return { validator: v.validator, timestamp: v.timestamp, signature: v.signature }
  })
  precommits.sort((a, b) => compareBytes(a.validator, b.validator))
  return { height: header.height, round, blockHash: blockHash(header), precommits }
}

/**
 * The next block after `tip`, built the way an honest proposer builds it, then `header` overrides
 * applied (for invalid variants; the hash changes accordingly).
 */
export function nextBlock<S>(
  app: Application<S>,
  params: ChainParams,
  tip: ChainTip<S>,
  proposer: TestKey,
  txs: readonly Uint8Array[],
  lastCommit: CommitCertificate | null,
  header: Partial<BlockHeader> = {},
): Block {
  const height = tip.height + 1
  const time =
    lastCommit === null || tip.committee === null
      ? params.genesisTime
      : weightedMedianTime(lastCommit.precommits, committeeOf(tip.committee))
  const base: BlockHeader = {
    chainId: params.chainId,
    height,
    time,
    parentHash: tip.hash,
    lastCommitHash: lastCommit === null ? ZERO_HASH : certificateHash(lastCommit),
    txsRoot: merkleRootOfHashes(txs.map(txHash)),
    stateRoot: ZERO_HASH,
    proposer: proposer.publicKey,
    committeeHash: committeeOf(app.committee(tip.state, height)).hash,
  }
  const draft: Block = { header: base, txs, lastCommit }
  let stateRoot = ZERO_HASH
  try {
    stateRoot = app.stateRoot(app.executeBlock(tip.state, blockContext(draft), txs))
  } catch {
    // An invalid transaction list: leave the zero root (the block is invalid anyway).
  }
  return { header: { ...base, stateRoot, ...header }, txs, lastCommit }
}

/** A proposal signed with a test key, encoded for the wire. */
export function proposalBytes(
  key: TestKey,
  p: { height: number; round: number; validRound: number; block: Block },
): Uint8Array {
  const signed: SignedProposal = { ...p, signature: testSign(key)(proposalSignBytes(p)) }
  return encodeProposal(signed)
}

/** Hex of a block's hash. */
export function hashHex(block: Block): string {
  return toHex(blockHash(block.header))
}
