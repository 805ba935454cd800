import { describe, expect, it } from 'vitest'
import {
  DEFAULT_CONDITIONS,
  matrixTopology,
  NetworkModel,
  planeTopology,
  ROUTE_LOST,
  ROUTE_OK,
  ROUTE_PARTITIONED,
} from './network'
import { RandomStreams } from './random'
import type { NodeInfo } from './types'

const infos = (n: number): NodeInfo[] =>
  Array.from({ length: n }, (_, i) => ({
    node: i,
    host: i,
    role: 'validator',
    byzantine: null,
    incarnation: 0,
  }))

const flat = (n: number, ms: number) =>
  matrixTopology(Array.from({ length: n }, () => Array<number>(n).fill(ms)))(infos(n))

function model(n: number, change: Partial<typeof DEFAULT_CONDITIONS> = {}, seed = 1): NetworkModel {
  return new NetworkModel(
    n,
    flat(n, 10),
    { ...DEFAULT_CONDITIONS, ...change },
    new RandomStreams(seed).stream('network'),
  )
}

/** Arrival times of `count` messages sent 1 ms apart on link 0 → 1. */
function send(
  net: NetworkModel,
  count: number,
): { arrivals: number[]; lost: number; dups: number } {
  const arrivals: number[] = []
  const out: number[] = []
  let lost = 0
  let dups = 0
  for (let i = 0; i < count; i++) {
    const status = net.route(0, 1, 100, i, out)
    if (status === ROUTE_LOST) lost++
    else {
      expect(status).toBe(ROUTE_OK)
      arrivals.push(out[0] as number)
      if (out.length === 2) dups++
    }
  }
  return { arrivals, lost, dups }
}

const isSorted = (xs: number[]): boolean =>
  xs.every((x, i) => i === 0 || (xs[i - 1] as number) <= x)

describe('NetworkModel', () => {
  it('keeps links FIFO under jitter when there is no reordering', () => {
    const { arrivals } = send(model(2, { jitterMs: 50 }), 500)
    expect(isSorted(arrivals)).toBe(true)
    expect(Math.min(...arrivals.map((a, i) => a - i))).toBeGreaterThanOrEqual(10)
  })

  it('reorders, duplicates and loses messages at roughly the configured rates', () => {
    const reordered = send(model(2, { jitterMs: 5, reorder: 0.3, reorderMs: 100 }), 2000)
    expect(isSorted(reordered.arrivals)).toBe(false)
    const lossy = send(model(2, { loss: 0.1 }), 5000)
    expect(lossy.lost).toBeGreaterThan(350)
    expect(lossy.lost).toBeLessThan(650)
    const dup = send(model(2, { duplicate: 0.2 }), 5000)
    expect(dup.dups).toBeGreaterThan(800)
    expect(dup.dups).toBeLessThan(1200)
    expect(send(model(2, { loss: 1 }), 100).lost).toBe(100)
  })

  it('refuses messages across a partition until it heals; unlisted hosts form one group', () => {
    const net = model(5)
    const out: number[] = []
    net.partition([[0, 1], [2]])
    expect(net.route(0, 2, 1, 0, out)).toBe(ROUTE_PARTITIONED)
    expect(net.route(2, 3, 1, 0, out)).toBe(ROUTE_PARTITIONED)
    expect(net.route(0, 1, 1, 0, out)).toBe(ROUTE_OK)
    expect(net.route(3, 4, 1, 0, out)).toBe(ROUTE_OK)
    expect(net.connected(1, 3)).toBe(false)
    expect(net.groups()).toEqual([0, 0, 1, 2, 2])
    net.healPartition()
    expect(net.route(0, 2, 1, 0, out)).toBe(ROUTE_OK)
  })

  it('queues messages behind each other on a limited uplink', () => {
    // 8 kbit/s: a 100-byte message takes 100 ms to leave.
    const { arrivals } = send(model(2, { jitterMs: 0, bandwidthBps: 8_000 }), 3)
    expect(arrivals).toEqual([110, 210, 310])
  })

  it('applies per-link overrides and heals back to the base conditions', () => {
    const net = model(3, { jitterMs: 0 })
    net.setLink(0, 1, { loss: 1 })
    const out: number[] = []
    expect(net.route(0, 1, 1, 0, out)).toBe(ROUTE_LOST)
    expect(net.route(1, 0, 1, 0, out)).toBe(ROUTE_OK)
    net.setConditions({ duplicate: 1 })
    expect(net.route(0, 1, 1, 0, out)).toBe(ROUTE_LOST)
    net.healAll()
    expect(net.route(0, 1, 1, 0, out)).toBe(ROUTE_OK)
    expect(out).toEqual([10])
  })

  it('derives plane latencies from positions drawn from the seed', () => {
    const a = planeTopology(infos(4), new RandomStreams(3).stream('topology'))
    const b = planeTopology(infos(4), new RandomStreams(3).stream('topology'))
    expect(a.positions).toEqual(b.positions)
    expect(a.latencyMs(0, 1)).toBe(a.latencyMs(1, 0))
    expect(a.latencyMs(0, 1)).toBeGreaterThanOrEqual(5)
    expect(a.latencyMs(0, 1)).toBeLessThanOrEqual(5 + 80 * Math.SQRT2)
  })
})
