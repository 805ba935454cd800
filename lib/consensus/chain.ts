/**
 * Block validation against the chain it extends, shared by the protocol core (is this proposal
 * valid?), block sync (late joiners replaying blocks) and anyone holding a trusted state.
 *
 * Chain parameters must be the same on every node of a chain (they are part of its genesis
 * configuration): a node with other limits would judge blocks differently.
 */
import type { Application, BlockContext, CommitteeMember } from './application'
import { bytesEqual, toHex, ZERO_HASH } from './bytes'
import {
  blockHash,
  certificateHash,
  type Block,
  type BlockHeader,
  type CommitCertificate,
} from './codec'
import { type Committee, makeCommittee } from './committee'
import { verifyCommitCertificate, type VerifiedCertificate } from './certificate'
import {
  DEFAULT_MAX_BLOCK_BYTES,
  DEFAULT_MAX_BLOCK_TXS,
  DEFAULT_MAX_FUTURE_MS,
  DEFAULT_MAX_TX_BYTES,
  MAX_BLOCK_TXS_HARD,
  MAX_CHAIN_ID_LENGTH,
  MAX_TX_BYTES_HARD,
} from './constants'
import {
  ConsensusConfigError,
  ConsensusError,
  FutureTimestampError,
  InvalidBlockError,
  OversizedBlockError,
} from './errors'
import { merkleRootOfHashes, txHash } from './merkle'
import type { SignatureVerifier } from '../ports'

/** Parameters of a chain, fixed at genesis and equal on every node. */
export interface ChainParams {
  /** Chain ID: in every header and every signed vote and proposal. */
  chainId: string
  /** Time of block 1 (ms since the epoch). */
  genesisTime: number
  /** Most transactions in a block. Default {@link DEFAULT_MAX_BLOCK_TXS}. */
  maxBlockTxs: number
  /** Most transaction bytes in a block (sum of lengths). Default {@link DEFAULT_MAX_BLOCK_BYTES}. */
  maxBlockBytes: number
  /** Largest transaction. Default {@link DEFAULT_MAX_TX_BYTES}. */
  maxTxBytes: number
  /** How far ahead of the local clock a block's time may be (ms). Default 30 000. */
  maxFutureMs: number
}

/**
 * Fill in the defaults of the chain parameters and check them. Throws {@link ConsensusConfigError}.
 *
 * @example
 * ```ts
 * const params = chainParams({ chainId: 'hypermesh-dev', genesisTime: 1_700_000_000_000 })
 * ```
 */
export function chainParams(
  p: Pick<ChainParams, 'chainId' | 'genesisTime'> & Partial<ChainParams>,
): ChainParams {
  const out: ChainParams = {
    chainId: p.chainId,
    genesisTime: p.genesisTime,
    maxBlockTxs: p.maxBlockTxs ?? DEFAULT_MAX_BLOCK_TXS,
    maxBlockBytes: p.maxBlockBytes ?? DEFAULT_MAX_BLOCK_BYTES,
    maxTxBytes: p.maxTxBytes ?? DEFAULT_MAX_TX_BYTES,
    maxFutureMs: p.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS,
  }
  const bad = (what: string): never => {
    throw new ConsensusConfigError(`chainParams: bad ${what}`)
  }
  if (typeof out.chainId !== 'string' || out.chainId.length === 0) bad('chainId')
  if (out.chainId.length > MAX_CHAIN_ID_LENGTH) bad('chainId')
  const uint = (x: number) => Number.isSafeInteger(x) && x >= 0
  if (!uint(out.genesisTime)) bad('genesisTime')
  if (!uint(out.maxBlockTxs) || out.maxBlockTxs > MAX_BLOCK_TXS_HARD) bad('maxBlockTxs')
  if (!uint(out.maxBlockBytes)) bad('maxBlockBytes')
  if (!uint(out.maxTxBytes) || out.maxTxBytes > MAX_TX_BYTES_HARD) bad('maxTxBytes')
  if (!uint(out.maxFutureMs)) bad('maxFutureMs')
  return out
}

/**
 * A trusted point of the chain: block `height` (0 for genesis) and the state after it. Everything
 * a node needs to check and execute block `height + 1`.
 */
export interface ChainTip<S> {
  /** Height of the last block applied; 0 before block 1. */
  height: number
  /** Application state after block `height` (the genesis state at 0). */
  state: S
  /** Header of block `height`; `null` at genesis. */
  header: BlockHeader | null
  /** Hash of `header`; 32 zero bytes at genesis. */
  hash: Uint8Array
  /** Committee that decided block `height` (its certificate's signers are members); `null` at genesis. */
  committee: readonly CommitteeMember[] | null
  /** A commit certificate of block `height`; `null` at genesis. */
  certificate: CommitCertificate | null
}

/** The chain tip before block 1. */
export function genesisTip<S>(state: S): ChainTip<S> {
  return { height: 0, state, header: null, hash: ZERO_HASH, committee: null, certificate: null }
}

const committeeCache = new WeakMap<readonly CommitteeMember[], Committee>()

/** {@link makeCommittee}, cached per members array (the arrays are treated as immutable). */
export function committeeOf(members: readonly CommitteeMember[]): Committee {
  let c = committeeCache.get(members)
  if (c === undefined) {
    c = makeCommittee(members)
    committeeCache.set(members, c)
  }
  return c
}

/** What {@link validateBlock} establishes about a valid block. */
export interface ValidatedBlock<S> {
  /** Hash of the block's header. */
  hash: Uint8Array
  /** State after the block. */
  state: S
  /** Committee of the block's height (from the parent state). */
  committee: readonly CommitteeMember[]
  /** The verified last commit (`null` at height 1). */
  lastCommit: VerifiedCertificate | null
}

/** Options of {@link validateBlock}. */
export interface ValidateBlockOptions {
  /** Verifies the last commit's signatures. */
  verifier: SignatureVerifier
  /**
   * The local clock (ms). When given, a block whose time is more than `maxFutureMs` ahead is
   * refused with {@link FutureTimestampError}. The core checks it apart, so that verdicts it
   * caches do not depend on the clock.
   */
  now?: number
}

/** The context the application executes block `header` with. */
export function blockContext(block: Block): BlockContext {
  return {
    chainId: block.header.chainId,
    height: block.header.height,
    time: block.header.time,
    proposer: block.header.proposer,
    lastCommitSigners:
      block.lastCommit === null ? [] : block.lastCommit.precommits.map((p) => p.validator),
  }
}

/** Check the size limits of a block's transactions. Throws {@link OversizedBlockError}. */
export function checkBlockSize(
  params: ChainParams,
  txs: readonly Uint8Array[],
  height?: number,
): void {
  if (txs.length > params.maxBlockTxs) {
    throw new OversizedBlockError(`${txs.length} transactions, limit ${params.maxBlockTxs}`, {
      height,
    })
  }
  let bytes = 0
  for (const tx of txs) {
    if (tx.length > params.maxTxBytes) {
      throw new OversizedBlockError(`a ${tx.length}-byte transaction, limit ${params.maxTxBytes}`, {
        height,
      })
    }
    bytes += tx.length
  }
  if (bytes > params.maxBlockBytes) {
    throw new OversizedBlockError(`${bytes} transaction bytes, limit ${params.maxBlockBytes}`, {
      height,
    })
  }
}

/** Check a block's time against the local clock. Throws {@link FutureTimestampError}. */
export function checkNotFuture(params: ChainParams, header: BlockHeader, now: number): void {
  if (header.time > now + params.maxFutureMs) {
    throw new FutureTimestampError(
      `block time ${header.time} is ${header.time - now} ms ahead of the local clock`,
      { height: header.height },
    )
  }
}

/**
 * Check `block` as the successor of `tip` and execute it: chain ID, height, parent hash, size
 * limits, the last commit (a valid certificate of the parent signed by the parent's committee,
 * hash in the header), BFT time (genesis time at height 1, else the weighted median of the last
 * commit, strictly after the parent's), optionally not too far in the future, transactions root,
 * committee hash and proposer membership, execution by the application and the state root.
 * Returns the new state; `tip` is unchanged.
 *
 * Throws {@link InvalidBlockError} (`reason` names the rule), {@link OversizedBlockError} or
 * {@link FutureTimestampError}, each carrying the block's height.
 *
 * @param txHashes - the transactions' hashes when the caller already has them (saves hashing)
 */
export function validateBlock<S>(
  app: Application<S>,
  params: ChainParams,
  tip: ChainTip<S>,
  block: Block,
  options: ValidateBlockOptions,
  txHashes?: readonly Uint8Array[],
): ValidatedBlock<S> {
  const { header } = block
  const height = header.height
  const o = { height }
  if (header.chainId !== params.chainId) {
    throw new InvalidBlockError('chain-id', `block of chain ${header.chainId}`, o)
  }
  if (height !== tip.height + 1) {
    throw new InvalidBlockError('height', `block ${height} after block ${tip.height}`, o)
  }
  if (!bytesEqual(header.parentHash, tip.hash)) {
    throw new InvalidBlockError('parent', 'parent hash is not the hash of the previous block', o)
  }
  checkBlockSize(params, block.txs, height)

  let lastCommit: VerifiedCertificate | null = null
  if (tip.header === null) {
    if (block.lastCommit !== null || !bytesEqual(header.lastCommitHash, ZERO_HASH)) {
      throw new InvalidBlockError('last-commit', 'block 1 carries a last commit', o)
    }
    if (header.time !== params.genesisTime) {
      throw new InvalidBlockError('time', 'block 1 time is not the genesis time', o)
    }
  } else {
    if (block.lastCommit === null || tip.committee === null) {
      throw new InvalidBlockError('last-commit', 'no last commit', o)
    }
    if (!bytesEqual(header.lastCommitHash, certificateHash(block.lastCommit))) {
      throw new InvalidBlockError('last-commit', 'last commit hash mismatch', o)
    }
    try {
      lastCommit = verifyCommitCertificate(
        block.lastCommit,
        committeeOf(tip.committee),
        params.chainId,
        tip.header,
        options.verifier,
      )
    } catch (e) {
      if (!(e instanceof ConsensusError)) throw e
      throw new InvalidBlockError('last-commit', `last commit: ${e.message}`, { height, cause: e })
    }
    if (header.time !== lastCommit.time) {
      throw new InvalidBlockError('time', `time ${header.time}, BFT time ${lastCommit.time}`, o)
    }
    if (header.time <= tip.header.time) {
      throw new InvalidBlockError('time', 'time not after the parent block time', o)
    }
  }
  if (options.now !== undefined) checkNotFuture(params, header, options.now)

  const root = merkleRootOfHashes(txHashes ?? block.txs.map(txHash))
  if (!bytesEqual(root, header.txsRoot)) {
    throw new InvalidBlockError('txs-root', 'transactions root mismatch', o)
  }
  const members = app.committee(tip.state, height)
  const committee = committeeOf(members)
  if (!bytesEqual(committee.hash, header.committeeHash)) {
    throw new InvalidBlockError('committee', 'committee hash mismatch', o)
  }
  if (!committee.byKey.has(toHex(header.proposer))) {
    throw new InvalidBlockError('proposer', 'proposer not in the committee', o)
  }
  let state: S
  try {
    state = app.executeBlock(tip.state, blockContext(block), block.txs)
  } catch (e) {
    throw new InvalidBlockError('execution', `execution failed: ${(e as Error).message}`, {
      height,
      cause: e,
    })
  }
  if (!bytesEqual(app.stateRoot(state), header.stateRoot)) {
    throw new InvalidBlockError('state-root', 'state root mismatch after execution', o)
  }
  return { hash: blockHash(header), state, committee: members, lastCommit }
}

/**
 * The tip after a block validated by {@link validateBlock} and certified by `certificate`.
 */
export function advanceTip<S>(
  block: Block,
  validated: ValidatedBlock<S>,
  certificate: CommitCertificate,
): ChainTip<S> {
  return {
    height: block.header.height,
    state: validated.state,
    header: block.header,
    hash: validated.hash,
    committee: validated.committee,
    certificate,
  }
}
