import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite'
import { TrustchainError } from '../trustchain/errors'
import {
  HeadMovedError,
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

/**
 * How long a connection waits for another one's write lock before failing, in ms. Appends hold
 * the lock for a few ms, so this only runs out when a writer is stuck. The wait blocks the event
 * loop (node:sqlite is synchronous), which is why it stays short.
 */
const BUSY_TIMEOUT_MS = 5_000

// The head row exists from the start with size 0; `checkpoint IS NULL` means never written, so
// the compare-and-swap is one code path for the first batch and every later one.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS entries (idx INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS hashes (idx INTEGER PRIMARY KEY, hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS head (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  size INTEGER NOT NULL,
  root_hash BLOB,
  checkpoint TEXT
);
INSERT OR IGNORE INTO head (id, size) VALUES (0, 0);
CREATE TABLE IF NOT EXISTS checkpoints (size INTEGER PRIMARY KEY, checkpoint TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS certificates (
  log_index INTEGER PRIMARY KEY,
  serial_hex TEXT NOT NULL,
  peer_id TEXT NOT NULL,
  not_before INTEGER NOT NULL,
  not_after INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS certificates_serial ON certificates (serial_hex);
CREATE INDEX IF NOT EXISTS certificates_peer ON certificates (peer_id, log_index);
CREATE TABLE IF NOT EXISTS revocations (
  log_index INTEGER PRIMARY KEY,
  serial_hex TEXT NOT NULL,
  peer_id TEXT NOT NULL,
  revoked_at INTEGER NOT NULL,
  reason TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS revocations_serial ON revocations (serial_hex);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
`

/** SQLITE_CONSTRAINT_PRIMARYKEY and SQLITE_CONSTRAINT_UNIQUE: the row is already there. */
const DUPLICATE_ERRCODES = new Set([1555, 2067])

interface HeadRow {
  size: number
  root_hash: Uint8Array | null
  checkpoint: string | null
}

function isDuplicate(err: unknown): boolean {
  return DUPLICATE_ERRCODES.has((err as { errcode?: number } | null)?.errcode ?? -1)
}

/**
 * Rows per multi-row INSERT. One statement per row costs a crossing into SQLite each; a few
 * hundred rows per statement halve the time of a batch of thousands, well under SQLite's limit
 * of 32766 bound parameters.
 */
const ROWS_PER_INSERT = 128

/** An INSERT of many rows at once, with its statements prepared once. */
class BulkInsert {
  private readonly one: StatementSync
  private readonly many: StatementSync

  constructor(db: DatabaseSync, table: string, columns: readonly string[]) {
    const row = `(${columns.map(() => '?').join(', ')})`
    const into = `INSERT INTO ${table} (${columns.join(', ')}) VALUES `
    this.one = db.prepare(into + row)
    this.many = db.prepare(into + Array<string>(ROWS_PER_INSERT).fill(row).join(', '))
  }

  run(rows: readonly (readonly SQLInputValue[])[]): void {
    let i = 0
    for (; i + ROWS_PER_INSERT <= rows.length; i += ROWS_PER_INSERT) {
      this.many.run(...rows.slice(i, i + ROWS_PER_INSERT).flat())
    }
    for (; i < rows.length; i++) this.one.run(...(rows[i] as SQLInputValue[]))
  }
}

/**
 * Open (creating if needed) a transparency log stored in the SQLite file at `path`, with
 * `node:sqlite`. The file is in WAL mode with `synchronous=FULL`, so an append that resolved is
 * on disk, and readers never wait for the writer. Several connections, in one process or
 * several, may share the file: appends take the write lock with `BEGIN IMMEDIATE` and check the
 * head inside it.
 *
 * @param path - the database file (`:memory:` for a private, non-durable log)
 * @throws {@link LogStoreError} when the file cannot be opened or initialised
 * @example
 * ```ts
 * const store = await openSqliteLogStore(join(dataDir, 'log.sqlite'))
 * ```
 */
export async function openSqliteLogStore(path: string): Promise<LogStore> {
  assertLogString('openSqliteLogStore', 'path', path)
  let db: DatabaseSync
  try {
    db = new DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS })
  } catch (err) {
    throw new LogStoreError('open', err)
  }
  try {
    db.exec('PRAGMA journal_mode = WAL')
    db.exec('PRAGMA synchronous = FULL')
    db.exec('BEGIN IMMEDIATE')
    try {
      db.exec(SCHEMA)
      db.exec('COMMIT')
    } catch (err) {
      if (db.isTransaction) db.exec('ROLLBACK')
      throw err
    }
  } catch (err) {
    db.close()
    throw new LogStoreError('open', err)
  }
  return new SqliteLogStore(db)
}

class SqliteLogStore implements LogStore {
  private closed = false
  private readonly selectHead: StatementSync
  private readonly updateHead: StatementSync
  private readonly insertEntries: BulkInsert
  private readonly insertHashes: BulkInsert
  private readonly insertCheckpoint: StatementSync
  private readonly insertCertificates: BulkInsert
  private readonly insertRevocations: BulkInsert
  private readonly selectFirstEntryFrom: StatementSync
  private readonly selectEntries: StatementSync
  private readonly selectHash: StatementSync
  private readonly selectCheckpoint: StatementSync
  private readonly selectCertificatesOf: StatementSync
  private readonly selectCertificateBySerial: StatementSync
  private readonly selectRecentCertificates: StatementSync
  private readonly selectRevocations: StatementSync
  private readonly selectRevocationOf: StatementSync
  private readonly selectMeta: StatementSync
  private readonly insertMeta: StatementSync

  constructor(private readonly db: DatabaseSync) {
    this.selectHead = db.prepare('SELECT size, root_hash, checkpoint FROM head WHERE id = 0')
    this.updateHead = db.prepare(
      'UPDATE head SET size = ?, root_hash = ?, checkpoint = ? WHERE id = 0 AND size = ?',
    )
    this.insertEntries = new BulkInsert(db, 'entries', ['idx', 'data'])
    this.insertHashes = new BulkInsert(db, 'hashes', ['idx', 'hash'])
    this.insertCheckpoint = db.prepare('INSERT INTO checkpoints (size, checkpoint) VALUES (?, ?)')
    this.insertCertificates = new BulkInsert(db, 'certificates', [
      'log_index',
      'serial_hex',
      'peer_id',
      'not_before',
      'not_after',
    ])
    this.insertRevocations = new BulkInsert(db, 'revocations', [
      'log_index',
      'serial_hex',
      'peer_id',
      'revoked_at',
      'reason',
    ])
    this.selectFirstEntryFrom = db.prepare(
      'SELECT idx FROM entries WHERE idx >= ? ORDER BY idx LIMIT 1',
    )
    this.selectEntries = db.prepare(
      'SELECT data FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx',
    )
    this.selectHash = db.prepare('SELECT hash FROM hashes WHERE idx = ?')
    this.selectCheckpoint = db.prepare('SELECT checkpoint FROM checkpoints WHERE size = ?')
    const certificateColumns = 'log_index, serial_hex, peer_id, not_before, not_after'
    this.selectCertificatesOf = db.prepare(
      `SELECT ${certificateColumns} FROM certificates WHERE peer_id = ? ORDER BY log_index DESC`,
    )
    this.selectCertificateBySerial = db.prepare(
      `SELECT ${certificateColumns} FROM certificates WHERE serial_hex = ?`,
    )
    this.selectRecentCertificates = db.prepare(
      `SELECT ${certificateColumns} FROM certificates ORDER BY log_index DESC LIMIT ?`,
    )
    const revocationColumns = 'log_index, serial_hex, peer_id, revoked_at, reason'
    this.selectRevocations = db.prepare(
      `SELECT ${revocationColumns} FROM revocations WHERE log_index > ? ORDER BY log_index LIMIT ?`,
    )
    this.selectRevocationOf = db.prepare(
      `SELECT ${revocationColumns} FROM revocations WHERE serial_hex = ?`,
    )
    this.selectMeta = db.prepare('SELECT value FROM meta WHERE key = ?')
    this.insertMeta = db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)')
  }

  /**
   * Run one call's work. node:sqlite is synchronous, so the work runs to its end before any
   * other call starts: no interleaving within this connection to guard against.
   */
  private run<T>(method: string, options: LogStoreCallOptions | undefined, work: () => T): T {
    if (this.closed) throw new LogStoreClosedError(method)
    options?.signal?.throwIfAborted()
    try {
      return work()
    } catch (err) {
      if (err instanceof TrustchainError) throw err
      throw new LogStoreError(method, err)
    }
  }

  private readHead(): HeadRow {
    const row = this.selectHead.get() as HeadRow | undefined
    if (row === undefined) throw new Error('the head row is missing')
    return row
  }

  async head(options?: LogStoreCallOptions): Promise<LogHead | null> {
    return this.run('head', options, () => {
      const row = this.readHead()
      if (row.checkpoint === null || row.root_hash === null) return null
      return { size: row.size, rootHash: row.root_hash, checkpoint: row.checkpoint }
    })
  }

  async append(oldSize: number, batch: LogBatch, options?: LogStoreCallOptions): Promise<void> {
    assertLogBatch(oldSize, batch)
    this.run('append', options, () => {
      const db = this.db
      db.exec('BEGIN IMMEDIATE')
      try {
        this.write(oldSize, batch)
        db.exec('COMMIT')
      } catch (err) {
        if (db.isTransaction) db.exec('ROLLBACK')
        throw err
      }
    })
  }

  /** The body of an append, inside the write transaction (so the head read here is current). */
  private write(oldSize: number, batch: LogBatch): void {
    const current = this.readHead()
    const published = batch.entries.length === 0 && current.checkpoint !== null
    if (current.size !== oldSize || published) throw new HeadMovedError(oldSize, current.size)
    const { head } = batch
    this.updateHead.run(head.size, head.rootHash, head.checkpoint, oldSize)
    this.db.exec('SAVEPOINT batch')
    try {
      this.insertCheckpoint.run(head.size, head.checkpoint)
      this.insertEntries.run(batch.entries.map((entry, i) => [oldSize + i, entry]))
      this.insertHashes.run(batch.hashes.map(({ index, hash }) => [index, hash]))
      this.insertCertificates.run(
        (batch.certificates ?? []).map((c) => [
          c.logIndex,
          c.serialHex,
          c.peerId,
          c.notBefore,
          c.notAfter,
        ]),
      )
      this.insertRevocations.run(
        (batch.revocations ?? []).map((r) => [
          r.logIndex,
          r.serialHex,
          r.peerId,
          r.revokedAt,
          r.reason,
        ]),
      )
    } catch (err) {
      if (!isDuplicate(err)) throw err
      // A multi-row insert does not say which row collided. Back to the state before the batch
      // (the write lock is still ours), then find the first stored item the batch would overwrite.
      this.db.exec('ROLLBACK TO batch')
      throw this.findConflict(oldSize, batch) ?? err
    }
  }

  /** What of `batch` is already stored, in the order the other adapters report it. */
  private findConflict(oldSize: number, batch: LogBatch): LogConflictError | undefined {
    if (this.selectCheckpoint.get(batch.head.size) !== undefined) {
      return new LogConflictError('checkpoint', batch.head.size)
    }
    const entry = this.selectFirstEntryFrom.get(oldSize) as { idx: number } | undefined
    if (entry !== undefined) return new LogConflictError('entry', entry.idx)
    const hash = batch.hashes.find(({ index }) => this.selectHash.get(index) !== undefined)
    if (hash !== undefined) return new LogConflictError('hash', hash.index)
    const certificate = (batch.certificates ?? []).find(
      (c) => this.selectCertificateBySerial.get(c.serialHex) !== undefined,
    )
    if (certificate !== undefined) return new LogConflictError('certificate', certificate.serialHex)
    const revocation = (batch.revocations ?? []).find(
      (r) => this.selectRevocationOf.get(r.serialHex) !== undefined,
    )
    if (revocation !== undefined) return new LogConflictError('revocation', revocation.serialHex)
    return undefined
  }

  async entries(start: number, end: number, options?: LogStoreCallOptions): Promise<Uint8Array[]> {
    assertEntriesRange(start, end)
    return this.run('entries', options, () => {
      const { size } = this.readHead()
      if (end > size) throw new LogRangeError(start, end, size)
      if (start === end) return []
      const rows = this.selectEntries.all(start, end) as { data: Uint8Array }[]
      if (rows.length !== end - start) {
        throw new Error(`entries [${start}, ${end}) are below the head but not all stored`)
      }
      return rows.map((row) => row.data)
    })
  }

  async readHashes(
    indexes: readonly number[],
    options?: LogStoreCallOptions,
  ): Promise<Uint8Array[]> {
    assertHashIndexes(indexes)
    return this.run('readHashes', options, () =>
      indexes.map((index) => {
        const row = this.selectHash.get(index) as { hash: Uint8Array } | undefined
        if (row === undefined) throw new MissingHashError(index)
        return row.hash
      }),
    )
  }

  async checkpointAt(size: number, options?: LogStoreCallOptions): Promise<string | null> {
    assertLogInteger('checkpointAt', 'size', size)
    return this.run('checkpointAt', options, () => {
      const row = this.selectCheckpoint.get(size) as { checkpoint: string } | undefined
      return row?.checkpoint ?? null
    })
  }

  async certificatesOf(
    peerId: string,
    options?: LogStoreCallOptions,
  ): Promise<CertificateRecord[]> {
    assertLogString('certificatesOf', 'peerId', peerId)
    return this.run('certificatesOf', options, () =>
      (this.selectCertificatesOf.all(peerId) as unknown as CertificateRow[]).map(toCertificate),
    )
  }

  async certificateBySerial(
    serialHex: string,
    options?: LogStoreCallOptions,
  ): Promise<CertificateRecord | null> {
    assertSerialHex('certificateBySerial', 'serialHex', serialHex)
    return this.run('certificateBySerial', options, () => {
      const row = this.selectCertificateBySerial.get(serialHex) as CertificateRow | undefined
      return row === undefined ? null : toCertificate(row)
    })
  }

  async recentCertificates(
    limit: number,
    options?: LogStoreCallOptions,
  ): Promise<CertificateRecord[]> {
    assertLogInteger('recentCertificates', 'limit', limit)
    return this.run('recentCertificates', options, () =>
      (this.selectRecentCertificates.all(limit) as unknown as CertificateRow[]).map(toCertificate),
    )
  }

  async revocations(
    afterLogIndex: number,
    limit: number,
    options?: LogStoreCallOptions,
  ): Promise<RevocationRecord[]> {
    assertLogInteger('revocations', 'afterLogIndex', afterLogIndex, -1)
    assertLogInteger('revocations', 'limit', limit)
    return this.run('revocations', options, () =>
      (this.selectRevocations.all(afterLogIndex, limit) as unknown as RevocationRow[]).map(
        toRevocation,
      ),
    )
  }

  async revocationOf(
    serialHex: string,
    options?: LogStoreCallOptions,
  ): Promise<RevocationRecord | null> {
    assertSerialHex('revocationOf', 'serialHex', serialHex)
    return this.run('revocationOf', options, () => {
      const row = this.selectRevocationOf.get(serialHex) as RevocationRow | undefined
      return row === undefined ? null : toRevocation(row)
    })
  }

  async getMeta(key: string, options?: LogStoreCallOptions): Promise<string | null> {
    assertLogString('getMeta', 'key', key)
    return this.run('getMeta', options, () => {
      const row = this.selectMeta.get(key) as { value: string } | undefined
      return row?.value ?? null
    })
  }

  async initMeta(key: string, value: string, options?: LogStoreCallOptions): Promise<string> {
    assertLogString('initMeta', 'key', key)
    assertLogText('initMeta', 'value', value)
    return this.run('initMeta', options, () => {
      // INSERT OR IGNORE is atomic across connections; rows are never deleted, so the read that
      // follows sees whichever value won.
      this.insertMeta.run(key, value)
      const row = this.selectMeta.get(key) as { value: string } | undefined
      if (row === undefined) throw new Error(`meta ${key} vanished after insert`)
      return row.value
    })
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.db.close()
  }
}
