import { openDB, type IDBPDatabase } from 'idb'
import {
  InvalidKvArgumentError,
  KvError,
  KvStoreClosedError,
  KvStoreError,
  assertCallOptions,
  assertKvKey,
  assertKvOps,
  assertRangeQuery,
  isEmptyRange,
  type KvCallOptions,
  type KvEntry,
  type KvOp,
  type KvRangeQuery,
  type KvStore,
} from '../kv/kv-store'

/** How many times opening retries when another tab upgraded the database at the same moment. */
const UPGRADE_ATTEMPTS = 5

/**
 * Open a key/value store kept in the object store `storeName` of the IndexedDB database
 * `dbName`, creating either if absent. Keys are stored as binary (ArrayBuffer) keys, which
 * IndexedDB compares bytewise, a prefix first: the port's order. Values are stored as
 * ArrayBuffers. Batches are `readwrite` transactions with `durability: 'strict'`, so a batch
 * resolves only once the browser has flushed it to disk.
 *
 * Several stores may share one database (one object store each): opening a new one upgrades
 * the database, and the other handles of this adapter, in this tab or another, close their
 * connection for the upgrade and reconnect on their next call. Other code holding the same
 * database open without closing on `versionchange` would block that upgrade; give the KV
 * stores a database of their own. If the database is deleted or the browser clears its storage
 * while a handle is open, every later call on that handle rejects with {@link KvStoreError}
 * rather than start over empty: open the store again to accept the loss.
 *
 * @param dbName - the IndexedDB database
 * @param storeName - the object store in it; default `kv`
 * @throws {@link InvalidKvArgumentError} for an empty name
 * @throws {@link KvStoreError} when IndexedDB is unavailable or refuses to open
 * @example
 * ```ts
 * const blocks = await openIdbKvStore(`hypermesh-consensus-${slot}`, 'blocks')
 * ```
 */
export async function openIdbKvStore(dbName: string, storeName = 'kv'): Promise<KvStore> {
  if (typeof dbName !== 'string' || dbName.length === 0) {
    throw new InvalidKvArgumentError('openIdbKvStore', 'dbName', 'must be a non-empty string')
  }
  if (typeof storeName !== 'string' || storeName.length === 0) {
    throw new InvalidKvArgumentError('openIdbKvStore', 'storeName', 'must be a non-empty string')
  }
  const store = new IdbKvStore(dbName, storeName)
  try {
    await store.connect()
  } catch (err) {
    throw new KvStoreError('open', err)
  }
  return store
}

/** Open `dbName` with `storeName` in it, upgrading the database when the store is missing. */
async function connectDb(dbName: string, storeName: string): Promise<IDBPDatabase> {
  for (let attempt = 1; ; attempt++) {
    // Without a version: the current one, whatever stores it has (a new database is empty).
    const db = await openDB(dbName)
    if (db.objectStoreNames.contains(storeName)) return db
    const version = db.version + 1
    db.close()
    try {
      return await openDB(dbName, version, {
        upgrade(database) {
          if (!database.objectStoreNames.contains(storeName)) database.createObjectStore(storeName)
        },
      })
    } catch (err) {
      // Another opener took version + 1 first (VersionError): look again at what it created.
      if ((err as { name?: unknown } | null)?.name !== 'VersionError') throw err
      if (attempt >= UPGRADE_ATTEMPTS) throw err
    }
  }
}

/** The key as IndexedDB takes it: an ArrayBuffer of exactly the key's bytes. */
function toIdbKey(key: Uint8Array): ArrayBuffer {
  return key.slice().buffer
}

/** Bytes read back from IndexedDB. Keys are copied: no engine promises a fresh key object. */
function fromIdbKey(key: IDBValidKey): Uint8Array {
  if (!(key instanceof ArrayBuffer)) throw new Error('the object store holds a non-binary key')
  return new Uint8Array(key.slice(0))
}

/** A value read back: structured clone made it a fresh ArrayBuffer for this read. */
function fromIdbValue(value: unknown): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value)
  throw new Error('the object store holds a value that is not an ArrayBuffer')
}

/** Every binary key lies at or above the empty one; other key types sort elsewhere. */
const EMPTY_KEY = new ArrayBuffer(0)

function toKeyRange(query: KvRangeQuery): IDBKeyRange {
  const lower = query.gte === undefined ? EMPTY_KEY : toIdbKey(query.gte)
  return query.lt === undefined
    ? IDBKeyRange.lowerBound(lower)
    : IDBKeyRange.bound(lower, toIdbKey(query.lt), false, true)
}

class IdbKvStore implements KvStore {
  private closed = false
  private db: IDBPDatabase | undefined
  private connecting: Promise<IDBPDatabase> | undefined
  /** Why this handle can no longer be used, once its data went away under it. */
  private lost: string | undefined
  private ending: Promise<void> | undefined
  private readonly running = new Set<Promise<unknown>>()

  constructor(
    private readonly dbName: string,
    private readonly storeName: string,
  ) {}

  /**
   * The open connection, or a new one (after an upgrade by another handle closed ours).
   * Rejects for good once the database was deleted or its storage cleared under this handle.
   */
  connect(): Promise<IDBPDatabase> {
    if (this.lost !== undefined) return Promise.reject(new Error(this.lost))
    if (this.db !== undefined) return Promise.resolve(this.db)
    this.connecting ??= connectDb(this.dbName, this.storeName).then(
      (db) => {
        this.connecting = undefined
        const forget = (): void => {
          if (this.db === db) this.db = undefined
        }
        db.addEventListener('versionchange', (event) => {
          // Transactions already running on this connection still complete.
          db.close()
          forget()
          // Another handle adding its object store: reconnect when next needed. A deletion
          // instead: reconnecting would silently start over with an empty store, and the
          // runtime must not forget what it stored (a vote it signed, a block it committed).
          if (event.newVersion === null) this.lost = 'the database was deleted'
        })
        // The browser closed the connection itself: storage cleared, disk error. Same reason.
        db.addEventListener('close', () => {
          forget()
          this.lost = 'the browser closed the database (storage cleared or failing)'
        })
        this.db = db
        return db
      },
      (err: unknown) => {
        this.connecting = undefined
        throw err
      },
    )
    return this.connecting
  }

  /** Run one call, tracked so close() can wait for it; IndexedDB failures become KvStoreError. */
  private run<T>(
    method: string,
    options: KvCallOptions | undefined,
    work: (db: IDBPDatabase) => Promise<T>,
  ): Promise<T> {
    if (this.closed) return Promise.reject(new KvStoreClosedError(method))
    const signal = options?.signal
    if (signal?.aborted === true) return Promise.reject(signal.reason)
    const call = (async () => {
      const db = await this.connect()
      signal?.throwIfAborted()
      return await work(db)
    })().catch((err: unknown) => {
      if (err instanceof KvError || (signal?.aborted === true && err === signal.reason)) throw err
      throw new KvStoreError(method, err)
    })
    this.running.add(call)
    const forget = (): void => {
      this.running.delete(call)
    }
    call.then(forget, forget)
    return call
  }

  async get(key: Uint8Array, options?: KvCallOptions): Promise<Uint8Array | undefined> {
    assertKvKey('get', 'key', key)
    assertCallOptions('get', options)
    return this.run('get', options, async (db) => {
      const value: unknown = await db.get(this.storeName, toIdbKey(key))
      return value === undefined ? undefined : fromIdbValue(value)
    })
  }

  async batch(ops: readonly KvOp[], options?: KvCallOptions): Promise<void> {
    assertKvOps(ops)
    assertCallOptions('batch', options)
    const signal = options?.signal
    return this.run('batch', options, async (db) => {
      if (ops.length === 0) return
      const tx = db.transaction(this.storeName, 'readwrite', { durability: 'strict' })
      // Requests run in the order they are made, so the last op on a key wins. Values are
      // sliced: structured clone would otherwise store the whole buffer behind a view.
      const requests: Promise<unknown>[] = ops.map((op) =>
        op.type === 'put'
          ? tx.store.put(op.value.slice().buffer, toIdbKey(op.key))
          : tx.store.delete(toIdbKey(op.key)),
      )
      // Aborting the transaction is cheap and undoes every request: nothing of the batch lands.
      // Once it is committing or done, abort() throws and the batch completes as if unaborted.
      const onAbort = (): void => {
        try {
          tx.abort()
        } catch {
          // already committing or finished
        }
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      try {
        // Every request promise rejects when the transaction aborts: await them all.
        await Promise.all([...requests, tx.done])
      } catch (err) {
        if (signal?.aborted === true) throw signal.reason
        throw err
      } finally {
        signal?.removeEventListener('abort', onAbort)
      }
    })
  }

  async range(query: KvRangeQuery = {}, options?: KvCallOptions): Promise<KvEntry[]> {
    assertRangeQuery('range', query)
    assertCallOptions('range', options)
    const signal = options?.signal
    return this.run('range', options, async (db) => {
      if (isEmptyRange(query)) return []
      const tx = db.transaction(this.storeName, 'readonly')
      const keyRange = toKeyRange(query)
      if (query.reverse !== true) {
        // Two bulk reads in one transaction see one snapshot, and are far faster than a cursor.
        // A limit of 0 means "all" to IndexedDB; isEmptyRange answered that case above.
        const [keys, values] = await Promise.all([
          tx.store.getAllKeys(keyRange, query.limit),
          tx.store.getAll(keyRange, query.limit),
          tx.done,
        ])
        if (keys.length !== values.length) throw new Error('keys and values of one read differ')
        return keys.map((key, i): KvEntry => [fromIdbKey(key), fromIdbValue(values[i])])
      }
      // getAll has no direction: a reverse read walks a cursor, which can stop on abort.
      const limit = query.limit ?? Infinity
      const out: KvEntry[] = []
      try {
        let cursor = await tx.store.openCursor(keyRange, 'prev')
        while (cursor !== null && out.length < limit) {
          out.push([fromIdbKey(cursor.key), fromIdbValue(cursor.value)])
          if (out.length >= limit) break
          signal?.throwIfAborted()
          cursor = await cursor.continue()
        }
      } catch (err) {
        try {
          tx.abort()
        } catch {
          // the transaction already failed on its own
        }
        await tx.done.catch(() => undefined)
        throw err
      }
      await tx.done
      return out
    })
  }

  async close(): Promise<void> {
    this.closed = true
    this.ending ??= (async () => {
      await Promise.allSettled([...this.running])
      this.db?.close()
      this.db = undefined
    })()
    return this.ending
  }
}
