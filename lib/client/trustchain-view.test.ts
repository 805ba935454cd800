import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { ConnectionInfo } from '@/lib/mesh/types'
import {
  leafHash,
  nodeHash,
  proveInclusion,
  storedHashesForRecord,
  treeHash,
  type HashReader,
} from '@/lib/trustchain/merkle'
import { INITIAL_SNAPSHOT } from './store'
import {
  buildInclusionPicture,
  countTrust,
  formatDuration,
  formatRelative,
  inclusionShape,
  recentRefusals,
  shortHex,
  shortId,
  trustByPeer,
  type EntryRange,
} from './trustchain-view'
import type { MeshSnapshot, VerdictView } from './types'

/** An in-memory log of `size` entries `entry-0`, `entry-1`, … with its stored hashes. */
async function memoryTree(size: number): Promise<{ reader: HashReader; leaves: Uint8Array[] }> {
  const stored: Uint8Array[] = []
  const reader: HashReader = {
    readHashes: (indexes) => Promise.resolve(indexes.map((i) => stored[i]!)),
  }
  const leaves: Uint8Array[] = []
  for (let n = 0; n < size; n++) {
    const leaf = leafHash(new TextEncoder().encode(`entry-${n}`))
    leaves.push(leaf)
    stored.push(...(await storedHashesForRecord(n, leaf, reader)))
  }
  return { reader, leaves }
}

const TREES = new Map<number, Promise<{ reader: HashReader; leaves: Uint8Array[] }>>()
function tree(size: number): Promise<{ reader: HashReader; leaves: Uint8Array[] }> {
  let t = TREES.get(size)
  if (t === undefined) TREES.set(size, (t = memoryTree(size)))
  return t
}

function width([from, to]: EntryRange): number {
  return to - from
}

describe('inclusionShape', () => {
  it('follows RFC 9162: entry 2 of 5', () => {
    expect(inclusionShape(2, 5)).toEqual([
      { side: 'right', sibling: [3, 4], node: [2, 4] },
      { side: 'left', sibling: [0, 2], node: [0, 4] },
      { side: 'right', sibling: [4, 5], node: [0, 5] },
    ])
  })

  it('is empty for the only entry of a tree of one', () => {
    expect(inclusionShape(0, 1)).toEqual([])
  })

  it('has siblings that, with the leaf, cover the log exactly once', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: Number.MAX_SAFE_INTEGER })
          .chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 }))),
        ([size, index]) => {
          const shape = inclusionShape(index, size)
          const covered = shape.reduce((sum, s) => sum + width(s.sibling), 1)
          expect(covered).toBe(size)
          // Each node is its child on the path joined with its sibling; the last is the root.
          let path: EntryRange = [index, index + 1]
          for (const s of shape) {
            const [lo, hi] = s.side === 'left' ? [s.sibling[0], path[1]] : [path[0], s.sibling[1]]
            expect(s.sibling[s.side === 'left' ? 1 : 0]).toBe(path[s.side === 'left' ? 0 : 1])
            expect(s.node).toEqual([lo, hi])
            path = s.node
          }
          expect(path).toEqual([0, size])
        },
      ),
    )
  })

  it('refuses an index outside the tree', () => {
    expect(() => inclusionShape(5, 5)).toThrow(RangeError)
    expect(() => inclusionShape(-1, 5)).toThrow(RangeError)
    expect(() => inclusionShape(0, 0)).toThrow(RangeError)
    expect(() => inclusionShape(0.5, 5)).toThrow(RangeError)
  })
})

describe('buildInclusionPicture', () => {
  it('climbs from the leaf to the root of the tree for every entry of real logs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 70 })
          .chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 }))),
        async ([size, index]) => {
          const { reader, leaves } = await tree(size)
          const proof = await proveInclusion(size, index, reader)
          const root = await treeHash(size, reader)
          const picture = buildInclusionPicture(index, size, leaves[index]!, proof, root, nodeHash)
          expect(picture.problem).toBeNull()
          expect(picture.matches).toBe(true)
          expect(picture.root).toEqual(root)
          expect(picture.steps.map((s) => s.siblingHash)).toEqual(proof)
          // The last computed node is the root; each node is the hash of its two children.
          expect(picture.steps.at(-1)?.nodeHash ?? picture.leafHash).toEqual(root)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('leads to another root when one sibling hash is altered', async () => {
    const { reader, leaves } = await tree(13)
    const proof = await proveInclusion(13, 6, reader)
    const root = await treeHash(13, reader)
    const bad = proof.map((h) => h.slice())
    bad[1]![0]! ^= 1
    const picture = buildInclusionPicture(6, 13, leaves[6]!, bad, root, nodeHash)
    expect(picture.matches).toBe(false)
    expect(picture.root).not.toBeNull()
    expect(picture.root).not.toEqual(root)
    // Below the altered sibling the path is still the tree's own.
    expect(picture.steps[0]!.nodeHash).toEqual(
      buildInclusionPicture(6, 13, leaves[6]!, proof, root, nodeHash).steps[0]!.nodeHash,
    )
  })

  it('says so when the proof has the wrong length, and draws what it can', async () => {
    const { reader, leaves } = await tree(8)
    const proof = await proveInclusion(8, 3, reader)
    const picture = buildInclusionPicture(3, 8, leaves[3]!, proof.slice(0, 2), null, nodeHash)
    expect(picture.root).toBeNull()
    expect(picture.matches).toBe(false)
    expect(picture.problem).toMatch(/2 hashes.*needs 3/)
    expect(picture.steps).toHaveLength(3)
    expect(picture.steps[1]!.nodeHash).not.toBeNull()
    expect(picture.steps[2]!.siblingHash).toBeNull()
    expect(picture.steps[2]!.nodeHash).toBeNull()
  })

  it('is the leaf itself for a tree of one', () => {
    const leaf = leafHash(new Uint8Array([1]))
    const picture = buildInclusionPicture(0, 1, leaf, [], leaf, nodeHash)
    expect(picture.steps).toEqual([])
    expect(picture.root).toEqual(leaf)
    expect(picture.matches).toBe(true)
  })
})

const ALICE = '12D3KooWalice0000000000alice'
const BOB = '12D3KooWbob00000000000000bob'
const CAROL = '12D3KooWcarol0000000000carol'
const DAVE = '12D3KooWdave000000000000dave'

function conn(
  id: string,
  peerId: string,
  transport: ConnectionInfo['transport'] = 'webrtc',
): ConnectionInfo {
  return { id, peerId, transport, rttMs: 10, openedAt: 1_000, direction: 'outbound' }
}

function verdict(state: VerdictView['state'], check?: string): VerdictView {
  return {
    state,
    reason:
      check === undefined
        ? null
        : { name: 'CertificateChainError', code: 'ERR_CERTIFICATE_CHAIN', message: 'bad', check },
    logIndex: state === 'verified' ? 7 : null,
  }
}

function snapshot(patch: Partial<MeshSnapshot>): MeshSnapshot {
  return { ...INITIAL_SNAPSHOT, peerId: 'self', ...patch }
}

describe('countTrust and trustByPeer', () => {
  const snap = snapshot({
    connections: [
      conn('c1', ALICE),
      conn('c2', BOB),
      conn('c3', CAROL),
      conn('c4', DAVE),
      conn('c5', ALICE),
      conn('r1', 'relay', 'websockets'),
    ],
    verdicts: {
      c1: verdict('refused', 'chain'),
      c2: verdict('verified'),
      c3: verdict('refused-by-peer', 'validity'),
      c5: verdict('verified'),
    },
  })

  it('counts direct connections by state; no verdict yet is pending; the relay is not counted', () => {
    expect(countTrust(snap)).toEqual({ verified: 2, pending: 1, refused: 2 })
  })

  it('gives each direct peer its best state, and who refused', () => {
    const byPeer = trustByPeer(snap)
    expect([...byPeer.keys()].sort()).toEqual([ALICE, BOB, CAROL, DAVE].sort())
    expect(byPeer.get(ALICE)).toMatchObject({ state: 'verified', logIndex: 7 })
    expect(byPeer.get(CAROL)).toMatchObject({ state: 'refused', refusedBy: 'peer' })
    expect(byPeer.get(CAROL)?.reason?.check).toBe('validity')
    expect(byPeer.get(DAVE)).toMatchObject({ state: 'pending', refusedBy: null })
  })

  it('adds recent refusals of peers no longer connected, never over a live connection', () => {
    const withRefusals = {
      ...snap,
      refusals: [
        { ...verdict('refused', 'chain'), peerId: 'gone', at: 500 },
        { ...verdict('refused', 'format'), peerId: 'gone', at: 900 },
        { ...verdict('refused', 'chain'), peerId: 'old', at: 100 },
        { ...verdict('refused-by-peer', 'chain'), peerId: BOB, at: 900 },
      ],
    }
    expect(trustByPeer(withRefusals).has('gone')).toBe(false)
    const byPeer = trustByPeer(withRefusals, 400)
    expect(byPeer.get('gone')).toMatchObject({ state: 'refused', connected: false })
    expect(byPeer.get('gone')?.reason?.check).toBe('format')
    expect(byPeer.has('old')).toBe(false)
    expect(byPeer.get(BOB)).toMatchObject({ state: 'verified', connected: true })
  })
})

describe('recentRefusals', () => {
  it('lists open refusals and closed ones, newest first, with the failed check', () => {
    const snap = snapshot({
      connections: [{ ...conn('c1', ALICE), openedAt: 5_000 }],
      verdicts: { c1: verdict('refused', 'chain') },
      refusals: [
        { ...verdict('refused-by-peer', 'inclusion'), peerId: BOB, at: 3_000 },
        { ...verdict('refused', 'peer-id'), peerId: CAROL, at: 9_000 },
      ],
    })
    expect(recentRefusals(snap).map((r) => [r.peerId, r.by, r.check, r.open])).toEqual([
      [CAROL, 'us', 'peer-id', false],
      [ALICE, 'us', 'chain', true],
      [BOB, 'peer', 'inclusion', false],
    ])
    expect(recentRefusals(snap, 1)).toHaveLength(1)
  })

  it('says when no reason came with a refusal', () => {
    const snap = snapshot({
      refusals: [{ state: 'refused-by-peer', reason: null, logIndex: null, peerId: BOB, at: 1 }],
    })
    expect(recentRefusals(snap)[0]).toMatchObject({ check: null, by: 'peer' })
    expect(recentRefusals(snap)[0]!.message).not.toBe('')
  })
})

describe('formats', () => {
  it('writes durations with two units at most', () => {
    expect(formatDuration(0)).toBe('0 s')
    expect(formatDuration(59_999)).toBe('59 s')
    expect(formatDuration(185_000)).toBe('3 min 5 s')
    expect(formatDuration(3_600_000)).toBe('1 h')
    expect(formatDuration(7_800_000)).toBe('2 h 10 min')
    expect(formatDuration(100 * 3_600_000)).toBe('4 d 4 h')
    expect(formatDuration(-5)).toBe('0 s')
    expect(formatDuration(Number.NaN)).toBe('—')
  })

  it('writes moments relative to now', () => {
    expect(formatRelative(10_000, 5_000)).toBe('in 5 s')
    expect(formatRelative(5_000, 65_000)).toBe('1 min ago')
    expect(formatRelative(5_000, 5_400)).toBe('now')
  })

  it('shortens hashes and peer IDs', () => {
    expect(shortHex(new Uint8Array([0xab, 0xcd, 0xef, 0x01, 0x23]), 6)).toBe('abcdef…')
    expect(shortHex('abc')).toBe('abc')
    expect(shortId('12D3KooWQ2y6X9mZ7xYbR4')).toBe('12D3KooW…7xYbR4')
    expect(shortId('short')).toBe('short')
  })
})
