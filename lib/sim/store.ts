/**
 * The per-node durable store of the simulator: key/value with an explicit `sync()`, like a file
 * with fsync or an IndexedDB transaction that has not committed yet. Writes go to a pending layer
 * and become durable on `sync()`; a crash can drop what is still pending — all of it, none of it,
 * or a random tail of it (writes reach the disk in order, the crash cuts the sequence somewhere).
 * A protocol that acts on a write before syncing it is caught by a crash that loses it.
 */
import type { SimRandom } from './random'

/** What a crash does to writes not yet synced. */
export type CrashLoss = 'none' | 'all' | 'some'

/** Key/value storage of one simulated node. Keys are strings, values bytes (copied on `put`). */
export interface SimStore {
  /** The latest value written under `key` (synced or not), or `undefined`. */
  get(key: string): Uint8Array | undefined
  /** Writes `value` under `key`; durable after the next `sync()`. */
  put(key: string, value: Uint8Array): void
  /** Removes `key`; durable after the next `sync()`. */
  delete(key: string): void
  /** Keys starting with `prefix` (all keys by default), sorted. */
  keys(prefix?: string): string[]
  /** Makes every pending write durable. */
  sync(): void
}

const TOMBSTONE = null

/**
 * In-memory SimStore with a durable layer and an ordered pending layer.
 *
 * @example
 * const store = new MemorySimStore()
 * store.put('vote/7', bytes)
 * store.crash('all') // the vote is gone: it was never synced
 */
export class MemorySimStore implements SimStore {
  private readonly durable = new Map<string, Uint8Array>()
  /** Pending writes in the order they were last written; `null` marks a delete. */
  private readonly pending = new Map<string, Uint8Array | null>()
  private syncs = 0

  get(key: string): Uint8Array | undefined {
    const p = this.pending.get(key)
    if (p !== undefined) return p === TOMBSTONE ? undefined : p
    return this.durable.get(key)
  }

  put(key: string, value: Uint8Array): void {
    // Re-inserting moves the key to the end, so the pending order is the order of last writes.
    this.pending.delete(key)
    this.pending.set(key, value.slice())
  }

  delete(key: string): void {
    this.pending.delete(key)
    this.pending.set(key, TOMBSTONE)
  }

  keys(prefix = ''): string[] {
    const out: string[] = []
    for (const k of this.durable.keys()) {
      if (k.startsWith(prefix) && !this.pending.has(k)) out.push(k)
    }
    for (const [k, v] of this.pending) {
      if (v !== TOMBSTONE && k.startsWith(prefix)) out.push(k)
    }
    return out.sort()
  }

  sync(): void {
    this.syncs++
    this.flush(this.pending.size)
  }

  /** Number of writes not yet synced. */
  get unsynced(): number {
    return this.pending.size
  }

  /** Number of `sync()` calls so far (for metrics). */
  get syncCount(): number {
    return this.syncs
  }

  /**
   * Simulates a crash: pending writes survive (`'none'` lost), vanish (`'all'`), or survive up to
   * a random point in write order (`'some'`, which needs `random`).
   */
  crash(loss: CrashLoss, random?: SimRandom): void {
    if (loss === 'none') this.flush(this.pending.size)
    else if (loss === 'all') this.pending.clear()
    else {
      if (random === undefined) throw new RangeError('MemorySimStore.crash: "some" needs a random')
      this.flush(random.int(this.pending.size + 1))
    }
    this.pending.clear()
  }

  private flush(count: number): void {
    let i = 0
    for (const [k, v] of this.pending) {
      if (i++ >= count) break
      if (v === TOMBSTONE) this.durable.delete(k)
      else this.durable.set(k, v)
    }
    if (count >= this.pending.size) this.pending.clear()
  }
}
