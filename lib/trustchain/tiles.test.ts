import { sha256 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { TrustchainError } from './errors'
import {
  leafHash,
  proveConsistency,
  proveInclusion,
  storedHashCount,
  storedHashesForRecord,
  storedHashIndex,
  treeHash,
  type HashReader,
} from './merkle'
import {
  EntryBundleError,
  MAX_TILE_LEVEL,
  TILE_HEIGHT,
  TILE_WIDTH,
  TileDataError,
  TilePathError,
  decodeEntryBundle,
  encodeEntryBundle,
  entriesPath,
  isTileAvailable,
  newTiles,
  parseTilePath,
  readTile,
  tileForSize,
  tileHashIndexes,
  tileHashReader,
  tilePath,
  tilesForTreeSize,
  type TileRef,
} from './tiles'

// ---------------------------------------------------------------------------------------------
// Fixtures

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const entryOf = (i: number): Uint8Array => new TextEncoder().encode(`entry ${i}`)

/** Stored hashes in memory, appended as a log would. */
const stored: Uint8Array[] = []
const direct: HashReader = {
  readHashes: async (indexes) =>
    indexes.map((i) => {
      const h = stored[i]
      if (h === undefined) throw new Error(`no stored hash ${i}`)
      return h
    }),
}

// 70 000 records: the tlog-tiles example size, with full and partial tiles at levels 0 to 2.
const TREE = 70_000
for (let n = 0; n < TREE; n++)
  stored.push(...(await storedHashesForRecord(n, leafHash(entryOf(n)), direct)))

/** Root of a perfect tree over 2^k hashes, by levels. */
function perfectRoot(hashes: readonly Uint8Array[]): Uint8Array {
  let layer = hashes
  while (layer.length > 1) {
    const next: Uint8Array[] = []
    for (let i = 0; i < layer.length; i += 2) {
      next.push(sha256(Uint8Array.of(1, ...layer[i]!, ...layer[i + 1]!)))
    }
    layer = next
  }
  return layer[0]!
}

/** Split a tile's bytes into its hashes. */
function hashesOf(tile: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let at = 0; at < tile.length; at += 32) out.push(tile.slice(at, at + 32))
  return out
}

function thrown(f: () => unknown): unknown {
  try {
    f()
  } catch (err) {
    return err
  }
  throw new Error('expected the call to throw')
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p
  } catch (err) {
    return err
  }
  throw new Error('expected the promise to reject')
}

/** Spec formula: hashes at tree level 8·level in a tree of `size` records. */
const countAt = (level: number, size: number) => Math.floor(size / 256 ** level)

const tileRef = fc.record({
  level: fc.integer({ min: 0, max: MAX_TILE_LEVEL }),
  index: fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.maxSafeNat()),
  width: fc.integer({ min: 1, max: TILE_WIDTH }),
})

/** A tile server over the stored hashes that answers only tiles a tree of `size` publishes. */
function tileServer(size: number, fetched: TileRef[] = []) {
  return async (t: TileRef): Promise<Uint8Array> => {
    expect(tileForSize(t.level, t.index, size)).toEqual(t)
    fetched.push(t)
    return readTile(t, direct)
  }
}

// ---------------------------------------------------------------------------------------------

describe('tile paths', () => {
  it('encode the index as x-prefixed 3-digit groups (spec examples)', () => {
    expect(tilePath({ level: 0, index: 1234067, width: 256 })).toBe('tile/0/x001/x234/067')
    expect(tilePath({ level: 0, index: 0, width: 256 })).toBe('tile/0/000')
    expect(tilePath({ level: 1, index: 1, width: 17 })).toBe('tile/1/001.p/17')
    expect(tilePath({ level: 2, index: 1000, width: 1 })).toBe('tile/2/x001/000.p/1')
    expect(tilePath({ level: 63, index: 999, width: 255 })).toBe('tile/63/999.p/255')
    expect(tilePath({ level: 0, index: Number.MAX_SAFE_INTEGER, width: 256 })).toBe(
      'tile/0/x009/x007/x199/x254/x740/991',
    )
    expect(entriesPath(1234067)).toBe('tile/entries/x001/x234/067')
    expect(entriesPath(0, 5)).toBe('tile/entries/000.p/5')
    expect(entriesPath(273, 112)).toBe('tile/entries/273.p/112')
  })

  it('parse canonical paths', () => {
    expect(parseTilePath('tile/0/x001/x234/067')).toEqual({
      kind: 'hash',
      level: 0,
      index: 1234067,
      width: 256,
    })
    expect(parseTilePath('tile/1/001.p/17')).toEqual({
      kind: 'hash',
      level: 1,
      index: 1,
      width: 17,
    })
    expect(parseTilePath('tile/entries/000.p/5')).toEqual({ kind: 'entries', index: 0, width: 5 })
    expect(parseTilePath('tile/entries/x009/x007/x199/x254/x740/991')).toEqual({
      kind: 'entries',
      index: Number.MAX_SAFE_INTEGER,
      width: 256,
    })
  })

  it.each([
    'tile/0/000.p/256',
    'tile/0/000.p/0',
    'tile/0/000.p/05',
    'tile/0/000.p/',
    'tile/0/000.p',
    'tile/0/.p/5',
    'tile/00/000',
    'tile/01/000',
    'tile/64/000',
    'tile/-1/000',
    'tile/+1/000',
    'tile//000',
    'tile/0',
    'tile/0/',
    'tile/entries',
    'tile/entries/',
    'tile/0/1',
    'tile/0/01',
    'tile/0/0000',
    'tile/0/x001',
    'tile/0/001/002',
    'tile/0/x000/001',
    'tile/0/x000/x001/002',
    'tile/0/X001/002',
    'tile/0/x001/x002',
    'tile/0/x001.p/5',
    'tile/0/000/',
    '/tile/0/000',
    'tiles/0/000',
    'tile/0/000.p/5/6',
    'tile/0/x009/x007/x199/x254/x740/992',
    'tile/0/x100/x000/x000/x000/x000/000',
    'tile/0/x001/x000/x000/x000/x000/x000/000',
    'tile/entries/000.p/256',
    'tile/0/ 000',
    'tile/0/000 ',
    'tile/0/000\n',
    'tile/0/٠٠٠',
    `tile/0/${'x000/'.repeat(20)}000`,
  ])('reject %j with TilePathError', (path) => {
    const err = thrown(() => parseTilePath(path))
    expect(err).toBeInstanceOf(TilePathError)
    expect(err).toBeInstanceOf(TrustchainError)
    expect(err).toMatchObject({ name: 'TilePathError', code: 'ERR_TILE_PATH' })
  })

  it('round-trip every valid tile and entry bundle', () => {
    fc.assert(
      fc.property(tileRef, (t) => {
        expect(parseTilePath(tilePath(t))).toEqual({ kind: 'hash', ...t })
        expect(parseTilePath(entriesPath(t.index, t.width))).toEqual({
          kind: 'entries',
          index: t.index,
          width: t.width,
        })
      }),
    )
  })

  it('fuzz: any input either throws TilePathError or is the canonical path it decodes to', () => {
    const reencode = (p: ReturnType<typeof parseTilePath>) =>
      p.kind === 'hash' ? tilePath(p) : entriesPath(p.index, p.width)
    const check = (input: string) => {
      let parsed: ReturnType<typeof parseTilePath>
      try {
        parsed = parseTilePath(input)
      } catch (err) {
        expect(err).toBeInstanceOf(TilePathError)
        return
      }
      expect(reencode(parsed)).toBe(input)
    }
    const pathChars = fc.constantFrom(...'tile/entrsxp.0123456789-+ '.split(''))
    const valid = fc.oneof(
      tileRef.map(tilePath),
      tileRef.map((t) => entriesPath(t.index, t.width)),
    )
    const mutated = fc
      .tuple(
        valid,
        fc.array(fc.tuple(fc.nat(), fc.constantFrom('insert', 'delete', 'replace'), pathChars), {
          minLength: 1,
          maxLength: 4,
        }),
      )
      .map(([path, edits]) =>
        edits.reduce((s, [at, op, c]) => {
          const i = s.length === 0 ? 0 : at % s.length
          if (op === 'insert') return s.slice(0, i) + c + s.slice(i)
          if (op === 'delete') return s.slice(0, i) + s.slice(i + 1)
          return s.slice(0, i) + c + s.slice(i + 1)
        }, path),
      )
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), check))
    fc.assert(fc.property(fc.string({ unit: pathChars, maxLength: 48 }), check))
    fc.assert(fc.property(mutated, check), { numRuns: 2000 })
    fc.assert(fc.property(fc.anything(), (x) => check(x as string)))
  })

  it('encoders reject tiles that cannot exist', () => {
    expect(() => tilePath({ level: 0, index: 0, width: 0 })).toThrow(RangeError)
    expect(() => tilePath({ level: 0, index: 0, width: 257 })).toThrow(/tilePath/)
    expect(() => tilePath({ level: 64, index: 0, width: 1 })).toThrow(RangeError)
    expect(() => tilePath({ level: 0, index: -1, width: 1 })).toThrow(RangeError)
    expect(() => tilePath({ level: 0, index: 2 ** 53, width: 1 })).toThrow(RangeError)
    expect(() => entriesPath(0, 1.5)).toThrow(/entriesPath/)
  })
})

describe('tiles of a tree', () => {
  it('lists the right edge of the spec examples', () => {
    expect(tilesForTreeSize(70_000)).toEqual([
      { level: 0, index: 273, width: 112 },
      { level: 1, index: 1, width: 17 },
      { level: 2, index: 0, width: 1 },
    ])
    expect(tilesForTreeSize(256)).toEqual([
      { level: 0, index: 0, width: 256 },
      { level: 1, index: 0, width: 1 },
    ])
    expect(tilesForTreeSize(0)).toEqual([])
    expect(tileForSize(0, 272, 70_000)).toEqual({ level: 0, index: 272, width: 256 })
    expect(tileForSize(0, 274, 70_000)).toBeUndefined()
    expect(tileForSize(3, 0, 70_000)).toBeUndefined()
    expect(tileForSize(MAX_TILE_LEVEL, 0, 2 ** 52)).toBeUndefined()
  })

  it('follow the spec formula: partial width floor(s / 256^l) mod 256', () => {
    const sizes = fc.oneof(
      fc.integer({ min: 0, max: 200_000 }),
      fc.maxSafeNat().map((x) => x % 2 ** 52),
    )
    fc.assert(
      fc.property(sizes, fc.integer({ min: 0, max: 7 }), fc.nat(), (size, level, x) => {
        const count = countAt(level, size)
        const index = count === 0 ? x % 4 : x % (Math.floor(count / 256) + 2)
        const t = tileForSize(level, index, size)
        const full = Math.floor(count / 256)
        if (index < full) expect(t).toEqual({ level, index, width: 256 })
        else if (index === full && count % 256 !== 0)
          expect(t).toEqual({ level, index, width: count % 256 })
        else expect(t).toBeUndefined()
        for (const w of [1, 128, 256]) {
          expect(isTileAvailable({ level, index, width: w }, size)).toBe(
            t !== undefined && w <= t.width,
          )
        }
        for (const edge of tilesForTreeSize(size)) {
          expect(tileForSize(edge.level, edge.index, size)).toEqual(edge)
          expect(tileForSize(edge.level, edge.index + 1, size)).toBeUndefined()
        }
        expect(tilesForTreeSize(size)).toHaveLength(
          [0, 1, 2, 3, 4, 5, 6, 7].filter((l) => countAt(l, size) > 0).length,
        )
      }),
    )
  })

  it('newTiles lists exactly the tiles that gain hashes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 140_000 }),
        fc.integer({ min: 0, max: 3000 }),
        (old, grow) => {
          const size = old + grow
          const expected: TileRef[] = []
          for (let level = 0; countAt(level, size) > 0; level++) {
            for (let index = 0; index * 256 < countAt(level, size); index++) {
              const now = tileForSize(level, index, size)!
              if ((tileForSize(level, index, old)?.width ?? 0) < now.width) expected.push(now)
            }
          }
          expect(newTiles(old, size)).toEqual(expected)
        },
      ),
      { numRuns: 60 },
    )
    expect(() => newTiles(5, 4)).toThrow(RangeError)
  })

  it('hold the spec hashes: MTH(D[(n·256 + i)·256^l : (n·256 + i + 1)·256^l])', async () => {
    const level0 = await readTile({ level: 0, index: 3, width: 256 }, direct)
    expect(hashesOf(level0).map(toHex)).toEqual(
      Array.from({ length: 256 }, (_, i) => toHex(leafHash(entryOf(3 * 256 + i)))),
    )
    const level1 = hashesOf(await readTile({ level: 1, index: 0, width: 256 }, direct))
    for (const i of [0, 1, 100, 255]) {
      const below = hashesOf(await readTile({ level: 0, index: i, width: 256 }, direct))
      expect(toHex(level1[i]!)).toBe(toHex(perfectRoot(below)))
    }
    const [top] = hashesOf(await readTile({ level: 2, index: 0, width: 1 }, direct))
    expect(toHex(top!)).toBe(toHex(perfectRoot(level1)))
    expect(toHex(top!)).toBe(toHex(await treeHash(65_536, direct)))
    for (const t of tilesForTreeSize(TREE)) {
      expect(await readTile(t, direct)).toHaveLength(t.width * 32)
    }
    expect(tileHashIndexes({ level: 1, index: 1, width: 2 })).toEqual([
      storedHashIndex(TILE_HEIGHT, 256),
      storedHashIndex(TILE_HEIGHT, 257),
    ])
  })

  it('readTile refuses a reader that answers wrongly', async () => {
    const short: HashReader = {
      readHashes: async (ix) => ix.slice(1).map(() => new Uint8Array(32)),
    }
    const bad: HashReader = { readHashes: async (ix) => ix.map(() => new Uint8Array(3)) }
    for (const reader of [short, bad]) {
      const err = await rejection(readTile({ level: 0, index: 0, width: 4 }, reader))
      expect(err).toMatchObject({ name: 'TileDataError', code: 'ERR_TILE_DATA' })
    }
  })
})

describe('tileHashReader', () => {
  it('serves every stored hash of a small tree from its tiles', async () => {
    for (const size of [1, 2, 3, 255, 256, 257, 600]) {
      const all = Array.from({ length: storedHashCount(size) }, (_, i) => i)
      const viaTiles = await tileHashReader(size, tileServer(size)).readHashes(all)
      expect(viaTiles.map(toHex)).toEqual((await direct.readHashes(all)).map(toHex))
    }
  })

  it('gives the same tree hashes and proofs as the stored hashes, partial tiles included', async () => {
    const sizes = fc.oneof(
      fc.integer({ min: 1, max: 1200 }),
      fc.constantFrom(255, 256, 257, 65_535, 65_536, 65_537, TREE),
      fc.integer({ min: 65_000, max: TREE }),
    )
    await fc.assert(
      fc.asyncProperty(sizes, fc.nat(), fc.nat(), async (size, a, b) => {
        const fetched: TileRef[] = []
        const reader = tileHashReader(size, tileServer(size, fetched))
        expect(toHex(await treeHash(size, reader))).toBe(toHex(await treeHash(size, direct)))
        const index = a % size
        expect((await proveInclusion(size, index, reader)).map(toHex)).toEqual(
          (await proveInclusion(size, index, direct)).map(toHex),
        )
        const size1 = 1 + (b % size)
        expect((await proveConsistency(size, size1, reader)).map(toHex)).toEqual(
          (await proveConsistency(size, size1, direct)).map(toHex),
        )
        expect(fetched.length).toBeGreaterThan(0)
      }),
      { numRuns: 80 },
    )
  })

  it('fetches each tile once per read', async () => {
    const fetched: TileRef[] = []
    const reader = tileHashReader(600, tileServer(600, fetched))
    await reader.readHashes([0, 1, 2, 3, storedHashIndex(7, 0), storedHashIndex(8, 0)])
    expect(fetched).toEqual([
      { level: 0, index: 0, width: 256 },
      { level: 1, index: 0, width: 2 },
    ])
  })

  it('rejects tiles of the wrong length and hashes outside the tree', async () => {
    const reader = tileHashReader(600, async (t) => new Uint8Array(t.width * 32 - 1))
    const err = await rejection(reader.readHashes([0]))
    expect(err).toBeInstanceOf(TileDataError)
    expect(err).toMatchObject({ name: 'TileDataError', code: 'ERR_TILE_DATA' })
    const inTree = tileHashReader(600, tileServer(600))
    expect(await rejection(inTree.readHashes([storedHashCount(600)]))).toBeInstanceOf(RangeError)
    expect(await rejection(inTree.readHashes([-1]))).toBeInstanceOf(RangeError)
    expect(() => tileHashReader(-1, tileServer(0))).toThrow(/tileHashReader/)
  })
})

describe('entry bundles', () => {
  const entries = fc.array(fc.uint8Array({ maxLength: 300 }), {
    minLength: 1,
    maxLength: TILE_WIDTH,
  })

  it('round-trip, empty entries included', () => {
    fc.assert(
      fc.property(entries, (list) => {
        const bundle = encodeEntryBundle(list)
        expect(bundle).toHaveLength(list.reduce((n, e) => n + 2 + e.length, 0))
        expect(decodeEntryBundle(bundle)).toEqual(list)
        expect(decodeEntryBundle(bundle, list.length)).toEqual(list)
      }),
      { numRuns: 200 },
    )
    const biggest = new Uint8Array(0xffff).fill(7)
    const bundle = encodeEntryBundle([new Uint8Array(0), biggest])
    expect([...bundle.subarray(0, 4)]).toEqual([0, 0, 0xff, 0xff])
    expect(decodeEntryBundle(bundle)).toEqual([new Uint8Array(0), biggest])
  })

  it('hash to the level-0 tile of the same index', async () => {
    const index = 273
    const t = tileForSize(0, index, TREE)!
    const bundle = encodeEntryBundle(
      Array.from({ length: t.width }, (_, i) => entryOf(index * 256 + i)),
    )
    const decoded = decodeEntryBundle(bundle, t.width)
    expect(decoded.map((e) => toHex(leafHash(e)))).toEqual(
      hashesOf(await readTile(t, direct)).map(toHex),
    )
  })

  it.each([
    ['empty', []],
    ['a lone length byte', [0]],
    ['a length past the end', [0, 3, 1, 2]],
    ['a truncated second prefix', [0, 1, 9, 0]],
    ['257 empty entries', new Array(257 * 2).fill(0)],
  ])('decoding rejects %s', (_, bytes) => {
    const err = thrown(() => decodeEntryBundle(Uint8Array.from(bytes as number[])))
    expect(err).toBeInstanceOf(EntryBundleError)
    expect(err).toMatchObject({ name: 'EntryBundleError', code: 'ERR_ENTRY_BUNDLE' })
  })

  it('decoding checks the width the path names', () => {
    const bundle = encodeEntryBundle([Uint8Array.of(1), Uint8Array.of(2)])
    expect(thrown(() => decodeEntryBundle(bundle, 3))).toBeInstanceOf(EntryBundleError)
    expect(thrown(() => decodeEntryBundle(bundle, 0))).toBeInstanceOf(EntryBundleError)
    expect(thrown(() => decodeEntryBundle('x' as unknown as Uint8Array))).toBeInstanceOf(
      EntryBundleError,
    )
  })

  it('fuzz: the decoder throws only EntryBundleError, and what it accepts is canonical', () => {
    const check = (bytes: Uint8Array) => {
      let decoded: Uint8Array[]
      try {
        decoded = decodeEntryBundle(bytes)
      } catch (err) {
        expect(err).toBeInstanceOf(EntryBundleError)
        return
      }
      expect(encodeEntryBundle(decoded)).toEqual(bytes)
    }
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), check), { numRuns: 500 })
    // Valid bundles with a few bytes changed, cut or added: mostly near-misses.
    const mutated = fc
      .tuple(
        entries,
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom('set', 'cut', 'add'),
      )
      .map(([list, at, byte, op]) => {
        const b = encodeEntryBundle(list)
        const i = at % b.length
        if (op === 'cut') return b.subarray(0, i)
        if (op === 'add') return Uint8Array.from([...b.subarray(0, i), byte, ...b.subarray(i)])
        const c = b.slice()
        c[i] = byte
        return c
      })
    fc.assert(fc.property(mutated, check), { numRuns: 500 })
  })

  it('encoding rejects bundles tlog-tiles cannot carry', () => {
    expect(() => encodeEntryBundle([])).toThrow(RangeError)
    expect(() => encodeEntryBundle(new Array(257).fill(new Uint8Array(0)))).toThrow(RangeError)
    expect(() => encodeEntryBundle([new Uint8Array(0x10000)])).toThrow(/encodeEntryBundle/)
    expect(() => encodeEntryBundle(['x' as unknown as Uint8Array])).toThrow(TypeError)
  })
})
