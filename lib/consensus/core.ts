/**
 * The consensus protocol core: Tendermint ("The latest gossip on BFT consensus", Buchman, Kwon,
 * Milosevic 2018) as a pure, synchronous state machine. `handle(input, now)` takes one event (start,
 * a message from a peer, a timeout firing, a transaction submitted here, a sync response) and
 * returns what the runtime must do: broadcast, schedule a timeout, persist, report a commit or
 * equivocation evidence, fetch missing blocks. No I/O, no clock, no randomness: the same inputs
 * give the same outputs, which is what the seeded simulator relies on.
 *
 * The rules follow Algorithm 1 of the paper (line numbers in comments), with CometBFT's habits
 * where the paper is silent: a commit timeout between heights, BFT time from precommit
 * timestamps, messages of the next height buffered while this one finishes, an equivocator's
 * second vote counted for its own choice (as the paper counts senders per value), and periodic
 * re-broadcast of the votes a lagging validator may be waiting for (the paper assumes every
 * message eventually arrives; a pubsub network loses some). docs/consensus.md is the
 * specification.
 *
 * Persistence contract: a `persist` output must be durable before any later output of the same
 * `handle` call is acted upon (in particular before the `broadcast` that follows it). Records are
 * the last signed message per (height, round, step) and the lock; `restore(records)` before
 * `start` then keeps a restarted validator from ever signing two different things.
 */
import type { Application, BlockContext, CommitteeMember } from './application'
import { bytesEqual, compareBytes, toHex } from './bytes'
import { weightedMedianTime } from './certificate'
import {
  type ChainParams,
  type ChainTip,
  advanceTip,
  chainParams,
  checkNotFuture,
  committeeOf,
  validateBlock,
} from './chain'
import {
  type Block,
  type BlockHeader,
  type CommitCertificate,
  type CommitPrecommit,
  type SignedProposal,
  blockHash,
  certificateHash,
  decodeProposal,
  encodeProposal,
  proposalSignBytes,
} from './codec'
import { type Committee, proposerOrder } from './committee'
import {
  DEFAULT_MAX_MEMPOOL_BYTES,
  DEFAULT_MAX_MEMPOOL_TXS,
  DEFAULT_TIMEOUTS,
  MAX_BLOCK_BUILD_EVICTIONS,
  MAX_BUFFERED_MESSAGES,
  MAX_ROUNDS_AHEAD,
} from './constants'
import {
  ConsensusConfigError,
  type SerializedConsensusError,
  serializeError,
  ConsensusDecodeError,
} from './errors'
import { Mempool } from './mempool'
import { merkleRootOfHashes, txHash } from './merkle'
import { syncBlock } from './sync'
import { type ChoiceKey, VoteSet, choiceKey } from './vote-set'
import { type SignedVote, type Vote, decodeVote, encodeVote, voteSignBytes } from './vote'
import type { SignatureVerifier } from '../ports'

/** Gossip topics consensus publishes on. */
export type Topic = 'proposal' | 'vote' | 'tx'

/** Steps of a round. `new-height` is the wait (commit timeout) before round 0 of a height. */
export type Step = 'new-height' | 'propose' | 'prevote' | 'precommit'

/** What a timeout is for. */
export type TimeoutKind = 'propose' | 'prevote' | 'precommit' | 'commit' | 'idle' | 'rebroadcast'

/** A timeout: the runtime hands it back in a `timeout` input after `afterMs`. Stale ones are ignored. */
export interface Timeout {
  kind: TimeoutKind
  height: number
  round: number
}

/** Inputs of {@link ConsensusCore.handle}. */
export type ConsensusInput =
  /** Begin: round 0 of the next height (or the round a restored validator had reached). */
  | { type: 'start' }
  /** Encoded bytes received from a peer on a topic; `from` names the peer (for fault counts). */
  | { type: 'message'; topic: Topic; bytes: Uint8Array; from: string }
  /** A timeout scheduled earlier has fired. */
  | { type: 'timeout'; timeout: Timeout }
  /** A transaction submitted on this node: checked, pooled and broadcast. */
  | { type: 'tx'; bytes: Uint8Array }
  /** Blocks with their commit certificates (`blocks[i]` certified by `certificates[i]`), e.g. after `request-sync`. */
  | { type: 'sync'; blocks: readonly Block[]; certificates: readonly CommitCertificate[] }

/** Steps at which a validator signs. */
export type SignStep = 'proposal' | 'prevote' | 'precommit'

/** What the runtime persists (and hands back to {@link ConsensusCore.restore} after a restart). */
export type PersistRecord =
  /** A message this validator signed, exactly as broadcast. */
  | { type: 'signed'; height: number; round: number; step: SignStep; bytes: Uint8Array }
  /**
   * This validator locked on `blockHash` at `round` (it precommitted the block). `block` is the
   * locked block itself: a restarted validator must be able to propose it again (line 16), or a
   * lock on a block it no longer has makes it prevote nil on everything else while nobody
   * re-proposes that block. Optional only so that records without it still restore.
   */
  | { type: 'lock'; height: number; round: number; blockHash: Uint8Array; block?: Block }

/** Outputs of {@link ConsensusCore.handle}, to be acted upon in order. */
export type ConsensusOutput<S> =
  | { type: 'broadcast'; topic: Topic; bytes: Uint8Array }
  | { type: 'schedule'; timeout: Timeout; afterMs: number }
  /** Make durable before acting on any later output of the same call. */
  | { type: 'persist'; record: PersistRecord }
  | { type: 'committed'; block: Block; certificate: CommitCertificate; state: S }
  /** Two conflicting votes by one validator: the runtime turns them into a slash transaction. */
  | { type: 'evidence'; voteA: SignedVote; voteB: SignedVote }
  /** This node is behind: fetch blocks from `fromHeight` with certificates, then feed a `sync` input. */
  | { type: 'request-sync'; fromHeight: number }
  /** A transaction submitted here was refused (the `tx` input). */
  | { type: 'tx-rejected'; txHash: Uint8Array; error: SerializedConsensusError }

/** Timeouts in ms; round r waits `base + r × delta`. Defaults in {@link DEFAULT_TIMEOUTS}. */
export interface TimeoutConfig {
  proposeBase: number
  proposeDelta: number
  prevoteBase: number
  prevoteDelta: number
  precommitBase: number
  precommitDelta: number
  /** Wait after a commit before round 0 of the next height: the shortest block interval. */
  commit: number
  /**
   * Empty-block interval: after `commit`, with an empty mempool and nothing heard of the next
   * height, wait up to this long after the commit for a transaction or another validator's
   * proposal or vote, then start round 0 anyway. At most `commit` (default 0): no wait.
   */
  idle: number
  /** Period of re-broadcasting this validator's latest messages of the round; 0 turns it off. */
  rebroadcast: number
  /** Least time between two `request-sync` outputs. */
  syncRetry: number
}

/** Options of {@link consensusCore}. */
export interface ConsensusInit<S> extends Partial<ChainParams> {
  /** Chain ID (same on every node). */
  chainId: string
  /** Time of block 1, ms since the epoch (same on every node). */
  genesisTime: number
  /** Where to start: `genesisTip(genesisState)` or the last committed block with its state. */
  tip: ChainTip<S>
  /** Timeouts; defaults in {@link DEFAULT_TIMEOUTS}. */
  timeouts?: Partial<TimeoutConfig>
  /** Mempool cap in transactions. Default 20 000. */
  maxMempoolTxs?: number
  /** Mempool cap in bytes. Default 64 MiB. */
  maxMempoolBytes?: number
  /** Re-run `checkTx` on the whole mempool after each commit. Default true. */
  recheckMempool?: boolean
}

/** The ports and keys a core needs. */
export interface ConsensusComponents<S> {
  app: Application<S>
  verifier: SignatureVerifier
  /** Ed25519 signature of `bytes` with this node's key (synchronous). */
  sign: (bytes: Uint8Array) => Uint8Array
  /** This node's raw 32-byte Ed25519 public key; a validator when it is in the committee. */
  publicKey: Uint8Array
}

/** Where a core is. */
export interface ConsensusStatus {
  /** Height being decided. */
  height: number
  round: number
  step: Step
  /** Height of the last committed block. */
  committedHeight: number
  lockedRound: number
  validRound: number
  /** Whether this node is in the committee of `height`. */
  validator: boolean
  mempoolTxs: number
}

/** A consensus core (see {@link consensusCore}). */
export interface ConsensusCore<S> {
  /** Process one input at local time `now` (ms) and return the outputs, in order. */
  handle(input: ConsensusInput, now: number): ConsensusOutput<S>[]
  /**
   * Hand back persisted records after a restart, before `start`. Records at or below the tip's
   * height are ignored. The core will never sign at a (height, round, step) at or before the
   * latest restored one except to resend the exact restored message, and keeps the restored lock.
   * Throws `ConsensusConfigError` on a signed record that does not decode to a message of this
   * chain and key at the height, round and step it claims: a corrupt signing log must not be used.
   */
  restore(records: readonly PersistRecord[]): void
  /** Where the core is. */
  status(): ConsensusStatus
  /** Counters of dropped messages and other events, by reason (e.g. `bad-signature`, `non-member`). */
  stats(): Readonly<Record<string, number>>
  /** The last committed block, its certificate and the state after it. */
  tip(): ChainTip<S>
  /**
   * Faulty messages per sender (`from` of the `message` input): undecodable, badly signed, from
   * non-members, of another chain, conflicting proposals. For the runtime's peer scoring.
   */
  peerFaults(): ReadonlyMap<string, number>
}

const STEP_INDEX: Record<SignStep, number> = { proposal: 0, prevote: 1, precommit: 2 }
const STEP_ORDER: Record<Step, number> = { 'new-height': -1, propose: 0, prevote: 1, precommit: 2 }
const MAX_PEER_FAULT_ENTRIES = 1_024
/** Drop reasons that say the sender misbehaved (duplicates and timing do not). */
const FAULTS = new Set([
  'decode',
  'error',
  'wrong-chain',
  'non-member',
  'bad-signature',
  'conflicting-proposal',
  'round-window',
  'unknown-topic',
])
const MAX_VERIFIED_CACHE = 8_192
/** Most choices one equivocating validator counts for, per (height, round, type), beyond those others voted for. */
const MAX_CHOICES_PER_VALIDATOR = 2

interface BlockEntry<S> {
  block: Block
  key: ChoiceKey
  txHashes?: Uint8Array[]
  /** Validity against the parent, independent of the clock; set once computed. */
  verdict?: { ok: true; state: S } | { ok: false }
}

interface ProposalEntry {
  proposal: SignedProposal
  key: ChoiceKey
}

interface RoundState {
  prevotes: VoteSet
  precommits: VoteSet
  proposal: ProposalEntry | null
  /** Validators (hex) that sent any message of this round, and their power (rule 55). */
  senders: Set<string>
  senderPower: number
  /** "For the first time" flags of rules 34, 36 and 47. */
  prevoteTimeoutScheduled: boolean
  polkaHandled: boolean
  precommitTimeoutScheduled: boolean
}

interface LastCommitSet {
  height: number
  round: number
  key: ChoiceKey
  header: BlockHeader
  committee: Committee
  precommits: VoteSet
}

type Buffered = { kind: 'vote'; vote: SignedVote } | { kind: 'proposal'; proposal: SignedProposal }

interface Position {
  height: number
  round: number
  step: number
}

function comparePosition(a: Position, b: Position): number {
  return a.height - b.height || a.round - b.round || a.step - b.step
}

function positionKey(p: Position): string {
  return `${p.height}/${p.round}/${p.step}`
}

/**
 * Build a consensus core: `consensusCore(init)(components)`. The core starts at `init.tip` and
 * does nothing until the `start` input (messages received before are kept).
 *
 * @example
 * ```ts
 * const core = consensusCore({ chainId, genesisTime, tip: genesisTip(state) })({
 *   app, verifier: { verify: verifyEd25519 }, sign: (b) => ed25519.sign(b, secret), publicKey,
 * })
 * core.restore(await store.records())
 * for (const out of core.handle({ type: 'start' }, clock.now())) await runtime.act(out)
 * ```
 */
export function consensusCore<S>(
  init: ConsensusInit<S>,
): (components: ConsensusComponents<S>) => ConsensusCore<S> {
  const params = chainParams(init)
  const timeouts: TimeoutConfig = { ...DEFAULT_TIMEOUTS, ...init.timeouts }
  for (const [k, v] of Object.entries(timeouts)) {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new ConsensusConfigError(`consensusCore: bad timeout ${k}`)
    }
  }
  if (init.tip === undefined || !Number.isSafeInteger(init.tip.height) || init.tip.height < 0) {
    throw new ConsensusConfigError('consensusCore: bad tip')
  }
  return (components) => new Core<S>(params, timeouts, init, components)
}

class Core<S> implements ConsensusCore<S> {
  private readonly app: Application<S>
  private readonly publicKey: Uint8Array
  private readonly myKey: string
  private readonly sign: (bytes: Uint8Array) => Uint8Array
  private readonly verifier: SignatureVerifier
  private readonly mempool: Mempool
  private readonly recheckMempool: boolean

  private out: ConsensusOutput<S>[] = []
  private now = 0
  private started = false
  /** In new-height past the commit timeout, waiting for work (see TimeoutConfig.idle). */
  private waitingForWork = false
  /** A proposal or vote of the current height was accepted (it wakes a waiting node). */
  private heardThisHeight = false
  private counters: Record<string, number> = {}
  private readonly faults = new Map<string, number>()
  private from: string | null = null
  private readonly verified = new Map<string, Uint8Array>()

  // Chain position.
  private chainTip!: ChainTip<S>
  private height = 0
  private committee!: Committee
  private members!: readonly CommitteeMember[]
  private order!: number[]
  private myPower = 0
  private rounds = new Map<number, RoundState>()
  private blocks = new Map<ChoiceKey, BlockEntry<S>>()
  private lastCommit: LastCommitSet | null = null
  /** Rounds with a precommit quorum for a block we could not commit yet (missing or not yet valid). */
  private pendingCommits = new Set<number>()
  /** Latest round above the current one from which f + 1 validators sent messages (line 55). */
  private skipTo = -1

  // Round state (Algorithm 1's variables).
  private round = 0
  private step: Step = 'new-height'
  private locked: { round: number; key: ChoiceKey } = { round: -1, key: 'nil' }
  private valid: { round: number; key: ChoiceKey } = { round: -1, key: 'nil' }

  // Signing guard and restored state.
  private lastSigned: Position | null = null
  private readonly signed = new Map<string, { position: Position; bytes: Uint8Array }>()
  private readonly restoredLocks = new Map<
    number,
    { round: number; key: ChoiceKey; block: Block | undefined }
  >()

  // Next-height buffer and sync.
  private buffer: Buffered[] = []
  private firstBufferedAt: number | null = null
  private missingSince: number | null = null
  private behind = false
  private lastSyncRequest = -Infinity

  constructor(
    private readonly params: ChainParams,
    private readonly timeouts: TimeoutConfig,
    init: ConsensusInit<S>,
    components: ConsensusComponents<S>,
  ) {
    this.app = components.app
    this.publicKey = components.publicKey
    if (!(this.publicKey instanceof Uint8Array) || this.publicKey.length !== 32) {
      throw new ConsensusConfigError('consensusCore: publicKey must be 32 bytes')
    }
    this.myKey = toHex(this.publicKey)
    this.sign = components.sign
    const inner = components.verifier
    // Votes verified on arrival are met again in the next proposal's last commit: remember them.
    this.verifier = {
      verify: (publicKey, message, signature) => {
        const key = toHex(publicKey) + toHex(signature)
        const seen = this.verified.get(key)
        if (seen !== undefined && bytesEqual(seen, message)) return true
        const ok = inner.verify(publicKey, message, signature)
        if (ok) {
          if (this.verified.size >= MAX_VERIFIED_CACHE) this.verified.clear()
          this.verified.set(key, message)
        }
        return ok
      },
    }
    this.mempool = new Mempool({
      maxTxs: init.maxMempoolTxs ?? DEFAULT_MAX_MEMPOOL_TXS,
      maxBytes: init.maxMempoolBytes ?? DEFAULT_MAX_MEMPOOL_BYTES,
      maxTxBytes: params.maxTxBytes,
    })
    this.recheckMempool = init.recheckMempool ?? true
    this.enterHeight(init.tip)
    this.out = []
  }

  // -------------------------------------------------------------------------------------------
  // Public API

  handle(input: ConsensusInput, now: number): ConsensusOutput<S>[] {
    if (!Number.isSafeInteger(now) || now < 0) {
      throw new ConsensusConfigError('handle: now must be a non-negative integer (ms)')
    }
    this.now = now
    this.out = []
    switch (input.type) {
      case 'start':
        if (!this.started) {
          this.started = true
          const restored = this.lastSigned
          const round = restored !== null && restored.height === this.height ? restored.round : 0
          this.startRound(round)
          this.progress()
        }
        break
      case 'message':
        this.guarded(input.from, () => this.onMessage(input.topic, input.bytes))
        break
      case 'timeout':
        this.onTimeout(input.timeout)
        break
      case 'tx':
        this.onLocalTx(input.bytes)
        break
      case 'sync':
        this.onSync(input.blocks, input.certificates)
        break
      default:
        this.count('unknown-input')
    }
    this.wakeForWork()
    this.maybeRequestSync()
    const out = this.out
    this.out = []
    return out
  }

  restore(records: readonly PersistRecord[]): void {
    if (this.started) throw new ConsensusConfigError('restore: call it before start')
    for (const r of records) {
      if (r.height <= this.chainTip.height) continue
      if (r.type === 'signed') {
        this.checkRecord(r)
        const position = { height: r.height, round: r.round, step: STEP_INDEX[r.step] }
        this.signed.set(positionKey(position), { position, bytes: r.bytes })
        if (this.lastSigned === null || comparePosition(position, this.lastSigned) > 0) {
          this.lastSigned = position
        }
      } else {
        if (
          r.block !== undefined &&
          (r.block.header.height !== r.height ||
            r.block.header.chainId !== this.params.chainId ||
            !bytesEqual(blockHash(r.block.header), r.blockHash))
        ) {
          throw new ConsensusConfigError(
            `restore: corrupt lock record at height ${r.height}, round ${r.round}`,
          )
        }
        const prev = this.restoredLocks.get(r.height)
        if (prev === undefined || r.round > prev.round) {
          this.restoredLocks.set(r.height, {
            round: r.round,
            key: choiceKey(r.blockHash),
            block: r.block,
          })
        }
      }
    }
    this.applyRestored()
  }

  /**
   * A signed record must decode to what it says it is, signed by this node's key for this chain:
   * a corrupt signing log is refused rather than trusted (or ignored, which could double-sign).
   */
  private checkRecord(r: Extract<PersistRecord, { type: 'signed' }>): void {
    let ok: boolean
    try {
      if (r.step === 'proposal') {
        const p = decodeProposal(r.bytes)
        ok =
          p.height === r.height &&
          p.round === r.round &&
          p.block.header.chainId === this.params.chainId
      } else {
        const v = decodeVote(r.bytes)
        ok =
          v.height === r.height &&
          v.round === r.round &&
          v.type === r.step &&
          v.chainId === this.params.chainId &&
          bytesEqual(v.validator, this.publicKey)
      }
    } catch {
      ok = false
    }
    if (!ok) {
      throw new ConsensusConfigError(
        `restore: corrupt signed record at height ${r.height}, round ${r.round}, ${r.step}`,
      )
    }
  }

  status(): ConsensusStatus {
    return {
      height: this.height,
      round: this.round,
      step: this.step,
      committedHeight: this.chainTip.height,
      lockedRound: this.locked.round,
      validRound: this.valid.round,
      validator: this.myPower > 0,
      mempoolTxs: this.mempool.size,
    }
  }

  stats(): Readonly<Record<string, number>> {
    return { ...this.counters }
  }

  tip(): ChainTip<S> {
    return this.chainTip
  }

  peerFaults(): ReadonlyMap<string, number> {
    return new Map(this.faults)
  }

  // -------------------------------------------------------------------------------------------
  // Bookkeeping

  private count(reason: string): void {
    this.counters[reason] = (this.counters[reason] ?? 0) + 1
    const from = this.from
    if (from !== null && FAULTS.has(reason.split(':')[0]!)) {
      if (!this.faults.has(from) && this.faults.size >= MAX_PEER_FAULT_ENTRIES) return
      this.faults.set(from, (this.faults.get(from) ?? 0) + 1)
    }
  }

  /** Run `f` on input from a peer: whatever goes wrong is counted, never thrown at the runtime. */
  private guarded(from: string, f: () => void): void {
    this.from = typeof from === 'string' ? from : null
    try {
      f()
    } catch (e) {
      this.count(e instanceof ConsensusDecodeError ? 'decode' : `error:${(e as Error).name}`)
    } finally {
      this.from = null
    }
  }

  private emit(o: ConsensusOutput<S>): void {
    this.out.push(o)
  }

  private schedule(kind: TimeoutKind, height: number, round: number, afterMs: number): void {
    this.emit({ type: 'schedule', timeout: { kind, height, round }, afterMs })
  }

  private roundState(round: number): RoundState {
    let rs = this.rounds.get(round)
    if (rs === undefined) {
      rs = {
        prevotes: new VoteSet(this.committee.quorum),
        precommits: new VoteSet(this.committee.quorum),
        proposal: null,
        senders: new Set(),
        senderPower: 0,
        prevoteTimeoutScheduled: false,
        polkaHandled: false,
        precommitTimeoutScheduled: false,
      }
      this.rounds.set(round, rs)
    }
    return rs
  }

  private proposerKey(round: number): Uint8Array {
    return this.members[this.order[round % this.order.length]!]!.publicKey
  }

  private isProposer(round: number): boolean {
    return this.myPower > 0 && bytesEqual(this.proposerKey(round), this.publicKey)
  }

  private noteSender(round: number, rs: RoundState, key: string, power: number): void {
    if (!rs.senders.has(key)) {
      rs.senders.add(key)
      rs.senderPower += power
      if (round > this.skipTo && rs.senderPower >= this.committee.oneThird) this.skipTo = round
    }
  }

  // -------------------------------------------------------------------------------------------
  // Heights

  /** Move to deciding `tip.height + 1`: fresh round state, committee, buffered messages. */
  private enterHeight(tip: ChainTip<S>): void {
    this.chainTip = tip
    this.height = tip.height + 1
    this.members = this.app.committee(tip.state, this.height)
    this.committee = committeeOf(this.members)
    this.order = proposerOrder(this.committee, this.params.chainId, this.height)
    this.myPower = this.committee.byKey.get(this.myKey)?.power ?? 0
    this.rounds = new Map()
    this.blocks = new Map()
    this.pendingCommits = new Set()
    this.skipTo = -1
    this.round = 0
    this.step = 'new-height'
    this.waitingForWork = false
    this.heardThisHeight = false
    this.locked = { round: -1, key: 'nil' }
    this.valid = { round: -1, key: 'nil' }
    this.firstBufferedAt = null
    this.missingSince = null
    this.behind = false
    for (const [key, s] of this.signed) if (s.position.height < this.height) this.signed.delete(key)
    for (const h of this.restoredLocks.keys()) if (h < this.height) this.restoredLocks.delete(h)
    this.applyRestored()
    const buffered = this.buffer
    this.buffer = []
    for (const b of buffered) {
      try {
        if (b.kind === 'vote') this.onVote(b.vote, false)
        else this.onProposal(b.proposal, false)
      } catch (e) {
        this.count(`error:${(e as Error).name}`)
      }
    }
  }

  /** Apply the restored lock and own messages of the current height. */
  private applyRestored(): void {
    const lock = this.restoredLocks.get(this.height)
    if (lock !== undefined && lock.round > this.locked.round) {
      this.locked = { round: lock.round, key: lock.key }
      if (lock.round > this.valid.round) this.valid = { round: lock.round, key: lock.key }
      // The locked block, so that this validator can propose it again as its valid value.
      if (lock.block !== undefined && !this.blocks.has(lock.key)) {
        this.blocks.set(lock.key, { block: lock.block, key: lock.key })
      }
    }
    for (const s of this.signed.values()) {
      if (s.position.height !== this.height) continue
      if (s.position.step === 0) this.onProposal(decodeProposal(s.bytes), true)
      else this.onVote(decodeVote(s.bytes), true)
    }
  }

  // -------------------------------------------------------------------------------------------
  // Messages

  private onMessage(topic: Topic, bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) {
      this.count('decode')
      return
    }
    if (topic === 'vote') this.onVote(decodeVote(bytes), false)
    else if (topic === 'proposal') this.onProposal(decodeProposal(bytes), false)
    else if (topic === 'tx') this.onPeerTx(bytes)
    else this.count('unknown-topic')
  }

  /** Where a message of `height` goes: here, the next-height buffer, or nowhere (counted). */
  private route(height: number, b: Buffered): boolean {
    if (height === this.height) return true
    if (height === this.height + 1) {
      if (this.buffer.length >= MAX_BUFFERED_MESSAGES) {
        this.count('buffer-full')
      } else {
        this.buffer.push(b)
        this.firstBufferedAt ??= this.now
      }
      return false
    }
    if (height > this.height + 1) {
      this.count('future-height')
      this.behind = true
      return false
    }
    this.count('old-height')
    return false
  }

  private onVote(vote: SignedVote, own: boolean): void {
    if (vote.chainId !== this.params.chainId) {
      this.count('wrong-chain')
      return
    }
    if (
      vote.height === this.height - 1 &&
      vote.type === 'precommit' &&
      this.lastCommit !== null &&
      vote.round === this.lastCommit.round &&
      choiceKey(vote.blockHash) === this.lastCommit.key
    ) {
      this.onLateCommitVote(vote)
      return
    }
    if (!this.route(vote.height, { kind: 'vote', vote })) return
    const key = toHex(vote.validator)
    const member = this.committee.byKey.get(key)
    if (member === undefined) {
      this.count('non-member')
      return
    }
    if (vote.round > this.round + MAX_ROUNDS_AHEAD) {
      this.count('round-window')
      return
    }
    const rs = this.roundState(vote.round)
    const set = vote.type === 'prevote' ? rs.prevotes : rs.precommits
    const existing = set.votes.get(key)
    if (existing !== undefined) {
      const choice = choiceKey(vote.blockHash)
      if (bytesEqual(existing.signature, vote.signature) || set.counts(key, choice)) {
        this.count('duplicate')
        return
      }
      // An equivocation. Its second choice counts too (see vote-set.ts), but only for a choice
      // others voted for or for a few choices per validator: junk hashes cost signature checks.
      if (set.powerFor(choice) === 0 && set.choicesOf(key) >= MAX_CHOICES_PER_VALIDATOR) {
        this.count('equivocation-ignored')
        return
      }
      if (!own && !this.verifyVote(vote)) return
      this.count('equivocation')
      if (!set.evidenced.has(key)) {
        set.evidenced.add(key)
        this.emit({ type: 'evidence', voteA: existing, voteB: vote })
      }
      set.addConflicting(key, vote, member.power)
      if (vote.type === 'precommit' && set.quorumFor !== null) this.pendingCommits.add(vote.round)
      if (this.started || vote.type === 'precommit') this.progress()
      return
    }
    if (!own && !this.verifyVote(vote)) return
    set.add(key, vote, member.power)
    this.heardThisHeight = true
    this.noteSender(vote.round, rs, key, member.power)
    if (vote.type === 'precommit' && set.quorumFor !== null) this.pendingCommits.add(vote.round)
    if (this.started || vote.type === 'precommit') this.progress()
  }

  private verifyVote(vote: SignedVote): boolean {
    if (!this.verifier.verify(vote.validator, voteSignBytes(vote), vote.signature)) {
      this.count('bad-signature')
      return false
    }
    return true
  }

  /** A precommit for the block just committed, arriving late: it joins the next last commit. */
  private onLateCommitVote(vote: SignedVote): void {
    const lc = this.lastCommit!
    const key = toHex(vote.validator)
    const member = lc.committee.byKey.get(key)
    if (member === undefined) {
      this.count('non-member')
      return
    }
    if (lc.precommits.counts(key, lc.key)) {
      this.count('duplicate')
      return
    }
    if (!this.verifyVote(vote)) return
    if (lc.precommits.votes.has(key)) lc.precommits.addConflicting(key, vote, member.power)
    else lc.precommits.add(key, vote, member.power)
  }

  private onProposal(p: SignedProposal, own: boolean): void {
    if (p.block.header.chainId !== this.params.chainId) {
      this.count('wrong-chain')
      return
    }
    if (!this.route(p.height, { kind: 'proposal', proposal: p })) return
    if (p.round > this.round + MAX_ROUNDS_AHEAD) {
      this.count('round-window')
      return
    }
    const rs = this.roundState(p.round)
    if (rs.proposal !== null) {
      this.count(
        bytesEqual(rs.proposal.proposal.signature, p.signature)
          ? 'duplicate'
          : 'conflicting-proposal',
      )
      return
    }
    const proposer = this.proposerKey(p.round)
    if (!own && !this.verifier.verify(proposer, proposalSignBytes(p), p.signature)) {
      this.count('bad-signature')
      return
    }
    const key = toHex(blockHash(p.block.header))
    rs.proposal = { proposal: p, key }
    this.heardThisHeight = true
    // A re-proposal needs the polka of its valid round (rule 28): send this validator's prevote of
    // that round again, for those who missed it.
    if (!own && p.validRound >= 0 && p.round >= this.round && this.myPower > 0) {
      this.resend(p.validRound, STEP_INDEX.prevote)
    }
    if (!this.blocks.has(key)) this.blocks.set(key, { block: p.block, key })
    const proposerHex = toHex(proposer)
    this.noteSender(p.round, rs, proposerHex, this.committee.byKey.get(proposerHex)!.power)
    if (rs.precommits.quorumFor === key) this.pendingCommits.add(p.round)
    if (this.started || this.pendingCommits.size > 0) this.progress()
  }

  // -------------------------------------------------------------------------------------------
  // Transactions

  private checkTx = (tx: Uint8Array): void => {
    this.app.checkTx(this.chainTip.state, tx)
  }

  private onLocalTx(bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) {
      this.count('tx-rejected')
      return
    }
    try {
      this.mempool.add(bytes, this.checkTx)
      this.emit({ type: 'broadcast', topic: 'tx', bytes })
    } catch (e) {
      this.count('tx-rejected')
      this.emit({ type: 'tx-rejected', txHash: txHash(bytes), error: serializeError(e) })
    }
  }

  private onPeerTx(bytes: Uint8Array): void {
    try {
      this.mempool.add(bytes, this.checkTx)
    } catch (e) {
      this.count((e as Error).name === 'DuplicateTxError' ? 'tx-duplicate' : 'tx-rejected')
    }
  }

  // -------------------------------------------------------------------------------------------
  // Validity

  private txHashes(entry: BlockEntry<S>): Uint8Array[] {
    entry.txHashes ??= entry.block.txs.map(txHash)
    return entry.txHashes
  }

  /** Deterministic validity of a block of this height (cached); the clock is checked apart. */
  private verdict(entry: BlockEntry<S>): { ok: true; state: S } | { ok: false } {
    if (entry.verdict === undefined) {
      try {
        const v = validateBlock(
          this.app,
          this.params,
          this.chainTip,
          entry.block,
          { verifier: this.verifier },
          this.txHashes(entry),
        )
        entry.verdict = { ok: true, state: v.state }
      } catch (e) {
        this.count('invalid-block')
        this.count(`invalid-block:${(e as { reason?: string }).reason ?? (e as Error).name}`)
        entry.verdict = { ok: false }
      }
    }
    return entry.verdict
  }

  /** valid(v) of the paper, now: deterministic validity and a time not too far ahead. */
  private validNow(key: ChoiceKey): boolean {
    const entry = this.blocks.get(key)
    if (entry === undefined || !this.verdict(entry).ok) return false
    try {
      checkNotFuture(this.params, entry.block.header, this.now)
      return true
    } catch {
      this.count('future-block')
      return false
    }
  }

  // -------------------------------------------------------------------------------------------
  // Rules

  /** Apply every enabled rule until none is. */
  private progress(): void {
    for (let guard = 0; guard < 64; guard++) {
      if (this.tryCommits()) continue
      if (this.started && this.skipTo > this.round) {
        // Line 55: f + 1 validators sent messages of a later round; join the latest such round.
        this.startRound(this.skipTo)
        continue
      }
      if (this.started && this.step !== 'new-height' && this.roundRules()) continue
      return
    }
  }

  /** Line 49: a proposal and a precommit quorum for it at any round, while undecided. */
  private tryCommits(): boolean {
    for (const r of this.pendingCommits) {
      const rs = this.rounds.get(r)
      const key = rs?.precommits.quorumFor ?? null
      if (rs === undefined || key === null) {
        this.pendingCommits.delete(r)
        continue
      }
      if (!this.blocks.has(key)) {
        // The others decided a block this node never received: fetch it if it does not show up.
        this.missingSince ??= this.now
        continue
      }
      if (!this.validNow(key)) continue
      this.commit(this.blocks.get(key)!, r, rs.precommits)
      return true
    }
    return false
  }

  /** Rules of the current round (lines 22, 28, 34, 36, 44, 47). Returns whether one changed state. */
  private roundRules(): boolean {
    const rs = this.roundState(this.round)
    const p = rs.proposal
    if (this.step === 'propose' && p !== null) {
      const vr = p.proposal.validRound
      if (vr === -1) {
        // Line 22.
        const ok = this.validNow(p.key) && (this.locked.round === -1 || this.locked.key === p.key)
        this.prevote(ok ? p.key : 'nil')
        return true
      }
      if (vr < this.round && (this.rounds.get(vr)?.prevotes.hasQuorumFor(p.key) ?? false)) {
        // Line 28.
        const ok = this.validNow(p.key) && (this.locked.round <= vr || this.locked.key === p.key)
        this.prevote(ok ? p.key : 'nil')
        return true
      }
    }
    if (this.step === 'prevote' && !rs.prevoteTimeoutScheduled && rs.prevotes.hasQuorumAny) {
      // Line 34.
      rs.prevoteTimeoutScheduled = true
      this.schedule('prevote', this.height, this.round, this.timeoutFor('prevote', this.round))
    }
    if (
      STEP_ORDER[this.step] >= STEP_ORDER.prevote &&
      !rs.polkaHandled &&
      p !== null &&
      rs.prevotes.hasQuorumFor(p.key) &&
      this.validNow(p.key)
    ) {
      // Line 36.
      rs.polkaHandled = true
      if (this.step === 'prevote') {
        // Lock only on what is actually precommitted: after a restart the guard may resend an
        // older precommit (or refuse), and the lock must keep following the signed messages.
        if (this.myPower === 0) {
          this.locked = { round: this.round, key: p.key }
        } else if (this.willSign(this.round, 'precommit')) {
          this.locked = { round: this.round, key: p.key }
          this.persist({
            type: 'lock',
            height: this.height,
            round: this.round,
            blockHash: blockHash(p.proposal.block.header),
            block: p.proposal.block,
          })
        }
        this.precommit(p.key)
      }
      this.valid = { round: this.round, key: p.key }
      return true
    }
    if (this.step === 'prevote' && rs.prevotes.hasQuorumFor('nil')) {
      // Line 44.
      this.precommit('nil')
      return true
    }
    if (!rs.precommitTimeoutScheduled && rs.precommits.hasQuorumAny) {
      // Line 47.
      rs.precommitTimeoutScheduled = true
      this.schedule('precommit', this.height, this.round, this.timeoutFor('precommit', this.round))
    }
    return false
  }

  private timeoutFor(kind: 'propose' | 'prevote' | 'precommit', round: number): number {
    const t = this.timeouts
    const [base, delta] =
      kind === 'propose'
        ? [t.proposeBase, t.proposeDelta]
        : kind === 'prevote'
          ? [t.prevoteBase, t.prevoteDelta]
          : [t.precommitBase, t.precommitDelta]
    return base + round * delta
  }

  /** A node waiting for work (TimeoutConfig.idle) starts round 0 once there is some. */
  private wakeForWork(): void {
    if (!this.waitingForWork || !this.started || this.step !== 'new-height') return
    if (this.mempool.size === 0 && !this.heardThisHeight) return
    this.startRound(0)
    this.progress()
  }

  /** StartRound of the paper (line 11). */
  private startRound(round: number): void {
    this.round = round
    this.step = 'propose'
    this.waitingForWork = false
    if (this.timeouts.rebroadcast > 0 && this.myPower > 0) {
      this.schedule('rebroadcast', this.height, round, this.timeouts.rebroadcast)
    }
    if (this.isProposer(round)) {
      const validEntry = this.valid.round >= 0 ? this.blocks.get(this.valid.key) : undefined
      if (validEntry !== undefined) {
        this.propose(validEntry.block, this.valid.round)
      } else {
        let block: Block | null = null
        try {
          block = this.buildBlock()
        } catch (e) {
          this.count(`build-failed:${(e as Error).name}`)
        }
        if (block !== null) this.propose(block, -1)
        else this.schedule('propose', this.height, round, this.timeoutFor('propose', round))
      }
    } else {
      this.schedule('propose', this.height, round, this.timeoutFor('propose', round))
    }
  }

  private onTimeout(t: Timeout): void {
    if (t === null || typeof t !== 'object' || t.height !== this.height) return
    switch (t.kind) {
      case 'propose':
        // Line 57.
        if (t.round === this.round && this.step === 'propose') this.prevote('nil')
        break
      case 'prevote':
        // Line 61.
        if (t.round === this.round && this.step === 'prevote') this.precommit('nil')
        break
      case 'precommit':
        // Line 65.
        if (t.round === this.round && this.step !== 'new-height') this.startRound(this.round + 1)
        break
      case 'commit':
        if (!this.started || this.step !== 'new-height') break
        if (
          this.timeouts.idle > this.timeouts.commit &&
          this.mempool.size === 0 &&
          !this.heardThisHeight
        ) {
          // Nothing to decide: wait for a transaction or a peer (wakeForWork), at most until the
          // empty-block interval after the commit.
          this.waitingForWork = true
          this.schedule('idle', this.height, 0, this.timeouts.idle - this.timeouts.commit)
          return
        }
        this.startRound(0)
        break
      case 'idle':
        if (this.started && this.step === 'new-height') this.startRound(0)
        break
      case 'rebroadcast':
        if (t.round === this.round && this.step !== 'new-height') {
          this.rebroadcast()
          this.schedule('rebroadcast', this.height, this.round, this.timeouts.rebroadcast)
        }
        return
      default:
        return
    }
    this.progress()
  }

  /**
   * Send again this validator's signed messages of the current round and its votes of the
   * previous one, its prevotes of the rounds a polka may be needed from (the current proposal's
   * valid round, its own locked and valid rounds), and the polka behind its valid value. Gossip
   * loses messages, and the rules wait for quorums: without this a validator that missed some
   * votes could wait forever (the paper assumes every message eventually arrives).
   */
  private rebroadcast(): void {
    for (let step = 0; step <= 2; step++) this.resend(this.round, step)
    // Validators still in the previous round wait for a quorum of its votes (rules 34 and 47)
    // that losses may have cut short, and fewer than f + 1 in this round cannot pull them here.
    if (this.round > 0) {
      this.resend(this.round - 1, STEP_INDEX.prevote)
      this.resend(this.round - 1, STEP_INDEX.precommit)
    }
    const vr = this.rounds.get(this.round)?.proposal?.proposal.validRound ?? -1
    const extra = new Set([vr, this.locked.round, this.valid.round])
    for (const r of extra) if (r >= 0 && r !== this.round) this.resend(r, STEP_INDEX.prevote)
    // The polka behind this validator's valid value, everyone's prevotes in it: those who missed
    // some (an equivocator may have shown them another vote) need them to accept a re-proposal.
    if (this.valid.round >= 0 && this.valid.round < this.round) {
      const polka = this.rounds.get(this.valid.round)?.prevotes
      if (polka !== undefined) {
        for (const v of polka.votesFor(this.valid.key)) {
          if (!bytesEqual(v.validator, this.publicKey)) {
            this.emit({ type: 'broadcast', topic: 'vote', bytes: encodeVote(v) })
          }
        }
      }
    }
  }

  private resend(round: number, step: number): void {
    const s = this.signed.get(positionKey({ height: this.height, round, step }))
    if (s !== undefined) {
      this.emit({ type: 'broadcast', topic: step === 0 ? 'proposal' : 'vote', bytes: s.bytes })
    }
  }

  // -------------------------------------------------------------------------------------------
  // Signing

  private persist(record: PersistRecord): void {
    this.emit({ type: 'persist', record })
  }

  /**
   * The signing guard: at most one signed message per (height, round, step), and never one at a
   * position before the latest signed. Returns the bytes to broadcast (fresh, or the message
   * already signed at this position), or `null` when signing is refused.
   */
  private signAt(round: number, step: SignStep, make: () => Uint8Array): Uint8Array | null {
    const position = { height: this.height, round, step: STEP_INDEX[step] }
    const key = positionKey(position)
    const stored = this.signed.get(key)
    if (stored !== undefined) return stored.bytes
    if (this.lastSigned !== null && comparePosition(position, this.lastSigned) < 0) {
      this.count('sign-refused')
      return null
    }
    const bytes = make()
    this.signed.set(key, { position, bytes })
    this.lastSigned = position
    this.persist({ type: 'signed', height: this.height, round, step, bytes })
    return bytes
  }

  /** Whether {@link signAt} at this position would sign something new (not resend, not refuse). */
  private willSign(round: number, step: SignStep): boolean {
    const position = { height: this.height, round, step: STEP_INDEX[step] }
    if (this.signed.has(positionKey(position))) return false
    return this.lastSigned === null || comparePosition(position, this.lastSigned) > 0
  }

  private propose(block: Block, validRound: number): void {
    const round = this.round
    let fresh: SignedProposal | null = null
    const bytes = this.signAt(round, 'proposal', () => {
      const unsigned = { height: this.height, round, validRound, block }
      fresh = { ...unsigned, signature: this.sign(proposalSignBytes(unsigned)) }
      return encodeProposal(fresh)
    })
    if (bytes === null) return
    this.emit({ type: 'broadcast', topic: 'proposal', bytes })
    this.onProposal(fresh ?? decodeProposal(bytes), true)
  }

  private vote(type: 'prevote' | 'precommit', choice: ChoiceKey): void {
    this.step = type
    if (this.myPower === 0) return
    const entry = choice === 'nil' ? undefined : this.blocks.get(choice)
    const hash = entry === undefined ? null : blockHash(entry.block.header)
    const timestamp =
      type === 'prevote'
        ? 0
        : hash === null
          ? this.now
          : Math.max(this.now, entry!.block.header.time + 1)
    let fresh: SignedVote | null = null
    const bytes = this.signAt(this.round, type, () => {
      const v: Vote = {
        chainId: this.params.chainId,
        height: this.height,
        round: this.round,
        type,
        blockHash: hash,
        timestamp,
        validator: this.publicKey,
      }
      fresh = { ...v, signature: this.sign(voteSignBytes(v)) }
      return encodeVote(fresh)
    })
    if (bytes === null) return
    this.emit({ type: 'broadcast', topic: 'vote', bytes })
    // A restored message may already be in the set; then there is nothing to add.
    const own = fresh ?? decodeVote(bytes)
    const rs = this.roundState(this.round)
    const set = type === 'prevote' ? rs.prevotes : rs.precommits
    if (!set.votes.has(this.myKey)) {
      set.add(this.myKey, own, this.myPower)
      this.noteSender(this.round, rs, this.myKey, this.myPower)
      if (type === 'precommit' && set.quorumFor !== null) this.pendingCommits.add(this.round)
    }
  }

  private prevote(choice: ChoiceKey): void {
    this.vote('prevote', choice)
  }

  private precommit(choice: ChoiceKey): void {
    this.vote('precommit', choice)
  }

  // -------------------------------------------------------------------------------------------
  // Building a block

  /** The certificate of the previous block to put in the next one (collected precommits). */
  private lastCommitCertificate(): CommitCertificate | null {
    const lc = this.lastCommit
    if (lc === null || lc.height !== this.height - 1) return this.chainTip.certificate
    const all: CommitPrecommit[] = []
    const after: CommitPrecommit[] = []
    let afterPower = 0
    for (const v of lc.precommits.votesFor(lc.key)) {
      const p = { validator: v.validator, timestamp: v.timestamp, signature: v.signature }
      all.push(p)
      // Honest precommits are later than the block they certify; leave out those that are not,
      // as long as a quorum remains, so a faulty validator cannot drag the next time back.
      if (v.timestamp > lc.header.time) {
        after.push(p)
        afterPower += lc.committee.byKey.get(toHex(v.validator))!.power
      }
    }
    const chosen = afterPower >= lc.committee.quorum ? after : all
    chosen.sort((a, b) => compareBytes(a.validator, b.validator))
    return {
      height: lc.height,
      round: lc.round,
      blockHash: blockHash(lc.header),
      precommits: chosen,
    }
  }

  /**
   * A new block: the oldest mempool transactions within the limits, executed on the parent state.
   * If they do not execute together (two spends of one balance that each passed `checkTx`), the
   * longest executable prefix is found by bisection and the transaction after it evicted, a few
   * times at most; the common case costs one execution.
   */
  /**
   * Put each sender's transactions in sequence order (Application.txSequence), keeping the slots
   * the sender's transactions had: gossip may deliver nonce n + 1 before n, and executing them in
   * arrival order would fail the block and evict the later one.
   */
  private inSequence<T extends { tx: Uint8Array }>(candidates: T[]): T[] {
    const seqOf = this.app.txSequence?.bind(this.app)
    if (seqOf === undefined || candidates.length < 2) return candidates
    const bySender = new Map<string, { slots: number[]; items: { item: T; sequence: number }[] }>()
    candidates.forEach((item, slot) => {
      let seq: { sender: string; sequence: number } | null
      try {
        seq = seqOf(item.tx)
      } catch {
        seq = null
      }
      if (seq === null) return
      let group = bySender.get(seq.sender)
      if (group === undefined) {
        group = { slots: [], items: [] }
        bySender.set(seq.sender, group)
      }
      group.slots.push(slot)
      group.items.push({ item, sequence: seq.sequence })
    })
    const out = candidates.slice()
    for (const group of bySender.values()) {
      if (group.items.length < 2) continue
      const sorted = [...group.items].sort((a, b) => a.sequence - b.sequence)
      group.slots.forEach((slot, i) => (out[slot] = sorted[i]!.item))
    }
    return out
  }

  /** Whether `tx` passes `checkTx` on the last committed state by itself. */
  private executesAlone(tx: Uint8Array): boolean {
    try {
      this.app.checkTx(this.chainTip.state, tx)
      return true
    } catch {
      return false
    }
  }

  /**
   * `candidates` without the later transactions (by Application.txSequence) of the sender of
   * `failed`, which was left out of the block: with its sequence number unused, they cannot
   * execute after it in this block (unless an accepted transaction used that number).
   */
  private withoutLaterOfSender<T extends { tx: Uint8Array }>(
    candidates: T[],
    accepted: readonly T[],
    failed: Uint8Array,
  ): T[] {
    const seqOf = (tx: Uint8Array): { sender: string; sequence: number } | null => {
      try {
        return this.app.txSequence?.(tx) ?? null
      } catch {
        return null
      }
    }
    const f = seqOf(failed)
    if (f === null) return candidates
    const same = (tx: Uint8Array, later: boolean): boolean => {
      const s = seqOf(tx)
      return (
        s !== null &&
        s.sender === f.sender &&
        (later ? s.sequence > f.sequence : s.sequence === f.sequence)
      )
    }
    if (accepted.some((c) => same(c.tx, false))) return candidates
    return candidates.filter((c) => !same(c.tx, true))
  }

  private buildBlock(): Block {
    const tip = this.chainTip
    const lastCommit = tip.height === 0 ? null : this.lastCommitCertificate()
    if (tip.height > 0 && (lastCommit === null || tip.committee === null)) {
      throw new ConsensusConfigError('buildBlock: no certificate of the previous block')
    }
    const time =
      lastCommit === null
        ? this.params.genesisTime
        : weightedMedianTime(lastCommit.precommits, committeeOf(tip.committee!))
    const context: BlockContext = {
      chainId: this.params.chainId,
      height: this.height,
      time,
      proposer: this.publicKey,
      lastCommitSigners: lastCommit === null ? [] : lastCommit.precommits.map((p) => p.validator),
    }
    const execute = (txs: readonly Uint8Array[]): { state: S } | null => {
      try {
        return { state: this.app.executeBlock(tip.state, context, txs) }
      } catch {
        return null
      }
    }
    let candidates = this.inSequence(
      this.mempool.reap(this.params.maxBlockTxs, this.params.maxBlockBytes),
    )
    let accepted: typeof candidates = []
    let result = execute(candidates.map((c) => c.tx))
    if (result !== null) {
      accepted = candidates
    } else {
      result = execute([])
      if (result === null) throw new ConsensusConfigError('buildBlock: an empty block fails')
      const evicted: string[] = []
      let leftOut = 0
      while (candidates.length > 0 && evicted.length + leftOut < MAX_BLOCK_BUILD_EVICTIONS) {
        // Invariant: accepted ++ candidates[0, lo) executes, accepted ++ candidates[0, hi) does not.
        let lo = 0
        let hi = candidates.length
        let loResult: { state: S } = result
        while (hi - lo > 1) {
          const mid = (lo + hi) >>> 1
          const r = execute([...accepted, ...candidates.slice(0, mid)].map((c) => c.tx))
          if (r !== null) {
            lo = mid
            loResult = r
          } else {
            hi = mid
          }
        }
        accepted = [...accepted, ...candidates.slice(0, lo)]
        result = loResult
        const failed = candidates[lo]!
        candidates = candidates.slice(lo + 1)
        // Evict only what cannot execute even alone on the parent state. A transaction that
        // fails in this company alone — a nonce after a gap (gossip delivered n + 1 before n, or
        // n is still on its way), a second spend of one balance — stays pooled for a later block;
        // the post-commit recheck drops it once it can never execute. Evicting it would lose a
        // valid transaction here for good.
        if (this.executesAlone(failed.tx)) {
          leftOut++
          candidates = this.withoutLaterOfSender(candidates, accepted, failed.tx)
        } else {
          evicted.push(failed.key)
        }
        if (candidates.length === 0) break
        const r = execute([...accepted, ...candidates].map((c) => c.tx))
        if (r !== null) {
          accepted = [...accepted, ...candidates]
          result = r
          candidates = []
        }
      }
      this.mempool.remove(evicted)
      this.counters['tx-evicted'] = (this.counters['tx-evicted'] ?? 0) + evicted.length
      this.counters['tx-left-out'] = (this.counters['tx-left-out'] ?? 0) + leftOut
    }
    const state = result.state
    const txs = accepted.map((c) => c.tx)
    const hashes = accepted.map((c) => c.hash)
    const header: BlockHeader = {
      chainId: this.params.chainId,
      height: this.height,
      time,
      parentHash: tip.hash,
      lastCommitHash: lastCommit === null ? new Uint8Array(32) : certificateHash(lastCommit),
      txsRoot: merkleRootOfHashes(hashes),
      stateRoot: this.app.stateRoot(state),
      proposer: this.publicKey,
      committeeHash: this.committee.hash,
    }
    const block: Block = { header, txs, lastCommit }
    const key = toHex(blockHash(header))
    this.blocks.set(key, { block, key, txHashes: hashes, verdict: { ok: true, state } })
    return block
  }

  // -------------------------------------------------------------------------------------------
  // Commit and sync

  private commit(entry: BlockEntry<S>, round: number, precommits: VoteSet): void {
    const verdict = this.verdict(entry)
    if (!verdict.ok) return
    const precommitList: CommitPrecommit[] = []
    for (const v of precommits.votesFor(entry.key)) {
      precommitList.push({ validator: v.validator, timestamp: v.timestamp, signature: v.signature })
    }
    precommitList.sort((a, b) => compareBytes(a.validator, b.validator))
    const certificate: CommitCertificate = {
      height: this.height,
      round,
      blockHash: blockHash(entry.block.header),
      precommits: precommitList,
    }
    this.lastCommit = {
      height: this.height,
      round,
      key: entry.key,
      header: entry.block.header,
      committee: this.committee,
      precommits,
    }
    const tip = advanceTip(
      entry.block,
      {
        hash: certificate.blockHash,
        state: verdict.state,
        committee: this.members,
        lastCommit: null,
      },
      certificate,
    )
    this.afterCommit(entry.block, certificate, tip, this.txHashes(entry))
  }

  private afterCommit(
    block: Block,
    certificate: CommitCertificate,
    tip: ChainTip<S>,
    hashes: readonly Uint8Array[],
  ): void {
    this.emit({ type: 'committed', block, certificate, state: tip.state })
    this.mempool.remove(hashes.map(toHex))
    if (this.recheckMempool && this.mempool.size > 0) {
      const dropped = this.mempool.recheck((tx) => {
        try {
          this.app.checkTx(tip.state, tx)
          return true
        } catch {
          return false
        }
      })
      if (dropped > 0)
        this.counters['tx-rechecked-out'] = (this.counters['tx-rechecked-out'] ?? 0) + dropped
    }
    this.enterHeight(tip)
    this.schedule('commit', this.height, 0, this.timeouts.commit)
  }

  private onSync(blocks: readonly Block[], certificates: readonly CommitCertificate[]): void {
    if (
      !Array.isArray(blocks) ||
      !Array.isArray(certificates) ||
      blocks.length !== certificates.length
    ) {
      this.count('sync-malformed')
      return
    }
    let applied = 0
    for (let i = 0; i < blocks.length; i++) {
      const block = blocks[i]!
      const certificate = certificates[i]!
      try {
        if (block.header.height <= this.chainTip.height) continue
        if (block.header.height !== this.chainTip.height + 1) {
          this.count('sync-gap')
          break
        }
        const tip = syncBlock(this.app, this.params, this.chainTip, block, certificate, {
          verifier: this.verifier,
          now: this.now,
        })
        this.lastCommit = null
        applied++
        this.afterCommit(block, certificate, tip, block.txs.map(txHash))
      } catch (e) {
        this.count(`sync-invalid:${(e as { reason?: string }).reason ?? (e as Error).name}`)
        break
      }
    }
    if (applied > 0) {
      this.count('sync-applied')
      this.progress()
    }
  }

  private maybeRequestSync(): void {
    const since = Math.min(this.firstBufferedAt ?? Infinity, this.missingSince ?? Infinity)
    if (this.now - since >= this.timeouts.syncRetry) this.behind = true
    if (this.behind && this.now - this.lastSyncRequest >= this.timeouts.syncRetry) {
      this.behind = false
      this.lastSyncRequest = this.now
      this.emit({ type: 'request-sync', fromHeight: this.chainTip.height + 1 })
    }
  }
}
