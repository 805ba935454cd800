/**
 * The consensus rule for Ed25519 signatures (`hypermesh-ed25519-v1`): one verdict for every input
 * on every platform, whichever implementation computes it.
 *
 * Implementations disagree at the edges. RFC 8032 allows either verification equation; OpenSSL
 * (node:crypto) and BoringSSL (Chromium's WebCrypto) check the cofactorless one,
 * `encode([S]B − [k]A) == R`, and accept small-order and some non-canonical public keys; noble's
 * strict mode checks the cofactored one, `[8]([S]B − R − [k]A) == 0`, and refuses small-order keys.
 * A signature crafted with a torsion component in A or R passes one and fails the other, which in a
 * consensus protocol is a fork. The rule (docs/consensus.md, "Signatures"):
 *
 * 1. the public key is 32 bytes and the canonical encoding of a curve point (y < p, no negative
 *    zero), and that point is not of small order;
 * 2. the signature is 64 bytes `R ‖ S` with S < L;
 * 3. with k = SHA-512(R ‖ A ‖ M) mod L, the encoding of [S]B − [k]A equals R byte for byte
 *    (cofactorless; a non-canonical R can never match).
 *
 * Step 3 is exactly what the native implementations compute, so a verifier runs step 1 itself (once
 * per key, cached: committees are small) and step 2 (a comparison), then asks the native code.
 * {@link verifyByRule} is the same rule in JavaScript, for platforms without native Ed25519 and as
 * the reference the tests hold every implementation to.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { bytesToHex, concatBytes, isBytes } from '@noble/hashes/utils.js'

/** Name of the rule, for documents and logs. */
export const ED25519_RULE = 'hypermesh-ed25519-v1'

/** The group order L. */
const L = ed25519.Point.Fn.ORDER

function numberLE(bytes: Uint8Array): bigint {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!)
  return n
}

/** Whether inputs have the rule's lengths (never throws on wrong types). */
function wellFormed(publicKey: unknown, message: unknown, signature: unknown): boolean {
  return (
    isBytes(publicKey) &&
    isBytes(message) &&
    isBytes(signature) &&
    publicKey.length === 32 &&
    signature.length === 64
  )
}

/** Rule step 2: S, the second half of the signature, is reduced (S < L). */
export function isScalarReduced(signature: Uint8Array): boolean {
  return signature.length === 64 && numberLE(signature.subarray(32)) < L
}

/**
 * Rule step 1, uncached: the key is a canonical encoding of a point that is not of small order.
 * Costs a square root (~tens of µs); use a {@link KeyCheckCache} on hot paths.
 */
export function isAcceptablePublicKey(publicKey: Uint8Array): boolean {
  if (!isBytes(publicKey) || publicKey.length !== 32) return false
  try {
    // zip215 = false: y must be < p and x = 0 must not carry the sign bit.
    return !ed25519.Point.fromBytes(publicKey, false).isSmallOrder()
  } catch {
    return false
  }
}

/** Bounded memo of rule step 1 per public key. */
export class KeyCheckCache {
  readonly #verdicts = new Map<string, boolean>()
  readonly #limit: number

  /** @param limit - keys remembered before the memo starts over (committees hold ≤ 31) */
  constructor(limit = 4096) {
    this.#limit = limit
  }

  /** {@link isAcceptablePublicKey}, remembered. */
  acceptable(publicKey: Uint8Array): boolean {
    const id = bytesToHex(publicKey)
    let v = this.#verdicts.get(id)
    if (v === undefined) {
      v = isAcceptablePublicKey(publicKey)
      if (this.#verdicts.size >= this.#limit) this.#verdicts.clear()
      this.#verdicts.set(id, v)
    }
    return v
  }
}

/**
 * The whole rule in JavaScript (noble's point arithmetic, cofactorless equation). Never throws.
 *
 * @example
 * ```ts
 * if (!verifyByRule(vote.validator, voteSignBytes(vote), vote.signature)) drop(vote)
 * ```
 */
export function verifyByRule(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  keys?: KeyCheckCache,
): boolean {
  if (!wellFormed(publicKey, message, signature)) return false
  if (!(keys ? keys.acceptable(publicKey) : isAcceptablePublicKey(publicKey))) return false
  const s = numberLE(signature.subarray(32))
  if (s >= L) return false
  const R = signature.subarray(0, 32)
  const A = ed25519.Point.fromBytes(publicKey, false)
  const k = numberLE(sha512(concatBytes(R, publicKey, message))) % L
  const check = ed25519.Point.BASE.multiplyUnsafe(s).subtract(A.multiplyUnsafe(k)).toBytes()
  let diff = 0
  for (let i = 0; i < 32; i++) diff |= check[i]! ^ R[i]!
  return diff === 0
}

/**
 * Rule steps 1 and 2: what a verifier must check itself before handing the signature to a native
 * cofactorless implementation (which then performs step 3).
 */
export function passesPrechecks(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  keys: KeyCheckCache,
): boolean {
  return (
    wellFormed(publicKey, message, signature) &&
    isScalarReduced(signature) &&
    keys.acceptable(publicKey)
  )
}

/**
 * Bounded cache of verdicts, keyed by the exact (key, message, signature) triple. Consensus sees
 * the same vote many times (gossip duplicates, the vote set, then again inside the commit
 * certificate and during sync), so each is checked once.
 */
export class SignatureCache {
  readonly #entries = new Map<string, { publicKey: Uint8Array; message: Uint8Array; ok: boolean }>()
  readonly #limit: number
  hits = 0
  misses = 0

  /** @param limit - entries kept (least recently used dropped first) */
  constructor(limit = 16_384) {
    this.#limit = limit
  }

  /** The cached verdict, or `undefined` when this triple has not been checked. */
  get(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean | undefined {
    const id = bytesToHex(signature)
    const e = this.#entries.get(id)
    if (e === undefined || !equal(e.publicKey, publicKey) || !equal(e.message, message)) {
      this.misses++
      return undefined
    }
    this.#entries.delete(id)
    this.#entries.set(id, e)
    this.hits++
    return e.ok
  }

  /** Remember a verdict. The arrays are kept as given: callers must not modify them afterwards. */
  set(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array, ok: boolean): void {
    const id = bytesToHex(signature)
    this.#entries.delete(id)
    if (this.#entries.size >= this.#limit) {
      const oldest = this.#entries.keys().next().value
      if (oldest !== undefined) this.#entries.delete(oldest)
    }
    this.#entries.set(id, { publicKey, message, ok })
  }

  /** Number of verdicts held. */
  get size(): number {
    return this.#entries.size
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
