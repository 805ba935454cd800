'use client'
import Link from 'next/link'
import { explorerRoute, formatTime, type BlockRow } from '@/lib/client/chain-view'
import { BlockLink, PeerLink } from './bits'

/**
 * Blocks, newest first: height, hash, proposer, age, transactions and commit signers. Rows have a
 * fixed height and, while loading, `placeholders` empty rows hold the table's place, so nothing
 * below moves as rows arrive.
 */
export function BlockTable({
  rows,
  loading,
  placeholders,
  selfKey,
  empty,
}: {
  rows: BlockRow[]
  loading: boolean
  placeholders: number
  selfKey: string | null
  /** What to say when there is no block (and nothing is loading). */
  empty: string
}): React.ReactNode {
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm" data-testid="block-table">
        <thead className="text-xs text-slate-500">
          <tr>
            <th className="w-20 py-1 pr-3 font-normal">height</th>
            <th className="hidden py-1 pr-3 font-normal sm:table-cell">hash</th>
            <th className="py-1 pr-3 font-normal">proposer</th>
            <th className="w-24 py-1 pr-3 font-normal">time</th>
            <th className="w-12 py-1 pr-3 text-right font-normal">txs</th>
            <th
              className="hidden w-16 py-1 text-right font-normal md:table-cell"
              title="Precommits in the block's commit certificate"
            >
              signers
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr
              key={r.height}
              className="h-9 border-t border-slate-800/70"
              data-testid="block-row"
              data-height={r.height}
            >
              <td className="pr-3">
                <BlockLink height={r.height} />
              </td>
              <td className="hidden pr-3 sm:table-cell">
                <Link
                  href={explorerRoute({ kind: 'block', height: r.height })}
                  title={r.hash}
                  className="font-mono text-xs text-slate-400 hover:text-slate-200"
                >
                  {r.shortHash}
                </Link>
              </td>
              <td className="pr-3">
                <PeerLink keyHex={r.proposer.key} selfKey={selfKey} />
              </td>
              <td
                className="whitespace-nowrap pr-3 text-xs tabular-nums text-slate-400"
                title={formatTime(r.time)}
              >
                {r.age}
              </td>
              <td
                className={`pr-3 text-right tabular-nums ${r.txs > 0 ? 'text-slate-100' : 'text-slate-500'}`}
              >
                {r.txs}
              </td>
              <td className="hidden text-right tabular-nums text-slate-400 md:table-cell">
                {r.signers}
              </td>
            </tr>
          ))}
          {loading &&
            rows.length === 0 &&
            Array.from({ length: placeholders }, (_, i) => (
              <tr key={`placeholder-${i}`} className="h-9 border-t border-slate-800/70" aria-hidden>
                <td colSpan={6}>
                  <span
                    className="block h-3 animate-pulse rounded bg-slate-800/60"
                    style={{ width: `${70 - (i % 4) * 8}%` }}
                  />
                </td>
              </tr>
            ))}
          {!loading && rows.length === 0 && (
            <tr className="h-9 border-t border-slate-800/70">
              <td colSpan={6} className="text-sm text-slate-500">
                {empty}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  )
}
