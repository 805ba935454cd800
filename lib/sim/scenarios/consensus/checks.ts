/**
 * The consensus scenario's invariants, checked on every fact a process outputs (O(what changed):
 * a commit is checked against the chain recorded so far, never by rescanning it), plus the
 * run's figures. One {@link ChainRecord} per run holds the chain the honest hosts agreed on —
 * the first honest commit of each height — and what the checks and metrics need about it.
 *
 * Invariants (names as reported):
 * - `agreement`: no two honest hosts commit different blocks at one height.
 * - `certificate`: every honest commit carries a certificate that passes
 *   `verifyCommitCertificate` against the committee of its height (from the parent state).
 * - `bft-time`: block 1 has the genesis time; every later block's time is the weighted median of
 *   its `lastCommit` (a valid certificate of its parent) and strictly greater than the parent's.
 * - `state`: the committed state's root is the header's `stateRoot`, and `checkSupply` holds on it
 *   (credits held = genesis + minted − burned).
 * - `no-double-spend`: no transaction hash is committed twice on the chain; within a block each
 *   sender's transactions carry consecutive nonces from its nonce in the parent state, and its
 *   nonce after the block is exactly that many higher.
 * - `honest-evidence`: no honest host ever outputs evidence against an honest validator (a
 *   restarted validator never signs twice: persist-before-broadcast held).
 * - `slashing` (at the end): every equivocation an honest host reported (validator, height,
 *   round, vote type) while the agreed chain was at height H is slashed in the final state when
 *   that state's height is at least H + `slashWindow` (and the ledger's evidence window for it,
 *   two epochs, has not closed).
 */
import { toHex } from '@/lib/consensus/bytes'
import { verifyCommitCertificate } from '@/lib/consensus/certificate'
import { txHash } from '@/lib/consensus/merkle'
import { epochOf } from '@/lib/ledger/committee'
import { EVIDENCE_MAX_AGE_EPOCHS } from '@/lib/ledger/constants'
import { account, checkSupply } from '@/lib/ledger/queries'
import { type LedgerState, readTree } from '@/lib/ledger/state'
import { decodeTx } from '@/lib/ledger/tx'
import { slashedKey } from '@/lib/ledger/values'
import { summarize } from '../../metrics'
import type { HostState, Invariant, SimView } from '../../types'
import type { SimChain } from './chain'
import type { ConsensusFact, ConsensusNode } from './process'

type CommitFact = Extract<ConsensusFact, { type: 'commit' }>
type Host = HostState<ConsensusNode, ConsensusFact>
type View = SimView<ConsensusNode, ConsensusFact>

/** One height of the agreed chain. */
interface Decided {
  readonly hash: string
  readonly fact: CommitFact
  /** Virtual time of the first honest commit. */
  readonly atMs: number
}

/** The agreed chain and the run's figures. */
export class ChainRecord {
  readonly decided = new Map<number, Decided>()
  height = 0
  private readonly txHeights = new Map<string, number>()
  private readonly verifiedCertificates = new Set<string>()
  /** First proposal time of (height, round), virtual ms. */
  private readonly proposedAt = new Map<string, number>()
  /** Honest reports of equivocation: id → first virtual time. */
  readonly evidence = new Map<
    string,
    {
      validator: Uint8Array
      height: number
      round: number
      type: string
      atMs: number
      agreed: number
    }
  >()
  /** Submit time of workload transactions by hash (hex), virtual ms. */
  readonly submitted = new Map<string, number>()
  readonly proposeToCommitMs: number[] = []
  readonly submitToCommitMs: number[] = []
  transfers = 0
  /** Virtual time each transfer was first committed (for the steady-state throughput). */
  private readonly transferTimes: number[] = []
  slashes = 0
  roundsAboveZero = 0
  maxGapMs = 0
  private lastDecidedMs = 0
  /** The violations found for the fact being checked, by invariant name. */
  private current: unknown = null
  private found = new Map<string, string>()

  constructor(private readonly chain: SimChain) {}

  /** The state after the highest agreed block (genesis before block 1). */
  get tipState(): LedgerState {
    return this.decided.get(this.height)?.fact.state ?? this.chain.genesisState
  }

  /** The committed nonce of an account on the agreed chain. */
  nonceOf(publicKey: Uint8Array): number {
    return account(this.tipState, publicKey)?.nonce ?? 0
  }

  /** Violations of `fact` (checked once, whichever invariant asks first). */
  check(host: Host, fact: ConsensusFact, view: View): ReadonlyMap<string, string> {
    if (fact !== this.current) {
      this.current = fact
      this.found = new Map()
      this.ingest(host, fact, view)
    }
    return this.found
  }

  private fail(invariant: string, message: string): void {
    if (!this.found.has(invariant)) this.found.set(invariant, message)
  }

  private ingest(host: Host, fact: ConsensusFact, view: View): void {
    if (fact.type === 'proposed') {
      const id = `${fact.height}/${fact.round}`
      if (!this.proposedAt.has(id)) this.proposedAt.set(id, view.timeMs)
      return
    }
    if (host.honest === null) return
    if (fact.type === 'evidence') {
      const node = this.chain.nodeOfKey.get(toHex(fact.validator))
      const honest =
        node !== undefined && view.hostsOf(node).every((x) => x.info.byzantine === null)
      if (honest) {
        this.fail(
          'honest-evidence',
          `host ${host.info.host} reported an equivocation by honest validator ${node} at height ${fact.height}, round ${fact.round} (${fact.voteType})`,
        )
      }
      const id = `${toHex(fact.validator)}/${fact.height}/${fact.round}/${fact.voteType}`
      if (!this.evidence.has(id)) {
        this.evidence.set(id, {
          validator: fact.validator,
          height: fact.height,
          round: fact.round,
          type: fact.voteType,
          atMs: view.timeMs,
          agreed: this.height,
        })
      }
      return
    }
    this.onCommit(host, fact, view)
  }

  private onCommit(host: Host, fact: CommitFact, view: View): void {
    const h = fact.height
    const known = this.decided.get(h)
    if (known !== undefined && known.hash !== fact.hash) {
      this.fail(
        'agreement',
        `height ${h}: host ${known.fact.node} committed ${known.hash.slice(0, 16)}…, host ${host.info.host} (node ${fact.node}) committed ${fact.hash.slice(0, 16)}…`,
      )
      return
    }
    const parent = h === 1 ? null : this.decided.get(h - 1)
    if (parent === undefined) {
      this.fail(
        'agreement',
        `host ${host.info.host} committed height ${h} before any honest host committed ${h - 1}`,
      )
      return
    }
    const parentState = parent === null ? this.chain.genesisState : parent.fact.state
    const chain = this.chain
    // Every honest commit's certificate, once per distinct certificate.
    // Certificates of one block differ by their precommits: name them by signer signatures.
    let certId = `${fact.hash}/${fact.certificate.round}`
    for (const p of fact.certificate.precommits) certId += toHex(p.signature.subarray(0, 8))
    if (!this.verifiedCertificates.has(certId)) {
      try {
        verifyCommitCertificate(
          fact.certificate,
          chain.app.committee(parentState, h),
          chain.genesis.chainId,
          fact.block.header,
          chain.verifier,
        )
        this.verifiedCertificates.add(certId)
      } catch (e) {
        this.fail('certificate', `height ${h} at host ${host.info.host}: ${(e as Error).message}`)
      }
    }
    if (host.info.role === 'validator' && !fact.synced) {
      const proposed = this.proposedAt.get(`${h}/${fact.certificate.round}`)
      if (proposed !== undefined) this.proposeToCommitMs.push(view.timeMs - proposed)
    }
    if (known !== undefined) return
    // First honest commit of this height: check the block once and extend the agreed chain.
    this.checkBlock(fact, parent, parentState, view.timeMs)
    this.decided.set(h, { hash: fact.hash, fact, atMs: view.timeMs })
    if (h > this.height) this.height = h
    if (h > 1) this.maxGapMs = Math.max(this.maxGapMs, view.timeMs - this.lastDecidedMs)
    this.lastDecidedMs = view.timeMs
    if (fact.certificate.round > 0) this.roundsAboveZero++
  }

  private checkBlock(
    fact: CommitFact,
    parent: Decided | null,
    parentState: LedgerState,
    nowMs: number,
  ): void {
    const chain = this.chain
    const { header } = fact.block
    const h = fact.height
    if (parent === null) {
      if (header.time !== chain.genesis.genesisTime) {
        this.fail('bft-time', `block 1 time ${header.time} is not the genesis time`)
      }
    } else {
      const parentHeader = parent.fact.block.header
      if (header.time <= parentHeader.time) {
        this.fail('bft-time', `block ${h} time ${header.time} ≤ parent's ${parentHeader.time}`)
      }
      const grandparent = h === 2 ? chain.genesisState : this.decided.get(h - 2)?.fact.state
      if (fact.block.lastCommit === null || grandparent === undefined) {
        this.fail('bft-time', `block ${h} carries no last commit`)
      } else {
        try {
          verifyCommitCertificate(
            fact.block.lastCommit,
            chain.app.committee(grandparent, h - 1),
            chain.genesis.chainId,
            parentHeader,
            chain.verifier,
            { nextHeader: header },
          )
        } catch (e) {
          this.fail('bft-time', `block ${h}: last commit ${(e as Error).message}`)
        }
      }
    }
    if (toHex(chain.app.stateRoot(fact.state)) !== toHex(header.stateRoot)) {
      this.fail('state', `block ${h}: committed state root differs from the header's`)
    }
    const supply = checkSupply(fact.state)
    if (!supply.ok) {
      this.fail(
        'state',
        `block ${h}: accounts hold ${supply.held}, supply counters say ${supply.expected}`,
      )
    }
    // No double spend.
    const bySender = new Map<string, { key: Uint8Array; nonces: number[] }>()
    for (const tx of fact.block.txs) {
      const id = toHex(txHash(tx))
      const seen = this.txHeights.get(id)
      if (seen !== undefined) {
        this.fail(
          'no-double-spend',
          `transaction ${id.slice(0, 16)}… committed at heights ${seen} and ${h}`,
        )
      }
      this.txHeights.set(id, h)
      const submitted = this.submitted.get(id)
      if (submitted !== undefined) {
        this.submitted.delete(id)
        this.submitToCommitMs.push(nowMs - submitted)
      }
      let decoded
      try {
        decoded = decodeTx(tx, { kinds: chain.kinds })
      } catch (e) {
        this.fail(
          'no-double-spend',
          `block ${h} holds an undecodable transaction: ${(e as Error).message}`,
        )
        continue
      }
      if (decoded.kind === 'transfer') {
        this.transfers++
        this.transferTimes.push(nowMs)
      } else if (decoded.kind === 'slash') this.slashes++
      const sender = toHex(decoded.from)
      let s = bySender.get(sender)
      if (s === undefined) {
        s = { key: decoded.from, nonces: [] }
        bySender.set(sender, s)
      }
      s.nonces.push(decoded.nonce)
    }
    for (const [sender, s] of bySender) {
      const before = account(parentState, s.key)?.nonce ?? 0
      const after = account(fact.state, s.key)?.nonce ?? 0
      const consecutive = s.nonces.every((n, i) => n === before + i)
      if (!consecutive || after !== before + s.nonces.length) {
        this.fail(
          'no-double-spend',
          `block ${h}: sender ${sender.slice(0, 16)}… nonce ${before} → ${after} with transactions of nonces ${s.nonces.join(',')}`,
        )
      }
    }
  }

  /** Evidence instances that should be slashed by the end but are not. */
  unslashed(windowHeights: number): string[] {
    const state = this.tipState
    const L = state.genesis.epochLength
    const finalEpoch = epochOf(state.height, L)
    const missing: string[] = []
    for (const e of this.evidence.values()) {
      if (state.height < e.agreed + windowHeights) continue
      // With short epochs the ledger's evidence window may close before the end.
      if (epochOf(e.height, L) + EVIDENCE_MAX_AGE_EPOCHS < finalEpoch) continue
      if (readTree(state.tree, slashedKey(e.validator, e.height, e.round, e.type)) === undefined) {
        const node = this.chain.nodeOfKey.get(toHex(e.validator))
        missing.push(
          `validator ${node ?? '?'} at height ${e.height}, round ${e.round} (${e.type}), reported at ${Math.round(e.atMs)} ms (agreed height ${e.agreed}, final ${state.height})`,
        )
      }
    }
    return missing
  }

  /**
   * Figures for the report. Throughput counts the transfers first committed between 20 % and
   * 100 % of `durationMs` (the workload's span, after its start-up), per second of that window.
   */
  figures(durationMs: number): Record<string, number> {
    const p2c = summarize(this.proposeToCommitMs)
    const s2c = summarize(this.submitToCommitMs)
    const from = durationMs * 0.2
    let inWindow = 0
    for (const t of this.transferTimes) if (t >= from && t <= durationMs) inWindow++
    const seconds = (durationMs - from) / 1000
    return {
      heights: this.height,
      roundsAboveZero: this.roundsAboveZero,
      committedTransfers: this.transfers,
      transfersPerSecond: seconds > 0 ? Math.round((inWindow / seconds) * 10) / 10 : 0,
      slashTxs: this.slashes,
      equivocationsReported: this.evidence.size,
      proposeToCommitP50Ms: p2c.p50,
      proposeToCommitP99Ms: p2c.p99,
      submitToCommitP50Ms: s2c.p50,
      submitToCommitP99Ms: s2c.p99,
      submitToCommitCount: s2c.count,
      maxGapMs: Math.round(this.maxGapMs),
      /** BFT time of the last agreed block, ms after the genesis time. */
      lastBlockTimeMs:
        (this.decided.get(this.height)?.fact.block.header.time ?? this.chain.genesis.genesisTime) -
        this.chain.genesis.genesisTime,
    }
  }
}

/** The invariants of the scenario, over one {@link ChainRecord}. */
export function consensusInvariants(
  record: ChainRecord,
  slashWindowHeights: number,
): Invariant<ConsensusNode, ConsensusFact>[] {
  const onFact = (name: string): Invariant<ConsensusNode, ConsensusFact> => ({
    name,
    onOutput(host, fact, view) {
      return record.check(host, fact, view).get(name)
    },
  })
  return [
    onFact('agreement'),
    onFact('certificate'),
    onFact('bft-time'),
    onFact('state'),
    onFact('no-double-spend'),
    onFact('honest-evidence'),
    {
      name: 'slashing',
      atEnd() {
        const missing = record.unslashed(slashWindowHeights)
        return missing.length === 0
          ? undefined
          : `${missing.length} reported equivocation(s) not slashed in the final state, e.g. ${missing[0]}`
      },
    },
  ]
}
