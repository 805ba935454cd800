import { sha256 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toHex } from './codec'
import {
  EMPTY_HASH,
  hashKey,
  makeLeaf,
  rootHash,
  smtGet,
  smtProve,
  smtUpdate,
  verifyInclusion,
  type SmtNode,
} from './smt'

const utf8 = (s: string) => new TextEncoder().encode(s)

/**
 * The root by definition, from scratch: an independent reading of docs/ledger.md ("State tree"),
 * written without the incremental code.
 */
function referenceRoot(entries: Map<string, Uint8Array>): Uint8Array {
  const leaves = [...entries].map(([k, v]) => {
    const kh = sha256(utf8(k))
    return { kh, hash: sha256(Uint8Array.from([0, ...kh, ...sha256(v)])) }
  })
  const bit = (h: Uint8Array, d: number) => (h[d >> 3]! >> (7 - (d % 8))) & 1
  const sub = (set: typeof leaves, depth: number): Uint8Array => {
    if (set.length === 0) return new Uint8Array(32)
    if (set.length === 1) return set[0]!.hash
    const l = sub(
      set.filter((x) => bit(x.kh, depth) === 0),
      depth + 1,
    )
    const r = sub(
      set.filter((x) => bit(x.kh, depth) === 1),
      depth + 1,
    )
    return sha256(Uint8Array.from([1, ...l, ...r]))
  }
  return sub(leaves, 0)
}

function apply(
  tree: SmtNode | null,
  batch: readonly [string, Uint8Array | null][],
): SmtNode | null {
  const last = new Map(batch)
  return smtUpdate(
    tree,
    [...last].map(([k, v]) => ({
      keyHash: hashKey(k),
      leaf: v === null ? null : makeLeaf(k, v, v),
    })),
  )
}

const keyArb = fc.string({ minLength: 1, maxLength: 6 })
const opArb = fc.tuple(keyArb, fc.option(fc.uint8Array({ maxLength: 8 }), { nil: null }))

describe('state tree (sparse Merkle)', () => {
  it('has the empty root 0³² and the documented known-answer roots', () => {
    expect(rootHash(null)).toEqual(EMPTY_HASH)
    const one = apply(null, [['a', Uint8Array.of(1)]])
    expect(toHex(rootHash(one))).toBe(
      toHex(sha256(Uint8Array.from([0, ...sha256(utf8('a')), ...sha256(Uint8Array.of(1))]))),
    )
    const three = apply(null, [
      ['account/00', Uint8Array.of(0xa0)],
      ['meta/head', Uint8Array.of(0xa1)],
      ['node/00', Uint8Array.of(0xa2)],
    ])
    // docs/ledger.md quotes this root: a second implementation must reproduce it.
    expect(toHex(rootHash(three))).toBe(KNOWN_ROOT_3)
  })

  it('matches the from-scratch root after any sequence of batches, and proves every entry', () => {
    fc.assert(
      fc.property(fc.array(fc.array(opArb, { maxLength: 12 }), { maxLength: 8 }), (batches) => {
        let tree: SmtNode | null = null
        const model = new Map<string, Uint8Array>()
        for (const batch of batches) {
          const before = tree
          const beforeRoot = rootHash(before)
          tree = apply(tree, batch)
          // The old version is untouched (structural sharing, no mutation).
          expect(rootHash(before)).toEqual(beforeRoot)
          for (const [k, v] of batch) {
            if (v === null) model.delete(k)
            else model.set(k, v)
          }
          expect(rootHash(tree)).toEqual(referenceRoot(model))
        }
        const root = rootHash(tree)
        for (const [k, v] of model) {
          const kh = hashKey(k)
          expect(smtGet(tree, kh)?.bytes).toEqual(v)
          const proof = smtProve(tree, kh)!
          expect(verifyInclusion(root, k, v, proof)).toBe(true)
          expect(verifyInclusion(root, utf8(k), v, proof)).toBe(true)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('refuses tampered proofs, values, keys and roots', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(keyArb, { minLength: 1, maxLength: 40 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (keys, pick, at, flip) => {
          const tree = apply(
            null,
            keys.map((k) => [k, utf8(`v:${k}`)]),
          )
          const root = rootHash(tree)
          const key = keys[pick % keys.length]!
          const value = utf8(`v:${key}`)
          const proof = smtProve(tree, hashKey(key))!
          expect(verifyInclusion(root, key, value, proof)).toBe(true)
          const badValue = value.slice()
          badValue[at % badValue.length]! ^= flip
          expect(verifyInclusion(root, key, badValue, proof)).toBe(false)
          expect(verifyInclusion(root, `${key}x`, value, proof)).toBe(false)
          const badRoot = root.slice()
          badRoot[at % 32]! ^= flip
          expect(verifyInclusion(badRoot, key, value, proof)).toBe(false)
          if (proof.length > 0) {
            const i = at % proof.length
            const badSibling = proof.map((s, j) =>
              j === i ? s.map((b, n) => (n === flip % 32 ? b ^ 1 : b)) : s,
            )
            expect(verifyInclusion(root, key, value, badSibling)).toBe(false)
            expect(verifyInclusion(root, key, value, proof.slice(1))).toBe(false)
          }
          expect(verifyInclusion(root, key, value, [...proof, new Uint8Array(32)])).toBe(false)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('never throws on garbage proofs', () => {
    const bad: unknown[] = [
      null,
      undefined,
      'x',
      [1],
      [new Uint8Array(31)],
      new Array(300).fill(new Uint8Array(32)),
    ]
    for (const siblings of bad) {
      expect(
        verifyInclusion(new Uint8Array(32), 'k', new Uint8Array(0), siblings as Uint8Array[]),
      ).toBe(false)
    }
    expect(verifyInclusion(new Uint8Array(31), 'k', new Uint8Array(0), [])).toBe(false)
    expect(verifyInclusion(new Uint8Array(32), 5 as unknown as string, new Uint8Array(0), [])).toBe(
      false,
    )
  })

  it('collapses back to a leaf when a sibling is deleted, and to empty', () => {
    let tree = apply(null, [
      ['x', Uint8Array.of(1)],
      ['y', Uint8Array.of(2)],
    ])
    expect(tree?.leaf).toBe(false)
    tree = apply(tree, [['y', null]])
    expect(tree?.leaf).toBe(true)
    expect(rootHash(tree)).toEqual(referenceRoot(new Map([['x', Uint8Array.of(1)]])))
    tree = apply(tree, [['x', null]])
    expect(tree).toBeNull()
    // Deleting an absent key changes nothing.
    expect(apply(null, [['z', null]])).toBeNull()
  })
})

const KNOWN_ROOT_3 = '510c581d21b0230fa092ccd81de48ac8e77b3f54db6372df276114f9d05ee982'
