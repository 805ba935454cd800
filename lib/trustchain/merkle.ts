/**
 * RFC 6962 / RFC 9162 Merkle tree of the TrustChain transparency log: hashing, the stored-hash
 * layout shared by the log store and the tiles, proofs built from stored hashes, and the
 * verifiers peers run on every connection.
 *
 * Stored hashes are numbered exactly as Go's `golang.org/x/mod/sumdb/tlog`: every hash of a
 * complete subtree, in the order appending records creates them (leaf 0, leaf 1, node(0,1),
 * leaf 2, …). The numbering never changes as the tree grows, so a store is append-only.
 *
 * Pure code: no I/O, no clock, no randomness. Runs in the browser, in workers and in Node.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { TrustchainError } from './errors'

/** Bytes of one hash (SHA-256). */
export const HASH_BYTES = 32

/**
 * Largest tree size the prover side handles: every stored-hash index of a tree of this size is
 * a safe integer (`storedHashCount(2 ** 52) === Number.MAX_SAFE_INTEGER`).
 */
export const MAX_TREE_SIZE = 2 ** 52

/** Root hash of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1). Shared: never modify. */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0))

/** A proof of inclusion did not verify: malformed input, index out of range or root mismatch. */
export class InclusionProofError extends TrustchainError {
  override readonly name = 'InclusionProofError'
  readonly code = 'ERR_INCLUSION_PROOF'
  override readonly check = 'inclusion' as const
}

/** A proof of consistency did not verify: malformed input, sizes out of order or root mismatch. */
export class ConsistencyProofError extends TrustchainError {
  override readonly name = 'ConsistencyProofError'
  readonly code = 'ERR_CONSISTENCY_PROOF'
  override readonly check = 'consistency' as const
}

/**
 * A {@link HashReader} answered with the wrong number of hashes or a hash that is not
 * {@link HASH_BYTES} long: a broken store, or tiles that do not match the tree.
 */
export class HashReaderError extends TrustchainError {
  override readonly name = 'HashReaderError'
  readonly code = 'ERR_HASH_READER'
}

/** Options of the asynchronous functions. */
export interface ReadOptions {
  /** Abandons the read: passed on to the {@link HashReader}. */
  signal?: AbortSignal
}

/**
 * Source of stored hashes (see {@link storedHashIndex}): a database, a cache, or tiles fetched
 * from a log (`tileHashReader` in ./tiles).
 */
export interface HashReader {
  /**
   * Read the stored hashes at `indexes`.
   *
   * @returns one 32-byte hash per index, in the same order as `indexes`
   */
  readHashes(indexes: readonly number[], options?: ReadOptions): Promise<Uint8Array[]>
}

/**
 * Hash of a log entry: SHA-256(0x00 ‖ entry).
 *
 * @example
 * leafHash(new Uint8Array(0)) // 6e340b9c…, the root of a tree holding one empty entry
 */
export function leafHash(entry: Uint8Array): Uint8Array {
  checkBytes('leafHash', 'entry', entry)
  const buf = new Uint8Array(1 + entry.length)
  buf.set(entry, 1)
  return sha256(buf)
}

/** Hash of an interior node: SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  checkHash('nodeHash', 'left', left)
  checkHash('nodeHash', 'right', right)
  return hashChildren(left, right)
}

/**
 * Index of the stored hash of the complete subtree at `level` (0 = leaves) and position `n`
 * within that level, i.e. the subtree over leaves `n·2^level … (n+1)·2^level − 1`.
 *
 * @example
 * storedHashIndex(0, 2) // 3: leaf 0, leaf 1 and node (1, 0) come first
 * storedHashIndex(1, 0) // 2
 */
export function storedHashIndex(level: number, n: number): number {
  checkLevel('storedHashIndex', level)
  checkCount('storedHashIndex', 'n', n)
  // Appending record m creates its leaf and then one hash per trailing one bit of m, so the
  // leaf of record m sits at 2m − popcount(m). The subtree (level, n) is created with record
  // (n+1)·2^level − 1, `level` places after that record's leaf: in closed form
  // 2^(level+1)·(n+1) − popcount(n) − 2.
  const scaled = 2 ** (level + 1) * (n + 1)
  const below = popcount(n) + 2
  // scaled may pass 2^53 while the index stays safe; around there only even numbers exist, so
  // subtract relative to 2^53 to keep the result exact.
  const over = scaled - 2 ** 53
  if (over >= below) {
    throw new RangeError(`storedHashIndex: subtree (${level}, ${n}) has no safe-integer index`)
  }
  return over > 0 ? 2 ** 53 + (over - below) : scaled - below
}

/**
 * Inverse of {@link storedHashIndex}.
 *
 * @example
 * splitStoredHashIndex(2) // { level: 1, n: 0 }
 */
export function splitStoredHashIndex(index: number): { level: number; n: number } {
  checkCount('splitStoredHashIndex', 'index', index)
  // leafIndex(m) = 2m − popcount(m) grows with m and is at most 2m, so the record whose leaf
  // comes last at or before `index` is at most ~53 steps above index / 2.
  let record = Math.floor(index / 2)
  while (leafIndex(record + 1) <= index) record++
  const level = index - leafIndex(record)
  return { level, n: Math.floor(record / 2 ** level) }
}

/**
 * Number of stored hashes of a tree of `size` records.
 *
 * @example
 * storedHashCount(3) // 4: three leaves and node (1, 0)
 */
export function storedHashCount(size: number): number {
  checkTreeSize('storedHashCount', size)
  return leafIndex(size)
}

/**
 * The stored hashes created by appending record `n` (the tree grows from size n to n+1), in
 * index order: the first is `leafHash`, at `storedHashIndex(0, n)`, followed by one hash per
 * subtree the record completes. Reads only hashes of records before `n`.
 *
 * @param leafHash - {@link leafHash} of the record's entry
 */
export async function storedHashesForRecord(
  n: number,
  leafHash: Uint8Array,
  reader: HashReader,
  options: ReadOptions = {},
): Promise<Uint8Array[]> {
  checkCount('storedHashesForRecord', 'n', n)
  if (n >= MAX_TREE_SIZE) {
    throw new RangeError(`storedHashesForRecord: record ${n} is beyond the largest supported tree`)
  }
  checkHash('storedHashesForRecord', 'leafHash', leafHash)
  // Each trailing one bit of n is a left sibling subtree that the new leaf completes; read them
  // oldest (highest) first so the indexes go to the store in ascending order.
  const completed = trailingOnes(n)
  const siblings: number[] = []
  for (let level = completed - 1; level >= 0; level--) {
    siblings.push(storedHashIndex(level, Math.floor(n / 2 ** level) - 1))
  }
  const old = await read('storedHashesForRecord', reader, siblings, options)
  const made = [leafHash]
  let h = leafHash
  for (let i = old.length - 1; i >= 0; i--) {
    h = hashChildren(old[i]!, h)
    made.push(h)
  }
  return made
}

/**
 * Root hash of the tree of the first `size` records ({@link EMPTY_ROOT} for 0).
 */
export async function treeHash(
  size: number,
  reader: HashReader,
  options: ReadOptions = {},
): Promise<Uint8Array> {
  checkTreeSize('treeHash', size)
  if (size === 0) return EMPTY_ROOT.slice()
  const [root] = await readRanges('treeHash', reader, [[0, size]], options)
  return root!
}

/**
 * RFC 9162 §2.1.3 inclusion proof (audit path) of record `index` in the tree of `size` records,
 * sibling nearest the leaf first.
 */
export async function proveInclusion(
  size: number,
  index: number,
  reader: HashReader,
  options: ReadOptions = {},
): Promise<Uint8Array[]> {
  checkTreeSize('proveInclusion', size)
  checkCount('proveInclusion', 'index', index)
  if (index >= size) {
    throw new RangeError(`proveInclusion: index ${index} is not in a tree of size ${size}`)
  }
  return readRanges('proveInclusion', reader, inclusionRanges(index, size), options)
}

/**
 * RFC 9162 §2.1.4 consistency proof from the tree of `size1` records to the tree of `size2`.
 * Empty when the sizes are equal. RFC 9162 defines no proof from the empty tree (every tree
 * extends it, so a client with no earlier checkpoint has nothing to check): `size1` = 0 with
 * `size2` > 0 is a RangeError.
 */
export async function proveConsistency(
  size2: number,
  size1: number,
  reader: HashReader,
  options: ReadOptions = {},
): Promise<Uint8Array[]> {
  checkTreeSize('proveConsistency', size2)
  checkCount('proveConsistency', 'size1', size1)
  if (size1 > size2) {
    throw new RangeError(`proveConsistency: size1 ${size1} is larger than size2 ${size2}`)
  }
  if (size1 === size2) return []
  if (size1 === 0) {
    throw new RangeError('proveConsistency: there is no consistency proof from the empty tree')
  }
  return readRanges('proveConsistency', reader, consistencyRanges(size1, size2), options)
}

/**
 * Root hash that an inclusion proof of `leafHash` at `index` yields for a tree of `size`
 * (RFC 9162 §2.1.3.2), without comparing it to anything.
 *
 * @throws InclusionProofError if an argument is malformed, `index` is not below `size`, or the
 *   proof does not have the length the tree shape requires
 */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  return inclusionRoot('rootFromInclusionProof', index, size, leafHash, proof)
}

/**
 * Verify an RFC 9162 inclusion proof: `leafHash` is record `index` of the tree of `size` records
 * whose root is `root`.
 *
 * @throws InclusionProofError if anything is malformed or the proof does not lead to `root`
 */
export function verifyInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  if (!isHash(root)) {
    throw new InclusionProofError(`verifyInclusion: root must be ${HASH_BYTES} bytes`)
  }
  const computed = inclusionRoot('verifyInclusion', index, size, leafHash, proof)
  if (!equalBytes(computed, root)) {
    throw new InclusionProofError(
      `verifyInclusion: proof of index ${index} leads to a different root for size ${size}`,
    )
  }
}

/**
 * Verify an RFC 9162 consistency proof: the tree of `size1` records with root `root1` is a
 * prefix of the tree of `size2` records with root `root2`.
 *
 * Equal sizes need an empty proof and equal roots (for size 0, both {@link EMPTY_ROOT}). A
 * `size1` of 0 below `size2` is rejected: RFC 9162 defines no proof from the empty tree, so a
 * client with no earlier checkpoint skips this check instead of calling it.
 *
 * @throws ConsistencyProofError if anything is malformed or the proof does not lead to the roots
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): void {
  const fail = (message: string) => new ConsistencyProofError(`verifyConsistency: ${message}`)
  if (!isCount(size1)) throw fail('size1 must be a non-negative safe integer')
  if (!isCount(size2)) throw fail('size2 must be a non-negative safe integer')
  if (!(root1 instanceof Uint8Array)) throw fail('root1 must be a Uint8Array')
  if (!(root2 instanceof Uint8Array)) throw fail('root2 must be a Uint8Array')
  if (!Array.isArray(proof)) throw fail('proof must be an array of hashes')
  if (size1 > size2) throw fail(`size1 ${size1} is larger than size2 ${size2}`)
  if (size1 === size2) {
    if (proof.length !== 0) throw fail(`equal sizes need an empty proof, got ${proof.length}`)
    // Same size means same tree: the roots must be identical, whatever they are (the caller
    // checks their form where it parses them; transparency-dev's vectors expect this).
    if (!equalBytes(root1, root2)) throw fail(`roots of size ${size1} differ`)
    if (size1 === 0 && !equalBytes(root1, EMPTY_ROOT)) throw fail('root of size 0 is not empty')
    return
  }
  if (size1 === 0) throw fail('there is no consistency proof from the empty tree')
  if (!isHash(root1)) throw fail(`root1 must be ${HASH_BYTES} bytes`)
  if (!isHash(root2)) throw fail(`root2 must be ${HASH_BYTES} bytes`)
  const want = consistencyProofLength(size1, size2)
  if (proof.length !== want) {
    throw fail(`proof has ${proof.length} hashes, sizes ${size1} → ${size2} need ${want}`)
  }
  proof.forEach((p, i) => {
    if (!isHash(p)) throw fail(`proof hash ${i} must be ${HASH_BYTES} bytes`)
  })

  // When size1 is a power of two the old tree is one complete subtree whose hash is root1, and
  // the proof leaves it out.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : proof
  let fn = size1 - 1
  let sn = size2 - 1
  while (isOdd(fn)) {
    fn = half(fn)
    sn = half(sn)
  }
  let fr = path[0]!
  let sr = path[0]!
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!
    if (isOdd(fn) || fn === sn) {
      fr = hashChildren(c, fr)
      sr = hashChildren(c, sr)
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn)
        sn = half(sn)
      }
    } else {
      sr = hashChildren(sr, c)
    }
    fn = half(fn)
    sn = half(sn)
  }
  if (!equalBytes(fr, root1)) throw fail(`proof leads to a different root for size1 ${size1}`)
  if (!equalBytes(sr, root2)) throw fail(`proof leads to a different root for size2 ${size2}`)
}

// ---------------------------------------------------------------------------------------------
// Proof planning: a proof is a list of leaf ranges [lo, hi), each replaced by its Merkle tree
// hash. All stored hashes a proof needs are read in one call (one query on PostgreSQL).

type Range = readonly [lo: number, hi: number]

/** RFC 9162 PATH(index, D[0:size]) as ranges, sibling nearest the leaf first. */
function inclusionRanges(index: number, size: number): Range[] {
  const topDown: Range[] = []
  let lo = 0
  let hi = size
  while (hi - lo > 1) {
    const mid = lo + splitPoint(hi - lo)
    if (index < mid) {
      topDown.push([mid, hi])
      hi = mid
    } else {
      topDown.push([lo, mid])
      lo = mid
    }
  }
  return topDown.reverse()
}

/** RFC 9162 PROOF(m, D[0:n]) for 0 < m < n as ranges, in proof order. */
function consistencyRanges(m: number, n: number): Range[] {
  const topDown: Range[] = []
  let lo = 0
  let hi = n
  // Whether [lo, hi) still starts at leaf 0, so its hash is the old root the verifier knows.
  let fromStart = true
  while (m !== hi) {
    const mid = lo + splitPoint(hi - lo)
    if (m <= mid) {
      topDown.push([mid, hi])
      hi = mid
    } else {
      topDown.push([lo, mid])
      lo = mid
      fromStart = false
    }
  }
  if (!fromStart) topDown.push([lo, hi])
  return topDown.reverse()
}

/**
 * Merkle tree hash of each range. Every range the planners produce starts at a multiple of a
 * power of two at least as large as the range, so it splits into complete subtrees of
 * decreasing size, each one stored hash.
 */
async function readRanges(
  fn: string,
  reader: HashReader,
  ranges: readonly Range[],
  options: ReadOptions,
): Promise<Uint8Array[]> {
  const indexes: number[] = []
  const counts: number[] = []
  for (const [lo, hi] of ranges) {
    let count = 0
    for (let at = lo; at < hi; count++) {
      const level = bitLength(hi - at) - 1
      indexes.push(storedHashIndex(level, at / 2 ** level))
      at += 2 ** level
    }
    counts.push(count)
  }
  const hashes = await read(fn, reader, indexes, options)
  const out: Uint8Array[] = []
  let next = 0
  for (const count of counts) {
    // MTH of a range made of subtrees s0 > s1 > … is H(s0, H(s1, …)): fold from the right.
    let h = hashes[next + count - 1]!
    for (let i = next + count - 2; i >= next; i--) h = hashChildren(hashes[i]!, h)
    out.push(h)
    next += count
  }
  return out
}

/** Read and check stored hashes: a store that answers wrongly must not yield a bogus proof. */
async function read(
  fn: string,
  reader: HashReader,
  indexes: readonly number[],
  options: ReadOptions,
): Promise<Uint8Array[]> {
  if (indexes.length === 0) return []
  const hashes = await reader.readHashes(indexes, options)
  if (!Array.isArray(hashes) || hashes.length !== indexes.length) {
    throw new HashReaderError(
      `${fn}: the hash reader returned ${Array.isArray(hashes) ? hashes.length : 'no'} hashes for ${indexes.length} indexes`,
    )
  }
  hashes.forEach((h, i) => {
    if (!isHash(h)) {
      throw new HashReaderError(
        `${fn}: the hash reader returned a malformed hash for index ${indexes[i]}`,
      )
    }
  })
  return hashes
}

/** RFC 9162 §2.1.3.2 with every input checked first; `caller` names the public function. */
function inclusionRoot(
  caller: string,
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  const fail = (message: string) => new InclusionProofError(`${caller}: ${message}`)
  if (!isCount(index)) throw fail('index must be a non-negative safe integer')
  if (!isCount(size)) throw fail('size must be a non-negative safe integer')
  if (index >= size) throw fail(`index ${index} is not in a tree of size ${size}`)
  if (!isHash(leafHash)) throw fail(`leaf hash must be ${HASH_BYTES} bytes`)
  if (!Array.isArray(proof)) throw fail('proof must be an array of hashes')
  const want = inclusionProofLength(index, size)
  if (proof.length !== want) {
    throw fail(`proof has ${proof.length} hashes, index ${index} of size ${size} needs ${want}`)
  }
  proof.forEach((p, i) => {
    if (!isHash(p)) throw fail(`proof hash ${i} must be ${HASH_BYTES} bytes`)
  })
  let fn = index
  let sn = size - 1
  let r = leafHash
  for (const p of proof) {
    if (isOdd(fn) || fn === sn) {
      r = hashChildren(p, r)
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn)
        sn = half(sn)
      }
    } else {
      r = hashChildren(r, p)
    }
    fn = half(fn)
    sn = half(sn)
  }
  return r
}

/** Proof length the RFC 9162 inclusion verifier consumes for (index, size), index < size. */
function inclusionProofLength(index: number, size: number): number {
  let fn = index
  let sn = size - 1
  let count = 0
  while (sn > 0) {
    if (isOdd(fn) || fn === sn) {
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn)
        sn = half(sn)
      }
    }
    count++
    fn = half(fn)
    sn = half(sn)
  }
  return count
}

/** Proof length the RFC 9162 consistency verifier consumes for 0 < size1 < size2. */
function consistencyProofLength(size1: number, size2: number): number {
  let fn = size1 - 1
  let sn = size2 - 1
  while (isOdd(fn)) {
    fn = half(fn)
    sn = half(sn)
  }
  let steps = 0
  while (sn > 0) {
    if (isOdd(fn) || fn === sn) {
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn)
        sn = half(sn)
      }
    }
    steps++
    fn = half(fn)
    sn = half(sn)
  }
  // The verifier's path starts with one seed hash: root1 itself when size1 is a power of two,
  // otherwise the proof's first hash.
  return isPowerOfTwo(size1) ? steps : steps + 1
}

// ---------------------------------------------------------------------------------------------
// Arithmetic on safe integers. JavaScript bit operators work on 32 bits, and tree sizes go
// beyond that, so halving and bit counting are done with division.

const TWO_32 = 2 ** 32

function isOdd(x: number): boolean {
  return x % 2 === 1
}

function half(x: number): number {
  return Math.floor(x / 2)
}

function popcount32(x: number): number {
  let v = x >>> 0
  let count = 0
  while (v !== 0) {
    v &= v - 1
    count++
  }
  return count
}

function popcount(x: number): number {
  return popcount32(Math.floor(x / TWO_32)) + popcount32(x % TWO_32)
}

/** Number of bits needed to write x (0 for 0). */
function bitLength(x: number): number {
  const high = Math.floor(x / TWO_32)
  return high > 0 ? 64 - Math.clz32(high) : 32 - Math.clz32(x % TWO_32)
}

function trailingOnes(x: number): number {
  let count = 0
  for (let v = x; isOdd(v); v = half(v)) count++
  return count
}

function isPowerOfTwo(x: number): boolean {
  return x > 0 && popcount(x) === 1
}

/** Largest power of two strictly below n (n ≥ 2): RFC 6962's split point k. */
function splitPoint(n: number): number {
  return 2 ** (bitLength(n - 1) - 1)
}

/** Stored-hash index of the leaf of record m: 2m − popcount(m). */
function leafIndex(m: number): number {
  return 2 * m - popcount(m)
}

// ---------------------------------------------------------------------------------------------
// Hashing and checks.

function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + 2 * HASH_BYTES)
  buf[0] = 1
  buf.set(left, 1)
  buf.set(right, 1 + HASH_BYTES)
  return sha256(buf)
}

/** Byte equality. Hashes here are public, so a timing-safe comparison buys nothing. */
function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function isCount(x: unknown): x is number {
  return Number.isSafeInteger(x) && (x as number) >= 0
}

function isHash(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array && x.length === HASH_BYTES
}

function checkCount(fn: string, name: string, x: unknown): asserts x is number {
  if (typeof x !== 'number') throw new TypeError(`${fn}: ${name} must be a number`)
  if (!isCount(x)) throw new RangeError(`${fn}: ${name} must be a non-negative safe integer`)
}

function checkLevel(fn: string, level: unknown): asserts level is number {
  checkCount(fn, 'level', level)
  if (level > 63) throw new RangeError(`${fn}: level must be at most 63, got ${level}`)
}

function checkTreeSize(fn: string, size: unknown): asserts size is number {
  checkCount(fn, 'size', size)
  if (size > MAX_TREE_SIZE) {
    throw new RangeError(`${fn}: size ${size} is above the largest supported tree (2^52)`)
  }
}

function checkBytes(fn: string, name: string, x: unknown): asserts x is Uint8Array {
  if (!(x instanceof Uint8Array)) throw new TypeError(`${fn}: ${name} must be a Uint8Array`)
}

function checkHash(fn: string, name: string, x: unknown): asserts x is Uint8Array {
  checkBytes(fn, name, x)
  if (x.length !== HASH_BYTES) {
    throw new TypeError(`${fn}: ${name} must be ${HASH_BYTES} bytes, got ${x.length}`)
  }
}
