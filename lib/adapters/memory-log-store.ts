import {
  HeadMovedError,
  LogConflictError,
  LogRangeError,
  LogStoreClosedError,
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

/**
 * The data of an in-memory transparency log: what a disk would keep. Hand the same state to a
 * second {@link createMemoryLogStore} to model a restart, or to two stores to model two
 * sequencers sharing one database. Its members belong to the memory adapter.
 */
export class MemoryLogState {
  /** @internal */ readonly entries: Uint8Array[] = []
  /** @internal */ readonly hashes = new Map<number, Uint8Array>()
  /** @internal */ readonly checkpoints = new Map<number, string>()
  /** @internal Ascending logIndex, since every batch's records index past all earlier ones. */
  readonly certificates: CertificateRecord[] = []
  /** @internal */ readonly certificateBySerial = new Map<string, CertificateRecord>()
  /** @internal Ascending logIndex. */
  readonly certificatesByPeer = new Map<string, CertificateRecord[]>()
  /** @internal Ascending logIndex. */
  readonly revocations: RevocationRecord[] = []
  /** @internal */ readonly revocationBySerial = new Map<string, RevocationRecord>()
  /** @internal */ readonly meta = new Map<string, string>()
  /** @internal */ head: LogHead | null = null
}

const byLogIndex = (a: { logIndex: number }, b: { logIndex: number }): number =>
  a.logIndex - b.logIndex

function copyHead(head: LogHead): LogHead {
  return { size: head.size, rootHash: head.rootHash.slice(), checkpoint: head.checkpoint }
}

/**
 * A {@link LogStore} in memory, for unit tests and the simulator. Every call completes
 * synchronously before its promise settles, so concurrent appends are serialised exactly as a
 * database would. Bytes are copied in and out: callers can never change what is stored.
 *
 * @param state - the data to serve; a fresh empty log by default
 * @example
 * ```ts
 * const disk = new MemoryLogState()
 * const store = createMemoryLogStore(disk)
 * await store.close()
 * const reopened = createMemoryLogStore(disk) // same log
 * ```
 */
export function createMemoryLogStore(state: MemoryLogState = new MemoryLogState()): LogStore {
  let closed = false

  function enter(method: string, options: LogStoreCallOptions | undefined): void {
    if (closed) throw new LogStoreClosedError(method)
    options?.signal?.throwIfAborted()
  }

  function append(oldSize: number, batch: LogBatch): void {
    const actual = state.head?.size ?? 0
    const published = batch.entries.length === 0 && state.head !== null
    if (actual !== oldSize || published) throw new HeadMovedError(oldSize, actual)
    // Every conflict is looked for before the first write, so a refused batch leaves no trace.
    for (const { index } of batch.hashes) {
      if (state.hashes.has(index)) throw new LogConflictError('hash', index)
    }
    const certificates = [...(batch.certificates ?? [])].sort(byLogIndex)
    for (const c of certificates) {
      if (state.certificateBySerial.has(c.serialHex)) {
        throw new LogConflictError('certificate', c.serialHex)
      }
    }
    const revocations = [...(batch.revocations ?? [])].sort(byLogIndex)
    for (const r of revocations) {
      if (state.revocationBySerial.has(r.serialHex)) {
        throw new LogConflictError('revocation', r.serialHex)
      }
    }

    for (const entry of batch.entries) state.entries.push(entry.slice())
    for (const { index, hash } of batch.hashes) state.hashes.set(index, hash.slice())
    for (const c of certificates) {
      const record = { ...c }
      state.certificates.push(record)
      state.certificateBySerial.set(record.serialHex, record)
      const ofPeer = state.certificatesByPeer.get(record.peerId)
      if (ofPeer === undefined) state.certificatesByPeer.set(record.peerId, [record])
      else ofPeer.push(record)
    }
    for (const r of revocations) {
      const record = { ...r }
      state.revocations.push(record)
      state.revocationBySerial.set(record.serialHex, record)
    }
    state.checkpoints.set(batch.head.size, batch.head.checkpoint)
    state.head = copyHead(batch.head)
  }

  return {
    async head(options) {
      enter('head', options)
      return state.head === null ? null : copyHead(state.head)
    },

    async append(oldSize, batch, options) {
      assertLogBatch(oldSize, batch)
      enter('append', options)
      append(oldSize, batch)
    },

    async entries(start, end, options) {
      assertEntriesRange(start, end)
      enter('entries', options)
      const size = state.head?.size ?? 0
      if (end > size) throw new LogRangeError(start, end, size)
      return state.entries.slice(start, end).map((e) => e.slice())
    },

    async readHashes(indexes, options) {
      assertHashIndexes(indexes)
      enter('readHashes', options)
      return indexes.map((index) => {
        const hash = state.hashes.get(index)
        if (hash === undefined) throw new MissingHashError(index)
        return hash.slice()
      })
    },

    async checkpointAt(size, options) {
      assertLogInteger('checkpointAt', 'size', size)
      enter('checkpointAt', options)
      return state.checkpoints.get(size) ?? null
    },

    async certificatesOf(peerId, options) {
      assertLogString('certificatesOf', 'peerId', peerId)
      enter('certificatesOf', options)
      return (state.certificatesByPeer.get(peerId) ?? []).map((c) => ({ ...c })).reverse()
    },

    async certificateBySerial(serialHex, options) {
      assertSerialHex('certificateBySerial', 'serialHex', serialHex)
      enter('certificateBySerial', options)
      const record = state.certificateBySerial.get(serialHex)
      return record === undefined ? null : { ...record }
    },

    async recentCertificates(limit, options) {
      assertLogInteger('recentCertificates', 'limit', limit)
      enter('recentCertificates', options)
      if (limit === 0) return []
      return state.certificates
        .slice(-limit)
        .map((c) => ({ ...c }))
        .reverse()
    },

    async revocations(afterLogIndex, limit, options) {
      assertLogInteger('revocations', 'afterLogIndex', afterLogIndex, -1)
      assertLogInteger('revocations', 'limit', limit)
      enter('revocations', options)
      const all = state.revocations
      let lo = 0
      let hi = all.length
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if ((all[mid] as RevocationRecord).logIndex <= afterLogIndex) lo = mid + 1
        else hi = mid
      }
      return all.slice(lo, lo + limit).map((r) => ({ ...r }))
    },

    async revocationOf(serialHex, options) {
      assertSerialHex('revocationOf', 'serialHex', serialHex)
      enter('revocationOf', options)
      const record = state.revocationBySerial.get(serialHex)
      return record === undefined ? null : { ...record }
    },

    async getMeta(key, options) {
      assertLogString('getMeta', 'key', key)
      enter('getMeta', options)
      return state.meta.get(key) ?? null
    },

    async initMeta(key, value, options) {
      assertLogString('initMeta', 'key', key)
      assertLogText('initMeta', 'value', value)
      enter('initMeta', options)
      const stored = state.meta.get(key)
      if (stored !== undefined) return stored
      state.meta.set(key, value)
      return value
    },

    async close() {
      closed = true
    },
  }
}
