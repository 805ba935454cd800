/** Constants of the explorer's asset and node pages (lib/client/asset-explorer.ts, app/explorer). */

/** Most assets the explorer's list asks the ledger for (the worker's `assets` limit). */
export const ASSET_LIST_LIMIT = 1_000

/**
 * A node counts as heard (the mesh's half of "online") while its latest heartbeat is at most this
 * old, in ms: the map's expiry (`NODE_EXPIRY_MS`), so a node the map draws is one the explorer
 * calls online, and one the map has let go is not.
 */
export const HEARD_WITHIN_MS = 20_000

/** The transparency log's certificates of a node are read again after this long, in ms. */
export const CERTIFICATES_REFRESH_MS = 60_000

/** Rows of the asset table while its first answer is on the way (the table keeps its height). */
export const ASSET_TABLE_PLACEHOLDERS = 6
