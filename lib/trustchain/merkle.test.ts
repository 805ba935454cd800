import { sha256 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { TrustchainError } from './errors'
import {
  ConsistencyProofError,
  EMPTY_ROOT,
  HASH_BYTES,
  HashReaderError,
  InclusionProofError,
  MAX_TREE_SIZE,
  leafHash,
  nodeHash,
  proveConsistency,
  proveInclusion,
  rootFromInclusionProof,
  splitStoredHashIndex,
  storedHashCount,
  storedHashIndex,
  storedHashesForRecord,
  treeHash,
  verifyConsistency,
  verifyInclusion,
  type HashReader,
} from './merkle'

// ---------------------------------------------------------------------------------------------
// Fixtures

const VECTORS = new URL('../../testdata/vectors/merkle/', import.meta.url)

const b64 = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'base64'))
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/** Every JSON file under a vector folder. Throws (fails the file) if the folder is missing. */
function loadVectors<T>(folder: string): Array<T & { file: string }> {
  const dir = new URL(folder, VECTORS)
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json'))
    .sort()
  if (files.length === 0) throw new Error(`no vectors in ${dir.pathname}`)
  return files.map((file) => ({
    ...(JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as T),
    file,
  }))
}

interface InclusionVector {
  leafIdx: number
  treeSize: number
  root: string
  leafHash: string
  proof: string[] | null
  desc: string
  wantErr: boolean
}

interface ConsistencyVector {
  size1: number
  size2: number
  root1: string
  root2: string
  proof: string[] | null
  desc: string
  wantErr: boolean
}

interface RootsFile {
  leafInputsHex: string[]
  rootHashesHexBySize: string[]
}

const inclusionVectors = loadVectors<InclusionVector>('testdata/inclusion/')
const consistencyVectors = loadVectors<ConsistencyVector>('testdata/consistency/')
const roots = JSON.parse(readFileSync(new URL('roots.json', VECTORS), 'utf8')) as RootsFile

/** The error a call throws; fails the test if it returns. */
function thrown(f: () => unknown): unknown {
  try {
    f()
  } catch (err) {
    return err
  }
  throw new Error('expected the call to throw')
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p
  } catch (err) {
    return err
  }
  throw new Error('expected the promise to reject')
}

function expectInclusionError(f: () => unknown): void {
  const err = thrown(f)
  expect(err).toBeInstanceOf(InclusionProofError)
  expect(err).toBeInstanceOf(TrustchainError)
  expect(err).toMatchObject({
    name: 'InclusionProofError',
    code: 'ERR_INCLUSION_PROOF',
    check: 'inclusion',
  })
}

function expectConsistencyError(f: () => unknown): void {
  const err = thrown(f)
  expect(err).toBeInstanceOf(ConsistencyProofError)
  expect(err).toBeInstanceOf(TrustchainError)
  expect(err).toMatchObject({
    name: 'ConsistencyProofError',
    code: 'ERR_CONSISTENCY_PROOF',
    check: 'consistency',
  })
}

/** Stored hashes in memory, appended with storedHashesForRecord as a log would. */
class MemoryTree implements HashReader {
  readonly hashes: Uint8Array[] = []
  readonly entries: Uint8Array[] = []

  async readHashes(indexes: readonly number[]): Promise<Uint8Array[]> {
    return indexes.map((i) => {
      const h = this.hashes[i]
      if (h === undefined) throw new Error(`no stored hash ${i}`)
      return h
    })
  }

  get size(): number {
    return this.entries.length
  }

  async append(entry: Uint8Array): Promise<void> {
    const n = this.size
    const limit = storedHashIndex(0, n)
    // Appending must read only hashes that existed before this record.
    const older: HashReader = {
      readHashes: async (indexes) => {
        for (const i of indexes) if (i >= limit) throw new Error(`read ${i} ≥ ${limit}`)
        return this.readHashes(indexes)
      },
    }
    const made = await storedHashesForRecord(n, leafHash(entry), older)
    if (this.hashes.length !== limit) throw new Error('stored hashes out of step')
    this.hashes.push(...made)
    this.entries.push(entry)
  }
}

const entryOf = (i: number): Uint8Array => new TextEncoder().encode(`entry ${i}`)

async function buildTree(size: number): Promise<MemoryTree> {
  const tree = new MemoryTree()
  for (let i = 0; i < size; i++) await tree.append(entryOf(i))
  return tree
}

// ---------------------------------------------------------------------------------------------
// Naive RFC 6962 / RFC 9162, written from the RFC's recursive definitions, memoised so trees of
// 66 000 leaves stay cheap.

class NaiveTree {
  readonly #memo = new Map<string, Uint8Array>()
  constructor(readonly leaves: readonly Uint8Array[]) {}

  static of(entries: readonly Uint8Array[]): NaiveTree {
    return new NaiveTree(entries.map((e) => sha256(Uint8Array.of(0, ...e))))
  }

  /** MTH(D[lo:hi]). */
  mth(lo: number, hi: number): Uint8Array {
    if (hi === lo) return sha256(new Uint8Array(0))
    if (hi - lo === 1) return this.leaves[lo]!
    const key = `${lo}:${hi}`
    let h = this.#memo.get(key)
    if (h === undefined) {
      const k = lo + largestPowerOfTwoBelow(hi - lo)
      h = sha256(Uint8Array.of(1, ...this.mth(lo, k), ...this.mth(k, hi)))
      this.#memo.set(key, h)
    }
    return h
  }

  /** PATH(m, D[lo:hi]). */
  path(m: number, lo: number, hi: number): Uint8Array[] {
    if (hi - lo <= 1) return []
    const k = lo + largestPowerOfTwoBelow(hi - lo)
    return m < k
      ? [...this.path(m, lo, k), this.mth(k, hi)]
      : [...this.path(m, k, hi), this.mth(lo, k)]
  }

  /** SUBPROOF(m, D[lo:hi], b). */
  subproof(m: number, lo: number, hi: number, b: boolean): Uint8Array[] {
    if (m === hi) return b ? [] : [this.mth(lo, hi)]
    const k = lo + largestPowerOfTwoBelow(hi - lo)
    return m <= k
      ? [...this.subproof(m, lo, k, b), this.mth(k, hi)]
      : [...this.subproof(m, k, hi, false), this.mth(lo, k)]
  }
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

/** Sides of the audit path of leaf m in a tree of n (true: sibling on the left), leaf first. */
function pathSides(m: number, lo: number, hi: number): boolean[] {
  if (hi - lo <= 1) return []
  const k = lo + largestPowerOfTwoBelow(hi - lo)
  return m < k ? [...pathSides(m, lo, k), false] : [...pathSides(m, k, hi), true]
}

/** A copy of `h` with one bit flipped. */
function flip(h: Uint8Array, bit: number): Uint8Array {
  const out = h.slice()
  out[bit >> 3] = out[bit >> 3]! ^ (1 << (bit & 7))
  return out
}

const sameHashes = (a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean =>
  a.length === b.length && a.every((h, i) => toHex(h) === toHex(b[i]!))

// A tree of 300 leaves serves every size up to 300: stored hashes never change as it grows.
const small = await buildTree(300)
const smallNaive = NaiveTree.of(small.entries)

/** (size, index) with 1 ≤ size ≤ max and index < size. */
const sizeAndIndex = (max: number) =>
  fc
    .integer({ min: 1, max })
    .chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 })))

/** (size1, size2) with 1 ≤ size1 ≤ size2 ≤ max. */
const sizePair = (max: number) =>
  fc
    .integer({ min: 1, max })
    .chain((size2) => fc.tuple(fc.integer({ min: 1, max: size2 }), fc.constant(size2)))

// ---------------------------------------------------------------------------------------------

describe('hashing', () => {
  it('follows RFC 6962: leaf 0x00, node 0x01, empty tree SHA-256("")', () => {
    expect(toHex(EMPTY_ROOT)).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    )
    expect(toHex(leafHash(new Uint8Array(0)))).toBe(roots.rootHashesHexBySize[1])
    const a = leafHash(hex('00'))
    const b = leafHash(hex('10'))
    expect(toHex(nodeHash(a, b))).toBe(toHex(sha256(Uint8Array.of(1, ...a, ...b))))
    expect(HASH_BYTES).toBe(32)
  })

  it('rejects non-bytes and hashes of the wrong length, naming the function', () => {
    expect(() => leafHash('x' as unknown as Uint8Array)).toThrow(TypeError)
    expect(() => nodeHash(new Uint8Array(31), EMPTY_ROOT)).toThrow(/nodeHash/)
  })
})

describe('stored hash numbering', () => {
  it('numbers hashes in creation order, as Go sumdb/tlog', () => {
    const order = [
      [0, 0],
      [0, 1],
      [1, 0],
      [0, 2],
      [0, 3],
      [1, 1],
      [2, 0],
      [0, 4],
      [0, 5],
      [1, 2],
      [0, 6],
      [0, 7],
      [1, 3],
      [2, 1],
      [3, 0],
      [0, 8],
    ]
    order.forEach(([level, n], index) => {
      expect(storedHashIndex(level!, n!)).toBe(index)
      expect(splitStoredHashIndex(index)).toEqual({ level, n })
    })
    expect([0, 1, 2, 3, 4, 5, 8, 16].map(storedHashCount)).toEqual([0, 1, 3, 4, 7, 8, 15, 31])
  })

  it('storedHashCount matches the hashes appending creates', () => {
    for (let size = 0; size <= small.size; size++) {
      expect(storedHashCount(size)).toBe(
        size === 0 ? 0 : storedHashIndex(0, size - 1) + 1 + trailingOnes(size - 1),
      )
    }
    expect(storedHashCount(small.size)).toBe(small.hashes.length)
  })

  it('holds every complete subtree hash at its index', () => {
    for (let index = 0; index < small.hashes.length; index++) {
      const { level, n } = splitStoredHashIndex(index)
      expect(toHex(small.hashes[index]!)).toBe(
        toHex(smallNaive.mth(n * 2 ** level, (n + 1) * 2 ** level)),
      )
    }
  })

  it('splitStoredHashIndex inverts storedHashIndex over all safe integers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 52 }), fc.maxSafeNat(), (level, x) => {
        const n = x % 2 ** (52 - level)
        expect(splitStoredHashIndex(storedHashIndex(level, n))).toEqual({ level, n })
      }),
    )
    const edges = [
      Number.MAX_SAFE_INTEGER,
      2 ** 53 - 2,
      2 ** 53 - 60,
      2 ** 52,
      2 ** 32,
      2 ** 32 - 1,
    ]
    fc.assert(
      fc.property(fc.oneof(fc.maxSafeNat(), fc.constantFrom(...edges)), (index) => {
        const { level, n } = splitStoredHashIndex(index)
        expect(storedHashIndex(level, n)).toBe(index)
      }),
    )
    expect(storedHashCount(MAX_TREE_SIZE)).toBe(Number.MAX_SAFE_INTEGER)
  })

  it('rejects bad arguments with a message naming the function', () => {
    expect(() => storedHashIndex(-1, 0)).toThrow(RangeError)
    expect(() => storedHashIndex(0, 1.5)).toThrow(/storedHashIndex/)
    expect(() => storedHashIndex(64, 0)).toThrow(RangeError)
    expect(() => storedHashIndex(52, 2)).toThrow(RangeError)
    expect(() => splitStoredHashIndex(2 ** 53)).toThrow(/splitStoredHashIndex/)
    expect(() => storedHashCount(MAX_TREE_SIZE + 1)).toThrow(RangeError)
    expect(() => storedHashCount('3' as unknown as number)).toThrow(TypeError)
  })
})

describe('transparency-dev vectors', () => {
  it('roots.json: tree hash of every size 0..8', async () => {
    const tree = new MemoryTree()
    const leaves = roots.leafInputsHex.map(hex)
    expect(roots.rootHashesHexBySize).toHaveLength(9)
    for (let size = 0; size <= 8; size++) {
      expect(toHex(await treeHash(size, tree))).toBe(roots.rootHashesHexBySize[size])
      expect(toHex(NaiveTree.of(leaves.slice(0, size)).mth(0, size))).toBe(
        roots.rootHashesHexBySize[size],
      )
      if (size < 8) await tree.append(leaves[size]!)
    }
  })

  it('found every vector file', () => {
    expect(inclusionVectors.length).toBeGreaterThanOrEqual(98)
    expect(consistencyVectors.length).toBeGreaterThanOrEqual(98)
    expect(inclusionVectors.some((v) => v.wantErr)).toBe(true)
    expect(inclusionVectors.some((v) => !v.wantErr)).toBe(true)
    expect(consistencyVectors.some((v) => v.wantErr)).toBe(true)
    expect(consistencyVectors.some((v) => !v.wantErr)).toBe(true)
  })

  it.each(inclusionVectors)('inclusion $file', async (v) => {
    const proof = (v.proof ?? []).map(b64)
    const verify = () => verifyInclusion(v.leafIdx, v.treeSize, b64(v.leafHash), proof, b64(v.root))
    if (v.wantErr) {
      expectInclusionError(verify)
      return
    }
    verify()
    if (v.root === base64Root(v.treeSize)) {
      // A happy path over the vectors' own tree: our prover must produce the same proof.
      const tree = await buildFromInputs(v.treeSize)
      expect((await proveInclusion(v.treeSize, v.leafIdx, tree)).map(toHex)).toEqual(
        proof.map(toHex),
      )
    }
  })

  it.each(consistencyVectors)('consistency $file', async (v) => {
    const proof = (v.proof ?? []).map(b64)
    const verify = () => verifyConsistency(v.size1, v.size2, proof, b64(v.root1), b64(v.root2))
    if (v.wantErr) {
      expectConsistencyError(verify)
      return
    }
    verify()
    if (v.size1 > 0 && v.root2 === base64Root(v.size2)) {
      const tree = await buildFromInputs(v.size2)
      expect((await proveConsistency(v.size2, v.size1, tree)).map(toHex)).toEqual(proof.map(toHex))
    }
  })
})

/** roots.json's root of the given size, base64 as in the vectors ('' beyond size 8). */
function base64Root(size: number): string {
  const root = roots.rootHashesHexBySize[size]
  return root === undefined ? '' : Buffer.from(root, 'hex').toString('base64')
}

async function buildFromInputs(size: number): Promise<MemoryTree> {
  const tree = new MemoryTree()
  for (const input of roots.leafInputsHex.slice(0, size)) await tree.append(hex(input))
  return tree
}

function trailingOnes(x: number): number {
  let count = 0
  for (let v = x; v % 2 === 1; v = Math.floor(v / 2)) count++
  return count
}

describe('proofs against a naive RFC 6962 implementation', () => {
  it('tree hash of every size up to 300', async () => {
    for (let size = 0; size <= small.size; size++) {
      expect(toHex(await treeHash(size, small))).toBe(toHex(smallNaive.mth(0, size)))
    }
  })

  it('inclusion proofs match PATH and verify', async () => {
    await fc.assert(
      fc.asyncProperty(sizeAndIndex(small.size), async ([size, index]) => {
        const proof = await proveInclusion(size, index, small)
        expect(proof.map(toHex)).toEqual(smallNaive.path(index, 0, size).map(toHex))
        const root = smallNaive.mth(0, size)
        verifyInclusion(index, size, smallNaive.leaves[index]!, proof, root)
        expect(toHex(rootFromInclusionProof(index, size, smallNaive.leaves[index]!, proof))).toBe(
          toHex(root),
        )
      }),
    )
  })

  it('consistency proofs match PROOF and verify', async () => {
    await fc.assert(
      fc.asyncProperty(sizePair(small.size), async ([size1, size2]) => {
        const proof = await proveConsistency(size2, size1, small)
        expect(proof.map(toHex)).toEqual(smallNaive.subproof(size1, 0, size2, true).map(toHex))
        verifyConsistency(size1, size2, proof, smallNaive.mth(0, size1), smallNaive.mth(0, size2))
      }),
    )
  })

  it('agree across the 256 and 65536 boundaries', async () => {
    const big = await buildTree(66_000)
    const naive = NaiveTree.of(big.entries)
    const sizes = [255, 256, 257, 511, 512, 513, 65_535, 65_536, 65_537, 66_000]
    for (const size of sizes) {
      expect(toHex(await treeHash(size, big))).toBe(toHex(naive.mth(0, size)))
    }
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...sizes), fc.nat(), fc.nat(), async (size, a, b) => {
        const index = a % size
        const proof = await proveInclusion(size, index, big)
        expect(proof.map(toHex)).toEqual(naive.path(index, 0, size).map(toHex))
        verifyInclusion(index, size, naive.leaves[index]!, proof, naive.mth(0, size))
        const size1 = 1 + (b % size)
        const cproof = await proveConsistency(size, size1, big)
        expect(cproof.map(toHex)).toEqual(naive.subproof(size1, 0, size, true).map(toHex))
        verifyConsistency(size1, size, cproof, naive.mth(0, size1), naive.mth(0, size))
      }),
      { numRuns: 60 },
    )
  })

  it('handle tree sizes beyond 32 bits', async () => {
    // Every leaf the same entry: each complete subtree of height h has the same hash, so a
    // reader can answer for a tree of 2^52 leaves, and checks each index it is asked for.
    const perLevel = [leafHash(new Uint8Array(0))]
    for (let l = 1; l <= 52; l++) perLevel.push(nodeHash(perLevel[l - 1]!, perLevel[l - 1]!))
    const uniform = (size: number): HashReader => ({
      readHashes: async (indexes) =>
        indexes.map((i) => {
          const { level, n } = splitStoredHashIndex(i)
          expect((n + 1) * 2 ** level).toBeLessThanOrEqual(size)
          return perLevel[level]!
        }),
    })
    const big = fc.integer({ min: 2 ** 32 - 5, max: 2 ** 32 + 5 })
    const sizes = fc.oneof(big, fc.constantFrom(MAX_TREE_SIZE, MAX_TREE_SIZE - 1, 2 ** 40 + 3))
    await fc.assert(
      fc.asyncProperty(sizes, fc.maxSafeNat(), fc.maxSafeNat(), async (size, a, b) => {
        const reader = uniform(size)
        const root = await treeHash(size, reader)
        const index = a % size
        const proof = await proveInclusion(size, index, reader)
        verifyInclusion(index, size, perLevel[0]!, proof, root)
        const size1 = 1 + (b % size)
        const root1 = await treeHash(size1, reader)
        verifyConsistency(size1, size, await proveConsistency(size, size1, reader), root1, root)
      }),
      { numRuns: 40 },
    )
  })
})

describe('tampered proofs are rejected with the typed error', () => {
  it('inclusion: flipped bit, truncated, extra hash, wrong leaf', async () => {
    await fc.assert(
      fc.asyncProperty(sizeAndIndex(small.size), fc.nat(), fc.nat(255), async ([s, i], p, bit) => {
        fc.pre(s >= 2)
        const proof = await proveInclusion(s, i, small)
        const leaf = smallNaive.leaves[i]!
        const root = smallNaive.mth(0, s)
        const at = p % proof.length
        const flipped = proof.map((h, k) => (k === at ? flip(h, bit) : h))
        expectInclusionError(() => verifyInclusion(i, s, leaf, flipped, root))
        expectInclusionError(() => verifyInclusion(i, s, leaf, proof.slice(0, -1), root))
        expectInclusionError(() => verifyInclusion(i, s, leaf, proof.slice(1), root))
        expectInclusionError(() => verifyInclusion(i, s, leaf, [...proof, root], root))
        expectInclusionError(() => verifyInclusion(i, s, leaf, [leaf, ...proof], root))
        expectInclusionError(() =>
          verifyInclusion(i, s, smallNaive.leaves[(i + 1) % s]!, proof, root),
        )
        expectInclusionError(() => verifyInclusion(i, s, leaf, proof, smallNaive.mth(0, s - 1)))
        expectInclusionError(() => verifyInclusion(i, s, leaf, proof, root.subarray(1)))
      }),
    )
  })

  it('inclusion: a proof for one position proves no other (wrong index or size)', async () => {
    await fc.assert(
      fc.asyncProperty(sizeAndIndex(small.size), sizeAndIndex(small.size), async (a, b) => {
        const [size, index] = a
        const [size2, index2] = b
        fc.pre(size !== size2 || index !== index2)
        const proof = await proveInclusion(size, index, small)
        // Against the true leaf and root of the claimed position, it verifies only if it is
        // that position's proof.
        const claim = () =>
          verifyInclusion(
            index2,
            size2,
            smallNaive.leaves[index2]!,
            proof,
            smallNaive.mth(0, size2),
          )
        if (sameHashes(proof, smallNaive.path(index2, 0, size2))) claim()
        else expectInclusionError(claim)
        // With the original leaf and root, a wrong index always fails; a wrong size passes
        // only where RFC 9162 cannot tell the sizes apart (same path shape).
        if (index2 !== index && index2 < size) {
          expectInclusionError(() =>
            verifyInclusion(
              index2,
              size,
              smallNaive.leaves[index]!,
              proof,
              smallNaive.mth(0, size),
            ),
          )
        }
        if (size2 !== size && index < size2) {
          const wrongSize = () =>
            verifyInclusion(index, size2, smallNaive.leaves[index]!, proof, smallNaive.mth(0, size))
          const sides = (n: number) => pathSides(index, 0, n).join()
          if (sides(size2) === sides(size)) wrongSize()
          else expectInclusionError(wrongSize)
        }
      }),
    )
  })

  it('consistency: flipped bit, truncated, extra hash, swapped or wrong roots', async () => {
    await fc.assert(
      fc.asyncProperty(sizePair(small.size), fc.nat(), fc.nat(255), async ([m, n], p, bit) => {
        fc.pre(m < n)
        const proof = await proveConsistency(n, m, small)
        const r1 = smallNaive.mth(0, m)
        const r2 = smallNaive.mth(0, n)
        const flipped = proof.map((h, k) => (k === p % proof.length ? flip(h, bit) : h))
        expectConsistencyError(() => verifyConsistency(m, n, flipped, r1, r2))
        expectConsistencyError(() => verifyConsistency(m, n, proof.slice(0, -1), r1, r2))
        expectConsistencyError(() => verifyConsistency(m, n, proof.slice(1), r1, r2))
        expectConsistencyError(() => verifyConsistency(m, n, [...proof, r1], r1, r2))
        expectConsistencyError(() => verifyConsistency(m, n, [r1, ...proof], r1, r2))
        expectConsistencyError(() => verifyConsistency(m, n, proof, r2, r1))
        expectConsistencyError(() => verifyConsistency(m, n, proof, smallNaive.mth(0, m - 1), r2))
        expectConsistencyError(() => verifyConsistency(m, n, proof, r1, smallNaive.mth(1, n)))
        expectConsistencyError(() => verifyConsistency(n, m, proof, r2, r1))
      }),
    )
  })

  it('consistency: a proof for one pair of sizes proves no other', async () => {
    await fc.assert(
      fc.asyncProperty(sizePair(small.size), sizePair(small.size), async ([m, n], [m2, n2]) => {
        fc.pre(m < n && (m !== m2 || n !== n2))
        const proof = await proveConsistency(n, m, small)
        const claim = () =>
          verifyConsistency(m2, n2, proof, smallNaive.mth(0, m2), smallNaive.mth(0, n2))
        if (sameHashes(proof, m2 === n2 ? [] : smallNaive.subproof(m2, 0, n2, true))) claim()
        else expectConsistencyError(claim)
      }),
    )
  })
})

describe('edge cases and argument checks', () => {
  it('consistency between equal sizes is an empty proof and equal roots', async () => {
    expect(await proveConsistency(5, 5, small)).toEqual([])
    expect(await proveConsistency(0, 0, small)).toEqual([])
    const r5 = smallNaive.mth(0, 5)
    verifyConsistency(5, 5, [], r5, r5)
    verifyConsistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)
    expectConsistencyError(() => verifyConsistency(5, 5, [r5], r5, r5))
    expectConsistencyError(() => verifyConsistency(5, 5, [], r5, smallNaive.mth(0, 4)))
    expectConsistencyError(() => verifyConsistency(0, 0, [], r5, r5))
  })

  it('there is no consistency proof from the empty tree (RFC 9162 defines 0 < size1)', async () => {
    expect(await rejection(proveConsistency(5, 0, small))).toBeInstanceOf(RangeError)
    expectConsistencyError(() => verifyConsistency(0, 5, [], EMPTY_ROOT, smallNaive.mth(0, 5)))
  })

  it('provers reject arguments outside the tree', async () => {
    expect(await rejection(proveInclusion(5, 5, small))).toBeInstanceOf(RangeError)
    expect(await rejection(proveInclusion(0, 0, small))).toBeInstanceOf(RangeError)
    expect(await rejection(proveInclusion(-1, 0, small))).toBeInstanceOf(RangeError)
    expect(await rejection(proveConsistency(4, 5, small))).toBeInstanceOf(RangeError)
    expect(await rejection(treeHash(MAX_TREE_SIZE + 1, small))).toBeInstanceOf(RangeError)
    expect(await rejection(treeHash(2.5, small))).toMatchObject({ message: /treeHash/ })
    expect(await rejection(storedHashesForRecord(3, new Uint8Array(31), small))).toBeInstanceOf(
      TypeError,
    )
    expect(await treeHash(0, small)).toEqual(EMPTY_ROOT)
  })

  it('a hash reader that answers wrongly raises HashReaderError', async () => {
    const short: HashReader = { readHashes: async (ix) => ix.slice(1).map(() => EMPTY_ROOT) }
    const bad: HashReader = { readHashes: async (ix) => ix.map(() => new Uint8Array(31)) }
    for (const reader of [short, bad]) {
      const err = await rejection(proveInclusion(5, 1, reader))
      expect(err).toBeInstanceOf(HashReaderError)
      expect(err).toMatchObject({ name: 'HashReaderError', code: 'ERR_HASH_READER' })
      expect(await rejection(storedHashesForRecord(3, EMPTY_ROOT, reader))).toBeInstanceOf(
        HashReaderError,
      )
    }
  })

  it('verifiers turn malformed input into their typed error', () => {
    const leaf = smallNaive.leaves[0]!
    const root = smallNaive.mth(0, 2)
    const proof = [smallNaive.leaves[1]!]
    verifyInclusion(0, 2, leaf, proof, root)
    expectInclusionError(() => verifyInclusion(-1, 2, leaf, proof, root))
    expectInclusionError(() => verifyInclusion(0.5, 2, leaf, proof, root))
    expectInclusionError(() => verifyInclusion(0, 2 ** 53, leaf, proof, root))
    expectInclusionError(() => verifyInclusion(0, 2, leaf, [new Uint8Array(32 + 1)], root))
    expectInclusionError(() => verifyInclusion(0, 2, leaf, null as unknown as Uint8Array[], root))
    expectInclusionError(() =>
      verifyInclusion(0, 2, leaf, proof, undefined as unknown as Uint8Array),
    )
    expectInclusionError(() => rootFromInclusionProof(2, 2, leaf, proof))
    expectConsistencyError(() => verifyConsistency(1, NaN, proof, leaf, root))
    expectConsistencyError(() =>
      verifyConsistency(1, 2, proof, leaf, 'root' as unknown as Uint8Array),
    )
    expectConsistencyError(() => verifyConsistency(1, 2, [new Uint8Array(0)], leaf, root))
  })

  it('errors serialise with name, code and check', () => {
    const err = thrown(() => verifyInclusion(3, 2, EMPTY_ROOT, [], EMPTY_ROOT)) as TrustchainError
    expect(JSON.parse(JSON.stringify(err))).toEqual({
      name: 'InclusionProofError',
      code: 'ERR_INCLUSION_PROOF',
      check: 'inclusion',
      message: err.message,
    })
    expect(err.message).toMatch(/^verifyInclusion: /)
  })
})
