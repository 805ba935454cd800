/**
 * C2SP transparency log checkpoints (https://c2sp.org/tlog-checkpoint): the note text the log
 * signs to commit to its tree head. Only the body lives here; the signature is a signed note.
 *
 * ```text
 * <origin>
 * <tree size, decimal>
 * <root hash, base64>
 * [<extension line>…]
 * ```
 */

import { isBytes } from '@noble/hashes/utils.js'
import { TrustchainError } from './errors'
import { NOTE_MAX_BYTES, decodeBase64, encodeBase64 } from './note'

/** Length of an RFC 6962 root hash (SHA-256), in bytes. */
export const CHECKPOINT_HASH_LENGTH = 32

/** A log's tree head, as the checkpoint note text carries it. */
export interface Checkpoint {
  /** Log identity, such as `hypermesh.example/log`. Non-empty, one line. */
  origin: string
  /**
   * Number of leaves. The format allows any uint64; this implementation limits it to
   * `Number.MAX_SAFE_INTEGER`, far beyond any tree a log will reach.
   */
  size: number
  /** RFC 6962 Merkle tree hash of the first `size` leaves (32 bytes). */
  rootHash: Uint8Array
  /** Opaque extension lines, each non-empty. Not recommended by the spec; usually empty. */
  extensions: string[]
}

/**
 * A checkpoint text did not follow the format: fewer than three lines, an empty origin, a size
 * with a sign, leading zero or beyond 2^53 − 1, a root hash that is not canonical base64 of 32
 * bytes, an empty extension line, a control character or a missing final newline.
 * `formatCheckpoint` raises it too for a checkpoint `parseCheckpoint` would refuse.
 */
export class MalformedCheckpointError extends TrustchainError {
  override readonly name = 'MalformedCheckpointError'
  readonly code = 'ERR_CHECKPOINT_MALFORMED'
  override readonly check = 'format' as const

  /** @param reason - what is wrong with the checkpoint */
  constructor(readonly reason: string) {
    super(`Malformed checkpoint: ${reason}.`)
  }
}

/** What a note can carry on one line: no control character at all, newline included. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point here
const LINE_FORBIDDEN = /[\x00-\x1f]/
const DECIMAL = /^(0|[1-9][0-9]*)$/

function checkLine(fn: string, what: string, line: unknown): asserts line is string {
  if (typeof line !== 'string' || line.length === 0) {
    throw new MalformedCheckpointError(`${fn}: the ${what} must be a non-empty string`)
  }
  if (!line.isWellFormed() || LINE_FORBIDDEN.test(line)) {
    throw new MalformedCheckpointError(`${fn}: the ${what} holds a control character or bad text`)
  }
}

/**
 * Encode a checkpoint as note text: origin, decimal size, base64 root hash, extension lines,
 * each followed by a newline. Sign the result with `signNote`.
 *
 * @param checkpoint - the tree head to encode
 * @throws {MalformedCheckpointError} when a field would not parse back
 *
 * @example
 * ```ts
 * formatCheckpoint({ origin: 'log.example', size: 3, rootHash, extensions: [] })
 * // 'log.example\n3\nq1YJ…=\n'
 * ```
 */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  const fn = 'formatCheckpoint'
  if (checkpoint === null || typeof checkpoint !== 'object') {
    throw new MalformedCheckpointError(`${fn}: expected a checkpoint object`)
  }
  const { origin, size, rootHash, extensions } = checkpoint
  checkLine(fn, 'origin', origin)
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new MalformedCheckpointError(`${fn}: the size must be a safe non-negative integer`)
  }
  if (!isBytes(rootHash) || rootHash.length !== CHECKPOINT_HASH_LENGTH) {
    throw new MalformedCheckpointError(
      `${fn}: the root hash must be ${CHECKPOINT_HASH_LENGTH} bytes`,
    )
  }
  if (!Array.isArray(extensions)) {
    throw new MalformedCheckpointError(`${fn}: extensions must be an array of lines`)
  }
  extensions.forEach((line, i) => checkLine(fn, `extension line ${i + 1}`, line))
  const text = [origin, String(size), encodeBase64(rootHash), ...extensions].join('\n') + '\n'
  if (text.length > NOTE_MAX_BYTES) {
    throw new MalformedCheckpointError(`${fn}: larger than a note may be`)
  }
  return text
}

/**
 * Parse checkpoint note text strictly. Call it on the text `openNote` returned, never on an
 * unverified note; then compare the origin with the log you expect.
 *
 * @param text - the note text, ending in a newline
 * @throws {MalformedCheckpointError} (check `format`) when the text is not a checkpoint
 */
export function parseCheckpoint(text: string): Checkpoint {
  const fn = 'parseCheckpoint'
  if (typeof text !== 'string') throw new MalformedCheckpointError(`${fn}: expected a string`)
  if (text.length > NOTE_MAX_BYTES) {
    throw new MalformedCheckpointError(`${fn}: larger than a note may be`)
  }
  if (!text.endsWith('\n')) throw new MalformedCheckpointError(`${fn}: no final newline`)
  const lines = text.slice(0, -1).split('\n')
  if (lines.length < 3) throw new MalformedCheckpointError(`${fn}: fewer than three lines`)
  const [origin, sizeText, hashText, ...extensions] = lines as [string, string, string, ...string[]]
  checkLine(fn, 'origin', origin)
  if (!DECIMAL.test(sizeText)) {
    throw new MalformedCheckpointError(`${fn}: the size is not a decimal without leading zeros`)
  }
  const size = Number(sizeText)
  if (!Number.isSafeInteger(size)) {
    throw new MalformedCheckpointError(`${fn}: the size is beyond 2^53 - 1`)
  }
  const rootHash = decodeBase64(hashText)
  if (rootHash === undefined || rootHash.length !== CHECKPOINT_HASH_LENGTH) {
    throw new MalformedCheckpointError(
      `${fn}: the root hash is not canonical base64 of ${CHECKPOINT_HASH_LENGTH} bytes`,
    )
  }
  extensions.forEach((line, i) => checkLine(fn, `extension line ${i + 1}`, line))
  return { origin, size, rootHash, extensions }
}
