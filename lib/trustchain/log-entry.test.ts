import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  decodeLogEntry,
  encodeLogEntry,
  MalformedLogEntryError,
  type Revocation,
} from './log-entry'

const PEER = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'

const revocation: fc.Arbitrary<Revocation> = fc.record({
  serialHex: fc
    .uint8Array({ minLength: 1, maxLength: 20 })
    .map((b) => Buffer.from(b).toString('hex')),
  peerId: fc.constant(PEER),
  revokedAt: fc.nat(),
  reason: fc.string({ maxLength: 200 }).filter((r) => !/[\n\r]/.test(r)),
  authority: fc.constantFrom('key' as const, 'admin' as const),
  signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
})

function onlyTyped(f: () => unknown): void {
  try {
    f()
  } catch (err) {
    expect(err).toBeInstanceOf(MalformedLogEntryError)
  }
}

describe('TrustChain log entries', () => {
  it('round-trips certificates and revocations', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 1_000 }), (der) => {
        expect(decodeLogEntry(encodeLogEntry({ type: 'certificate', der }))).toEqual({
          type: 'certificate',
          der,
        })
      }),
    )
    fc.assert(
      fc.property(revocation, (r) => {
        expect(decodeLogEntry(encodeLogEntry({ type: 'revocation', revocation: r }))).toEqual({
          type: 'revocation',
          revocation: r,
        })
      }),
    )
  })

  it('refuses bad revocation fields when encoding', () => {
    const ok = {
      serialHex: 'ab',
      peerId: PEER,
      revokedAt: 1,
      reason: '',
      authority: 'key' as const,
      signature: new Uint8Array(64),
    }
    for (const bad of [
      { serialHex: 'AB' },
      { peerId: 'not a peer' },
      { revokedAt: -1 },
      { reason: 'a\nb' },
      { reason: 'x'.repeat(201) },
      { signature: new Uint8Array(63) },
    ]) {
      expect(() =>
        encodeLogEntry({ type: 'revocation', revocation: { ...ok, ...bad } as Revocation }),
      ).toThrow(MalformedLogEntryError)
    }
  })

  it('never throws anything but MalformedLogEntryError on random or mutated input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) =>
        onlyTyped(() => decodeLogEntry(bytes)),
      ),
      { numRuns: 2_000 },
    )
    fc.assert(
      fc.property(revocation, fc.nat(), fc.integer({ min: 1, max: 255 }), (r, at, flip) => {
        const bytes = encodeLogEntry({ type: 'revocation', revocation: r })
        bytes[at % bytes.length] = bytes[at % bytes.length]! ^ flip
        onlyTyped(() => decodeLogEntry(bytes))
      }),
      { numRuns: 1_000 },
    )
  })
})
