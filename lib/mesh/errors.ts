/**
 * Errors raised by the mesh. Each failure has its own class with a stable `name` and `code`: the
 * strings are spelled out rather than taken from the constructor so they survive minification, and
 * callers, tests and remote peers match on them, never on message text.
 */

/** The serialisable form an error takes when it crosses a worker or the network. */
export interface SerializedMeshError {
  name: string
  code: string
  message: string
}

/** Base class of every mesh error. */
export abstract class MeshError extends Error {
  /** Stable identifier of the failure, for matching across workers and the network. */
  abstract readonly code: string

  /** The `{ name, code, message }` form, so `JSON.stringify` and logs keep the identity. */
  toJSON(): SerializedMeshError {
    return { name: this.name, code: this.code, message: this.message }
  }
}

/**
 * A heartbeat was larger than the wire limit. Raised before any parsing on decode, and by the
 * encoder when a body does not fit (the sender should report fewer neighbours or addresses).
 */
export class HeartbeatTooLargeError extends MeshError {
  override readonly name = 'HeartbeatTooLargeError'
  readonly code = 'ERR_HEARTBEAT_TOO_LARGE'

  /**
   * @param size - size of the offending encoding, in bytes
   * @param limit - the wire limit it exceeded, in bytes
   */
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`Heartbeat is ${size} bytes, more than the ${limit}-byte limit.`)
  }
}

/**
 * A heartbeat did not follow the wire format: not canonical dag-cbor, a missing, extra or
 * out-of-range field, or a peer ID that is not an Ed25519 peer ID. The encoder raises it too for a
 * body the decoder would refuse, so a node never signs a heartbeat its peers drop.
 */
export class MalformedHeartbeatError extends MeshError {
  override readonly name = 'MalformedHeartbeatError'
  readonly code = 'ERR_HEARTBEAT_MALFORMED'

  /**
   * @param field - path of the offending field (`body.neighbours[3].rttMs`), or `bytes` for the
   *   encoding as a whole
   * @param reason - what is wrong with it
   */
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`Heartbeat field ${field} is invalid: ${reason}.`)
  }
}

/** A heartbeat's signature did not verify against the key embedded in its claimed peer ID. */
export class BadHeartbeatSignatureError extends MeshError {
  override readonly name = 'BadHeartbeatSignatureError'
  readonly code = 'ERR_HEARTBEAT_BAD_SIGNATURE'

  /** @param peerId - the peer ID the heartbeat claimed to come from */
  constructor(readonly peerId: string) {
    super(`Heartbeat signature does not verify for peer ${peerId}.`)
  }
}

/**
 * The key handed to the heartbeat encoder is not the Ed25519 key of the body's peer ID, so the
 * heartbeat would be refused by every receiver.
 */
export class HeartbeatKeyMismatchError extends MeshError {
  override readonly name = 'HeartbeatKeyMismatchError'
  readonly code = 'ERR_HEARTBEAT_KEY_MISMATCH'

  /** @param peerId - the peer ID the body claims */
  constructor(readonly peerId: string) {
    super(`The signing key is not the Ed25519 key of peer ${peerId}.`)
  }
}

/** A mesh component was constructed with an option outside its allowed range. */
export class InvalidMeshOptionError extends MeshError {
  override readonly name = 'InvalidMeshOptionError'
  readonly code = 'ERR_MESH_INVALID_OPTION'

  /**
   * @param option - qualified option name, such as `HeartbeatValidator.maxAgeMs`
   * @param reason - the rule it breaks
   */
  constructor(
    readonly option: string,
    reason: string,
  ) {
    super(`${option} ${reason}.`)
  }
}

/**
 * The bootstrap server's answer (GET /api/bootstrap) did not have the expected shape: a node
 * never dials addresses it cannot make sense of.
 */
export class InvalidBootstrapAnswerError extends MeshError {
  override readonly name = 'InvalidBootstrapAnswerError'
  readonly code = 'ERR_BOOTSTRAP_ANSWER_INVALID'

  /**
   * @param field - path of the offending field (`relayAddrs[0]`), or `answer` for the whole
   * @param reason - what is wrong with it
   */
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`The bootstrap answer's ${field} is invalid: ${reason}.`)
  }
}

/** An RTT probe got no answer: timed out, its stream closed, or one was already in flight. */
export class RttProbeError extends MeshError {
  override readonly name = 'RttProbeError'
  readonly code = 'ERR_RTT_PROBE'

  /** @param reason - what went wrong */
  constructor(readonly reason: string) {
    super(`RTT probe failed: ${reason}.`)
  }
}
