/**
 * Errors raised by consensus (votes, proposals, blocks, commit certificates). One class per failure,
 * each with a stable `name` and `code` spelled out (they survive minification and cross workers and
 * the network as `{ name, code, message }`). Tests match `name`/`code`, never the message.
 */

/** The serialisable form of a consensus error. */
export interface SerializedConsensusError {
  name: string
  code: string
  message: string
}

/** Base class of every consensus error. */
export abstract class ConsensusError extends Error {
  /** Stable identifier of the failure. */
  abstract readonly code: string

  /** The `{ name, code, message }` form that crosses workers and the network. */
  toJSON(): SerializedConsensusError {
    return { name: this.name, code: this.code, message: this.message }
  }
}

/** Bytes from the network that are not a well-formed, canonically encoded message. */
export class ConsensusDecodeError extends ConsensusError {
  override readonly name = 'ConsensusDecodeError'
  readonly code = 'ERR_CONSENSUS_DECODE'
}
