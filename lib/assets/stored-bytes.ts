/**
 * The bytes of a storage asset (DESIGN.md §5): what peers write at its global address, kept
 * durably in a {@link KvStore} (IndexedDB in a tab) so that they outlive the tab, with a copy in
 * RAM that answers reads and proofs at once.
 *
 * Decisions:
 * - **Blocks**: the bytes are stored as {@link STORED_BLOCK_BYTES} blocks under key `b` ‖ index
 *   (u32, big-endian); a block never written is absent and reads as zeros. A write rewrites the
 *   blocks it touches (at most 17 for a 1 MiB write) in one atomic batch, so it never rewrites the
 *   whole asset, and a torn write cannot happen: the batch lands entirely or not at all.
 * - **Persist, then apply**: a write is first stored (the KvStore's batch resolves once durable:
 *   IndexedDB `strict` durability), and only then copied into RAM and acknowledged. Until then
 *   readers see the bytes as they were. A write whose batch fails changes nothing, in RAM or on
 *   disk, so the server core never has to undo it (it could not safely: other requests run
 *   while a write is stored).
 * - **One write at a time**: writes and truncations queue and run in order. Each computes its
 *   blocks from RAM as the previous one left it; two writes to one block in flight together
 *   would otherwise each store the block without the other's bytes.
 * - **RAM**: one buffer up to the end of the last stored block, grown as writes come (at most
 *   `maxBytes`). The cost is the served size in RAM (16 MiB in a tab); in exchange reads and
 *   proofs are synchronous and never wait for IndexedDB.
 * - **Proofs** ({@link StoredBytes.prove}): a proof over a range hashes the whole range once to
 *   build its Merkle tree (about 0.35 s for 16 MiB in Node), then answers from it. The tree of the
 *   last range proved is kept until the next write or truncation, so repeated audits of unchanged
 *   content cost only their chunks and proofs.
 * - **Damage**: stored entries under `b` that are not this format make {@link openStoredBytes}
 *   fail with {@link StoredBytesError} rather than serve made-up bytes; blocks past `maxBytes`
 *   (a smaller cap than when they were written) are deleted on open.
 *
 * No clock, no randomness; I/O only through the KvStore port.
 */
import { prefixRange, type KvOp, type KvStore } from '../kv/kv-store'
import { AssetArgumentError, AssetError } from './asset-id'
import {
  createRetrievabilityProver,
  type RetrievabilityChallenge,
  type RetrievabilityProver,
  type RetrievabilityResponse,
} from './retrievability'

/** Bytes of one stored block. */
export const STORED_BLOCK_BYTES = 64 * 1024

/** First byte of every block key. */
const BLOCK_PREFIX = 0x62 // 'b'

/**
 * The stored bytes could not be loaded: an entry under the block prefix is not a block of this
 * format (`code` `STORED_BYTES_DAMAGED`). Storage failures themselves come from the KvStore as
 * its own errors (`KvStoreError`).
 */
export class StoredBytesError extends AssetError {
  override readonly name = 'StoredBytesError'
  readonly code = 'STORED_BYTES_DAMAGED'
}

/** Options of {@link openStoredBytes}. */
export interface StoredBytesInit {
  /**
   * Most bytes ever stored, a positive multiple of {@link STORED_BLOCK_BYTES}: writes past it are
   * refused, and stored blocks past it are deleted on open.
   */
  maxBytes: number
}

/** A storage asset's bytes; see {@link openStoredBytes}. */
export interface StoredBytes {
  readonly maxBytes: number
  /** Bytes up to the end of the last block held (0 when empty); reads past it give zeros. */
  readonly length: number
  /**
   * The bytes at `offset … offset + length − 1` as last acknowledged (zeros where nothing was
   * written). May be a view: copy it to keep it.
   *
   * @throws {AssetArgumentError} for a range that is not inside 0 … maxBytes
   */
  read(offset: number, length: number): Uint8Array
  /**
   * Store `bytes` at `offset`: resolves once they are durable and visible to reads. On a
   * rejection (the store failed) nothing changed. `bytes` is copied at once.
   *
   * @throws {AssetArgumentError} synchronously, for a range not inside 0 … maxBytes
   */
  write(offset: number, bytes: Uint8Array): Promise<void>
  /**
   * Drop every byte from `size` on (what a lowered share no longer covers): reads there give
   * zeros again. Durable when it resolves; queued after the writes already asked for.
   *
   * @throws {AssetArgumentError} synchronously, for a size outside 0 … maxBytes
   */
  truncate(size: number): Promise<void>
  /**
   * Answer a proof-of-retrievability challenge about the content `offset … offset + length − 1`
   * (lib/assets/retrievability.ts), from the bytes as they are now.
   *
   * @throws {RangeError} for a range outside 0 … maxBytes or an index past the range's chunks
   */
  prove(
    offset: number,
    length: number,
    challenge: RetrievabilityChallenge,
  ): Promise<RetrievabilityResponse>
}

/** The key of block `index`: `b` ‖ u32 big-endian. */
export function storedBlockKey(index: number): Uint8Array {
  const key = new Uint8Array(5)
  key[0] = BLOCK_PREFIX
  new DataView(key.buffer).setUint32(1, index)
  return key
}

/**
 * Load the bytes kept in `store` and return them, ready to serve. Reads every stored block once.
 *
 * @example
 * ```ts
 * const bytes = await openStoredBytes(await openIdbKvStore(`hypermesh-storage-${slot}`, 'blocks'), {
 *   maxBytes: 16 * 2 ** 20,
 * })
 * await bytes.write(0, data)
 * ```
 * @throws {AssetArgumentError} for a `maxBytes` that is not a positive multiple of the block size
 * @throws {StoredBytesError} when a stored entry is not a block of this format
 * @throws the KvStore's errors when reading (or deleting blocks past `maxBytes`) fails
 */
export async function openStoredBytes(store: KvStore, init: StoredBytesInit): Promise<StoredBytes> {
  if (store === null || typeof store !== 'object' || typeof store.batch !== 'function') {
    throw new AssetArgumentError('openStoredBytes.store', 'must be a KvStore')
  }
  const maxBytes = init?.maxBytes
  if (
    !Number.isSafeInteger(maxBytes) ||
    maxBytes < STORED_BLOCK_BYTES ||
    maxBytes % STORED_BLOCK_BYTES !== 0 ||
    maxBytes / STORED_BLOCK_BYTES > 2 ** 32
  ) {
    throw new AssetArgumentError(
      'openStoredBytes.maxBytes',
      `must be a positive multiple of ${STORED_BLOCK_BYTES}`,
    )
  }
  const maxBlocks = maxBytes / STORED_BLOCK_BYTES

  // Indices of the blocks present in the store.
  const stored = new Set<number>()
  const loaded: Array<[number, Uint8Array]> = []
  const beyond: KvOp[] = []
  for (const [key, value] of await store.range(prefixRange(Uint8Array.of(BLOCK_PREFIX)))) {
    if (key.length !== 5) {
      throw new StoredBytesError(`openStoredBytes: a stored key of ${key.length} bytes`)
    }
    const index = new DataView(key.buffer, key.byteOffset, key.byteLength).getUint32(1)
    if (value.length !== STORED_BLOCK_BYTES) {
      throw new StoredBytesError(`openStoredBytes: block ${index} holds ${value.length} bytes`)
    }
    if (index >= maxBlocks) beyond.push({ type: 'del', key })
    else loaded.push([index, value])
  }
  if (beyond.length > 0) await store.batch(beyond)
  const blocksHeld = loaded.reduce((n, [index]) => Math.max(n, index + 1), 0)
  let ram = new Uint8Array(blocksHeld * STORED_BLOCK_BYTES)
  for (const [index, value] of loaded) {
    ram.set(value, index * STORED_BLOCK_BYTES)
    stored.add(index)
  }

  // Bumped by every change of the bytes: a cached proof tree is valid for one generation.
  let generation = 0
  let cached: {
    offset: number
    length: number
    generation: number
    prover: RetrievabilityProver
  } | null = null
  let queue: Promise<void> = Promise.resolve()

  const checkRange = (fn: string, offset: number, length: number): void => {
    if (
      !Number.isSafeInteger(offset) ||
      offset < 0 ||
      !Number.isSafeInteger(length) ||
      length < 0 ||
      offset + length > maxBytes
    ) {
      throw new AssetArgumentError(`StoredBytes.${fn}`, `range must lie inside 0…${maxBytes}`)
    }
  }

  /** Run `task` after every change asked for before it; a failure does not stop the queue. */
  const enqueue = (task: () => Promise<void>): Promise<void> => {
    const run = queue.then(task)
    queue = run.catch(() => undefined)
    return run
  }

  const read = (offset: number, length: number): Uint8Array => {
    if (offset + length <= ram.length) return ram.subarray(offset, offset + length)
    const out = new Uint8Array(length)
    if (offset < ram.length) out.set(ram.subarray(offset))
    return out
  }

  return {
    maxBytes,
    get length() {
      return ram.length
    },
    read(offset, length) {
      checkRange('read', offset, length)
      return read(offset, length)
    },
    write(offset, bytes) {
      if (!(bytes instanceof Uint8Array)) {
        throw new AssetArgumentError('StoredBytes.write.bytes', 'must be a Uint8Array')
      }
      checkRange('write', offset, bytes.length)
      const copy = bytes.slice()
      return enqueue(async () => {
        if (copy.length === 0) return
        const first = Math.floor(offset / STORED_BLOCK_BYTES)
        const last = Math.floor((offset + copy.length - 1) / STORED_BLOCK_BYTES)
        const ops: KvOp[] = []
        for (let i = first; i <= last; i++) {
          const start = i * STORED_BLOCK_BYTES
          const block = read(start, STORED_BLOCK_BYTES).slice()
          const from = Math.max(offset, start)
          const to = Math.min(offset + copy.length, start + STORED_BLOCK_BYTES)
          block.set(copy.subarray(from - offset, to - offset), from - start)
          ops.push({ type: 'put', key: storedBlockKey(i), value: block })
        }
        await store.batch(ops)
        const end = (last + 1) * STORED_BLOCK_BYTES
        if (end > ram.length) {
          // Grown at least twofold so that a run of appends does not copy the buffer each time.
          const grown = new Uint8Array(Math.min(maxBytes, Math.max(end, 2 * ram.length)))
          grown.set(ram)
          ram = grown
        }
        ram.set(copy, offset)
        for (let i = first; i <= last; i++) stored.add(i)
        generation++
      })
    },
    truncate(size) {
      checkRange('truncate', size, 0)
      return enqueue(async () => {
        const keep = Math.ceil(size / STORED_BLOCK_BYTES)
        const ops: KvOp[] = []
        for (const index of stored) {
          if (index >= keep) ops.push({ type: 'del', key: storedBlockKey(index) })
        }
        const partial = Math.floor(size / STORED_BLOCK_BYTES)
        const cut = size % STORED_BLOCK_BYTES
        if (cut !== 0 && stored.has(partial)) {
          const block = read(partial * STORED_BLOCK_BYTES, STORED_BLOCK_BYTES).slice()
          block.fill(0, cut)
          ops.push({ type: 'put', key: storedBlockKey(partial), value: block })
        }
        if (ops.length > 0) await store.batch(ops)
        for (const index of [...stored]) if (index >= keep) stored.delete(index)
        if (ram.length > keep * STORED_BLOCK_BYTES) ram = ram.slice(0, keep * STORED_BLOCK_BYTES)
        if (size < ram.length) ram.fill(0, size)
        generation++
      })
    },
    async prove(offset, length, challenge) {
      if (
        !Number.isSafeInteger(offset) ||
        offset < 0 ||
        !Number.isSafeInteger(length) ||
        length < 1 ||
        offset + length > maxBytes
      ) {
        throw new RangeError(`StoredBytes.prove: the range must lie inside 0…${maxBytes}`)
      }
      let prover =
        cached !== null &&
        cached.offset === offset &&
        cached.length === length &&
        cached.generation === generation
          ? cached.prover
          : null
      if (prover === null) {
        const at = generation
        prover = await createRetrievabilityProver({
          size: length,
          read: (o, l) => read(offset + o, l),
        })
        // Keep the tree only if no change landed while it was built.
        if (generation === at) cached = { offset, length, generation: at, prover }
      }
      return prover.respond(challenge)
    },
  }
}
