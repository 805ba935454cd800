/**
 * Asset identifiers (DESIGN.md §5, lib/assets/README.md): 16 random bytes in UUID v4 layout plus
 * the asset's type. Binary form `type byte ‖ uuid` (17 bytes), text form `<type>:<uuid>` in lower
 * case (`memory:0f8e3a52-1c7d-4b9e-a0f1-5d2c3b4a6e7f`). Decoders accept exactly one encoding per
 * identifier: a text in upper case, without the version or variant bits, or with an unknown type
 * is refused, so identifiers can be compared, hashed and used as map keys in text form.
 *
 * Also the errors shared by the whole of lib/assets ({@link AssetError}, {@link AssetArgumentError}).
 */
import { sha256 } from '@noble/hashes/sha2.js'

// ---------------------------------------------------------------------------------------------
// Errors

/** The serialisable form of an asset error. */
export interface SerializedAssetError {
  name: string
  code: string
  message: string
  /** Which rule failed, for the classes that have several. */
  reason?: string
}

/**
 * Base class of every error of lib/assets. Each subclass spells out a stable `name` and `code`
 * (they survive minification and cross workers and the network as `{ name, code, message }`);
 * tests match `name`/`code`/`reason`, never the message.
 */
export abstract class AssetError extends Error {
  /** Stable identifier of the failure. */
  abstract readonly code: string
  /** Which rule failed, for classes with several (stable strings, documented per class). */
  readonly reason?: string

  /** The `{ name, code, message }` form that crosses workers and the network. */
  toJSON(): SerializedAssetError {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.reason !== undefined ? { reason: this.reason } : {}),
    }
  }
}

/**
 * A function of lib/assets was called with an argument of the wrong type or range: a programming
 * error of the caller, not bad input from the network (those get the decode errors).
 */
export class AssetArgumentError extends AssetError {
  override readonly name = 'AssetArgumentError'
  readonly code = 'ERR_ASSET_ARGUMENT'

  /**
   * @param argument - qualified argument name (`newAssetId.random16`)
   * @param rule - the rule it breaks (`must be 16 bytes`)
   */
  constructor(
    readonly argument: string,
    rule: string,
  ) {
    super(`${argument} ${rule}.`)
  }
}

/** Why an asset identifier was refused (see {@link InvalidAssetIdError}). */
export type InvalidAssetIdReason = 'length' | 'type' | 'version' | 'variant' | 'syntax'

/**
 * Bytes or text that are not an asset identifier: wrong length (`length`), unknown type
 * (`type`), UUID version nibble other than 4 (`version`), variant bits other than `10`
 * (`variant`), or text not in the canonical `<type>:<uuid>` lower-case form (`syntax`).
 */
export class InvalidAssetIdError extends AssetError {
  override readonly name = 'InvalidAssetIdError'
  readonly code = 'ERR_INVALID_ASSET_ID'
  override readonly reason: InvalidAssetIdReason

  /**
   * @param reason - which rule failed
   * @param message - a sentence for people
   */
  constructor(reason: InvalidAssetIdReason, message: string) {
    super(message)
    this.reason = reason
  }
}

// ---------------------------------------------------------------------------------------------
// Types

/** The kinds of asset a node can offer (DESIGN.md §5). */
export type AssetType = 'cpu' | 'gpu' | 'memory' | 'storage' | 'network' | 'container' | 'economic'

/**
 * Every asset type with its one-byte code, in code order. The codes are part of the binary form
 * and of the content hash: never renumber, only append. 0 is deliberately unused so that a zeroed
 * buffer is never a valid identifier.
 */
export const ASSET_TYPE_CODES: Readonly<Record<AssetType, number>> = Object.freeze({
  cpu: 0x01,
  gpu: 0x02,
  memory: 0x03,
  storage: 0x04,
  network: 0x05,
  container: 0x06,
  economic: 0x07,
})

/** Every asset type, in code order. */
export const ASSET_TYPES: readonly AssetType[] = Object.freeze(
  (Object.keys(ASSET_TYPE_CODES) as AssetType[]).sort(
    (a, b) => ASSET_TYPE_CODES[a] - ASSET_TYPE_CODES[b],
  ),
)

const TYPE_BY_CODE = new Map<number, AssetType>(ASSET_TYPES.map((t) => [ASSET_TYPE_CODES[t], t]))

/** Length of an asset UUID, in bytes. */
export const ASSET_UUID_BYTES = 16

/** Length of the binary form of an {@link AssetId}: type byte ‖ UUID. */
export const ASSET_ID_BYTES = 1 + ASSET_UUID_BYTES

/** The ASCII tag in front of the content hash input (DESIGN.md §5). */
export const ASSET_HASH_TAG = 'HYPERMESH_V1'

/**
 * An asset's identifier: its type and 16 random bytes in UUID v4 layout (byte 6 = `0x4?`, byte 8
 * = `0b10??????`). Values built by this module are frozen; the `uuid` array is a private copy.
 */
export interface AssetId {
  readonly type: AssetType
  /** 16 bytes, UUID v4 layout. */
  readonly uuid: Uint8Array
}

// ---------------------------------------------------------------------------------------------
// Type codes

/** Whether `x` is one of the {@link ASSET_TYPES}. Never throws. */
export function isAssetType(x: unknown): x is AssetType {
  return typeof x === 'string' && Object.hasOwn(ASSET_TYPE_CODES, x)
}

/**
 * The one-byte code of an asset type.
 *
 * @throws {@link AssetArgumentError} when `type` is not an {@link AssetType}
 * @example
 * ```ts
 * assetTypeCode('memory') // 3
 * ```
 */
export function assetTypeCode(type: AssetType): number {
  if (!isAssetType(type))
    throw new AssetArgumentError('assetTypeCode.type', 'must be an asset type')
  return ASSET_TYPE_CODES[type]
}

/**
 * The asset type of a one-byte code.
 *
 * @throws {@link InvalidAssetIdError} (`type`) for a code no type has
 */
export function assetTypeFromCode(code: number): AssetType {
  const type = TYPE_BY_CODE.get(code)
  if (type === undefined) {
    throw new InvalidAssetIdError('type', `Asset type code ${String(code)} is not known.`)
  }
  return type
}

// ---------------------------------------------------------------------------------------------
// UUIDs

function isBytes(x: unknown, length: number): x is Uint8Array {
  return x instanceof Uint8Array && x.length === length
}

/**
 * Check the UUID v4 layout of 16 bytes.
 *
 * @throws {@link InvalidAssetIdError} (`length`, `version`, `variant`)
 */
export function checkAssetUuid(uuid: Uint8Array): void {
  if (!isBytes(uuid, ASSET_UUID_BYTES)) {
    throw new InvalidAssetIdError('length', 'An asset UUID is 16 bytes.')
  }
  if (uuid[6]! >> 4 !== 4) {
    throw new InvalidAssetIdError('version', 'An asset UUID has version 4 (byte 6 is 0x4?).')
  }
  if (uuid[8]! >> 6 !== 0b10) {
    throw new InvalidAssetIdError('variant', 'An asset UUID has the RFC 4122 variant (10xxxxxx).')
  }
}

const HEX = '0123456789abcdef'
// Group boundaries of the 8-4-4-4-12 text form, as byte offsets.
const DASH_AFTER = new Set([4, 6, 8, 10])
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/**
 * The canonical text of an asset UUID: 8-4-4-4-12 lower-case hex digits.
 *
 * @throws {@link InvalidAssetIdError} when `uuid` is not 16 bytes in UUID v4 layout
 * @example
 * ```ts
 * formatAssetUuid(id.uuid) // '0f8e3a52-1c7d-4b9e-a0f1-5d2c3b4a6e7f'
 * ```
 */
export function formatAssetUuid(uuid: Uint8Array): string {
  checkAssetUuid(uuid)
  let out = ''
  for (let i = 0; i < ASSET_UUID_BYTES; i++) {
    if (DASH_AFTER.has(i)) out += '-'
    out += HEX[uuid[i]! >> 4]! + HEX[uuid[i]! & 15]!
  }
  return out
}

/**
 * Parse the canonical text of an asset UUID (lower case, dashes in place, version 4, variant
 * `10`). Upper case, braces, `urn:uuid:` and missing dashes are refused: one text per UUID.
 *
 * @throws {@link InvalidAssetIdError} (`syntax`) for any other text
 */
export function parseAssetUuid(text: string): Uint8Array {
  if (typeof text !== 'string' || !UUID_PATTERN.test(text)) {
    throw new InvalidAssetIdError(
      'syntax',
      'An asset UUID is written xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx in lower-case hex.',
    )
  }
  const hex = text.replaceAll('-', '')
  const out = new Uint8Array(ASSET_UUID_BYTES)
  for (let i = 0; i < ASSET_UUID_BYTES; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

// ---------------------------------------------------------------------------------------------
// AssetId

function freezeId(type: AssetType, uuid: Uint8Array): AssetId {
  return Object.freeze({ type, uuid })
}

/**
 * A new asset identifier from 16 random bytes: the version nibble and variant bits are set over
 * them (so 122 of the 128 bits are random, as in any UUID v4). Randomness comes from the caller
 * (`crypto.getRandomValues` in an adapter, a seeded source in tests).
 *
 * @param type - the asset's type
 * @param random16 - 16 bytes from a cryptographic source (not modified)
 * @throws {@link AssetArgumentError} for an unknown type or random bytes of another length
 * @example
 * ```ts
 * const id = newAssetId('memory', crypto.getRandomValues(new Uint8Array(16)))
 * formatAssetId(id) // 'memory:…-4…-…'
 * ```
 */
export function newAssetId(type: AssetType, random16: Uint8Array): AssetId {
  if (!isAssetType(type)) throw new AssetArgumentError('newAssetId.type', 'must be an asset type')
  if (!isBytes(random16, ASSET_UUID_BYTES)) {
    throw new AssetArgumentError('newAssetId.random16', 'must be 16 bytes')
  }
  const uuid = Uint8Array.from(random16)
  uuid[6] = (uuid[6]! & 0x0f) | 0x40
  uuid[8] = (uuid[8]! & 0x3f) | 0x80
  return freezeId(type, uuid)
}

/**
 * An {@link AssetId} from a type and an existing UUID (e.g. one read from a GlobalAddress, whose
 * type the registry knows).
 *
 * @throws {@link AssetArgumentError} for an unknown type
 * @throws {@link InvalidAssetIdError} when `uuid` is not in UUID v4 layout
 */
export function assetIdOf(type: AssetType, uuid: Uint8Array): AssetId {
  if (!isAssetType(type)) throw new AssetArgumentError('assetIdOf.type', 'must be an asset type')
  checkAssetUuid(uuid)
  return freezeId(type, Uint8Array.from(uuid))
}

/** Whether two asset identifiers are the same (type and UUID). */
export function assetIdEquals(a: AssetId, b: AssetId): boolean {
  if (a.type !== b.type || a.uuid.length !== b.uuid.length) return false
  for (let i = 0; i < a.uuid.length; i++) if (a.uuid[i] !== b.uuid[i]) return false
  return true
}

function checkId(id: AssetId, where: string): void {
  if (typeof id !== 'object' || id === null || !isAssetType(id.type)) {
    throw new AssetArgumentError(where, 'must be an AssetId')
  }
  try {
    checkAssetUuid(id.uuid)
  } catch {
    throw new AssetArgumentError(`${where}.uuid`, 'must be 16 bytes in UUID v4 layout')
  }
}

/**
 * The binary form: type code (1 byte) ‖ UUID (16 bytes).
 *
 * @throws {@link AssetArgumentError} when `id` is not a valid {@link AssetId}
 */
export function encodeAssetId(id: AssetId): Uint8Array {
  checkId(id, 'encodeAssetId.id')
  const out = new Uint8Array(ASSET_ID_BYTES)
  out[0] = ASSET_TYPE_CODES[id.type]
  out.set(id.uuid, 1)
  return out
}

/**
 * Read the binary form. Every byte string has at most one meaning and every identifier one
 * encoding.
 *
 * @throws {@link InvalidAssetIdError} (`length`, `type`, `version`, `variant`)
 */
export function decodeAssetId(bytes: Uint8Array): AssetId {
  if (!isBytes(bytes, ASSET_ID_BYTES)) {
    throw new InvalidAssetIdError('length', `An asset identifier is ${ASSET_ID_BYTES} bytes.`)
  }
  const type = assetTypeFromCode(bytes[0]!)
  const uuid = bytes.slice(1)
  checkAssetUuid(uuid)
  return freezeId(type, uuid)
}

/**
 * The text form `<type>:<uuid>`, lower case.
 *
 * @throws {@link AssetArgumentError} when `id` is not a valid {@link AssetId}
 * @example
 * ```ts
 * formatAssetId(id) // 'memory:0f8e3a52-1c7d-4b9e-a0f1-5d2c3b4a6e7f'
 * ```
 */
export function formatAssetId(id: AssetId): string {
  checkId(id, 'formatAssetId.id')
  return `${id.type}:${formatAssetUuid(id.uuid)}`
}

// Longest type name + ':' + 36: anything longer is refused before any work.
const MAX_ASSET_ID_TEXT = 9 + 1 + 36

/**
 * Parse the text form. Only the canonical text is accepted (what {@link formatAssetId} writes):
 * no surrounding spaces, no upper case, no other UUID spelling.
 *
 * @throws {@link InvalidAssetIdError} (`syntax` or `type`)
 */
export function parseAssetId(text: string): AssetId {
  if (typeof text !== 'string' || text.length > MAX_ASSET_ID_TEXT) {
    throw new InvalidAssetIdError('syntax', 'An asset identifier is written <type>:<uuid>.')
  }
  const colon = text.indexOf(':')
  if (colon < 0) {
    throw new InvalidAssetIdError('syntax', 'An asset identifier is written <type>:<uuid>.')
  }
  const typeName = text.slice(0, colon)
  if (!isAssetType(typeName)) {
    throw new InvalidAssetIdError('type', `"${typeName.slice(0, 16)}" is not an asset type.`)
  }
  return freezeId(typeName, parseAssetUuid(text.slice(colon + 1)))
}

// ---------------------------------------------------------------------------------------------
// Content hash

const TAG_BYTES = new TextEncoder().encode(ASSET_HASH_TAG)
const MAX_U64 = 2n ** 64n - 1n

/**
 * The asset's content hash: `SHA-256("HYPERMESH_V1" ‖ type byte ‖ uuid ‖ created_us)` with
 * `created_us` as 8 bytes big-endian (DESIGN.md §5). Every part has a fixed length, so no
 * separator is needed for the input to be unambiguous.
 *
 * @param id - the asset
 * @param createdUs - creation time in microseconds since the Unix epoch (a safe integer, or a
 *   bigint below 2^64)
 * @returns 32 bytes
 * @throws {@link AssetArgumentError} for an invalid id or a negative, fractional or too large time
 * @example
 * ```ts
 * assetContentHash(id, 1_767_225_600_000_000) // Uint8Array(32)
 * ```
 */
export function assetContentHash(id: AssetId, createdUs: number | bigint): Uint8Array {
  checkId(id, 'assetContentHash.id')
  let t: bigint
  if (typeof createdUs === 'number' && Number.isSafeInteger(createdUs) && createdUs >= 0) {
    t = BigInt(createdUs)
  } else if (typeof createdUs === 'bigint' && createdUs >= 0n && createdUs <= MAX_U64) {
    t = createdUs
  } else {
    throw new AssetArgumentError(
      'assetContentHash.createdUs',
      'must be a non-negative integer below 2^64 (microseconds since the epoch)',
    )
  }
  const input = new Uint8Array(TAG_BYTES.length + ASSET_ID_BYTES + 8)
  input.set(TAG_BYTES, 0)
  input[TAG_BYTES.length] = ASSET_TYPE_CODES[id.type]
  input.set(id.uuid, TAG_BYTES.length + 1)
  new DataView(input.buffer).setBigUint64(TAG_BYTES.length + ASSET_ID_BYTES, t, false)
  return sha256(input)
}
