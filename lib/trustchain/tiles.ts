/**
 * C2SP tlog-tiles (https://c2sp.org/tlog-tiles): the static form in which the TrustChain log
 * publishes its Merkle tree and entries, so standard tlog tooling can audit it.
 *
 * A tile at level L holds up to 256 consecutive hashes at tree level 8·L; the levels in between
 * are recomputed from the tile below. The log serves `tile/<L>/<N>[.p/<W>]` (hashes) and
 * `tile/entries/<N>[.p/<W>]` (entry bundles); clients fetch the tiles they need and compute
 * proofs themselves with {@link tileHashReader}.
 *
 * Pure code: no I/O, no clock, no randomness. Runs in the browser, in workers and in Node.
 */
import { TrustchainError } from './errors'
import {
  HASH_BYTES,
  MAX_TREE_SIZE,
  nodeHash,
  splitStoredHashIndex,
  storedHashCount,
  storedHashIndex,
  type HashReader,
  type ReadOptions,
} from './merkle'

/** Tree levels one tile spans. */
export const TILE_HEIGHT = 8

/** Hashes (or entries) in a full tile: 2^{@link TILE_HEIGHT}. */
export const TILE_WIDTH = 256

/** Highest tile level a path may name (tlog-tiles: 0 to 63). */
export const MAX_TILE_LEVEL = 63

/** Most bytes of one entry in an entry bundle (its length is a big-endian uint16). */
export const MAX_BUNDLE_ENTRY_BYTES = 0xffff

/**
 * A tile: `index` within `level`, holding `width` hashes (1 to 256; 256 is a full tile, anything
 * less a partial tile at the right edge of the tree).
 */
export interface TileRef {
  level: number
  index: number
  width: number
}

/** A decoded tile path: a hash tile, or an entry bundle (which lives at level 0). */
export type ParsedTilePath =
  | { kind: 'hash'; level: number; index: number; width: number }
  | { kind: 'entries'; index: number; width: number }

/** A request path that is not the canonical encoding of a tile or an entry bundle. */
export class TilePathError extends TrustchainError {
  override readonly name = 'TilePathError'
  readonly code = 'ERR_TILE_PATH'
}

/** Bytes that are not a well-formed entry bundle. */
export class EntryBundleError extends TrustchainError {
  override readonly name = 'EntryBundleError'
  readonly code = 'ERR_ENTRY_BUNDLE'
}

/** A fetched tile whose length is not 32 bytes times its width. */
export class TileDataError extends TrustchainError {
  override readonly name = 'TileDataError'
  readonly code = 'ERR_TILE_DATA'
}

/**
 * Path of a hash tile, relative to the log prefix.
 *
 * @example
 * tilePath({ level: 0, index: 1234067, width: 256 }) // 'tile/0/x001/x234/067'
 * tilePath({ level: 1, index: 1, width: 17 }) // 'tile/1/001.p/17'
 */
export function tilePath(t: TileRef): string {
  checkTile('tilePath', t)
  return `tile/${t.level}/${encodeIndex(t.index)}${partialSuffix(t.width)}`
}

/**
 * Path of an entry bundle, relative to the log prefix.
 *
 * @example
 * entriesPath(0, 5) // 'tile/entries/000.p/5'
 */
export function entriesPath(index: number, width: number = TILE_WIDTH): string {
  checkTile('entriesPath', { level: 0, index, width })
  return `tile/entries/${encodeIndex(index)}${partialSuffix(width)}`
}

/**
 * Decode a tile or entry-bundle path (relative to the log prefix, no leading slash). Accepts only
 * the canonical encoding {@link tilePath} and {@link entriesPath} produce, so every resource has
 * exactly one name.
 *
 * @throws TilePathError for anything else
 */
export function parseTilePath(path: string): ParsedTilePath {
  const fail = (why: string) => new TilePathError(`parseTilePath: ${why}`)
  if (typeof path !== 'string') throw fail('path must be a string')
  // The longest canonical path is 47 characters; refuse long input before splitting it.
  if (path.length > 64) throw fail('path is too long')
  const parts = path.split('/')
  if (parts[0] !== 'tile' || parts.length < 3) throw fail('path must start with tile/<L>/')
  const entries = parts[1] === 'entries'
  let level = 0
  if (!entries) {
    const l = parts[1]!
    if (!/^(0|[1-9][0-9]?)$/.test(l) || Number(l) > MAX_TILE_LEVEL) {
      throw fail('level must be a decimal integer from 0 to 63 without leading zeroes')
    }
    level = Number(l)
  }
  const elements = parts.slice(2)
  let width = TILE_WIDTH
  const last = elements[elements.length - 1]!
  const beforeLast = elements[elements.length - 2]
  if (beforeLast !== undefined && beforeLast.endsWith('.p')) {
    if (!/^[1-9][0-9]{0,2}$/.test(last) || Number(last) >= TILE_WIDTH) {
      throw fail('partial width must be a decimal integer from 1 to 255 without leading zeroes')
    }
    width = Number(last)
    elements.pop()
    elements[elements.length - 1] = beforeLast.slice(0, -2)
  }
  // At most six 3-digit groups: an index below 2^53 has at most 16 digits.
  if (elements.length > 6) throw fail('index is too large')
  const digits: string[] = []
  elements.forEach((e, i) => {
    const group = i < elements.length - 1 ? /^x([0-9]{3})$/.exec(e) : /^([0-9]{3})$/.exec(e)
    if (group === null) {
      throw fail('index must be 3-digit groups, all but the last prefixed with x')
    }
    digits.push(group[1]!)
  })
  if (elements.length > 1 && digits[0] === '000') throw fail('index has a leading zero group')
  const index = Number(digits.join(''))
  if (!Number.isSafeInteger(index)) throw fail('index is too large')
  return entries ? { kind: 'entries', index, width } : { kind: 'hash', level, index, width }
}

/**
 * Stored-hash indexes (see {@link storedHashIndex}) of the hashes a hash tile holds: tree level
 * 8·level, positions index·256 to index·256 + width − 1.
 */
export function tileHashIndexes(t: TileRef): number[] {
  checkTile('tileHashIndexes', t)
  const first = t.index * TILE_WIDTH
  const out: number[] = []
  for (let i = 0; i < t.width; i++) out.push(storedHashIndex(TILE_HEIGHT * t.level, first + i))
  return out
}

/** Content of a hash tile: its hashes concatenated, read from stored hashes. */
export async function readTile(
  t: TileRef,
  reader: HashReader,
  options: ReadOptions = {},
): Promise<Uint8Array> {
  const indexes = tileHashIndexes(t)
  const hashes = await reader.readHashes(indexes, options)
  if (!Array.isArray(hashes) || hashes.length !== indexes.length) {
    throw new TileDataError(`readTile: the hash reader returned the wrong number of hashes`)
  }
  const out = new Uint8Array(indexes.length * HASH_BYTES)
  hashes.forEach((h, i) => {
    if (!(h instanceof Uint8Array) || h.length !== HASH_BYTES) {
      throw new TileDataError(`readTile: the hash reader returned a malformed hash`)
    }
    out.set(h, i * HASH_BYTES)
  })
  return out
}

/**
 * The tile `index` of `level` as it stands in a tree of `treeSize` records: full, partial, or
 * `undefined` when it has no hash yet (tlog-tiles: empty tiles are never served). The same
 * applies to entry bundles with level 0.
 */
export function tileForSize(level: number, index: number, treeSize: number): TileRef | undefined {
  checkTile('tileForSize', { level, index, width: TILE_WIDTH })
  checkSize('tileForSize', treeSize)
  const width = Math.min(TILE_WIDTH, hashesAtLevel(level, treeSize) - index * TILE_WIDTH)
  return width > 0 ? { level, index, width } : undefined
}

/**
 * Whether a tree of `treeSize` records can answer a request for `t`: the tile has at least
 * `t.width` hashes at that size. Hashes never change once written, so a narrower partial tile
 * than the current one is still correct to serve.
 */
export function isTileAvailable(t: TileRef, treeSize: number): boolean {
  checkTile('isTileAvailable', t)
  checkSize('isTileAvailable', treeSize)
  return hashesAtLevel(t.level, treeSize) >= t.index * TILE_WIDTH + t.width
}

/**
 * The right-most tile of every level of a tree of `treeSize` records, lowest level first: the
 * tiles whose width depends on the tree size. Every other tile of the tree is full.
 *
 * @example
 * tilesForTreeSize(70000)
 * // [{ level: 0, index: 273, width: 112 }, { level: 1, index: 1, width: 17 },
 * //  { level: 2, index: 0, width: 1 }]
 */
export function tilesForTreeSize(treeSize: number): TileRef[] {
  checkSize('tilesForTreeSize', treeSize)
  const out: TileRef[] = []
  for (let level = 0; ; level++) {
    const count = hashesAtLevel(level, treeSize)
    if (count === 0) return out
    const index = Math.floor((count - 1) / TILE_WIDTH)
    out.push({ level, index, width: count - index * TILE_WIDTH })
  }
}

/**
 * Tiles to write when the tree grows from `oldSize` to `newSize` records: every tile that gains
 * hashes, at its width in the new tree, lowest level first then by index.
 */
export function newTiles(oldSize: number, newSize: number): TileRef[] {
  checkSize('newTiles', oldSize)
  checkSize('newTiles', newSize)
  if (oldSize > newSize) {
    throw new RangeError(`newTiles: oldSize ${oldSize} is larger than newSize ${newSize}`)
  }
  const out: TileRef[] = []
  for (let level = 0; ; level++) {
    const before = hashesAtLevel(level, oldSize)
    const after = hashesAtLevel(level, newSize)
    if (after === before) {
      if (after === 0) return out
      continue
    }
    for (let index = Math.floor(before / TILE_WIDTH); index * TILE_WIDTH < after; index++) {
      out.push({ level, index, width: Math.min(TILE_WIDTH, after - index * TILE_WIDTH) })
    }
  }
}

/**
 * Encode an entry bundle: each entry as a big-endian uint16 length and its bytes. tlog-tiles
 * sets no lower bound on an entry's length and RFC 6962 hashes empty entries like any other, so
 * empty entries are allowed.
 *
 * @param entries - 1 to 256 entries of at most 65535 bytes each
 */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  if (!Array.isArray(entries) || entries.length < 1 || entries.length > TILE_WIDTH) {
    throw new RangeError(`encodeEntryBundle: a bundle holds 1 to ${TILE_WIDTH} entries`)
  }
  let total = 0
  for (const e of entries) {
    if (!(e instanceof Uint8Array)) {
      throw new TypeError('encodeEntryBundle: every entry must be a Uint8Array')
    }
    if (e.length > MAX_BUNDLE_ENTRY_BYTES) {
      throw new RangeError(
        `encodeEntryBundle: an entry of ${e.length} bytes exceeds ${MAX_BUNDLE_ENTRY_BYTES}`,
      )
    }
    total += 2 + e.length
  }
  const out = new Uint8Array(total)
  let at = 0
  for (const e of entries) {
    out[at] = e.length >>> 8
    out[at + 1] = e.length & 0xff
    out.set(e, at + 2)
    at += 2 + e.length
  }
  return out
}

/**
 * Decode an entry bundle (network input: what an auditor fetches from `tile/entries/…`).
 *
 * @param width - when given, the number of entries the bundle must hold (its path's width)
 * @returns copies of the entries, in order
 * @throws EntryBundleError if the bytes are empty, truncated, hold more than 256 entries, or
 *   not `width` entries
 */
export function decodeEntryBundle(bytes: Uint8Array, width?: number): Uint8Array[] {
  const fail = (why: string) => new EntryBundleError(`decodeEntryBundle: ${why}`)
  if (!(bytes instanceof Uint8Array)) throw fail('bundle must be a Uint8Array')
  if (width !== undefined && !(Number.isInteger(width) && width >= 1 && width <= TILE_WIDTH)) {
    throw fail(`width must be an integer from 1 to ${TILE_WIDTH}`)
  }
  if (bytes.length === 0) throw fail('bundle is empty')
  const entries: Uint8Array[] = []
  let at = 0
  while (at < bytes.length) {
    if (entries.length === TILE_WIDTH) throw fail(`bundle holds more than ${TILE_WIDTH} entries`)
    if (at + 2 > bytes.length) throw fail(`truncated length prefix at byte ${at}`)
    const length = (bytes[at]! << 8) | bytes[at + 1]!
    at += 2
    if (at + length > bytes.length) throw fail(`entry ${entries.length} is truncated`)
    entries.push(bytes.slice(at, at + length))
    at += length
  }
  if (width !== undefined && entries.length !== width) {
    throw fail(`bundle holds ${entries.length} entries, its path says ${width}`)
  }
  return entries
}

/**
 * A {@link HashReader} for a tree of `treeSize` records that serves stored hashes from tiles,
 * fetched through `fetchTile`: what an auditor or a peer uses to compute proofs and tree hashes
 * from a tiled log. It asks only for tiles that exist at `treeSize`, each at its width at that
 * size; hashes at tree levels between tile levels are recomputed from the tile below.
 *
 * Tiles are not authenticated here: check what you compute against a signed checkpoint
 * (compare {@link treeHash} with its root; verify proofs with `verifyInclusion` /
 * `verifyConsistency`), so a wrong tile leads to a rejected proof, never to a false one.
 *
 * @param fetchTile - fetches `tilePath(t)` from the log
 */
export function tileHashReader(
  treeSize: number,
  fetchTile: (t: TileRef, options?: ReadOptions) => Promise<Uint8Array>,
): HashReader {
  checkSize('tileHashReader', treeSize)
  if (typeof fetchTile !== 'function') {
    throw new TypeError('tileHashReader: fetchTile must be a function')
  }
  const stored = storedHashCount(treeSize)
  return {
    async readHashes(indexes, options = {}) {
      // Plan first, so each tile is fetched once per call and all fetches run in parallel.
      const plans = indexes.map((x) => {
        if (!Number.isSafeInteger(x) || x < 0 || x >= stored) {
          throw new RangeError(
            `tileHashReader: stored hash ${x} is not in a tree of size ${treeSize}`,
          )
        }
        const { level, n } = splitStoredHashIndex(x)
        const tileLevel = Math.floor(level / TILE_HEIGHT)
        const height = level - tileLevel * TILE_HEIGHT
        // The subtree covers 2^height consecutive hashes of its tile, which lie in one tile
        // because height < 8 and the subtree is aligned.
        const first = n * 2 ** height
        const tileIndex = Math.floor(first / TILE_WIDTH)
        return {
          key: `${tileLevel}/${tileIndex}`,
          tileLevel,
          tileIndex,
          offset: first - tileIndex * TILE_WIDTH,
          height,
        }
      })
      const tiles = new Map<string, Promise<Uint8Array>>()
      for (const p of plans) {
        if (tiles.has(p.key)) continue
        // A stored hash exists only once its subtree is complete, so its tile exists too.
        const t = tileForSize(p.tileLevel, p.tileIndex, treeSize)!
        tiles.set(p.key, fetchChecked(fetchTile, t, options))
      }
      const fetched = new Map<string, Uint8Array>()
      await Promise.all(
        [...tiles].map(async ([key, data]) => {
          fetched.set(key, await data)
        }),
      )
      return plans.map((p) => subtreeHash(fetched.get(p.key)!, p.offset, p.height))
    },
  }
}

// ---------------------------------------------------------------------------------------------

async function fetchChecked(
  fetchTile: (t: TileRef, options?: ReadOptions) => Promise<Uint8Array>,
  t: TileRef,
  options: ReadOptions,
): Promise<Uint8Array> {
  const data = await fetchTile(t, options)
  if (!(data instanceof Uint8Array) || data.length !== t.width * HASH_BYTES) {
    throw new TileDataError(
      `tileHashReader: tile ${tilePath(t)} must be ${t.width * HASH_BYTES} bytes`,
    )
  }
  return data
}

/** Hash of the perfect subtree over 2^height tile hashes starting at `offset`. */
function subtreeHash(tile: Uint8Array, offset: number, height: number): Uint8Array {
  let layer: Uint8Array[] = []
  for (let i = 0; i < 2 ** height; i++) {
    const at = (offset + i) * HASH_BYTES
    layer.push(tile.slice(at, at + HASH_BYTES))
  }
  while (layer.length > 1) {
    const next: Uint8Array[] = []
    for (let i = 0; i < layer.length; i += 2) next.push(nodeHash(layer[i]!, layer[i + 1]!))
    layer = next
  }
  return layer[0]!
}

/** Number of complete subtrees at tree level 8·level in a tree of `treeSize` records. */
function hashesAtLevel(level: number, treeSize: number): number {
  // Dividing by a power of two is exact in floating point, so this floor is exact too.
  return Math.floor(treeSize / 2 ** (TILE_HEIGHT * level))
}

/** N as zero-padded 3-digit groups, all but the last prefixed with x: 1234067 → x001/x234/067. */
function encodeIndex(index: number): string {
  let digits = String(index)
  digits = digits.padStart(Math.ceil(digits.length / 3) * 3, '0')
  const groups: string[] = []
  for (let i = 0; i < digits.length; i += 3) groups.push(digits.slice(i, i + 3))
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/')
}

function partialSuffix(width: number): string {
  return width === TILE_WIDTH ? '' : `.p/${width}`
}

function checkTile(fn: string, t: TileRef): void {
  if (typeof t !== 'object' || t === null) throw new TypeError(`${fn}: tile must be an object`)
  const { level, index, width } = t
  if (!Number.isInteger(level) || level < 0 || level > MAX_TILE_LEVEL) {
    throw new RangeError(`${fn}: level must be an integer from 0 to ${MAX_TILE_LEVEL}`)
  }
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new RangeError(`${fn}: index must be a non-negative safe integer`)
  }
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) {
    throw new RangeError(`${fn}: width must be an integer from 1 to ${TILE_WIDTH}`)
  }
}

function checkSize(fn: string, size: number): void {
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_TREE_SIZE) {
    throw new RangeError(`${fn}: tree size must be an integer from 0 to 2^52`)
  }
}
