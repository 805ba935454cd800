/**
 * INFRASTRUCTURE SELF-TEST — not HyperMesh consensus. A small slot-voting replicated counter that
 * exercises every part of the simulator (timers on the local clock, broadcast, store + sync,
 * crash/restart, workload, Byzantine wrappers, invariants, liveness) with safety properties that
 * faults really do break when the protocol is bugged on purpose (`bug` option, for tests).
 *
 * Protocol. Virtual time is cut into slots of `slotMs` by each host's *local* clock; the leader
 * of slot s is validator s mod V. At the start of its slot the leader broadcasts a proposal
 * (slot, amount = the client requests it holds, its local time, nonce). A validator votes once per
 * slot — for the first valid proposal of the slot's leader, or nil when none came within three
 * slots — persisting the vote (and syncing) before broadcasting it. Any host commits a slot when a
 * quorum (⌊2V/3⌋+1) of validators voted the same thing, persists the commit and adds the amount to
 * its counter. Quorums intersect in an honest validator, so two honest hosts never commit
 * different things for one slot while fewer than a third of validators are Byzantine.
 *
 * Invariants: agreement (no slot committed two ways by honest hosts), validity (committed amounts
 * are in range), durability (a restarted honest host has not forgotten a commit). Liveness: some
 * honest validator commits a new value within the deadline after the heal.
 */
import { SIM_EPOCH_MS } from '../constants'
import { corrupt, equivocate, lyingClock, withhold } from '../byzantine'
import { SimConfigError } from '../errors'
import type {
  Invariant,
  LivenessCheck,
  NodeId,
  NodeInfo,
  Scenario,
  ScenarioWorld,
  SimContext,
  SimProcess,
  SimView,
  WorkloadApi,
} from '../types'

/** A deliberate bug, for showing that the invariants catch it. `none` is the correct protocol. */
export type ToyBug = 'none' | 'no-sync' | 'small-quorum' | 'no-validation'

const BUGS: readonly ToyBug[] = ['none', 'no-sync', 'small-quorum', 'no-validation']

/** A commit as hosts report it to the invariants. */
export interface ToyCommit {
  readonly slot: number
  readonly nil: boolean
  readonly amount: number
  /** 32-bit id of the proposal committed (0 for nil). */
  readonly valueId: number
}

/** Outputs of the toy protocol. */
export type ToyOutput = { readonly type: 'commit' } & ToyCommit

/** Options of the toy scenario. */
export interface ToyCounterInit {
  /** Slot length in ms of local time (default 500). */
  slotMs?: number
  /** Client requests per virtual second (default 20). */
  requestRate?: number
  /** Deliberate bug (default `none`). */
  bug?: ToyBug
  /** Liveness deadline after the heal, ms (default slotMs · (2·byzantine + 12)). */
  deadlineMs?: number
}

/** Largest valid proposal amount. */
export const TOY_MAX_AMOUNT = 1_000_000
/** A proposal whose time is further ahead of the receiver's clock than this is refused. */
const MAX_AHEAD_MS = 2_000
/** Votes and proposals for slots further than this from the current one are ignored. */
const SLOT_WINDOW = 12
/** A validator votes nil for slot s at the start of slot s + NIL_AFTER_SLOTS. */
const NIL_AFTER_SLOTS = 3

const TAG_REQUEST = 0
const TAG_PROPOSAL = 1
const TAG_VOTE = 2

interface Proposal {
  slot: number
  amount: number
  time: number
  nonce: number
}

interface Vote {
  slot: number
  nil: boolean
  amount: number
  valueId: number
}

/** Encodes a client request of `amount`. */
export function encodeRequest(amount: number): Uint8Array {
  const b = new Uint8Array(5)
  const v = new DataView(b.buffer)
  v.setUint8(0, TAG_REQUEST)
  v.setUint32(1, amount)
  return b
}

function encodeProposal(p: Proposal): Uint8Array {
  const b = new Uint8Array(21)
  const v = new DataView(b.buffer)
  v.setUint8(0, TAG_PROPOSAL)
  v.setUint32(1, p.slot)
  v.setInt32(5, p.amount)
  v.setFloat64(9, p.time)
  v.setUint32(17, p.nonce)
  return b
}

function encodeVote(x: Vote): Uint8Array {
  const b = new Uint8Array(14)
  const v = new DataView(b.buffer)
  v.setUint8(0, TAG_VOTE)
  v.setUint32(1, x.slot)
  v.setUint8(5, x.nil ? 1 : 0)
  v.setInt32(6, x.amount)
  v.setUint32(10, x.valueId)
  return b
}

function decodeProposal(b: Uint8Array): Proposal | null {
  if (b.length !== 21 || b[0] !== TAG_PROPOSAL) return null
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
  return {
    slot: v.getUint32(1),
    amount: v.getInt32(5),
    time: v.getFloat64(9),
    nonce: v.getUint32(17),
  }
}

function decodeVote(b: Uint8Array): Vote | null {
  if (b.length !== 14 || b[0] !== TAG_VOTE) return null
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const flag = v.getUint8(5)
  if (flag > 1) return null
  return { slot: v.getUint32(1), nil: flag === 1, amount: v.getInt32(6), valueId: v.getUint32(10) }
}

/** FNV-1a of the proposal bytes: the id votes refer to. Never 0 (0 is nil). */
function valueIdOf(bytes: Uint8Array): number {
  let h = 0x811c9dc5
  for (const x of bytes) h = Math.imul(h ^ x, 0x01000193)
  return h >>> 0 || 1
}

/** Message kind by tag byte, for metrics. */
export function toyMessageKind(bytes: Uint8Array): string {
  return bytes[0] === TAG_PROPOSAL ? 'proposal' : bytes[0] === TAG_VOTE ? 'vote' : 'request'
}

interface Config {
  slotMs: number
  quorum: number
  bug: ToyBug
}

const voteKey = (slot: number): string => `vote/${slot}`
const commitKey = (slot: number): string => `commit/${slot}`

/** One host of the toy protocol. Its public getters are what invariants read. */
export class ToyNode implements SimProcess<ToyOutput> {
  private readonly votes = new Map<number, Vote>()
  private readonly committed = new Map<number, ToyCommit>()
  /** slot → vote key → voters. */
  private readonly tallies = new Map<number, Map<string, Set<NodeId>>>()
  private pending: { amount: number; at: number }[] = []
  private readonly inFlight = new Map<
    number,
    { slot: number; requests: { amount: number; at: number }[] }
  >()
  private armedSlot = 0
  private valueCommits = 0
  private total = 0

  constructor(
    private readonly info: NodeInfo,
    private readonly config: Config,
  ) {}

  /** Slots committed (nil included). */
  get committedCount(): number {
    return this.committed.size
  }
  /** Non-nil slots committed. */
  get valueCommitCount(): number {
    return this.valueCommits
  }
  /** Sum of committed amounts. */
  get counter(): number {
    return this.total
  }

  private slotAt(now: number): number {
    return Math.floor((now - SIM_EPOCH_MS) / this.config.slotMs)
  }

  private persist(ctx: SimContext<ToyOutput>, key: string, value: Uint8Array): void {
    ctx.store.put(key, value)
    if (this.config.bug !== 'no-sync') ctx.store.sync()
  }

  start(now: number, ctx: SimContext<ToyOutput>): void {
    for (const key of ctx.store.keys('vote/')) {
      const v = decodeVote(ctx.store.get(key) as Uint8Array)
      if (v !== null) this.votes.set(v.slot, v)
    }
    for (const key of ctx.store.keys('commit/')) {
      const v = decodeVote(ctx.store.get(key) as Uint8Array)
      if (v !== null) this.applyCommit(v)
    }
    this.arm(this.slotAt(now) + 1, now, ctx)
  }

  private arm(slot: number, now: number, ctx: SimContext<ToyOutput>): void {
    this.armedSlot = slot
    ctx.setTimer(Math.max(0, SIM_EPOCH_MS + slot * this.config.slotMs - now))
  }

  onTimer(_id: number, now: number, ctx: SimContext<ToyOutput>): void {
    const s = this.armedSlot
    const isValidator = this.info.role === 'validator'
    if (isValidator && s % ctx.validatorCount === this.info.node) this.propose(s, now, ctx)
    const late = s - NIL_AFTER_SLOTS
    if (isValidator && late >= 0 && !this.votes.has(late))
      this.castVote(ctx, { slot: late, nil: true, amount: 0, valueId: 0 })
    this.prune(s, ctx)
    // A clock that jumped forward skips the slots it missed; it never proposes in the past.
    this.arm(Math.max(s + 1, this.slotAt(now) + 1), now, ctx)
  }

  private propose(slot: number, now: number, ctx: SimContext<ToyOutput>): void {
    const requests = this.pending
    this.pending = []
    let amount = 0
    for (const r of requests) amount += r.amount
    const bytes = encodeProposal({ slot, amount, time: now, nonce: ctx.random.int(0x1_0000_0000) })
    this.inFlight.set(valueIdOf(bytes), { slot, requests })
    ctx.broadcast(bytes, 'proposal')
    this.onProposal(this.info.node, bytes, now, ctx)
  }

  onMessage(from: NodeId, bytes: Uint8Array, now: number, ctx: SimContext<ToyOutput>): void {
    const tag = bytes[0]
    if (tag === TAG_REQUEST && bytes.length === 5 && this.info.role === 'validator') {
      const amount = new DataView(bytes.buffer, bytes.byteOffset, 5).getUint32(1)
      if (amount <= 1000) this.pending.push({ amount, at: now })
    } else if (tag === TAG_PROPOSAL) this.onProposal(from, bytes, now, ctx)
    else if (tag === TAG_VOTE) {
      const vote = decodeVote(bytes)
      if (vote !== null && from >= 0 && from < ctx.validatorCount) this.tally(from, vote, now, ctx)
    }
  }

  private onProposal(
    from: NodeId,
    bytes: Uint8Array,
    now: number,
    ctx: SimContext<ToyOutput>,
  ): void {
    if (this.info.role !== 'validator') return
    const p = decodeProposal(bytes)
    if (p === null || from !== p.slot % ctx.validatorCount || this.votes.has(p.slot)) return
    const cur = this.slotAt(now)
    if (p.slot < cur - NIL_AFTER_SLOTS || p.slot > cur + 2) return
    if (this.config.bug !== 'no-validation') {
      if (p.amount < 0 || p.amount > TOY_MAX_AMOUNT || p.time > now + MAX_AHEAD_MS) return
    }
    this.castVote(ctx, { slot: p.slot, nil: false, amount: p.amount, valueId: valueIdOf(bytes) })
  }

  private castVote(ctx: SimContext<ToyOutput>, vote: Vote): void {
    const bytes = encodeVote(vote)
    this.votes.set(vote.slot, vote)
    // Durable before it leaves: a restarted validator must not vote again for the slot.
    this.persist(ctx, voteKey(vote.slot), bytes)
    ctx.broadcast(bytes, 'vote')
    this.tally(this.info.node, vote, ctx.clock.now(), ctx)
  }

  private tally(voter: NodeId, vote: Vote, now: number, ctx: SimContext<ToyOutput>): void {
    const cur = this.slotAt(now)
    if (
      vote.slot < cur - SLOT_WINDOW ||
      vote.slot > cur + SLOT_WINDOW ||
      this.committed.has(vote.slot)
    )
      return
    let bySlot = this.tallies.get(vote.slot)
    if (bySlot === undefined) {
      bySlot = new Map()
      this.tallies.set(vote.slot, bySlot)
    }
    const key = vote.nil ? 'nil' : `${vote.amount}:${vote.valueId}`
    let voters = bySlot.get(key)
    if (voters === undefined) {
      voters = new Set()
      bySlot.set(key, voters)
    }
    voters.add(voter)
    if (voters.size >= this.config.quorum) this.commit(vote, now, ctx)
  }

  private commit(vote: Vote, now: number, ctx: SimContext<ToyOutput>): void {
    this.persist(ctx, commitKey(vote.slot), encodeVote(vote))
    this.applyCommit(vote)
    this.tallies.delete(vote.slot)
    ctx.count(vote.nil ? 'nil-slots' : 'value-slots')
    const mine = vote.nil ? undefined : this.inFlight.get(vote.valueId)
    if (mine !== undefined) {
      this.inFlight.delete(vote.valueId)
      for (const r of mine.requests) {
        ctx.observe('request-latency-ms', now - r.at)
        ctx.count('requests-committed')
      }
    }
    ctx.output({
      type: 'commit',
      slot: vote.slot,
      nil: vote.nil,
      amount: vote.amount,
      valueId: vote.valueId,
    })
  }

  private applyCommit(vote: Vote): void {
    this.committed.set(vote.slot, {
      slot: vote.slot,
      nil: vote.nil,
      amount: vote.amount,
      valueId: vote.valueId,
    })
    if (!vote.nil) {
      this.valueCommits++
      this.total += vote.amount
    }
  }

  private prune(slot: number, _ctx: SimContext<ToyOutput>): void {
    for (const s of this.tallies.keys()) if (s < slot - SLOT_WINDOW) this.tallies.delete(s)
    // Requests of proposals that never committed go back to the queue for the next turn.
    for (const [id, f] of this.inFlight) {
      if (f.slot < slot - SLOT_WINDOW) {
        this.inFlight.delete(id)
        this.pending.push(...f.requests)
      }
    }
  }
}

function decodeAny(bytes: Uint8Array): { proposal: Proposal | null; vote: Vote | null } {
  return { proposal: decodeProposal(bytes), vote: decodeVote(bytes) }
}

/** Agreement: honest hosts never commit one slot two ways. */
function agreement(): Invariant<ToyNode, ToyOutput> {
  const decided = new Map<number, { commit: ToyCommit; host: number }>()
  return {
    name: 'agreement',
    onOutput(host, out) {
      if (host.honest === null) return undefined
      const first = decided.get(out.slot)
      if (first === undefined) {
        decided.set(out.slot, { commit: out, host: host.info.host })
        return undefined
      }
      const a = first.commit
      if (a.nil !== out.nil || a.amount !== out.amount || a.valueId !== out.valueId) {
        const show = (c: ToyCommit): string =>
          c.nil ? 'nil' : `amount ${c.amount} (id ${c.valueId})`
        return `slot ${out.slot}: host ${first.host} committed ${show(a)}, host ${host.info.host} committed ${show(out)}`
      }
      return undefined
    },
  }
}

/** Validity: committed amounts are ones an honest validator would accept. */
function validity(): Invariant<ToyNode, ToyOutput> {
  return {
    name: 'validity',
    onOutput(host, out) {
      if (host.honest === null || out.nil) return undefined
      return out.amount < 0 || out.amount > TOY_MAX_AMOUNT
        ? `host ${host.info.host} committed invalid amount ${out.amount} at slot ${out.slot}`
        : undefined
    },
  }
}

/** Durability: after a restart an honest host still has every commit it reported. */
function durability(): Invariant<ToyNode, ToyOutput> {
  const reported = new Map<number, number>()
  return {
    name: 'durability',
    onOutput(host) {
      reported.set(host.info.host, (reported.get(host.info.host) ?? 0) + 1)
      return undefined
    },
    afterEvent(view, step) {
      if (step.type !== 'fault' || (step.fault !== 'restart' && step.fault !== 'heal'))
        return undefined
      for (const h of view.hosts) {
        const had = reported.get(h.info.host) ?? 0
        if (h.honest !== null && h.honest.committedCount < had) {
          return `host ${h.info.host} restarted with ${h.honest.committedCount} commits; it had reported ${had}`
        }
        // Count from what it recovered: outputs after a restart are new commits only.
        if (h.honest !== null && step.fault === 'restart' && h.info.host === step.host) {
          reported.set(h.info.host, h.honest.committedCount)
        }
      }
      return undefined
    },
  }
}

function progress(view: SimView<ToyNode, ToyOutput>): number {
  let best = 0
  for (const h of view.hosts) {
    if (h.honest !== null && h.info.role === 'validator' && h.honest.valueCommitCount > best) {
      best = h.honest.valueCommitCount
    }
  }
  return best
}

function startWorkload(api: WorkloadApi, rate: number, untilMs: number, validators: number): void {
  if (rate <= 0) return
  const tick = (): void => {
    api.submit(api.random.int(validators), encodeRequest(1 + api.random.int(10)))
    const next = api.now() - Math.log(1 - api.random.next()) * (1000 / rate)
    if (next < untilMs) api.at(next, tick)
  }
  api.at(api.random.next() * (1000 / rate), tick)
}

function numberOption(options: Readonly<Record<string, string>>, key: string): number | undefined {
  const raw = options[key]
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (raw === '' || !Number.isFinite(n) || n < 0) {
    throw new SimConfigError(`toy: option ${key} must be a number ≥ 0, got "${raw}".`)
  }
  return n
}

/**
 * The toy scenario (INFRASTRUCTURE SELF-TEST). `init` fixes options; `--opt slot=MS`,
 * `--opt rate=N`, `--opt bug=NAME`, `--opt deadline=MS` override them per run.
 */
export function toyCounterScenario(init: ToyCounterInit = {}): Scenario<ToyNode, ToyOutput> {
  return {
    name: init.bug === undefined || init.bug === 'none' ? 'toy' : `toy-bug-${init.bug}`,
    description:
      'INFRASTRUCTURE SELF-TEST (not consensus): slot-voting replicated counter with agreement, validity, durability and liveness checks.',
    setup(setup): ScenarioWorld<ToyNode, ToyOutput> {
      for (const key of Object.keys(setup.options)) {
        if (!['slot', 'rate', 'bug', 'deadline'].includes(key)) {
          throw new SimConfigError(`toy: unknown option "${key}" (slot, rate, bug, deadline).`)
        }
      }
      const bugOption = setup.options.bug
      if (bugOption !== undefined && !(BUGS as readonly string[]).includes(bugOption)) {
        throw new SimConfigError(`toy: bug must be one of ${BUGS.join(', ')}.`)
      }
      const bug = (bugOption as ToyBug | undefined) ?? init.bug ?? 'none'
      const slotMs = numberOption(setup.options, 'slot') ?? init.slotMs ?? 500
      if (slotMs < 10) throw new SimConfigError('toy: slot must be at least 10 ms.')
      const rate = numberOption(setup.options, 'rate') ?? init.requestRate ?? 20
      const V = setup.validators
      const quorum = bug === 'small-quorum' ? Math.floor(V / 3) + 1 : Math.floor((2 * V) / 3) + 1
      const config: Config = { slotMs, quorum, bug }
      const deadlineMs =
        numberOption(setup.options, 'deadline') ??
        init.deadlineMs ??
        slotMs * (2 * setup.byzantine + 12)
      const liveness: LivenessCheck<ToyNode, ToyOutput> = {
        name: 'value-commits',
        deadlineMs,
        progress,
      }
      const conflicting = (bytes: Uint8Array): Uint8Array | null => {
        const { proposal, vote } = decodeAny(bytes)
        if (proposal !== null)
          return encodeProposal({
            ...proposal,
            amount: proposal.amount + 1,
            nonce: proposal.nonce ^ 1,
          })
        if (vote !== null && !vote.nil)
          return encodeVote({ slot: vote.slot, nil: true, amount: 0, valueId: 0 })
        return null
      }
      return {
        createProcess: (info) => new ToyNode(info, config),
        byzantine: {
          equivocate: (_info, honest) => equivocate(honest(), conflicting),
          withhold: (_info, honest) => withhold(honest(), (bytes) => bytes[0] === TAG_VOTE),
          invalid: (_info, honest) =>
            corrupt(honest(), (bytes) => {
              const p = decodeProposal(bytes)
              return p === null ? null : encodeProposal({ ...p, amount: -1 - p.amount })
            }),
          'lie-time': (_info, honest) => lyingClock(honest(), 60_000),
        },
        invariants: [agreement(), validity(), durability()],
        liveness,
        messageKind: toyMessageKind,
        workload: (api) => startWorkload(api, rate, setup.durationMs, V),
        summary(view) {
          let maxSlots = 0
          let minSlots = Infinity
          let maxCounter = 0
          for (const h of view.hosts) {
            if (h.honest === null || h.info.role !== 'validator') continue
            maxSlots = Math.max(maxSlots, h.honest.committedCount)
            minSlots = Math.min(minSlots, h.honest.committedCount)
            maxCounter = Math.max(maxCounter, h.honest.counter)
          }
          return {
            quorum,
            bug,
            maxCommittedSlots: maxSlots,
            minCommittedSlots: minSlots === Infinity ? 0 : minSlots,
            maxCounter,
          }
        },
      }
    },
  }
}

/** The toy scenario as registered (`--scenario toy`). */
export const toyCounter: Scenario<ToyNode, ToyOutput> = toyCounterScenario()
