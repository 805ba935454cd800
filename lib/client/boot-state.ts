/**
 * Where this tab keeps its node's start promise: on `globalThis`, because the boot script
 * (public/node/boot.js) and the site's chunks are separate bundles, each with its own copy of
 * every module. This file imports nothing, so the site can ask "has the node started?" without
 * loading libp2p.
 */
export const NODE_KEY = Symbol.for('hypermesh.node')

/** The slot on `globalThis` holding the node's start promise (null after a failed start). */
export const tabGlobal = globalThis as { [NODE_KEY]?: Promise<unknown> | null }

/** True once this tab's node has been started, by the boot script or by the site's fallback. */
export function nodeStarted(): boolean {
  return tabGlobal[NODE_KEY] != null
}
