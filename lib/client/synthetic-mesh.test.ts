import { describe, expect, it } from 'vitest'
import { SYNTHETIC_NOW_MS } from './map-constants'
import { buildMapModel } from './map-model'
import { SYNTHETIC_PEER_PREFIX, syntheticSnapshot } from './synthetic-mesh'

describe('syntheticSnapshot', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    expect(syntheticSnapshot(50, 7)).toEqual(syntheticSnapshot(50, 7))
    expect(syntheticSnapshot(50, 7).nodes).not.toEqual(syntheticSnapshot(50, 8).nodes)
  })

  it('models to n nodes, all labelled synthetic, with 4–8 neighbours each', () => {
    const model = buildMapModel(syntheticSnapshot(200, 1), SYNTHETIC_NOW_MS)
    expect(model.stats.nodeCount).toBe(200)
    expect(model.nodes.every((n) => n.id.startsWith(SYNTHETIC_PEER_PREFIX))).toBe(true)
    expect(model.nodes.every((n) => n.x !== null && n.y !== null)).toBe(true)
    const degrees = model.nodes.map((n) => n.neighbours.length)
    expect(Math.max(...degrees)).toBeLessThanOrEqual(8)
    expect(degrees.filter((d) => d >= 4).length).toBeGreaterThan(190)
    expect(model.nodes.some((n) => n.opacity < 1)).toBe(true)
    expect(model.stats.medianRttMs).not.toBeNull()
  })

  it('has self connected but without a heartbeat of its own', () => {
    const snap = syntheticSnapshot(10, 3)
    expect(snap.nodes.some((n) => n.peerId === snap.peerId)).toBe(false)
    expect(snap.connections.length).toBeGreaterThan(0)
    expect(buildMapModel(snap, SYNTHETIC_NOW_MS).nodes[0]).toMatchObject({
      id: snap.peerId,
      isSelf: true,
    })
  })

  it('works for a single node and refuses sizes out of range', () => {
    expect(buildMapModel(syntheticSnapshot(1, 1), SYNTHETIC_NOW_MS).stats).toEqual({
      nodeCount: 1,
      linkCount: 0,
      medianRttMs: null,
    })
    expect(() => syntheticSnapshot(0, 1)).toThrow(RangeError)
    expect(() => syntheticSnapshot(1.5, 1)).toThrow(RangeError)
    expect(() => syntheticSnapshot(1001, 1)).toThrow(RangeError)
  })
})
