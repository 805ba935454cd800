/**
 * The ledger as a node runs it: a {@link ChainNode} over the ledger application, plus what an
 * account holder does with it — register this node (hashcash stamp + TrustChain certificate),
 * send credits, stake and unstake, attest RTTs, register, update and retire assets, report
 * equivocations as slash transactions — and the read side the pages need (summary, blocks,
 * transactions, assets, proofs of state).
 *
 * Platform-agnostic: the browser's consensus worker, the headless node and the server's anchor
 * validator each build one with their own storage, network and signature verifier.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import {
  decodeAssetId,
  encodeAssetId,
  formatAssetId,
  formatAssetUuid,
  type AssetId,
  type AssetType,
} from '@/lib/assets/asset-id'
import {
  decodeGlobalAddress,
  encodeGlobalAddress,
  formatGlobalAddress,
  formatHypermeshUri,
  parseAssetQuery,
  peerIdOfPublicKey,
} from '@/lib/assets/global-address'
import type { AssetShare, PrivacyLevel } from '@/lib/assets/privacy'
import type { CommitteeMember } from '@/lib/consensus/application'
import { bytesEqual, toHex } from '@/lib/consensus/bytes'
import { blockHash, type Block } from '@/lib/consensus/codec'
import type { TimeoutConfig } from '@/lib/consensus/core'
import { txHash } from '@/lib/consensus/merkle'
import { encodeVote } from '@/lib/consensus/vote'
import { createLedgerApp, type LedgerApp } from '@/lib/ledger/app'
import {
  assetShareOf,
  ledgerShareOf,
  type AssetCapacity,
  type AssetRecord,
  type RegisteredLevel,
} from '@/lib/ledger/assets'
import type { GenesisConfig } from '@/lib/ledger/genesis'
import { registrationResource } from '@/lib/ledger/kinds/register-node'
import {
  account,
  allAssets,
  asset as assetRecord,
  assetLastSeen,
  assetOnline,
  assetsOf,
  node,
  proveAsset,
  totalSupply,
  type AssetEntry,
} from '@/lib/ledger/queries'
import type { LedgerState } from '@/lib/ledger/state'
import { buildTx, decodeTx } from '@/lib/ledger/tx'
import type { DecodedTx } from '@/lib/ledger/types'
import { accountKey, nodeKey, type LedgerCoordinate, type NodeRecord } from '@/lib/ledger/values'
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

/** An asset as the pages show it (plain data: it crosses the worker boundary). */
export interface AssetSummary {
  /** Text form `<type>:<uuid>`. */
  id: string
  /** The UUID, 8-4-4-4-12. */
  uuid: string
  type: AssetType
  /** The owning node's key, hex. */
  owner: string
  /** The owning node's peer ID. */
  peerId: string
  /** The global address, text form (17 groups). */
  address: string
  /** `hypermesh://<peer>/<uuid>:<port>`. */
  uri: string
  port: number
  level: RegisteredLevel
  /** What is offered, in lib/assets' shape. */
  share: AssetShare
  /** What was measured when it was registered or last updated. */
  capacity: AssetCapacity
  createdUs: number
  /** Content hash, hex. */
  contentHash: string
  registeredAt: number
  registeredHeight: number
  updatedAt: number
  updatedHeight: number
  retiredAt: number | null
  retiredHeight: number | null
  /** The on-chain half of "online" (lib/ledger `assetOnline`); the mesh's heartbeats are the other. */
  online: boolean
  /** Latest height with a sign of life of the asset or its node (lib/ledger `assetLastSeen`). */
  lastSeenHeight: number
  /** Where its node is: its latest own coordinate and the latest attestation about it. */
  position: {
    coord: LedgerCoordinate | null
    coordHeight: number | null
    attestation: { witness: string; rttMs: number; height: number; coord: LedgerCoordinate } | null
  }
}

/** What {@link LedgerService.registerAsset} sends. */
export interface RegisterAssetInput {
  /** The asset (a new random ID: lib/assets `newAssetId`). */
  id: AssetId
  /** Service port that answers for it, 0–65535. */
  port: number
  /** public-network or full-public (the ledger refuses the others). */
  level: PrivacyLevel
  /** What is offered, within `capacity`. */
  share: AssetShare
  /** What was measured (lib/ledger `assetCapacityOf(resources)`). */
  capacity: AssetCapacity
  /** Creation time, µs since the epoch. */
  createdUs: number
}

/** What {@link LedgerService.updateAsset} sends. */
export interface UpdateAssetInput {
  id: AssetId
  level: PrivacyLevel
  share: AssetShare
  capacity: AssetCapacity
}

/** Options of {@link LedgerService.assets}. */
export interface AssetQueryOptions {
  /** Only this node's (raw key). */
  owner?: Uint8Array
  /** At most this many, 1–1,000 (default 100). */
  limit?: number
  /** Include retired assets (default false). */
  includeRetired?: boolean
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
  /** Every asset of one state (the tip's when last asked), from one walk of its tree. */
  #assetCache: { state: LedgerState; entries: AssetEntry[] } | null = null

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

  /**
   * Register one of this node's assets (it must be a registered node). Resolves with the
   * transaction hash once the transaction is pooled; the ledger's refusals (level, share,
   * duplicate, limits) come back as the ledger's own errors.
   */
  async registerAsset(input: RegisterAssetInput): Promise<string> {
    if (!this.registered()) {
      throw new LedgerServiceError('Register this node on the ledger before registering assets.')
    }
    return this.#send('register-asset', {
      id: this.#assetIdBytes(input.id),
      port: input.port,
      level: input.level,
      share: ledgerShareOf(input.share),
      capacity: input.capacity,
      createdUs: input.createdUs,
    })
  }

  /** Change the level, share and capacity of one of this node's live assets. */
  async updateAsset(input: UpdateAssetInput): Promise<string> {
    return this.#send('update-asset', {
      id: this.#assetIdBytes(input.id),
      level: input.level,
      share: ledgerShareOf(input.share),
      capacity: input.capacity,
    })
  }

  /** Retire one of this node's live assets (its record stays, for history). */
  async retireAsset(id: AssetId): Promise<string> {
    return this.#send('retire-asset', { id: this.#assetIdBytes(id) })
  }

  #assetIdBytes(id: AssetId): Uint8Array {
    try {
      return encodeAssetId(id)
    } catch (err) {
      throw new LedgerServiceError(`Not an asset ID: ${(err as Error).message}`)
    }
  }

  /**
   * Assets of the latest state, newest registration first (or one node's, in registration
   * order), with the on-chain half of "online".
   */
  assets(options: AssetQueryOptions = {}): AssetSummary[] {
    const state = this.state()
    const limit = Math.min(1_000, Math.max(1, Math.floor(options.limit ?? 100)))
    const includeRetired = options.includeRetired === true
    const entries =
      options.owner !== undefined
        ? assetsOf(state, options.owner, { includeRetired, limit })
        : this.#allAssets(state).filter((e) => includeRetired || e.record.retiredHeight === null)
    return entries.slice(0, limit).map((e) => this.#summarizeAsset(state, e))
  }

  // One walk of the state per block, however often the pages ask.
  #allAssets(state: LedgerState): AssetEntry[] {
    if (this.#assetCache?.state !== state) {
      this.#assetCache = { state, entries: allAssets(state, { includeRetired: true }) }
    }
    return this.#assetCache.entries
  }

  /**
   * One asset by UUID, live or retired, with a proof of state of it: the `asset/<uuid>` fact and
   * its owner's `node/<key>` fact (position) in the latest block, under that block's commit
   * certificate. `proof` is null only before the first block.
   */
  async asset(
    uuid: Uint8Array,
  ): Promise<{ asset: AssetSummary; proof: ProofOfState | null } | null> {
    const state = this.state()
    const record = assetRecord(state, uuid)
    if (record === undefined) return null
    return {
      asset: this.#summarizeAsset(state, { uuid, record }),
      proof: await this.proofOfState({ asset: uuid }),
    }
  }

  /**
   * {@link asset} for what someone typed: an asset ID, a UUID, a global address or a
   * `hypermesh://` URI (lib/assets `parseAssetQuery`). An address or URI must name the asset's
   * owner and port too. Null when nothing matches.
   */
  async findAsset(
    query: string,
  ): Promise<{ asset: AssetSummary; proof: ProofOfState | null } | null> {
    const q = parseAssetQuery(query)
    if (q === null || q.kind === 'peer-id') return null
    const uuid =
      q.kind === 'asset-id'
        ? q.assetId.uuid
        : q.kind === 'asset-uuid'
          ? q.uuid
          : q.kind === 'uri'
            ? q.uri.assetUuid
            : q.address.uuid
    const record = assetRecord(this.state(), uuid)
    if (record === undefined) return null
    if (q.kind === 'asset-id' && q.assetId.type !== record.type) return null
    if (
      q.kind === 'global-address' &&
      !bytesEqual(encodeGlobalAddress(q.address), record.address)
    ) {
      return null
    }
    if (
      q.kind === 'uri' &&
      (q.uri.peerId !== peerIdOfPublicKey(record.owner) || q.uri.port !== record.port)
    ) {
      return null
    }
    return this.asset(uuid)
  }

  #summarizeAsset(state: LedgerState, { uuid, record }: AssetEntry): AssetSummary {
    return summarizeAsset(uuid, record, node(state, record.owner), state.height)
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
   * A proof of state for an account (and its node record) in the latest block, for an asset (its
   * record and its owner's node record) in the latest block, or for a committed transaction in
   * its block (with the sender's account after that block, when the tip is that block). Proofs of
   * old blocks carry the facts of the latest state only when taken at the tip.
   */
  async proofOfState(
    what: { account: Uint8Array } | { tx: string } | { asset: Uint8Array },
  ): Promise<ProofOfState | null> {
    const tip = this.chain.tip()
    if ('asset' in what) {
      if (tip.header === null || tip.certificate === null || tip.committee === null) return null
      if (assetRecord(tip.state, what.asset) === undefined) return null
      const stored = await this.chain.block(tip.height)
      if (stored === null) return null
      return exportProofOfState({
        block: stored.block,
        certificate: stored.certificate,
        committee: tip.committee,
        state: tip.state,
        keys: proveAsset(tip.state, what.asset).map((f) => f.key),
      })
    }
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

/**
 * An asset as the explorer shows it, with the on-chain half of "online" judged at `height`.
 *
 * @param uuid - its UUID
 * @param record - its record
 * @param owner - its owner's node record
 * @param height - the height of the state it was read from
 */
export function summarizeAsset(
  uuid: Uint8Array,
  record: AssetRecord,
  owner: NodeRecord | undefined,
  height: number,
): AssetSummary {
  const peerId = peerIdOfPublicKey(record.owner)
  const attestation = owner?.attestation ?? null
  return {
    id: formatAssetId({ type: record.type, uuid }),
    uuid: formatAssetUuid(uuid),
    type: record.type,
    owner: toHex(record.owner),
    peerId,
    address: formatGlobalAddress(decodeGlobalAddress(record.address)),
    uri: formatHypermeshUri({ peerId, assetUuid: uuid, port: record.port }),
    port: record.port,
    level: record.level,
    share: assetShareOf(record.type, record.share),
    capacity: record.capacity,
    createdUs: record.createdUs,
    contentHash: toHex(record.contentHash),
    registeredAt: record.registeredAt,
    registeredHeight: record.registeredHeight,
    updatedAt: record.updatedAt,
    updatedHeight: record.updatedHeight,
    retiredAt: record.retiredAt,
    retiredHeight: record.retiredHeight,
    online: assetOnline(record, owner, height),
    lastSeenHeight: assetLastSeen(record, owner),
    position: {
      coord: owner?.coord ?? null,
      coordHeight: owner?.coordHeight ?? null,
      attestation:
        attestation === null
          ? null
          : {
              witness: toHex(attestation.witness),
              rttMs: attestation.rttMs,
              height: attestation.height,
              coord: attestation.coord,
            },
    },
  }
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
  const assetKind = ['register-asset', 'update-asset', 'retire-asset'].includes(tx.kind)
  for (const [k, v] of Object.entries(tx.body as Record<string, unknown>)) {
    // The kind's decoder checked it: an asset ID reads better as `<type>:<uuid>`.
    if (assetKind && k === 'id' && v instanceof Uint8Array)
      fields[k] = formatAssetId(decodeAssetId(v))
    else if (v instanceof Uint8Array) fields[k] = v.length <= 64 ? toHex(v) : `${v.length} bytes`
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
