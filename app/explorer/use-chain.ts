'use client'
import { useEffect, useMemo, useSyncExternalStore } from 'react'
import {
  IDLE_QUERY,
  chainQueries,
  type ChainRequests,
  type QueryEntry,
  type QueryMethod,
} from '@/lib/client/chain-view'

/**
 * A cached answer of the tab's consensus worker (see `ChainQueries`): asked for on first use;
 * asked again whenever `refreshKey` changes while the answer is `null` (a block not committed
 * yet, a transaction not found yet), so pass the chain's height to follow it.
 */
export function useChainQuery<M extends QueryMethod>(
  method: M,
  params: ChainRequests[M]['params'] | null,
  refreshKey?: number | null,
): QueryEntry<ChainRequests[M]['result']> {
  // Params are compared by value: a page passes a fresh object on every render.
  const key = params === null ? null : JSON.stringify(params)
  const stable = useMemo(
    () => (key === null ? null : (JSON.parse(key) as ChainRequests[M]['params'])),
    [key],
  )
  const entry = useSyncExternalStore(
    chainQueries.subscribe,
    () => (stable === null ? IDLE_QUERY : chainQueries.read(method, stable)),
    () => IDLE_QUERY,
  )
  useEffect(() => {
    if (stable !== null) void chainQueries.load(method, stable)
  }, [method, stable])
  const missing = entry.status === 'done' && entry.data === null
  useEffect(() => {
    if (stable !== null && missing) void chainQueries.load(method, stable, { force: true })
    // Only a new height is a reason to ask again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [refreshKey])
  return entry
}
