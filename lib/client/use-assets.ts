'use client'
import { useSyncExternalStore } from 'react'
import { ASSETS_SLOT_KEY } from './assets-constants'
import { subscribeToSlot } from './runtime-slot'
import {
  AssetAccessError,
  WAITING_VIEW,
  type AssetsSlot,
  type AssetsView,
  type HypermeshAssetsApi,
} from './assets-model'

const slot = (): AssetsSlot | undefined =>
  (globalThis as { [ASSETS_SLOT_KEY]?: AssetsSlot })[ASSETS_SLOT_KEY]

/**
 * Subscribe to this tab's assets (lib/client/assets-runtime.ts), waiting for the runtime's slot.
 */
const subscribe = subscribeToSlot(ASSETS_SLOT_KEY)

/** The live view of this tab's assets (waiting until the node's runtime has started). */
export function useAssetsView(): AssetsView {
  return useSyncExternalStore(
    subscribe,
    () => slot()?.get() ?? WAITING_VIEW,
    () => WAITING_VIEW,
  )
}

/**
 * The owner's actions on this tab's assets (the same as `window.hypermeshAssets`). Each rejects
 * with `NOT_READY` before the runtime has started.
 */
export const assetActions: HypermeshAssetsApi = {
  setPrivacy: (...a) => withSlot((s) => s.setPrivacy(...a)),
  pause: (...a) => withSlot((s) => s.pause(...a)),
  grant: (...a) => withSlot((s) => s.grant(...a)),
  read: (...a) => withSlot((s) => s.read(...a)),
  write: (...a) => withSlot((s) => s.write(...a)),
  localBytes: (...a) => withSlot((s) => s.localBytes(...a)),
  commit: (...a) => withSlot((s) => s.commit(...a)),
  audit: (...a) => withSlot((s) => s.audit(...a)),
}

async function withSlot<T>(f: (s: AssetsSlot) => Promise<T>): Promise<T> {
  const s = slot()
  if (s === undefined) throw new AssetAccessError('NOT_READY')
  return f(s)
}

export {
  PRIVACY_LEVELS,
  REWARD_MULTIPLIERS,
  formatBytes,
  parseShareInput,
  shareControl,
  type AssetsView,
  type AuditResult,
  type Commitment,
  type OwnAssetView,
  type PrivacyLevel,
  type ServedAssetType,
  type ShareControl,
} from './assets-model'
export { MEMORY_SERVE_CAP_BYTES, STORAGE_SERVE_CAP_BYTES } from './assets-constants'
