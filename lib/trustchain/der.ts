/**
 * A small strict DER reader (X.690 §10): exactly what {@link parseCertificate} needs to walk a
 * TrustChain certificate, and nothing of BER. Lengths are definite and in their shortest form,
 * constructed elements are exactly filled by their children, strings are never constructed, and
 * the primitive decoders below refuse every encoding DER does not allow (a BOOLEAN other than
 * 0x00/0xff, a padded INTEGER or OID arc, non-zero unused bits, …). It uses no `node:*` module
 * and no schema machinery: one certificate is a few hundred bytes and about a hundred elements,
 * and every peer reads one per new connection.
 *
 * Positions are offsets into the caller's buffer; nothing is copied until the caller slices.
 *
 * @module
 */
import { TrustchainError } from './errors'

/** Universal tags used by the certificate profile. */
export const DER_BOOLEAN = 0x01
export const DER_INTEGER = 0x02
export const DER_BIT_STRING = 0x03
export const DER_OCTET_STRING = 0x04
export const DER_NULL = 0x05
export const DER_OID = 0x06
export const DER_SEQUENCE = 0x30
export const DER_SET = 0x31

/** Two length octets cover 64 KiB, far above the 16 KiB a certificate may have. */
const MAX_LENGTH_OCTETS = 2
/** An OID arc of up to 7 base-128 digits (49 bits) stays an exact JavaScript number. */
const MAX_EXACT_ARC_DIGITS = 7

/**
 * Bytes that are not the DER this reader expects. {@link parseCertificate} turns it into a
 * MalformedCertificateError; it never leaves the certificate decoder.
 */
export class MalformedDerError extends TrustchainError {
  override readonly name = 'MalformedDerError'
  readonly code = 'ERR_DER_FORMAT'

  /** @param reason - what is wrong, as a sentence fragment */
  constructor(readonly reason: string) {
    super(`Not DER: ${reason}.`)
  }
}

/** One DER element: its tag, where its header starts, and where its contents start and end. */
export interface DerElement {
  readonly tag: number
  readonly start: number
  readonly body: number
  readonly end: number
}

function fail(reason: string): never {
  throw new MalformedDerError(reason)
}

function hex2(byte: number): string {
  return byte.toString(16).padStart(2, '0')
}

/** Whether the tag's constructed bit (0x20) is set. */
export function isConstructed(tag: number): boolean {
  return (tag & 0x20) !== 0
}

/**
 * Reads the element at `pos`, which must end by `limit`: a single-octet tag (X.509 never needs
 * more), then a definite length in its shortest form.
 *
 * @throws {@link MalformedDerError} for a truncated element, tag 0 (BER's end-of-contents), a
 *   multi-octet tag, a primitive SEQUENCE or SET, an indefinite or non-minimal length, or one
 *   longer than two octets
 * @example
 * ```ts
 * const cert = readElement(der, 0, der.length) // { tag: 0x30, start: 0, body: 4, end: … }
 * ```
 */
export function readElement(buf: Uint8Array, pos: number, limit: number): DerElement {
  if (pos + 2 > limit) fail('truncated element')
  const tag = buf[pos]!
  if (tag === 0 || (tag & 0x1f) === 0x1f) fail(`unexpected tag 0x${hex2(tag)}`)
  // X.690 §8.9, §8.11: SEQUENCE and SET are always constructed (0x30, 0x31).
  if (tag === 0x10 || tag === 0x11) fail('primitive SEQUENCE or SET')
  let length = buf[pos + 1]!
  let body = pos + 2
  if (length & 0x80) {
    const count = length & 0x7f
    // 0x80 is BER's indefinite length.
    if (count === 0 || count > MAX_LENGTH_OCTETS) fail('unsupported length form')
    if (body + count > limit) fail('truncated length')
    length = 0
    for (let i = 0; i < count; i++) length = length * 256 + buf[body + i]!
    body += count
    // X.690 §10.1: the shortest form; short form for anything below 0x80.
    if (length < 0x80 || (count === 2 && length < 0x100)) fail('length not in its shortest form')
  }
  if (body + length > limit) fail('truncated element')
  return { tag, start: pos, body, end: body + length }
}

/**
 * The one element that exactly fills `[start, end)`, e.g. the DER inside an extension's OCTET
 * STRING. Its shape is checked down to `maxDepth` levels (see {@link checkDerShape}).
 *
 * @throws {@link MalformedDerError} when the range is empty, holds trailing bytes or is not DER
 */
export function readOnly(
  buf: Uint8Array,
  start: number,
  end: number,
  maxDepth: number,
  what: string,
): DerElement {
  const element = readElement(buf, start, end)
  if (element.end !== end) fail(`trailing bytes after ${what}`)
  checkDerShape(buf, start, end, maxDepth)
  return element
}

/**
 * The children of a constructed element, in order. The element must have been checked with
 * {@link checkDerShape} (or come from {@link readOnly}), so the children exactly fill it.
 */
export function readChildren(buf: Uint8Array, parent: DerElement): DerElement[] {
  if (!isConstructed(parent.tag)) fail(`element 0x${hex2(parent.tag)} is not constructed`)
  const children: DerElement[] = []
  for (let pos = parent.body; pos < parent.end;) {
    const child = readElement(buf, pos, parent.end)
    children.push(child)
    pos = child.end
  }
  return children
}

/**
 * Walks every constructed element of `[start, end)` so that all of it is DER-shaped: definite,
 * minimal lengths, children that exactly fill their parent, and no constructed universal string
 * (a BER-only form). The contents of OCTET and BIT STRINGs are not looked into.
 *
 * @param maxDepth - how many levels of nesting are allowed below the top level
 * @throws {@link MalformedDerError} on the first element that breaks a rule
 */
export function checkDerShape(buf: Uint8Array, start: number, end: number, maxDepth: number): void {
  for (let pos = start; pos < end;) {
    const element = readElement(buf, pos, end)
    if (isConstructed(element.tag)) {
      const universal = (element.tag & 0xc0) === 0
      if (universal && element.tag !== DER_SEQUENCE && element.tag !== DER_SET) {
        fail('constructed string')
      }
      if (maxDepth <= 0) fail('nested too deeply')
      checkDerShape(buf, element.body, element.end, maxDepth - 1)
    }
    pos = element.end
  }
}

/**
 * A BOOLEAN's value. X.690 §11.1: TRUE is 0xff, FALSE 0x00, one octet.
 *
 * @throws {@link MalformedDerError} for any other contents
 */
export function decodeBoolean(buf: Uint8Array, element: DerElement): boolean {
  if (element.tag !== DER_BOOLEAN) fail('BOOLEAN expected')
  if (element.end - element.body !== 1) fail('BOOLEAN is not one octet')
  const value = buf[element.body]!
  if (value !== 0x00 && value !== 0xff) fail('BOOLEAN is neither 0x00 nor 0xff')
  return value === 0xff
}

/**
 * Checks the contents of an INTEGER (any tag, so IMPLICIT ones too): at least one octet and no
 * redundant leading 0x00 or 0xff octet (X.690 §8.3.2).
 *
 * @returns whether the integer is negative
 * @throws {@link MalformedDerError} for empty contents or a non-minimal encoding
 */
export function checkInteger(buf: Uint8Array, element: DerElement): { negative: boolean } {
  const length = element.end - element.body
  if (length < 1) fail('INTEGER is empty')
  const first = buf[element.body]!
  const second = length > 1 ? buf[element.body + 1]! : 0
  if (length > 1 && ((first === 0x00 && second < 0x80) || (first === 0xff && second >= 0x80))) {
    fail('INTEGER not minimally encoded')
  }
  return { negative: (first & 0x80) !== 0 }
}

/**
 * The bits of a BIT STRING holding a named bit list (KeyUsage): bit `i` of the result is bit `i`
 * of the string, bit 0 being the top bit of the first octet. DER (X.690 §11.2) wants the unused
 * bits zero and, for a named bit list, no trailing zero bits, so every set has one encoding.
 * Bits past 31 would not fit and are refused.
 *
 * @throws {@link MalformedDerError} for any other encoding
 */
export function decodeNamedBits(buf: Uint8Array, element: DerElement): number {
  if (element.tag !== DER_BIT_STRING) fail('BIT STRING expected')
  const length = element.end - element.body
  if (length < 1) fail('BIT STRING is empty')
  const unused = buf[element.body]!
  if (length === 1) {
    if (unused !== 0) fail('empty BIT STRING with unused bits')
    return 0
  }
  if (unused > 7) fail('BIT STRING with more than 7 unused bits')
  if (length > 5) fail('named bit list longer than 32 bits')
  const last = buf[element.end - 1]!
  // The lowest used bit must be set: no trailing zeros, and unused bits zero.
  if ((last & ((1 << (unused + 1)) - 1)) !== 1 << unused) {
    fail('named bit list not in its DER form')
  }
  let bits = 0
  for (let octet = 0; octet < length - 1; octet++) {
    const value = buf[element.body + 1 + octet]!
    for (let bit = 0; bit < 8; bit++) {
      if (value & (0x80 >> bit)) bits |= 1 << (octet * 8 + bit)
    }
  }
  return bits >>> 0
}

/**
 * Checks the contents of a universal primitive element of a type whose contents have rules
 * (BOOLEAN, INTEGER, BIT STRING, NULL, OBJECT IDENTIFIER); other elements pass. For values kept
 * opaque, such as an attribute value of an unknown type, so that they are DER all the same.
 *
 * @throws {@link MalformedDerError} when the contents break their type's DER rules
 */
export function checkPrimitive(buf: Uint8Array, element: DerElement): void {
  switch (element.tag) {
    case DER_BOOLEAN:
      decodeBoolean(buf, element)
      return
    case DER_INTEGER:
      checkInteger(buf, element)
      return
    case DER_BIT_STRING: {
      const length = element.end - element.body
      const unused = length > 0 ? buf[element.body]! : 0
      if (length < 1 || unused > 7 || (length === 1 && unused !== 0)) fail('malformed BIT STRING')
      if (length > 1 && (buf[element.end - 1]! & ((1 << unused) - 1)) !== 0) {
        fail('BIT STRING with unused bits set')
      }
      return
    }
    case DER_NULL:
      if (element.end !== element.body) fail('NULL with contents')
      return
    case DER_OID:
      decodeOid(buf, element)
      return
  }
}

/**
 * The dotted form of an OBJECT IDENTIFIER's contents (any tag, so IMPLICIT ones too). X.690
 * §8.19: at least one arc, no arc with a leading 0x80 octet, the last octet without the
 * continuation bit. Arcs beyond 2^49 are kept exact through BigInt.
 *
 * @throws {@link MalformedDerError} for an empty, truncated or non-minimal encoding
 * @example
 * ```ts
 * decodeOid(Uint8Array.of(0x06, 0x03, 0x55, 0x1d, 0x13), { tag: 6, start: 0, body: 2, end: 5 })
 * // '2.5.29.19'
 * ```
 */
export function decodeOid(buf: Uint8Array, element: DerElement): string {
  if (element.end === element.body) fail('OBJECT IDENTIFIER is empty')
  if (buf[element.end - 1]! & 0x80) fail('OBJECT IDENTIFIER is truncated')
  const arcs: string[] = []
  for (let pos = element.body; pos < element.end;) {
    if (buf[pos] === 0x80) fail('OBJECT IDENTIFIER arc not minimally encoded')
    let digits = 0
    let small = 0
    let big = 0n
    for (;;) {
      const octet = buf[pos++]!
      digits++
      if (digits <= MAX_EXACT_ARC_DIGITS) small = small * 128 + (octet & 0x7f)
      else {
        if (digits === MAX_EXACT_ARC_DIGITS + 1) big = BigInt(small)
        big = big * 128n + BigInt(octet & 0x7f)
      }
      if ((octet & 0x80) === 0) break
    }
    const value = digits <= MAX_EXACT_ARC_DIGITS ? small : big
    if (arcs.length === 0) {
      // The first subidentifier packs two arcs: 40·a + b, with a ≤ 2 (X.690 §8.19.4).
      if (value < 40) arcs.push('0', String(value))
      else if (value < 80) arcs.push('1', String(Number(value) - 40))
      else arcs.push('2', typeof value === 'bigint' ? String(value - 80n) : String(value - 80))
    } else arcs.push(String(value))
  }
  return arcs.join('.')
}
