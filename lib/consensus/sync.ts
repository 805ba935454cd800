/**
 * Block sync for late joiners and non-validators: from a trusted tip, check and apply blocks one
 * after the other, each with a commit certificate, re-executing every block to check its state
 * root. Nothing is trusted that a certificate of the right committee does not cover.
 */
import type { Application } from './application'
import { type ChainParams, type ChainTip, advanceTip, committeeOf, validateBlock } from './chain'
import { verifyCommitCertificate } from './certificate'
import type { Block, CommitCertificate } from './codec'
import type { SignatureVerifier } from '../ports'

/** Options of {@link syncBlock} and {@link syncBlocks}. */
export interface SyncOptions {
  /** Verifies certificate signatures. */
  verifier: SignatureVerifier
  /** The local clock (ms): a block more than `params.maxFutureMs` ahead of it is refused. */
  now: number
}

/**
 * Check `block` as the successor of `tip` (see `validateBlock` in ./chain: hash link, last commit,
 * BFT time, limits, roots, committee, execution, state root) and `certificate` as its commit
 * certificate by the block's committee, then return the new tip.
 *
 * Throws the typed error of the first failed rule (`InvalidBlockError`, `OversizedBlockError`,
 * `FutureTimestampError`, `InvalidCertificateError`), with the block's `height`.
 */
export function syncBlock<S>(
  app: Application<S>,
  params: ChainParams,
  tip: ChainTip<S>,
  block: Block,
  certificate: CommitCertificate,
  options: SyncOptions,
): ChainTip<S> {
  const validated = validateBlock(app, params, tip, block, options)
  verifyCommitCertificate(
    certificate,
    committeeOf(validated.committee),
    params.chainId,
    block.header,
    options.verifier,
  )
  return advanceTip(block, validated, certificate)
}

/**
 * Apply `items` (consecutive blocks from `tip.height + 1`, each with its certificate) with
 * {@link syncBlock} and return the last tip. Throws on the first bad block; the error's `height`
 * says which, and every block before it was good.
 *
 * @example
 * ```ts
 * const tip = syncBlocks(app, params, genesisTip(genesisState), fetched, { verifier, now })
 * ```
 */
export function syncBlocks<S>(
  app: Application<S>,
  params: ChainParams,
  tip: ChainTip<S>,
  items: readonly { block: Block; certificate: CommitCertificate }[],
  options: SyncOptions,
): ChainTip<S> {
  let current = tip
  for (const { block, certificate } of items) {
    current = syncBlock(app, params, current, block, certificate, options)
  }
  return current
}
