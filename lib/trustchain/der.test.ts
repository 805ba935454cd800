import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  checkDerShape,
  checkInteger,
  checkPrimitive,
  decodeBoolean,
  decodeNamedBits,
  decodeOid,
  readChildren,
  readElement,
  readOnly,
  type DerElement,
} from './der'

const MALFORMED_DER = { name: 'MalformedDerError', code: 'ERR_DER_FORMAT' }

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw')
}

function bytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/\s/g, ''), 'hex'))
}

/** The one element of `hex`, read with {@link readOnly}. */
function only(hex: string): { buf: Uint8Array; element: DerElement } {
  const buf = bytes(hex)
  return { buf, element: readOnly(buf, 0, buf.length, 8, 'test') }
}

/** Shortest-form header, written independently of the reader. */
function header(tag: number, length: number): number[] {
  if (length < 0x80) return [tag, length]
  if (length < 0x100) return [tag, 0x81, length]
  return [tag, 0x82, length >> 8, length & 0xff]
}

/** OBJECT IDENTIFIER contents of `arcs` (a ≤ 2, b < 40 when a < 2), with BigInt arcs. */
function encodeOid(arcs: bigint[]): number[] {
  const values = [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)]
  const out: number[] = []
  for (const value of values) {
    const group = [Number(value & 0x7fn)]
    for (let rest = value >> 7n; rest > 0n; rest >>= 7n) group.unshift(0x80 | Number(rest & 0x7fn))
    out.push(...group)
  }
  return out
}

describe('DER reader', () => {
  describe('readElement', () => {
    it('reads short and long definite lengths', () => {
      expect(readElement(bytes('0400'), 0, 2)).toEqual({ tag: 4, start: 0, body: 2, end: 2 })
      const long = Uint8Array.of(0x04, 0x81, 0x80, ...new Uint8Array(0x80))
      expect(readElement(long, 0, long.length)).toEqual({ tag: 4, start: 0, body: 3, end: 131 })
      const longer = Uint8Array.of(0x04, 0x82, 0x01, 0x00, ...new Uint8Array(0x100))
      expect(readElement(longer, 0, longer.length).end).toBe(longer.length)
    })

    it('refuses BER and truncation', () => {
      for (const hex of [
        '', // nothing
        '04', // no length
        '0401', // contents missing
        '048101aa', // long form for a short length
        '04820001aa', // two length octets for one
        '0480aa0000', // indefinite length
        '0483000001aa', // three length octets
        '048201', // truncated length
        '0000', // end-of-contents
        '1f0100', // multi-octet tag
        '1000', // primitive SEQUENCE
        '1100', // primitive SET
      ]) {
        const buf = bytes(hex)
        expect(
          thrown(() => readElement(buf, 0, buf.length)),
          hex,
        ).toMatchObject(MALFORMED_DER)
      }
    })

    it('reads back any shortest-form header, and never reads past the limit', () => {
      fc.assert(
        fc.property(
          fc.constantFrom(0x02, 0x04, 0x0c, 0x30, 0x31, 0x80, 0xa3),
          fc.integer({ min: 0, max: 0xffff }),
          (tag, length) => {
            const buf = Uint8Array.of(...header(tag, length), ...new Uint8Array(length))
            const element = readElement(buf, 0, buf.length)
            expect(element).toEqual({ tag, start: 0, body: buf.length - length, end: buf.length })
            expect(thrown(() => readElement(buf, 0, buf.length - 1))).toMatchObject(MALFORMED_DER)
          },
        ),
        { numRuns: 300 },
      )
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat({ max: 64 }), (buf, pos) => {
          try {
            const element = readElement(buf, pos, buf.length)
            expect(element.end).toBeLessThanOrEqual(buf.length)
          } catch (err) {
            expect(err).toMatchObject(MALFORMED_DER)
          }
        }),
        { numRuns: 2000 },
      )
    })
  })

  describe('checkDerShape, readOnly and readChildren', () => {
    it('walks nested elements and lists children in order', () => {
      const { buf, element } = only('30 09 31 03 02 01 05 04 00 05 00')
      expect(readChildren(buf, element).map((child) => child.tag)).toEqual([0x31, 0x04, 0x05])
      const set = readChildren(buf, element)[0]!
      expect(readChildren(buf, set)).toEqual([{ tag: 0x02, start: 4, body: 6, end: 7 }])
    })

    it('refuses children that overflow their parent, constructed strings and deep nesting', () => {
      for (const hex of [
        '30 03 02 02 00 01', // child longer than the parent
        '24 03 04 01 aa', // constructed OCTET STRING
        '2c 03 0c 01 41', // constructed UTF8String
        '30 02 00 00', // end-of-contents inside
        '30 00 00', // trailing byte after the only element
      ]) {
        expect(
          thrown(() => only(hex)),
          hex,
        ).toMatchObject(MALFORMED_DER)
      }
      let deep = [0x05, 0x00]
      for (let i = 0; i < 9; i++) deep = [...header(0x30, deep.length), ...deep]
      const buf = Uint8Array.from(deep)
      expect(thrown(() => checkDerShape(buf, 0, buf.length, 8))).toMatchObject(MALFORMED_DER)
      expect(() => checkDerShape(buf, 0, buf.length, 9)).not.toThrow()
    })

    it('refuses the children of a primitive element', () => {
      const { buf, element } = only('04 02 05 00')
      expect(thrown(() => readChildren(buf, element))).toMatchObject(MALFORMED_DER)
    })
  })

  describe('primitive decoders', () => {
    it('reads BOOLEAN only as 0x00 or 0xff', () => {
      expect(decodeBoolean(only('0101ff').buf, only('0101ff').element)).toBe(true)
      expect(decodeBoolean(only('010100').buf, only('010100').element)).toBe(false)
      for (const hex of ['010101', '01017f', '0100', '0102ffff', '0201ff']) {
        const { buf, element } = only(hex)
        expect(
          thrown(() => decodeBoolean(buf, element)),
          hex,
        ).toMatchObject(MALFORMED_DER)
      }
    })

    it('accepts only minimal INTEGERs and says whether they are negative', () => {
      for (const [hex, negative] of [
        ['020100', false],
        ['02017f', false],
        ['02020080', false],
        ['0201ff', true],
        ['0202ff7f', true],
        ['0203010000', false],
      ] as const) {
        const { buf, element } = only(hex)
        expect(checkInteger(buf, element), hex).toEqual({ negative })
      }
      for (const hex of ['0200', '0202007f', '0202ff80', '0203ffff80']) {
        const { buf, element } = only(hex)
        expect(
          thrown(() => checkInteger(buf, element)),
          hex,
        ).toMatchObject(MALFORMED_DER)
      }
    })

    it('reads named bit lists in their DER form only', () => {
      for (const [hex, bits] of [
        ['030100', 0], // no bit set
        ['03020780', 1], // digitalSignature, as the CA writes KeyUsage
        ['03020106', (1 << 5) | (1 << 6)], // keyCertSign | cRLSign, the root's
        ['03020284', 1 | (1 << 5)],
        ['0303078000', undefined], // trailing zero octet
        ['03020080', undefined], // trailing zero bits
        ['03020781', undefined], // an unused bit set
        ['03020880', undefined], // 8 unused bits
        ['030107', undefined], // unused bits in an empty string
        ['0300', undefined],
        ['0303078001', undefined],
        ['030307ff80', 0x1ff], // nine bits, up to decipherOnly
      ] as const) {
        const { buf, element } = only(hex)
        if (bits === undefined) {
          expect(
            thrown(() => decodeNamedBits(buf, element)),
            hex,
          ).toMatchObject(MALFORMED_DER)
        } else expect(decodeNamedBits(buf, element), hex).toBe(bits)
      }
    })

    it('decodes OBJECT IDENTIFIERs of RFC 5280 and refuses padded or truncated arcs', () => {
      for (const [hex, dotted] of [
        ['06032b6570', '1.3.101.112'],
        ['0603551d13', '2.5.29.19'],
        ['060a0992268993f22c640119', '0.9.2342.19200300.100.1.25'],
        ['06092a864886f70d010901', '1.2.840.113549.1.9.1'],
        ['0603883703', '2.999.3'],
        ['060100', '0.0'],
        ['060127', '0.39'],
        ['060128', '1.0'],
        ['060150', '2.0'],
      ] as const) {
        const { buf, element } = only(hex)
        expect(decodeOid(buf, element)).toBe(dotted)
      }
      for (const hex of ['0600', '0602802b', '06032b8001', '06022b86']) {
        const { buf, element } = only(hex)
        expect(
          thrown(() => decodeOid(buf, element)),
          hex,
        ).toMatchObject(MALFORMED_DER)
      }
    })

    it('decodes any OID exactly, arcs of any size included', () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.tuple(fc.constantFrom(0n, 1n), fc.bigInt({ min: 0n, max: 39n })),
            fc.tuple(fc.constant(2n), fc.bigInt({ min: 0n, max: 2n ** 130n })),
          ),
          fc.array(
            fc.oneof(
              fc.bigInt({ min: 0n, max: 2n ** 20n }),
              fc.bigInt({ min: 0n, max: 2n ** 128n }),
            ),
            { maxLength: 8 },
          ),
          ([a, b], rest) => {
            const contents = encodeOid([a, b, ...rest])
            const buf = Uint8Array.of(...header(0x06, contents.length), ...contents)
            expect(decodeOid(buf, readElement(buf, 0, buf.length))).toBe(
              [a, b, ...rest].map(String).join('.'),
            )
          },
        ),
        { numRuns: 500 },
      )
    })

    it('checks the contents of opaque primitives by their type', () => {
      for (const hex of [
        '0101ff',
        '020105',
        '03020780',
        '0500',
        '0603551d13',
        '0403aabbcc',
        '1a0141',
      ]) {
        const { buf, element } = only(hex)
        expect(() => checkPrimitive(buf, element), hex).not.toThrow()
      }
      for (const hex of ['010101', '0202007f', '03020781', '03020980', '050100', '0602802b']) {
        const { buf, element } = only(hex)
        expect(
          thrown(() => checkPrimitive(buf, element)),
          hex,
        ).toMatchObject(MALFORMED_DER)
      }
    })
  })
})
