'use client'
import Link from 'next/link'
import { useMemo, useState } from 'react'
import { nodeIdOf } from '@/lib/assets/global-address'
import {
  DEFAULT_ASSET_LIST_VIEW,
  assetListRoute,
  assetRows,
  heardAt,
  heardNode,
  ledgerDown,
  sortAssetRows,
  toggleSort,
} from '@/lib/client/asset-explorer'
import { explorerRoute } from '@/lib/client/chain-view'
import { ASSET_TABLE_PLACEHOLDERS } from '@/lib/client/explorer-constants'
import { fetchAssetsOf, fetchNodeFacts } from '@/lib/client/explorer-reads'
import { useMeshSnapshot } from '@/lib/client/use-mesh'
import { useSecondClock } from '../trustchain/clock'
import { OnlineBadge } from './asset-bits'
import { AssetTable } from './asset-table'
import { CARD, LedgerNotice, Problem, YouTag } from './bits'
import { CopyButton } from './copy-button'
import { LedgerNodeCard, MeshCard, TrustCard } from './node-cards'
import { useLive } from './use-live'

const NAV =
  'rounded-md border border-slate-700 px-2.5 py-1 text-xs text-slate-300 hover:border-emerald-500 hover:text-emerald-300'

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/**
 * A node: what this tab heard of it (heartbeats), what the ledger and TrustChain say about it,
 * and the assets it registered — each kept current as heartbeats arrive and blocks commit.
 */
export function NodeView({ peerId, keyHex }: { peerId: string; keyHex: string }): React.ReactNode {
  const snap = useMeshSnapshot()
  const now = useSecondClock()
  const height = snap.ledger.summary?.height ?? null
  const self = snap.peerId === peerId
  const heard = useMemo(() => heardNode(snap, peerId, now), [snap, peerId, now])
  const facts = useLive(`node-facts/${keyHex}`, height, () => fetchNodeFacts(keyHex))
  const assets = useLive(`assets/${keyHex}`, height, () => fetchAssetsOf(keyHex))
  const [sort, setSort] = useState(DEFAULT_ASSET_LIST_VIEW.sort)
  const heardMap = useMemo(() => heardAt(snap.nodes), [snap.nodes])
  const rows = useMemo(
    () =>
      sortAssetRows(
        assetRows(assets.data ?? [], { selfPeerId: snap.peerId, heard: heardMap, now }),
        sort,
      ),
    [assets.data, snap.peerId, heardMap, now, sort],
  )
  const nodeId = useMemo(() => {
    const g = hex(nodeIdOf(peerId)).match(/..../g) ?? []
    return g.join(':')
  }, [peerId])
  const online =
    heard !== null && heard.recent
      ? { state: 'heard' as const, text: 'online', why: self ? 'This tab.' : 'Heard by this tab.' }
      : {
          state: 'offline' as const,
          text: 'not heard',
          why: 'No recent heartbeat reached this tab.',
        }

  return (
    <div className="space-y-6" data-testid="node-view" data-peer-id={peerId}>
      <LedgerNotice ledger={snap.ledger} />
      <div className="flex flex-wrap items-start gap-3">
        <section className="min-w-0 flex-1">
          <h1 className="flex flex-wrap items-center gap-3 text-2xl font-semibold tracking-tight">
            Node {self && <YouTag />}
            <OnlineBadge online={online} />
          </h1>
          <p className="mt-1 flex items-center gap-1 break-all font-mono text-sm text-emerald-300">
            <span data-testid="node-peer-id">{peerId}</span>
            <CopyButton text={peerId} what="peer ID" />
          </p>
          <p className="mt-0.5 break-all font-mono text-xs text-slate-500">key {keyHex}</p>
          <p
            className="mt-0.5 font-mono text-xs text-slate-500"
            title="The node_id part of its assets' GlobalAddresses: the first 8 bytes of SHA-256 of its peer ID"
          >
            node ID {nodeId}
          </p>
        </section>
        <nav className="flex flex-wrap gap-2" aria-label="Elsewhere">
          <Link href="/map" className={NAV} data-testid="node-map-link">
            On the map
          </Link>
          <Link href={explorerRoute({ kind: 'account', key: keyHex })} className={NAV}>
            Account
          </Link>
          <Link href={assetListRoute()} className={NAV}>
            All assets
          </Link>
        </nav>
      </div>

      <div className="grid gap-4 lg:grid-cols-3">
        <MeshCard heard={heard} now={now} />
        <LedgerNodeCard keyHex={keyHex} facts={facts} now={now} />
        <TrustCard peerId={peerId} now={now} />
      </div>

      <div className={CARD} data-testid="node-assets">
        <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
          <h2 className="text-sm font-medium text-slate-300">Registered assets</h2>
          <p className="text-xs text-slate-500">
            Those this node published on the ledger (public-network or full-public); its private
            ones are its own business.
          </p>
        </div>
        {assets.problem !== null && (
          <div className="mt-2">
            <Problem>{assets.problem}</Problem>
          </div>
        )}
        <div className="mt-2">
          <AssetTable
            rows={rows}
            sort={sort}
            onSort={(key) => setSort((s) => toggleSort(s, key))}
            loading={
              assets.data === undefined && assets.status !== 'error' && !ledgerDown(snap.ledger)
            }
            placeholders={ASSET_TABLE_PLACEHOLDERS / 2}
            empty={
              ledgerDown(snap.ledger)
                ? 'The ledger is not running in this tab, so it cannot list assets.'
                : 'This node has no asset registered on the ledger. Its assets, if it has any, are private, private-network or p2p.'
            }
            hideOwner
          />
        </div>
      </div>
    </div>
  )
}
