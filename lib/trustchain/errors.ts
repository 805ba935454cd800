/**
 * Errors raised by TrustChain (certificates, the transparency log and their verification). Each
 * failure has its own class with a stable `name` and `code`, spelled out rather than taken from
 * the constructor so they survive minification. Verification errors also name the `check` that
 * failed (see {@link TrustchainCheck}), so a peer refused on a connection can say why on both sides.
 */

/** The checks a certificate bundle goes through, in order (docs/trustchain.md). */
export type TrustchainCheck =
  | 'format'
  | 'chain'
  | 'validity'
  | 'peer-id'
  | 'revocation'
  | 'inclusion'
  | 'checkpoint-signature'
  | 'consistency'

/** The serialisable form an error takes when it crosses a worker or the network. */
export interface SerializedTrustchainError {
  name: string
  code: string
  message: string
  check?: TrustchainCheck
}

/** Base class of every TrustChain error. */
export abstract class TrustchainError extends Error {
  /** Stable identifier of the failure, for matching across workers and the network. */
  abstract readonly code: string
  /** The verification check this failure belongs to, when it is one. */
  readonly check?: TrustchainCheck

  /** The `{ name, code, message, check }` form, so `JSON.stringify` and logs keep the identity. */
  toJSON(): SerializedTrustchainError {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.check !== undefined ? { check: this.check } : {}),
    }
  }
}
