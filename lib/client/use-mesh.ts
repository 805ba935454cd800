'use client'
import { useSyncExternalStore } from 'react'
import { INITIAL_SNAPSHOT, meshStore } from './store'
import type { MeshSnapshot } from './types'

/** The live snapshot of this tab's node, for React components. */
export function useMeshSnapshot(): MeshSnapshot {
  return useSyncExternalStore(meshStore.subscribe, meshStore.getSnapshot, () => INITIAL_SNAPSHOT)
}
