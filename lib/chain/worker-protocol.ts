/**
 * Messages between the tab's main thread (where libp2p lives) and its consensus worker (where the
 * chain runs: workers/consensus.worker.ts). Both sides are in this repository and ship together,
 * so the messages are plain structured-clone objects, typed here once.
 */
import type { AssetShare, PrivacyLevel } from '@/lib/assets/privacy'
import type { Resources } from '@/lib/assets/resources'
import type { ChainTopic } from './network'
import type { AssetSummary, BlockSummary, LedgerSummary, TxSummary } from './ledger-service'
import type { ProofOfStateReport } from './proof-of-state'
import type { ChainTimeouts } from './timeouts'

/** What the worker needs to start. */
export interface ChainWorkerInit {
  /** `encodeGenesis` bytes from GET /api/chain/genesis. */
  genesis: Uint8Array
  /** This tab's Ed25519 secret key (32 bytes): the same identity as its libp2p node. */
  secretKey: Uint8Array
  /** IndexedDB database of this tab slot's chain data. */
  dbName: string
  /** The deployment's block timing (GET /api/chain/genesis headers, lib/chain/timeouts.ts). */
  timeouts?: Partial<ChainTimeouts>
}

/** Requests the page can make, with their answers. */
export interface ChainRequests {
  summary: { params: Record<string, never>; result: LedgerSummary }
  register: { params: { certificate: { der: Uint8Array; notAfter: number } | null }; result: null }
  transfer: { params: { to: string; amount: string }; result: { txHash: string } }
  stake: { params: { amount: string }; result: { txHash: string } }
  unstake: { params: { amount: string }; result: { txHash: string } }
  attest: {
    params: {
      subject: string
      rttMs: number
      coord: { vec: number[]; height: number; error: number }
    }
    result: { txHash: string }
  }
  /**
   * Register one of this node's assets. `id` is the text form `<type>:<uuid>` (a new random ID,
   * lib/assets `newAssetId`); `resources` is the measurement the share is checked against
   * (validated, then summarised by lib/ledger `assetCapacityOf`); `createdUs` µs since the epoch.
   */
  registerAsset: {
    params: {
      id: string
      port: number
      level: PrivacyLevel
      share: AssetShare
      resources: Resources
      createdUs: number
    }
    result: { txHash: string }
  }
  /** Change the level, share and measurement of one of this node's live assets. */
  updateAsset: {
    params: { id: string; level: PrivacyLevel; share: AssetShare; resources: Resources }
    result: { txHash: string }
  }
  /** Retire one of this node's live assets (`<type>:<uuid>`). */
  retireAsset: { params: { id: string }; result: { txHash: string } }
  /**
   * Assets of the latest state: all, newest first, or one node's (`owner`, hex key) in
   * registration order; `limit` 1–1,000 (default 100); retired ones only when asked.
   */
  assets: {
    params: { owner?: string; limit?: number; includeRetired?: boolean }
    result: AssetSummary[]
  }
  /**
   * One asset by what someone typed (asset ID, UUID, global address or `hypermesh://` URI), with
   * a proof-of-state bundle (dag-cbor bytes) of it and its owner's node in the latest block.
   */
  asset: {
    params: { query: string }
    result: { asset: AssetSummary; proof: Uint8Array | null } | null
  }
  blocks: { params: { count: number; below?: number }; result: BlockSummary[] }
  block: { params: { height: number }; result: { block: BlockSummary; txs: TxSummary[] } | null }
  tx: { params: { hash: string }; result: { tx: TxSummary; height: number; index: number } | null }
  /**
   * Export a proof-of-state bundle (dag-cbor bytes) for an account (hex key), an asset (asset ID
   * or UUID text) or a transaction.
   */
  proof: {
    params: { account: string } | { tx: string } | { asset: string }
    result: Uint8Array | null
  }
  /** Verify a bundle against this node's own chain (committee it knows, its clock). */
  verify: { params: { bundle: Uint8Array }; result: ProofOfStateReport }
}

/** A request's method name. */
export type ChainMethod = keyof ChainRequests

/** Main thread → worker. */
export type ToChainWorker =
  | { type: 'init'; init: ChainWorkerInit }
  | { type: 'gossip'; topic: ChainTopic; data: Uint8Array; from: string }
  | { type: 'fetched'; id: number; ok: true; peer: string; blocks: Uint8Array[] }
  | { type: 'fetched'; id: number; ok: false; error: string }
  | { type: 'serve'; id: number; from: number; to: number }
  | { type: 'request'; id: number; method: ChainMethod; params: unknown }

/** Worker → main thread. */
export type FromChainWorker =
  | { type: 'ready'; publicKey: string }
  | { type: 'failed'; error: { name: string; message: string } }
  | { type: 'publish'; topic: ChainTopic; data: Uint8Array }
  | { type: 'fetch'; id: number; from: number; to: number; peer?: string }
  | { type: 'served'; id: number; blocks: Uint8Array[] }
  | { type: 'summary'; summary: LedgerSummary }
  | { type: 'response'; id: number; ok: true; result: unknown }
  | {
      type: 'response'
      id: number
      ok: false
      error: { name: string; code?: string; message: string }
    }
