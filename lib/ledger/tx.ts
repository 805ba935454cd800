/**
 * The transaction envelope (docs/ledger.md, "Transactions"): a dag-cbor map
 *
 * ```text
 * { chain, kind, from, nonce, fee, body, sig }
 * ```
 *
 * signed over `"hypermesh/tx/v1" ‖ 0x00 ‖ dag-cbor({ chain, kind, from, nonce, fee, body })` and
 * named by the CID v1 (dag-cbor, sha2-256) of the encoded signed transaction.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { sha256 } from '@noble/hashes/sha2.js'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { MAX_KIND_LENGTH, SIGNATURE_BYTES, TX_DOMAIN, TX_MAX_BYTES_LIMIT } from './constants'
import {
  decodeCanonical,
  encodeCbor,
  readAmount,
  readBytes,
  readMap,
  readPublicKey,
  readString,
  readUint,
} from './codec'
import { LedgerArgumentError, TxTooLargeError, UnknownTxKindError } from './errors'
import { DEFAULT_TX_KINDS } from './kinds'
import type { DecodedTx, TxKindRegistry, UnsignedTx } from './types'

const ENVELOPE_FIELDS = ['chain', 'kind', 'from', 'nonce', 'fee', 'body', 'sig'] as const
const KIND_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/
const CHAIN_PATTERN = /^[\x21-\x7e]{1,64}$/
/** Multihash code of sha2-256. */
const SHA2_256_CODE = 0x12
const DOMAIN = new TextEncoder().encode(TX_DOMAIN + '\0')

/** Options of {@link decodeTx}. */
export interface DecodeTxOptions {
  /** Largest encoding accepted; default and ceiling {@link TX_MAX_BYTES_LIMIT}. */
  maxBytes?: number
  /** Kinds to accept; default {@link DEFAULT_TX_KINDS}. */
  kinds?: TxKindRegistry
}

function envelope(tx: {
  chain: string
  kind: string
  from: Uint8Array
  nonce: number
  fee: bigint | number
  body: unknown
}): Record<string, unknown> {
  return {
    chain: tx.chain,
    kind: tx.kind,
    from: tx.from,
    nonce: tx.nonce,
    fee: tx.fee,
    body: tx.body,
  }
}

/**
 * The bytes a sender signs: `"hypermesh/tx/v1" ‖ 0x00 ‖ dag-cbor(envelope without sig)`.
 *
 * @param tx - the unsigned fields
 */
export function txSignBytes(tx: UnsignedTx | DecodedTx): Uint8Array {
  const encoded = encodeCbor(envelope(tx))
  const out = new Uint8Array(DOMAIN.length + encoded.length)
  out.set(DOMAIN, 0)
  out.set(encoded, DOMAIN.length)
  return out
}

/**
 * Decode a transaction from the network: size first, then canonical dag-cbor, the envelope's exact
 * fields, a known kind and its body. Does not check the signature or anything about the state.
 *
 * @throws {TxTooLargeError} when longer than `maxBytes`
 * @throws {LedgerDecodeError} for malformed or non-canonical bytes, or a malformed body
 * @throws {UnknownTxKindError} for a kind not in `kinds`
 * @example
 * ```ts
 * const tx = decodeTx(bytes)
 * tx.kind // 'transfer'
 * ```
 */
export function decodeTx(bytes: Uint8Array, options: DecodeTxOptions = {}): DecodedTx {
  const maxBytes = Math.min(options.maxBytes ?? TX_MAX_BYTES_LIMIT, TX_MAX_BYTES_LIMIT)
  const kinds = options.kinds ?? DEFAULT_TX_KINDS
  if (bytes instanceof Uint8Array && bytes.length > maxBytes) {
    throw new TxTooLargeError(bytes.length, maxBytes)
  }
  const m = readMap(decodeCanonical(bytes, maxBytes), 'tx', ENVELOPE_FIELDS)
  const chain = readString(m.chain, 'tx.chain', 64, CHAIN_PATTERN)
  const kindName = readString(m.kind, 'tx.kind', MAX_KIND_LENGTH, KIND_PATTERN)
  const from = readPublicKey(m.from, 'tx.from')
  const nonce = readUint(m.nonce, 'tx.nonce')
  const fee = readAmount(m.fee, 'tx.fee')
  const sig = readBytes(m.sig, 'tx.sig', SIGNATURE_BYTES)
  const kind = kinds.get(kindName)
  if (kind === undefined) throw new UnknownTxKindError(kindName)
  const body = kind.decodeBody(m.body)
  const tx = { chain, kind: kindName, from, nonce, fee, body, sig, bytes }
  return { ...tx, signBytes: txSignBytes(tx) }
}

/**
 * Build and sign a transaction. The fields are checked by decoding the result (a builder never
 * produces a transaction the ledger's decoder refuses), then `sign` signs {@link txSignBytes}.
 *
 * @param tx - chain, kind, sender, nonce, fee and body
 * @param sign - signs bytes with the sender's key, synchronously (e.g. noble's `ed25519.sign`)
 * @param options - the kinds to accept (default {@link DEFAULT_TX_KINDS})
 * @returns the encoded signed transaction, ready for `checkTx` and a block
 * @throws {LedgerDecodeError} / {UnknownTxKindError} when the fields are not a valid transaction
 * @throws {LedgerArgumentError} when `sign` does not return 64 bytes
 * @example
 * ```ts
 * const bytes = buildTx(
 *   { chain: 'hypermesh-dev', kind: 'transfer', from: alice.publicKey, nonce: 0, fee: 1n,
 *     body: { to: bob.publicKey, amount: 10n } },
 *   (m) => ed25519.sign(m, alice.secretKey),
 * )
 * ```
 */
export function buildTx<B>(
  tx: UnsignedTx<B>,
  sign: (bytes: Uint8Array) => Uint8Array,
  options: { kinds?: TxKindRegistry } = {},
): Uint8Array {
  const draft = encodeSigned(tx, new Uint8Array(SIGNATURE_BYTES))
  const checked = decodeTx(draft, options)
  const sig = sign(checked.signBytes)
  if (!(sig instanceof Uint8Array) || sig.length !== SIGNATURE_BYTES) {
    throw new LedgerArgumentError('buildTx.sign', 'must return a 64-byte signature')
  }
  return encodeSigned(tx, sig)
}

function encodeSigned(tx: UnsignedTx<unknown>, sig: Uint8Array): Uint8Array {
  let bytes: Uint8Array
  try {
    bytes = encodeCbor({ ...envelope(tx), sig })
  } catch {
    throw new LedgerArgumentError('buildTx.tx', 'must be encodable as dag-cbor')
  }
  return bytes
}

/**
 * The transaction ID: CID v1 (dag-cbor codec, sha2-256) of the encoded signed transaction.
 *
 * @param tx - encoded bytes, or a decoded transaction (its `bytes` are hashed)
 * @example
 * ```ts
 * txId(bytes).toString() // 'bafyrei…'
 * ```
 */
export function txId(tx: Uint8Array | DecodedTx): CID {
  const bytes = tx instanceof Uint8Array ? tx : tx.bytes
  // noble's SHA-256, not multiformats' hasher: the browser build of that one is async (WebCrypto).
  return CID.createV1(dagCbor.code, createDigest(SHA2_256_CODE, sha256(bytes)))
}
