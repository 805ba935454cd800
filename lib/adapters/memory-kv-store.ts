import {
  KvStoreClosedError,
  assertCallOptions,
  assertKvKey,
  assertKvOps,
  assertRangeQuery,
  compareKeys,
  isEmptyRange,
  type KvCallOptions,
  type KvEntry,
  type KvStore,
} from '../kv/kv-store'

/**
 * The data of an in-memory key/value store: what a disk would keep. Hand the same state to a
 * second {@link createMemoryKvStore} to model a restart, or to two stores to model two handles
 * on one database. Its members belong to the memory adapter.
 */
export class MemoryKvState {
  /** @internal Sorted by {@link compareKeys}, one entry per key; never shared with callers. */
  readonly entries: KvEntry[] = []
}

/** Index of the first entry whose key is not below `key` (entries.length if none). */
function lowerBound(entries: readonly KvEntry[], key: Uint8Array): number {
  let lo = 0
  let hi = entries.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compareKeys((entries[mid] as KvEntry)[0], key) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * A {@link KvStore} in memory, for unit tests and the simulator. Every call does its work
 * synchronously before its promise settles, so batches are atomic and serialised exactly as a
 * database would have them. Bytes are copied in and out: callers can never change what is
 * stored. Nothing is durable beyond the `state` object.
 *
 * @param state - the data to serve; a fresh empty store by default
 * @example
 * ```ts
 * const disk = new MemoryKvState()
 * const store = createMemoryKvStore(disk)
 * await store.close()
 * const reopened = createMemoryKvStore(disk) // same data
 * ```
 */
export function createMemoryKvStore(state: MemoryKvState = new MemoryKvState()): KvStore {
  let closed = false
  const { entries } = state

  function enter(method: string, options: KvCallOptions | undefined): void {
    if (closed) throw new KvStoreClosedError(method)
    options?.signal?.throwIfAborted()
  }

  return {
    async get(key, options) {
      assertKvKey('get', 'key', key)
      assertCallOptions('get', options)
      enter('get', options)
      const entry = entries[lowerBound(entries, key)]
      return entry !== undefined && compareKeys(entry[0], key) === 0 ? entry[1].slice() : undefined
    },

    async batch(ops, options) {
      // Every op is checked before the first write, so a refused batch leaves no trace.
      assertKvOps(ops)
      assertCallOptions('batch', options)
      enter('batch', options)
      for (const op of ops) {
        const at = lowerBound(entries, op.key)
        const entry = entries[at]
        const present = entry !== undefined && compareKeys(entry[0], op.key) === 0
        if (op.type === 'del') {
          if (present) entries.splice(at, 1)
        } else if (present) {
          entry[1] = op.value.slice()
        } else {
          entries.splice(at, 0, [op.key.slice(), op.value.slice()])
        }
      }
    },

    async range(query = {}, options) {
      assertRangeQuery('range', query)
      assertCallOptions('range', options)
      enter('range', options)
      if (isEmptyRange(query)) return []
      const lo = query.gte === undefined ? 0 : lowerBound(entries, query.gte)
      const hi = query.lt === undefined ? entries.length : lowerBound(entries, query.lt)
      const count = Math.min(Math.max(hi - lo, 0), query.limit ?? Infinity)
      const out: KvEntry[] = []
      for (let n = 0; n < count; n++) {
        const [key, value] = entries[query.reverse === true ? hi - 1 - n : lo + n] as KvEntry
        out.push([key.slice(), value.slice()])
      }
      return out
    },

    async close() {
      closed = true
    },
  }
}
