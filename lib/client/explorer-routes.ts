/**
 * Routes of the explorer's asset and node pages. A module of its own, with no imports, so that
 * pages outside the explorer (the map) link to them without carrying the explorer's model.
 */

const CANONICAL_ASSET_ID = /^[a-z]+:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** The asset page of an asset ID (`/explorer/asset/memory:0f8e…`). */
export function assetRoute(id: string): string {
  return `/explorer/asset/${CANONICAL_ASSET_ID.test(id) ? id : encodeURIComponent(id)}`
}

/** The node page of a peer ID. */
export function nodeRoute(peerId: string): string {
  return `/explorer/node/${encodeURIComponent(peerId)}`
}
