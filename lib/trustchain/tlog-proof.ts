/**
 * C2SP transparency log proofs (https://c2sp.org/tlog-proof): an offline-verifiable proof that an
 * entry is in the log. The CA returns one with every certificate, and peers exchange them.
 *
 * ```text
 * c2sp.org/tlog-proof@v1
 * [extra <base64 opaque data>]
 * index <decimal>
 * <base64 hash>…            (inclusion proof, leaf's sibling first)
 *
 * <signed checkpoint note, verbatim>
 * ```
 *
 * This module handles the syntax only. Verifying a proof means opening the checkpoint note with
 * the log's key, parsing its text as a checkpoint and checking the RFC 6962 inclusion proof of
 * the entry at `index` against it (which also rejects an index outside the tree or a proof of the
 * wrong length).
 */

import { isBytes } from '@noble/hashes/utils.js'
import { CHECKPOINT_HASH_LENGTH, parseCheckpoint } from './checkpoint'
import { TrustchainError } from './errors'
import { NOTE_MAX_BYTES, decodeBase64, encodeBase64, parseNote } from './note'

/** First line of every proof: the format and its version. */
export const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1'

/** Most inclusion-proof hashes a proof may carry: a tree of up to 2^64 leaves needs 64. */
export const TLOG_PROOF_MAX_HASHES = 64

/**
 * Largest proof accepted or produced, in bytes: a full-size checkpoint note plus room for the
 * header, 64 hashes and some extra data. Checked before any parsing.
 */
export const TLOG_PROOF_MAX_BYTES = NOTE_MAX_BYTES + 65_536

/** A parsed transparency log proof. Nothing in it is verified yet. */
export interface TlogProof {
  /** Zero-based index of the entry in the log. At most `Number.MAX_SAFE_INTEGER`. */
  index: number
  /** RFC 6962 inclusion proof: 32-byte hashes, from the leaf's sibling up to the root's child. */
  hashes: Uint8Array[]
  /** The log's signed checkpoint note, verbatim (body and signature lines). */
  checkpoint: string
  /** Opaque application data. Not authenticated: never trust it without checking it otherwise. */
  extra?: Uint8Array
}

/**
 * A proof did not follow the format: wrong header, bad extra or index line, a hash that is not
 * canonical base64 of 32 bytes, no blank line before the checkpoint, a checkpoint that is not a
 * well-formed signed checkpoint note, or too large. `formatTlogProof` raises it too for a proof
 * `parseTlogProof` would refuse. When the checkpoint is at fault, `cause` holds the note's or the
 * checkpoint's own error.
 */
export class MalformedTlogProofError extends TrustchainError {
  override readonly name = 'MalformedTlogProofError'
  readonly code = 'ERR_TLOG_PROOF_MALFORMED'
  override readonly check = 'format' as const

  /**
   * @param reason - what is wrong with the proof
   * @param cause - the underlying error, when the embedded checkpoint is at fault
   */
  constructor(
    readonly reason: string,
    cause?: unknown,
  ) {
    super(`Malformed tlog proof: ${reason}.`, cause === undefined ? undefined : { cause })
  }
}

const DECIMAL = /^(0|[1-9][0-9]*)$/

function checkCheckpointNote(fn: string, checkpoint: string): void {
  try {
    parseCheckpoint(parseNote(checkpoint).text)
  } catch (err) {
    if (err instanceof TrustchainError) {
      throw new MalformedTlogProofError(`${fn}: the checkpoint is not a signed checkpoint`, err)
    }
    throw err
  }
}

/**
 * Encode a proof. The checkpoint is written verbatim after a blank line, and must be a
 * well-formed signed checkpoint note (signatures are not checked here).
 *
 * @param proof - index, inclusion hashes, signed checkpoint and optional extra data
 * @throws {MalformedTlogProofError} when a field would not parse back
 *
 * @example
 * ```ts
 * const text = formatTlogProof({ index: 7, hashes, checkpoint: signedNote })
 * ```
 */
export function formatTlogProof(proof: TlogProof): string {
  const fn = 'formatTlogProof'
  if (proof === null || typeof proof !== 'object') {
    throw new MalformedTlogProofError(`${fn}: expected a proof object`)
  }
  const { index, hashes, checkpoint, extra } = proof
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new MalformedTlogProofError(`${fn}: the index must be a safe non-negative integer`)
  }
  if (!Array.isArray(hashes) || hashes.length > TLOG_PROOF_MAX_HASHES) {
    throw new MalformedTlogProofError(`${fn}: hashes must be an array of at most 64 hashes`)
  }
  hashes.forEach((hash, i) => {
    if (!isBytes(hash) || hash.length !== CHECKPOINT_HASH_LENGTH) {
      throw new MalformedTlogProofError(`${fn}: hash ${i} is not ${CHECKPOINT_HASH_LENGTH} bytes`)
    }
  })
  if (extra !== undefined && !isBytes(extra)) {
    throw new MalformedTlogProofError(`${fn}: extra must be bytes when present`)
  }
  if (typeof checkpoint !== 'string') {
    throw new MalformedTlogProofError(`${fn}: the checkpoint must be a string`)
  }
  checkCheckpointNote(fn, checkpoint)
  const lines = [TLOG_PROOF_HEADER]
  if (extra !== undefined) lines.push(`extra ${encodeBase64(extra)}`)
  lines.push(`index ${index}`, ...hashes.map(encodeBase64), '')
  const text = lines.join('\n') + '\n' + checkpoint
  if (text.length > TLOG_PROOF_MAX_BYTES) {
    throw new MalformedTlogProofError(`${fn}: larger than ${TLOG_PROOF_MAX_BYTES} bytes`)
  }
  return text
}

/**
 * Parse a proof strictly: the exact header, an optional `extra` line of canonical base64, an
 * `index` line (decimal, no leading zeros), canonical base64 hashes of 32 bytes each, a blank
 * line, then a well-formed signed checkpoint note. Verifies nothing.
 *
 * @param text - the proof
 * @throws {MalformedTlogProofError} (check `format`) when the text is not a proof
 */
export function parseTlogProof(text: string): TlogProof {
  const fn = 'parseTlogProof'
  if (typeof text !== 'string') throw new MalformedTlogProofError(`${fn}: expected a string`)
  if (text.length > TLOG_PROOF_MAX_BYTES) {
    throw new MalformedTlogProofError(`${fn}: larger than ${TLOG_PROOF_MAX_BYTES} bytes`)
  }
  let pos = 0
  const nextLine = (): string | undefined => {
    const end = text.indexOf('\n', pos)
    if (end < 0) return undefined
    const line = text.slice(pos, end)
    pos = end + 1
    return line
  }

  if (nextLine() !== TLOG_PROOF_HEADER) {
    throw new MalformedTlogProofError(`${fn}: the first line is not ${TLOG_PROOF_HEADER}`)
  }
  let line = nextLine()
  let extra: Uint8Array | undefined
  if (line?.startsWith('extra ')) {
    extra = decodeBase64(line.slice('extra '.length))
    if (extra === undefined) {
      throw new MalformedTlogProofError(`${fn}: the extra data is not canonical base64`)
    }
    line = nextLine()
  }
  if (line === undefined || !line.startsWith('index ')) {
    throw new MalformedTlogProofError(`${fn}: no index line`)
  }
  const indexText = line.slice('index '.length)
  const index = Number(indexText)
  if (!DECIMAL.test(indexText) || !Number.isSafeInteger(index)) {
    throw new MalformedTlogProofError(`${fn}: the index is not a decimal below 2^53`)
  }
  const hashes: Uint8Array[] = []
  for (;;) {
    line = nextLine()
    if (line === undefined) {
      throw new MalformedTlogProofError(`${fn}: no blank line before the checkpoint`)
    }
    if (line === '') break
    if (hashes.length === TLOG_PROOF_MAX_HASHES) {
      throw new MalformedTlogProofError(`${fn}: more than ${TLOG_PROOF_MAX_HASHES} hashes`)
    }
    const hash = decodeBase64(line)
    if (hash === undefined || hash.length !== CHECKPOINT_HASH_LENGTH) {
      throw new MalformedTlogProofError(
        `${fn}: hash ${hashes.length} is not canonical base64 of ${CHECKPOINT_HASH_LENGTH} bytes`,
      )
    }
    hashes.push(hash)
  }
  const checkpoint = text.slice(pos)
  checkCheckpointNote(fn, checkpoint)
  return extra === undefined ? { index, hashes, checkpoint } : { index, hashes, checkpoint, extra }
}
