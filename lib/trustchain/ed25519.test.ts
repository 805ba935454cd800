import { ed25519 } from '@noble/curves/ed25519.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import fc from 'fast-check'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ED25519_PUBLIC_KEY_LENGTH, ED25519_SIGNATURE_LENGTH, verifyEd25519 } from './ed25519'

interface WycheproofCase {
  tcId: number
  comment: string
  flags: string[]
  msg: string
  sig: string
  result: string
}

interface WycheproofFile {
  numberOfTests: number
  testGroups: { publicKey: { pk: string }; tests: WycheproofCase[] }[]
}

const VECTORS = new URL(
  '../../testdata/vectors/ed25519/wycheproof_ed25519_test.json',
  import.meta.url,
)

function loadWycheproof(): WycheproofFile {
  const path = fileURLToPath(VECTORS)
  if (!existsSync(path)) {
    throw new Error(
      `Wycheproof Ed25519 vectors are missing at ${path}: restore testdata/vectors (a copy of ../shared/vectors).`,
    )
  }
  return JSON.parse(readFileSync(path, 'utf8')) as WycheproofFile
}

const wycheproof = loadWycheproof()
const cases = wycheproof.testGroups.flatMap((group) =>
  group.tests.map((test) => ({ ...test, pk: group.publicKey.pk })),
)

/** The group order L of edwards25519. */
const L = 2n ** 252n + 27742317777372353535851937790883648493n

function scalarToBytes(n: bigint): Uint8Array {
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn)
  return out
}

function bytesToScalar(bytes: Uint8Array): bigint {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] ?? 0)
  return n
}

describe('verifyEd25519 against Wycheproof', () => {
  it('holds all 151 cases, each either valid or invalid', () => {
    // Wycheproof's EdDSA set has no "acceptable" verdicts: RFC 8032 leaves no room for them. If a
    // future copy adds some, this fails so that the choice is made on purpose, not by accident.
    expect(cases).toHaveLength(151)
    expect(wycheproof.numberOfTests).toBe(151)
    expect(new Set(cases.map((c) => c.result))).toEqual(new Set(['valid', 'invalid']))
  })

  it.each(cases)('case $tcId ($result) $comment', (c) => {
    const verdict = verifyEd25519(hexToBytes(c.pk), hexToBytes(c.msg), hexToBytes(c.sig))
    expect(verdict).toBe(c.result === 'valid')
  })
})

describe('verifyEd25519', () => {
  it('accepts what ed25519.sign produces and refuses any single flipped bit', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 200 }),
        fc.nat(),
        (seed, message, bitSeed) => {
          const publicKey = ed25519.getPublicKey(seed)
          const signature = ed25519.sign(message, seed)
          expect(verifyEd25519(publicKey, message, signature)).toBe(true)

          const which = bitSeed % 3
          const target = which === 0 ? publicKey : which === 1 ? signature : message
          if (target.length === 0) return
          const mutated = target.slice()
          const bit = bitSeed % (mutated.length * 8)
          mutated[bit >> 3] = (mutated[bit >> 3] ?? 0) ^ (1 << (bit & 7))
          const args: [Uint8Array, Uint8Array, Uint8Array] = [publicKey, message, signature]
          args[which === 0 ? 0 : which === 1 ? 2 : 1] = mutated
          expect(verifyEd25519(...args)).toBe(false)
        },
      ),
      { numRuns: 50 },
    )
  })

  it('returns false, never throws, for keys and signatures of the wrong length', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 100 }),
        fc.uint8Array({ maxLength: 100 }),
        fc.uint8Array({ maxLength: 100 }),
        (publicKey, message, signature) => {
          fc.pre(
            publicKey.length !== ED25519_PUBLIC_KEY_LENGTH ||
              signature.length !== ED25519_SIGNATURE_LENGTH,
          )
          expect(verifyEd25519(publicKey, message, signature)).toBe(false)
        },
      ),
    )
  })

  it('returns false for random bytes of the right lengths', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        (publicKey, message, signature) => {
          expect(verifyEd25519(publicKey, message, signature)).toBe(false)
        },
      ),
    )
  })

  it('returns false for arguments that are not bytes', () => {
    const seed = new Uint8Array(32).fill(7)
    const publicKey = ed25519.getPublicKey(seed)
    const message = new Uint8Array([1, 2, 3])
    const signature = ed25519.sign(message, seed)
    const notBytes = [undefined, null, 'abc', 42, {}, Array.from(signature)] as unknown[]
    for (const bad of notBytes) {
      expect(verifyEd25519(bad as Uint8Array, message, signature)).toBe(false)
      expect(verifyEd25519(publicKey, bad as Uint8Array, signature)).toBe(false)
      expect(verifyEd25519(publicKey, message, bad as Uint8Array)).toBe(false)
    }
    expect(verifyEd25519(publicKey, message, signature)).toBe(true)
  })

  it('refuses S + L, the malleated twin of a valid signature', () => {
    const seed = new Uint8Array(32).fill(1)
    const publicKey = ed25519.getPublicKey(seed)
    const message = new TextEncoder().encode('alice pays bob')
    const signature = ed25519.sign(message, seed)
    const s = bytesToScalar(signature.subarray(32))
    const malleated = new Uint8Array(64)
    malleated.set(signature.subarray(0, 32))
    malleated.set(scalarToBytes(s + L), 32)
    expect(verifyEd25519(publicKey, message, signature)).toBe(true)
    expect(verifyEd25519(publicKey, message, malleated)).toBe(false)
  })

  it('refuses the small-order key forgery that ZIP-215 accepts', () => {
    // The identity point as key and R with S = 0 satisfies the cofactored equation for every
    // message; strict verification refuses small-order keys so such a "signature" proves nothing.
    const identity = hexToBytes('01'.padEnd(64, '0'))
    const forged = new Uint8Array(64)
    forged.set(identity)
    const message = new TextEncoder().encode('anything at all')
    expect(ed25519.verify(forged, message, identity, { zip215: true })).toBe(true)
    expect(verifyEd25519(identity, message, forged)).toBe(false)
  })

  it('refuses a non-canonical key encoding (y >= p) of a valid key', () => {
    // y = 1 (the identity) re-encoded as y + p fits in 255 bits; ZIP-215 would decode it.
    const p = 2n ** 255n - 19n
    const nonCanonical = scalarToBytes(1n + p)
    expect(bytesToHex(nonCanonical)).toBe('ee'.padEnd(62, 'f') + '7f')
    const forged = new Uint8Array(64)
    forged.set(scalarToBytes(1n))
    const message = new Uint8Array([0])
    expect(ed25519.verify(forged, message, nonCanonical, { zip215: true })).toBe(true)
    expect(verifyEd25519(nonCanonical, message, forged)).toBe(false)
  })
})
