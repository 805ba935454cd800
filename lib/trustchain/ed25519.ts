/**
 * Strict Ed25519 verification for TrustChain: RFC 8032 decoding rules, never ZIP-215's lenient ones.
 * Every peer must reach the same verdict on the same bytes, and a signature must have exactly one
 * accepted encoding, so non-canonical points and scalars are refused rather than reduced.
 */

import { ed25519 } from '@noble/curves/ed25519.js'
import { isBytes } from '@noble/hashes/utils.js'

/** Length of an Ed25519 public key, in bytes (RFC 8032 §5.1.5). */
export const ED25519_PUBLIC_KEY_LENGTH = 32

/** Length of an Ed25519 signature, in bytes (RFC 8032 §5.1.6). */
export const ED25519_SIGNATURE_LENGTH = 64

/**
 * Verify an Ed25519 signature the strict way: the key and R must be canonical point encodings
 * (y < p, no negative zero), S must be reduced (S < L), and small-order public keys are refused.
 * Never throws: wrong types or lengths, non-canonical encodings and bad signatures all give `false`,
 * so a hostile peer cannot turn verification into an exception path.
 *
 * @param publicKey - 32-byte encoded public key
 * @param message - the signed bytes
 * @param signature - 64-byte signature `R ‖ S`
 * @returns whether the signature is valid
 *
 * @example
 * ```ts
 * if (!verifyEd25519(key, bytes, sig)) throw new Error('bad signature')
 * ```
 */
export function verifyEd25519(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (
    !isBytes(publicKey) ||
    !isBytes(message) ||
    !isBytes(signature) ||
    publicKey.length !== ED25519_PUBLIC_KEY_LENGTH ||
    signature.length !== ED25519_SIGNATURE_LENGTH
  ) {
    return false
  }
  try {
    // zip215: false selects RFC 8032 / FIPS 186-5 decoding; noble's ed25519 defaults to ZIP-215.
    return ed25519.verify(signature, message, publicKey, { zip215: false })
  } catch {
    return false
  }
}
