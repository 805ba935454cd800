import type { BootstrapNode } from './bootstrap'
import type { ServerConfig } from './config'

/** What the server process shares with the Next.js route handlers running inside it. */
export interface ServerServices {
  config: ServerConfig
  bootstrap: BootstrapNode
  startedAt: number
  version: string
}

// Route handlers are bundled by Next.js while the server entry runs unbundled, so module-level
// singletons would exist twice; a global symbol is the one place both halves see.
const KEY = Symbol.for('hypermesh.server.services')

/** Register the running services (called once by bin/server.ts). */
export function registerServices(services: ServerServices): void {
  ;(globalThis as Record<symbol, unknown>)[KEY] = services
}

/** The running services, or null when the site runs without the HyperMesh server (e.g. `next dev`). */
export function getServices(): ServerServices | null {
  return ((globalThis as Record<symbol, unknown>)[KEY] as ServerServices | undefined) ?? null
}
