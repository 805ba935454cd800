/**
 * Errors raised by the ledger. One class per failure, each with a stable `name` and `code` spelled
 * out (they survive minification and cross workers and the network as `{ name, code, message }`).
 * Tests match `name`/`code`, never the message. When `executeBlock` refuses a block because of one
 * transaction, the error carries that transaction's position in `txIndex`.
 */

/** The serialisable form of a ledger error. */
export interface SerializedLedgerError {
  name: string
  code: string
  message: string
  txIndex?: number
}

/** Base class of every ledger error. */
export abstract class LedgerError extends Error {
  /** Stable identifier of the failure. */
  abstract readonly code: string
  /** Position of the offending transaction in the block, when a block was refused for it. */
  txIndex?: number

  /** The `{ name, code, message }` form that crosses workers and the network. */
  toJSON(): SerializedLedgerError {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.txIndex !== undefined ? { txIndex: this.txIndex } : {}),
    }
  }
}

/**
 * Bytes that are not a well-formed, canonically encoded ledger message (transaction, body, state
 * value, proof or genesis): not dag-cbor, not canonical, a missing, extra or out-of-range field.
 */
export class LedgerDecodeError extends LedgerError {
  override readonly name = 'LedgerDecodeError'
  readonly code = 'ERR_LEDGER_DECODE'

  /**
   * @param field - path of the offending field (`body.amount`), or `bytes` for the whole encoding
   * @param reason - what is wrong with it
   */
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`Malformed ledger data at ${field}: ${reason}.`)
  }
}

/** A transaction is larger than the chain's `maxTxBytes` (or the decoder's hard limit). */
export class TxTooLargeError extends LedgerError {
  override readonly name = 'TxTooLargeError'
  readonly code = 'ERR_TX_TOO_LARGE'

  /**
   * @param size - size of the transaction, in bytes
   * @param limit - the limit it exceeds
   */
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`Transaction is ${size} bytes, more than the ${limit}-byte limit.`)
  }
}

/** A transaction names a kind this ledger does not know. */
export class UnknownTxKindError extends LedgerError {
  override readonly name = 'UnknownTxKindError'
  readonly code = 'ERR_UNKNOWN_TX_KIND'

  /** @param kind - the kind named */
  constructor(readonly kind: string) {
    super(`Unknown transaction kind "${kind}".`)
  }
}

/** A transaction was signed for another chain. */
export class WrongChainError extends LedgerError {
  override readonly name = 'WrongChainError'
  readonly code = 'ERR_WRONG_CHAIN'

  /**
   * @param expected - this chain's ID
   * @param actual - the chain ID in the transaction
   */
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`Transaction is for chain "${actual}", not "${expected}".`)
  }
}

/** A transaction's signature does not verify with its sender's key. */
export class BadSignatureError extends LedgerError {
  override readonly name = 'BadSignatureError'
  readonly code = 'ERR_BAD_SIGNATURE'

  constructor() {
    super("Transaction signature does not verify with the sender's key.")
  }
}

/** A transaction's nonce is not its sender's next nonce (a replay, or one sent out of order). */
export class BadNonceError extends LedgerError {
  override readonly name = 'BadNonceError'
  readonly code = 'ERR_BAD_NONCE'

  /**
   * @param expected - the account's next nonce
   * @param actual - the transaction's nonce
   */
  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`Transaction nonce is ${actual}, the account's next nonce is ${expected}.`)
  }
}

/** The sender's balance does not cover the fee and the amount. */
export class InsufficientFundsError extends LedgerError {
  override readonly name = 'InsufficientFundsError'
  readonly code = 'ERR_INSUFFICIENT_FUNDS'

  /**
   * @param needed - credits the transaction needs from the balance at this point
   * @param available - the balance
   */
  constructor(
    readonly needed: bigint,
    readonly available: bigint,
  ) {
    super(`Insufficient funds: ${needed} needed, ${available} available.`)
  }
}

/** An unstake asks for more than the account's bonded stake. */
export class InsufficientStakeError extends LedgerError {
  override readonly name = 'InsufficientStakeError'
  readonly code = 'ERR_INSUFFICIENT_STAKE'

  /**
   * @param needed - the amount asked for
   * @param available - the bonded stake
   */
  constructor(
    readonly needed: bigint,
    readonly available: bigint,
  ) {
    super(`Insufficient stake: ${needed} asked for, ${available} bonded.`)
  }
}

/** An amount is zero where it must be positive, or a result would exceed 2^64 − 1. */
export class InvalidAmountError extends LedgerError {
  override readonly name = 'InvalidAmountError'
  readonly code = 'ERR_INVALID_AMOUNT'

  /** @param reason - what is wrong with the amount */
  constructor(reason: string) {
    super(`Invalid amount: ${reason}.`)
  }
}

/** The sender has no account (only a node registration may come from a new key). */
export class UnknownAccountError extends LedgerError {
  override readonly name = 'UnknownAccountError'
  readonly code = 'ERR_UNKNOWN_ACCOUNT'

  /** @param account - the key, hex */
  constructor(readonly account: string) {
    super(`Account ${account} does not exist; register the node first or receive a transfer.`)
  }
}

/** A transaction refers to a node that is not registered. */
export class UnknownNodeError extends LedgerError {
  override readonly name = 'UnknownNodeError'
  readonly code = 'ERR_UNKNOWN_NODE'

  /** @param node - the key, hex */
  constructor(readonly node: string) {
    super(`Node ${node} is not registered.`)
  }
}

/**
 * A registration's hashcash stamp was refused. `reason` is {@link HashcashFailure} of
 * lib/trustchain/hashcash.ts (`format`, `resource`, `bits`, `expired`, `future`, `work`).
 */
export class BadStampError extends LedgerError {
  override readonly name = 'BadStampError'
  readonly code = 'ERR_BAD_STAMP'

  /** @param reason - which rule the stamp broke */
  constructor(readonly reason: string) {
    super(`Registration stamp refused (${reason}); mint a new stamp for this chain and key.`)
  }
}

/**
 * The chain requires a TrustChain certificate (genesis `trustchainRoot`) and none was given, or
 * the sender has not registered one.
 */
export class CertificateRequiredError extends LedgerError {
  override readonly name = 'CertificateRequiredError'
  readonly code = 'ERR_CERTIFICATE_REQUIRED'

  constructor() {
    super('This chain needs a TrustChain certificate: register the node with a current one.')
  }
}

/** Why a certificate was refused by {@link BadCertificateError}. */
export type BadCertificateReason =
  'format' | 'not-peer' | 'key' | 'peer-id' | 'signature' | 'unexpected'

/**
 * A registration's certificate was refused: malformed (`format`), a CA certificate (`not-peer`),
 * for another key (`key`, `peer-id`), not signed by the genesis root (`signature`), or given on a
 * chain without a TrustChain root (`unexpected`).
 */
export class BadCertificateError extends LedgerError {
  override readonly name = 'BadCertificateError'
  readonly code = 'ERR_BAD_CERTIFICATE'

  /** @param reason - which check failed */
  constructor(readonly reason: BadCertificateReason) {
    super(`Certificate refused (${reason}).`)
  }
}

/** A certificate is not valid at the block time (expired, or not yet valid). */
export class CertificateExpiredError extends LedgerError {
  override readonly name = 'CertificateExpiredError'
  readonly code = 'ERR_CERTIFICATE_EXPIRED'

  /**
   * @param reason - `expired` or `not-yet-valid`
   * @param time - the block time, ms
   */
  constructor(
    readonly reason: 'expired' | 'not-yet-valid',
    readonly time: number,
  ) {
    super(
      reason === 'expired'
        ? 'The TrustChain certificate has expired: renew it and register again.'
        : 'The TrustChain certificate is not valid yet.',
    )
  }
}

/** A node attested its own RTT. */
export class SelfAttestationError extends LedgerError {
  override readonly name = 'SelfAttestationError'
  readonly code = 'ERR_SELF_ATTESTATION'

  constructor() {
    super('A node cannot attest its own round-trip time.')
  }
}

/** An attestation is measured at a future height, or older than the subject's latest one. */
export class BadAttestationError extends LedgerError {
  override readonly name = 'BadAttestationError'
  readonly code = 'ERR_BAD_ATTESTATION'

  /** @param reason - `future` or `stale` */
  constructor(readonly reason: 'future' | 'stale') {
    super(`Attestation refused (${reason}).`)
  }
}

/** Why slashing evidence was refused by {@link BadEvidenceError}. */
export type BadEvidenceReason =
  | 'format'
  | 'not-equivocation'
  | 'wrong-chain'
  | 'signature'
  | 'not-validator'
  | 'too-old'
  | 'future'

/** Slashing evidence is not two validly signed, conflicting votes of a validator of this chain. */
export class BadEvidenceError extends LedgerError {
  override readonly name = 'BadEvidenceError'
  readonly code = 'ERR_BAD_EVIDENCE'

  /** @param reason - which check failed */
  constructor(readonly reason: BadEvidenceReason) {
    super(`Slashing evidence refused (${reason}).`)
  }
}

/** This equivocation (validator, height, round, type) was already slashed. */
export class DuplicateEvidenceError extends LedgerError {
  override readonly name = 'DuplicateEvidenceError'
  readonly code = 'ERR_DUPLICATE_EVIDENCE'

  constructor() {
    super('This equivocation was already slashed.')
  }
}

/** Why an asset registration or update was refused by {@link BadAssetError}. */
export type BadAssetReason =
  'level' | 'future' | 'type' | 'value' | 'hours' | 'unmeasured' | 'above-capacity'

/**
 * An asset registration or update was refused: a privacy level the ledger does not publish
 * (`level`: only `public-network` and `full-public` are registered, lib/assets/privacy.ts), a
 * creation time after the block time (`future`), or a share lib/assets' `checkShare` refuses
 * against the measured capacity (`type`, `value`, `hours`, `unmeasured`: what was not measured
 * cannot be offered, `above-capacity`).
 */
export class BadAssetError extends LedgerError {
  override readonly name = 'BadAssetError'
  readonly code = 'ERR_BAD_ASSET'

  /** @param reason - which rule the asset broke */
  constructor(readonly reason: BadAssetReason) {
    super(
      reason === 'level'
        ? 'Only public-network and full-public assets are registered on the ledger.'
        : reason === 'future'
          ? "The asset's creation time is after the block time."
          : `The asset's share was refused (${reason}); measure again or offer less.`,
    )
  }
}

/** An asset ID (its UUID) is already registered, live or retired. */
export class DuplicateAssetError extends LedgerError {
  override readonly name = 'DuplicateAssetError'
  readonly code = 'ERR_DUPLICATE_ASSET'

  /** @param uuid - the asset UUID, hex */
  constructor(readonly uuid: string) {
    super(`Asset ${uuid} is already registered; a new asset needs a new ID.`)
  }
}

/** An update or retirement names an asset the ledger does not hold (or of another type). */
export class UnknownAssetError extends LedgerError {
  override readonly name = 'UnknownAssetError'
  readonly code = 'ERR_UNKNOWN_ASSET'

  /** @param uuid - the asset UUID, hex */
  constructor(readonly uuid: string) {
    super(`Asset ${uuid} is not registered.`)
  }
}

/** An update or retirement of an asset was sent by another key than its owner's. */
export class NotAssetOwnerError extends LedgerError {
  override readonly name = 'NotAssetOwnerError'
  readonly code = 'ERR_NOT_ASSET_OWNER'

  /** @param uuid - the asset UUID, hex */
  constructor(readonly uuid: string) {
    super(`Only the node that registered asset ${uuid} may change or retire it.`)
  }
}

/** An update or retirement of an asset that is already retired. */
export class AssetRetiredError extends LedgerError {
  override readonly name = 'AssetRetiredError'
  readonly code = 'ERR_ASSET_RETIRED'

  /** @param uuid - the asset UUID, hex */
  constructor(readonly uuid: string) {
    super(`Asset ${uuid} is retired; register a new asset instead.`)
  }
}

/**
 * A node would exceed its asset limits: `MAX_LIVE_ASSETS_PER_NODE` live assets (`live`:
 * retire one first) or `MAX_ASSET_REGISTRATIONS_PER_NODE` registrations ever (`total`).
 */
export class AssetLimitError extends LedgerError {
  override readonly name = 'AssetLimitError'
  readonly code = 'ERR_ASSET_LIMIT'

  /**
   * @param reason - which limit
   * @param limit - its value
   */
  constructor(
    readonly reason: 'live' | 'total',
    readonly limit: number,
  ) {
    super(
      reason === 'live'
        ? `A node may have at most ${limit} live assets; retire one first.`
        : `A node may register at most ${limit} assets.`,
    )
  }
}

/** A block holds more transactions than the genesis allows. */
export class BlockTooLargeError extends LedgerError {
  override readonly name = 'BlockTooLargeError'
  readonly code = 'ERR_BLOCK_TOO_LARGE'

  /**
   * @param count - transactions in the block
   * @param limit - `maxBlockTxs`
   */
  constructor(
    readonly count: number,
    readonly limit: number,
  ) {
    super(`Block holds ${count} transactions, more than ${limit}.`)
  }
}

/** The block context does not follow the state: wrong chain, height or time. */
export class BadBlockContextError extends LedgerError {
  override readonly name = 'BadBlockContextError'
  readonly code = 'ERR_BAD_BLOCK_CONTEXT'

  /** @param reason - what is wrong */
  constructor(reason: string) {
    super(`Bad block context: ${reason}.`)
  }
}

/** The committee of a height is not in the state (pruned, or not elected yet). */
export class CommitteeUnknownError extends LedgerError {
  override readonly name = 'CommitteeUnknownError'
  readonly code = 'ERR_COMMITTEE_UNKNOWN'

  /** @param height - the height asked for */
  constructor(readonly height: number) {
    super(`The committee of height ${height} is not known in this state.`)
  }
}

/** A genesis configuration breaks a rule. */
export class InvalidGenesisError extends LedgerError {
  override readonly name = 'InvalidGenesisError'
  readonly code = 'ERR_INVALID_GENESIS'

  /**
   * @param field - the offending field (`allocations[2].amount`)
   * @param rule - the rule it breaks
   */
  constructor(
    readonly field: string,
    rule: string,
  ) {
    super(`Invalid genesis: ${field} ${rule}.`)
  }
}

/** {@link proveFact} was asked about a key the state does not hold. */
export class UnknownFactError extends LedgerError {
  override readonly name = 'UnknownFactError'
  readonly code = 'ERR_UNKNOWN_FACT'

  /** @param key - the state key */
  constructor(readonly key: string) {
    super(`The state holds no fact under "${key}".`)
  }
}

/** A ledger function was called with an argument of the wrong type or range. */
export class LedgerArgumentError extends LedgerError {
  override readonly name = 'LedgerArgumentError'
  readonly code = 'ERR_LEDGER_ARGUMENT'

  /**
   * @param argument - qualified argument name (`account.publicKey`)
   * @param rule - the rule it breaks
   */
  constructor(
    readonly argument: string,
    rule: string,
  ) {
    super(`${argument} ${rule}.`)
  }
}
