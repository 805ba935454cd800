/**
 * The authenticated state tree: a compact sparse Merkle tree over SHA-256(key), in the manner of
 * Diem's sparse Merkle tree. A leaf sits at the shortest prefix of its key hash that no other key
 * shares; empty subtrees hash to 32 zero bytes; a subtree holding one leaf is that leaf. Hashing
 * (docs/ledger.md, "State tree"):
 *
 * ```text
 * keyHash   = SHA-256(key)
 * leaf      = SHA-256(0x00 ‖ keyHash ‖ SHA-256(value))
 * branch    = SHA-256(0x01 ‖ left ‖ right)      (an empty child is 32 zero bytes)
 * empty     = 32 zero bytes                      (the root of an empty tree)
 * ```
 *
 * Bit `i` of a key hash (most significant bit of byte 0 first) picks the child at depth `i`:
 * 0 left, 1 right. The shape is a function of the set of keys only, so the root is too.
 *
 * Nodes are immutable and shared between versions: an update copies only the paths it changes and
 * hashes each changed node once, so a batch of `k` changes costs about `k · log n` hashes.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { MAX_PROOF_DEPTH } from './constants'
import { compareBytes, equalBytes } from './codec'

/** Bytes of a hash. */
export const HASH_BYTES = 32

/** Hash of an empty subtree, and root of an empty tree. Shared: never modify. */
export const EMPTY_HASH: Uint8Array = new Uint8Array(HASH_BYTES)

/** A leaf: one state entry. */
export interface SmtLeaf {
  readonly leaf: true
  /** SHA-256 of the key bytes: the leaf's path. */
  readonly keyHash: Uint8Array
  /** Leaf hash. */
  readonly hash: Uint8Array
  /** The state key (ASCII). */
  readonly key: string
  /** The decoded value (wire-shaped object); never mutated. */
  readonly value: unknown
  /** Canonical encoding of the value. */
  readonly bytes: Uint8Array
}

/** An inner node with at least two leaves below it. */
export interface SmtBranch {
  readonly leaf: false
  readonly left: SmtNode | null
  readonly right: SmtNode | null
  readonly hash: Uint8Array
}

/** A node of the tree; `null` is an empty subtree. */
export type SmtNode = SmtLeaf | SmtBranch

/** One change of a batch: put `leaf` at `keyHash`, or delete it (`leaf: null`). */
export interface SmtChange {
  readonly keyHash: Uint8Array
  readonly leaf: SmtLeaf | null
}

const UTF8 = new TextEncoder()

/** SHA-256 of the key's UTF-8 bytes. */
export function hashKey(key: string | Uint8Array): Uint8Array {
  return sha256(typeof key === 'string' ? UTF8.encode(key) : key)
}

/** Leaf hash of a key hash and the value's bytes. */
export function leafHash(keyHash: Uint8Array, valueBytes: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + 2 * HASH_BYTES)
  buf[0] = 0x00
  buf.set(keyHash, 1)
  buf.set(sha256(valueBytes), 1 + HASH_BYTES)
  return sha256(buf)
}

/** Branch hash of two child hashes. */
export function branchHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + 2 * HASH_BYTES)
  buf[0] = 0x01
  buf.set(left, 1)
  buf.set(right, 1 + HASH_BYTES)
  return sha256(buf)
}

/** Bit `depth` of `hash`, most significant bit of byte 0 first. */
export function bitAt(hash: Uint8Array, depth: number): number {
  return (hash[depth >> 3]! >> (7 - (depth & 7))) & 1
}

/** A leaf for `key` holding `value`, whose canonical encoding is `bytes`. */
export function makeLeaf(
  key: string,
  value: unknown,
  bytes: Uint8Array,
  keyHash = hashKey(key),
): SmtLeaf {
  return { leaf: true, keyHash, hash: leafHash(keyHash, bytes), key, value, bytes }
}

function makeBranch(left: SmtNode | null, right: SmtNode | null): SmtBranch {
  return {
    leaf: false,
    left,
    right,
    hash: branchHash(left?.hash ?? EMPTY_HASH, right?.hash ?? EMPTY_HASH),
  }
}

/** Root hash of a tree. */
export function rootHash(node: SmtNode | null): Uint8Array {
  return node === null ? EMPTY_HASH : node.hash
}

/** The leaf at `keyHash`, if any. */
export function smtGet(node: SmtNode | null, keyHash: Uint8Array): SmtLeaf | undefined {
  let depth = 0
  while (node !== null && !node.leaf) {
    node = bitAt(keyHash, depth) === 0 ? node.left : node.right
    depth++
  }
  return node !== null && equalBytes(node.keyHash, keyHash) ? node : undefined
}

/**
 * Sibling hashes from the root down to the leaf at `keyHash` (its inclusion proof), or
 * `undefined` when the key is absent.
 */
export function smtProve(node: SmtNode | null, keyHash: Uint8Array): Uint8Array[] | undefined {
  const siblings: Uint8Array[] = []
  let depth = 0
  while (node !== null && !node.leaf) {
    const right = bitAt(keyHash, depth) === 1
    siblings.push((right ? node.left : node.right)?.hash ?? EMPTY_HASH)
    node = right ? node.right : node.left
    depth++
  }
  return node !== null && equalBytes(node.keyHash, keyHash) ? siblings : undefined
}

/** Call `visit` on every leaf, in key-hash order. */
export function smtWalk(node: SmtNode | null, visit: (leaf: SmtLeaf) => void): void {
  if (node === null) return
  if (node.leaf) {
    visit(node)
    return
  }
  smtWalk(node.left, visit)
  smtWalk(node.right, visit)
}

/** First index in `[lo, hi)` whose key hash has bit `depth` set (changes are sorted). */
function splitIndex(changes: readonly SmtChange[], lo: number, hi: number, depth: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (bitAt(changes[mid]!.keyHash, depth) === 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** The canonical subtree of `leaves[lo..hi)` (sorted, sharing the first `depth` bits). */
function build(leaves: readonly SmtLeaf[], lo: number, hi: number, depth: number): SmtNode | null {
  if (hi === lo) return null
  if (hi - lo === 1) return leaves[lo]!
  let mid = lo
  while (mid < hi && bitAt(leaves[mid]!.keyHash, depth) === 0) mid++
  return makeBranch(build(leaves, lo, mid, depth + 1), build(leaves, mid, hi, depth + 1))
}

/** Join two children under one node, collapsing a lone leaf upwards. */
function join(left: SmtNode | null, right: SmtNode | null): SmtNode | null {
  if (left === null && (right === null || right.leaf)) return right
  if (right === null && left!.leaf) return left
  return makeBranch(left, right)
}

function update(
  node: SmtNode | null,
  depth: number,
  changes: readonly SmtChange[],
  lo: number,
  hi: number,
): SmtNode | null {
  if (lo === hi) return node
  if (node === null || node.leaf) {
    // Below here the subtree holds at most the old leaf: rebuild it from the surviving leaves.
    const leaves: SmtLeaf[] = []
    let placed = node === null
    for (let i = lo; i < hi; i++) {
      const change = changes[i]!
      if (!placed) {
        const order = compareBytes((node as SmtLeaf).keyHash, change.keyHash)
        if (order <= 0) {
          if (order < 0) leaves.push(node as SmtLeaf)
          placed = true
        }
      }
      if (change.leaf !== null) leaves.push(change.leaf)
    }
    if (!placed) leaves.push(node as SmtLeaf)
    return build(leaves, 0, leaves.length, depth)
  }
  const mid = splitIndex(changes, lo, hi, depth)
  const left = update(node.left, depth + 1, changes, lo, mid)
  const right = update(node.right, depth + 1, changes, mid, hi)
  if (left === node.left && right === node.right) return node
  return join(left, right)
}

/**
 * Apply a batch of changes and return the new tree; `node` is unchanged (shared, not copied).
 * Changes need not be sorted; at most one change per key hash.
 */
export function smtUpdate(node: SmtNode | null, changes: readonly SmtChange[]): SmtNode | null {
  if (changes.length === 0) return node
  const sorted = [...changes].sort((a, b) => compareBytes(a.keyHash, b.keyHash))
  return update(node, 0, sorted, 0, sorted.length)
}

/**
 * Whether `siblings` prove that `key` maps to `valueBytes` in the tree whose root is `root`.
 * Pure and self-contained: needs nothing but its arguments. Never throws.
 *
 * @param root - the state root (32 bytes), e.g. from a block header covered by a commit certificate
 * @param key - the state key, as a string (UTF-8) or bytes
 * @param valueBytes - the value's canonical encoding
 * @param siblings - sibling hashes from the root down to the leaf
 */
export function verifyInclusion(
  root: Uint8Array,
  key: string | Uint8Array,
  valueBytes: Uint8Array,
  siblings: readonly Uint8Array[],
): boolean {
  try {
    if (!(root instanceof Uint8Array) || root.length !== HASH_BYTES) return false
    if (!(valueBytes instanceof Uint8Array)) return false
    if (typeof key !== 'string' && !(key instanceof Uint8Array)) return false
    if (!Array.isArray(siblings) || siblings.length > MAX_PROOF_DEPTH) return false
    const keyHash = hashKey(key)
    let hash = leafHash(keyHash, valueBytes)
    for (let depth = siblings.length - 1; depth >= 0; depth--) {
      const sibling = siblings[depth]
      if (!(sibling instanceof Uint8Array) || sibling.length !== HASH_BYTES) return false
      hash = bitAt(keyHash, depth) === 0 ? branchHash(hash, sibling) : branchHash(sibling, hash)
    }
    return equalBytes(hash, root)
  } catch {
    return false
  }
}
