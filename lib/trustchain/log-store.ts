import { TrustchainError } from './errors'

/**
 * The storage port of the transparency log (DESIGN.md §3): sequenced entries, the stored Merkle
 * hashes, every signed checkpoint, the certificate and revocation indexes, and a few settings. The
 * sequencer is its only writer and appends whole batches with a compare-and-swap on the tree size,
 * so two sequencers sharing one database can never publish two inconsistent checkpoints.
 *
 * Adapters: lib/adapters/memory-log-store.ts, sqlite-log-store.ts, pg-log-store.ts, all checked by
 * the one contract suite in log-store-contract.ts. The argument checks below are shared by every
 * adapter, so they all refuse the same inputs with the same error.
 */

/** Size in bytes of a SHA-256 Merkle hash (RFC 6962). */
export const LOG_HASH_BYTES = 32

/** The options every call takes. */
export interface LogStoreCallOptions {
  /** Abort before the call's work starts (an append already committing still completes). */
  signal?: AbortSignal
}

/** The signed tree head of the transparency log. */
export interface LogHead {
  /** Number of entries in the tree. */
  size: number
  /** RFC 6962 root hash of the tree, 32 bytes. */
  rootHash: Uint8Array
  /** The C2SP signed note (`tlog-checkpoint`) for this size and root, as text. */
  checkpoint: string
}

/** A certificate the log sequenced; `logIndex` is the index of its entry. */
export interface CertificateRecord {
  /** Serial number, lowercase hex without a prefix. */
  serialHex: string
  /** The peer ID the certificate was issued to. */
  peerId: string
  /** Index of the certificate's entry in the log. */
  logIndex: number
  /** Start of the validity window, ms since the Unix epoch. */
  notBefore: number
  /** End of the validity window, ms since the Unix epoch. */
  notAfter: number
}

/** A revocation the log sequenced; `logIndex` is the index of the revocation's own entry. */
export interface RevocationRecord {
  /** Serial number of the revoked certificate, lowercase hex without a prefix. */
  serialHex: string
  /** The peer ID the revoked certificate was issued to. */
  peerId: string
  /** Index of the revocation's entry in the log (the cursor of {@link LogStore.revocations}). */
  logIndex: number
  /** When the certificate was revoked, ms since the Unix epoch. */
  revokedAt: number
  /** Why, in a few words (free text). */
  reason: string
}

/** One sequenced batch, written atomically. */
export interface LogBatch {
  /** Log entries at indexes [oldSize, oldSize + entries.length). */
  entries: Uint8Array[]
  /** New stored Merkle hashes (index = stored-hash index), each 32 bytes; none may exist yet. */
  hashes: { index: number; hash: Uint8Array }[]
  /** The new head; `head.size === oldSize + entries.length`. */
  head: LogHead
  /** Certificates whose entries are in this batch (logIndex in [oldSize, head.size)). */
  certificates?: CertificateRecord[]
  /** Revocations whose entries are in this batch (logIndex in [oldSize, head.size)). */
  revocations?: RevocationRecord[]
}

/**
 * Durable storage of one transparency log. Every method validates its arguments first and
 * rejects with {@link InvalidLogArgumentError}; every method rejects with
 * {@link LogStoreClosedError} after {@link LogStore.close}, with the signal's reason when the
 * signal is already aborted, and with {@link LogStoreError} when the database fails.
 *
 * @example
 * ```ts
 * const head = await store.head()
 * const oldSize = head?.size ?? 0
 * try {
 *   await store.append(oldSize, { entries, hashes, head: next, certificates })
 * } catch (err) {
 *   if (err instanceof HeadMovedError) return resequence(err.actual) // another sequencer won
 *   throw err
 * }
 * ```
 */
export interface LogStore {
  /** The current head, or null for a log that has never been written. */
  head(options?: LogStoreCallOptions): Promise<LogHead | null>
  /**
   * Append a batch if and only if the stored head still has size `oldSize` (compare-and-swap; a
   * log never written has size 0). Atomic and durable when it resolves (committed, fsync'd). If
   * the head moved, write nothing and throw {@link HeadMovedError}. Entries, hashes, checkpoints
   * and certificate or revocation serials that already exist are never overwritten: the batch is
   * refused whole with {@link LogConflictError}. A batch without entries (`oldSize` 0) publishes
   * the empty tree's checkpoint of a log never written; once the log has a head, it is refused
   * with {@link HeadMovedError} like any batch built on an old head. A {@link LogStoreError}
   * (e.g. the connection dropped during the commit) leaves the outcome unknown: reload the head.
   */
  append(oldSize: number, batch: LogBatch, options?: LogStoreCallOptions): Promise<void>
  /** Entries [start, end), in order; {@link LogRangeError} if `end` is past the head. */
  entries(start: number, end: number, options?: LogStoreCallOptions): Promise<Uint8Array[]>
  /** Stored hashes by index, same order; {@link MissingHashError} if one is absent. */
  readHashes(indexes: readonly number[], options?: LogStoreCallOptions): Promise<Uint8Array[]>
  /** The checkpoint the log published at tree size `size` (each head appended is kept), or null. */
  checkpointAt(size: number, options?: LogStoreCallOptions): Promise<string | null>
  /** Certificates issued to a peer ID, newest (highest logIndex) first. */
  certificatesOf(peerId: string, options?: LogStoreCallOptions): Promise<CertificateRecord[]>
  /** The certificate with this serial (lowercase hex), or null. */
  certificateBySerial(
    serialHex: string,
    options?: LogStoreCallOptions,
  ): Promise<CertificateRecord | null>
  /** The newest `limit` certificates, newest (highest logIndex) first. */
  recentCertificates(limit: number, options?: LogStoreCallOptions): Promise<CertificateRecord[]>
  /**
   * Revocations with logIndex > afterLogIndex, ascending; at most `limit`. Pass -1 to start from
   * the beginning of the log, then the last logIndex returned to page on.
   */
  revocations(
    afterLogIndex: number,
    limit: number,
    options?: LogStoreCallOptions,
  ): Promise<RevocationRecord[]>
  /** The revocation of the certificate with this serial (lowercase hex), or null. */
  revocationOf(serialHex: string, options?: LogStoreCallOptions): Promise<RevocationRecord | null>
  /** Small key/value settings (e.g. the root certificate PEM); null when the key is absent. */
  getMeta(key: string, options?: LogStoreCallOptions): Promise<string | null>
  /** Set `key` only if absent; returns the value now stored (yours or the one already there). */
  initMeta(key: string, value: string, options?: LogStoreCallOptions): Promise<string>
  /** Release the store's connections. Idempotent; waits for calls already running. */
  close(): Promise<void>
}

/** What a {@link LogConflictError} found already stored. */
export type LogConflictKind = 'entry' | 'hash' | 'checkpoint' | 'certificate' | 'revocation'

/**
 * The compare-and-swap of {@link LogStore.append} failed: the stored head no longer has the size
 * the batch was built on (another sequencer appended first). Nothing of the batch was written;
 * rebuild it on the current head.
 */
export class HeadMovedError extends TrustchainError {
  override readonly name = 'HeadMovedError'
  readonly code = 'ERR_LOG_HEAD_MOVED'

  /**
   * @param expected - the size the batch was built on (`oldSize`)
   * @param actual - the size of the stored head when the append was refused (0 if never written)
   */
  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super(
      expected === actual
        ? `The log head moved: a checkpoint of size ${actual} was already published. Reload the head.`
        : `The log head moved: expected size ${expected}, found ${actual}. Rebuild the batch.`,
    )
  }
}

/** {@link LogStore.readHashes} asked for a stored hash that the log does not have. */
export class MissingHashError extends TrustchainError {
  override readonly name = 'MissingHashError'
  readonly code = 'ERR_LOG_MISSING_HASH'

  /** @param index - the first stored-hash index asked for that is absent */
  constructor(readonly index: number) {
    super(`The log has no stored hash at index ${index}.`)
  }
}

/** {@link LogStore.entries} asked for entries past the head of the log. */
export class LogRangeError extends TrustchainError {
  override readonly name = 'LogRangeError'
  readonly code = 'ERR_LOG_RANGE'

  /**
   * @param start - first index asked for
   * @param end - index after the last one asked for
   * @param size - size of the log when the read was refused
   */
  constructor(
    readonly start: number,
    readonly end: number,
    readonly size: number,
  ) {
    super(`Entries [${start}, ${end}) are past the head of the log (size ${size}).`)
  }
}

/**
 * {@link LogStore.append} would have overwritten something already stored (a hash index, a
 * checkpoint, a certificate or revocation serial, an entry). Nothing of the batch was written.
 */
export class LogConflictError extends TrustchainError {
  override readonly name = 'LogConflictError'
  readonly code = 'ERR_LOG_CONFLICT'

  /**
   * @param kind - what is already stored
   * @param key - its index, size or serial
   */
  constructor(
    readonly kind: LogConflictKind,
    readonly key: number | string,
  ) {
    super(`The log already has the ${kind} ${key}; a batch never overwrites stored data.`)
  }
}

/** A log store method was called with an argument it does not accept; nothing was read or written. */
export class InvalidLogArgumentError extends TrustchainError {
  override readonly name = 'InvalidLogArgumentError'
  readonly code = 'ERR_LOG_INVALID_ARGUMENT'

  /**
   * @param method - the method called (`append`, `entries`, …)
   * @param argument - path of the offending argument (`batch.hashes[3].hash`)
   * @param reason - what is wrong with it
   */
  constructor(
    readonly method: string,
    readonly argument: string,
    reason: string,
  ) {
    super(`LogStore.${method}: ${argument} ${reason}.`)
  }
}

/** A log store was used after {@link LogStore.close}. */
export class LogStoreClosedError extends TrustchainError {
  override readonly name = 'LogStoreClosedError'
  readonly code = 'ERR_LOG_STORE_CLOSED'

  /** @param method - the method called */
  constructor(readonly method: string) {
    super(`LogStore.${method}: the log store is closed; open it again.`)
  }
}

/**
 * The database behind a log store failed (I/O, lost connection, busy past the timeout, or data
 * that breaks the log's invariants). The driver's error is the `cause`.
 */
export class LogStoreError extends TrustchainError {
  override readonly name = 'LogStoreError'
  readonly code = 'ERR_LOG_STORE'

  /**
   * @param operation - what the store was doing (`append`, `open`, …)
   * @param cause - the underlying error
   */
  constructor(
    readonly operation: string,
    cause?: unknown,
  ) {
    super(
      `The log store failed during ${operation}: ${cause instanceof Error ? cause.message : String(cause)}.`,
      { cause },
    )
  }
}

const SERIAL_HEX = /^[0-9a-f]+$/

/**
 * Check that `value` is a safe integer of at least `min` (an index, a size, a limit).
 *
 * @throws {@link InvalidLogArgumentError}
 */
export function assertLogInteger(method: string, argument: string, value: unknown, min = 0): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidLogArgumentError(
      method,
      argument,
      `must be a safe integer of at least ${min}, got ${String(value)}`,
    )
  }
}

/**
 * Check that `value` is a non-empty string (a peer ID, a meta key).
 *
 * @throws {@link InvalidLogArgumentError}
 */
export function assertLogString(method: string, argument: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidLogArgumentError(method, argument, 'must be a non-empty string')
  }
}

/**
 * Check that `value` is a string, possibly empty (a meta value, a revocation reason).
 *
 * @throws {@link InvalidLogArgumentError}
 */
export function assertLogText(method: string, argument: string, value: unknown): void {
  if (typeof value !== 'string') {
    throw new InvalidLogArgumentError(method, argument, 'must be a string')
  }
}

/**
 * Check that `value` is a certificate serial in canonical form: lowercase hex, no prefix.
 * Lookups by serial are exact, so one spelling per serial is enforced at every edge.
 *
 * @throws {@link InvalidLogArgumentError}
 */
export function assertSerialHex(method: string, argument: string, value: unknown): void {
  if (typeof value !== 'string' || !SERIAL_HEX.test(value)) {
    throw new InvalidLogArgumentError(method, argument, 'must be lowercase hex without a prefix')
  }
}

/**
 * Check the arguments of {@link LogStore.entries}: `0 <= start <= end`, both safe integers.
 *
 * @throws {@link InvalidLogArgumentError}
 */
export function assertEntriesRange(start: unknown, end: unknown): void {
  assertLogInteger('entries', 'start', start)
  assertLogInteger('entries', 'end', end)
  if ((end as number) < (start as number)) {
    throw new InvalidLogArgumentError('entries', 'end', `must not be below start (${start})`)
  }
}

/**
 * Check the argument of {@link LogStore.readHashes}: an array of non-negative safe integers.
 *
 * @throws {@link InvalidLogArgumentError}
 */
export function assertHashIndexes(indexes: unknown): asserts indexes is readonly number[] {
  if (!Array.isArray(indexes)) {
    throw new InvalidLogArgumentError('readHashes', 'indexes', 'must be an array')
  }
  for (let i = 0; i < indexes.length; i++) {
    assertLogInteger('readHashes', `indexes[${i}]`, indexes[i])
  }
}

function assertHash(method: string, argument: string, value: unknown): void {
  if (!(value instanceof Uint8Array) || value.length !== LOG_HASH_BYTES) {
    throw new InvalidLogArgumentError(
      method,
      argument,
      `must be a ${LOG_HASH_BYTES}-byte Uint8Array`,
    )
  }
}

function assertBatchIndex(argument: string, value: unknown, oldSize: number, size: number): void {
  assertLogInteger('append', argument, value)
  // A record must point into its own batch: the revocation cursor only moves forward, so a
  // record filed under an older index would never reach a client that already paged past it.
  if ((value as number) < oldSize || (value as number) >= size) {
    throw new InvalidLogArgumentError(
      'append',
      argument,
      `must index an entry of this batch, in [${oldSize}, ${size})`,
    )
  }
}

function assertCertificate(
  argument: string,
  record: unknown,
  oldSize: number,
  size: number,
): asserts record is CertificateRecord {
  if (typeof record !== 'object' || record === null) {
    throw new InvalidLogArgumentError('append', argument, 'must be a certificate record')
  }
  const c = record as Partial<CertificateRecord>
  assertSerialHex('append', `${argument}.serialHex`, c.serialHex)
  assertLogString('append', `${argument}.peerId`, c.peerId)
  assertBatchIndex(`${argument}.logIndex`, c.logIndex, oldSize, size)
  assertLogInteger('append', `${argument}.notBefore`, c.notBefore)
  assertLogInteger('append', `${argument}.notAfter`, c.notAfter)
  if ((c.notAfter as number) < (c.notBefore as number)) {
    throw new InvalidLogArgumentError(
      'append',
      `${argument}.notAfter`,
      'must not precede notBefore',
    )
  }
}

function assertRevocation(
  argument: string,
  record: unknown,
  oldSize: number,
  size: number,
): asserts record is RevocationRecord {
  if (typeof record !== 'object' || record === null) {
    throw new InvalidLogArgumentError('append', argument, 'must be a revocation record')
  }
  const r = record as Partial<RevocationRecord>
  assertSerialHex('append', `${argument}.serialHex`, r.serialHex)
  assertLogString('append', `${argument}.peerId`, r.peerId)
  assertBatchIndex(`${argument}.logIndex`, r.logIndex, oldSize, size)
  assertLogInteger('append', `${argument}.revokedAt`, r.revokedAt)
  assertLogText('append', `${argument}.reason`, r.reason)
}

function assertUnique<T>(argument: string, values: readonly T[], what: string): void {
  const seen = new Set<T>()
  for (const value of values) {
    if (seen.has(value)) {
      throw new InvalidLogArgumentError('append', argument, `repeats the ${what} ${String(value)}`)
    }
    seen.add(value)
  }
}

/**
 * Check the arguments of {@link LogStore.append}: `oldSize` a non-negative safe integer, the head
 * consistent with the entries (`head.size === oldSize + entries.length`), every hash and root
 * 32 bytes, entries present unless `oldSize` is 0, no stored-hash index, serial or log index
 * repeated within the batch, and every certificate and revocation indexing an entry of the batch.
 *
 * @throws {@link InvalidLogArgumentError}
 */
export function assertLogBatch(oldSize: unknown, batch: unknown): asserts batch is LogBatch {
  assertLogInteger('append', 'oldSize', oldSize)
  if (typeof batch !== 'object' || batch === null) {
    throw new InvalidLogArgumentError('append', 'batch', 'must be an object')
  }
  const b = batch as Partial<LogBatch>
  if (!Array.isArray(b.entries)) {
    throw new InvalidLogArgumentError('append', 'batch.entries', 'must be an array')
  }
  b.entries.forEach((entry, i) => {
    if (!(entry instanceof Uint8Array)) {
      throw new InvalidLogArgumentError('append', `batch.entries[${i}]`, 'must be a Uint8Array')
    }
  })
  if (!Array.isArray(b.hashes)) {
    throw new InvalidLogArgumentError('append', 'batch.hashes', 'must be an array')
  }
  b.hashes.forEach((h, i) => {
    if (typeof h !== 'object' || h === null) {
      throw new InvalidLogArgumentError('append', `batch.hashes[${i}]`, 'must be { index, hash }')
    }
    assertLogInteger('append', `batch.hashes[${i}].index`, h.index)
    assertHash('append', `batch.hashes[${i}].hash`, h.hash)
  })
  assertUnique(
    'batch.hashes',
    b.hashes.map((h) => h.index),
    'index',
  )
  if (b.entries.length === 0 && oldSize !== 0) {
    // Only a log never written needs a head without new entries; later, it would re-sign a size.
    throw new InvalidLogArgumentError('append', 'batch.entries', 'must not be empty past size 0')
  }
  const head = b.head
  if (typeof head !== 'object' || head === null) {
    throw new InvalidLogArgumentError('append', 'batch.head', 'must be a log head')
  }
  const size = (oldSize as number) + b.entries.length
  if (head.size !== size) {
    throw new InvalidLogArgumentError(
      'append',
      'batch.head.size',
      `must be oldSize + entries.length = ${size}, got ${String(head.size)}`,
    )
  }
  assertLogInteger('append', 'batch.head.size', head.size)
  assertHash('append', 'batch.head.rootHash', head.rootHash)
  assertLogString('append', 'batch.head.checkpoint', head.checkpoint)
  const certificates: unknown = b.certificates ?? []
  if (!Array.isArray(certificates)) {
    throw new InvalidLogArgumentError('append', 'batch.certificates', 'must be an array')
  }
  certificates.forEach((c, i) =>
    assertCertificate(`batch.certificates[${i}]`, c, oldSize as number, size),
  )
  const certs = certificates as CertificateRecord[]
  assertUnique(
    'batch.certificates',
    certs.map((c) => c.serialHex),
    'serial',
  )
  const revocations: unknown = b.revocations ?? []
  if (!Array.isArray(revocations)) {
    throw new InvalidLogArgumentError('append', 'batch.revocations', 'must be an array')
  }
  revocations.forEach((r, i) =>
    assertRevocation(`batch.revocations[${i}]`, r, oldSize as number, size),
  )
  const revs = revocations as RevocationRecord[]
  assertUnique(
    'batch.revocations',
    revs.map((r) => r.serialHex),
    'serial',
  )
  // One entry is one certificate or one revocation, never two records.
  assertUnique(
    'batch.certificates/revocations',
    [...certs, ...revs].map((r) => r.logIndex),
    'log index',
  )
}
