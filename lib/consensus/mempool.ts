/**
 * The mempool: transactions waiting for a block, in arrival order, de-duplicated by hash, capped in
 * count and bytes. Admission runs the application's `checkTx` against the latest committed state;
 * after each commit the block's transactions leave and the rest are checked again (a transfer that
 * was valid may no longer be: the same nonce was used, the balance was spent).
 */
import { toHex } from './bytes'
import { DuplicateTxError, MempoolFullError, OversizedTxError } from './errors'
import { txHash } from './merkle'

/** A transaction in the mempool. */
export interface MempoolTx {
  tx: Uint8Array
  hash: Uint8Array
  /** Hex of `hash`. */
  key: string
}

/** Limits of a {@link Mempool}. */
export interface MempoolLimits {
  maxTxs: number
  maxBytes: number
  maxTxBytes: number
}

/** Arrival-ordered, hash-deduplicated, capped set of pending transactions. */
export class Mempool {
  private readonly txs = new Map<string, MempoolTx>()
  private totalBytes = 0

  constructor(private readonly limits: MempoolLimits) {}

  /** Number of transactions held. */
  get size(): number {
    return this.txs.size
  }

  /** Bytes held (sum of transaction lengths). */
  get bytes(): number {
    return this.totalBytes
  }

  /** Whether a transaction with this hash (hex) is held. */
  has(key: string): boolean {
    return this.txs.has(key)
  }

  /**
   * Admit `tx` after the cheap checks and `check` (the application's `checkTx`). Throws
   * {@link OversizedTxError}, {@link DuplicateTxError}, {@link MempoolFullError} or what `check`
   * throws. Returns the admitted entry.
   */
  add(tx: Uint8Array, check: (tx: Uint8Array) => void): MempoolTx {
    if (tx.length > this.limits.maxTxBytes) {
      throw new OversizedTxError(`${tx.length}-byte transaction, limit ${this.limits.maxTxBytes}`)
    }
    const hash = txHash(tx)
    const key = toHex(hash)
    if (this.txs.has(key)) throw new DuplicateTxError('transaction already in the mempool')
    if (this.txs.size >= this.limits.maxTxs || this.totalBytes + tx.length > this.limits.maxBytes) {
      throw new MempoolFullError('the mempool is full; try again after the next block')
    }
    check(tx)
    const entry = { tx, hash, key }
    this.txs.set(key, entry)
    this.totalBytes += tx.length
    return entry
  }

  /** The oldest transactions that fit in `maxTxs` and `maxBytes` (a too-large one is skipped). */
  reap(maxTxs: number, maxBytes: number): MempoolTx[] {
    const out: MempoolTx[] = []
    let bytes = 0
    for (const entry of this.txs.values()) {
      if (out.length >= maxTxs) break
      if (bytes + entry.tx.length > maxBytes) continue
      out.push(entry)
      bytes += entry.tx.length
    }
    return out
  }

  /** Remove the transactions with these hashes (hex); unknown ones are ignored. */
  remove(keys: Iterable<string>): void {
    for (const key of keys) {
      const entry = this.txs.get(key)
      if (entry === undefined) continue
      this.txs.delete(key)
      this.totalBytes -= entry.tx.length
    }
  }

  /** Keep only the transactions `keep` accepts (called after a commit with `checkTx` on the new state). */
  recheck(keep: (tx: Uint8Array) => boolean): number {
    let dropped = 0
    for (const [key, entry] of this.txs) {
      if (!keep(entry.tx)) {
        this.txs.delete(key)
        this.totalBytes -= entry.tx.length
        dropped++
      }
    }
    return dropped
  }
}
