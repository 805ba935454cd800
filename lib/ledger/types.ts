/**
 * The shapes shared by the envelope codec, the kinds and the application: a decoded transaction
 * and the interface a transaction kind implements. Later kinds (assets, jobs, exchange) are one
 * module each implementing {@link TxKind}, added to the registry given to `createLedgerApp`.
 */
import type { LedgerView } from './state'

/** A transaction before it is signed. */
export interface UnsignedTx<B = unknown> {
  /** Chain ID of the genesis it is meant for. */
  chain: string
  /** Registered kind name, e.g. `transfer`. */
  kind: string
  /** Sender: raw 32-byte Ed25519 public key (the account). */
  from: Uint8Array
  /** The sender account's next nonce. */
  nonce: number
  /** Fee, burned (bigint; a safe integer number is accepted by the builder). */
  fee: bigint | number
  /** Kind-specific body, wire-shaped (amounts bigint). */
  body: B
}

/** A decoded, canonically encoded transaction (signature not yet checked). */
export interface DecodedTx<B = unknown> {
  readonly chain: string
  readonly kind: string
  readonly from: Uint8Array
  readonly nonce: number
  readonly fee: bigint
  readonly body: B
  /** 64-byte Ed25519 signature over `signBytes`. */
  readonly sig: Uint8Array
  /** The encoded signed transaction, as received. */
  readonly bytes: Uint8Array
  /** The bytes the sender signed: `"hypermesh/tx/v1" ‖ 0x00 ‖ dag-cbor(envelope without sig)`. */
  readonly signBytes: Uint8Array
}

/**
 * One kind of transaction: how to read its body, what it requires of the state, and what it
 * changes. The envelope rules (size, chain, signature, account, nonce, fee, certificate) run
 * before `check`; the fee is already deducted and the nonce advanced when `check` runs.
 */
export interface TxKind<B = unknown> {
  /** The kind's name on the wire (`[a-z0-9-]`, ≤ 32 characters). */
  readonly kind: string
  /** Whether a key without an account may send it (it creates the account). Default false. */
  readonly createsAccount?: boolean
  /**
   * Whether, on a chain with a TrustChain root, the sender must be a node whose certificate is
   * valid at the block time. Default true; only the registration itself is exempt.
   */
  readonly needsCertificate?: boolean
  /**
   * Read the body from its decoded dag-cbor value: exact fields, types and ranges.
   *
   * @throws LedgerDecodeError naming the field
   */
  decodeBody(raw: unknown): B
  /** Check the transaction against the state; throws a typed error, writes nothing. */
  check(view: LedgerView, tx: DecodedTx<B>): void
  /** Apply a checked transaction. */
  apply(view: LedgerView, tx: DecodedTx<B>): void
}

/** The kinds a ledger knows, by name. */
export type TxKindRegistry = ReadonlyMap<string, TxKind<unknown>>
