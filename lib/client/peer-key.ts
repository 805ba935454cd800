/**
 * Peer IDs ↔ ledger keys. The ledger names accounts by their raw Ed25519 public key (64 hex
 * digits); people know nodes by their libp2p peer ID (`12D3KooW…`). The two are the same key:
 * an Ed25519 peer ID is the base58btc text (no multibase prefix) of an identity multihash of the
 * protobuf-encoded public key,
 *
 * ```
 * 00 24            identity multihash, 36 bytes of digest
 * 08 01 12 20      PublicKey { Type: Ed25519, Data: 32 bytes }
 * <32-byte key>
 * ```
 *
 * The codec is lib/assets/global-address.ts's (base58btc over `multiformats`, not `@libp2p/peer-id`,
 * which would bring libp2p's crypto into every page that shows a peer ID).
 */
import { parsePeerId, peerIdOfPublicKey } from '@/lib/assets/global-address'

/** A peer ID or key that is not one, with a sentence saying why. */
export class PeerKeyError extends Error {
  override readonly name = 'PeerKeyError'
  readonly code = 'ERR_PEER_KEY'
}

// 38 bytes in base58 take 52 or 53 characters; anything far off is not worth decoding.
const MAX_PEER_ID_CHARS = 60
const HEX_KEY = /^[0-9a-f]{64}$/

/**
 * The peer ID of a ledger key.
 *
 * @example
 * ```ts
 * peerIdFromKeyHex('85ce71…5f32') // '12D3KooWJm…'
 * ```
 * @throws {@link PeerKeyError} when `hex` is not 64 hex digits (upper case is accepted)
 */
export function peerIdFromKeyHex(hex: string): string {
  if (typeof hex !== 'string') throw new PeerKeyError('peerIdFromKeyHex expects a string')
  const clean = hex.toLowerCase()
  if (!HEX_KEY.test(clean)) {
    throw new PeerKeyError(
      `peerIdFromKeyHex: "${preview(hex)}" is not a public key (64 hex digits expected)`,
    )
  }
  const key = new Uint8Array(32)
  for (let i = 0; i < 32; i++) key[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16)
  return peerIdOfPublicKey(key)
}

/**
 * The ledger key (lowercase hex) of an Ed25519 peer ID.
 *
 * @example
 * ```ts
 * keyHexFromPeerId('12D3KooWJm…') // '85ce71…5f32'
 * ```
 * @throws {@link PeerKeyError} when `peerId` is not base58btc, or not an Ed25519 peer ID (RSA
 *   `Qm…` and secp256k1 `16Uiu2…` IDs have no ledger account)
 */
export function keyHexFromPeerId(peerId: string): string {
  if (typeof peerId !== 'string') throw new PeerKeyError('keyHexFromPeerId expects a string')
  const text = peerId.trim()
  if (text === '' || text.length > MAX_PEER_ID_CHARS) {
    throw new PeerKeyError(`keyHexFromPeerId: "${preview(peerId)}" is not a peer ID`)
  }
  let key: Uint8Array
  try {
    key = parsePeerId(text).publicKey
  } catch (err) {
    const reason = (err as { reason?: string }).reason
    throw new PeerKeyError(
      reason === 'key-type'
        ? `keyHexFromPeerId: "${preview(peerId)}" is not an Ed25519 peer ID`
        : `keyHexFromPeerId: "${preview(peerId)}" is not base58 text`,
      { cause: err },
    )
  }
  let hex = ''
  for (const b of key) hex += b.toString(16).padStart(2, '0')
  return hex
}

/** The peer ID of a key, or null when `hex` is not one (for labels that must not throw). */
export function peerIdOrNull(hex: string): string | null {
  try {
    return peerIdFromKeyHex(hex)
  } catch {
    return null
  }
}

/** Whether `text` looks like an Ed25519 peer ID and decodes as one. */
export function isPeerId(text: string): boolean {
  try {
    keyHexFromPeerId(text)
    return true
  } catch {
    return false
  }
}

function preview(s: string): string {
  return s.length > 24 ? `${s.slice(0, 20)}…` : s
}
