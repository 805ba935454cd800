/** Constants of the live network map (lib/client/map-model.ts, app/map). */

/** A node is drawn at full opacity until this long after its last heartbeat, in ms. */
export const NODE_FADE_START_MS = 8_000

/** A node is removed from the map this long after its last heartbeat, in ms; it fades out until then. */
export const NODE_EXPIRY_MS = 20_000

/** At or below this RTT a link is fully green, in ms. */
export const RTT_GOOD_MS = 20

/** At this RTT a link is yellow, in ms. */
export const RTT_FAIR_MS = 100

/** At or above this RTT a link is fully red, in ms. */
export const RTT_BAD_MS = 300

/** Link colour for a good RTT (Tailwind green-500). */
export const RTT_GOOD_COLOR = '#22c55e'

/** Link colour for a fair RTT (Tailwind yellow-400). */
export const RTT_FAIR_COLOR = '#facc15'

/** Link colour for a bad RTT (Tailwind red-500). */
export const RTT_BAD_COLOR = '#ef4444'

/** Link colour when neither side has reported an RTT (Tailwind slate-500). */
export const RTT_UNKNOWN_COLOR = '#64748b'

/** Characters of the peer id kept in a node's label. */
export const PEER_ID_LABEL_CHARS = 6

/** The map applies new data to the graph at most this often, in ms (≤ 2 updates/s). */
export const MAP_UPDATE_INTERVAL_MS = 500

/** The page re-models the snapshot this often, in ms, so nodes fade without new snapshots. */
export const MAP_REMODEL_INTERVAL_MS = 1_000

/** Largest `?synthetic=N` the map page accepts. */
export const SYNTHETIC_MAX_NODES = 1_000

/**
 * The fixed instant a synthetic snapshot is built for and modelled at, ms since epoch, so the
 * render test shows the same picture every time (2025-01-01T00:00:00Z).
 */
export const SYNTHETIC_NOW_MS = 1_735_689_600_000

/** Below this spread of projected coordinates (ms) nodes are drawn by force layout instead. */
export const MIN_PROJECTION_SPAN_MS = 5

/** Projected coordinates flatter than this (minor / major axis) are drawn by force layout instead. */
export const MIN_PROJECTION_ASPECT = 0.15
