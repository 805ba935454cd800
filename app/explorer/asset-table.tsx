'use client'
import Link from 'next/link'
import {
  assetRoute,
  type AssetRow,
  type AssetSort,
  type AssetSortKey,
} from '@/lib/client/asset-explorer'
import { formatTime } from '@/lib/client/chain-view'
import { LevelBadge, NodeLink, OnlineBadge, TypeBadge } from './asset-bits'
import { BlockLink } from './bits'
import { CopyButton } from './copy-button'

interface Column {
  key: AssetSortKey
  label: string
  title: string
  className: string
  align?: 'right'
}

const COLUMNS: Column[] = [
  { key: 'type', label: 'type', title: 'Asset type', className: 'w-24' },
  {
    key: 'address',
    label: 'GlobalAddress',
    title: 'Node ID … end of the asset UUID : port (the full address in the tooltip)',
    className: '',
  },
  { key: 'owner', label: 'owner', title: 'The node that registered it', className: '' },
  { key: 'level', label: 'privacy', title: 'Privacy level chosen by its owner', className: '' },
  {
    key: 'capacity',
    label: 'capacity',
    title: 'What its owner’s platform measured',
    className: 'hidden md:table-cell',
  },
  { key: 'share', label: 'share', title: 'What its owner offers of it', className: '' },
  {
    key: 'online',
    label: 'online',
    title: 'Heard by this tab’s heartbeats, or active on the ledger within 120 blocks',
    className: '',
  },
  {
    key: 'registered',
    label: 'registered',
    title: 'Block of its registration',
    className: 'hidden w-24 lg:table-cell',
    align: 'right',
  },
]

/**
 * Registered assets, one row each, sorted by clicking a column header (again to flip). Rows keep
 * a fixed height; while loading, placeholder rows hold the table's place.
 */
export function AssetTable({
  rows,
  sort,
  onSort,
  loading,
  placeholders,
  empty,
  hideOwner = false,
}: {
  rows: AssetRow[]
  sort: AssetSort
  onSort: (key: AssetSortKey) => void
  loading: boolean
  placeholders: number
  /** What to say when there is no row (and nothing is loading). */
  empty: React.ReactNode
  /** Leave the owner out (a node's own page). */
  hideOwner?: boolean
}): React.ReactNode {
  const columns = hideOwner ? COLUMNS.filter((c) => c.key !== 'owner') : COLUMNS
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm" data-testid="asset-table">
        <thead className="text-xs text-slate-500">
          <tr>
            {columns.map((c) => {
              const active = sort.key === c.key
              return (
                <th
                  key={c.key}
                  scope="col"
                  aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}
                  className={`py-1 pr-3 font-normal ${c.className} ${c.align === 'right' ? 'text-right' : ''}`}
                >
                  <button
                    type="button"
                    onClick={() => onSort(c.key)}
                    title={`${c.title}. Click to sort.`}
                    data-testid={`asset-sort-${c.key}`}
                    className={`inline-flex items-center gap-1 rounded hover:text-slate-200 ${active ? 'text-slate-200' : ''} ${c.align === 'right' ? 'flex-row-reverse' : ''}`}
                  >
                    {c.label}
                    <span aria-hidden className={`text-[10px] ${active ? '' : 'opacity-0'}`}>
                      {sort.dir === 'asc' || !active ? '▲' : '▼'}
                    </span>
                  </button>
                </th>
              )
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr
              key={r.id}
              className="h-10 border-t border-slate-800/70"
              data-testid="asset-row"
              data-asset-id={r.id}
              data-address={r.address}
              data-type={r.type}
              data-level={r.level}
              data-online={r.online.state}
            >
              <td className="pr-3">
                <Link href={assetRoute(r.id)} title={r.id} className="hover:opacity-80">
                  <TypeBadge type={r.type} />
                </Link>
              </td>
              <td className="pr-3">
                <span className="inline-flex items-center gap-1">
                  <Link
                    href={assetRoute(r.id)}
                    title={r.address}
                    className="whitespace-nowrap font-mono text-xs text-emerald-300 hover:text-emerald-200 hover:underline"
                  >
                    {r.addressShort}
                  </Link>
                  <CopyButton text={r.address} what="GlobalAddress" />
                </span>
              </td>
              {!hideOwner && (
                <td className="pr-3">
                  <NodeLink peerId={r.peerId} self={r.self} />
                </td>
              )}
              <td className="pr-3">
                <LevelBadge level={r.level} />
              </td>
              <td className="hidden whitespace-nowrap pr-3 text-xs md:table-cell">
                <span className={r.capacity.known ? 'text-slate-300' : 'text-slate-500'}>
                  {r.capacity.text}
                </span>
              </td>
              <td className="whitespace-nowrap pr-3 text-xs">
                <span className={r.share.known ? 'text-slate-100' : 'text-slate-500'}>
                  {r.share.text}
                </span>
              </td>
              <td className="pr-3">
                <OnlineBadge online={r.online} />
              </td>
              <td
                className="hidden text-right text-xs lg:table-cell"
                title={formatTime(r.registeredAt)}
              >
                <BlockLink height={r.registeredHeight} />
              </td>
            </tr>
          ))}
          {loading &&
            rows.length === 0 &&
            Array.from({ length: placeholders }, (_, i) => (
              <tr
                key={`placeholder-${i}`}
                className="h-10 border-t border-slate-800/70"
                aria-hidden
              >
                <td colSpan={columns.length}>
                  <span
                    className="block h-3 animate-pulse rounded bg-slate-800/60"
                    style={{ width: `${75 - (i % 4) * 8}%` }}
                  />
                </td>
              </tr>
            ))}
          {!loading && rows.length === 0 && (
            <tr className="border-t border-slate-800/70" data-testid="asset-table-empty">
              <td colSpan={columns.length} className="py-4 text-sm text-slate-400">
                {empty}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  )
}
