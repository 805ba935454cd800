/**
 * Deterministic dag-cbor for the ledger: one encoding per value, and strict readers that turn
 * whatever came off the network into typed values or a {@link LedgerDecodeError}.
 *
 * Amounts are bigint in memory and CBOR integers on the wire: dag-cbor writes a bigint and a
 * number of the same value identically, and gives back a number below 2^53 and a bigint above,
 * so readers accept both and return a bigint. A number that is not a safe integer would be written
 * as a float: never pass one as an amount.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { MAX_AMOUNT, PUBLIC_KEY_BYTES } from './constants'
import { LedgerDecodeError } from './errors'

/** Encode a ledger value (maps, lists, strings, safe integers, bigints, bytes, null, floats). */
export function encodeCbor(value: unknown): Uint8Array {
  return dagCbor.encode(value)
}

/** Whether two byte strings are equal. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Lexicographic order of byte strings (a shorter prefix first). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!
    if (d !== 0) return d
  }
  return a.length - b.length
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!]
  return out
}

/** Bytes of lowercase (or uppercase) hex; `null` when `text` is not hex. */
export function fromHex(text: string): Uint8Array | null {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return null
  const out = new Uint8Array(text.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16)
  return out
}

/**
 * Decode dag-cbor from the network: at most `maxBytes`, strictly (dag-cbor's own rules: minimal
 * integers, no indefinite lengths, no undefined or NaN, only tag 42), and canonical — re-encoding
 * the result must give the same bytes, which refuses unsorted or duplicate map keys and floats
 * that should have been integers. One value, one byte string: IDs and signatures rely on it.
 *
 * @throws {LedgerDecodeError} for anything else
 */
export function decodeCanonical(bytes: Uint8Array, maxBytes: number): unknown {
  if (!(bytes instanceof Uint8Array)) throw new LedgerDecodeError('bytes', 'expected a Uint8Array')
  if (bytes.length > maxBytes) {
    throw new LedgerDecodeError('bytes', `${bytes.length} bytes, limit ${maxBytes}`)
  }
  let raw: unknown
  try {
    raw = dagCbor.decode(bytes)
  } catch (err) {
    throw new LedgerDecodeError('bytes', `not dag-cbor (${(err as Error).message})`)
  }
  let again: Uint8Array
  try {
    again = dagCbor.encode(raw)
  } catch {
    throw new LedgerDecodeError('bytes', 'not re-encodable')
  }
  if (!equalBytes(again, bytes)) throw new LedgerDecodeError('bytes', 'not canonical dag-cbor')
  return raw
}

function isPlainMap(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || x instanceof Uint8Array) {
    return false
  }
  const proto = Object.getPrototypeOf(x) as unknown
  return proto === Object.prototype || proto === null
}

/**
 * A map with exactly the fields `keys`, no more, no fewer.
 *
 * @throws {LedgerDecodeError} naming `field` otherwise
 */
export function readMap(
  raw: unknown,
  field: string,
  keys: readonly string[],
): Record<string, unknown> {
  if (!isPlainMap(raw)) throw new LedgerDecodeError(field, 'expected a map')
  const own = Object.keys(raw)
  if (own.length !== keys.length) throw new LedgerDecodeError(field, 'wrong fields')
  for (const key of keys) {
    if (!Object.hasOwn(raw, key)) throw new LedgerDecodeError(field, `missing ${key}`)
  }
  return raw
}

/** Bytes of exactly `length`, or between `length.min` and `length.max`. */
export function readBytes(
  raw: unknown,
  field: string,
  length: number | { min: number; max: number },
): Uint8Array {
  if (!(raw instanceof Uint8Array)) throw new LedgerDecodeError(field, 'expected bytes')
  const ok =
    typeof length === 'number'
      ? raw.length === length
      : raw.length >= length.min && raw.length <= length.max
  if (!ok) throw new LedgerDecodeError(field, `wrong length ${raw.length}`)
  return raw
}

/** A raw 32-byte Ed25519 public key. */
export function readPublicKey(raw: unknown, field: string): Uint8Array {
  return readBytes(raw, field, PUBLIC_KEY_BYTES)
}

/** An integer from `min` (default 0) to `max` (default 2^53 − 1), as a number. */
export function readUint(
  raw: unknown,
  field: string,
  max = Number.MAX_SAFE_INTEGER,
  min = 0,
): number {
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < min || raw > max) {
    throw new LedgerDecodeError(field, `expected an integer from ${min} to ${max}`)
  }
  return raw
}

/** An amount: an integer from 0 to 2^64 − 1 (number or bigint on input), as a bigint. */
export function readAmount(raw: unknown, field: string): bigint {
  if (typeof raw === 'number') {
    if (!Number.isSafeInteger(raw) || raw < 0) {
      throw new LedgerDecodeError(field, 'expected an integer from 0 to 2^64 - 1')
    }
    return BigInt(raw)
  }
  if (typeof raw === 'bigint' && raw >= 0n && raw <= MAX_AMOUNT) return raw
  throw new LedgerDecodeError(field, 'expected an integer from 0 to 2^64 - 1')
}

/** A finite number from `min` to `max` (integers and floats alike). */
export function readNumber(raw: unknown, field: string, min: number, max: number): number {
  if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < min || raw > max) {
    throw new LedgerDecodeError(field, `expected a number from ${min} to ${max}`)
  }
  return raw
}

/** A string of at most `maxLength` UTF-16 units, matching `pattern` when given. */
export function readString(
  raw: unknown,
  field: string,
  maxLength: number,
  pattern?: RegExp,
): string {
  if (typeof raw !== 'string' || raw.length > maxLength || (pattern && !pattern.test(raw))) {
    throw new LedgerDecodeError(field, 'expected a valid string')
  }
  return raw
}

/** A boolean. */
export function readBool(raw: unknown, field: string): boolean {
  if (typeof raw !== 'boolean') throw new LedgerDecodeError(field, 'expected a boolean')
  return raw
}

/** A list of at most `maxLength` items, each read by `item`. */
export function readList<T>(
  raw: unknown,
  field: string,
  maxLength: number,
  item: (x: unknown, field: string) => T,
): T[] {
  if (!Array.isArray(raw)) throw new LedgerDecodeError(field, 'expected a list')
  if (raw.length > maxLength) throw new LedgerDecodeError(field, `more than ${maxLength} items`)
  return raw.map((x, i) => item(x, `${field}[${i}]`))
}

/** `null`, or a value read by `read`. */
export function readNullable<T>(
  raw: unknown,
  field: string,
  read: (x: unknown, field: string) => T,
): T | null {
  return raw === null ? null : read(raw, field)
}
