import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import * as dagCbor from '@ipld/dag-cbor'
import {
  decodeHello,
  decodeVerdict,
  encodeHello,
  encodeVerdict,
  MalformedHandshakeError,
  MAX_HANDSHAKE_MESSAGE_BYTES,
} from './handshake-codec'

const hello = fc.record({
  certificate: fc.uint8Array({ minLength: 1, maxLength: 2_000 }),
  proof: fc.string({ minLength: 1, maxLength: 500 }),
  checkpoint: fc.string({ minLength: 1, maxLength: 500 }),
})

function onlyTyped(f: () => unknown): void {
  try {
    f()
  } catch (err) {
    expect(err).toBeInstanceOf(MalformedHandshakeError)
  }
}

describe('TrustChain handshake codec', () => {
  it('round-trips hellos and verdicts', () => {
    fc.assert(
      fc.property(hello, (h) => {
        expect(decodeHello(encodeHello(h))).toEqual(h)
      }),
    )
    expect(decodeVerdict(encodeVerdict({ ok: true }))).toEqual({ ok: true })
    const refused = {
      ok: false as const,
      error: {
        name: 'CertificateChainError',
        code: 'ERR_CERTIFICATE_CHAIN',
        message: 'no',
        check: 'chain' as const,
      },
    }
    expect(decodeVerdict(encodeVerdict(refused))).toEqual(refused)
  })

  it('refuses oversized messages, other types and extra fields with MalformedHandshakeError', () => {
    expect(() => decodeHello(new Uint8Array(MAX_HANDSHAKE_MESSAGE_BYTES + 1))).toThrow(
      MalformedHandshakeError,
    )
    expect(() => decodeHello(encodeVerdict({ ok: true }))).toThrow(MalformedHandshakeError)
    expect(() => decodeVerdict(dagCbor.encode({ v: 1, t: 'verdict', ok: true, x: 1 }))).toThrow(
      MalformedHandshakeError,
    )
    expect(() =>
      decodeVerdict(
        dagCbor.encode({
          v: 1,
          t: 'verdict',
          ok: false,
          err: { name: 'a', code: 'b', message: 'c', check: 'nope' },
        }),
      ),
    ).toThrow(MalformedHandshakeError)
    expect(() =>
      encodeHello({
        certificate: new Uint8Array(MAX_HANDSHAKE_MESSAGE_BYTES),
        proof: 'p',
        checkpoint: 'c',
      }),
    ).toThrow(MalformedHandshakeError)
  })

  it('never throws anything but MalformedHandshakeError on random or mutated input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        onlyTyped(() => decodeHello(bytes))
        onlyTyped(() => decodeVerdict(bytes))
      }),
      { numRuns: 2_000 },
    )
    fc.assert(
      fc.property(hello, fc.nat(), fc.integer({ min: 1, max: 255 }), (h, at, flip) => {
        const bytes = encodeHello(h)
        bytes[at % bytes.length] = bytes[at % bytes.length]! ^ flip
        onlyTyped(() => decodeHello(bytes))
      }),
      { numRuns: 1_000 },
    )
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const bytes = dagCbor.encode(v)
        onlyTyped(() => decodeHello(bytes))
        onlyTyped(() => decodeVerdict(bytes))
      }),
      { numRuns: 500 },
    )
  })
})
