import { DatabaseSync, type StatementSync } from 'node:sqlite'
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

/**
 * How long a connection waits for another one's write lock before failing, in ms. Batches hold
 * the lock for the time of one fsync, so this only runs out when a writer is stuck. The wait
 * blocks the event loop (node:sqlite is synchronous), which is why it stays short.
 */
const BUSY_TIMEOUT_MS = 5_000

// BLOB keys compare with memcmp, then by length: unsigned bytes, a prefix first, the port's
// order. WITHOUT ROWID keeps the rows in the key's own B-tree, so a range read is one index walk.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
`

/**
 * Open (creating if needed) a key/value store in the SQLite file at `path`, with `node:sqlite`.
 * The file is in WAL mode with `synchronous=FULL`, so a batch that resolved is on disk (the WAL
 * is fsync'd at every commit), and readers never wait for the writer. Several connections, in
 * one process or several, may share the file: each batch is one `BEGIN IMMEDIATE` transaction.
 *
 * Calls run synchronously on the calling thread (node:sqlite has no async API): a large range
 * read blocks the event loop while it runs, so page with `limit` when that matters.
 *
 * @param path - the database file (`:memory:` for a private, non-durable store)
 * @throws {@link InvalidKvArgumentError} for a path that is not a non-empty string
 * @throws {@link KvStoreError} when the file cannot be opened or initialised
 * @example
 * ```ts
 * const store = await openSqliteKvStore(join(dataDir, 'consensus.sqlite'))
 * ```
 */
export async function openSqliteKvStore(path: string): Promise<KvStore> {
  if (typeof path !== 'string' || path.length === 0) {
    throw new InvalidKvArgumentError('openSqliteKvStore', 'path', 'must be a non-empty string')
  }
  let db: DatabaseSync
  try {
    db = new DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS })
  } catch (err) {
    throw new KvStoreError('open', err)
  }
  try {
    db.exec('PRAGMA journal_mode = WAL')
    db.exec('PRAGMA synchronous = FULL')
    db.exec(SCHEMA)
  } catch (err) {
    db.close()
    throw new KvStoreError('open', err)
  }
  return new SqliteKvStore(db)
}

class SqliteKvStore implements KvStore {
  private closed = false
  private readonly selectValue: StatementSync
  private readonly upsert: StatementSync
  private readonly delete: StatementSync
  /** One statement per query shape (which bounds, which direction), prepared when first used. */
  private readonly ranges = new Map<string, StatementSync>()

  constructor(private readonly db: DatabaseSync) {
    this.selectValue = db.prepare('SELECT value FROM kv WHERE key = ?')
    this.upsert = db.prepare(
      'INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    )
    this.delete = db.prepare('DELETE FROM kv WHERE key = ?')
  }

  /**
   * Run one call's work. node:sqlite is synchronous, so the work runs to its end before any
   * other call starts: no interleaving within this connection to guard against, and nothing
   * left running when close() is called.
   */
  private run<T>(method: string, options: KvCallOptions | undefined, work: () => T): T {
    if (this.closed) throw new KvStoreClosedError(method)
    options?.signal?.throwIfAborted()
    try {
      return work()
    } catch (err) {
      if (err instanceof KvError) throw err
      throw new KvStoreError(method, err)
    }
  }

  async get(key: Uint8Array, options?: KvCallOptions): Promise<Uint8Array | undefined> {
    assertKvKey('get', 'key', key)
    assertCallOptions('get', options)
    return this.run('get', options, () => {
      // node:sqlite copies every BLOB it returns into a Uint8Array of its own.
      const row = this.selectValue.get(key) as { value: Uint8Array } | undefined
      return row?.value
    })
  }

  async batch(ops: readonly KvOp[], options?: KvCallOptions): Promise<void> {
    assertKvOps(ops)
    assertCallOptions('batch', options)
    this.run('batch', options, () => {
      if (ops.length === 0) return
      const db = this.db
      // IMMEDIATE takes the write lock up front: a deferred transaction that reads nothing would
      // take it at the first write anyway, and could then fail with SQLITE_BUSY mid-batch.
      db.exec('BEGIN IMMEDIATE')
      try {
        for (const op of ops) {
          if (op.type === 'put') this.upsert.run(op.key, op.value)
          else this.delete.run(op.key)
        }
        db.exec('COMMIT')
      } catch (err) {
        if (db.isTransaction) db.exec('ROLLBACK')
        throw err
      }
    })
  }

  async range(query: KvRangeQuery = {}, options?: KvCallOptions): Promise<KvEntry[]> {
    assertRangeQuery('range', query)
    assertCallOptions('range', options)
    return this.run('range', options, () => {
      if (isEmptyRange(query)) return []
      const { gte, lt } = query
      const params: Uint8Array[] = []
      if (gte !== undefined) params.push(gte)
      if (lt !== undefined) params.push(lt)
      // LIMIT -1 is SQLite for "no limit".
      const rows = this.rangeStatement(query).all(...params, query.limit ?? -1) as {
        key: Uint8Array
        value: Uint8Array
      }[]
      return rows.map((row): KvEntry => [row.key, row.value])
    })
  }

  /**
   * The statement of a query's shape. Bounds are written out rather than `(? IS NULL OR key >= ?)`
   * so that SQLite always plans a walk of the key's B-tree between the two bounds.
   */
  private rangeStatement(query: KvRangeQuery): StatementSync {
    const shape = `${query.gte !== undefined}/${query.lt !== undefined}/${query.reverse === true}`
    let statement = this.ranges.get(shape)
    if (statement === undefined) {
      const where: string[] = []
      if (query.gte !== undefined) where.push('key >= ?')
      if (query.lt !== undefined) where.push('key < ?')
      statement = this.db.prepare(
        `SELECT key, value FROM kv ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY key ${query.reverse === true ? 'DESC' : 'ASC'} LIMIT ?`,
      )
      this.ranges.set(shape, statement)
    }
    return statement
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.db.close()
  }
}
