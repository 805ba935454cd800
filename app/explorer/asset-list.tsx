'use client'
import Link from 'next/link'
import { useEffect, useMemo, useState } from 'react'
import {
  DEFAULT_ASSET_LIST_VIEW,
  EXPLORER_ASSET_TYPES,
  REGISTERED_LEVELS,
  assetCounts,
  assetListSearch,
  assetRows,
  filterAssetRows,
  heardAt,
  ledgerDown,
  sortAssetRows,
  toggleSort,
  type AssetFilter,
  type AssetListView,
} from '@/lib/client/asset-explorer'
import { ASSET_LIST_LIMIT, ASSET_TABLE_PLACEHOLDERS } from '@/lib/client/explorer-constants'
import { fetchAllAssets } from '@/lib/client/explorer-reads'
import { useMeshSnapshot } from '@/lib/client/use-mesh'
import { useSecondClock } from '../trustchain/clock'
import { AssetTable } from './asset-table'
import { CARD, LedgerNotice, Problem } from './bits'
import { ChainHeadline } from './explorer-home'
import { ExplorerTabs } from './explorer-tabs'
import { SearchBox } from './search-box'
import { useLive } from './use-live'

const SELECT =
  'rounded-md border border-slate-700 bg-slate-950 px-2 py-1 text-xs text-slate-200 focus:border-emerald-600 focus:outline-none'

/** The /explorer/assets body: the ledger's state, the search box, the tabs and the list. */
export function AssetsHome({
  initialView,
  problems,
}: {
  initialView: AssetListView
  problems: string[]
}): React.ReactNode {
  const snap = useMeshSnapshot()
  return (
    <div className="space-y-6">
      <LedgerNotice ledger={snap.ledger} />
      <ChainHeadline />
      <div className="space-y-4">
        <SearchBox />
        <ExplorerTabs active="assets" />
        <AssetList initialView={initialView} problems={problems} />
      </div>
    </div>
  )
}

/**
 * Every asset the ledger lists, followed block by block: filters (type, privacy level, online),
 * sorting by any column, the view kept in the address (`?type=…&sort=…`) so it can be shared.
 */
export function AssetList({
  initialView,
  problems,
}: {
  initialView: AssetListView
  /** Why parts of the address were ignored. */
  problems: string[]
}): React.ReactNode {
  const snap = useMeshSnapshot()
  const now = useSecondClock()
  const height = snap.ledger.summary?.height ?? null
  const entry = useLive('assets/all', height, fetchAllAssets)
  const [view, setView] = useState(initialView)

  // The address follows the view (no navigation: the page keeps its state and its data).
  useEffect(() => {
    const search = assetListSearch(view)
    if (window.location.search !== search) {
      window.history.replaceState(null, '', `${window.location.pathname}${search}`)
    }
  }, [view])

  const heard = useMemo(() => heardAt(snap.nodes), [snap.nodes])
  const rows = useMemo(
    () => assetRows(entry.data ?? [], { selfPeerId: snap.peerId, heard, now }),
    [entry.data, snap.peerId, heard, now],
  )
  const shown = useMemo(
    () => sortAssetRows(filterAssetRows(rows, view.filter), view.sort),
    [rows, view],
  )
  const counts = useMemo(() => assetCounts(rows), [rows])
  const setFilter = (patch: Partial<AssetFilter>) =>
    setView((v) => ({ ...v, filter: { ...v.filter, ...patch } }))
  const filtered =
    view.filter.type !== 'all' || view.filter.level !== 'all' || view.filter.online !== 'all'
  const down = ledgerDown(snap.ledger)
  const loading = entry.data === undefined && entry.status !== 'error' && !down
  const all = entry.data ?? []

  return (
    <div className={CARD} data-testid="asset-list" data-loaded={entry.data !== undefined}>
      <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
        <h2 className="text-sm font-medium text-slate-300">Registered assets</h2>
        <p className="text-xs text-slate-500">
          Public-network and full-public assets of every node, as the ledger lists them. Private,
          private-network and p2p assets never leave their owner’s tab.
        </p>
      </div>

      {problems.length > 0 && (
        <p className="mt-2 text-xs text-amber-300" role="status">
          {problems.join(' ')}
        </p>
      )}

      <div className="mt-3 flex flex-wrap items-center gap-x-4 gap-y-2 border-y border-slate-800 py-2">
        <FilterSelect
          label="type"
          value={view.filter.type}
          onChange={(v) => setFilter({ type: v as AssetFilter['type'] })}
          testId="asset-filter-type"
          options={[
            ['all', `all types (${rows.length})`],
            ...EXPLORER_ASSET_TYPES.map((t): [string, string] => [
              t,
              `${t} (${counts.type[t] ?? 0})`,
            ]),
          ]}
        />
        <FilterSelect
          label="privacy"
          value={view.filter.level}
          onChange={(v) => setFilter({ level: v as AssetFilter['level'] })}
          testId="asset-filter-level"
          options={[
            ['all', `all levels (${rows.length})`],
            ...REGISTERED_LEVELS.map((l): [string, string] => [
              l,
              `${l} (${counts.level[l] ?? 0})`,
            ]),
          ]}
        />
        <FilterSelect
          label="online"
          value={view.filter.online}
          onChange={(v) => setFilter({ online: v as AssetFilter['online'] })}
          testId="asset-filter-online"
          options={[
            ['all', `online or not (${rows.length})`],
            ['online', `online (${counts.online})`],
            ['offline', `offline (${counts.offline})`],
          ]}
        />
        {filtered && (
          <button
            type="button"
            onClick={() => setView((v) => ({ ...v, filter: DEFAULT_ASSET_LIST_VIEW.filter }))}
            className="text-xs text-emerald-300 hover:text-emerald-200 hover:underline"
            data-testid="asset-filter-clear"
          >
            clear filters
          </button>
        )}
        <p className="ml-auto flex items-center gap-1.5 text-xs text-slate-500">
          <span
            aria-hidden
            className={`inline-block h-2 w-2 rounded-full ${entry.data === undefined ? 'animate-pulse bg-slate-500' : 'bg-emerald-400'}`}
          />
          <span data-testid="asset-count">
            {entry.data === undefined
              ? 'reading the ledger…'
              : `${shown.length} of ${all.length} asset${all.length === 1 ? '' : 's'}`}
          </span>
          {entry.version !== null && <span>· block #{entry.version}</span>}
        </p>
      </div>

      {entry.problem !== null && (
        <div className="mt-2">
          <Problem>{entry.problem}</Problem>
        </div>
      )}

      <div className="mt-1">
        <AssetTable
          rows={shown}
          sort={view.sort}
          onSort={(key) => setView((v) => ({ ...v, sort: toggleSort(v.sort, key) }))}
          loading={loading}
          placeholders={ASSET_TABLE_PLACEHOLDERS}
          empty={
            down ? (
              'The ledger is not running in this tab, so it cannot list assets.'
            ) : all.length === 0 ? (
              <>
                No asset is registered on the ledger yet. Assets are private by default: an owner
                publishes one by choosing public-network or full-public on the{' '}
                <Link href="/" className="text-emerald-300 hover:underline">
                  home page’s “My assets” card
                </Link>
                , and it appears here once its registration is in a block.
              </>
            ) : (
              'No registered asset matches these filters.'
            )
          }
        />
      </div>
      {all.length >= ASSET_LIST_LIMIT && (
        <p className="mt-2 text-xs text-slate-500">
          Showing the newest {ASSET_LIST_LIMIT.toLocaleString('en-US')} registrations.
        </p>
      )}
    </div>
  )
}

/** One labelled filter of the list: `options` are [value, text] pairs. */
function FilterSelect({
  label,
  value,
  onChange,
  testId,
  options,
}: {
  label: string
  value: string
  onChange: (value: string) => void
  testId: string
  options: readonly (readonly [string, string])[]
}) {
  return (
    <label className="flex items-center gap-2 text-xs text-slate-500">
      {label}
      <select
        className={SELECT}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        data-testid={testId}
      >
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </label>
  )
}
