/**
 * Errors raised by consensus (votes, proposals, blocks, commit certificates). One class per failure,
 * each with a stable `name` and `code` spelled out (they survive minification and cross workers and
 * the network as `{ name, code, message }`). Tests match `name`/`code` (and `reason` where a class
 * has several), never the message.
 */

/** The serialisable form of a consensus error. */
export interface SerializedConsensusError {
  name: string
  code: string
  message: string
  /** Which rule failed, for the classes that have several (e.g. `'power'` for a certificate). */
  reason?: string
  /** Height of the block the failure is about, when there is one. */
  height?: number
}

/** Options every consensus error accepts besides the message. */
export interface ConsensusErrorOptions extends ErrorOptions {
  /** Height of the block the failure is about. */
  height?: number
}

/** Base class of every consensus error. */
export abstract class ConsensusError extends Error {
  /** Stable identifier of the failure. */
  abstract readonly code: string
  /** Which rule failed, for classes with several (stable strings, documented per class). */
  readonly reason?: string
  /** Height of the block the failure is about, when known. */
  readonly height?: number

  constructor(message: string, options?: ConsensusErrorOptions) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined)
    if (options?.height !== undefined) this.height = options.height
  }

  /** The `{ name, code, message }` form that crosses workers and the network. */
  toJSON(): SerializedConsensusError {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.reason !== undefined ? { reason: this.reason } : {}),
      ...(this.height !== undefined ? { height: this.height } : {}),
    }
  }
}

/** Bytes from the network that are not a well-formed, canonically encoded message. */
export class ConsensusDecodeError extends ConsensusError {
  override readonly name = 'ConsensusDecodeError'
  readonly code = 'ERR_CONSENSUS_DECODE'
}

/** An argument or an option given to a consensus function is out of range or of the wrong type. */
export class ConsensusConfigError extends ConsensusError {
  override readonly name = 'ConsensusConfigError'
  readonly code = 'ERR_CONSENSUS_CONFIG'
}

/**
 * The application returned a committee consensus cannot use: empty, a key that is not 32 bytes, a
 * key twice, a power that is not a positive safe integer, or a total power above 2^53 − 1.
 */
export class InvalidCommitteeError extends ConsensusError {
  override readonly name = 'InvalidCommitteeError'
  readonly code = 'ERR_INVALID_COMMITTEE'
}

/** Why a block is refused (see {@link InvalidBlockError}). */
export type InvalidBlockReason =
  | 'chain-id'
  | 'height'
  | 'parent'
  | 'last-commit'
  | 'time'
  | 'txs-root'
  | 'committee'
  | 'proposer'
  | 'execution'
  | 'state-root'

/**
 * A block does not follow the chain it claims to extend: wrong chain ID or height, broken hash link,
 * a last commit that is not the parent's certificate, a time that is not the BFT time, a wrong
 * transactions root, committee hash or proposer, transactions the application refuses, or a state
 * root other than the one its execution gives. `reason` names the rule.
 */
export class InvalidBlockError extends ConsensusError {
  override readonly name = 'InvalidBlockError'
  readonly code = 'ERR_INVALID_BLOCK'
  override readonly reason: InvalidBlockReason

  constructor(reason: InvalidBlockReason, message: string, options?: ConsensusErrorOptions) {
    super(message, options)
    this.reason = reason
  }
}

/** A block carries more transactions or bytes than the chain's limits (or a transaction too large). */
export class OversizedBlockError extends ConsensusError {
  override readonly name = 'OversizedBlockError'
  readonly code = 'ERR_OVERSIZED_BLOCK'
}

/**
 * A block's time is further ahead of this node's clock than the allowed drift (30 s by default).
 * The block may become acceptable later: the refusal is never cached.
 */
export class FutureTimestampError extends ConsensusError {
  override readonly name = 'FutureTimestampError'
  readonly code = 'ERR_FUTURE_TIMESTAMP'
}

/** Why a proposal is refused (see {@link InvalidProposalError}). */
export type InvalidProposalReason = 'chain-id' | 'committee' | 'valid-round' | 'signature'

/**
 * A proposal that cannot count: a block of another chain (`chain-id`) or of another committee
 * (`committee`), a valid round out of range (`valid-round`), or not signed by the proposer of its
 * height and round (`signature`).
 */
export class InvalidProposalError extends ConsensusError {
  override readonly name = 'InvalidProposalError'
  readonly code = 'ERR_INVALID_PROPOSAL'
  override readonly reason: InvalidProposalReason

  constructor(reason: InvalidProposalReason, message: string, options?: ConsensusErrorOptions) {
    super(message, options)
    this.reason = reason
  }
}

/** Why a commit certificate is refused (see {@link InvalidCertificateError}). */
export type InvalidCertificateReason =
  'block' | 'order' | 'duplicate' | 'non-member' | 'signature' | 'power' | 'time'

/**
 * A commit certificate that does not prove the block final: for another block or height (`block`),
 * precommits not in ascending validator order (`order`) or a validator twice (`duplicate`), a
 * signer outside the committee (`non-member`), a bad signature (`signature`, also for another
 * chain ID, which is inside the signed bytes), at most 2/3 of the committee's power (`power`), or
 * a weighted median time other than the next header's (`time`).
 */
export class InvalidCertificateError extends ConsensusError {
  override readonly name = 'InvalidCertificateError'
  readonly code = 'ERR_INVALID_CERTIFICATE'
  override readonly reason: InvalidCertificateReason

  constructor(reason: InvalidCertificateReason, message: string, options?: ConsensusErrorOptions) {
    super(message, options)
    this.reason = reason
  }
}

/** Why a vote is refused (see {@link InvalidVoteError}). */
export type InvalidVoteReason = 'chain-id' | 'non-member' | 'signature'

/**
 * A vote that cannot count: another chain (`chain-id`), a validator outside the committee
 * (`non-member`), a bad signature (`signature`).
 */
export class InvalidVoteError extends ConsensusError {
  override readonly name = 'InvalidVoteError'
  readonly code = 'ERR_INVALID_VOTE'
  override readonly reason: InvalidVoteReason

  constructor(reason: InvalidVoteReason, message: string, options?: ConsensusErrorOptions) {
    super(message, options)
    this.reason = reason
  }
}

/** A transaction is larger than the mempool accepts. */
export class OversizedTxError extends ConsensusError {
  override readonly name = 'OversizedTxError'
  readonly code = 'ERR_OVERSIZED_TX'
}

/** The mempool is at its transaction or byte cap; try again after the next block. */
export class MempoolFullError extends ConsensusError {
  override readonly name = 'MempoolFullError'
  readonly code = 'ERR_MEMPOOL_FULL'
}

/** The transaction is already in the mempool. */
export class DuplicateTxError extends ConsensusError {
  override readonly name = 'DuplicateTxError'
  readonly code = 'ERR_DUPLICATE_TX'
}

/**
 * Turn anything thrown (a consensus error, an application error, anything else) into the
 * `{ name, code, message }` form. Errors without a `code` get `ERR_UNKNOWN`.
 */
export function serializeError(err: unknown): SerializedConsensusError {
  if (err instanceof ConsensusError) return err.toJSON()
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    return {
      name: err.name,
      code: typeof code === 'string' ? code : 'ERR_UNKNOWN',
      message: err.message,
    }
  }
  return { name: 'Error', code: 'ERR_UNKNOWN', message: String(err) }
}
