'use client'
import { useSyncExternalStore } from 'react'

/**
 * Wall-clock time, to the second, ticking every second; 0 during server rendering and
 * hydration, so relative times ("in 3 min") are only written in the browser.
 */
export function useSecondClock(): number {
  return useSyncExternalStore(subscribe, read, () => 0)
}

function subscribe(onTick: () => void): () => void {
  const id = setInterval(onTick, 1_000)
  return () => clearInterval(id)
}

function read(): number {
  // Rounded so reads within one render agree, as useSyncExternalStore needs.
  return Math.floor(Date.now() / 1000) * 1000
}
