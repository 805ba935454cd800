/**
 * Hashcash stamps for certificate issuance: a small proof of work bound to a resource (the peer ID
 * and the CA's challenge), so asking for certificates costs the asker some CPU time. The rate
 * limit per address does the rest.
 *
 * ```text
 * v1:<bits>:<unix seconds>:<resource>:<nonce, lowercase hex>
 * ```
 *
 * A stamp is valid when the SHA-256 of its UTF-8 bytes starts with at least `<bits>` zero bits.
 * A verifier must also remember the stamps it accepted until they expire, to refuse replays.
 */

import { sha256 } from '@noble/hashes/sha2.js'
import { isBytes } from '@noble/hashes/utils.js'
import { TrustchainError } from './errors'

/** First field of every stamp: the format version. */
export const HASHCASH_VERSION = 'v1'

/** Most bits a stamp may claim or a caller may ask for: the length of a SHA-256 hash. */
export const HASHCASH_MAX_BITS = 256

/** Longest resource, in characters. A peer ID and a challenge nonce fit several times over. */
export const HASHCASH_MAX_RESOURCE_LENGTH = 256

/** Most hex digits in a nonce: enough for 64 bits, more than `mintHashcash` ever writes. */
export const HASHCASH_MAX_NONCE_DIGITS = 16

/** Longest stamp accepted. Checked before any parsing, so a huge one costs a comparison. */
export const HASHCASH_MAX_LENGTH =
  HASHCASH_VERSION.length + 3 + 16 + HASHCASH_MAX_RESOURCE_LENGTH + HASHCASH_MAX_NONCE_DIGITS + 4

/**
 * Default number of nonces `mintHashcash` tries per call. Small enough that one call is a short
 * slice of work on a UI thread; a 20-bit stamp takes about sixteen slices on average.
 */
export const HASHCASH_DEFAULT_ITERATIONS = 65_536

/** Why a stamp was refused. */
export type HashcashFailure = 'format' | 'bits' | 'resource' | 'expired' | 'future' | 'work'

/** The fields of a well-formed stamp. */
export interface HashcashStamp {
  /** Leading zero bits the stamp claims. */
  bits: number
  /** When it was minted, in Unix seconds. */
  timestamp: number
  /** What it is bound to. */
  resource: string
  /** The nonce, as written (lowercase hex). */
  nonce: string
}

/** Options of {@link mintHashcash}. */
export interface MintHashcashInit {
  /** What to bind the stamp to: 1–256 printable ASCII characters, no `:` and no space. */
  resource: string
  /** Leading zero bits to reach, 0–256. Each extra bit doubles the expected work. */
  bits: number
  /** The current time, in Unix seconds, written into the stamp. */
  nowSeconds: number
  /** First nonce to try. Default 0; pass `startNonce + maxIterations` to continue a search. */
  startNonce?: number
  /** Most nonces to try in this call. Default {@link HASHCASH_DEFAULT_ITERATIONS}. */
  maxIterations?: number
}

/** Options of {@link checkHashcash}. */
export interface CheckHashcashInit {
  /** The resource the stamp must be bound to. */
  resource: string
  /** Fewest leading zero bits accepted, 0–256. */
  bits: number
  /** The current time, in Unix seconds. */
  nowSeconds: number
  /** Oldest accepted stamp, in seconds before `nowSeconds`. */
  maxAgeSeconds: number
  /** Furthest accepted stamp time after `nowSeconds`, in seconds (clock skew allowance). */
  maxFutureSeconds: number
}

/**
 * A stamp was refused. `reason` says why: `format` (not a v1 stamp), `resource` (bound to
 * something else), `bits` (claims fewer bits than required), `expired` or `future` (timestamp
 * outside the window), `work` (its hash does not have the claimed zero bits).
 */
export class HashcashError extends TrustchainError {
  override readonly name = 'HashcashError'
  readonly code = 'ERR_HASHCASH'

  /**
   * @param reason - which rule the stamp broke
   * @param detail - a sentence fragment for logs
   */
  constructor(
    readonly reason: HashcashFailure,
    detail: string,
  ) {
    super(`Hashcash stamp refused (${reason}): ${detail}.`)
  }
}

/** A hashcash function was called with an option outside its allowed range. */
export class InvalidHashcashOptionError extends TrustchainError {
  override readonly name = 'InvalidHashcashOptionError'
  readonly code = 'ERR_HASHCASH_INVALID_OPTION'

  /**
   * @param option - qualified option name, such as `mintHashcash.bits`
   * @param rule - the rule it breaks
   */
  constructor(
    readonly option: string,
    rule: string,
  ) {
    super(`${option} ${rule}.`)
  }
}

// Printable ASCII but ":" (the field separator): one byte per character, nothing to normalise.
const RESOURCE = /^[\x21-\x39\x3b-\x7e]+$/
const DECIMAL = /^(0|[1-9][0-9]*)$/
const NONCE = /^(0|[1-9a-f][0-9a-f]*)$/

/** Whether `resource` can be bound into a stamp. */
export function isValidHashcashResource(resource: string): boolean {
  return (
    typeof resource === 'string' &&
    resource.length <= HASHCASH_MAX_RESOURCE_LENGTH &&
    RESOURCE.test(resource)
  )
}

/**
 * Number of leading zero bits of `hash`, reading bytes in order and each byte from its most
 * significant bit.
 *
 * @param hash - any bytes, usually a SHA-256 digest
 * @returns 0 to `8 * hash.length`
 */
export function leadingZeroBits(hash: Uint8Array): number {
  if (!isBytes(hash)) throw new InvalidHashcashOptionError('leadingZeroBits.hash', 'must be bytes')
  let bits = 0
  for (const byte of hash) {
    if (byte !== 0) return bits + Math.clz32(byte) - 24
    bits += 8
  }
  return bits
}

function checkInteger(option: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidHashcashOptionError(option, `must be an integer from ${min} to ${max}`)
  }
}

function checkResource(option: string, resource: unknown): void {
  if (!isValidHashcashResource(resource as string)) {
    throw new InvalidHashcashOptionError(
      option,
      `must be 1 to ${HASHCASH_MAX_RESOURCE_LENGTH} printable ASCII characters without ":" or space`,
    )
  }
}

/**
 * Search for a stamp over at most `maxIterations` nonces from `startNonce`. Returns `null` when
 * none of them works, so a caller can yield (to the event loop, an abort signal, a progress bar)
 * between slices and call again with `startNonce + maxIterations`.
 *
 * @param init - resource, difficulty, time and the slice of nonces to try
 * @returns the stamp, or `null` if this slice found none
 * @throws {InvalidHashcashOptionError} when an option is out of range
 *
 * @example
 * ```ts
 * let stamp = null
 * for (let start = 0; stamp === null; start += HASHCASH_DEFAULT_ITERATIONS) {
 *   stamp = mintHashcash({ resource, bits: 20, nowSeconds, startNonce: start })
 *   await new Promise((r) => setTimeout(r, 0))
 * }
 * ```
 */
export function mintHashcash(init: MintHashcashInit): string | null {
  if (init === null || typeof init !== 'object') {
    throw new InvalidHashcashOptionError('mintHashcash.init', 'must be an object')
  }
  const {
    resource,
    bits,
    nowSeconds,
    startNonce = 0,
    maxIterations = HASHCASH_DEFAULT_ITERATIONS,
  } = init
  checkResource('mintHashcash.resource', resource)
  checkInteger('mintHashcash.bits', bits, 0, HASHCASH_MAX_BITS)
  checkInteger('mintHashcash.nowSeconds', nowSeconds, 0, Number.MAX_SAFE_INTEGER)
  checkInteger('mintHashcash.startNonce', startNonce, 0, Number.MAX_SAFE_INTEGER)
  checkInteger('mintHashcash.maxIterations', maxIterations, 0, Number.MAX_SAFE_INTEGER)

  // Encode the fixed part once and write only the nonce digits per attempt: the loop is hot.
  // The whole 64-byte blocks of the prefix are hashed once (the SHA-256 midstate) and each attempt
  // only continues from a copy of that state: with a peer ID and a challenge in the resource the
  // prefix is ~100 bytes, so this halves the compressions per attempt (2 → 1).
  const prefix = new TextEncoder().encode(`${HASHCASH_VERSION}:${bits}:${nowSeconds}:${resource}:`)
  const whole = prefix.length - (prefix.length % 64)
  const midstate = sha256.create().update(prefix.subarray(0, whole))
  const tail = prefix.length - whole
  const buf = new Uint8Array(tail + HASHCASH_MAX_NONCE_DIGITS)
  buf.set(prefix.subarray(whole))
  const end = Math.min(startNonce + maxIterations, Number.MAX_SAFE_INTEGER + 1)
  for (let nonce = startNonce; nonce < end; nonce++) {
    const hex = nonce.toString(16)
    for (let i = 0; i < hex.length; i++) buf[tail + i] = hex.charCodeAt(i)
    const hash = midstate
      .clone()
      .update(buf.subarray(0, tail + hex.length))
      .digest()
    if (leadingZeroBits(hash) >= bits) {
      return `${HASHCASH_VERSION}:${bits}:${nowSeconds}:${resource}:${hex}`
    }
  }
  return null
}

/**
 * Split a stamp into its fields, checking the syntax only (no work, time or resource check).
 *
 * @param stamp - the stamp
 * @throws {HashcashError} with reason `format` when it is not a v1 stamp
 */
export function parseHashcash(stamp: string): HashcashStamp {
  const fail = (detail: string): never => {
    throw new HashcashError('format', `parseHashcash: ${detail}`)
  }
  if (typeof stamp !== 'string') return fail('expected a string')
  if (stamp.length > HASHCASH_MAX_LENGTH) return fail(`longer than ${HASHCASH_MAX_LENGTH}`)
  const fields = stamp.split(':')
  if (fields.length !== 5) return fail('expected five fields separated by ":"')
  const [version, bitsText, timeText, resource, nonce] = fields as [
    string,
    string,
    string,
    string,
    string,
  ]
  if (version !== HASHCASH_VERSION) return fail(`the version is not ${HASHCASH_VERSION}`)
  const bits = Number(bitsText)
  if (!DECIMAL.test(bitsText) || bits > HASHCASH_MAX_BITS) {
    return fail(`the bits are not a decimal from 0 to ${HASHCASH_MAX_BITS}`)
  }
  const timestamp = Number(timeText)
  if (!DECIMAL.test(timeText) || !Number.isSafeInteger(timestamp)) {
    return fail('the time is not a decimal number of seconds')
  }
  if (!isValidHashcashResource(resource)) return fail('the resource is invalid')
  if (nonce.length > HASHCASH_MAX_NONCE_DIGITS || !NONCE.test(nonce)) {
    return fail('the nonce is not lowercase hex without leading zeros')
  }
  return { bits, timestamp, resource, nonce }
}

/**
 * Check a stamp: well-formed, bound to `resource`, claiming at least `bits`, minted within
 * `[nowSeconds − maxAgeSeconds, nowSeconds + maxFutureSeconds]`, and actually carrying the work it
 * claims. Replays are not detected here: remember accepted stamps until they expire.
 *
 * @param stamp - the stamp to check
 * @param init - what it must be bound to, the difficulty and the time window
 * @throws {HashcashError} naming the failed rule in `reason`
 * @throws {InvalidHashcashOptionError} when an option is out of range
 */
export function checkHashcash(stamp: string, init: CheckHashcashInit): void {
  if (init === null || typeof init !== 'object') {
    throw new InvalidHashcashOptionError('checkHashcash.init', 'must be an object')
  }
  const { resource, bits, nowSeconds, maxAgeSeconds, maxFutureSeconds } = init
  checkResource('checkHashcash.resource', resource)
  checkInteger('checkHashcash.bits', bits, 0, HASHCASH_MAX_BITS)
  checkInteger('checkHashcash.nowSeconds', nowSeconds, 0, Number.MAX_SAFE_INTEGER)
  checkInteger('checkHashcash.maxAgeSeconds', maxAgeSeconds, 0, Number.MAX_SAFE_INTEGER)
  checkInteger('checkHashcash.maxFutureSeconds', maxFutureSeconds, 0, Number.MAX_SAFE_INTEGER)

  const parsed = parseHashcash(stamp)
  if (parsed.resource !== resource) {
    throw new HashcashError('resource', 'checkHashcash: the stamp is bound to another resource')
  }
  if (parsed.bits < bits) {
    throw new HashcashError(
      'bits',
      `checkHashcash: the stamp claims ${parsed.bits} bits, not ${bits}`,
    )
  }
  if (nowSeconds - parsed.timestamp > maxAgeSeconds) {
    throw new HashcashError('expired', 'checkHashcash: the stamp is too old')
  }
  if (parsed.timestamp - nowSeconds > maxFutureSeconds) {
    throw new HashcashError('future', 'checkHashcash: the stamp is dated in the future')
  }
  // Last because it is the only costly check, and the claimed bits, not the asked ones: a stamp
  // must not overstate its work even when it exceeds what was asked.
  if (leadingZeroBits(sha256(new TextEncoder().encode(stamp))) < parsed.bits) {
    throw new HashcashError('work', 'checkHashcash: the hash lacks the claimed zero bits')
  }
}
