import pg from 'pg'
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

/** Options of {@link openPgKvStore}. */
export interface PgKvStoreInit {
  /** A `postgres://` URL, as accepted by `pg`. */
  connectionString: string
  /**
   * The schema holding the table, created if absent. Letters, digits and `_`, at most 63
   * characters, not starting with a digit.
   */
  schema: string
  /** The table, created if absent; same rules as `schema`. Default `kv`. */
  table?: string
}

const SQL_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

function assertSqlName(argument: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || !SQL_NAME.test(value)) {
    throw new InvalidKvArgumentError(
      'openPgKvStore',
      argument,
      'must be letters, digits and _, at most 63 characters, not starting with a digit',
    )
  }
}

/** A plain Uint8Array of its own: pg hands out Buffers that may share a pooled slab. */
function bytes(value: Uint8Array): Uint8Array {
  return new Uint8Array(value)
}

/**
 * The last op on each key of a batch, in a batch's terms the same effect as all of them. One
 * statement cannot upsert one key twice (`ON CONFLICT DO UPDATE command cannot affect row a
 * second time`), and the delete and the upsert of one statement must touch different keys.
 */
function lastOpPerKey(ops: readonly KvOp[]): KvOp[] {
  const last = new Map<string, KvOp>()
  for (const op of ops) {
    last.set(Buffer.from(op.key.buffer, op.key.byteOffset, op.key.byteLength).toString('hex'), op)
  }
  return [...last.values()]
}

/**
 * Open a key/value store in the PostgreSQL table `schema.table` (`key bytea PRIMARY KEY, value
 * bytea NOT NULL`), creating the schema and the table if absent. `bytea` compares bytewise, a
 * prefix first, whatever the database's collation: the port's order.
 *
 * A batch is one transaction committed with `synchronous_commit = on` (whatever the server's
 * default), so it resolves only once the commit is flushed to the WAL on disk. Writers take a
 * transaction-level advisory lock on the table first: batches from any number of pools or
 * machines run one after the other and never deadlock on each other's row locks; readers do
 * not wait (each read is one statement, one snapshot).
 *
 * @throws {@link InvalidKvArgumentError} for a malformed init, schema or table name
 * @throws {@link KvStoreError} when the database cannot be reached or initialised
 * @example
 * ```ts
 * const store = await openPgKvStore({ connectionString: process.env.DATABASE_URL!, schema: 'node' })
 * ```
 */
export async function openPgKvStore(init: PgKvStoreInit): Promise<KvStore> {
  if (typeof init !== 'object' || init === null) {
    throw new InvalidKvArgumentError('openPgKvStore', 'init', 'must be an object')
  }
  if (typeof init.connectionString !== 'string' || init.connectionString.length === 0) {
    throw new InvalidKvArgumentError(
      'openPgKvStore',
      'init.connectionString',
      'must be a non-empty string',
    )
  }
  assertSqlName('init.schema', init.schema)
  const table = init.table ?? 'kv'
  assertSqlName('init.table', table)
  const pool = new pg.Pool({ connectionString: init.connectionString })
  // An idle connection that drops emits 'error' on the pool, which would otherwise crash the
  // process; the next query reports the failure to its caller instead.
  pool.on('error', () => undefined)
  const sql = new Sql(init.schema, table)
  try {
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      // Concurrent CREATE … IF NOT EXISTS can still collide in the catalog; serialise openers.
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('${sql.lockName}'))`)
      await client.query(sql.create)
      await client.query('COMMIT')
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined)
      throw err
    } finally {
      client.release()
    }
  } catch (err) {
    await pool.end().catch(() => undefined)
    throw new KvStoreError('open', err)
  }
  return new PgKvStore(pool, sql)
}

/** The statements, with the schema-qualified table name filled in (both checked names). */
class Sql {
  readonly lockName: string
  readonly create: string
  readonly begin: string
  readonly get: string
  readonly write: string
  private readonly table: string
  private readonly ranges = new Map<string, string>()

  constructor(schema: string, table: string) {
    const t = `"${schema}"."${table}"`
    this.table = t
    this.lockName = `hypermesh-kv-store:${schema}.${table}`
    this.create = `
      CREATE SCHEMA IF NOT EXISTS "${schema}";
      CREATE TABLE IF NOT EXISTS ${t} (key bytea PRIMARY KEY, value bytea NOT NULL);`
    // One round trip for the three: a simple query without parameters may hold several.
    this.begin = `BEGIN; SET LOCAL synchronous_commit = on;
      SELECT pg_advisory_xact_lock(hashtext('${this.lockName}'))`
    this.get = `SELECT value FROM ${t} WHERE key = $1`
    // The whole batch in one statement: after lastOpPerKey, no key is both deleted and upserted.
    this.write = `
      WITH d AS (DELETE FROM ${t} WHERE key = ANY($1::bytea[]))
      INSERT INTO ${t} (key, value) SELECT * FROM unnest($2::bytea[], $3::bytea[])
      ON CONFLICT (key) DO UPDATE SET value = excluded.value`
  }

  /**
   * The statement of a query's shape, with the bounds written out (no `$1 IS NULL OR …`) so the
   * planner always walks the primary key between them. `LIMIT NULL` is no limit.
   */
  range(query: KvRangeQuery): string {
    const shape = `${query.gte !== undefined}/${query.lt !== undefined}/${query.reverse === true}`
    let text = this.ranges.get(shape)
    if (text === undefined) {
      const where: string[] = []
      if (query.gte !== undefined) where.push(`key >= $${where.length + 1}`)
      if (query.lt !== undefined) where.push(`key < $${where.length + 1}`)
      text = `SELECT key, value FROM ${this.table}
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY key ${query.reverse === true ? 'DESC' : 'ASC'} LIMIT $${where.length + 1}`
      this.ranges.set(shape, text)
    }
    return text
  }
}

class PgKvStore implements KvStore {
  private closed = false
  private ending: Promise<void> | undefined
  private readonly running = new Set<Promise<unknown>>()

  constructor(
    private readonly pool: pg.Pool,
    private readonly sql: Sql,
  ) {}

  /** Run one call, tracked so close() can wait for it; driver failures become KvStoreError. */
  private run<T>(
    method: string,
    options: KvCallOptions | undefined,
    work: () => Promise<T>,
  ): Promise<T> {
    if (this.closed) return Promise.reject(new KvStoreClosedError(method))
    const signal = options?.signal
    if (signal?.aborted === true) return Promise.reject(signal.reason)
    const call = work().catch((err: unknown) => {
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
    return this.run('get', options, async () => {
      const { rows } = await this.pool.query<{ value: Uint8Array }>(this.sql.get, [key])
      const row = rows[0]
      return row === undefined ? undefined : bytes(row.value)
    })
  }

  async batch(ops: readonly KvOp[], options?: KvCallOptions): Promise<void> {
    assertKvOps(ops)
    assertCallOptions('batch', options)
    const signal = options?.signal
    return this.run('batch', options, async () => {
      if (ops.length === 0) return
      const last = lastOpPerKey(ops)
      const dels = last.filter((op) => op.type === 'del').map((op) => op.key)
      const puts = last.filter((op) => op.type === 'put')
      const client = await this.pool.connect()
      let unusable = false
      try {
        signal?.throwIfAborted()
        try {
          await client.query(this.sql.begin)
          await client.query(this.sql.write, [
            dels,
            puts.map((op) => op.key),
            puts.map((op) => op.value),
          ])
          // The last point where giving up leaves nothing behind.
          signal?.throwIfAborted()
          await client.query('COMMIT')
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {
            unusable = true
          })
          throw err
        }
      } finally {
        // A connection whose rollback failed is in an unknown state: drop it, never reuse it.
        client.release(unusable)
      }
    })
  }

  async range(query: KvRangeQuery = {}, options?: KvCallOptions): Promise<KvEntry[]> {
    assertRangeQuery('range', query)
    assertCallOptions('range', options)
    return this.run('range', options, async () => {
      if (isEmptyRange(query)) return []
      const params: (Uint8Array | number | null)[] = []
      if (query.gte !== undefined) params.push(query.gte)
      if (query.lt !== undefined) params.push(query.lt)
      params.push(query.limit ?? null)
      const { rows } = await this.pool.query<{ key: Uint8Array; value: Uint8Array }>(
        this.sql.range(query),
        params,
      )
      return rows.map((row): KvEntry => [bytes(row.key), bytes(row.value)])
    })
  }

  async close(): Promise<void> {
    this.closed = true
    this.ending ??= (async () => {
      await Promise.allSettled([...this.running])
      await this.pool.end()
    })()
    return this.ending
  }
}
