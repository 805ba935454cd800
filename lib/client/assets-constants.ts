/** Constants of this tab's assets (lib/client/assets-model.ts, assets-runtime.ts, app/assets-card). */

/** Where the assets runtime publishes its handle for the pages, on `globalThis`. */
export const ASSETS_SLOT_KEY = '__hypermeshAssets'

/** Key of the tab's assets in its slot's IndexedDB store (beside the identity key). */
export const ASSETS_STORAGE_KEY = 'assets'

/** Version of the persisted list of assets. */
export const STORED_ASSETS_VERSION = 1

/**
 * Most bytes a memory asset serves from this tab, whatever its share: the share says what the
 * owner offers of the machine (up to `deviceMemory`), but a tab holds what it serves in one
 * ArrayBuffer of its own heap, and a tab that grows by gigabytes gets killed by the browser.
 */
export const MEMORY_SERVE_CAP_BYTES = 64 * 2 ** 20

/** The memory buffer grows in steps of at least this many bytes (allocated on first use). */
export const MEMORY_GROW_STEP_BYTES = 2 ** 20

/**
 * Most bytes a storage asset serves from this tab, whatever its share: they are kept in the
 * slot's IndexedDB and, while the tab runs, in one copy in RAM (lib/assets/stored-bytes.ts). A
 * multiple of its 64 KiB blocks.
 */
export const STORAGE_SERVE_CAP_BYTES = 16 * 2 ** 20

/**
 * Service port of the memory asset, served over the remote memory protocol
 * (`/hypermesh/memory/1`): part of its GlobalAddress.
 */
export const REMOTE_MEMORY_PORT = 1

/**
 * Service port of the storage asset: the same protocol (read, write, prove), at an address of
 * its own. Another port than memory's so that the address alone says which service answers.
 */
export const STORAGE_PORT = 2

/** Service port of assets that no protocol serves yet (cpu, gpu, network). */
export const NO_SERVICE_PORT = 0

/**
 * IndexedDB database of a slot's storage asset bytes (`<prefix><slot>`, object store
 * {@link STORAGE_STORE_NAME}): a database of its own rather than a new store in the slot's
 * identity database, so that the early script's identity reads never meet a version upgrade.
 */
export const STORAGE_DB_PREFIX = 'hypermesh-storage-'

/** Object store of the storage asset's blocks. */
export const STORAGE_STORE_NAME = 'blocks'

/** Most bytes `commit` of the test API takes: what a storage asset serves at most. */
export const MAX_COMMIT_BYTES = STORAGE_SERVE_CAP_BYTES

/** Longest capability lifetime the owner may grant from this tab: 30 days, in ms. */
export const MAX_GRANT_TTL_MS = 30 * 24 * 3_600_000

/** Most bytes one `read`/`localBytes` call of the test API returns (the wire's limit: 1 MiB). */
export const MAX_ACCESS_BYTES = 2 ** 20

/** Measurement starts this long after the node's first direct peer (off the join's path), ms. */
export const MEASURE_AFTER_JOIN_MS = 3_000

/** …or this long after the node started, if it is still alone then, ms. */
export const MEASURE_FALLBACK_MS = 8_000

/** Bytes of one goodput probe to a direct peer (at most lib/mesh/perf's cap, 1 MiB). */
export const GOODPUT_PROBE_BYTES = 2 ** 20

/** Direct peers whose link goodput is measured, one after the other. */
export const GOODPUT_PROBE_PEERS = 2

/** A goodput probe that takes longer than this leaves its link unknown, ms. */
export const GOODPUT_PROBE_TIMEOUT_MS = 5_000

/** How often public assets are compared with their ledger registration, ms. */
export const LEDGER_SYNC_PERIOD_MS = 15_000

/** A registration transaction is not sent again for the same asset within this time, ms. */
export const LEDGER_RETRY_MS = 30_000
