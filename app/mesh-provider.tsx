'use client'
import { useEffect } from 'react'

function start(): void {
  void import('@/lib/client/node-runtime').then((m) => m.startNode()).catch(() => undefined)
}

// Start loading the node as soon as this module runs in the browser, before hydration finishes:
// joining the mesh is what the page is for. startNode() runs once however often it is called.
if (typeof window !== 'undefined') start()

/**
 * Starts this tab's node once, whatever page is opened first; mounted in the root layout so it
 * survives navigation. libp2p is loaded with a dynamic import so it never runs on the server.
 */
export function MeshProvider({ children }: { children: React.ReactNode }): React.ReactNode {
  useEffect(start, [])
  return children
}
