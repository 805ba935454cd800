/**
 * An in-memory, deterministic multi-node harness for consensus tests: N cores on a virtual clock,
 * a seeded network (latency, reordering, loss, duplication, per-link filters), durable records
 * per node, crash and restart, and a check of agreement on every commit. Byzantine behaviour is
 * injected by hooks that rewrite a node's broadcasts. No sockets, no wall clock.
 */
import type { CommitteeMember } from '../application'
import { toHex } from '../bytes'
import { type ChainTip, genesisTip } from '../chain'
import type { Block, CommitCertificate } from '../codec'
import { blockHash } from '../codec'
import {
  type ConsensusCore,
  type ConsensusInput,
  type ConsensusOutput,
  type PersistRecord,
  type TimeoutConfig,
  type Topic,
  consensusCore,
} from '../core'
import type { SignedVote } from '../vote'
import { type Random, type SignatureVerifier, seededRandom } from '../../ports'
import { type KvState, kvApp, kvGenesis } from './kv-app'
import { type TestKey, testKey, testSign, testVerifier } from './keys'

/** A commit seen by a node. */
export interface Commit {
  block: Block
  certificate: CommitCertificate
  state: KvState
}

/** One simulated node. */
export interface HarnessNode {
  index: number
  key: TestKey
  core: ConsensusCore<KvState>
  /** Durable records (what survives a crash). */
  records: PersistRecord[]
  commits: Commit[]
  evidence: { voteA: SignedVote; voteB: SignedVote }[]
  rejected: ConsensusOutput<KvState>[]
  syncRequests: number
  crashed: boolean
  incarnation: number
  /** Offset of this node's clock from the virtual clock (ms). */
  clockOffset: number
  /** Rewrites this node's broadcasts (Byzantine behaviour); `to` restricts recipients. */
  onBroadcast?: (
    topic: Topic,
    bytes: Uint8Array,
  ) => { topic: Topic; bytes: Uint8Array; to?: number[] }[]
}

/** Options of {@link Harness}. */
export interface HarnessOptions {
  /** Validators (names and powers). */
  validators: { name: string; power?: number }[]
  /** Extra nodes that follow the chain without voting. */
  observers?: string[]
  seed: number
  /** One-way delay bounds (ms). Default 5–30. */
  minDelay?: number
  maxDelay?: number
  /** Probability a delivery is lost. Default 0. */
  loss?: number
  /** Probability a delivery is duplicated. Default 0. */
  duplicate?: number
  /** Largest clock offset of a node (ms), drawn per node. Default 0. */
  clockSkew?: number
  timeouts?: Partial<TimeoutConfig>
  genesisTime?: number
  chainId?: string
  maxBlockTxs?: number
  /** Signature verification of every node. Default: strict Ed25519. */
  verifier?: SignatureVerifier
  /** Signing function of a node's key. Default: Ed25519. */
  signer?: (key: TestKey) => (bytes: Uint8Array) => Uint8Array
}

type Event =
  | {
      time: number
      seq: number
      kind: 'deliver'
      to: number
      from: number
      topic: Topic
      bytes: Uint8Array
    }
  | {
      time: number
      seq: number
      kind: 'timer'
      to: number
      incarnation: number
      input: ConsensusInput
    }
  | {
      time: number
      seq: number
      kind: 'sync'
      to: number
      blocks: Block[]
      certificates: CommitCertificate[]
    }

type EventWithoutSeq = Event extends infer E ? (E extends Event ? Omit<E, 'seq'> : never) : never

class Heap {
  private items: Event[] = []
  get size(): number {
    return this.items.length
  }
  push(e: Event): void {
    const a = this.items
    a.push(e)
    let i = a.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.less(a[i]!, a[p]!)) break
      ;[a[i], a[p]] = [a[p]!, a[i]!]
      i = p
    }
  }
  pop(): Event | undefined {
    const a = this.items
    if (a.length === 0) return undefined
    const top = a[0]!
    const last = a.pop()!
    if (a.length > 0) {
      a[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r
        if (m === i) break
        ;[a[i], a[m]] = [a[m]!, a[i]!]
        i = m
      }
    }
    return top
  }
  private less(a: Event, b: Event): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq)
  }
}

/** The deterministic multi-node harness. */
export class Harness {
  readonly nodes: HarnessNode[] = []
  readonly members: CommitteeMember[]
  readonly genesis: KvState
  readonly app = kvApp()
  readonly chainId: string
  readonly genesisTime: number
  /** Virtual time (ms). */
  now: number
  /** Agreement violations seen (must stay empty). */
  readonly violations: string[] = []
  /** Decides whether a delivery from → to happens (partitions, targeted drops). */
  linkFilter: (from: number, to: number, topic: Topic, bytes: Uint8Array) => boolean = () => true

  private readonly random: Random
  private readonly queue = new Heap()
  private seq = 0
  private readonly decided = new Map<number, string>()
  private readonly options: HarnessOptions

  constructor(options: HarnessOptions) {
    this.options = options
    this.random = seededRandom(options.seed)
    this.chainId = options.chainId ?? 'hypermesh-test'
    this.genesisTime = options.genesisTime ?? 1_700_000_000_000
    this.now = this.genesisTime
    const keys = options.validators.map((v) => testKey(v.name))
    this.members = options.validators.map((v, i) => ({
      publicKey: keys[i]!.publicKey,
      power: v.power ?? 10,
    }))
    this.genesis = kvGenesis(this.members)
    const names = [...options.validators.map((v) => v.name), ...(options.observers ?? [])]
    names.forEach((name, index) => {
      const key = testKey(name)
      const skew = options.clockSkew ?? 0
      const node: HarnessNode = {
        index,
        key,
        core: undefined as unknown as ConsensusCore<KvState>,
        records: [],
        commits: [],
        evidence: [],
        rejected: [],
        syncRequests: 0,
        crashed: false,
        incarnation: 0,
        clockOffset: skew === 0 ? 0 : Math.round((this.random.next() * 2 - 1) * skew),
      }
      node.core = this.makeCore(node, genesisTip(this.genesis))
      this.nodes.push(node)
    })
  }

  /** A fresh core for `node` starting at `tip`. */
  makeCore(node: HarnessNode, tip: ChainTip<KvState>): ConsensusCore<KvState> {
    return consensusCore<KvState>({
      chainId: this.chainId,
      genesisTime: this.genesisTime,
      tip,
      timeouts: this.options.timeouts,
      ...(this.options.maxBlockTxs !== undefined ? { maxBlockTxs: this.options.maxBlockTxs } : {}),
    })({
      app: this.app,
      verifier: this.options.verifier ?? testVerifier,
      sign: (this.options.signer ?? testSign)(node.key),
      publicKey: node.key.publicKey,
    })
  }

  /** The node's local clock. */
  clock(node: HarnessNode): number {
    return this.now + node.clockOffset
  }

  /** Feed one input to a node now and dispatch its outputs. */
  input(index: number, input: ConsensusInput): ConsensusOutput<KvState>[] {
    const node = this.nodes[index]!
    if (node.crashed) return []
    const out = node.core.handle(input, this.clock(node))
    this.dispatch(node, out)
    return out
  }

  /** Start every node that is not crashed. */
  start(): void {
    for (const node of this.nodes) this.input(node.index, { type: 'start' })
  }

  /** Submit a transaction at node `index`. */
  submit(index: number, tx: Uint8Array): void {
    this.input(index, { type: 'tx', bytes: tx })
  }

  /** Crash a node: it stops receiving; its durable records and last commit survive. */
  crash(index: number): void {
    const node = this.nodes[index]!
    node.crashed = true
    node.incarnation++
  }

  /**
   * Restart a crashed node from its last committed block (or genesis) and, unless told not to,
   * its persisted records; then start it.
   */
  restart(index: number, options: { restore?: boolean } = {}): void {
    const node = this.nodes[index]!
    const last = node.commits[node.commits.length - 1]
    const tip = last === undefined ? genesisTip(this.genesis) : node.core.tip()
    node.core = this.makeCore(node, tip)
    if (options.restore ?? true) node.core.restore(node.records)
    node.crashed = false
    node.incarnation++
    this.input(index, { type: 'start' })
  }

  private push(e: EventWithoutSeq): void {
    this.queue.push({ ...e, seq: this.seq++ } as Event)
  }

  private delay(): number {
    const min = this.options.minDelay ?? 5
    const max = this.options.maxDelay ?? 30
    return min + Math.floor(this.random.next() * (max - min + 1))
  }

  /** Send `bytes` from node `from` to the nodes `to` through the simulated network. */
  send(from: number, topic: Topic, bytes: Uint8Array, to?: number[]): void {
    const targets = to ?? this.nodes.map((n) => n.index).filter((i) => i !== from)
    for (const t of targets) {
      if (!this.linkFilter(from, t, topic, bytes)) continue
      if (this.random.next() < (this.options.loss ?? 0)) continue
      this.push({ time: this.now + this.delay(), kind: 'deliver', to: t, from, topic, bytes })
      if (this.random.next() < (this.options.duplicate ?? 0)) {
        this.push({ time: this.now + this.delay() * 2, kind: 'deliver', to: t, from, topic, bytes })
      }
    }
  }

  private dispatch(node: HarnessNode, out: ConsensusOutput<KvState>[]): void {
    for (const o of out) {
      switch (o.type) {
        case 'broadcast':
          if (node.onBroadcast !== undefined) {
            for (const m of node.onBroadcast(o.topic, o.bytes))
              this.send(node.index, m.topic, m.bytes, m.to)
          } else {
            this.send(node.index, o.topic, o.bytes)
          }
          break
        case 'schedule':
          this.push({
            time: this.now + o.afterMs,
            kind: 'timer',
            to: node.index,
            incarnation: node.incarnation,
            input: { type: 'timeout', timeout: o.timeout },
          })
          break
        case 'persist':
          node.records.push(o.record)
          break
        case 'committed': {
          node.commits.push({ block: o.block, certificate: o.certificate, state: o.state })
          const h = o.block.header.height
          const hash = toHex(blockHash(o.block.header))
          const seen = this.decided.get(h)
          if (seen === undefined) this.decided.set(h, hash)
          else if (seen !== hash)
            this.violations.push(`height ${h}: ${seen} vs ${hash} at node ${node.index}`)
          if (node.commits.length !== h)
            this.violations.push(`node ${node.index} skipped to height ${h}`)
          break
        }
        case 'evidence':
          node.evidence.push({ voteA: o.voteA, voteB: o.voteB })
          break
        case 'request-sync': {
          node.syncRequests++
          const source = this.nodes
            .filter((n) => !n.crashed && n !== node)
            .sort((a, b) => b.commits.length - a.commits.length)[0]
          if (source === undefined) break
          const slice = source.commits.slice(o.fromHeight - 1, o.fromHeight - 1 + 50)
          if (slice.length === 0) break
          this.push({
            time: this.now + this.delay() * 2,
            kind: 'sync',
            to: node.index,
            blocks: slice.map((c) => c.block),
            certificates: slice.map((c) => c.certificate),
          })
          break
        }
        case 'tx-rejected':
          node.rejected.push(o)
          break
      }
    }
  }

  /** Process one event; false when the queue is empty. */
  step(): boolean {
    const e = this.queue.pop()
    if (e === undefined) return false
    this.now = Math.max(this.now, e.time)
    const node = this.nodes[e.to]!
    if (node.crashed) return true
    if (e.kind === 'deliver') {
      this.input(e.to, {
        type: 'message',
        topic: e.topic,
        bytes: e.bytes,
        from: this.nodes[e.from]!.key.name,
      })
    } else if (e.kind === 'timer') {
      if (e.incarnation === node.incarnation) this.input(e.to, e.input)
    } else {
      this.input(e.to, { type: 'sync', blocks: e.blocks, certificates: e.certificates })
    }
    return true
  }

  /** Run until `done()` holds or virtual time passes `now + maxMs`; returns `done()`. */
  run(done: () => boolean, maxMs: number): boolean {
    const end = this.now + maxMs
    while (!done()) {
      if (this.now > end || !this.step()) return done()
    }
    return true
  }

  /** Run until every live node has committed `height`. */
  runToHeight(height: number, maxMs = 120_000): boolean {
    return this.run(() => this.nodes.every((n) => n.crashed || n.commits.length >= height), maxMs)
  }
}
