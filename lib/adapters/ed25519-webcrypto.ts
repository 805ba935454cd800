/**
 * The consensus Ed25519 rule (lib/crypto/ed25519-rule.ts) in a browser or worker: the rule's
 * prechecks in JS, then the platform's WebCrypto Ed25519 (BoringSSL in Chromium, cofactorless),
 * which is native and several times faster than JavaScript but asynchronous.
 *
 * Pure cores verify synchronously, so the worker calls {@link WebCryptoVerifier.prepare} on each
 * message as it arrives (awaiting it before handing the message to the core); the core's `verify`
 * then answers from the cache. A signature the core asks about that was not prepared is checked by
 * the JavaScript implementation of the same rule: slower, same verdict.
 */
import {
  KeyCheckCache,
  passesPrechecks,
  SignatureCache,
  verifyByRule,
} from '@/lib/crypto/ed25519-rule'
import type { SignatureVerifier } from '@/lib/ports'
import { bytesToHex } from '@noble/hashes/utils.js'

/** A verifier whose native checks are asynchronous and land in a cache. */
export interface WebCryptoVerifier extends SignatureVerifier {
  /** Check natively, remember the verdict, and return it. */
  prepare(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>
  readonly cache: SignatureCache
  /** Whether WebCrypto Ed25519 is in use (false: every check runs in JavaScript). */
  readonly native: boolean
}

function copy(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(b)
}

/** Whether this platform's WebCrypto verifies Ed25519. */
export async function webCryptoHasEd25519(subtle: SubtleCrypto = crypto.subtle): Promise<boolean> {
  try {
    // A fixed valid key (RFC 8032 test 1's public key): importing it proves the algorithm exists.
    const key = Uint8Array.from(
      'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'
        .match(/../g)!
        .map((h) => parseInt(h, 16)),
    )
    await subtle.importKey('raw', key, { name: 'Ed25519' }, false, ['verify'])
    return true
  } catch {
    return false
  }
}

/** WebCrypto's own verdict on a raw key, no prechecks. */
export async function nativeWebCryptoVerify(
  subtle: SubtleCrypto,
  keys: Map<string, Promise<CryptoKey>>,
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const id = bytesToHex(publicKey)
  let key = keys.get(id)
  if (key === undefined) {
    key = subtle.importKey('raw', copy(publicKey), { name: 'Ed25519' }, false, ['verify'])
    if (keys.size >= 4096) keys.clear()
    keys.set(id, key)
  }
  try {
    return await subtle.verify({ name: 'Ed25519' }, await key, copy(signature), copy(message))
  } catch {
    return false
  }
}

/**
 * Build the browser's consensus verifier. Call once per worker; `native` says whether WebCrypto
 * Ed25519 was found.
 */
export async function webCryptoEd25519Verifier(
  subtle: SubtleCrypto = crypto.subtle,
): Promise<WebCryptoVerifier> {
  const native = await webCryptoHasEd25519(subtle)
  const keyChecks = new KeyCheckCache()
  const cryptoKeys = new Map<string, Promise<CryptoKey>>()
  const cache = new SignatureCache()
  return {
    cache,
    native,
    async prepare(publicKey, message, signature) {
      if (!passesPrechecks(publicKey, message, signature, keyChecks)) return false
      const known = cache.get(publicKey, message, signature)
      if (known !== undefined) return known
      const ok = native
        ? await nativeWebCryptoVerify(subtle, cryptoKeys, publicKey, message, signature)
        : verifyByRule(publicKey, message, signature, keyChecks)
      cache.set(publicKey, message, signature, ok)
      return ok
    },
    verify(publicKey, message, signature) {
      if (!passesPrechecks(publicKey, message, signature, keyChecks)) return false
      const known = cache.get(publicKey, message, signature)
      if (known !== undefined) return known
      const ok = verifyByRule(publicKey, message, signature, keyChecks)
      cache.set(publicKey, message, signature, ok)
      return ok
    },
  }
}
