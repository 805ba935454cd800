import { readFileSync } from 'node:fs'
import { ed25519 } from '@noble/curves/ed25519.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { nativeNodeVerify, nodeEd25519Verifier } from '@/lib/adapters/ed25519-node'
import { webCryptoEd25519Verifier } from '@/lib/adapters/ed25519-webcrypto'
import {
  isAcceptablePublicKey,
  KeyCheckCache,
  passesPrechecks,
  SignatureCache,
  verifyByRule,
} from './ed25519-rule'
import { edgeCases, wycheproofCases } from './ed25519-test-cases'

const wycheproof = wycheproofCases(
  JSON.parse(
    readFileSync(
      new URL('../../testdata/vectors/ed25519/wycheproof_ed25519_test.json', import.meta.url),
      'utf8',
    ),
  ),
)
const edges = edgeCases()

describe('the consensus Ed25519 rule', () => {
  it('gives Wycheproof’s expected verdict on every case', () => {
    expect(wycheproof.length).toBe(151)
    for (const c of wycheproof) {
      expect(verifyByRule(c.publicKey, c.message, c.signature), c.name).toBe(c.expected)
    }
  })

  it('refuses keys of small order and non-canonical encodings, accepts honest signatures', () => {
    const verdict = (prefix: string) =>
      edges
        .filter((c) => c.name.startsWith(prefix))
        .map((c) => verifyByRule(c.publicKey, c.message, c.signature))
    expect(verdict('honest')).toEqual([true, true, true, true, true, true])
    expect(verdict('small-order public key')).toHaveLength(8)
    expect(verdict('small-order public key').every((v) => !v)).toBe(true)
    expect(verdict('non-canonical')).toEqual([false, false])
    expect(verdict('public key with negative zero')).toEqual([false])
    expect(verdict('S + L')).toEqual([false])
    expect(verdict('R with torsion')).toEqual([false, false, false])
  })

  it('is cofactorless: a torsion component in the key passes only when k ≡ 0 mod its order', () => {
    const mixed = edges.filter((c) => c.name.startsWith('mixed-order'))
    expect(mixed.length).toBe(6)
    const accepted = mixed.filter((c) => verifyByRule(c.publicKey, c.message, c.signature))
    // noble's strict mode (cofactored) accepts all of them: this is the disagreement the rule
    // settles, and why consensus never calls noble's verify directly.
    for (const c of mixed) {
      expect(ed25519.verify(c.signature, c.message, c.publicKey, { zip215: false }), c.name).toBe(
        true,
      )
    }
    expect(accepted.length).toBeLessThan(mixed.length)
  })
})

describe('implementations of the rule agree on every input', () => {
  const all = [...wycheproof, ...edges]

  it('node:crypto with the prechecks = the rule in JS', () => {
    const verifier = nodeEd25519Verifier()
    for (const c of all) {
      expect(verifier.verify(c.publicKey, c.message, c.signature), c.name).toBe(
        verifyByRule(c.publicKey, c.message, c.signature),
      )
    }
  })

  it('bare node:crypto (OpenSSL) already agrees with the rule on these inputs', () => {
    // Recorded so a change of OpenSSL's behaviour shows here; the prechecks do not rely on it.
    const keys = new Map()
    for (const c of all) {
      expect(nativeNodeVerify(keys, c.publicKey, c.message, c.signature), c.name).toBe(
        verifyByRule(c.publicKey, c.message, c.signature),
      )
    }
  })

  it('WebCrypto (Node’s) through prepare() and through the synchronous fallback = the rule', async () => {
    const native = await webCryptoEd25519Verifier()
    expect(native.native).toBe(true)
    const fallback = await webCryptoEd25519Verifier()
    for (const c of all) {
      const want = verifyByRule(c.publicKey, c.message, c.signature)
      expect(await native.prepare(c.publicKey, c.message, c.signature), c.name).toBe(want)
      // After prepare(), the synchronous answer comes from the cache.
      expect(native.verify(c.publicKey, c.message, c.signature), c.name).toBe(want)
      expect(fallback.verify(c.publicKey, c.message, c.signature), c.name).toBe(want)
    }
    // Inputs that fail the prechecks never reach the cache; every other one was a hit at
    // least once (its synchronous check right after prepare()).
    const keys = new KeyCheckCache()
    expect(native.cache.hits).toBeGreaterThanOrEqual(
      all.filter((c) => passesPrechecks(c.publicKey, c.message, c.signature, keys)).length,
    )
  })

  it('agree on random keys, messages and single-bit mutations (property)', () => {
    const verifier = nodeEd25519Verifier({ cache: null })
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.nat(),
        fc.constantFrom('none', 'key', 'message', 'signature'),
        (secret, message, bit, where) => {
          const publicKey = ed25519.getPublicKey(secret)
          const signature = ed25519.sign(message, secret)
          const target = { none: null, key: publicKey, message, signature }[where]
          if (target !== null && target.length > 0) {
            const i = bit % (target.length * 8)
            target[i >> 3]! ^= 1 << (i & 7)
          }
          const want = verifyByRule(publicKey, message, signature)
          if (where === 'none') expect(want).toBe(true)
          expect(verifier.verify(publicKey, message, signature)).toBe(want)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('never throws on wrong lengths or types', () => {
    const verifier = nodeEd25519Verifier()
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 70 }),
        fc.uint8Array({ maxLength: 70 }),
        fc.uint8Array({ maxLength: 70 }),
        (k, m, s) => {
          expect(verifyByRule(k, m, s)).toBe(verifier.verify(k, m, s))
        },
      ),
    )
    expect(verifyByRule(null as never, new Uint8Array(), new Uint8Array(64))).toBe(false)
    expect(verifier.verify('x' as never, new Uint8Array(), new Uint8Array(64))).toBe(false)
  })
})

describe('caches', () => {
  it('the signature cache answers only for the exact triple and evicts the oldest', () => {
    const cache = new SignatureCache(2)
    const k = new Uint8Array(32).fill(1)
    const m = new Uint8Array([1, 2, 3])
    const s1 = new Uint8Array(64).fill(1)
    const s2 = new Uint8Array(64).fill(2)
    const s3 = new Uint8Array(64).fill(3)
    cache.set(k, m, s1, true)
    expect(cache.get(k, m, s1)).toBe(true)
    expect(cache.get(k, new Uint8Array([1, 2, 4]), s1)).toBeUndefined()
    expect(cache.get(new Uint8Array(32).fill(2), m, s1)).toBeUndefined()
    cache.set(k, m, s2, false)
    cache.get(k, m, s1) // s1 is now the most recently used
    cache.set(k, m, s3, true)
    expect(cache.size).toBe(2)
    expect(cache.get(k, m, s2)).toBeUndefined()
    expect(cache.get(k, m, s1)).toBe(true)
    expect(cache.get(k, m, s3)).toBe(true)
  })

  it('the key check memo gives the same verdicts as the uncached check', () => {
    const memo = new KeyCheckCache(3)
    for (const c of [...edges, ...edges]) {
      expect(memo.acceptable(c.publicKey)).toBe(isAcceptablePublicKey(c.publicKey))
    }
  })
})
