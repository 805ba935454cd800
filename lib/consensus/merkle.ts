/**
 * The transactions root of a block header: an RFC 6962 Merkle tree whose leaves are the SHA-256
 * hashes of the transactions, in block order. Leaf hash `SHA-256(0x00 ‖ txHash)`, interior node
 * `SHA-256(0x01 ‖ left ‖ right)`, the empty tree `SHA-256("")`; the split is at the largest power
 * of two below the size, as in the TrustChain log, so the same proof tooling applies.
 */
import { sha256 } from '@noble/hashes/sha2.js'

/** SHA-256 of a transaction: its identity in the mempool and its leaf in the transactions root. */
export function txHash(tx: Uint8Array): Uint8Array {
  return sha256(tx)
}

function leaf(data: Uint8Array): Uint8Array {
  const buf = new Uint8Array(data.length + 1)
  buf[0] = 0
  buf.set(data, 1)
  return sha256(buf)
}

function node(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(65)
  buf[0] = 1
  buf.set(left, 1)
  buf.set(right, 33)
  return sha256(buf)
}

function subtree(leaves: readonly Uint8Array[], start: number, end: number): Uint8Array {
  const n = end - start
  if (n === 1) return leaves[start]!
  let k = 1
  while (k * 2 < n) k *= 2
  return node(subtree(leaves, start, start + k), subtree(leaves, start + k, end))
}

/**
 * RFC 6962 Merkle tree hash of `leaves` (leaf data, hashed as `SHA-256(0x00 ‖ data)`), in order.
 */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256(new Uint8Array(0))
  return subtree(leaves.map(leaf), 0, leaves.length)
}

/**
 * Merkle root over transaction hashes (each 32 bytes), in order: {@link merkleRoot} with the
 * hashes as leaf data.
 *
 * @example
 * ```ts
 * const root = merkleRootOfHashes(txs.map(txHash))
 * ```
 */
export function merkleRootOfHashes(hashes: readonly Uint8Array[]): Uint8Array {
  return merkleRoot(hashes)
}

/** The transactions root of a block's transactions. */
export function txsRoot(txs: readonly Uint8Array[]): Uint8Array {
  return merkleRootOfHashes(txs.map(txHash))
}
