/**
 * The consensus Ed25519 rule (lib/crypto/ed25519-rule.ts) on Node.js: the rule's prechecks in JS,
 * then OpenSSL's cofactorless verification through node:crypto, which is synchronous and the
 * fastest implementation on the platform. Verdicts are cached.
 */
import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto'
import { bytesToHex } from '@noble/hashes/utils.js'
import { KeyCheckCache, passesPrechecks, SignatureCache } from '@/lib/crypto/ed25519-rule'
import type { SignatureVerifier } from '@/lib/ports'

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the raw key follows. */
const SPKI_PREFIX = Uint8Array.from([
  0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
])

/** Options of {@link nodeEd25519Verifier}. */
export interface NodeEd25519Init {
  /** Verdict cache; pass one to share it, or `null` for none. Default: a fresh cache. */
  cache?: SignatureCache | null
}

/** A {@link SignatureVerifier} with the cache it uses. */
export interface CachingVerifier extends SignatureVerifier {
  readonly cache: SignatureCache | null
}

/** A node:crypto KeyObject for a raw 32-byte Ed25519 public key (throws on a bad one). */
export function ed25519KeyObject(publicKey: Uint8Array): KeyObject {
  const der = new Uint8Array(SPKI_PREFIX.length + 32)
  der.set(SPKI_PREFIX, 0)
  der.set(publicKey, SPKI_PREFIX.length)
  return createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' })
}

/** node:crypto Ed25519 verification of a raw key, no prechecks: OpenSSL's own verdict. */
export function nativeNodeVerify(
  keyObjects: Map<string, KeyObject>,
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  const id = bytesToHex(publicKey)
  let key = keyObjects.get(id)
  try {
    if (key === undefined) {
      key = ed25519KeyObject(publicKey)
      if (keyObjects.size >= 4096) keyObjects.clear()
      keyObjects.set(id, key)
    }
    return nodeVerify(null, message, key, signature)
  } catch {
    return false
  }
}

/**
 * The consensus verifier for Node.js (headless node, server anchor, simulator).
 *
 * @example
 * ```ts
 * const verifier = nodeEd25519Verifier()
 * verifier.verify(vote.validator, voteSignBytes(vote), vote.signature)
 * ```
 */
export function nodeEd25519Verifier(init: NodeEd25519Init = {}): CachingVerifier {
  const keys = new KeyCheckCache()
  const keyObjects = new Map<string, KeyObject>()
  const cache = init.cache === undefined ? new SignatureCache() : init.cache
  return {
    cache,
    verify(publicKey, message, signature) {
      if (!passesPrechecks(publicKey, message, signature, keys)) return false
      const known = cache?.get(publicKey, message, signature)
      if (known !== undefined) return known
      const ok = nativeNodeVerify(keyObjects, publicKey, message, signature)
      cache?.set(publicKey, message, signature, ok)
      return ok
    },
  }
}
