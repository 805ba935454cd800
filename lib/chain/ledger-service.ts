/**
 * The ledger as a node runs it: a {@link ChainNode} over the ledger application, plus what an
 * account holder does with it — register this node (hashcash stamp + TrustChain certificate),
 * send credits, stake and unstake, attest RTTs, report equivocations as slash transactions — and
 * the read side the pages need (summary, blocks, transactions, proofs of state).
 *
 * Platform-agnostic: the browser's consensus worker, the headless node and the server's anchor
 * validator each build one with their own storage, network and signature verifier.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import type { CommitteeMember } from '@/lib/consensus/application'
import { bytesEqual, toHex } from '@/lib/consensus/bytes'
import { blockHash, type Block } from '@/lib/consensus/codec'
import type { TimeoutConfig } from '@/lib/consensus/core'
import { txHash } from '@/lib/consensus/merkle'
import { encodeVote } from '@/lib/consensus/vote'
import { createLedgerApp, type LedgerApp } from '@/lib/ledger/app'
import type { GenesisConfig } from '@/lib/ledger/genesis'
import { registrationResource } from '@/lib/ledger/kinds/register-node'
import { account, node, totalSupply } from '@/lib/ledger/queries'
import type { LedgerState } from '@/lib/ledger/state'
import { buildTx, decodeTx } from '@/lib/ledger/tx'
import type { DecodedTx } from '@/lib/ledger/types'
import { accountKey, nodeKey } from '@/lib/ledger/values'
import type { KvStore } from '@/lib/kv/kv-store'
import type { Clock, SignatureVerifier } from '@/lib/ports'
import { mintHashcash } from '@/lib/trustchain/hashcash'
import { ChainNode, type StateCodec, type StoredBlock } from './chain-node'
import type { ChainNetwork, ChainTopic } from './network'
import { exportProofOfState, type ProofOfState } from './proof-of-state'

/** Options of {@link LedgerService}. */
export interface LedgerServiceInit {
  genesis: GenesisConfig
  timeouts?: Partial<TimeoutConfig>
  snapshotEvery?: number
}

/** Ports of {@link LedgerService}. */
export interface LedgerServiceComponents {
  /** This node's 32-byte Ed25519 secret key (the same key as its libp2p identity). */
  secretKey: Uint8Array
  kv: KvStore
  network: ChainNetwork
  verifier: SignatureVerifier
  prepare?: (topic: ChainTopic, bytes: Uint8Array) => Promise<void>
  stateCodec: StateCodec<LedgerState>
  clock: Clock
}

/** A block as the pages list it. */
export interface BlockSummary {
  height: number
  hash: string
  time: number
  proposer: string
  txs: number
  signers: string[]
  stateRoot: string
}

/** A transaction as the pages show it. */
export interface TxSummary {
  hash: string
  kind: string
  from: string
  nonce: number
  fee: string
  /** Kind-specific fields, as text. */
  fields: Record<string, string>
}

/** The node's view of the ledger, for its pages. */
export interface LedgerSummary {
  chainId: string
  height: number
  blockHash: string
  stateRoot: string
  time: number
  round: number
  step: string
  validator: boolean
  committee: { publicKey: string; power: number }[]
  publicKey: string
  registered: boolean
  balance: string
  stake: string
  unbonding: string
  nonce: number
  totalSupply: string
  mempool: number
  pendingTxs: number
}

/** A transaction this node could not build or send. */
export class LedgerServiceError extends Error {
  override readonly name = 'LedgerServiceError'
  readonly code = 'ERR_LEDGER_SERVICE'
}

const PENDING_TTL_MS = 60_000

/** See the module comment. */
export class LedgerService {
  readonly ledger: LedgerApp
  readonly chain: ChainNode<LedgerState>
  readonly publicKey: Uint8Array
  readonly genesis: GenesisConfig
  readonly #c: LedgerServiceComponents
  /** Transactions sent by this node and not yet committed: nonce → hash, sent at. */
  readonly #pending = new Map<number, { hash: Uint8Array; at: number }>()
  #registering: Promise<void> | null = null
  /** When this node last sent a registration, for the certificate expiry it carried. */
  #registrationSent: { at: number; notAfter: number | null } | null = null

  constructor(init: LedgerServiceInit, components: LedgerServiceComponents) {
    this.#c = components
    this.genesis = init.genesis
    this.publicKey = ed25519.getPublicKey(components.secretKey)
    this.ledger = createLedgerApp({ genesis: init.genesis, verifier: components.verifier })
    const sign = (bytes: Uint8Array) => ed25519.sign(bytes, components.secretKey)
    this.chain = new ChainNode<LedgerState>(
      {
        params: {
          chainId: init.genesis.chainId,
          genesisTime: init.genesis.genesisTime,
          maxBlockTxs: init.genesis.maxBlockTxs,
          maxTxBytes: init.genesis.maxTxBytes,
        },
        ...(init.timeouts ? { timeouts: init.timeouts } : {}),
        ...(init.snapshotEvery ? { snapshotEvery: init.snapshotEvery } : {}),
      },
      {
        app: this.ledger.app,
        genesisState: this.ledger.genesisState,
        stateCodec: components.stateCodec,
        verifier: components.verifier,
        ...(components.prepare ? { prepare: components.prepare } : {}),
        sign,
        publicKey: this.publicKey,
        network: components.network,
        kv: components.kv,
        clock: components.clock,
      },
    )
    this.chain.on('commit', ({ block }) => this.#committed(block))
    this.chain.on('evidence', ({ voteA, voteB }) => {
      void this.#send('slash', { a: encodeVote(voteA), b: encodeVote(voteB) }).catch(() => {
        // Another node reported it first: the ledger slashes once.
      })
    })
  }

  /** Load the stored chain, join the network, take part in consensus. */
  start(): Promise<void> {
    return this.chain.start()
  }

  stop(): Promise<void> {
    return this.chain.stop()
  }

  /** The state after the last committed block. */
  state(): LedgerState {
    return this.chain.tip().state
  }

  /** Whether this node's key is a registered node of the ledger. */
  registered(): boolean {
    return node(this.state(), this.publicKey) !== undefined
  }

  /**
   * Register this node (once; again when `certificate` is newer than the registered one): a
   * hashcash stamp bound to the chain and this key, and the TrustChain certificate when the chain
   * requires one. Resolves once the transaction is pooled.
   */
  register(certificate: { der: Uint8Array; notAfter: number } | null): Promise<void> {
    const known = node(this.state(), this.publicKey)
    if (
      known !== undefined &&
      (certificate === null || known.certExpiry === certificate.notAfter)
    ) {
      return Promise.resolve()
    }
    if (this.genesis.trustchainRoot !== undefined && certificate === null) {
      return Promise.reject(
        new LedgerServiceError('This chain registers only nodes with a TrustChain certificate.'),
      )
    }
    const notAfter = certificate?.notAfter ?? null
    const sent = this.#registrationSent
    if (sent !== null && sent.notAfter === notAfter && this.#c.clock.now() - sent.at < 30_000) {
      // Already on its way: one registration per certificate until it lands (or 30 s pass).
      return Promise.resolve()
    }
    this.#registering ??= (async () => {
      const resource = registrationResource(this.genesis.chainId, this.publicKey)
      const nowSeconds = Math.floor(this.#c.clock.now() / 1000)
      let stamp: string | null = null
      for (let start = 0; stamp === null; start += 65_536) {
        stamp = mintHashcash({
          resource,
          bits: this.genesis.hashcashBits,
          nowSeconds,
          startNonce: start,
        })
      }
      await this.#send('register-node', { stamp, cert: certificate?.der ?? null })
      this.#registrationSent = { at: this.#c.clock.now(), notAfter }
    })().finally(() => {
      this.#registering = null
    })
    return this.#registering
  }

  /** Send `amount` units to `to` (a raw public key). Resolves with the transaction hash (hex). */
  transfer(to: Uint8Array, amount: bigint): Promise<string> {
    if (bytesEqual(to, this.publicKey)) {
      return Promise.reject(new LedgerServiceError('Sending credits to yourself changes nothing.'))
    }
    return this.#send('transfer', { to, amount })
  }

  /** Bond `amount` units as stake (this node stands for the committee from two epochs on). */
  stake(amount: bigint): Promise<string> {
    return this.#send('stake', { amount })
  }

  /** Unbond `amount` units of stake (released two epochs later). */
  unstake(amount: bigint): Promise<string> {
    return this.#send('unstake', { amount })
  }

  /** Attest a measured RTT to `subject`, with this node's Vivaldi coordinate. */
  attest(
    subject: Uint8Array,
    rttMs: number,
    coord: { vec: number[]; height: number; error: number },
  ): Promise<string> {
    return this.#send('attest', {
      subject,
      rttMs: Math.max(0, Math.min(60_000, Math.round(rttMs))),
      height: this.chain.tip().height,
      coord,
    })
  }

  #nextNonce(): number {
    const now = this.#c.clock.now()
    const base = account(this.state(), this.publicKey)?.nonce ?? 0
    for (const [nonce, p] of this.#pending) {
      if (nonce < base || now - p.at > PENDING_TTL_MS) this.#pending.delete(nonce)
    }
    let next = base
    while (this.#pending.has(next)) next++
    return next
  }

  async #send(kind: string, body: unknown): Promise<string> {
    const nonce = this.#nextNonce()
    let bytes: Uint8Array
    try {
      bytes = buildTx(
        { chain: this.genesis.chainId, kind, from: this.publicKey, nonce, fee: 0n, body },
        (m) => ed25519.sign(m, this.#c.secretKey),
        { kinds: this.ledger.kinds },
      )
    } catch (err) {
      throw new LedgerServiceError(
        `Could not build the ${kind} transaction: ${(err as Error).message}`,
      )
    }
    this.#pending.set(nonce, { hash: txHash(bytes), at: this.#c.clock.now() })
    try {
      await this.chain.submit(bytes)
    } catch (err) {
      this.#pending.delete(nonce)
      throw err
    }
    return toHex(txHash(bytes))
  }

  #committed(block: Block): void {
    const base =
      account(block.txs.length > 0 ? this.state() : this.state(), this.publicKey)?.nonce ?? 0
    for (const nonce of [...this.#pending.keys()]) if (nonce < base) this.#pending.delete(nonce)
  }

  /** The summary the pages show. */
  summary(): LedgerSummary {
    const tip = this.chain.tip()
    const status = this.chain.core.status()
    const acct = account(tip.state, this.publicKey)
    const committee = this.ledger.app.committee(tip.state, tip.height + 1)
    return {
      chainId: this.genesis.chainId,
      height: tip.height,
      blockHash: toHex(tip.hash),
      stateRoot: toHex(this.ledger.app.stateRoot(tip.state)),
      time: tip.header?.time ?? this.genesis.genesisTime,
      round: status.round,
      step: status.step,
      validator: committee.some((m) => bytesEqual(m.publicKey, this.publicKey)),
      committee: committee.map((m) => ({ publicKey: toHex(m.publicKey), power: m.power })),
      publicKey: toHex(this.publicKey),
      registered: node(tip.state, this.publicKey) !== undefined,
      balance: (acct?.balance ?? 0n).toString(),
      stake: (acct?.stake ?? 0n).toString(),
      unbonding: (acct?.unbonding ?? []).reduce((a, u) => a + u.amount, 0n).toString(),
      nonce: acct?.nonce ?? 0,
      totalSupply: totalSupply(tip.state).toString(),
      mempool: status.mempoolTxs,
      pendingTxs: this.#pending.size,
    }
  }

  /** The committee of `height` as this node's verified chain knows it (from the parent state). */
  async committeeAt(height: number): Promise<readonly CommitteeMember[] | null> {
    const tip = this.chain.tip()
    if (height === tip.height + 1) return this.ledger.app.committee(tip.state, height)
    if (height === tip.height && tip.committee !== null) return tip.committee
    // Older heights: the committee the stored block names is checked against its certificate and
    // header when the block was stored; it is re-derived from the committee schedule in the state.
    return this.ledger.app.committee(tip.state, height)
  }

  /** Blocks newest first, for the explorer. */
  async recentBlocks(count: number, below?: number): Promise<BlockSummary[]> {
    return (await this.chain.recentBlocks(count, below)).map(summarizeBlock)
  }

  /** One block with its transactions. */
  async block(height: number): Promise<{ block: BlockSummary; txs: TxSummary[] } | null> {
    const stored = await this.chain.block(height)
    if (stored === null) return null
    return { block: summarizeBlock(stored), txs: stored.block.txs.map((t) => summarizeTx(t)) }
  }

  /** A committed transaction by hash, with where it is. */
  async tx(hashHex: string): Promise<{ tx: TxSummary; height: number; index: number } | null> {
    const hash = fromHexStrict(hashHex)
    if (hash === null) return null
    const at = await this.chain.findTx(hash)
    if (at === null) return null
    const stored = await this.chain.block(at.height)
    const bytes = stored?.block.txs[at.index]
    if (bytes === undefined) return null
    return { tx: summarizeTx(bytes), height: at.height, index: at.index }
  }

  /**
   * A proof of state for an account (and its node record) in the latest block, or for a committed
   * transaction in its block (with the sender's account after that block, when the tip is that
   * block). Proofs of old blocks carry the facts of the latest state only when taken at the tip.
   */
  async proofOfState(what: { account: Uint8Array } | { tx: string }): Promise<ProofOfState | null> {
    const tip = this.chain.tip()
    if ('account' in what) {
      if (tip.header === null || tip.certificate === null || tip.committee === null) return null
      const stored = await this.chain.block(tip.height)
      if (stored === null) return null
      const keys = [accountKey(what.account)]
      if (node(tip.state, what.account) !== undefined) keys.push(nodeKey(what.account))
      if (account(tip.state, what.account) === undefined) keys.shift()
      if (keys.length === 0) return null
      return exportProofOfState({
        block: stored.block,
        certificate: stored.certificate,
        committee: tip.committee,
        state: tip.state,
        keys,
      })
    }
    const hash = fromHexStrict(what.tx)
    if (hash === null) return null
    const at = await this.chain.findTx(hash)
    if (at === null) return null
    const stored = await this.chain.block(at.height)
    if (stored === null) return null
    const committee =
      at.height === tip.height && tip.committee !== null
        ? tip.committee
        : await this.committeeAt(at.height)
    if (committee === null) return null
    const sender = decodeTx(stored.block.txs[at.index]!).from
    return exportProofOfState({
      block: stored.block,
      certificate: stored.certificate,
      committee,
      state: tip.state,
      // Facts come from the tip's state: they are checked against the tip header only when the
      // bundle is of the tip block, so for older blocks the bundle carries the transaction alone.
      keys:
        at.height === tip.height && account(tip.state, sender) !== undefined
          ? [accountKey(sender)]
          : [],
      txIndex: at.index,
    })
  }

  /** The stored block (for the explorer's raw view). */
  storedBlock(height: number): Promise<StoredBlock | null> {
    return this.chain.block(height)
  }
}

function fromHexStrict(hex: string): Uint8Array | null {
  if (!/^[0-9a-f]{64}$/.test(hex)) return null
  return Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16))
}

/** A block as the explorer lists it. */
export function summarizeBlock(stored: StoredBlock): BlockSummary {
  const h = stored.block.header
  return {
    height: h.height,
    hash: toHex(blockHash(h)),
    time: h.time,
    proposer: toHex(h.proposer),
    txs: stored.block.txs.length,
    signers: stored.certificate.precommits.map((p) => toHex(p.validator)),
    stateRoot: toHex(h.stateRoot),
  }
}

/** A transaction as the explorer shows it; undecodable bytes are shown as such. */
export function summarizeTx(bytes: Uint8Array): TxSummary {
  const hash = toHex(txHash(bytes))
  let tx: DecodedTx
  try {
    tx = decodeTx(bytes)
  } catch {
    return { hash, kind: 'unknown', from: '', nonce: 0, fee: '0', fields: {} }
  }
  const fields: Record<string, string> = {}
  for (const [k, v] of Object.entries(tx.body as Record<string, unknown>)) {
    if (v instanceof Uint8Array) fields[k] = v.length <= 64 ? toHex(v) : `${v.length} bytes`
    else if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'string')
      fields[k] = String(v)
    else if (v === null) fields[k] = '—'
    else
      fields[k] = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x))
  }
  return {
    hash,
    kind: tx.kind,
    from: toHex(tx.from),
    nonce: tx.nonce,
    fee: tx.fee.toString(),
    fields,
  }
}
