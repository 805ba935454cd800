import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Clock } from '../../ports'
import { ApiError } from './api-error'

/** Options of {@link ChallengeBook}. */
export interface ChallengeBookInit {
  /** HMAC key; random per process by default (a restart voids open challenges). */
  secret?: Uint8Array
  /** How long a challenge may be answered, ms. Default 60 000. */
  ttlMs?: number
}

const TS_BYTES = 6
const RAND_BYTES = 16
const MAC_BYTES = 16
const NONCE_BYTES = TS_BYTES + RAND_BYTES + MAC_BYTES

/**
 * Proof-of-possession challenges for certificate issuance. A nonce carries its own issue time and
 * an HMAC, so the server keeps no state for challenges that are never answered (a client cannot
 * fill memory by asking); only answered nonces are remembered, until they expire, so each can be
 * used once.
 */
export class ChallengeBook {
  readonly #secret: Uint8Array
  readonly #ttlMs: number
  readonly #clock: Clock
  /** Used nonces → expiry (ms). */
  readonly #used = new Map<string, number>()

  constructor(init: ChallengeBookInit, clock: Clock) {
    this.#secret = init.secret ?? randomBytes(32)
    this.#ttlMs = init.ttlMs ?? 60_000
    this.#clock = clock
  }

  /** How long a challenge may be answered, ms. */
  get ttlMs(): number {
    return this.#ttlMs
  }

  /** A fresh nonce (base64url, 38 bytes) and when it expires. */
  issue(): { nonce: string; expiresAt: number } {
    const now = this.#clock.now()
    const body = Buffer.alloc(TS_BYTES + RAND_BYTES)
    body.writeUIntBE(now, 0, TS_BYTES)
    randomBytes(RAND_BYTES).copy(body, TS_BYTES)
    const nonce = Buffer.concat([body, this.#mac(body)]).toString('base64url')
    return { nonce, expiresAt: now + this.#ttlMs }
  }

  /**
   * Check a nonce and mark it used. Throws ApiError: 400 for a nonce this server never issued,
   * 403 for an expired one, 409 for one already answered.
   */
  consume(nonce: string): void {
    const now = this.#clock.now()
    this.#prune(now)
    const raw = typeof nonce === 'string' ? Buffer.from(nonce, 'base64url') : Buffer.alloc(0)
    if (raw.byteLength !== NONCE_BYTES || raw.toString('base64url') !== nonce) {
      throw new ApiError(
        400,
        'InvalidChallenge',
        'ERR_CHALLENGE',
        'The nonce is not one this server issued.',
      )
    }
    const body = raw.subarray(0, TS_BYTES + RAND_BYTES)
    if (!timingSafeEqual(raw.subarray(TS_BYTES + RAND_BYTES), this.#mac(body))) {
      throw new ApiError(
        400,
        'InvalidChallenge',
        'ERR_CHALLENGE',
        'The nonce is not one this server issued.',
      )
    }
    const issuedAt = raw.readUIntBE(0, TS_BYTES)
    if (now - issuedAt > this.#ttlMs || issuedAt - now > 5_000) {
      throw new ApiError(
        403,
        'ChallengeExpired',
        'ERR_CHALLENGE_EXPIRED',
        'The challenge expired: ask for a new one (GET /api/trustchain/challenge).',
      )
    }
    if (this.#used.has(nonce)) {
      throw new ApiError(
        409,
        'ChallengeReplayed',
        'ERR_CHALLENGE_REPLAYED',
        'This challenge was already answered.',
      )
    }
    this.#used.set(nonce, issuedAt + this.#ttlMs)
  }

  #mac(body: Uint8Array): Buffer {
    return createHmac('sha256', this.#secret).update(body).digest().subarray(0, MAC_BYTES)
  }

  #prune(now: number): void {
    // Map order is insertion order, and expiries grow with it (give or take the 5 s of skew).
    for (const [nonce, expiry] of this.#used) {
      if (expiry > now) break
      this.#used.delete(nonce)
    }
  }
}
