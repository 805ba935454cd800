'use client'
import { useEffect, useRef, useSyncExternalStore } from 'react'
import { IDLE_LIVE, liveReads, type LiveEntry } from '@/lib/client/live-reads'

/**
 * An answer that follows the chain (lib/client/live-reads.ts): asked on first use and again
 * whenever `version` grows — pass the chain's height to follow the ledger, or a time bucket.
 * `key` names the answer (null: nothing to ask yet); `fetch` asks once.
 */
export function useLive<T>(
  key: string | null,
  version: number | null,
  fetch: () => Promise<T>,
): LiveEntry<T> {
  const latest = useRef(fetch)
  useEffect(() => {
    latest.current = fetch
  })
  const entry = useSyncExternalStore(
    liveReads.subscribe,
    () => (key === null ? IDLE_LIVE : liveReads.read<T>(key)),
    () => IDLE_LIVE,
  )
  useEffect(() => {
    if (key !== null && version !== null)
      void liveReads.follow(key, version, () => latest.current())
  }, [key, version])
  return entry
}
