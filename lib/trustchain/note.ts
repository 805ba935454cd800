/**
 * C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys, signature type 0x01: the
 * envelope the transparency log signs its checkpoints in. Compatible with golang.org/x/mod's
 * `sumdb/note` and the transparency-dev tooling, so standard clients can check our checkpoints.
 *
 * ```text
 * <text, ending in a newline>
 *
 * — <key name> base64(4-byte key ID ‖ 64-byte signature)
 * ```
 */

import { sha256 } from '@noble/hashes/sha2.js'
import { isBytes } from '@noble/hashes/utils.js'
import { fromString } from 'uint8arrays/from-string'
import { toString } from 'uint8arrays/to-string'
import { ED25519_PUBLIC_KEY_LENGTH, ED25519_SIGNATURE_LENGTH, verifyEd25519 } from './ed25519'
import { TrustchainError } from './errors'

/** Signature type identifier byte of Ed25519 note signatures (signed-note § Signature types). */
export const NOTE_SIGNATURE_TYPE_ED25519 = 0x01

/**
 * Largest signed note accepted or produced, in UTF-8 bytes. Checked before any parsing, so an
 * oversized note costs a length comparison. A checkpoint with a hundred signatures is under 12 KiB.
 */
export const NOTE_MAX_BYTES = 1_048_576

/**
 * Most signature lines a note may carry. The spec asks verifiers to accept at least 16; the cap
 * bounds the work a hostile note can cause (one Ed25519 verification per known key's line).
 */
export const NOTE_MAX_SIGNATURES = 100

/** Prefix of every signature line: em dash (U+2014) and a space. */
const SIGNATURE_PREFIX = '\u2014 '

/** A public key a note may be signed by, as parsed from a verifier key (`name+keyid+key`). */
export interface NoteVerifier {
  /** Key name, as it appears on the signature line. */
  name: string
  /** Key ID: the first four bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ publicKey), big-endian. */
  keyId: number
  /** The 32-byte Ed25519 public key. */
  publicKey: Uint8Array
}

/** Something that signs note texts with an Ed25519 key, such as the log's signing key. */
export interface NoteSigner {
  /** Key name to put on the signature line. */
  name: string
  /** The 32-byte Ed25519 public key matching the private key `sign` uses. */
  publicKey: Uint8Array
  /** Sign `message` (the note text, UTF-8) with Ed25519, returning the 64-byte signature. */
  sign(message: Uint8Array): Promise<Uint8Array> | Uint8Array
}

/** One signature line of a note, syntactically valid but not verified. */
export interface NoteSignature {
  /** Key name on the line. */
  name: string
  /** Key ID from the first four bytes of the decoded signature, big-endian. */
  keyId: number
  /** The signature proper: the decoded bytes after the key ID (64 bytes for Ed25519). */
  signature: Uint8Array
}

/** A note split into its text and signature lines, before any verification. */
export interface ParsedNote {
  /** The signed text, including its final newline. */
  text: string
  /** The signature lines, in order. */
  signatures: NoteSignature[]
}

/** A note whose signatures were checked against known keys. */
export interface OpenedNote {
  /** The signed text, including its final newline. Trust it only because `openNote` returned. */
  text: string
  /** Names of the known keys whose signatures verified, in note order, one entry per key. */
  verifiedBy: string[]
}

/**
 * A verifier key or a signer's key was unusable: bad name, wrong key ID, unknown signature type,
 * wrong key length, a signer whose signature does not verify, or two different keys sharing one
 * name and key ID. A configuration error rather than a verdict on a note.
 */
export class NoteKeyError extends TrustchainError {
  override readonly name = 'NoteKeyError'
  readonly code = 'ERR_NOTE_KEY'

  /** @param reason - what is wrong with the key, naming the function that refused it */
  constructor(readonly reason: string) {
    super(`Invalid note key: ${reason}.`)
  }
}

/**
 * A signed note did not follow the format: bad UTF-8, a control character, no signature block,
 * a malformed signature line, too large or too many signatures. `signNote` raises it too for a
 * text the format cannot carry, so the log never signs a note its readers would refuse.
 */
export class MalformedNoteError extends TrustchainError {
  override readonly name = 'MalformedNoteError'
  readonly code = 'ERR_NOTE_MALFORMED'
  override readonly check = 'format' as const

  /** @param reason - what is wrong with the note */
  constructor(readonly reason: string) {
    super(`Malformed signed note: ${reason}.`)
  }
}

/**
 * A well-formed note was not signed by any known key, or a known key's signature on it did not
 * verify. Either way the text must be ignored.
 */
export class NoteSignatureError extends TrustchainError {
  override readonly name = 'NoteSignatureError'
  readonly code = 'ERR_NOTE_SIGNATURE'
  override readonly check = 'checkpoint-signature' as const

  /**
   * @param keyName - the known key whose signature failed, or `undefined` when no known key signed
   */
  constructor(readonly keyName: string | undefined) {
    super(
      keyName === undefined
        ? 'The note is not signed by any known key.'
        : `The signature of known key ${keyName} does not verify.`,
    )
  }
}

const UTF8 = new TextEncoder()
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Unicode White_Space, the same set Go's `unicode.IsSpace` tests (the reference implementation). */
const WHITE_SPACE = /\p{White_Space}/u
/** ASCII control characters the format forbids anywhere: everything below U+0020 but newline. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point here
const FORBIDDEN_CONTROL = /[\x00-\x09\x0b-\x1f]/

/**
 * Whether `name` can be a note key name: non-empty, well-formed Unicode, no Unicode white space,
 * no plus sign (signed-note § Format), and no control character (the note could not carry it).
 */
export function isValidNoteKeyName(name: string): boolean {
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    name.isWellFormed() &&
    !name.includes('+') &&
    !WHITE_SPACE.test(name) &&
    !FORBIDDEN_CONTROL.test(name)
  )
}

/**
 * Standard base64 (RFC 4648 §4) with padding, as every C2SP text format uses.
 *
 * @param bytes - the bytes to encode
 */
export function encodeBase64(bytes: Uint8Array): string {
  return toString(bytes, 'base64pad')
}

/**
 * Decode standard padded base64, accepting only the canonical encoding (correct padding, no
 * whitespace, zero trailing bits), so each value has exactly one accepted spelling.
 *
 * @param text - the base64 text
 * @returns the bytes, or `undefined` if `text` is not canonical base64
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (typeof text !== 'string' || text.length % 4 !== 0) return undefined
  let bytes: Uint8Array
  try {
    bytes = fromString(text, 'base64pad')
  } catch {
    return undefined
  }
  // Re-encoding catches what a decoder may tolerate: stray padding, non-zero trailing bits.
  return toString(bytes, 'base64pad') === text ? bytes : undefined
}

function keyIdOf(name: string, publicKey: Uint8Array): number {
  const nameBytes = UTF8.encode(name)
  const buf = new Uint8Array(nameBytes.length + 2 + publicKey.length)
  buf.set(nameBytes)
  buf[nameBytes.length] = 0x0a
  buf[nameBytes.length + 1] = NOTE_SIGNATURE_TYPE_ED25519
  buf.set(publicKey, nameBytes.length + 2)
  const digest = sha256(buf)
  return new DataView(digest.buffer, digest.byteOffset, 4).getUint32(0)
}

function checkKey(fn: string, name: unknown, publicKey: unknown): asserts publicKey is Uint8Array {
  if (!isValidNoteKeyName(name as string)) {
    throw new NoteKeyError(`${fn}: key name ${JSON.stringify(name)} is empty or has a space or "+"`)
  }
  if (!isBytes(publicKey) || publicKey.length !== ED25519_PUBLIC_KEY_LENGTH) {
    throw new NoteKeyError(`${fn}: the public key must be ${ED25519_PUBLIC_KEY_LENGTH} bytes`)
  }
}

/**
 * The key ID of an Ed25519 note key: the first four bytes of
 * SHA-256(name ‖ 0x0A ‖ 0x01 ‖ publicKey), read big-endian (signed-note § Ed25519 signatures).
 *
 * @param name - the key name
 * @param publicKey - the 32-byte Ed25519 public key
 * @returns the key ID as an unsigned 32-bit integer
 * @throws {NoteKeyError} when the name or key is invalid
 */
export function noteKeyId(name: string, publicKey: Uint8Array): number {
  checkKey('noteKeyId', name, publicKey)
  return keyIdOf(name, publicKey)
}

function hex8(keyId: number): string {
  return keyId.toString(16).padStart(8, '0')
}

/**
 * Encode a verifier key, the text form operators configure a trusted note key with:
 * `<name>+<8 lowercase hex digits of the key ID>+<base64(0x01 ‖ publicKey)>`, as Go's
 * `note.NewEd25519VerifierKey` writes it.
 *
 * @param name - the key name
 * @param publicKey - the 32-byte Ed25519 public key
 * @throws {NoteKeyError} when the name or key is invalid
 *
 * @example
 * ```ts
 * formatVerifierKey('log.example/1', publicKey) // 'log.example/1+1d8d0c82+AaV…'
 * ```
 */
export function formatVerifierKey(name: string, publicKey: Uint8Array): string {
  checkKey('formatVerifierKey', name, publicKey)
  const typed = new Uint8Array(1 + publicKey.length)
  typed[0] = NOTE_SIGNATURE_TYPE_ED25519
  typed.set(publicKey, 1)
  return `${name}+${hex8(keyIdOf(name, publicKey))}+${encodeBase64(typed)}`
}

/**
 * Parse a verifier key (`<name>+<keyid>+<base64 key>`), strictly: a valid name, exactly eight
 * lowercase hex digits, canonical base64 of the type byte 0x01 and a 32-byte key, and a key ID
 * that matches the name and key.
 *
 * @param text - the verifier key
 * @throws {NoteKeyError} when any part is invalid
 */
export function parseVerifierKey(text: string): NoteVerifier {
  if (typeof text !== 'string') throw new NoteKeyError('parseVerifierKey: expected a string')
  // The name has no "+", the key ID is hex: the first two "+" split; base64 may hold more.
  const first = text.indexOf('+')
  const second = first < 0 ? -1 : text.indexOf('+', first + 1)
  if (second < 0) throw new NoteKeyError('parseVerifierKey: expected <name>+<key ID>+<key>')
  const name = text.slice(0, first)
  const idText = text.slice(first + 1, second)
  const keyText = text.slice(second + 1)
  if (!isValidNoteKeyName(name)) {
    throw new NoteKeyError('parseVerifierKey: the key name is empty or has a space or "+"')
  }
  if (!/^[0-9a-f]{8}$/.test(idText)) {
    throw new NoteKeyError('parseVerifierKey: the key ID must be 8 lowercase hex digits')
  }
  const typed = decodeBase64(keyText)
  if (typed === undefined || typed.length === 0) {
    throw new NoteKeyError('parseVerifierKey: the key is not canonical base64')
  }
  if (typed[0] !== NOTE_SIGNATURE_TYPE_ED25519) {
    throw new NoteKeyError(`parseVerifierKey: signature type ${typed[0]} is not Ed25519 (1)`)
  }
  const publicKey = typed.slice(1)
  if (publicKey.length !== ED25519_PUBLIC_KEY_LENGTH) {
    throw new NoteKeyError(
      `parseVerifierKey: the public key must be ${ED25519_PUBLIC_KEY_LENGTH} bytes`,
    )
  }
  const keyId = keyIdOf(name, publicKey)
  if (hex8(keyId) !== idText) {
    throw new NoteKeyError('parseVerifierKey: the key ID does not match the name and key')
  }
  return { name, keyId, publicKey }
}

function checkNoteText(fn: string, text: string): void {
  if (!text.isWellFormed()) throw new MalformedNoteError(`${fn}: not well-formed Unicode`)
  if (FORBIDDEN_CONTROL.test(text)) {
    throw new MalformedNoteError(`${fn}: control characters other than newline are not allowed`)
  }
}

/**
 * Sign `text` with every signer and return the signed note. Each signature is checked against the
 * signer's public key before it is written, so a misconfigured signer fails here, not at readers.
 *
 * @param text - the note text: non-empty, ending in a newline, no control characters but newline
 * @param signers - one or more signers (at most {@link NOTE_MAX_SIGNATURES}), distinct keys
 * @returns the signed note
 * @throws {MalformedNoteError} when the text cannot be carried by a note, or the result is too big
 * @throws {NoteKeyError} when a signer's name or key is invalid, a key is repeated, or a signature
 *   does not verify
 *
 * @example
 * ```ts
 * const note = await signNote('log.example/1\n5\n<root>\n', [logSigner])
 * ```
 */
export async function signNote(
  text: string,
  signers: readonly NoteSigner[],
  options: { checkSignatures?: boolean } = {},
): Promise<string> {
  if (typeof text !== 'string') throw new MalformedNoteError('signNote: text must be a string')
  if (!text.endsWith('\n')) throw new MalformedNoteError('signNote: text must end in a newline')
  checkNoteText('signNote', text)
  if (!Array.isArray(signers) || signers.length === 0) {
    throw new NoteKeyError('signNote: at least one signer is required')
  }
  if (signers.length > NOTE_MAX_SIGNATURES) {
    throw new NoteKeyError(`signNote: at most ${NOTE_MAX_SIGNATURES} signers`)
  }
  const message = UTF8.encode(text)
  if (message.length > NOTE_MAX_BYTES) {
    throw new MalformedNoteError(`signNote: text is larger than ${NOTE_MAX_BYTES} bytes`)
  }
  const seen = new Set<string>()
  const ids = signers.map((signer) => {
    if (signer === null || typeof signer !== 'object' || typeof signer.sign !== 'function') {
      throw new NoteKeyError('signNote: each signer needs name, publicKey and sign')
    }
    checkKey('signNote', signer.name, signer.publicKey)
    const keyId = keyIdOf(signer.name, signer.publicKey)
    const id = `${signer.name}+${hex8(keyId)}`
    if (seen.has(id)) throw new NoteKeyError(`signNote: key ${id} is listed twice`)
    seen.add(id)
    return keyId
  })
  const signatures = await Promise.all(signers.map((signer) => signer.sign(message.slice())))
  let lines = ''
  signers.forEach((signer, i) => {
    const signature = signatures[i]
    const keyId = ids[i] ?? 0
    if (!isBytes(signature) || signature.length !== ED25519_SIGNATURE_LENGTH) {
      throw new NoteKeyError(`signNote: signer ${signer.name} did not return 64 bytes`)
    }
    // A signer whose key is known good (the log's own key, used on every batch) may skip the
    // check: verifying in JS costs more than signing natively.
    if (options.checkSignatures !== false && !verifyEd25519(signer.publicKey, message, signature)) {
      throw new NoteKeyError(`signNote: signer ${signer.name}'s signature does not match its key`)
    }
    const body = new Uint8Array(4 + signature.length)
    new DataView(body.buffer).setUint32(0, keyId)
    body.set(signature, 4)
    lines += `${SIGNATURE_PREFIX}${signer.name} ${encodeBase64(body)}\n`
  })
  const note = `${text}\n${lines}`
  if (UTF8.encode(note).length > NOTE_MAX_BYTES) {
    throw new MalformedNoteError(`signNote: the signed note is larger than ${NOTE_MAX_BYTES} bytes`)
  }
  return note
}

function toNoteString(fn: string, note: string | Uint8Array): string {
  if (typeof note === 'string') {
    // A UTF-8 encoding is at least as long as the UTF-16 one, so this bounds the work below.
    if (note.length > NOTE_MAX_BYTES || UTF8.encode(note).length > NOTE_MAX_BYTES) {
      throw new MalformedNoteError(`${fn}: larger than ${NOTE_MAX_BYTES} bytes`)
    }
    return note
  }
  if (!isBytes(note)) throw new MalformedNoteError(`${fn}: expected a string or bytes`)
  if (note.length > NOTE_MAX_BYTES) {
    throw new MalformedNoteError(`${fn}: larger than ${NOTE_MAX_BYTES} bytes`)
  }
  try {
    return STRICT_UTF8.decode(note)
  } catch {
    throw new MalformedNoteError(`${fn}: not valid UTF-8`)
  }
}

function parse(fn: string, input: string | Uint8Array): ParsedNote {
  const note = toNoteString(fn, input)
  checkNoteText(fn, note)
  // The text may hold blank lines itself: the last blank line is the separator.
  const split = note.lastIndexOf('\n\n')
  if (split < 0) throw new MalformedNoteError(`${fn}: no blank line before the signatures`)
  const text = note.slice(0, split + 1)
  const block = note.slice(split + 2)
  if (block.length === 0 || !block.endsWith('\n')) {
    throw new MalformedNoteError(`${fn}: the signature block must end in a newline`)
  }
  const lines = block.slice(0, -1).split('\n')
  if (lines.length > NOTE_MAX_SIGNATURES) {
    throw new MalformedNoteError(`${fn}: more than ${NOTE_MAX_SIGNATURES} signatures`)
  }
  const signatures = lines.map((line, i): NoteSignature => {
    if (!line.startsWith(SIGNATURE_PREFIX)) {
      throw new MalformedNoteError(`${fn}: signature line ${i + 1} does not start with "— "`)
    }
    const rest = line.slice(SIGNATURE_PREFIX.length)
    const space = rest.indexOf(' ')
    const name = space < 0 ? rest : rest.slice(0, space)
    const decoded = space < 0 ? undefined : decodeBase64(rest.slice(space + 1))
    if (!isValidNoteKeyName(name)) {
      throw new MalformedNoteError(`${fn}: signature line ${i + 1} has an invalid key name`)
    }
    if (decoded === undefined || decoded.length < 5) {
      throw new MalformedNoteError(
        `${fn}: signature line ${i + 1} is not base64 of ID and signature`,
      )
    }
    const keyId = new DataView(decoded.buffer, decoded.byteOffset, 4).getUint32(0)
    return { name, keyId, signature: decoded.slice(4) }
  })
  return { text, signatures }
}

/**
 * Split a signed note into its text and signature lines, checking the syntax only. The text must
 * not be trusted from this: use {@link openNote}. Useful to inspect or re-sign (cosign) a note.
 *
 * @param note - the signed note, as a string or UTF-8 bytes
 * @throws {MalformedNoteError} when the note is not well-formed
 */
export function parseNote(note: string | Uint8Array): ParsedNote {
  return parse('parseNote', note)
}

function indexVerifiers(fn: string, verifiers: readonly NoteVerifier[]): Map<string, NoteVerifier> {
  if (!Array.isArray(verifiers)) throw new NoteKeyError(`${fn}: verifiers must be an array`)
  const byId = new Map<string, NoteVerifier>()
  for (const verifier of verifiers) {
    if (verifier === null || typeof verifier !== 'object') {
      throw new NoteKeyError(`${fn}: each verifier needs name, keyId and publicKey`)
    }
    checkKey(fn, verifier.name, verifier.publicKey)
    const keyId = keyIdOf(verifier.name, verifier.publicKey)
    if (verifier.keyId !== keyId) {
      throw new NoteKeyError(`${fn}: verifier ${verifier.name} has a key ID that does not match`)
    }
    const id = `${verifier.name}+${hex8(keyId)}`
    const known = byId.get(id)
    if (known !== undefined && !equalBytes(known.publicKey, verifier.publicKey)) {
      throw new NoteKeyError(`${fn}: two different keys are both ${id}`)
    }
    byId.set(id, verifier)
  }
  return byId
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * Parse a signed note and verify it against the known keys. Signature lines from unknown keys
 * (name or key ID not both matching a known key) are checked for syntax and otherwise ignored, as
 * the spec requires. Every line from a known key is verified, repeats included, and one bad line
 * rejects the whole note.
 *
 * @param note - the signed note, as a string or UTF-8 bytes
 * @param verifiers - the trusted keys
 * @returns the text and the names of the known keys that signed it
 * @throws {MalformedNoteError} (check `format`) when the note is not well-formed
 * @throws {NoteSignatureError} (check `checkpoint-signature`) when no known key signed the note or
 *   a known key's signature does not verify
 * @throws {NoteKeyError} when `verifiers` holds an invalid or ambiguous key
 *
 * @example
 * ```ts
 * const { text } = openNote(body, [parseVerifierKey(LOG_KEY)])
 * ```
 */
export function openNote(
  note: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
): OpenedNote {
  const known = indexVerifiers('openNote', verifiers)
  const { text, signatures } = parse('openNote', note)
  const message = UTF8.encode(text)
  const verified = new Set<string>()
  const verifiedBy: string[] = []
  for (const { name, keyId, signature } of signatures) {
    const id = `${name}+${hex8(keyId)}`
    const verifier = known.get(id)
    if (verifier === undefined) continue
    if (!verifyEd25519(verifier.publicKey, message, signature)) throw new NoteSignatureError(name)
    if (!verified.has(id)) {
      verified.add(id)
      verifiedBy.push(name)
    }
  }
  if (verifiedBy.length === 0) throw new NoteSignatureError(undefined)
  return { text, verifiedBy }
}
