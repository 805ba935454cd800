/**
 * The small interfaces the pure cores depend on. Cores never read the wall clock, never call
 * Math.random and never open a socket: time, randomness and I/O come in through these ports, so
 * the same code runs in a tab, a worker, the headless node and the seeded simulator.
 */

/** A source of time. `now()` is milliseconds since the Unix epoch (virtual in the simulator). */
export interface Clock {
  now(): number
}

/** A source of randomness. `next()` returns a float in [0, 1). Seeded in tests and simulation. */
export interface Random {
  next(): number
}

/** Signs bytes with this node's identity key (Ed25519). */
export interface Signer {
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array
  sign(data: Uint8Array, options?: { signal?: AbortSignal }): Promise<Uint8Array>
}

/** Structured logging; `debug` may be a no-op in production. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

/** The wall clock, for adapters. Cores receive it as a port. */
export const systemClock: Clock = { now: () => Date.now() }

/**
 * Randomness from the platform's CSPRNG (`crypto.getRandomValues`, in browsers and Node), for
 * adapters that need draws nobody can predict (audit challenges): 53 random bits per draw.
 */
export const cryptoRandom: Random = {
  next() {
    const words = crypto.getRandomValues(new Uint32Array(2))
    return (words[0]! * 2 ** 21 + (words[1]! >>> 11)) / 2 ** 53
  },
}

/** Deterministic PRNG (mulberry32) for tests and the simulator; not for cryptography. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0
      let t = a
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    },
  }
}

/**
 * Verifies Ed25519 signatures by the consensus rule (lib/crypto/ed25519-rule.ts): the same answer
 * for every input on every platform. Synchronous so pure cores stay synchronous; a browser
 * adapter verifies natively (WebCrypto is async) ahead of time and answers from its cache.
 */
export interface SignatureVerifier {
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean
}
