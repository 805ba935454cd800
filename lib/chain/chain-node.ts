/**
 * A chain node: the pure consensus core (lib/consensus/core.ts) wired to storage, the network and
 * timers. The same class runs in the browser's consensus worker (IndexedDB, the worker bridge to
 * the tab's libp2p node), in the headless node and in the server's anchor validator (node:sqlite,
 * libp2p directly). It does what the core's outputs say, in order:
 *
 * - `persist` records are written (and durable) before any later output of the same step is acted
 *   upon, so a restarted validator never signs two different things (docs/consensus.md);
 * - committed blocks are stored with their certificates, indexed by transaction, and served to
 *   peers that sync; every `snapshotEvery` blocks the state is stored so a restart replays only
 *   the blocks after it;
 * - timeouts become timers, `request-sync` a fetch from a peer.
 *
 * Inputs are handled one at a time (a queue): the core is synchronous, but persisting is not.
 */
import * as dagCbor from '@ipld/dag-cbor'
import type { Application, CommitteeMember } from '@/lib/consensus/application'
import { bytesEqual, toHex } from '@/lib/consensus/bytes'
import { type ChainParams, type ChainTip, chainParams, genesisTip } from '@/lib/consensus/chain'
import {
  type Block,
  type CommitCertificate,
  blockHash,
  decodeBlock,
  decodeCertificate,
  encodeBlock,
  encodeCertificate,
} from '@/lib/consensus/codec'
import {
  type ConsensusCore,
  type ConsensusInput,
  type ConsensusOutput,
  type PersistRecord,
  type TimeoutConfig,
  consensusCore,
} from '@/lib/consensus/core'
import type { SerializedConsensusError } from '@/lib/consensus/errors'
import { txHash } from '@/lib/consensus/merkle'
import type { SignedVote } from '@/lib/consensus/vote'
import { syncBlocks } from '@/lib/consensus/sync'
import type { KvOp, KvStore } from '@/lib/kv/kv-store'
import type { Clock, SignatureVerifier } from '@/lib/ports'
import { MAX_SYNC_BLOCKS, type ChainNetwork, type ChainTopic } from './network'

/** Encodes the application state for snapshots (the ledger provides one). */
export interface StateCodec<S> {
  encode(state: S): Uint8Array
  decode(bytes: Uint8Array): S
}

/** Options of {@link ChainNode}. */
export interface ChainNodeInit {
  /** Chain parameters fixed at genesis (chain ID, genesis time, limits). */
  params: Pick<ChainParams, 'chainId' | 'genesisTime'> & Partial<ChainParams>
  /** Consensus timeouts (defaults: lib/consensus/constants.ts). */
  timeouts?: Partial<TimeoutConfig>
  /** Store the state every this many blocks (default 16). */
  snapshotEvery?: number
  /** Blocks asked for per sync request (default 64, at most MAX_SYNC_BLOCKS). */
  syncBatch?: number
}

/** The ports a chain node needs. */
export interface ChainNodeComponents<S> {
  app: Application<S>
  /** Genesis state, used when the store holds nothing yet. */
  genesisState: S
  stateCodec: StateCodec<S>
  verifier: SignatureVerifier
  /**
   * Checks a message's signatures ahead of the core (natively and asynchronously, filling the
   * verifier's cache). Optional: without it the core verifies synchronously.
   */
  prepare?: (topic: ChainTopic, bytes: Uint8Array) => Promise<void>
  sign: (bytes: Uint8Array) => Uint8Array
  publicKey: Uint8Array
  network: ChainNetwork
  kv: KvStore
  clock: Clock
}

/** A committed block as stored and as served to syncing peers. */
export interface StoredBlock {
  block: Block
  certificate: CommitCertificate
  /** The encoded record (what is stored and sent). */
  bytes: Uint8Array
}

/** Where a transaction landed. */
export interface TxLocation {
  height: number
  index: number
}

/** Events of a {@link ChainNode}. */
export interface ChainNodeEvents<S> {
  commit: { block: Block; certificate: CommitCertificate; state: S; hash: Uint8Array }
  evidence: { voteA: SignedVote; voteB: SignedVote }
}

/** Error of a transaction this node refused to pool. */
export class TxRejectedError extends Error {
  override readonly name = 'TxRejectedError'
  readonly code = 'ERR_TX_REJECTED'
  constructor(readonly reason: SerializedConsensusError) {
    super(reason.message)
  }
}

const BLOCK_PREFIX = 0x62 // 'b'
const WAL_PREFIX = 0x77 // 'w'
const TX_PREFIX = 0x74 // 't'
const SNAPSHOT_KEY = Uint8Array.of(0x73) // 's'

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, n)
  return out
}

function key(prefix: number, ...parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((a, p) => a + p.length, 1)
  const out = new Uint8Array(len)
  out[0] = prefix
  let o = 1
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

const STEP_CODE = { proposal: 0, prevote: 1, precommit: 2 } as const

function walKey(record: PersistRecord): Uint8Array {
  const step = record.type === 'lock' ? 3 : STEP_CODE[record.step]
  return key(WAL_PREFIX, u32(record.height), u32(record.round), Uint8Array.of(step))
}

function encodeRecord(record: PersistRecord): Uint8Array {
  // The lock keeps the locked block itself: a restarted validator must be able to propose it
  // again (without it, a locked validator prevotes nil on everything else and can stall a height).
  return record.type === 'lock'
    ? dagCbor.encode({
        t: 'lock',
        h: record.height,
        r: record.round,
        b: record.blockHash,
        k: record.block === undefined ? null : encodeBlock(record.block),
      })
    : dagCbor.encode({ t: record.step, h: record.height, r: record.round, m: record.bytes })
}

function decodeRecord(bytes: Uint8Array): PersistRecord {
  const m = dagCbor.decode(bytes) as {
    t: string
    h: number
    r: number
    b?: Uint8Array
    m?: Uint8Array
    k?: Uint8Array | null
  }
  if (m.t === 'lock') {
    return {
      type: 'lock',
      height: m.h,
      round: m.r,
      blockHash: m.b!,
      ...(m.k instanceof Uint8Array ? { block: decodeBlock(m.k) } : {}),
    }
  }
  return { type: 'signed', height: m.h, round: m.r, step: m.t as 'proposal', bytes: m.m! }
}

/** Encode a committed block with its certificate (the stored and served form). */
export function encodeStoredBlock(block: Block, certificate: CommitCertificate): Uint8Array {
  return dagCbor.encode({ b: encodeBlock(block), c: encodeCertificate(certificate) })
}

/** Decode {@link encodeStoredBlock}'s bytes; throws the codecs' typed errors. */
export function decodeStoredBlock(bytes: Uint8Array): StoredBlock {
  let m: unknown
  try {
    m = dagCbor.decode(bytes)
  } catch (e) {
    throw new SyncFrameError(`not dag-cbor (${(e as Error).message})`)
  }
  if (
    typeof m !== 'object' ||
    m === null ||
    !((m as { b?: unknown }).b instanceof Uint8Array) ||
    !((m as { c?: unknown }).c instanceof Uint8Array) ||
    Object.keys(m).length !== 2
  ) {
    throw new SyncFrameError('expected { b, c }')
  }
  const { b, c } = m as { b: Uint8Array; c: Uint8Array }
  return { block: decodeBlock(b), certificate: decodeCertificate(c), bytes }
}

/** A sync frame that is not a stored block. */
export class SyncFrameError extends Error {
  override readonly name = 'SyncFrameError'
  readonly code = 'ERR_SYNC_FRAME'
}

interface Snapshot {
  height: number
  state: Uint8Array
  committee: { k: Uint8Array; p: number }[] | null
}

/** One node of the chain (see the module comment). */
export class ChainNode<S> {
  readonly params: ChainParams
  readonly #c: ChainNodeComponents<S>
  readonly #init: Required<Omit<ChainNodeInit, 'params' | 'timeouts'>> & ChainNodeInit
  #core: ConsensusCore<S> | null = null
  #queue: Promise<void> = Promise.resolve()
  #timers = new Set<ReturnType<typeof setTimeout>>()
  #stopped = false
  #syncing = false
  #unsubscribe: (() => void) | null = null
  #listeners: { [K in keyof ChainNodeEvents<S>]: Set<(e: ChainNodeEvents<S>[K]) => void> } = {
    commit: new Set(),
    evidence: new Set(),
  }
  #lastSnapshotHeight = 0
  /** Counters for the UI and the bench. */
  readonly counters = { syncFailures: 0, syncedBlocks: 0, storeErrors: 0 }

  constructor(init: ChainNodeInit, components: ChainNodeComponents<S>) {
    this.params = chainParams(init.params)
    this.#c = components
    this.#init = { snapshotEvery: 16, syncBatch: 64, ...init }
  }

  /** The core (after {@link start}). */
  get core(): ConsensusCore<S> {
    if (this.#core === null) throw new Error('ChainNode: not started')
    return this.#core
  }

  /** Subscribe to an event; returns the unsubscribe function. */
  on<K extends keyof ChainNodeEvents<S>>(
    event: K,
    listener: (e: ChainNodeEvents<S>[K]) => void,
  ): () => void {
    this.#listeners[event].add(listener)
    return () => this.#listeners[event].delete(listener)
  }

  /**
   * Load what the store holds (state snapshot, then the blocks after it, replayed and checked),
   * restore the signed-message records, join the network and start the protocol.
   */
  async start(): Promise<void> {
    const tip = await this.#loadTip()
    const core = consensusCore<S>({
      ...this.params,
      tip,
      ...(this.#init.timeouts ? { timeouts: this.#init.timeouts } : {}),
    })({
      app: this.#c.app,
      verifier: this.#c.verifier,
      sign: this.#c.sign,
      publicKey: this.#c.publicKey,
    })
    this.#core = core
    const records = (
      await this.#c.kv.range({
        gte: key(WAL_PREFIX, u32(tip.height + 1)),
        lt: Uint8Array.of(WAL_PREFIX + 1),
      })
    ).map(([, v]) => decodeRecord(v))
    core.restore(records)
    this.#c.network.serveBlocks((from, to) => this.storedBlockBytes(from, to))
    this.#unsubscribe = this.#c.network.onMessage((m) => {
      const go = () =>
        this.#enqueue({ type: 'message', topic: m.topic, bytes: m.data, from: m.from })
      if (this.#c.prepare) {
        this.#c.prepare(m.topic, m.data).then(go, go)
      } else go()
    })
    this.#enqueue({ type: 'start' })
    // Catch up with what was decided while this node was away.
    void this.#sync(tip.height + 1)
  }

  /** Stop timers and the network subscription; the store stays open (the caller owns it). */
  async stop(): Promise<void> {
    this.#stopped = true
    this.#unsubscribe?.()
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.clear()
    await this.#queue
  }

  /**
   * Submit a transaction: checked against the latest state, pooled and gossiped. Resolves with its
   * hash once pooled; rejects with {@link TxRejectedError} when refused.
   */
  async submit(tx: Uint8Array): Promise<Uint8Array> {
    const hash = txHash(tx)
    let rejected: SerializedConsensusError | null = null
    await this.#enqueue({ type: 'tx', bytes: tx }, (out) => {
      if (out.type === 'tx-rejected' && bytesEqual(out.txHash, hash)) rejected = out.error
    })
    if (rejected !== null) throw new TxRejectedError(rejected)
    return hash
  }

  /** The last committed block with its state. */
  tip(): ChainTip<S> {
    return this.core.tip()
  }

  /** Stored blocks `from..to` as served to peers (encoded). */
  async storedBlockBytes(from: number, to: number): Promise<Uint8Array[]> {
    const rows = await this.#c.kv.range({
      gte: key(BLOCK_PREFIX, u32(from)),
      lt: key(BLOCK_PREFIX, u32(to + 1)),
      limit: MAX_SYNC_BLOCKS,
    })
    return rows.map(([, v]) => v)
  }

  /** A stored block by height. */
  async block(height: number): Promise<StoredBlock | null> {
    const bytes = await this.#c.kv.get(key(BLOCK_PREFIX, u32(height)))
    return bytes === undefined ? null : decodeStoredBlock(bytes)
  }

  /** The last `count` stored blocks, newest first. */
  async recentBlocks(count: number, below?: number): Promise<StoredBlock[]> {
    const rows = await this.#c.kv.range({
      gte: key(BLOCK_PREFIX),
      lt: below === undefined ? Uint8Array.of(BLOCK_PREFIX + 1) : key(BLOCK_PREFIX, u32(below)),
      reverse: true,
      limit: count,
    })
    return rows.map(([, v]) => decodeStoredBlock(v))
  }

  /** Where a committed transaction is, by its hash. */
  async findTx(hash: Uint8Array): Promise<TxLocation | null> {
    const v = await this.#c.kv.get(key(TX_PREFIX, hash))
    if (v === undefined) return null
    const view = new DataView(v.buffer, v.byteOffset, v.byteLength)
    return { height: view.getUint32(0), index: view.getUint32(4) }
  }

  #enqueue(input: ConsensusInput, observe?: (out: ConsensusOutput<S>) => void): Promise<void> {
    const run = this.#queue.then(() => this.#step(input, observe))
    this.#queue = run.catch((err: unknown) => {
      console.error('chain node: step failed', err)
    })
    return run
  }

  async #step(input: ConsensusInput, observe?: (out: ConsensusOutput<S>) => void): Promise<void> {
    if (this.#stopped || this.#core === null) return
    const outputs = this.#core.handle(input, this.#c.clock.now())
    for (const out of outputs) {
      observe?.(out)
      switch (out.type) {
        case 'persist':
          await this.#c.kv.batch([
            { type: 'put', key: walKey(out.record), value: encodeRecord(out.record) },
          ])
          break
        case 'broadcast':
          void this.#c.network.publish(out.topic, out.bytes)
          break
        case 'schedule': {
          if (this.#stopped) break
          const t = setTimeout(() => {
            this.#timers.delete(t)
            void this.#enqueue({ type: 'timeout', timeout: out.timeout })
          }, out.afterMs)
          this.#timers.add(t)
          break
        }
        case 'committed':
          await this.#store(out.block, out.certificate, out.state)
          for (const l of this.#listeners.commit) {
            l({
              block: out.block,
              certificate: out.certificate,
              state: out.state,
              hash: blockHash(out.block.header),
            })
          }
          break
        case 'evidence':
          for (const l of this.#listeners.evidence) l({ voteA: out.voteA, voteB: out.voteB })
          break
        case 'request-sync':
          void this.#sync(out.fromHeight)
          break
        case 'tx-rejected':
          break
      }
    }
  }

  async #store(block: Block, certificate: CommitCertificate, state: S): Promise<void> {
    const height = block.header.height
    const ops: KvOp[] = [
      {
        type: 'put',
        key: key(BLOCK_PREFIX, u32(height)),
        value: encodeStoredBlock(block, certificate),
      },
    ]
    block.txs.forEach((tx, index) => {
      const loc = new Uint8Array(8)
      const view = new DataView(loc.buffer)
      view.setUint32(0, height)
      view.setUint32(4, index)
      ops.push({ type: 'put', key: key(TX_PREFIX, txHash(tx)), value: loc })
    })
    if (height - this.#lastSnapshotHeight >= this.#init.snapshotEvery) {
      const tip = this.core.tip()
      const snapshot: Snapshot = {
        height,
        state: this.#c.stateCodec.encode(state),
        committee: tip.committee?.map((m) => ({ k: m.publicKey, p: m.power })) ?? null,
      }
      ops.push({ type: 'put', key: SNAPSHOT_KEY, value: dagCbor.encode(snapshot) })
      // Signed-message records of decided heights are no longer needed.
      const old = await this.#c.kv.range({
        gte: key(WAL_PREFIX),
        lt: key(WAL_PREFIX, u32(height + 1)),
      })
      for (const [k] of old) ops.push({ type: 'del', key: k })
      this.#lastSnapshotHeight = height
    }
    try {
      await this.#c.kv.batch(ops)
    } catch (err) {
      this.counters.storeErrors++
      throw err
    }
  }

  /** Rebuild the tip from the store: last snapshot, then the stored blocks after it, re-checked. */
  async #loadTip(): Promise<ChainTip<S>> {
    let tip = genesisTip(this.#c.genesisState)
    const raw = await this.#c.kv.get(SNAPSHOT_KEY)
    if (raw !== undefined) {
      const snap = dagCbor.decode(raw) as Snapshot
      const stored = await this.block(snap.height)
      // A store of another chain (same database name, new genesis) is ignored, not replayed.
      if (stored !== null && stored.block.header.chainId === this.params.chainId) {
        const committee: CommitteeMember[] | null =
          snap.committee?.map((m) => ({ publicKey: m.k, power: m.p })) ?? null
        tip = {
          height: snap.height,
          state: this.#c.stateCodec.decode(snap.state),
          header: stored.block.header,
          hash: blockHash(stored.block.header),
          committee,
          certificate: stored.certificate,
        }
        if (!bytesEqual(this.#c.app.stateRoot(tip.state), stored.block.header.stateRoot)) {
          throw new Error(
            `ChainNode: snapshot at ${snap.height} does not match its block's state root`,
          )
        }
        this.#lastSnapshotHeight = snap.height
      }
    }
    for (;;) {
      const blocks = await this.storedBlockBytes(tip.height + 1, tip.height + MAX_SYNC_BLOCKS)
      if (blocks.length === 0) break
      const items = blocks.map(decodeStoredBlock)
      try {
        tip = syncBlocks(this.#c.app, this.params, tip, items, {
          verifier: this.#c.verifier,
          now: this.#c.clock.now(),
        })
      } catch (err) {
        // A stored block that no longer checks (e.g. written by an older version): keep what
        // checked and fetch the rest from peers.
        console.warn(
          `chain node: stored blocks after ${tip.height} did not replay: ${(err as Error).message}`,
        )
        break
      }
    }
    return tip
  }

  async #sync(fromHeight: number): Promise<void> {
    if (this.#syncing || this.#stopped) return
    this.#syncing = true
    try {
      for (let from = fromHeight; !this.#stopped;) {
        const to = from + Math.min(this.#init.syncBatch, MAX_SYNC_BLOCKS) - 1
        const { blocks } = await this.#c.network.fetchBlocks(from, to, {})
        if (blocks.length === 0) break
        const items = blocks.map(decodeStoredBlock)
        const before = this.core.tip().height
        await this.#enqueue({
          type: 'sync',
          blocks: items.map((i) => i.block),
          certificates: items.map((i) => i.certificate),
        })
        const after = this.core.tip().height
        this.counters.syncedBlocks += Math.max(0, after - before)
        if (after < from + items.length - 1 || items.length < to - from + 1) break
        from = after + 1
      }
    } catch {
      this.counters.syncFailures++
    } finally {
      this.#syncing = false
    }
  }
}

/** Hex of a block's hash, for logs and the UI. */
export function blockHashHex(block: Block): string {
  return toHex(blockHash(block.header))
}
