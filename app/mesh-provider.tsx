'use client'
import { useEffect } from 'react'

/**
 * Starts this tab's node once, whatever page is opened first; mounted in the root layout so it
 * survives navigation. libp2p is loaded with a dynamic import so it never runs on the server.
 */
export function MeshProvider({ children }: { children: React.ReactNode }): React.ReactNode {
  useEffect(() => {
    void import('@/lib/client/node-runtime').then((m) => m.startNode()).catch(() => undefined)
  }, [])
  return children
}
