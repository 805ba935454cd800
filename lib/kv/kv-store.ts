/**
 * The key/value storage port of the consensus runtime: blocks, certificates, the write-ahead
 * record of signed votes and ledger state snapshots all go through it. It is deliberately small
 * (STYLE.md habit 2): point reads, atomic durable batches, ordered range reads, close.
 *
 * Keys and values are bytes. Keys compare as unsigned bytes, lexicographically, a prefix before
 * every longer key that starts with it (`[] < [0x00] < [0x00, 0x00] < [0x01] < [0xff]`): the
 * order of SQLite BLOBs (memcmp), PostgreSQL `bytea` and IndexedDB binary keys alike, so a
 * caller can lay out big-endian heights and prefixes and get the same range answers everywhere.
 *
 * Adapters: lib/adapters/memory-kv-store.ts, idb-kv-store.ts, sqlite-kv-store.ts,
 * pg-kv-store.ts, all checked by the one contract suite in kv-store-contract.ts. The argument
 * checks below are shared by every adapter, so they all refuse the same inputs with the same
 * error, before touching storage.
 */

/**
 * Longest key, in bytes. PostgreSQL refuses B-tree index entries past about 2.7 KB (a third of a
 * page), and a key that long is a layout mistake anyway: 1 KiB leaves room for any prefix plus
 * hash the runtime uses.
 */
export const MAX_KEY_BYTES = 1024

/**
 * Longest range bound, in bytes: one more than a key, so that {@link keyAfter} of any key is a
 * valid bound. Bounds are only compared, never stored.
 */
export const MAX_BOUND_BYTES = MAX_KEY_BYTES + 1

/**
 * Largest value, in bytes (16 MiB). Blocks and snapshots larger than this are meant to be split
 * by the caller: every adapter holds a whole value in memory, and pg sends it hex-encoded.
 */
export const MAX_VALUE_BYTES = 16 * 1024 * 1024

/**
 * Largest batch, in bytes of keys plus values (64 MiB): one IndexedDB transaction or one
 * PostgreSQL statement holds the whole batch in memory (twice that for pg's hex encoding, still
 * far under PostgreSQL's 1 GiB message limit).
 */
export const MAX_BATCH_BYTES = 64 * 1024 * 1024

/** The options every call takes. */
export interface KvCallOptions {
  /**
   * Abort the call. Every adapter checks it before the call's work starts; some also give up
   * later when that is cheap (between IndexedDB cursor steps, before a PostgreSQL commit). A
   * batch is never half-applied: an aborted batch either rejected with the signal's reason and
   * wrote nothing, or resolved and is durable.
   */
  signal?: AbortSignal
}

/** One write of a {@link KvStore.batch}: set `key` to `value`, or delete `key` (absent is fine). */
export type KvOp =
  { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array }

/** A stored key and its value, as {@link KvStore.range} returns them. */
export type KvEntry = [key: Uint8Array, value: Uint8Array]

/**
 * The keys {@link KvStore.range} reads: `gte <= key < lt`, both bounds optional. A half-open
 * interval, so consecutive ranges tile the key space without overlap; see {@link prefixRange}
 * and {@link keyAfter} to build bounds.
 */
export interface KvRangeQuery {
  /** Smallest key included; from the first key when absent. */
  gte?: Uint8Array
  /** First key excluded; to the last key when absent. Must not be below `gte`. */
  lt?: Uint8Array
  /** Descending key order (from the top of the range) instead of ascending. Default false. */
  reverse?: boolean
  /** At most this many entries (a safe integer, 0 allowed). Default: every entry in range. */
  limit?: number
}

/**
 * Durable, ordered key/value storage over bytes. Every method validates its arguments first and
 * rejects with {@link InvalidKvArgumentError} (or the more precise {@link KvKeyTooLongError},
 * {@link KvValueTooLargeError}, {@link KvBatchTooLargeError}, {@link KvBadRangeError});
 * every method rejects with {@link KvStoreClosedError} after {@link KvStore.close}, with the
 * signal's reason when the signal is aborted, and with {@link KvStoreError} when the storage
 * fails. Bytes are copied in and out: a caller may keep or change what it passed or received.
 *
 * Several handles may be open on the same storage (two tabs, two connections): a batch is
 * atomic for every reader, and each read sees one consistent state.
 *
 * @example
 * ```ts
 * await store.batch([
 *   { type: 'put', key: blockKey(height), value: blockBytes },
 *   { type: 'del', key: voteKey(height - 1) },
 * ])
 * const votes = await store.range({ ...prefixRange(VOTE_PREFIX), reverse: true, limit: 10 })
 * ```
 */
export interface KvStore {
  /** The value stored at `key`, or undefined when the key is absent. */
  get(key: Uint8Array, options?: KvCallOptions): Promise<Uint8Array | undefined>
  /**
   * Apply the puts and deletes in order, atomically: readers see all of them or none. Resolves
   * only once durable (SQLite fsync, IndexedDB 'strict' durability, PostgreSQL synchronous
   * commit). Several ops on one key leave the last one's effect. An empty batch does nothing.
   * A {@link KvStoreError} leaves the outcome unknown (e.g. the connection dropped during the
   * commit): read back what matters.
   */
  batch(ops: readonly KvOp[], options?: KvCallOptions): Promise<void>
  /**
   * The entries with `gte <= key < lt`, in ascending key order (descending with `reverse`), at
   * most `limit` of them, read from one consistent state. A promise of an array rather than an
   * async iterator: no adapter holds a transaction or cursor open between calls (IndexedDB
   * transactions cannot outlive a task), so a caller pages with `limit` and {@link keyAfter}
   * (forward) or the last key as `lt` (reverse); {@link scanKv} does exactly that.
   */
  range(query?: KvRangeQuery, options?: KvCallOptions): Promise<KvEntry[]>
  /**
   * Release the handle's connections. Idempotent; waits for calls already running, which
   * complete normally. Every later call rejects with {@link KvStoreClosedError}.
   */
  close(): Promise<void>
}

/** The serialisable form a KV error takes when it crosses a worker or the network. */
export interface SerializedKvError {
  name: string
  code: string
  message: string
}

/**
 * Base class of every KV store error. `name` and `code` are spelled out in each class rather
 * than taken from the constructor, so they survive minification.
 */
export abstract class KvError extends Error {
  /** Stable identifier of the failure, for matching across workers and the network. */
  abstract readonly code: string

  /** The `{ name, code, message }` form, so `JSON.stringify` and logs keep the identity. */
  toJSON(): SerializedKvError {
    return { name: this.name, code: this.code, message: this.message }
  }
}

/** A KV store method was called with an argument it does not accept; nothing was read or written. */
export class InvalidKvArgumentError extends KvError {
  override readonly name = 'InvalidKvArgumentError'
  readonly code = 'ERR_KV_INVALID_ARGUMENT'

  /**
   * @param method - the method called (`batch`, `range`, `openSqliteKvStore`, …)
   * @param argument - path of the offending argument (`ops[3].value`)
   * @param reason - what is wrong with it
   */
  constructor(
    readonly method: string,
    readonly argument: string,
    reason: string,
  ) {
    super(`KvStore.${method}: ${argument} ${reason}.`)
  }
}

/** A key (or range bound) is longer than {@link MAX_KEY_BYTES} ({@link MAX_BOUND_BYTES}). */
export class KvKeyTooLongError extends KvError {
  override readonly name = 'KvKeyTooLongError'
  readonly code = 'ERR_KV_KEY_TOO_LONG'

  /**
   * @param method - the method called
   * @param argument - path of the key (`ops[0].key`, `query.gte`)
   * @param length - its length in bytes
   * @param max - the longest allowed
   */
  constructor(
    readonly method: string,
    readonly argument: string,
    readonly length: number,
    readonly max: number,
  ) {
    super(
      `KvStore.${method}: ${argument} is ${length} bytes, longer than ${max}. Use a shorter key.`,
    )
  }
}

/** A value is larger than {@link MAX_VALUE_BYTES}; split it across several keys. */
export class KvValueTooLargeError extends KvError {
  override readonly name = 'KvValueTooLargeError'
  readonly code = 'ERR_KV_VALUE_TOO_LARGE'

  /**
   * @param method - the method called
   * @param argument - path of the value (`ops[2].value`)
   * @param length - its length in bytes
   */
  constructor(
    readonly method: string,
    readonly argument: string,
    readonly length: number,
  ) {
    super(
      `KvStore.${method}: ${argument} is ${length} bytes, larger than ${MAX_VALUE_BYTES}. Split it across keys.`,
    )
  }
}

/** A batch's keys and values add up to more than {@link MAX_BATCH_BYTES}; split the batch. */
export class KvBatchTooLargeError extends KvError {
  override readonly name = 'KvBatchTooLargeError'
  readonly code = 'ERR_KV_BATCH_TOO_LARGE'

  /** @param bytes - the batch's size so far when it was refused (keys plus values) */
  constructor(readonly bytes: number) {
    super(
      `KvStore.batch: the batch holds more than ${MAX_BATCH_BYTES} bytes (${bytes} so far). Split it.`,
    )
  }
}

/** A range query whose lower bound `gte` is above its upper bound `lt`. */
export class KvBadRangeError extends KvError {
  override readonly name = 'KvBadRangeError'
  readonly code = 'ERR_KV_BAD_RANGE'

  /** @param method - the method called (`range`, `scanKv`) */
  constructor(readonly method: string) {
    super(
      `KvStore.${method}: query.gte is above query.lt. Swap them, and set reverse for descending order.`,
    )
  }
}

/** A KV store was used after {@link KvStore.close}. */
export class KvStoreClosedError extends KvError {
  override readonly name = 'KvStoreClosedError'
  readonly code = 'ERR_KV_STORE_CLOSED'

  /** @param method - the method called */
  constructor(readonly method: string) {
    super(`KvStore.${method}: the store is closed; open it again.`)
  }
}

/**
 * The storage behind a KV store failed (I/O, lost connection, busy past the timeout, quota,
 * stored data of the wrong shape). The underlying error is the `cause`.
 */
export class KvStoreError extends KvError {
  override readonly name = 'KvStoreError'
  readonly code = 'ERR_KV_STORE'

  /**
   * @param operation - what the store was doing (`batch`, `open`, …)
   * @param cause - the underlying error
   */
  constructor(
    readonly operation: string,
    cause?: unknown,
  ) {
    super(
      `The key/value store failed during ${operation}: ${cause instanceof Error ? cause.message : String(cause)}.`,
      { cause },
    )
  }
}

/**
 * Compare two keys as unsigned bytes, a prefix first: negative if `a < b`, 0 if equal, positive
 * if `a > b`. The order every adapter stores keys in.
 */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number)
    if (d !== 0) return d
  }
  return a.length - b.length
}

/**
 * The smallest key above `key`: `key` followed by a 0x00 byte. Use it as `gte` to read on past
 * the last key of a page.
 *
 * @example
 * ```ts
 * const next = await store.range({ gte: keyAfter(page.at(-1)![0]), lt, limit: 100 })
 * ```
 */
export function keyAfter(key: Uint8Array): Uint8Array {
  assertBytes('keyAfter', 'key', key)
  const out = new Uint8Array(key.length + 1)
  out.set(key)
  return out
}

/**
 * The range of every key that starts with `prefix`: `gte` the prefix, `lt` the first key past
 * all of them (the prefix with trailing 0xff bytes dropped and its last byte incremented), or no
 * `lt` when there is none (an empty or all-0xff prefix runs to the end of the key space).
 *
 * @example
 * ```ts
 * prefixRange(new Uint8Array([0x02, 0xff])) // { gte: [0x02, 0xff], lt: [0x03] }
 * ```
 */
export function prefixRange(prefix: Uint8Array): { gte: Uint8Array; lt?: Uint8Array } {
  assertBytes('prefixRange', 'prefix', prefix)
  let end = prefix.length
  while (end > 0 && prefix[end - 1] === 0xff) end--
  if (end === 0) return { gte: prefix.slice() }
  const lt = prefix.slice(0, end)
  lt[end - 1] = (lt[end - 1] as number) + 1
  return { gte: prefix.slice(), lt }
}

/** Options of {@link scanKv}. */
export interface ScanKvOptions extends KvCallOptions {
  /** Entries read per {@link KvStore.range} call. Default 256. */
  pageSize?: number
}

/**
 * Every entry of a range, page by page, as an async iterator: one {@link KvStore.range} call per
 * `pageSize` entries, so no transaction stays open while the caller works on an entry. Pages are
 * read at different times, so a concurrent batch may land between two of them (each entry is
 * still read once, in order).
 *
 * @example
 * ```ts
 * for await (const [key, vote] of scanKv(store, prefixRange(VOTE_PREFIX))) replay(key, vote)
 * ```
 */
export async function* scanKv(
  store: KvStore,
  query: KvRangeQuery = {},
  options: ScanKvOptions = {},
): AsyncGenerator<KvEntry, void, undefined> {
  assertRangeQuery('scanKv', query)
  assertCallOptions('scanKv', options)
  const pageSize = options.pageSize ?? 256
  assertLimit('scanKv', 'options.pageSize', pageSize, 1)
  const { signal } = options
  let { gte, lt } = query
  let left = query.limit ?? Infinity
  while (left > 0) {
    const limit = Math.min(pageSize, left)
    const page = await store.range({ gte, lt, reverse: query.reverse, limit }, { signal })
    for (const entry of page) yield entry
    const last = page[page.length - 1]
    if (page.length < limit || last === undefined) return
    left -= page.length
    if (query.reverse === true) lt = last[0]
    else gte = keyAfter(last[0])
  }
}

function assertBytes(
  method: string,
  argument: string,
  value: unknown,
): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new InvalidKvArgumentError(method, argument, 'must be a Uint8Array')
  }
}

function assertLimit(method: string, argument: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidKvArgumentError(
      method,
      argument,
      `must be a safe integer of at least ${min}, got ${String(value)}`,
    )
  }
}

/**
 * Check that `key` is a Uint8Array of at most {@link MAX_KEY_BYTES} bytes (empty is a key).
 *
 * @throws {@link InvalidKvArgumentError} or {@link KvKeyTooLongError}
 */
export function assertKvKey(
  method: string,
  argument: string,
  key: unknown,
): asserts key is Uint8Array {
  assertBytes(method, argument, key)
  if (key.length > MAX_KEY_BYTES) {
    throw new KvKeyTooLongError(method, argument, key.length, MAX_KEY_BYTES)
  }
}

/**
 * Check the options of a call: absent, or an object whose `signal`, if any, is an AbortSignal.
 *
 * @throws {@link InvalidKvArgumentError}
 */
export function assertCallOptions(method: string, options: unknown): void {
  if (options === undefined) return
  if (typeof options !== 'object' || options === null) {
    throw new InvalidKvArgumentError(method, 'options', 'must be an object')
  }
  const { signal } = options as KvCallOptions
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidKvArgumentError(method, 'options.signal', 'must be an AbortSignal')
  }
}

/**
 * Check the argument of {@link KvStore.batch}: an array of put and del ops with valid keys,
 * values of at most {@link MAX_VALUE_BYTES}, and at most {@link MAX_BATCH_BYTES} in all. The
 * whole batch is checked before any adapter writes, which is what makes a batch with one bad op
 * change nothing.
 *
 * @throws {@link InvalidKvArgumentError}, {@link KvKeyTooLongError},
 * {@link KvValueTooLargeError} or {@link KvBatchTooLargeError}
 */
export function assertKvOps(ops: unknown): asserts ops is readonly KvOp[] {
  if (!Array.isArray(ops)) throw new InvalidKvArgumentError('batch', 'ops', 'must be an array')
  let bytes = 0
  for (let i = 0; i < ops.length; i++) {
    const op: unknown = ops[i]
    const at = `ops[${i}]`
    if (typeof op !== 'object' || op === null) {
      throw new InvalidKvArgumentError('batch', at, 'must be a { type, key, value? } object')
    }
    const { type, key, value } = op as { type?: unknown; key?: unknown; value?: unknown }
    if (type !== 'put' && type !== 'del') {
      throw new InvalidKvArgumentError('batch', `${at}.type`, "must be 'put' or 'del'")
    }
    assertKvKey('batch', `${at}.key`, key)
    bytes += key.length
    if (type === 'put') {
      assertBytes('batch', `${at}.value`, value)
      if (value.length > MAX_VALUE_BYTES) {
        throw new KvValueTooLargeError('batch', `${at}.value`, value.length)
      }
      bytes += value.length
    }
    if (bytes > MAX_BATCH_BYTES) throw new KvBatchTooLargeError(bytes)
  }
}

/**
 * Check the argument of {@link KvStore.range}: bounds of at most {@link MAX_BOUND_BYTES} bytes
 * with `gte <= lt`, a boolean `reverse`, a non-negative safe integer `limit`.
 *
 * @throws {@link InvalidKvArgumentError}, {@link KvKeyTooLongError} or {@link KvBadRangeError}
 */
export function assertRangeQuery(method: string, query: unknown): asserts query is KvRangeQuery {
  if (query === undefined) return
  if (typeof query !== 'object' || query === null) {
    throw new InvalidKvArgumentError(method, 'query', 'must be an object')
  }
  const { gte, lt, reverse, limit } = query as Record<string, unknown>
  for (const [argument, bound] of [
    ['query.gte', gte],
    ['query.lt', lt],
  ] as const) {
    if (bound === undefined) continue
    assertBytes(method, argument, bound)
    if (bound.length > MAX_BOUND_BYTES) {
      throw new KvKeyTooLongError(method, argument, bound.length, MAX_BOUND_BYTES)
    }
  }
  if (reverse !== undefined && typeof reverse !== 'boolean') {
    throw new InvalidKvArgumentError(method, 'query.reverse', 'must be a boolean')
  }
  if (limit !== undefined) assertLimit(method, 'query.limit', limit, 0)
  if (gte !== undefined && lt !== undefined) {
    // A reversed range is nearly always a caller's bug (bounds swapped for a reverse read);
    // answering [] would hide it.
    if (compareKeys(gte as Uint8Array, lt as Uint8Array) > 0) throw new KvBadRangeError(method)
  }
}

/**
 * True when a checked query cannot match anything (`limit` 0, `gte` equal to `lt`, or an empty
 * `lt`: no key is below the empty key), so an adapter can answer [] without asking storage
 * (IndexedDB refuses such a key range).
 */
export function isEmptyRange(query: KvRangeQuery): boolean {
  if (query.limit === 0 || query.lt?.length === 0) return true
  return query.gte !== undefined && query.lt !== undefined && compareKeys(query.gte, query.lt) >= 0
}
