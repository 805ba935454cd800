'use client'
import Link from 'next/link'
import { useMemo } from 'react'
import {
  assetListRoute,
  assetTxOf,
  capacityLines,
  formatCoordinate,
  heardNode,
  ledgerDown,
  nodeRoute,
  onlineOf,
  shareFigure,
  type AssetSummary,
} from '@/lib/client/asset-explorer'
import { formatAge, formatTime } from '@/lib/client/chain-view'
import { fetchAsset, fetchNodeFacts } from '@/lib/client/explorer-reads'
import { formatRtt } from '@/lib/client/format'
import { useMeshSnapshot } from '@/lib/client/use-mesh'
import { useSecondClock } from '../trustchain/clock'
import { LevelBadge, NodeLink, OnlineBadge, TypeBadge, Unknown } from './asset-bits'
import { BlockLink, CARD, Field, LedgerNotice, Problem, Spinner, TxLink } from './bits'
import { CopyButton } from './copy-button'
import { AttestationLine, LedgerNodeCard, TrustCard } from './node-cards'
import { ProofPanel } from './proof-panel'
import { useChainQuery } from './use-chain'
import { useLive } from './use-live'

const NAV =
  'rounded-md border border-slate-700 px-2.5 py-1 text-xs text-slate-300 hover:border-emerald-500 hover:text-emerald-300'

/**
 * One registered asset, followed block by block: its addresses, what it offers and what was
 * measured, its ledger record with the transactions that wrote it, where its node is (heard
 * through heartbeats, and attested on the ledger), what the ledger and TrustChain say about its
 * owner, and its proof of state, verified in this browser.
 */
export function AssetView({ query }: { query: string }): React.ReactNode {
  const snap = useMeshSnapshot()
  const height = snap.ledger.summary?.height ?? null
  const entry = useLive(`asset/${query}`, height, () => fetchAsset(query))
  const a = entry.data

  return (
    <div className="space-y-6">
      <LedgerNotice ledger={snap.ledger} />
      {entry.problem !== null && <Problem>{entry.problem}</Problem>}
      {a === undefined ? (
        entry.problem === null &&
        !ledgerDown(snap.ledger) && (
          <div className={CARD}>
            <p className="flex items-center gap-2 text-sm text-slate-400">
              <Spinner /> Looking for this asset in this tab’s ledger…
            </p>
          </div>
        )
      ) : a === null ? (
        <div className={CARD} data-testid="asset-missing">
          <h1 className="text-lg font-semibold tracking-tight">No such asset on the ledger</h1>
          <p className="mt-1 break-all font-mono text-xs text-slate-500">{query}</p>
          <p className="mt-3 max-w-3xl text-sm text-slate-400">
            This node’s ledger{entry.version !== null ? ` (at block #${entry.version})` : ''} holds
            no registered asset by that name. Private, private-network and p2p assets are never
            registered; a public one appears once its registration is in a block — this page looks
            again at every block.
          </p>
          <Link
            href={assetListRoute()}
            className="mt-3 inline-block text-sm text-emerald-300 hover:underline"
          >
            All registered assets →
          </Link>
        </div>
      ) : (
        <AssetBody asset={a} />
      )}
    </div>
  )
}

function AssetBody({ asset: a }: { asset: AssetSummary }): React.ReactNode {
  const snap = useMeshSnapshot()
  const now = useSecondClock()
  const height = snap.ledger.summary?.height ?? null
  const self = snap.peerId === a.peerId
  const heard = useMemo(() => heardNode(snap, a.peerId, now), [snap, a.peerId, now])
  const online = onlineOf(a, heard?.lastSeen ?? null, self, now)
  const facts = useLive(`node-facts/${a.owner}`, height, () => fetchNodeFacts(a.owner))
  const share = shareFigure(a.share)
  const lines = capacityLines(a.type, a.capacity)
  const registered = useChainQuery('block', { height: a.registeredHeight }, height)
  const updated = useChainQuery(
    'block',
    a.updatedHeight !== a.registeredHeight ? { height: a.updatedHeight } : null,
    height,
  )
  const registerTx =
    registered.data != null ? assetTxOf(registered.data.txs, a.id, ['register-asset']) : null
  const updateTx = updated.data != null ? assetTxOf(updated.data.txs, a.id, ['update-asset']) : null

  return (
    <div
      className="space-y-6"
      data-testid="asset-view"
      data-asset-id={a.id}
      data-address={a.address}
    >
      <div className="flex flex-wrap items-start gap-3">
        <section className="min-w-0 flex-1">
          <h1 className="flex flex-wrap items-center gap-3 text-2xl font-semibold tracking-tight">
            Asset <TypeBadge type={a.type} /> <LevelBadge level={a.level} />
            <OnlineBadge online={online} />
          </h1>
          <p className="mt-1 flex items-center gap-1 break-all font-mono text-sm text-emerald-300">
            <span data-testid="asset-id">{a.id}</span>
            <CopyButton text={a.id} what="asset ID" />
          </p>
        </section>
        <nav className="flex flex-wrap gap-2" aria-label="Elsewhere">
          <Link href={nodeRoute(a.peerId)} className={NAV} data-testid="asset-owner-link">
            Owner node
          </Link>
          <Link href="/map" className={NAV} data-testid="asset-map-link">
            On the map
          </Link>
          <Link href={assetListRoute()} className={NAV}>
            All assets
          </Link>
        </nav>
      </div>

      {a.retiredHeight !== null && (
        <Problem testId="asset-retired">
          Retired by its owner at block #{a.retiredHeight}: the ledger keeps its record, but it is
          offered no more and its UUID can never be registered again.
        </Problem>
      )}

      <div className={CARD} data-testid="asset-addresses">
        <h2 className="text-sm font-medium text-slate-300">Addresses</h2>
        <dl className="mt-3 grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
          <Field
            label="GlobalAddress"
            title="network prefix (4 groups) · node ID (4) · asset UUID (8) · service port (1)"
          >
            <span className="inline-flex max-w-full items-start gap-1">
              <span
                className="break-all font-mono text-xs text-slate-100"
                data-testid="asset-address"
              >
                {a.address}
              </span>
              <CopyButton text={a.address} what="GlobalAddress" testId="asset-address-copy" />
            </span>
          </Field>
          <Field label="URI">
            <span className="inline-flex max-w-full items-start gap-1">
              <span className="break-all font-mono text-xs text-slate-300" data-testid="asset-uri">
                {a.uri}
              </span>
              <CopyButton text={a.uri} what="URI" />
            </span>
          </Field>
          <Field label="service port" title="The last group of the address">
            <span className="tabular-nums">
              {a.port}
              <span className="text-slate-500">
                {a.port === 0 ? ' · no protocol serves it yet' : ''}
              </span>
            </span>
          </Field>
          <Field label="content hash" title='SHA-256("HYPERMESH_V1" ‖ type ‖ uuid ‖ created µs)'>
            <span className="break-all font-mono text-xs text-slate-400">{a.contentHash}</span>
          </Field>
        </dl>
      </div>

      <div className="grid gap-4 lg:grid-cols-3">
        <div className={`${CARD} min-w-0`} data-testid="asset-offer">
          <h2 className="text-sm font-medium text-slate-300">Offer</h2>
          <p className="mt-3 text-xs uppercase tracking-wide text-slate-500">share</p>
          <p className="text-2xl font-semibold text-emerald-300" data-testid="asset-share">
            {share.text}
          </p>
          <dl className="mt-3 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1.5 border-t border-slate-800 pt-3 text-sm">
            {lines.map((l) => (
              <Field key={l.label} label={l.label}>
                <span
                  className={
                    l.known ? (l.primary ? 'text-slate-100' : 'text-slate-400') : 'text-slate-500'
                  }
                >
                  {l.text}
                </span>
              </Field>
            ))}
            <Field
              label="usage"
              title="The ledger records no use of assets yet: jobs and their receipts come with the Catalog"
            >
              <Unknown why="The ledger records no use of assets yet: jobs and their receipts come with the Catalog." />
            </Field>
          </dl>
          <p className="mt-3 text-xs text-slate-500">
            Measured by its owner’s {a.capacity.platform === 'node' ? 'node' : 'browser'} when it
            was registered or last updated.
          </p>
        </div>

        <div className={`${CARD} min-w-0`} data-testid="asset-record">
          <h2 className="text-sm font-medium text-slate-300">Ledger record</h2>
          <dl className="mt-3 grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
            <Field label="owner">
              <NodeLink peerId={a.peerId} self={self} />
            </Field>
            <Field label="registered">
              <span className="inline-flex flex-wrap items-center gap-x-2">
                <BlockLink height={a.registeredHeight} />
                <span className="text-xs text-slate-400" title={formatTime(a.registeredAt)}>
                  {formatAge(a.registeredAt, now) || formatTime(a.registeredAt)}
                </span>
              </span>
            </Field>
            <Field label="transaction">
              {registerTx !== null ? (
                <span data-testid="asset-register-tx">
                  <TxLink hash={registerTx.hash} />
                </span>
              ) : registered.data === undefined ? (
                <span className="text-slate-500">…</span>
              ) : (
                <Unknown why="This node does not hold that block's transactions." />
              )}
            </Field>
            <Field label="last update">
              {a.updatedHeight === a.registeredHeight ? (
                <span className="text-slate-400">none since</span>
              ) : (
                <span className="inline-flex flex-wrap items-center gap-x-2">
                  <BlockLink height={a.updatedHeight} />
                  {updateTx !== null && <TxLink hash={updateTx.hash} />}
                  <span className="text-xs text-slate-400" title={formatTime(a.updatedAt)}>
                    {formatAge(a.updatedAt, now)}
                  </span>
                </span>
              )}
            </Field>
            <Field
              label="created"
              title="Creation time its owner gave (µs), part of the content hash"
            >
              {formatTime(Math.floor(a.createdUs / 1000))}
            </Field>
            <Field
              label="last sign of life"
              title="Registration or update, or its node signing or being attested"
            >
              <BlockLink height={a.lastSeenHeight} />
            </Field>
          </dl>
        </div>

        <div className={`${CARD} min-w-0`} data-testid="asset-position">
          <h2 className="text-sm font-medium text-slate-300">Network position</h2>
          <p className="mt-0.5 text-xs text-slate-500">
            Of its owner node. RTT bounds distance; it is never a location.
          </p>
          <h3 className="mt-3 text-xs uppercase tracking-wide text-slate-500">heard by this tab</h3>
          {heard === null ? (
            <p className="mt-1 text-sm text-slate-400" data-testid="asset-position-heard">
              <Unknown /> — no heartbeat of its node reached this tab in the last 30 s.
            </p>
          ) : (
            <dl
              className="mt-1 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1.5 text-sm"
              data-testid="asset-position-heard"
            >
              <Field label="coordinate">
                {heard.coordinate === null ? (
                  <Unknown why="Its heartbeat carries no coordinate yet." />
                ) : (
                  <span className="break-words font-mono text-xs text-slate-300">
                    {formatCoordinate(heard.coordinate)}
                  </span>
                )}
              </Field>
              <Field label="RTT">
                {heard.self ? (
                  <span className="text-slate-400">this tab</span>
                ) : heard.linkRttMs !== null ? (
                  `${formatRtt(heard.linkRttMs)} on this tab’s direct link`
                ) : heard.predictedRttMs !== null ? (
                  <>
                    ≈ {formatRtt(heard.predictedRttMs)}{' '}
                    <span className="text-slate-500">predicted by the coordinates</span>
                  </>
                ) : (
                  <Unknown why="No direct link, and no pair of coordinates to predict it from." />
                )}
              </Field>
              <Field label="heartbeat">
                {heard.self ? 'this tab' : formatAge(heard.lastSeen, now) || '…'}
              </Field>
            </dl>
          )}
          <h3 className="mt-4 text-xs uppercase tracking-wide text-slate-500">on the ledger</h3>
          <dl className="mt-1 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1.5 text-sm">
            <Field
              label="coordinate"
              title="Its own, sent with its latest attestation as a witness"
            >
              {a.position.coord === null ? (
                <span className="text-slate-400">none yet</span>
              ) : (
                <span className="break-words font-mono text-xs text-slate-300">
                  {formatCoordinate(a.position.coord)}
                  {a.position.coordHeight !== null && (
                    <>
                      {' · '}
                      <BlockLink height={a.position.coordHeight} />
                    </>
                  )}
                </span>
              )}
            </Field>
            <Field label="attested RTT">
              {a.position.attestation === null ? (
                <span className="text-slate-400">none yet</span>
              ) : (
                <AttestationLine attestation={a.position.attestation} />
              )}
            </Field>
          </dl>
        </div>
      </div>

      <div>
        <h2 className="mb-2 flex flex-wrap items-baseline gap-x-2 text-sm font-medium text-slate-300">
          The owner node
          <span className="text-xs font-normal text-slate-500">
            what the ledger and TrustChain attest about{' '}
            <Link href={nodeRoute(a.peerId)} className="font-mono hover:text-emerald-300">
              {a.peerId}
            </Link>
          </span>
        </h2>
        <div className="grid gap-4 lg:grid-cols-2">
          <LedgerNodeCard keyHex={a.owner} facts={facts} now={now} showPosition={false} />
          <TrustCard peerId={a.peerId} now={now} />
        </div>
      </div>

      <ProofPanel
        subject={{ asset: a.id }}
        intro="The latest block’s header and commit certificate, with this asset’s record and its owner’s node record (its position) proven against the block’s state root."
      />
    </div>
  )
}
