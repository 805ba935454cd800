import pg from 'pg'
import type { CustomTypesConfig, PoolClient } from 'pg'
import { TrustchainError } from '../trustchain/errors'
import {
  HeadMovedError,
  InvalidLogArgumentError,
  LogConflictError,
  LogRangeError,
  LogStoreClosedError,
  LogStoreError,
  MissingHashError,
  assertEntriesRange,
  assertHashIndexes,
  assertLogBatch,
  assertLogInteger,
  assertLogString,
  assertLogText,
  assertSerialHex,
  type CertificateRecord,
  type LogBatch,
  type LogConflictKind,
  type LogHead,
  type LogStore,
  type LogStoreCallOptions,
  type RevocationRecord,
} from '../trustchain/log-store'
import {
  toCertificate,
  toRevocation,
  type CertificateRow,
  type RevocationRow,
} from './log-store-rows'

/** Options of {@link openPgLogStore}. */
export interface PgLogStoreInit {
  /** A `postgres://` URL, as accepted by `pg`. */
  connectionString: string
  /**
   * The schema holding the log's tables (unprefixed names: `entries`, `hashes`, `head`, …),
   * created if absent. Letters, digits and `_`, at most 63 characters. Default `public`.
   */
  schema?: string
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/** OID of `int8`: sizes and indexes are stored as `bigint`. */
const INT8_OID = 20

// Every size and index written was checked to be a safe integer, so reading `bigint` as a
// number is exact; pg's default (a string) would leak into the records.
const TYPES: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as CustomTypesConfig['getTypeParser'],
}

/** A plain Uint8Array of its own: pg hands out Buffers that may share a pooled slab. */
function bytes(value: Uint8Array): Uint8Array {
  return new Uint8Array(value)
}

/**
 * Open a transparency log stored in PostgreSQL, creating its schema and tables if absent. Appends
 * run in one transaction whose compare-and-swap is `UPDATE head … WHERE size = oldSize`: of two
 * appenders with the same `oldSize`, on any number of pools or machines, the second waits for the
 * first's row lock and then matches no row, so exactly one wins. Commits are synchronous
 * (`synchronous_commit = on` for the transaction, whatever the server's default).
 *
 * @throws {@link InvalidLogArgumentError} for a malformed schema name
 * @throws {@link LogStoreError} when the database cannot be reached or initialised
 * @example
 * ```ts
 * const store = await openPgLogStore({ connectionString: process.env.DATABASE_URL!, schema: 'log' })
 * ```
 */
export async function openPgLogStore(init: PgLogStoreInit): Promise<LogStore> {
  if (typeof init !== 'object' || init === null) {
    throw new InvalidLogArgumentError('openPgLogStore', 'init', 'must be an object')
  }
  assertLogString('openPgLogStore', 'init.connectionString', init.connectionString)
  const schema = init.schema ?? 'public'
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new InvalidLogArgumentError(
      'openPgLogStore',
      'init.schema',
      'must be letters, digits and _, at most 63 characters, not starting with a digit',
    )
  }
  const pool = new pg.Pool({ connectionString: init.connectionString, types: TYPES })
  // An idle connection that drops emits 'error' on the pool, which would otherwise crash the
  // process; the next query reports the failure to its caller instead.
  pool.on('error', () => undefined)
  const sql = new Sql(`"${schema}"`)
  try {
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      // Concurrent CREATE … IF NOT EXISTS can still collide in the catalog; serialise openers.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `hypermesh-log-store:${schema}`,
      ])
      await client.query(sql.schema)
      await client.query('COMMIT')
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined)
      throw err
    } finally {
      client.release()
    }
  } catch (err) {
    await pool.end().catch(() => undefined)
    throw new LogStoreError('open', err)
  }
  return new PgLogStore(pool, sql)
}

/** The statements, with the schema-qualified table names filled in. */
class Sql {
  readonly schema: string
  readonly head: string
  readonly cas: string
  readonly headSize: string
  readonly conflicts: string
  readonly insertBatch: string
  readonly entries: string
  readonly hashes: string
  readonly checkpoint: string
  readonly certificatesOf: string
  readonly certificateBySerial: string
  readonly recentCertificates: string
  readonly revocations: string
  readonly revocationOf: string
  readonly getMeta: string
  readonly insertMeta: string

  constructor(s: string) {
    // The head row exists from the start with size 0; `checkpoint IS NULL` means never written,
    // so the compare-and-swap is the same UPDATE for the first batch and every later one.
    this.schema = `
      CREATE SCHEMA IF NOT EXISTS ${s};
      CREATE TABLE IF NOT EXISTS ${s}.entries (idx bigint PRIMARY KEY, data bytea NOT NULL);
      CREATE TABLE IF NOT EXISTS ${s}.hashes (idx bigint PRIMARY KEY, hash bytea NOT NULL);
      CREATE TABLE IF NOT EXISTS ${s}.head (
        id smallint PRIMARY KEY CHECK (id = 0),
        size bigint NOT NULL,
        root_hash bytea,
        checkpoint text
      );
      INSERT INTO ${s}.head (id, size) VALUES (0, 0) ON CONFLICT DO NOTHING;
      CREATE TABLE IF NOT EXISTS ${s}.checkpoints (size bigint PRIMARY KEY, checkpoint text NOT NULL);
      CREATE TABLE IF NOT EXISTS ${s}.certificates (
        log_index bigint PRIMARY KEY,
        serial_hex text NOT NULL,
        peer_id text NOT NULL,
        not_before bigint NOT NULL,
        not_after bigint NOT NULL
      );
      CREATE UNIQUE INDEX IF NOT EXISTS certificates_serial ON ${s}.certificates (serial_hex);
      CREATE INDEX IF NOT EXISTS certificates_peer ON ${s}.certificates (peer_id, log_index);
      CREATE TABLE IF NOT EXISTS ${s}.revocations (
        log_index bigint PRIMARY KEY,
        serial_hex text NOT NULL,
        peer_id text NOT NULL,
        revoked_at bigint NOT NULL,
        reason text NOT NULL
      );
      CREATE UNIQUE INDEX IF NOT EXISTS revocations_serial ON ${s}.revocations (serial_hex);
      CREATE TABLE IF NOT EXISTS ${s}.meta (key text PRIMARY KEY, value text NOT NULL);`
    this.head = `SELECT size, root_hash, checkpoint FROM ${s}.head WHERE id = 0`
    // A batch without entries (new size = old size) may only publish the first checkpoint.
    this.cas = `
      UPDATE ${s}.head SET size = $1, root_hash = $2, checkpoint = $3
      WHERE id = 0 AND size = $4 AND (checkpoint IS NULL OR $1 > size)`
    this.headSize = `SELECT size FROM ${s}.head WHERE id = 0`
    // Run after the compare-and-swap took the head row lock: every writer takes it first, so
    // nothing can be inserted between this check and the inserts. Reports the first conflict
    // in the order the other adapters do (by kind, then by position in the batch).
    this.conflicts = `
      SELECT kind, key FROM (
        SELECT 1 AS ord, 0::bigint AS pos, 'checkpoint' AS kind, size::text AS key
        FROM ${s}.checkpoints WHERE size = $1
        UNION ALL
        (SELECT 2, 0, 'entry', idx::text FROM ${s}.entries WHERE idx >= $2 ORDER BY idx LIMIT 1)
        UNION ALL
        SELECT 3, q.pos, 'hash', q.idx::text
        FROM unnest($3::bigint[]) WITH ORDINALITY AS q(idx, pos) JOIN ${s}.hashes t ON t.idx = q.idx
        UNION ALL
        SELECT 4, q.pos, 'certificate', q.serial
        FROM unnest($4::text[]) WITH ORDINALITY AS q(serial, pos)
        JOIN ${s}.certificates t ON t.serial_hex = q.serial
        UNION ALL
        SELECT 5, q.pos, 'revocation', q.serial
        FROM unnest($5::text[]) WITH ORDINALITY AS q(serial, pos)
        JOIN ${s}.revocations t ON t.serial_hex = q.serial
      ) found ORDER BY ord, pos LIMIT 1`
    // One round trip for the whole batch: data-modifying CTEs always run to completion.
    this.insertBatch = `
      WITH e AS (
        INSERT INTO ${s}.entries (idx, data)
        SELECT $1::bigint + ord - 1, data FROM unnest($2::bytea[]) WITH ORDINALITY AS u(data, ord)
      ), h AS (
        INSERT INTO ${s}.hashes (idx, hash) SELECT * FROM unnest($3::bigint[], $4::bytea[])
      ), c AS (
        INSERT INTO ${s}.certificates (log_index, serial_hex, peer_id, not_before, not_after)
        SELECT * FROM unnest($5::bigint[], $6::text[], $7::text[], $8::bigint[], $9::bigint[])
      ), r AS (
        INSERT INTO ${s}.revocations (log_index, serial_hex, peer_id, revoked_at, reason)
        SELECT * FROM unnest($10::bigint[], $11::text[], $12::text[], $13::bigint[], $14::text[])
      )
      INSERT INTO ${s}.checkpoints (size, checkpoint) VALUES ($15, $16)`
    // The head and the entries in one snapshot; the head row always exists, so the first row
    // carries the size even when no entry matches.
    this.entries = `
      SELECT h.size, e.data FROM ${s}.head h
      LEFT JOIN ${s}.entries e ON e.idx >= $1 AND e.idx < $2 AND $2 <= h.size
      WHERE h.id = 0 ORDER BY e.idx`
    this.hashes = `
      SELECT q.idx, h.hash FROM unnest($1::bigint[]) WITH ORDINALITY AS q(idx, ord)
      LEFT JOIN ${s}.hashes h ON h.idx = q.idx ORDER BY q.ord`
    this.checkpoint = `SELECT checkpoint FROM ${s}.checkpoints WHERE size = $1`
    const certificate = `SELECT log_index, serial_hex, peer_id, not_before, not_after FROM ${s}.certificates`
    this.certificatesOf = `${certificate} WHERE peer_id = $1 ORDER BY log_index DESC`
    this.certificateBySerial = `${certificate} WHERE serial_hex = $1`
    this.recentCertificates = `${certificate} ORDER BY log_index DESC LIMIT $1`
    const revocation = `SELECT log_index, serial_hex, peer_id, revoked_at, reason FROM ${s}.revocations`
    this.revocations = `${revocation} WHERE log_index > $1 ORDER BY log_index LIMIT $2`
    this.revocationOf = `${revocation} WHERE serial_hex = $1`
    this.getMeta = `SELECT value FROM ${s}.meta WHERE key = $1`
    this.insertMeta = `INSERT INTO ${s}.meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING value`
  }
}

class PgLogStore implements LogStore {
  private closed = false
  private ending: Promise<void> | undefined
  private readonly running = new Set<Promise<unknown>>()

  constructor(
    private readonly pool: pg.Pool,
    private readonly sql: Sql,
  ) {}

  /** Run one call, tracked so close() can wait for it; driver failures become LogStoreError. */
  private run<T>(
    method: string,
    options: LogStoreCallOptions | undefined,
    work: () => Promise<T>,
  ): Promise<T> {
    if (this.closed) return Promise.reject(new LogStoreClosedError(method))
    const signal = options?.signal
    if (signal?.aborted === true) return Promise.reject(signal.reason)
    const call = work().catch((err: unknown) => {
      if (err instanceof TrustchainError || (signal?.aborted === true && err === signal.reason)) {
        throw err
      }
      throw new LogStoreError(method, err)
    })
    this.running.add(call)
    const forget = (): void => {
      this.running.delete(call)
    }
    call.then(forget, forget)
    return call
  }

  async head(options?: LogStoreCallOptions): Promise<LogHead | null> {
    return this.run('head', options, async () => {
      const { rows } = await this.pool.query<{
        size: number
        root_hash: Uint8Array | null
        checkpoint: string | null
      }>(this.sql.head)
      const row = rows[0]
      if (row === undefined) throw new Error('the head row is missing')
      if (row.checkpoint === null || row.root_hash === null) return null
      return { size: row.size, rootHash: bytes(row.root_hash), checkpoint: row.checkpoint }
    })
  }

  async append(oldSize: number, batch: LogBatch, options?: LogStoreCallOptions): Promise<void> {
    assertLogBatch(oldSize, batch)
    const signal = options?.signal
    return this.run('append', options, async () => {
      const client = await this.pool.connect()
      let unusable = false
      let written: boolean
      try {
        signal?.throwIfAborted()
        try {
          await client.query('BEGIN; SET LOCAL synchronous_commit = on')
          written = await this.write(client, oldSize, batch)
          // The last point where giving up leaves nothing behind.
          if (written) signal?.throwIfAborted()
          await client.query(written ? 'COMMIT' : 'ROLLBACK')
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
      if (!written) {
        // Read after the rollback, so the size is the committed one, not this snapshot's.
        const { rows } = await this.pool.query<{ size: number }>(this.sql.headSize)
        throw new HeadMovedError(oldSize, rows[0]?.size ?? 0)
      }
    })
  }

  /** The body of an append, inside its transaction; false when the head moved. */
  private async write(client: PoolClient, oldSize: number, batch: LogBatch): Promise<boolean> {
    const { head, entries, hashes } = batch
    const certificates = batch.certificates ?? []
    const revocations = batch.revocations ?? []
    const cas = await client.query(this.sql.cas, [
      head.size,
      head.rootHash,
      head.checkpoint,
      oldSize,
    ])
    if (cas.rowCount !== 1) return false
    const { rows } = await client.query<{ kind: LogConflictKind; key: string }>(
      this.sql.conflicts,
      [
        head.size,
        oldSize,
        hashes.map((h) => h.index),
        certificates.map((c) => c.serialHex),
        revocations.map((r) => r.serialHex),
      ],
    )
    const conflict = rows[0]
    if (conflict !== undefined) {
      const numeric = conflict.kind !== 'certificate' && conflict.kind !== 'revocation'
      throw new LogConflictError(conflict.kind, numeric ? Number(conflict.key) : conflict.key)
    }
    await client.query(this.sql.insertBatch, [
      oldSize,
      entries,
      hashes.map((h) => h.index),
      hashes.map((h) => h.hash),
      certificates.map((c) => c.logIndex),
      certificates.map((c) => c.serialHex),
      certificates.map((c) => c.peerId),
      certificates.map((c) => c.notBefore),
      certificates.map((c) => c.notAfter),
      revocations.map((r) => r.logIndex),
      revocations.map((r) => r.serialHex),
      revocations.map((r) => r.peerId),
      revocations.map((r) => r.revokedAt),
      revocations.map((r) => r.reason),
      head.size,
      head.checkpoint,
    ])
    return true
  }

  async entries(start: number, end: number, options?: LogStoreCallOptions): Promise<Uint8Array[]> {
    assertEntriesRange(start, end)
    return this.run('entries', options, async () => {
      const { rows } = await this.pool.query<{ size: number; data: Uint8Array | null }>(
        this.sql.entries,
        [start, end],
      )
      const size = rows[0]?.size ?? 0
      if (end > size) throw new LogRangeError(start, end, size)
      if (start === end) return []
      if (rows.length !== end - start || rows.some((row) => row.data === null)) {
        throw new Error(`entries [${start}, ${end}) are below the head but not all stored`)
      }
      return rows.map((row) => bytes(row.data as Uint8Array))
    })
  }

  async readHashes(
    indexes: readonly number[],
    options?: LogStoreCallOptions,
  ): Promise<Uint8Array[]> {
    assertHashIndexes(indexes)
    return this.run('readHashes', options, async () => {
      if (indexes.length === 0) return []
      const { rows } = await this.pool.query<{ idx: number; hash: Uint8Array | null }>(
        this.sql.hashes,
        [indexes],
      )
      return rows.map((row) => {
        if (row.hash === null) throw new MissingHashError(row.idx)
        return bytes(row.hash)
      })
    })
  }

  async checkpointAt(size: number, options?: LogStoreCallOptions): Promise<string | null> {
    assertLogInteger('checkpointAt', 'size', size)
    return this.run('checkpointAt', options, async () => {
      const { rows } = await this.pool.query<{ checkpoint: string }>(this.sql.checkpoint, [size])
      return rows[0]?.checkpoint ?? null
    })
  }

  async certificatesOf(
    peerId: string,
    options?: LogStoreCallOptions,
  ): Promise<CertificateRecord[]> {
    assertLogString('certificatesOf', 'peerId', peerId)
    return this.run('certificatesOf', options, async () => {
      const { rows } = await this.pool.query<CertificateRow>(this.sql.certificatesOf, [peerId])
      return rows.map(toCertificate)
    })
  }

  async certificateBySerial(
    serialHex: string,
    options?: LogStoreCallOptions,
  ): Promise<CertificateRecord | null> {
    assertSerialHex('certificateBySerial', 'serialHex', serialHex)
    return this.run('certificateBySerial', options, async () => {
      const { rows } = await this.pool.query<CertificateRow>(this.sql.certificateBySerial, [
        serialHex,
      ])
      const row = rows[0]
      return row === undefined ? null : toCertificate(row)
    })
  }

  async recentCertificates(
    limit: number,
    options?: LogStoreCallOptions,
  ): Promise<CertificateRecord[]> {
    assertLogInteger('recentCertificates', 'limit', limit)
    return this.run('recentCertificates', options, async () => {
      const { rows } = await this.pool.query<CertificateRow>(this.sql.recentCertificates, [limit])
      return rows.map(toCertificate)
    })
  }

  async revocations(
    afterLogIndex: number,
    limit: number,
    options?: LogStoreCallOptions,
  ): Promise<RevocationRecord[]> {
    assertLogInteger('revocations', 'afterLogIndex', afterLogIndex, -1)
    assertLogInteger('revocations', 'limit', limit)
    return this.run('revocations', options, async () => {
      const { rows } = await this.pool.query<RevocationRow>(this.sql.revocations, [
        afterLogIndex,
        limit,
      ])
      return rows.map(toRevocation)
    })
  }

  async revocationOf(
    serialHex: string,
    options?: LogStoreCallOptions,
  ): Promise<RevocationRecord | null> {
    assertSerialHex('revocationOf', 'serialHex', serialHex)
    return this.run('revocationOf', options, async () => {
      const { rows } = await this.pool.query<RevocationRow>(this.sql.revocationOf, [serialHex])
      const row = rows[0]
      return row === undefined ? null : toRevocation(row)
    })
  }

  async getMeta(key: string, options?: LogStoreCallOptions): Promise<string | null> {
    assertLogString('getMeta', 'key', key)
    return this.run('getMeta', options, async () => {
      const { rows } = await this.pool.query<{ value: string }>(this.sql.getMeta, [key])
      return rows[0]?.value ?? null
    })
  }

  async initMeta(key: string, value: string, options?: LogStoreCallOptions): Promise<string> {
    assertLogString('initMeta', 'key', key)
    assertLogText('initMeta', 'value', value)
    return this.run('initMeta', options, async () => {
      const inserted = await this.pool.query<{ value: string }>(this.sql.insertMeta, [key, value])
      if (inserted.rows[0] !== undefined) return inserted.rows[0].value
      // ON CONFLICT DO NOTHING waited for the other writer to commit; this separate statement
      // takes a fresh snapshot, so it sees that writer's value.
      const { rows } = await this.pool.query<{ value: string }>(this.sql.getMeta, [key])
      const stored = rows[0]
      if (stored === undefined) throw new Error(`meta ${key} vanished after insert`)
      return stored.value
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
