import { describe, expect, it } from 'vitest'
import type { ConnectionInfo, Coordinate, NodeInfo } from '@/lib/mesh/types'
import {
  NODE_EXPIRY_MS,
  NODE_FADE_START_MS,
  RTT_BAD_COLOR,
  RTT_FAIR_COLOR,
  RTT_GOOD_COLOR,
  RTT_UNKNOWN_COLOR,
} from './map-constants'
import {
  buildMapModel,
  linkKey,
  median,
  nodeOpacity,
  REFUSAL_MARK_MS,
  rttColor,
  shortPeerId,
  type MapModel,
} from './map-model'
import { INITIAL_SNAPSHOT } from './store'
import type { MeshSnapshot } from './types'

const NOW = 1_000_000_000
const SELF = '12D3KooWself00self'
const ALICE = '12D3KooWalice0alice'
const BOB = '12D3KooWbob0000bob'
const CAROL = '12D3KooWcarol0carol'

function coord(x: number, y: number): Coordinate {
  return { vec: [x, y, 0, 0, 0, 0, 0, 0], height: 1, error: 0.5, adjustment: 0 }
}

function node(peerId: string, init: Partial<NodeInfo> = {}): NodeInfo {
  return {
    peerId,
    lastSeen: NOW,
    coordinate: null,
    neighbours: [],
    capabilities: { cores: 4, memoryGiB: 8, platform: 'browser' },
    appVersion: '0.1.0',
    seq: 1,
    ...init,
  }
}

function conn(peerId: string, rttMs: number | null): ConnectionInfo {
  return {
    id: `c-${peerId}`,
    peerId,
    transport: 'webrtc',
    rttMs,
    openedAt: NOW - 1000,
    direction: 'outbound',
  }
}

function snapshot(patch: Partial<MeshSnapshot>): MeshSnapshot {
  return { ...INITIAL_SNAPSHOT, peerId: SELF, status: 'direct', ...patch }
}

function ids(model: MapModel): string[] {
  return model.nodes.map((n) => n.id)
}

describe('buildMapModel', () => {
  it('is empty before the node has started', () => {
    const model = buildMapModel(INITIAL_SNAPSHOT, NOW)
    expect(model.nodes).toEqual([])
    expect(model.links).toEqual([])
    expect(model.stats).toEqual({ nodeCount: 0, linkCount: 0, medianRttMs: null })
  })

  it('includes self although no heartbeat of self was received', () => {
    const model = buildMapModel(snapshot({ coordinate: coord(3, 4) }), NOW)
    expect(model.nodes).toHaveLength(1)
    const self = model.nodes[0]!
    expect(self).toMatchObject({ id: SELF, isSelf: true, opacity: 1, lastSeen: NOW })
    expect(self.coordinate).toEqual(coord(3, 4))
    // One node alone carries no picture: it is placed by the layout.
    expect(self.x).toBeNull()
    expect(model.selfId).toBe(SELF)
    expect(model.stats.nodeCount).toBe(1)
  })

  it('keeps self fully visible even when its own heartbeat is old', () => {
    const stale = node(SELF, { lastSeen: NOW - NODE_EXPIRY_MS * 2, appVersion: '9.9.9' })
    const model = buildMapModel(snapshot({ nodes: [stale] }), NOW)
    expect(model.nodes).toHaveLength(1)
    expect(model.nodes[0]).toMatchObject({
      id: SELF,
      isSelf: true,
      opacity: 1,
      appVersion: '9.9.9',
    })
  })

  it('lists self first, then the others by peer id', () => {
    const model = buildMapModel(snapshot({ nodes: [node(CAROL), node(ALICE), node(BOB)] }), NOW)
    expect(ids(model)).toEqual([SELF, ALICE, BOB, CAROL])
    expect(model.nodes.map((n) => n.isSelf)).toEqual([true, false, false, false])
  })

  it('fades a node linearly between the fade start and expiry, then removes it', () => {
    const at = (ageMs: number): MapModel =>
      buildMapModel(snapshot({ nodes: [node(ALICE, { lastSeen: NOW - ageMs })] }), NOW)
    const alice = (ageMs: number) => at(ageMs).nodes.find((n) => n.id === ALICE)
    expect(alice(0)?.opacity).toBe(1)
    expect(alice(NODE_FADE_START_MS)?.opacity).toBe(1)
    expect(alice((NODE_FADE_START_MS + NODE_EXPIRY_MS) / 2)?.opacity).toBeCloseTo(0.5, 10)
    expect(
      alice(NODE_FADE_START_MS + (NODE_EXPIRY_MS - NODE_FADE_START_MS) / 4)?.opacity,
    ).toBeCloseTo(0.75, 10)
    expect(alice(NODE_EXPIRY_MS)?.opacity).toBe(0)
    expect(alice(NODE_EXPIRY_MS + 1)).toBeUndefined()
    expect(at(NODE_EXPIRY_MS + 1).stats.nodeCount).toBe(1)
  })

  it('drops the links of an expired node and fades links with their faintest end', () => {
    const fading = NOW - (NODE_FADE_START_MS + NODE_EXPIRY_MS) / 2
    const model = buildMapModel(
      snapshot({
        nodes: [
          node(ALICE, { lastSeen: fading, neighbours: [{ peerId: BOB, rttMs: 10 }] }),
          node(BOB, { neighbours: [{ peerId: CAROL, rttMs: 10 }] }),
          node(CAROL, { lastSeen: NOW - NODE_EXPIRY_MS - 1 }),
        ],
      }),
      NOW,
    )
    expect(ids(model)).toEqual([SELF, ALICE, BOB])
    expect(model.links.map((l) => l.id)).toEqual([linkKey(ALICE, BOB)])
    expect(model.links[0]!.opacity).toBeCloseTo(0.5, 10)
  })

  it('deduplicates links reported by both sides and by self, averaging the RTTs', () => {
    const model = buildMapModel(
      snapshot({
        connections: [conn(ALICE, 12), conn(BOB, null)],
        nodes: [
          node(ALICE, {
            neighbours: [
              { peerId: SELF, rttMs: 8 },
              { peerId: BOB, rttMs: 40 },
            ],
          }),
          node(BOB, {
            neighbours: [
              { peerId: ALICE, rttMs: 60 },
              { peerId: SELF, rttMs: 30 },
            ],
          }),
        ],
      }),
      NOW,
    )
    expect(model.links.map((l) => l.id).sort()).toEqual(
      [linkKey(SELF, ALICE), linkKey(SELF, BOB), linkKey(ALICE, BOB)].sort(),
    )
    const rtt = (a: string, b: string) => model.links.find((l) => l.id === linkKey(a, b))?.rttMs
    expect(rtt(SELF, ALICE)).toBe(10)
    expect(rtt(ALICE, BOB)).toBe(50)
    // Self has not measured Bob yet: Bob's side alone gives the RTT.
    expect(rtt(SELF, BOB)).toBe(30)
    expect(model.stats.linkCount).toBe(3)
    for (const l of model.links) expect(l.source < l.target).toBe(true)
  })

  it('keeps one link when a node reports the same neighbour twice', () => {
    const model = buildMapModel(
      snapshot({
        nodes: [
          node(ALICE, {
            neighbours: [
              { peerId: BOB, rttMs: null },
              { peerId: BOB, rttMs: 20 },
            ],
          }),
          node(BOB),
        ],
      }),
      NOW,
    )
    expect(model.links).toHaveLength(1)
    expect(model.links[0]!.rttMs).toBe(20)
  })

  it('draws a link only when both ends are on the map', () => {
    const model = buildMapModel(
      snapshot({
        connections: [conn(CAROL, 5)],
        nodes: [node(ALICE, { neighbours: [{ peerId: '12D3KooWnever0heard', rttMs: 5 }] })],
      }),
      NOW,
    )
    expect(model.links).toEqual([])
  })

  it('ignores self-loops and nonsense RTTs', () => {
    const model = buildMapModel(
      snapshot({
        nodes: [
          node(ALICE, {
            neighbours: [
              { peerId: ALICE, rttMs: 1 },
              { peerId: BOB, rttMs: Number.NaN },
            ],
          }),
          node(BOB, { neighbours: [{ peerId: ALICE, rttMs: -5 }] }),
        ],
      }),
      NOW,
    )
    expect(model.links).toHaveLength(1)
    expect(model.links[0]).toMatchObject({ rttMs: null, color: RTT_UNKNOWN_COLOR })
  })

  it('lists each node’s neighbours, lowest RTT first and unknown last', () => {
    const model = buildMapModel(
      snapshot({
        connections: [conn(ALICE, 80), conn(BOB, null), conn(CAROL, 15)],
        nodes: [node(ALICE), node(BOB), node(CAROL)],
      }),
      NOW,
    )
    expect(model.nodes[0]!.neighbours).toEqual([
      { peerId: CAROL, rttMs: 15 },
      { peerId: ALICE, rttMs: 80 },
      { peerId: BOB, rttMs: null },
    ])
    expect(model.nodes.find((n) => n.id === BOB)?.neighbours).toEqual([
      { peerId: SELF, rttMs: null },
    ])
  })

  it('places nodes with a coordinate, centred, and leaves the others to the layout', () => {
    const model = buildMapModel(
      snapshot({
        coordinate: coord(0, 0),
        nodes: [
          node(ALICE, { coordinate: coord(100, 0) }),
          node(CAROL, { coordinate: coord(50, 80) }),
          node(BOB),
        ],
      }),
      NOW,
    )
    const placed = model.nodes.filter((n) => n.x !== null)
    expect(placed.map((n) => n.id).sort()).toEqual([SELF, ALICE, CAROL].sort())
    expect(model.nodes.find((n) => n.id === BOB)).toMatchObject({ x: null, y: null })
    // Centred, and distances between nodes kept.
    expect(placed.reduce((sum, n) => sum + n.x!, 0)).toBeCloseTo(0, 6)
    const self = placed.find((n) => n.isSelf)!
    const alice = placed.find((n) => n.id === ALICE)!
    expect(Math.hypot(alice.x! - self.x!, alice.y! - self.y!)).toBeCloseTo(100, 6)
  })

  it('falls back to the layout when coordinates are co-located or on a line', () => {
    const colocated = buildMapModel(
      snapshot({
        coordinate: coord(0, 0),
        nodes: [node(ALICE, { coordinate: coord(1, 0) }), node(CAROL, { coordinate: coord(0, 1) })],
      }),
      NOW,
    )
    expect(colocated.nodes.every((n) => n.x === null && n.y === null)).toBe(true)
    const line = buildMapModel(
      snapshot({
        coordinate: coord(0, 0),
        nodes: [
          node(ALICE, { coordinate: coord(50, 0) }),
          node(CAROL, { coordinate: coord(100, 1) }),
        ],
      }),
      NOW,
    )
    expect(line.nodes.every((n) => n.x === null)).toBe(true)
  })

  it('treats an invalid coordinate as none', () => {
    const bad = { vec: [1, 2], height: 1, error: 0.5, adjustment: 0 }
    const model = buildMapModel(snapshot({ nodes: [node(ALICE, { coordinate: bad })] }), NOW)
    expect(model.nodes.find((n) => n.id === ALICE)).toMatchObject({ x: null, coordinate: null })
  })

  it('reports the median RTT of the links with a known RTT', () => {
    const model = buildMapModel(
      snapshot({
        connections: [conn(ALICE, 10), conn(BOB, 30), conn(CAROL, null)],
        nodes: [node(ALICE), node(BOB), node(CAROL)],
      }),
      NOW,
    )
    expect(model.stats).toEqual({ nodeCount: 4, linkCount: 3, medianRttMs: 20 })
  })

  it('marks each direct peer with this node’s TrustChain verdict on it, and nobody else', () => {
    const model = buildMapModel(
      snapshot({
        connections: [conn(ALICE, 10), conn(BOB, 30), { ...conn(CAROL, 5), transport: 'relay' }],
        verdicts: {
          [`c-${ALICE}`]: { state: 'verified', reason: null, logIndex: 4 },
          [`c-${BOB}`]: {
            state: 'refused',
            reason: {
              name: 'CertificateChainError',
              code: 'ERR_CERTIFICATE_CHAIN',
              message: 'not signed by the root',
              check: 'chain',
            },
            logIndex: null,
          },
        },
        nodes: [node(ALICE), node(BOB), node(CAROL)],
      }),
      NOW,
    )
    const trust = (id: string) => model.nodes.find((n) => n.id === id)?.trust
    expect(trust(SELF)).toBeNull()
    expect(trust(ALICE)).toMatchObject({ state: 'verified', logIndex: 4 })
    expect(trust(BOB)).toMatchObject({ state: 'refused', refusedBy: 'us' })
    expect(trust(BOB)?.reason?.check).toBe('chain')
    expect(trust(CAROL)).toBeNull()
  })

  it('keeps a refused mark on a peer whose refused link has closed, for a while', () => {
    const refusal = {
      state: 'refused-by-peer' as const,
      reason: {
        name: 'CertificateValidityError',
        code: 'ERR_CERTIFICATE_VALIDITY',
        message: 'expired',
        check: 'validity',
      },
      logIndex: null,
      peerId: ALICE,
    }
    const snap = snapshot({
      refusals: [
        { ...refusal, at: NOW - REFUSAL_MARK_MS - 1, peerId: BOB },
        { ...refusal, at: NOW - 1_000 },
      ],
      nodes: [node(ALICE), node(BOB)],
    })
    const model = buildMapModel(snap, NOW)
    expect(model.nodes.find((n) => n.id === ALICE)?.trust).toMatchObject({
      state: 'refused',
      refusedBy: 'peer',
      connected: false,
    })
    expect(model.nodes.find((n) => n.id === BOB)?.trust).toBeNull()
  })

  it('refuses a non-finite time', () => {
    expect(() => buildMapModel(snapshot({}), Number.NaN)).toThrow(RangeError)
  })
})

describe('nodeOpacity', () => {
  it('is 1 before the fade, linear during it and 0 after expiry', () => {
    expect(nodeOpacity(-5_000)).toBe(1)
    expect(nodeOpacity(NODE_FADE_START_MS)).toBe(1)
    const span = NODE_EXPIRY_MS - NODE_FADE_START_MS
    expect(nodeOpacity(NODE_FADE_START_MS + 0.75 * span)).toBeCloseTo(0.25, 10)
    expect(nodeOpacity(NODE_EXPIRY_MS)).toBe(0)
    expect(nodeOpacity(NODE_EXPIRY_MS * 10)).toBe(0)
  })
})

describe('median', () => {
  it('handles empty, odd and even inputs without reordering them', () => {
    const values = [40, 10, 30, 20]
    expect(median([])).toBeNull()
    expect(median([7])).toBe(7)
    expect(median([3, 1, 2])).toBe(2)
    expect(median(values)).toBe(25)
    expect(values).toEqual([40, 10, 30, 20])
  })
})

describe('rttColor', () => {
  it('is green when fast, yellow around 100 ms, red when slow and grey when unknown', () => {
    expect(rttColor(0)).toBe(RTT_GOOD_COLOR)
    expect(rttColor(19)).toBe(RTT_GOOD_COLOR)
    expect(rttColor(100)).toBe(RTT_FAIR_COLOR)
    expect(rttColor(300)).toBe(RTT_BAD_COLOR)
    expect(rttColor(5_000)).toBe(RTT_BAD_COLOR)
    expect(rttColor(null)).toBe(RTT_UNKNOWN_COLOR)
    expect(rttColor(Number.NaN)).toBe(RTT_UNKNOWN_COLOR)
  })

  it('blends between the stops, getting redder as the RTT grows', () => {
    const red = (hex: string) => parseInt(hex.slice(1, 3), 16)
    const green = (hex: string) => parseInt(hex.slice(3, 5), 16)
    expect(rttColor(60)).toMatch(/^#[0-9a-f]{6}$/)
    expect(rttColor(60)).not.toBe(RTT_GOOD_COLOR)
    expect(rttColor(60)).not.toBe(RTT_FAIR_COLOR)
    expect(red(rttColor(60))).toBeGreaterThan(red(RTT_GOOD_COLOR))
    expect(green(rttColor(200))).toBeLessThan(green(RTT_FAIR_COLOR))
    expect(green(rttColor(200))).toBeGreaterThan(green(RTT_BAD_COLOR))
  })
})

describe('shortPeerId', () => {
  it('keeps the distinctive end of a peer id', () => {
    expect(shortPeerId('12D3KooWAbCdEfGhIjKlMn')).toBe('…IjKlMn')
    expect(shortPeerId('abc')).toBe('abc')
  })
})
