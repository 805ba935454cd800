'use client'
import { useSyncExternalStore } from 'react'
import { MFN_SLOT_KEY, type MfnSlot, type MfnView } from './mfn-bridge'

const slot = (): MfnSlot | undefined => (globalThis as { [MFN_SLOT_KEY]?: MfnSlot })[MFN_SLOT_KEY]

/**
 * Subscribe to this tab's MFN router (lib/client/mfn-bridge.ts). Subscribing starts the router's
 * worker and its probe jobs; they stop a few seconds after the last subscriber leaves. The node's
 * script may still be loading when the page mounts: until it registers the slot, this waits.
 */
function subscribe(listener: () => void): () => void {
  let unsubscribe: (() => void) | null = null
  let timer: ReturnType<typeof setTimeout> | null = null
  const attach = (): void => {
    const s = slot()
    if (s === undefined) {
      timer = setTimeout(attach, 200)
      return
    }
    unsubscribe = s.subscribe(listener)
    listener()
  }
  attach()
  return () => {
    if (timer !== null) clearTimeout(timer)
    unsubscribe?.()
  }
}

/** The live view of this tab's MFN router, or null until the node has started. */
export function useMfnView(): MfnView | null {
  return useSyncExternalStore(
    subscribe,
    () => slot()?.get() ?? null,
    () => null,
  )
}
