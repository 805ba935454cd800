'use client'
import { useEffect } from 'react'
import { nodeStarted } from '@/lib/client/boot-state'

/**
 * The node normally starts from its own script, /node/boot.js, loaded `async` in the layout's
 * <head> so it runs before hydration (lib/client/boot-entry.ts). Should that script not have run
 * by the time the page has loaded (async scripts hold the load event, so it has had its chance),
 * start the node from the site's own bundle instead: a tab without a node is no use.
 */
function startIfNeeded(): void {
  if (nodeStarted()) return
  void import('@/lib/client/node-runtime').then((m) => m.startNode()).catch(() => undefined)
}

/**
 * Makes sure this tab's node runs, whatever page is opened first; mounted in the root layout so it
 * survives navigation. startNode() runs once however often it is called.
 */
export function MeshProvider({ children }: { children: React.ReactNode }): React.ReactNode {
  useEffect(() => {
    if (document.readyState === 'complete') {
      startIfNeeded()
      return
    }
    window.addEventListener('load', startIfNeeded, { once: true })
    return () => window.removeEventListener('load', startIfNeeded)
  }, [])
  return children
}
