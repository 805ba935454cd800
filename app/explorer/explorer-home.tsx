'use client'
import Link from 'next/link'
import { useEffect, useMemo, useSyncExternalStore } from 'react'
import {
  EMPTY_BLOCK_TAIL,
  blockRows,
  blockTail,
  committeeStats,
  explorerRoute,
  formatAge,
  formatTime,
  formatUnits,
} from '@/lib/client/chain-view'
import { useMeshSnapshot } from '@/lib/client/use-mesh'
import { useSecondClock } from '../trustchain/clock'
import { CARD, LedgerNotice, Problem } from './bits'
import { BlockTable } from './block-table'
import { ExplorerTabs } from './explorer-tabs'
import { SearchBox } from './search-box'
import { useChainQuery } from './use-chain'

/** Blocks on a page of the explorer. */
const PAGE = 20

/**
 * The /explorer page body: the chain at a glance, the search box and the blocks — the live tail
 * of the newest ones, or with `below` the page of blocks under that height.
 */
export function ExplorerHome({ below }: { below: number | null }): React.ReactNode {
  const snap = useMeshSnapshot()
  return (
    <div className="space-y-6">
      <LedgerNotice ledger={snap.ledger} />
      <ChainHeadline />
      <div className="space-y-4">
        <SearchBox />
        <ExplorerTabs active="blocks" />
        {below === null ? <LiveBlocks /> : <OlderBlocks below={below} />}
      </div>
    </div>
  )
}

/** Height, last block, committee, supply: from this tab's ledger summary (refreshed each commit). */
export function ChainHeadline(): React.ReactNode {
  const snap = useMeshSnapshot()
  const now = useSecondClock()
  const s = snap.ledger.summary
  const committee = s === null ? null : committeeStats(s)
  return (
    <div className="grid gap-4 md:grid-cols-3" data-testid="chain-headline">
      <div className={`${CARD} md:col-span-2`}>
        <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
          <h2 className="text-sm font-medium text-slate-300">The chain</h2>
          <span className="ml-auto flex items-center gap-1.5 text-xs text-slate-500">
            <span
              aria-hidden
              className={`inline-block h-2 w-2 rounded-full ${s === null ? 'animate-pulse bg-slate-500' : 'bg-emerald-400'}`}
            />
            {s === null ? 'waiting for the ledger…' : `live · ${s.chainId}`}
          </span>
        </div>
        <div className="mt-3 flex flex-wrap items-end gap-x-10 gap-y-3">
          <div>
            <p className="text-xs uppercase tracking-wide text-slate-500">Height</p>
            <p
              className="text-4xl font-semibold tabular-nums text-emerald-300"
              data-testid="explorer-height"
            >
              {s?.height ?? '—'}
            </p>
          </div>
          <div>
            <p className="text-xs uppercase tracking-wide text-slate-500">Last block</p>
            <p className="text-lg tabular-nums text-slate-200" title={s ? formatTime(s.time) : ''}>
              {s === null ? '—' : formatAge(s.time, now) || '…'}
            </p>
          </div>
          <div>
            <p className="text-xs uppercase tracking-wide text-slate-500">Consensus</p>
            <p className="text-lg tabular-nums text-slate-200">
              {s === null ? '—' : `round ${s.round} · ${s.step}`}
            </p>
          </div>
        </div>
        <dl className="mt-4 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 border-t border-slate-800 pt-3 text-xs">
          <dt className="text-slate-500">block hash</dt>
          <dd className="min-w-0 truncate font-mono text-slate-300" title={s?.blockHash}>
            {s === null ? (
              '—'
            ) : (
              <Link
                href={explorerRoute({ kind: 'block', height: s.height })}
                className="hover:text-emerald-300 hover:underline"
              >
                {s.blockHash}
              </Link>
            )}
          </dd>
          <dt className="text-slate-500" title="Root of the ledger's Merkle state after that block">
            state root
          </dt>
          <dd className="min-w-0 truncate font-mono text-slate-400" title={s?.stateRoot}>
            {s?.stateRoot ?? '—'}
          </dd>
        </dl>
      </div>
      <div className={CARD}>
        <h2 className="text-sm font-medium text-slate-300">At a glance</h2>
        <dl className="mt-3 grid grid-cols-[1fr_auto] gap-x-4 gap-y-2 text-sm">
          <dt className="text-slate-500" title="Validators of the next height">
            committee
          </dt>
          <dd className="text-right tabular-nums text-slate-200" data-testid="committee-size">
            {committee === null
              ? '—'
              : `${committee.size} validator${committee.size === 1 ? '' : 's'}`}
          </dd>
          <dt className="text-slate-500" title="Voting power: stake × uptime">
            total power
          </dt>
          <dd className="text-right tabular-nums text-slate-200">
            {committee === null ? '—' : committee.power.toLocaleString('en-US')}
          </dd>
          <dt className="text-slate-500">total supply</dt>
          <dd className="text-right tabular-nums text-slate-200" data-testid="total-supply">
            {s === null ? '—' : `${formatUnits(s.totalSupply)} credits`}
          </dd>
          <dt className="text-slate-500" title="Transactions waiting in this node's pool">
            waiting txs
          </dt>
          <dd className="text-right tabular-nums text-slate-200">{s?.mempool ?? '—'}</dd>
          <dt className="text-slate-500">this node</dt>
          <dd className="text-right text-slate-200">
            {s === null ? '—' : s.validator ? 'validator' : 'follower'}
          </dd>
        </dl>
      </div>
    </div>
  )
}

/** The newest blocks, following the chain as it grows. */
function LiveBlocks(): React.ReactNode {
  const tail = useSyncExternalStore(
    blockTail.subscribe,
    blockTail.getSnapshot,
    () => EMPTY_BLOCK_TAIL,
  )
  const snap = useMeshSnapshot()
  const now = useSecondClock()
  const selfKey = snap.ledger.publicKey
  const height = snap.ledger.summary?.height ?? null
  useEffect(() => blockTail.retain(), [])
  // A commit reported by the summary is a reason to look at once rather than at the next tick.
  useEffect(() => {
    if (height !== null) void blockTail.refresh()
  }, [height])
  const rows = useMemo(() => blockRows(tail.blocks, now, selfKey), [tail.blocks, now, selfKey])
  const oldest = tail.blocks.at(-1)
  return (
    <div className={CARD}>
      <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
        <h2 className="text-sm font-medium text-slate-300">Newest blocks</h2>
        <p className="text-xs text-slate-500">
          Committed blocks as this tab’s node stores them; new ones appear at the top.
        </p>
      </div>
      {tail.problem !== null && (
        <div className="mt-2">
          <Problem>{tail.problem}</Problem>
        </div>
      )}
      <div className="mt-2">
        <BlockTable
          rows={rows}
          loading={!tail.loaded}
          placeholders={blockTail.size}
          selfKey={selfKey}
          empty="No block yet: the chain starts with the first commit."
        />
      </div>
      <Pager
        newer={null}
        older={oldest !== undefined && oldest.height > 1 ? oldest.height : null}
      />
    </div>
  )
}

/** A page of older blocks (below a height), which do not change. */
function OlderBlocks({ below }: { below: number }): React.ReactNode {
  const snap = useMeshSnapshot()
  const now = useSecondClock()
  const selfKey = snap.ledger.publicKey
  const tip = snap.ledger.summary?.height ?? null
  const entry = useChainQuery('blocks', { count: PAGE, below })
  const blocks = useMemo(() => entry.data ?? [], [entry.data])
  const rows = useMemo(() => blockRows(blocks, now, selfKey), [blocks, now, selfKey])
  const oldest = blocks.at(-1)
  const newerBelow = below + PAGE
  return (
    <div className={CARD}>
      <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
        <h2 className="text-sm font-medium text-slate-300">
          Blocks below #{below.toLocaleString('en-US')}
        </h2>
        <Link
          href="/explorer"
          className="ml-auto text-xs text-emerald-300 hover:text-emerald-200 hover:underline"
        >
          Back to the newest →
        </Link>
      </div>
      {entry.problem !== null && (
        <div className="mt-2">
          <Problem>{entry.problem}</Problem>
        </div>
      )}
      <div className="mt-2">
        <BlockTable
          rows={rows}
          loading={entry.data === undefined && entry.status !== 'error'}
          placeholders={PAGE}
          selfKey={selfKey}
          empty="No block below that height in this node’s chain."
        />
      </div>
      <Pager
        newer={tip !== null && newerBelow > tip + 1 ? 'live' : newerBelow}
        older={oldest !== undefined && oldest.height > 1 ? oldest.height : null}
      />
    </div>
  )
}

function Pager({
  newer,
  older,
}: {
  /** `below` of the newer page, 'live' for the newest, null for none. */
  newer: number | 'live' | null
  older: number | null
}): React.ReactNode {
  const link =
    'rounded-md border border-slate-700 px-2.5 py-1 text-xs text-slate-300 hover:border-emerald-500 hover:text-emerald-300'
  const off = 'rounded-md border border-slate-800 px-2.5 py-1 text-xs text-slate-600'
  return (
    <nav className="mt-3 flex items-center justify-between" aria-label="Pages of blocks">
      {newer === null ? (
        <span />
      ) : (
        <Link
          href={newer === 'live' ? '/explorer' : `/explorer?below=${newer}`}
          className={link}
          data-testid="blocks-newer"
        >
          ← newer
        </Link>
      )}
      {older === null ? (
        <span className={off}>older →</span>
      ) : (
        <Link href={`/explorer?below=${older}`} className={link} data-testid="blocks-older">
          older →
        </Link>
      )}
    </nav>
  )
}
