/**
 * One HyperMesh node in the simulator: the real consensus core (lib/consensus/core.ts) over the
 * real ledger (lib/ledger), wired to the simulator the way lib/chain/chain-node.ts wires it to
 * libp2p and a key/value store:
 *
 * - bytes in → `message` inputs (`tx` inputs for transactions from workload clients);
 * - outputs acted upon in order: `persist` is written **and synced** before the next output,
 *   `broadcast` goes to every other identity, `schedule` becomes a timer, `committed` blocks are
 *   stored with their certificates (and a state snapshot every few blocks, which also prunes the
 *   signing log), `request-sync` asks two random peers for blocks, `evidence` is kept (durably)
 *   and reported as `slash` transactions once the evidence's height is below the node's tip;
 * - a restart rebuilds the tip from the store (snapshot, then the stored blocks re-checked with
 *   `syncBlock`), restores the signing log with `restore`, starts, and asks peers for what it
 *   missed.
 *
 * Validators and plain nodes run the same code: a key outside the committee follows the chain
 * without signing. Facts go to the invariants through `ctx.output`.
 */
import * as dagCbor from '@ipld/dag-cbor'
import {
  type Block,
  type CommitCertificate,
  blockHash,
  decodeBlock,
  encodeBlock,
} from '@/lib/consensus/codec'
import { toHex } from '@/lib/consensus/bytes'
import { type ChainTip, genesisTip } from '@/lib/consensus/chain'
import {
  type ConsensusCore,
  type ConsensusOutput,
  type ConsensusStatus,
  type PersistRecord,
  type Timeout,
  consensusCore,
} from '@/lib/consensus/core'
import { txHash } from '@/lib/consensus/merkle'
import { syncBlock } from '@/lib/consensus/sync'
import { type SignedVote, type VoteType, decodeVote, encodeVote } from '@/lib/consensus/vote'
import { decodeStoredBlock, encodeStoredBlock } from '@/lib/chain/chain-node'
import { account } from '@/lib/ledger/queries'
import { decodeLedgerState, encodeLedgerState } from '@/lib/ledger/snapshot'
import { type LedgerState, readTree } from '@/lib/ledger/state'
import { buildTx } from '@/lib/ledger/tx'
import { slashedKey } from '@/lib/ledger/values'
import type { SimStore } from '../../store'
import { EXTERNAL, type NodeId, type NodeInfo, type SimContext, type SimProcess } from '../../types'
import { TX_FEE, type SimChain } from './chain'
import type { SimKey } from './keys'
import {
  SYNC_BATCH,
  TAG_SYNC_REQUEST,
  TAG_SYNC_RESPONSE,
  TAG_TX,
  decodeSyncRequest,
  decodeSyncResponse,
  frameTopic,
  payloadOf,
  syncRequest,
  syncResponse,
  topicFrame,
} from './wire'

/** What processes report to the invariants and metrics. */
export type ConsensusFact =
  | {
      readonly type: 'commit'
      readonly node: NodeId
      readonly height: number
      /** Hex of the block hash. */
      readonly hash: string
      readonly block: Block
      readonly certificate: CommitCertificate
      readonly state: LedgerState
      /** Committed from a `sync` input (fetched from a peer), not decided here. */
      readonly synced: boolean
    }
  /** This host signed a (fresh) proposal for `height`, `round`. */
  | { readonly type: 'proposed'; readonly height: number; readonly round: number }
  /** The core output equivocation evidence against `validator`. */
  | {
      readonly type: 'evidence'
      readonly validator: Uint8Array
      readonly height: number
      readonly round: number
      readonly voteType: VoteType
    }

/** Options of a process (the same for every process of a run). */
export interface ProcessConfig {
  readonly chain: SimChain
  /** Store a state snapshot every this many blocks (and prune the signing log below it). */
  readonly snapshotEvery: number
}

/** Slash transactions sent at once, and heights to wait for them before sending again. */
const SLASH_BATCH = 8
const SLASH_RETRY_HEIGHTS = 4

const STEP_CODE = { proposal: 0, prevote: 1, precommit: 2 } as const

const pad = (n: number, width: number): string => String(n).padStart(width, '0')
const blockKey = (height: number): string => `block/${pad(height, 10)}`
const SNAPSHOT_KEY = 'snap'

function walKey(r: PersistRecord): string {
  const step = r.type === 'lock' ? 3 : STEP_CODE[r.step]
  return `wal/${pad(r.height, 10)}/${pad(r.round, 7)}/${step}`
}

function walHeight(key: string): number {
  return Number(key.slice(4, 14))
}

/** The chain node's record encoding, plus the locked block (`k`) of a lock record. */
function encodeRecord(r: PersistRecord): Uint8Array {
  if (r.type === 'signed') return dagCbor.encode({ t: r.step, h: r.height, r: r.round, m: r.bytes })
  const lock: Record<string, unknown> = { t: 'lock', h: r.height, r: r.round, b: r.blockHash }
  if (r.block !== undefined) lock.k = encodeBlock(r.block)
  return dagCbor.encode(lock)
}

function decodeRecord(bytes: Uint8Array): PersistRecord {
  const m = dagCbor.decode(bytes) as {
    t: string
    h: number
    r: number
    b?: Uint8Array
    m?: Uint8Array
    k?: Uint8Array
  }
  if (m.t === 'lock') {
    const lock: PersistRecord = {
      type: 'lock',
      height: m.h,
      round: m.r,
      blockHash: m.b as Uint8Array,
    }
    return m.k === undefined ? lock : { ...lock, block: decodeBlock(m.k) }
  }
  return {
    type: 'signed',
    height: m.h,
    round: m.r,
    step: m.t as 'proposal' | 'prevote' | 'precommit',
    bytes: m.m as Uint8Array,
  }
}

interface Snapshot {
  h: number
  s: Uint8Array
  c: [Uint8Array, number][]
}

interface Evidence {
  a: SignedVote
  b: SignedVote
}

function evidenceId(v: SignedVote): string {
  return `${toHex(v.validator)}/${v.height}/${v.round}/${v.type}`
}

/** One simulated node (validator or plain node). Invariants read its getters. */
export class ConsensusNode implements SimProcess<ConsensusFact> {
  private core: ConsensusCore<LedgerState> | null = null
  private readonly timers = new Map<number, Timeout>()
  private state: LedgerState
  private height = 0
  private lastSnapshot = 0
  /** Evidence not yet seen slashed, by id (validator/height/round/type). */
  private readonly evidence = new Map<string, Evidence>()
  /** Slash transactions sent, by tx hash → evidence id. */
  private readonly slashTxs = new Map<string, string>()
  /** Slash transactions sent and not yet executed: nonce → evidence id, and the height sent at. */
  private pendingSlash: { entries: { nonce: number; id: string }[]; since: number } | null = null
  private slashDue = false
  private readonly key: SimKey

  constructor(
    private readonly info: NodeInfo,
    private readonly config: ProcessConfig,
  ) {
    this.key = config.chain.nodeKeys[info.node] as SimKey
    this.state = config.chain.genesisState
  }

  /** Height of the last block this node committed (or restored). */
  get committedHeight(): number {
    return this.height
  }

  /** The state after the last committed block. */
  get committedState(): LedgerState {
    return this.state
  }

  /** Where the core is (height, round, step, lock…), or `null` before `start`. */
  status(): ConsensusStatus | null {
    return this.core?.status() ?? null
  }

  /** The core's counters (drops by reason, sync, evictions…). */
  stats(): Readonly<Record<string, number>> {
    return this.core?.stats() ?? {}
  }

  start(now: number, ctx: SimContext<ConsensusFact>): void {
    const chain = this.config.chain
    const tip = this.loadTip(ctx.store, now)
    this.state = tip.state
    this.height = tip.height
    const core = consensusCore<LedgerState>({
      ...chain.params,
      tip,
      timeouts: chain.timeouts,
    })({
      app: chain.app,
      verifier: chain.verifier,
      sign: this.key.sign,
      publicKey: this.key.publicKey,
    })
    const records: PersistRecord[] = []
    for (const key of ctx.store.keys('wal/')) {
      if (walHeight(key) > tip.height) records.push(decodeRecord(ctx.store.get(key) as Uint8Array))
    }
    core.restore(records)
    this.core = core
    for (const key of ctx.store.keys('ev/')) {
      const raw = dagCbor.decode(ctx.store.get(key) as Uint8Array) as {
        a: Uint8Array
        b: Uint8Array
      }
      const e = { a: decodeVote(raw.a), b: decodeVote(raw.b) }
      this.evidence.set(evidenceId(e.a), e)
    }
    this.slashDue = this.evidence.size > 0
    this.run(core.handle({ type: 'start' }, now), now, ctx, false)
    // Catch up with what was decided while this host was away.
    if (this.info.incarnation > 0) this.requestSync(tip.height + 1, ctx)
  }

  onMessage(from: NodeId, bytes: Uint8Array, now: number, ctx: SimContext<ConsensusFact>): void {
    const core = this.core
    if (core === null || bytes.length === 0) return
    const topic = frameTopic(bytes)
    if (topic !== null) {
      const payload = payloadOf(bytes)
      if (from === EXTERNAL) {
        if (bytes[0] === TAG_TX)
          this.run(core.handle({ type: 'tx', bytes: payload }, now), now, ctx, false)
        return
      }
      this.run(
        core.handle({ type: 'message', topic, bytes: payload, from: String(from) }, now),
        now,
        ctx,
        false,
      )
      return
    }
    if (from === EXTERNAL) return
    if (bytes[0] === TAG_SYNC_REQUEST) this.serveSync(from, bytes, ctx)
    else if (bytes[0] === TAG_SYNC_RESPONSE) this.onSyncResponse(from, bytes, now, ctx)
  }

  onTimer(id: number, now: number, ctx: SimContext<ConsensusFact>): void {
    const timeout = this.timers.get(id)
    if (timeout === undefined || this.core === null) return
    this.timers.delete(id)
    this.run(this.core.handle({ type: 'timeout', timeout }, now), now, ctx, false)
  }

  // -------------------------------------------------------------------------------------------
  // Acting on outputs

  private run(
    outputs: ConsensusOutput<LedgerState>[],
    now: number,
    ctx: SimContext<ConsensusFact>,
    synced: boolean,
  ): void {
    this.act(outputs, ctx, synced)
    if (this.slashDue) {
      this.slashDue = false
      this.reportEvidence(now, ctx)
    }
  }

  private act(
    outputs: readonly ConsensusOutput<LedgerState>[],
    ctx: SimContext<ConsensusFact>,
    synced: boolean,
  ): void {
    for (const o of outputs) {
      switch (o.type) {
        case 'persist': {
          // Durable before any later output is acted upon (docs/consensus.md).
          ctx.store.put(walKey(o.record), encodeRecord(o.record))
          ctx.store.sync()
          const r = o.record
          if (r.type === 'signed' && r.step === 'proposal') {
            ctx.output({ type: 'proposed', height: r.height, round: r.round })
          }
          break
        }
        case 'broadcast':
          ctx.broadcast(topicFrame(o.topic, o.bytes))
          break
        case 'schedule':
          this.timers.set(ctx.setTimer(o.afterMs), o.timeout)
          break
        case 'committed':
          this.onCommitted(o.block, o.certificate, o.state, ctx, synced)
          break
        case 'evidence':
          this.onEvidence(o.voteA, o.voteB, ctx)
          break
        case 'request-sync':
          this.requestSync(o.fromHeight, ctx)
          break
        case 'tx-rejected': {
          ctx.count('tx-rejected')
          const id = this.slashTxs.get(toHex(o.txHash))
          const code = o.error.code
          if (
            id !== undefined &&
            (code === 'ERR_BAD_EVIDENCE' || code === 'ERR_DUPLICATE_EVIDENCE')
          ) {
            this.dropEvidence(id, ctx)
          }
          break
        }
      }
    }
  }

  private onCommitted(
    block: Block,
    certificate: CommitCertificate,
    state: LedgerState,
    ctx: SimContext<ConsensusFact>,
    synced: boolean,
  ): void {
    const height = block.header.height
    const store = ctx.store
    // Like the chain node: block + certificate stored; durable with the next sync (the next
    // signed message syncs it). A crash before that forgets the block, which is fetched again.
    store.put(blockKey(height), encodeStoredBlock(block, certificate))
    if (height - this.lastSnapshot >= this.config.snapshotEvery) {
      const committee = this.config.chain.app.committee(this.state, height)
      const snap: Snapshot = {
        h: height,
        s: encodeLedgerState(state),
        c: committee.map((m) => [m.publicKey, m.power]),
      }
      store.put(SNAPSHOT_KEY, dagCbor.encode(snap))
      // Signing records of decided heights are no longer needed.
      for (const key of store.keys('wal/')) if (walHeight(key) <= height) store.delete(key)
      this.lastSnapshot = height
    }
    this.state = state
    this.height = height
    if (this.evidence.size > 0) this.slashDue = true
    ctx.output({
      type: 'commit',
      node: this.info.node,
      height,
      hash: toHex(blockHash(block.header)),
      block,
      certificate,
      state,
      synced,
    })
  }

  // -------------------------------------------------------------------------------------------
  // Block sync (the chain node's fetch protocol, over ctx.send)

  private requestSync(fromHeight: number, ctx: SimContext<ConsensusFact>): void {
    const others = ctx.nodeCount - 1
    if (others <= 0) return
    const picks = new Set<number>()
    for (let k = 0; k < Math.min(2, others); k++) {
      let peer = ctx.random.int(others)
      if (peer >= this.info.node) peer++
      picks.add(peer)
    }
    const request = syncRequest(fromHeight)
    for (const peer of picks) ctx.send(peer, request)
  }

  private serveSync(from: NodeId, bytes: Uint8Array, ctx: SimContext<ConsensusFact>): void {
    const fromHeight = decodeSyncRequest(bytes)
    if (fromHeight === null || fromHeight < 1) return
    const blocks: Uint8Array[] = []
    for (let h = fromHeight; h < fromHeight + SYNC_BATCH; h++) {
      const b = ctx.store.get(blockKey(h))
      if (b === undefined) break
      blocks.push(b)
    }
    if (blocks.length > 0) ctx.send(from, syncResponse(blocks))
  }

  private onSyncResponse(
    from: NodeId,
    bytes: Uint8Array,
    now: number,
    ctx: SimContext<ConsensusFact>,
  ): void {
    const core = this.core as ConsensusCore<LedgerState>
    let items: { block: Block; certificate: CommitCertificate }[]
    try {
      items = decodeSyncResponse(bytes).map(decodeStoredBlock)
    } catch {
      ctx.count('sync-undecodable')
      return
    }
    const fresh = items.filter((i) => i.block.header.height > this.height)
    if (fresh.length === 0) return
    this.run(
      core.handle(
        {
          type: 'sync',
          blocks: fresh.map((i) => i.block),
          certificates: fresh.map((i) => i.certificate),
        },
        now,
      ),
      now,
      ctx,
      true,
    )
    // A full batch that applied: the peer may have more.
    const last = items[items.length - 1] as { block: Block }
    if (items.length === SYNC_BATCH && this.height === last.block.header.height) {
      ctx.send(from, syncRequest(this.height + 1))
    }
  }

  // -------------------------------------------------------------------------------------------
  // Evidence → slash transactions

  private onEvidence(a: SignedVote, b: SignedVote, ctx: SimContext<ConsensusFact>): void {
    const id = evidenceId(a)
    ctx.output({
      type: 'evidence',
      validator: a.validator,
      height: a.height,
      round: a.round,
      voteType: a.type,
    })
    if (this.evidence.has(id) || this.slashed(a)) return
    this.evidence.set(id, { a, b })
    ctx.store.put(`ev/${id}`, dagCbor.encode({ a: encodeVote(a), b: encodeVote(b) }))
    ctx.store.sync()
    this.slashDue = true
  }

  private slashed(v: SignedVote): boolean {
    return (
      readTree(this.state.tree, slashedKey(v.validator, v.height, v.round, v.type)) !== undefined
    )
  }

  private dropEvidence(id: string, ctx: SimContext<ConsensusFact>): void {
    if (this.evidence.delete(id)) ctx.store.delete(`ev/${id}`)
  }

  /**
   * Report kept evidence as `slash` transactions from this node's account, a few at a time, once
   * the evidence's height is below this node's tip: the ledger refuses evidence of the height
   * being decided, so peers one height behind would refuse (and never see again) a report of
   * the height just committed. If they have not executed within a few heights — a peer refused
   * them, another reporter was first, a nonce gap — it sends a fresh batch from the account's
   * current nonce, announcing again what its own mempool already holds (gossip never offers one
   * message twice, so a peer that refused it once would not see it otherwise).
   */
  private reportEvidence(now: number, ctx: SimContext<ConsensusFact>): void {
    const core = this.core
    if (core === null || this.evidence.size === 0) return
    for (const [id, e] of this.evidence) if (this.slashed(e.a)) this.dropEvidence(id, ctx)
    const me = account(this.state, this.key.publicKey)
    if (me === undefined || me.balance < TX_FEE * BigInt(SLASH_BATCH)) return
    const pending = this.pendingSlash
    if (pending !== null) {
      const left = pending.entries.filter((e) => e.nonce >= me.nonce)
      // The next one cannot execute any more if another reporter's slash of it came first.
      const next = left[0]
      const dead = next !== undefined && !this.evidence.has(next.id)
      if (left.length > 0 && !dead && this.height - pending.since < SLASH_RETRY_HEIGHTS) return
      this.pendingSlash = null
    }
    const due: [string, Evidence][] = []
    for (const entry of this.evidence) {
      if (entry[1].a.height < this.height) due.push(entry)
      if (due.length === SLASH_BATCH) break
    }
    if (due.length === 0) return
    const chain = this.config.chain
    let nonce = me.nonce
    const entries: { nonce: number; id: string }[] = []
    for (const [id, e] of due) {
      entries.push({ nonce, id })
      const tx = buildTx(
        {
          chain: chain.genesis.chainId,
          kind: 'slash',
          from: this.key.publicKey,
          nonce: nonce++,
          fee: TX_FEE,
          body: { a: encodeVote(e.a), b: encodeVote(e.b) },
        },
        this.key.sign,
        { kinds: chain.kinds },
      )
      this.slashTxs.set(toHex(txHash(tx)), id)
      ctx.count('slash-tx-sent')
      const out = core.handle({ type: 'tx', bytes: tx }, now)
      if (out.some((o) => o.type === 'tx-rejected' && o.error.code === 'ERR_DUPLICATE_TX')) {
        ctx.broadcast(topicFrame('tx', tx))
      }
      this.act(out, ctx, false)
    }
    this.pendingSlash = { entries, since: this.height }
  }

  // -------------------------------------------------------------------------------------------
  // Restart

  /** The last committed tip this store holds: snapshot, then stored blocks re-checked. */
  private loadTip(store: SimStore, now: number): ChainTip<LedgerState> {
    const chain = this.config.chain
    let tip = genesisTip(chain.genesisState)
    const raw = store.get(SNAPSHOT_KEY)
    if (raw !== undefined) {
      const snap = dagCbor.decode(raw) as Snapshot
      const stored = store.get(blockKey(snap.h))
      if (stored !== undefined) {
        const { block, certificate } = decodeStoredBlock(stored)
        const state = decodeLedgerState(snap.s)
        if (toHex(chain.app.stateRoot(state)) !== toHex(block.header.stateRoot)) {
          throw new Error(`snapshot at ${snap.h} does not match its block's state root`)
        }
        tip = {
          height: snap.h,
          state,
          header: block.header,
          hash: blockHash(block.header),
          committee: snap.c.map(([publicKey, power]) => ({ publicKey, power })),
          certificate,
        }
        this.lastSnapshot = snap.h
      }
    }
    for (let h = tip.height + 1; ; h++) {
      const bytes = store.get(blockKey(h))
      if (bytes === undefined) break
      const { block, certificate } = decodeStoredBlock(bytes)
      try {
        tip = syncBlock(chain.app, chain.params, tip, block, certificate, {
          verifier: chain.verifier,
          now,
        })
      } catch {
        break
      }
    }
    return tip
  }
}
