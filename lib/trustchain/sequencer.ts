import { formatCheckpoint } from './checkpoint'
import { TrustchainError } from './errors'
import type { CertificateRecord, LogBatch, LogHead, LogStore, RevocationRecord } from './log-store'
import { HeadMovedError } from './log-store'
import {
  EMPTY_ROOT,
  leafHash,
  proveConsistency,
  proveInclusion,
  storedHashesForRecord,
  storedHashIndex,
  treeHash,
  type HashReader,
} from './merkle'
import { signNote, type NoteSigner } from './note'

/** Options of {@link LogSequencer}. */
export interface LogSequencerInit {
  /** The checkpoint origin line: the log's name (C2SP tlog-checkpoint). */
  origin: string
  /** Most entries in one batch. Default 4 096. */
  maxBatchEntries?: number
  /** Stored hashes kept in memory for proofs (the newest ones). Default 1 << 18 (8 MiB). */
  hashCacheSize?: number
  /** Attempts at one batch when another writer moved the head. Default 5. */
  maxCasRetries?: number
}

/** The ports a sequencer needs. */
export interface LogSequencerComponents {
  store: LogStore
  /** Signs checkpoints with the log's note key. */
  signer: NoteSigner
  /**
   * Let pending I/O run before a batch is cut (Node: `setImmediate`). A synchronous store
   * (node:sqlite) never gives the event loop a turn otherwise, so requests that arrived during a
   * write would not be read until the loop ends: every batch would hold one entry.
   */
  yieldNow?: () => Promise<void>
  /**
   * The signer is the server's own key (node:crypto, checked at start): skip re-verifying each
   * checkpoint signature in JS, which cost more than the rest of a small batch.
   */
  trustedSigner?: boolean
}

/** What a caller adds: the entry, and the index rows to write with it. */
export interface PendingEntry {
  entry: Uint8Array
  /** Certificate index row, without the log index (known only once sequenced). */
  certificate?: Omit<CertificateRecord, 'logIndex'>
  revocation?: Omit<RevocationRecord, 'logIndex'>
}

/** A sequenced entry: its index and an inclusion proof against the head that includes it. */
export interface Sequenced {
  index: number
  head: LogHead
  /** RFC 9162 inclusion proof of the entry in `head`. */
  proof: Uint8Array[]
}

/** The sequencer was stopped, or a batch could not be written. */
export class SequencerError extends TrustchainError {
  override readonly name = 'SequencerError'
  readonly code = 'ERR_SEQUENCER'
}

interface Waiting extends PendingEntry {
  resolve(s: Sequenced): void
  reject(err: unknown): void
}

/**
 * Sequences log entries with group commit: an entry that arrives while the log is idle is written
 * at once (latency = one durable write); entries that arrive while a batch is being written wait
 * for the next batch, so batches grow with load and each lasts about one write (DESIGN.md §3: at
 * most ~50 ms). Each batch computes the new Merkle hashes, signs a checkpoint and appends all of
 * it to the store with compare-and-swap on the tree size, so two writers can never fork the log:
 * the loser reloads the head and sequences its entries after the winner's. Every caller gets its
 * index and inclusion proof only once the batch is durable.
 */
export class LogSequencer {
  readonly #c: LogSequencerComponents
  readonly #init: Required<LogSequencerInit>
  #head: LogHead | null = null
  #queue: Waiting[] = []
  #flushing = false
  #stopped = false
  /** Newest stored hashes by index (Map keeps insertion order: the oldest are evicted first). */
  readonly #cache = new Map<number, Uint8Array>()

  constructor(init: LogSequencerInit, components: LogSequencerComponents) {
    if (init.origin.trim() === '' || init.origin.includes('\n')) {
      throw new TypeError('LogSequencer: origin must be one non-empty line')
    }
    this.#c = components
    this.#init = {
      maxBatchEntries: 4_096,
      hashCacheSize: 1 << 18,
      maxCasRetries: 5,
      ...init,
    }
  }

  /** The log's name, the first line of every checkpoint. */
  get origin(): string {
    return this.#init.origin
  }

  /**
   * Load the head; a log never written gets a signed checkpoint of the empty tree, so verifiers
   * always have a checkpoint to start from.
   */
  async start(): Promise<void> {
    this.#stopped = false
    let head = await this.#c.store.head()
    if (head === null) {
      const empty: LogHead = {
        size: 0,
        rootHash: EMPTY_ROOT,
        checkpoint: await this.#sign(0, EMPTY_ROOT),
      }
      try {
        await this.#c.store.append(0, { entries: [], hashes: [], head: empty })
        head = empty
      } catch (err) {
        if (!(err instanceof HeadMovedError)) throw err
        head = await this.#c.store.head()
      }
    }
    this.#head = head
  }

  /** Stop accepting entries; entries not yet written are refused. */
  stop(): void {
    this.#stopped = true
    const queue = this.#queue
    this.#queue = []
    for (const w of queue) w.reject(new SequencerError('The log is shutting down.'))
  }

  /** The newest head this sequencer wrote or loaded. */
  head(): LogHead {
    if (this.#head === null) throw new SequencerError('LogSequencer: not started')
    return this.#head
  }

  /** Add one entry; resolves once it is durable in the log, with its index and proof. */
  add(pending: PendingEntry): Promise<Sequenced> {
    if (this.#stopped || this.#head === null) {
      return Promise.reject(new SequencerError('The log is not running.'))
    }
    if (pending.entry.byteLength === 0 || pending.entry.byteLength > 0xffff) {
      return Promise.reject(
        new RangeError('LogSequencer.add: an entry must be 1..65535 bytes (tlog-tiles bundles)'),
      )
    }
    return new Promise<Sequenced>((resolve, reject) => {
      this.#queue.push({ ...pending, resolve, reject })
      if (!this.#flushing) void this.#flush()
    })
  }

  /** A stored-hash reader over the cache, then the store. */
  readonly reader: HashReader = {
    readHashes: async (indexes) => {
      const out: (Uint8Array | undefined)[] = indexes.map((i) => this.#cache.get(i))
      const missing = indexes.filter((_, k) => out[k] === undefined)
      if (missing.length > 0) {
        const read = await this.#c.store.readHashes(missing)
        let m = 0
        for (let k = 0; k < out.length; k++) if (out[k] === undefined) out[k] = read[m++]
      }
      return out as Uint8Array[]
    },
  }

  /** Inclusion proof of entry `index` in the tree of `size` entries. */
  proveInclusion(size: number, index: number): Promise<Uint8Array[]> {
    return proveInclusion(size, index, this.reader)
  }

  /** Consistency proof between the trees of `size1` ≤ `size2` entries. */
  proveConsistency(size2: number, size1: number): Promise<Uint8Array[]> {
    return proveConsistency(size2, size1, this.reader)
  }

  async #flush(): Promise<void> {
    this.#flushing = true
    try {
      while (this.#queue.length > 0 && !this.#stopped) {
        await this.#c.yieldNow?.()
        const batch = this.#queue.splice(0, this.#init.maxBatchEntries)
        try {
          const { head, first } = await this.#writeBatch(batch)
          this.#head = head
          // Proofs against the head that includes the entry: a caller can hand it on at once.
          const proofs = await Promise.all(
            batch.map((_, k) => proveInclusion(head.size, first + k, this.reader)),
          )
          batch.forEach((w, k) => w.resolve({ index: first + k, head, proof: proofs[k] ?? [] }))
        } catch (err) {
          for (const w of batch) w.reject(err)
        }
      }
    } finally {
      this.#flushing = false
    }
  }

  async #writeBatch(batch: Waiting[]): Promise<{ head: LogHead; first: number }> {
    for (let attempt = 0; ; attempt++) {
      const old = this.#head
      if (old === null) throw new SequencerError('LogSequencer: not started')
      const first = old.size
      const fresh = new Map<number, Uint8Array>()
      // Hashes of this batch are read from `fresh` before they are stored.
      const reader: HashReader = {
        readHashes: async (indexes) => {
          const out: (Uint8Array | undefined)[] = indexes.map((i) => fresh.get(i))
          const rest = indexes.filter((_, k) => out[k] === undefined)
          if (rest.length > 0) {
            const read = await this.reader.readHashes(rest)
            let m = 0
            for (let k = 0; k < out.length; k++) if (out[k] === undefined) out[k] = read[m++]
          }
          return out as Uint8Array[]
        },
      }
      const hashes: { index: number; hash: Uint8Array }[] = []
      for (let k = 0; k < batch.length; k++) {
        const n = first + k
        const made = await storedHashesForRecord(n, leafHash(batch[k]!.entry), reader)
        const base = storedHashIndex(0, n)
        made.forEach((hash, j) => {
          fresh.set(base + j, hash)
          hashes.push({ index: base + j, hash })
        })
      }
      const size = first + batch.length
      const rootHash = await treeHash(size, reader)
      const head: LogHead = { size, rootHash, checkpoint: await this.#sign(size, rootHash) }
      const certificates: CertificateRecord[] = []
      const revocations: RevocationRecord[] = []
      batch.forEach((w, k) => {
        if (w.certificate !== undefined)
          certificates.push({ ...w.certificate, logIndex: first + k })
        if (w.revocation !== undefined) revocations.push({ ...w.revocation, logIndex: first + k })
      })
      const write: LogBatch = {
        entries: batch.map((w) => w.entry),
        hashes,
        head,
        ...(certificates.length > 0 ? { certificates } : {}),
        ...(revocations.length > 0 ? { revocations } : {}),
      }
      try {
        await this.#c.store.append(first, write)
      } catch (err) {
        if (!(err instanceof HeadMovedError) || attempt + 1 >= this.#init.maxCasRetries) throw err
        // Another writer extended the log: sequence after it.
        const now = await this.#c.store.head()
        if (now === null) throw err
        this.#head = now
        continue
      }
      for (const { index, hash } of hashes) this.#remember(index, hash)
      return { head, first }
    }
  }

  #remember(index: number, hash: Uint8Array): void {
    this.#cache.set(index, hash)
    if (this.#cache.size > this.#init.hashCacheSize) {
      const oldest = this.#cache.keys().next()
      if (oldest.done !== true) this.#cache.delete(oldest.value)
    }
  }

  #sign(size: number, rootHash: Uint8Array): Promise<string> {
    return signNote(
      formatCheckpoint({ origin: this.#init.origin, size, rootHash, extensions: [] }),
      [this.#c.signer],
      { checkSignatures: this.#c.trustedSigner !== true },
    )
  }
}
