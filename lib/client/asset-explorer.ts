/**
 * The explorer's assets and nodes as data (pure: no I/O, the clock comes in as `now`): the rows of
 * the asset table with their filters and sorting (and the query string that holds them), the
 * search box's reading of asset IDs, GlobalAddresses, `hypermesh://` URIs and peer IDs, the
 * routes of the asset and node pages, and what this tab has heard of a node through heartbeats.
 *
 * Decisions (docs/explorer.md):
 *
 * - **Listed** = registered on the ledger and not retired. Only public-network and full-public
 *   assets are ever registered (lib/assets `isRegistered`); pausing is local to the owner's tab
 *   and never reaches the ledger, so the explorer cannot show it.
 * - **Online** combines two halves. The mesh's: this tab heard the owner's heartbeat within
 *   {@link HEARD_WITHIN_MS} (the map's expiry, so the map and the explorer agree). The chain's:
 *   lib/ledger `assetOnline` (the owner signed or was attested within 120 blocks). `heard` wins,
 *   then `chain`, else `offline`; the row says which half answered.
 * - **Figures** come from the ledger's record as they are; a figure the owner's platform did not
 *   measure is written `unknown`, never estimated.
 */
import {
  AssetError,
  isAssetType,
  parseAssetId,
  parseAssetUuid,
  type AssetType,
} from '@/lib/assets/asset-id'
import { parseAssetQuery, parseGlobalAddress, parseHypermeshUri } from '@/lib/assets/global-address'
import type { AssetShare } from '@/lib/assets/privacy'
import type { AssetSummary, TxSummary } from '@/lib/chain/ledger-service'
import type { AssetCapacity, RegisteredLevel } from '@/lib/ledger/assets'
import { ASSET_ONLINE_WINDOW_BLOCKS } from '@/lib/ledger/constants'
import type { CapabilitySummary, Coordinate } from '@/lib/mesh/types'
import { distanceMs } from '@/lib/mesh/vivaldi'
import { explorerRoute, formatAge, parseSearch, shortPeerId, type SearchQuery } from './chain-view'
import { HEARD_WITHIN_MS } from './explorer-constants'
import { assetRoute, nodeRoute } from './explorer-routes'
import { isPeerId, keyHexFromPeerId, peerIdFromKeyHex } from './peer-key'
import type { MeshSnapshot } from './types'

export type { AssetSummary, AssetType, RegisteredLevel }
export { assetRoute, nodeRoute }

/** The asset types, in the order the filter offers them (lib/assets' type codes). */
export const EXPLORER_ASSET_TYPES: readonly AssetType[] = Object.freeze([
  'cpu',
  'gpu',
  'memory',
  'storage',
  'network',
  'container',
  'economic',
])

/** The levels an asset on the ledger can have, narrower first. */
export const REGISTERED_LEVELS: readonly RegisteredLevel[] = Object.freeze([
  'public-network',
  'full-public',
])

// ---------------------------------------------------------------------------------------------
// Figures

/** A figure of a row: its text, the number it sorts by (null: unknown or none), and whether known. */
export interface Figure {
  text: string
  value: number | null
  known: boolean
}

const UNKNOWN: Figure = Object.freeze({ text: 'unknown', value: null, known: false })

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const

/**
 * Bytes for people, in binary units: `512 B`, `1.5 KiB`, `16 MiB`, `7.8 GiB` (one decimal under
 * 100 when not whole).
 *
 * @example
 * ```ts
 * formatSize(16 * 2 ** 20) // '16 MiB'
 * ```
 */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return 'unknown'
  if (bytes < 1024) return `${Math.round(bytes)} B`
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  const text =
    value >= 100 || Number.isInteger(value) ? String(Math.round(value)) : value.toFixed(1)
  return `${text} ${UNITS[unit]}`
}

function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`
}

/**
 * The headline of what was measured for an asset, by its type: cores, memory, free storage, link
 * goodput, the GPU adapter. `unknown` when the owner's platform did not tell; container and
 * economic assets have no measured quantity.
 */
export function capacityFigure(type: AssetType, c: AssetCapacity): Figure {
  switch (type) {
    case 'cpu':
      return c.cores === null
        ? UNKNOWN
        : { text: plural(c.cores, 'core', 'cores'), value: c.cores, known: true }
    case 'memory':
      return c.memoryBytes === null
        ? UNKNOWN
        : { text: formatSize(c.memoryBytes), value: c.memoryBytes, known: true }
    case 'storage':
      return c.storageBytes === null
        ? UNKNOWN
        : { text: `${formatSize(c.storageBytes)} free`, value: c.storageBytes, known: true }
    case 'network':
      return c.goodputBytesPerSecond === null
        ? UNKNOWN
        : {
            text: `${formatSize(c.goodputBytesPerSecond)}/s`,
            value: c.goodputBytesPerSecond,
            known: true,
          }
    case 'gpu':
      if (c.gpu === null) return { text: 'no adapter', value: null, known: true }
      return {
        text: c.gpu.label ?? 'WebGPU adapter (no name given)',
        value: c.gpu.maxBufferSize,
        known: true,
      }
    case 'container':
    case 'economic':
      return { text: 'no quantity', value: null, known: true }
  }
}

/** One measured figure of an asset's capacity, for its page. */
export interface CapacityLine {
  label: string
  /** The figure, or `unknown`. */
  text: string
  known: boolean
  /** A figure of the asset's own type (shown first). */
  primary: boolean
}

/**
 * Every figure of the measurement an asset was registered (or last updated) with: those of its
 * type first, then the rest of what its owner's platform measured. `unknown` for what it did not.
 */
export function capacityLines(type: AssetType, c: AssetCapacity): CapacityLine[] {
  const line = (label: string, value: string | null, of: readonly AssetType[]): CapacityLine => ({
    label,
    text: value ?? 'unknown',
    known: value !== null,
    primary: of.includes(type),
  })
  const g = c.gpu
  const lines = [
    line('platform', c.platform === 'node' ? 'headless node' : 'browser tab', []),
    line('logical cores', c.cores === null ? null : String(c.cores), ['cpu']),
    line(
      'CPU speed',
      c.cpuScore === null
        ? null
        : `${Math.round(c.cpuScore).toLocaleString('en-US')} units/s, one thread`,
      ['cpu'],
    ),
    line('memory', c.memoryBytes === null ? null : formatSize(c.memoryBytes), ['memory']),
    line('storage free', c.storageBytes === null ? null : formatSize(c.storageBytes), ['storage']),
    line(
      'write speed',
      c.writeBytesPerSecond === null ? null : `${formatSize(c.writeBytesPerSecond)}/s`,
      ['storage'],
    ),
    line(
      'link goodput',
      c.goodputBytesPerSecond === null ? null : `${formatSize(c.goodputBytesPerSecond)}/s`,
      ['network'],
    ),
    line(
      'GPU',
      g === null
        ? 'no WebGPU adapter'
        : `${g.label ?? 'adapter without a name'}${g.fallback === true ? ' (software)' : ''}`,
      ['gpu'],
    ),
  ]
  if (g !== null) {
    lines.push(
      line('largest GPU buffer', g.maxBufferSize === null ? null : formatSize(g.maxBufferSize), [
        'gpu',
      ]),
    )
  }
  return [...lines.filter((l) => l.primary), ...lines.filter((l) => !l.primary)]
}

/** The quantity of a share (cores, bytes, fraction, bytes/s), or null for hours-only types. */
export function shareQuantity(share: AssetShare): number | null {
  switch (share.type) {
    case 'cpu':
      return share.cores
    case 'gpu':
      return share.fraction
    case 'memory':
    case 'storage':
      return share.bytes
    case 'network':
      return share.bytesPerSecond
    default:
      return null
  }
}

/**
 * What the owner offers: `2 cores`, `512 MiB`, `25 % of its time`, `1.2 MiB/s`, then the hours
 * when it is not all day (`· 8 h a day`).
 */
export function shareFigure(share: AssetShare): Figure {
  const value = shareQuantity(share)
  let text: string
  switch (share.type) {
    case 'cpu':
      text = plural(share.cores, 'core', 'cores')
      break
    case 'gpu':
      text = `${+(share.fraction * 100).toFixed(1)} % of its time`
      break
    case 'memory':
    case 'storage':
      text = formatSize(share.bytes)
      break
    case 'network':
      text = `${formatSize(share.bytesPerSecond)}/s`
      break
    default:
      text = 'hours only'
  }
  if (share.hoursPerDay !== undefined) text += ` · ${+share.hoursPerDay.toFixed(2)} h a day`
  return { text, value, known: true }
}

/**
 * The short form of a GlobalAddress's text: the first two groups of the node ID, an ellipsis, the
 * last group of the asset UUID and the port (`a1b2:c3d4:…:6e7f:0001`). The 4 groups of the
 * network prefix are the same for every asset of the public mesh, so they are left out. Text that
 * is not 17 groups comes back as it is.
 */
export function shortAddress(text: string): string {
  const g = text.split(':')
  if (g.length !== 17) return text
  return `${g[4]}:${g[5]}:…:${g[15]}:${g[16]}`
}

// ---------------------------------------------------------------------------------------------
// Online

/** Whether an asset is reachable, as far as this tab can tell (see the module comment). */
export type OnlineState = 'heard' | 'chain' | 'offline' | 'retired'

/** An {@link OnlineState} with its word for the table and the reason for a tooltip. */
export interface Online {
  state: OnlineState
  /** `online`, `on chain`, `offline`, `retired`. */
  text: string
  /** Which half answered, in a sentence. */
  why: string
}

/**
 * When this tab last heard each node's heartbeat (ms, its own clock), by peer ID: the newest
 * heartbeat per node of the snapshot.
 */
export function heardAt(
  nodes: readonly { peerId: string; lastSeen: number }[],
): Map<string, number> {
  const out = new Map<string, number>()
  for (const n of nodes) {
    const prev = out.get(n.peerId)
    if (prev === undefined || n.lastSeen > prev) out.set(n.peerId, n.lastSeen)
  }
  return out
}

/**
 * The online state of an asset.
 *
 * @param asset - the ledger's summary (its chain half: `online`, `lastSeenHeight`)
 * @param heard - when this tab last heard its owner's heartbeat (ms), or null
 * @param self - the owner is this tab's node (alive by definition)
 * @param now - this tab's clock (ms)
 */
export function onlineOf(
  asset: Pick<AssetSummary, 'online' | 'lastSeenHeight' | 'retiredHeight'>,
  heard: number | null,
  self: boolean,
  now: number,
): Online {
  if (asset.retiredHeight !== null) {
    return {
      state: 'retired',
      text: 'retired',
      why: `Retired by its owner at height ${asset.retiredHeight}: it is never online again.`,
    }
  }
  if (self) return { state: 'heard', text: 'online', why: 'Offered by this tab’s own node.' }
  if (heard !== null && now - heard <= HEARD_WITHIN_MS) {
    const age = formatAge(heard, now)
    return {
      state: 'heard',
      text: 'online',
      why: `This tab heard its node’s heartbeat ${age === 'now' || age === '' ? 'just now' : age}.`,
    }
  }
  if (asset.online) {
    return {
      state: 'chain',
      text: 'on chain',
      why: `No heartbeat of its node reached this tab, but its node was active on the ledger at height ${asset.lastSeenHeight} (within ${ASSET_ONLINE_WINDOW_BLOCKS} blocks).`,
    }
  }
  return {
    state: 'offline',
    text: 'offline',
    why: `No heartbeat of its node reached this tab, and the ledger has no sign of life from it since height ${asset.lastSeenHeight}.`,
  }
}

const ONLINE_RANK: Record<OnlineState, number> = { heard: 3, chain: 2, offline: 1, retired: 0 }

// ---------------------------------------------------------------------------------------------
// Rows

/** One row of the asset table. */
export interface AssetRow {
  /** `<type>:<uuid>`. */
  id: string
  type: AssetType
  /** The GlobalAddress, full text (17 groups). */
  address: string
  /** {@link shortAddress}. */
  addressShort: string
  uri: string
  /** The owner's key (hex) and peer ID. */
  owner: string
  peerId: string
  ownerShort: string
  /** Owned by this tab's node. */
  self: boolean
  level: RegisteredLevel
  capacity: Figure
  share: Figure
  online: Online
  registeredHeight: number
  registeredAt: number
  updatedHeight: number
}

/** What rows need besides the assets: this tab's node and what it heard. */
export interface RowContext {
  /** This tab's peer ID, or null before the node runs. */
  selfPeerId: string | null
  /** {@link heardAt} of the snapshot's nodes. */
  heard: ReadonlyMap<string, number>
  now: number
}

/** The table's rows for the ledger's assets, in the order given. */
export function assetRows(assets: readonly AssetSummary[], ctx: RowContext): AssetRow[] {
  return assets.map((a) => {
    const self = a.peerId === ctx.selfPeerId
    return {
      id: a.id,
      type: a.type,
      address: a.address,
      addressShort: shortAddress(a.address),
      uri: a.uri,
      owner: a.owner,
      peerId: a.peerId,
      ownerShort: shortPeerId(a.peerId),
      self,
      level: a.level,
      capacity: capacityFigure(a.type, a.capacity),
      share: shareFigure(a.share),
      online: onlineOf(a, ctx.heard.get(a.peerId) ?? null, self, ctx.now),
      registeredHeight: a.registeredHeight,
      registeredAt: a.registeredAt,
      updatedHeight: a.updatedHeight,
    }
  })
}

// ---------------------------------------------------------------------------------------------
// Filters and sorting

/** The table's filters; `all` lets everything through. */
export interface AssetFilter {
  type: AssetType | 'all'
  level: RegisteredLevel | 'all'
  /** `online`: heard or active on chain; `offline`: neither. */
  online: 'all' | 'online' | 'offline'
}

/** Columns the table sorts by. */
export type AssetSortKey =
  'type' | 'address' | 'owner' | 'level' | 'capacity' | 'share' | 'online' | 'registered'

/** The column sorted by and its direction. */
export interface AssetSort {
  key: AssetSortKey
  dir: 'asc' | 'desc'
}

/** The table's filters and sorting (held in the page's query string). */
export interface AssetListView {
  filter: AssetFilter
  sort: AssetSort
}

/** Everything, newest registration first: the ledger's own order. */
export const DEFAULT_ASSET_LIST_VIEW: AssetListView = Object.freeze({
  filter: Object.freeze({ type: 'all', level: 'all', online: 'all' }),
  sort: Object.freeze({ key: 'registered', dir: 'desc' }),
}) as AssetListView

const SORT_KEYS: readonly AssetSortKey[] = [
  'type',
  'address',
  'owner',
  'level',
  'capacity',
  'share',
  'online',
  'registered',
]

/** Columns whose first click sorts largest first (figures, heights, online first). */
const DESCENDING_FIRST = new Set<AssetSortKey>(['capacity', 'share', 'online', 'registered'])

/** The rows the filter lets through, in their order. */
export function filterAssetRows(rows: readonly AssetRow[], filter: AssetFilter): AssetRow[] {
  return rows.filter(
    (r) =>
      (filter.type === 'all' || r.type === filter.type) &&
      (filter.level === 'all' || r.level === filter.level) &&
      (filter.online === 'all' ||
        (filter.online === 'online') ===
          (r.online.state === 'heard' || r.online.state === 'chain')),
  )
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function sortValue(r: AssetRow, key: AssetSortKey): string | number | null {
  switch (key) {
    case 'type':
      return EXPLORER_ASSET_TYPES.indexOf(r.type)
    case 'address':
      return r.address
    case 'owner':
      return r.peerId
    case 'level':
      return REGISTERED_LEVELS.indexOf(r.level)
    case 'capacity':
      return r.capacity.value
    case 'share':
      return r.share.value
    case 'online':
      return ONLINE_RANK[r.online.state]
    case 'registered':
      return r.registeredHeight
  }
}

/**
 * The rows sorted by a column. Unknown figures go last whatever the direction (an unknown is not
 * small); ties keep the newest registration first, then the asset ID, so the order is total and
 * a live update does not shuffle equal rows.
 */
export function sortAssetRows(rows: readonly AssetRow[], sort: AssetSort): AssetRow[] {
  const sign = sort.dir === 'asc' ? 1 : -1
  return [...rows].sort((a, b) => {
    const va = sortValue(a, sort.key)
    const vb = sortValue(b, sort.key)
    if (va === null || vb === null) {
      if (va !== vb) return va === null ? 1 : -1
    } else {
      const c =
        typeof va === 'number' && typeof vb === 'number'
          ? va - vb
          : compareText(String(va), String(vb))
      if (c !== 0) return sign * c
    }
    return b.registeredHeight - a.registeredHeight || compareText(a.id, b.id)
  })
}

/** A click on a column header: the same column flips its direction, another starts afresh. */
export function toggleSort(current: AssetSort, key: AssetSortKey): AssetSort {
  if (current.key === key) return { key, dir: current.dir === 'asc' ? 'desc' : 'asc' }
  return { key, dir: DESCENDING_FIRST.has(key) ? 'desc' : 'asc' }
}

/** How many rows of each type, level and online state (for the filters' labels). */
export function assetCounts(rows: readonly AssetRow[]): {
  type: Partial<Record<AssetType, number>>
  level: Partial<Record<RegisteredLevel, number>>
  online: number
  offline: number
} {
  const type: Partial<Record<AssetType, number>> = {}
  const level: Partial<Record<RegisteredLevel, number>> = {}
  let online = 0
  for (const r of rows) {
    type[r.type] = (type[r.type] ?? 0) + 1
    level[r.level] = (level[r.level] ?? 0) + 1
    if (r.online.state === 'heard' || r.online.state === 'chain') online++
  }
  return { type, level, online, offline: rows.length - online }
}

type Params = Record<string, string | string[] | undefined>

function first(params: Params, name: string): string | undefined {
  const v = params[name]
  return Array.isArray(v) ? v[0] : v
}

/**
 * The table's view from the page's query string (`?type=cpu&level=full-public&online=online&
 * sort=share&dir=asc`). A value it does not know is ignored, with a sentence saying so.
 */
export function parseAssetListView(params: Params): { view: AssetListView; problems: string[] } {
  const problems: string[] = []
  const d = DEFAULT_ASSET_LIST_VIEW
  const type = first(params, 'type')
  const level = first(params, 'level')
  const online = first(params, 'online')
  const sort = first(params, 'sort')
  const dir = first(params, 'dir')
  const view: AssetListView = {
    filter: {
      type:
        type === undefined || type === 'all'
          ? 'all'
          : isAssetType(type)
            ? type
            : (problems.push(
                `Ignored type “${type}”: types are ${EXPLORER_ASSET_TYPES.join(', ')}.`,
              ),
              'all'),
      level:
        level === undefined || level === 'all'
          ? 'all'
          : (REGISTERED_LEVELS as readonly string[]).includes(level)
            ? (level as RegisteredLevel)
            : (problems.push(
                `Ignored level “${level}”: the ledger lists ${REGISTERED_LEVELS.join(' and ')} assets only.`,
              ),
              'all'),
      online:
        online === undefined || online === 'all'
          ? 'all'
          : online === 'online' || online === 'offline'
            ? online
            : (problems.push(`Ignored online “${online}”: use online or offline.`), 'all'),
    },
    sort: { ...d.sort },
  }
  if (sort !== undefined) {
    if ((SORT_KEYS as readonly string[]).includes(sort)) {
      view.sort = {
        key: sort as AssetSortKey,
        dir: DESCENDING_FIRST.has(sort as AssetSortKey) ? 'desc' : 'asc',
      }
    } else {
      problems.push(`Ignored sort “${sort}”: columns are ${SORT_KEYS.join(', ')}.`)
    }
  }
  if (dir !== undefined) {
    if (dir === 'asc' || dir === 'desc') view.sort = { ...view.sort, dir }
    else problems.push(`Ignored dir “${dir}”: use asc or desc.`)
  }
  return { view, problems }
}

/** The query string of a view (`?type=cpu&sort=share`), empty for the default view. */
export function assetListSearch(view: AssetListView): string {
  const p = new URLSearchParams()
  const d = DEFAULT_ASSET_LIST_VIEW
  if (view.filter.type !== 'all') p.set('type', view.filter.type)
  if (view.filter.level !== 'all') p.set('level', view.filter.level)
  if (view.filter.online !== 'all') p.set('online', view.filter.online)
  if (view.sort.key !== d.sort.key || view.sort.dir !== d.sort.dir) {
    p.set('sort', view.sort.key)
    p.set('dir', view.sort.dir)
  }
  const s = p.toString()
  return s === '' ? '' : `?${s}`
}

// ---------------------------------------------------------------------------------------------
// Routes

/** The explorer's asset list, with a view. */
export function assetListRoute(view: AssetListView = DEFAULT_ASSET_LIST_VIEW): string {
  return `/explorer/assets${assetListSearch(view)}`
}

/** The file an asset's proof of state is saved under: `proof-asset-memory-0f8e….cbor`. */
export function assetProofFileName(id: string): string {
  return `proof-asset-${id.replace(/[^0-9a-z-]+/gi, '-')}.cbor`
}

// ---------------------------------------------------------------------------------------------
// The search box

/** How an asset was named. */
export type AssetQueryForm = 'asset-id' | 'asset-uuid' | 'global-address' | 'uri'

/** What the explorer's search box holds (beyond blocks, transactions and keys: chain-view). */
export type ExplorerSearch =
  | { kind: 'asset'; form: AssetQueryForm; query: string }
  | { kind: 'node'; peerId: string }
  | SearchQuery

const FORM_NAMES: Record<AssetQueryForm, string> = {
  'asset-id': 'asset ID',
  'asset-uuid': 'asset UUID',
  'global-address': 'GlobalAddress',
  uri: 'hypermesh:// URI',
}

/**
 * Read an asset query in canonical form, or in upper case for the hex forms (a GlobalAddress, an
 * asset ID or UUID copied from somewhere that shouts); peer IDs and URIs are case-sensitive
 * (base58) and must be exact.
 */
function readAssetQuery(t: string): ExplorerSearch | null {
  let q = parseAssetQuery(t)
  let text = t
  if (q === null && !t.startsWith('hypermesh://')) {
    const lower = t.toLowerCase()
    const l = parseAssetQuery(lower)
    if (l !== null && l.kind !== 'peer-id') {
      q = l
      text = lower
    }
  }
  if (q === null) return null
  if (q.kind === 'peer-id') return { kind: 'node', peerId: q.peerId }
  return { kind: 'asset', form: q.kind, query: text }
}

function detail(fn: () => unknown): string {
  try {
    fn()
    return ''
  } catch (err) {
    return err instanceof AssetError ? ` ${err.message}` : ''
  }
}

const GENERIC_HINT =
  'Type a block height, a transaction hash, a peer ID (12D3KooW…), a 64-digit hex key, an asset ID (memory:…), a GlobalAddress (6879:7065:…) or a hypermesh:// URI.'

/** A sentence for text that is none of the forms, naming the form it seems to attempt. */
function badQueryMessage(t: string, fallback: string): string {
  if (t.startsWith('hypermesh://')) {
    return `That hypermesh:// URI does not read.${detail(() => parseHypermeshUri(t))} It is written hypermesh://<peer ID>/<asset UUID>:<port>.`
  }
  const lower = t.toLowerCase()
  if (/^[0-9a-f]*(?::[0-9a-f]*){3,}$/.test(lower)) {
    const why = lower.split(':').length === 17 ? detail(() => parseGlobalAddress(lower)) : ''
    return `That is not a GlobalAddress.${why === '' ? ' Its text form is 17 groups of 4 hex digits, never shortened with “::”.' : why}`
  }
  const colon = lower.indexOf(':')
  if (colon > 0 && /^[a-z]+$/.test(lower.slice(0, colon))) {
    return `That is not an asset ID.${detail(() => parseAssetId(lower))} An asset ID is <type>:<uuid>, e.g. memory:0f8e3a52-1c7d-4b9e-a0f1-5d2c3b4a6e7f.`
  }
  if (/^[0-9a-f-]{30,40}$/.test(lower) && lower.includes('-')) {
    return `That is not an asset UUID.${detail(() => parseAssetUuid(lower))}`
  }
  return fallback
}

/**
 * Read the explorer's search box: an asset (asset ID, bare UUID, GlobalAddress, `hypermesh://`
 * URI), a node (peer ID), or what chain-view's `parseSearch` reads (block height, transaction
 * hash or hex key). Never throws; text that is none of these gets a sentence saying what is
 * accepted, naming the form it seems to attempt.
 *
 * @example
 * ```ts
 * parseExplorerSearch('12D3KooW…') // { kind: 'node', peerId: '12D3KooW…' }
 * ```
 */
export function parseExplorerSearch(text: string): ExplorerSearch {
  const t = typeof text === 'string' ? text.trim() : ''
  if (t === '') return { kind: 'empty' }
  const asset = readAssetQuery(t)
  if (asset !== null) return asset
  const chain = parseSearch(t)
  if (chain.kind !== 'invalid') return chain
  return {
    kind: 'invalid',
    message: badQueryMessage(t, /^12D3KooW/.test(t) ? chain.message : GENERIC_HINT),
  }
}

/** What {@link resolveExplorerSearch} asks the ledger. */
export interface SearchLookups {
  /** Whether a committed transaction has this hash. */
  findTx(hash: string): Promise<boolean>
  /** The asset ID (`<type>:<uuid>`) of the registered asset the query names, or null. */
  findAsset(query: string): Promise<string | null>
}

/**
 * Where a search goes: the asset page of a registered asset (looked up, so that a GlobalAddress
 * or URI that names no registered asset says so at once instead of opening an empty page), the
 * node page of a peer ID, or a block, transaction or account page. Resolves to a sentence when
 * there is nowhere to go.
 */
export async function resolveExplorerSearch(
  text: string,
  lookups: SearchLookups,
): Promise<{ route: string } | { message: string }> {
  const q = parseExplorerSearch(text)
  switch (q.kind) {
    case 'empty':
      return { message: 'Type something to look for.' }
    case 'invalid':
      return { message: q.message }
    case 'asset': {
      const id = await lookups.findAsset(q.query)
      if (id !== null) return { route: assetRoute(id) }
      return {
        message: `No registered asset has that ${FORM_NAMES[q.form]} in this node’s ledger. Assets are private until their owner publishes them (public-network or full-public), and a new registration appears once it is in a block.`,
      }
    }
    case 'node':
      return { route: nodeRoute(q.peerId) }
    case 'hash-or-key':
      return {
        route: explorerRoute(
          (await lookups.findTx(q.hex))
            ? { kind: 'tx', hash: q.hex }
            : { kind: 'account', key: q.hex },
        ),
      }
    default:
      return { route: explorerRoute(q) }
  }
}

/**
 * The transaction of a block that registered or updated an asset: the last one of `kinds` whose
 * `id` field is the asset ID (a block may hold several updates of one asset; the last one
 * wrote the record). Null when the block holds none.
 */
export function assetTxOf(
  txs: readonly TxSummary[],
  id: string,
  kinds: readonly ('register-asset' | 'update-asset' | 'retire-asset')[],
): TxSummary | null {
  for (let i = txs.length - 1; i >= 0; i--) {
    const tx = txs[i]!
    if ((kinds as readonly string[]).includes(tx.kind) && tx.fields.id === id) return tx
  }
  return null
}

// ---------------------------------------------------------------------------------------------
// Route segments

/** The asset page's segment: any asset form, decoded; or why it is none. */
export function parseAssetSegment(
  segment: string,
): { ok: true; query: string; form: AssetQueryForm } | { ok: false; message: string } {
  let text: string
  try {
    text = decodeURIComponent(segment).trim()
  } catch {
    text = segment.trim()
  }
  const q = readAssetQuery(text)
  if (q !== null && q.kind === 'asset') return { ok: true, query: q.query, form: q.form }
  return {
    ok: false,
    message: `“${text.slice(0, 100)}” does not name an asset: use an asset ID (memory:<uuid>), an asset UUID, a GlobalAddress or a hypermesh:// URI.`,
  }
}

/** The node page's segment: a peer ID or a 64-digit hex key; null when it is neither. */
export function parseNodeSegment(segment: string): { peerId: string; keyHex: string } | null {
  let text: string
  try {
    text = decodeURIComponent(segment).trim()
  } catch {
    text = segment.trim()
  }
  if (isPeerId(text)) return { peerId: text, keyHex: keyHexFromPeerId(text) }
  const hex = /^(?:0x)?([0-9a-fA-F]{64})$/.exec(text)
  if (hex === null) return null
  try {
    const keyHex = hex[1]!.toLowerCase()
    return { peerId: peerIdFromKeyHex(keyHex), keyHex }
  } catch {
    return null
  }
}

/**
 * Whether this tab's ledger will not answer (the server runs none, or it failed): pages stop
 * showing "loading" and say so instead. Starting is not down.
 */
export function ledgerDown(ledger: Pick<MeshSnapshot['ledger'], 'status'>): boolean {
  return ledger.status === 'unavailable' || ledger.status === 'failed'
}

// ---------------------------------------------------------------------------------------------
// What this tab heard of a node

/** A node as this tab knows it from heartbeats and its own links. */
export interface HeardNode {
  /** This tab's own node. */
  self: boolean
  /** When its latest heartbeat arrived (ms, this tab's clock); `now` for this tab. */
  lastSeen: number
  /** Within {@link HEARD_WITHIN_MS} (always for this tab). */
  recent: boolean
  /** Its Vivaldi coordinate as its heartbeat gave it, or null. */
  coordinate: Coordinate | null
  /** Its direct peers, as its heartbeat lists them (this tab: its open WebRTC links). */
  neighbours: { peerId: string; rttMs: number | null }[]
  capabilities: CapabilitySummary | null
  appVersion: string | null
  /** The RTT measured on this tab's direct link to it, ms; null when not a direct peer. */
  linkRttMs: number | null
  /** The RTT its coordinate and this tab's predict (Vivaldi), ms; null without both. */
  predictedRttMs: number | null
}

function validCoordinate(c: Coordinate | null | undefined): Coordinate | null {
  if (c === null || c === undefined || !Array.isArray(c.vec)) return null
  const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x)
  return c.vec.every(finite) && finite(c.height) && finite(c.error) ? c : null
}

/**
 * What this tab heard of `peerId`: its latest heartbeat (coordinate, direct peers, capabilities),
 * the RTT of this tab's own link to it, and the RTT their coordinates predict. Null when no
 * heartbeat of it is in the snapshot (the mesh forgets a node 30 s after its last one).
 */
export function heardNode(
  snapshot: Pick<MeshSnapshot, 'peerId' | 'nodes' | 'connections' | 'coordinate'>,
  peerId: string,
  now: number,
): HeardNode | null {
  const self = snapshot.peerId !== null && snapshot.peerId === peerId
  let info: MeshSnapshot['nodes'][number] | undefined
  for (const n of snapshot.nodes) {
    if (n.peerId === peerId && (info === undefined || n.lastSeen > info.lastSeen)) info = n
  }
  if (!self && info === undefined) return null
  const own = validCoordinate(snapshot.coordinate)
  if (self) {
    const links = new Map<string, number | null>()
    for (const c of snapshot.connections) {
      if (c.transport !== 'webrtc') continue
      const prev = links.get(c.peerId)
      if (prev === undefined || prev === null || (c.rttMs !== null && c.rttMs < prev)) {
        links.set(c.peerId, c.rttMs)
      }
    }
    return {
      self: true,
      lastSeen: now,
      recent: true,
      coordinate: own ?? validCoordinate(info?.coordinate),
      neighbours: [...links].map(([id, rttMs]) => ({ peerId: id, rttMs })),
      capabilities: info?.capabilities ?? null,
      appVersion: info?.appVersion ?? null,
      linkRttMs: null,
      predictedRttMs: null,
    }
  }
  const n = info!
  const theirs = validCoordinate(n.coordinate)
  let linkRttMs: number | null = null
  for (const c of snapshot.connections) {
    if (c.peerId !== peerId || c.transport !== 'webrtc' || c.rttMs === null) continue
    if (linkRttMs === null || c.rttMs < linkRttMs) linkRttMs = c.rttMs
  }
  let predictedRttMs: number | null = null
  if (own !== null && theirs !== null && own.vec.length === theirs.vec.length) {
    const d = distanceMs(
      { ...own, adjustment: own.adjustment ?? 0 },
      { ...theirs, adjustment: theirs.adjustment ?? 0 },
    )
    predictedRttMs = Number.isFinite(d) ? d : null
  }
  return {
    self: false,
    lastSeen: n.lastSeen,
    recent: now - n.lastSeen <= HEARD_WITHIN_MS,
    coordinate: theirs,
    neighbours: n.neighbours.map((x) => ({ peerId: x.peerId, rttMs: x.rttMs })),
    capabilities: n.capabilities,
    appVersion: n.appVersion === '' ? null : n.appVersion,
    linkRttMs,
    predictedRttMs,
  }
}

/** A coordinate in one line: `[3.1, 1.0, …] ms · height 0.5 ms · error 0.20`. */
export function formatCoordinate(c: {
  vec: readonly number[]
  height: number
  error: number
}): string {
  return `[${c.vec.map((v) => v.toFixed(1)).join(', ')}] ms · height ${c.height.toFixed(1)} ms · error ${c.error.toFixed(2)}`
}
