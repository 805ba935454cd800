/**
 * What the explorer's asset and node pages ask for, wired to this tab: its consensus worker
 * (chain-view's `chainRequest`) and the TrustChain log (trustchain-view). Each function is one
 * ask; lib/client/live-reads.ts decides when to ask again.
 */
import { chainRequest, txExists } from './chain-view'
import { ASSET_LIST_LIMIT } from './explorer-constants'
import type { AssetSummary, SearchLookups } from './asset-explorer'
import type { NodeLedgerFacts } from './node-facts'
import {
  BROWSER_COMPONENTS,
  fetchCertificatesOf,
  type CertificateRecordView,
} from './trustchain-view'

export type { CertificateRecordView, NodeLedgerFacts }

/** Every live registered asset of the ledger's latest state, newest registration first. */
export function fetchAllAssets(): Promise<AssetSummary[]> {
  return chainRequest('assets', { limit: ASSET_LIST_LIMIT })
}

/** The live registered assets of one node (hex key), in registration order. */
export function fetchAssetsOf(keyHex: string): Promise<AssetSummary[]> {
  return chainRequest('assets', { owner: keyHex, limit: ASSET_LIST_LIMIT })
}

/**
 * One asset, live or retired, by any of its names (asset ID, UUID, GlobalAddress, URI); null
 * when the ledger has none by that name.
 */
export async function fetchAsset(query: string): Promise<AssetSummary | null> {
  return (await chainRequest('asset', { query }))?.asset ?? null
}

/** The ledger's account and node facts of a key, from the proof of state of its account. */
export async function fetchNodeFacts(keyHex: string): Promise<NodeLedgerFacts> {
  const [bundle, { nodeFactsOf }] = await Promise.all([
    chainRequest('proof', { account: keyHex }),
    import('./node-facts'),
  ])
  return nodeFactsOf(bundle, keyHex)
}

/** The certificates the TrustChain log issued to a peer, newest first. */
export function fetchCertificates(peerId: string): Promise<CertificateRecordView[]> {
  return fetchCertificatesOf(BROWSER_COMPONENTS, peerId)
}

/** The search box's lookups in this tab's ledger. */
export const BROWSER_LOOKUPS: SearchLookups = {
  findTx: txExists,
  findAsset: async (query) => (await fetchAsset(query))?.id ?? null,
}
