/**
 * Small byte helpers of the consensus core: hex keys for maps, comparison, concatenation and the
 * domain-separated signing layout shared by every signed object.
 */
import * as dagCbor from '@ipld/dag-cbor'

/** ASCII codes of the two hex digits of every byte value. */
const HEX_CODES = new Uint8Array(512)
for (let i = 0; i < 256; i++) {
  const h = i.toString(16).padStart(2, '0')
  HEX_CODES[2 * i] = h.charCodeAt(0)
  HEX_CODES[2 * i + 1] = h.charCodeAt(1)
}
const ascii = new TextDecoder()

/**
 * Lower-case hex of `bytes`; used as a map key (validator keys, block hashes, tx hashes). Built
 * through one decode so the result is a flat string: a string grown by `+=` is a rope that every
 * Map lookup would flatten again, several times slower on the mempool's hot path.
 */
export function toHex(bytes: Uint8Array): string {
  const n = bytes.length
  const out = new Uint8Array(2 * n)
  for (let i = 0; i < n; i++) {
    const b = bytes[i]! * 2
    out[2 * i] = HEX_CODES[b]!
    out[2 * i + 1] = HEX_CODES[b + 1]!
  }
  return ascii.decode(out)
}

/** Whether two byte strings are equal (not constant-time: only public data is compared). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Whether two nullable byte strings are equal (`null` equals only `null`). */
export function nullableBytesEqual(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b
  return bytesEqual(a, b)
}

/** Lexicographic comparison of byte strings (shorter first on a common prefix). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!
    if (d !== 0) return d
  }
  return a.length - b.length
}

/** Concatenation of byte strings. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

const encoder = new TextEncoder()

/** `domain ‖ 0x00 ‖ dag-cbor(body)`: the bytes every signed object of consensus is signed over. */
export function domainSignBytes(domain: string, body: unknown): Uint8Array {
  return concatBytes(encoder.encode(domain), new Uint8Array([0]), dagCbor.encode(body))
}

/** The 32 zero bytes that stand for "no parent" and "no last commit" at height 1. */
export const ZERO_HASH: Uint8Array = new Uint8Array(32)
