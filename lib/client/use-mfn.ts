'use client'
import { useSyncExternalStore } from 'react'
import type { MfnSlot, MfnView } from './mfn-bridge'
import { MFN_SLOT_KEY } from './mfn-constants'
import { subscribeToSlot } from './runtime-slot'

const slot = (): MfnSlot | undefined => (globalThis as { [MFN_SLOT_KEY]?: MfnSlot })[MFN_SLOT_KEY]

/**
 * Subscribe to this tab's MFN router (lib/client/mfn-bridge.ts). Subscribing starts the router's
 * worker and its probe jobs; they stop a few seconds after the last subscriber leaves.
 */
const subscribe = subscribeToSlot(MFN_SLOT_KEY)

/** The live view of this tab's MFN router, or null until the node has started. */
export function useMfnView(): MfnView | null {
  return useSyncExternalStore(
    subscribe,
    () => slot()?.get() ?? null,
    () => null,
  )
}
