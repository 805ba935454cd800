import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { seededRandom, type Random } from '../ports'
import type { Coordinate } from './types'
import {
  InvalidCoordinateError,
  InvalidRttError,
  InvalidVivaldiConfigError,
  LatencyFilter,
  VIVALDI_ERROR_MAX,
  VIVALDI_HEIGHT_MIN_MS,
  VivaldiClient,
  distanceMs,
  isValidCoordinate,
  newCoordinate,
  project2d,
} from './vivaldi'

/** A coordinate with the given leading vec components (rest zero). */
function coord(head: number[], height = 0, adjustment = 0, error = 1): Coordinate {
  const vec = new Array<number>(8).fill(0)
  head.forEach((v, i) => (vec[i] = v))
  return { vec, height, error, adjustment }
}

/** Every number of a coordinate list as raw float64 bytes, to compare runs bit for bit. */
function bytesOf(coords: Coordinate[]): Uint8Array {
  const values = coords.flatMap((c) => [...c.vec, c.height, c.error, c.adjustment])
  return new Uint8Array(new Float64Array(values).buffer)
}

function median(values: number[]): number {
  const s = values.slice().sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

interface Topology {
  /** Noise-free RTT between node i and node j, ms. */
  rtt: (i: number, j: number) => number
  size: number
}

/** Nodes in an n-D box of side `side` ms, each with an access-link height in [1, 10] ms. */
function boxTopology(random: Random, size: number, dims: number, side: number): Topology {
  const pos = Array.from({ length: size }, () =>
    Array.from({ length: dims }, () => random.next() * side),
  )
  return withHeights(random, pos)
}

/**
 * Three-dimensional clusters ("continents"): centres spread over a 300 ms cube, members within
 * ±15 ms of their centre, plus access-link heights in [1, 10] ms.
 */
function clusterTopology(random: Random, size: number, clusters: number): Topology {
  const centres = Array.from({ length: clusters }, () =>
    Array.from({ length: 3 }, () => random.next() * 300),
  )
  const pos = Array.from({ length: size }, (_, i) =>
    centres[i % clusters]!.map((c) => c + (random.next() - 0.5) * 30),
  )
  return withHeights(random, pos)
}

function withHeights(random: Random, pos: number[][]): Topology {
  const heights = pos.map(() => 1 + random.next() * 9)
  return {
    size: pos.length,
    rtt: (i, j) => {
      const a = pos[i]!
      const b = pos[j]!
      const d = Math.sqrt(a.reduce((s, v, k) => s + (v - b[k]!) ** 2, 0))
      return d + heights[i]! + heights[j]!
    },
  }
}

/** Median of |predicted − true| / true over every pair of nodes. */
function medianRelativeError(topology: Topology, clients: VivaldiClient[]): number {
  const coords = clients.map((c) => c.coordinate)
  const errors: number[] = []
  for (let i = 0; i < topology.size; i++) {
    for (let j = i + 1; j < topology.size; j++) {
      const truth = topology.rtt(i, j)
      errors.push(Math.abs(distanceMs(coords[i]!, coords[j]!) - truth) / truth)
    }
  }
  return median(errors)
}

/**
 * Every node gets a fixed set of random neighbours (like a mesh's connections). Each round, every
 * node pings one random neighbour, measures the true RTT with ±5 % multiplicative noise, and
 * updates with the neighbour's current coordinate. Returns the median error at each checkpoint.
 */
function simulate(
  seed: number,
  topology: Topology,
  checkpoints: number[],
  neighbours = 12,
): { errors: number[]; clients: VivaldiClient[] } {
  const random = seededRandom(seed)
  const n = topology.size
  const clients = Array.from(
    { length: n },
    (_, i) => new VivaldiClient({ random: seededRandom(seed * 1000 + i) }),
  )
  const links = Array.from({ length: n }, () => new Set<number>())
  for (let i = 0; i < n; i++) {
    while (links[i]!.size < neighbours) {
      const j = Math.floor(random.next() * n)
      if (j === i) continue
      links[i]!.add(j)
      links[j]!.add(i)
    }
  }
  const peers = links.map((s) => [...s].sort((a, b) => a - b))

  const errors: number[] = []
  const last = Math.max(...checkpoints)
  for (let round = 0; round <= last; round++) {
    if (checkpoints.includes(round)) errors.push(medianRelativeError(topology, clients))
    if (round === last) break
    for (let i = 0; i < n; i++) {
      const mine = peers[i]!
      const j = mine[Math.floor(random.next() * mine.length)]!
      const noisy = topology.rtt(i, j) * (1 + (random.next() - 0.5) * 0.1)
      clients[i]!.update(`node-${j}`, clients[j]!.coordinate, noisy)
    }
  }
  return { errors, clients }
}

const CHECKPOINTS = [0, 10, 50, 200, 500]

describe('LatencyFilter', () => {
  it('returns the median of the last three samples per peer', () => {
    const f = new LatencyFilter()
    expect(f.push('bob', 10)).toBe(10)
    // Two samples: the upper median, as Serf picks sorted[len/2].
    expect(f.push('bob', 30)).toBe(30)
    expect(f.push('bob', 20)).toBe(20)
    // A single spike is filtered out.
    expect(f.push('bob', 500)).toBe(30) // window 30, 20, 500
    expect(f.push('bob', 21)).toBe(21) // window 20, 500, 21
    expect(f.push('bob', 22)).toBe(22) // window 500, 21, 22
    expect(f.push('bob', 23)).toBe(22) // window 21, 22, 23
    // Peers are independent.
    expect(f.push('carol', 7)).toBe(7)
  })

  it('forgets a peer', () => {
    const f = new LatencyFilter()
    f.push('bob', 100)
    f.push('bob', 100)
    f.forget('bob')
    expect(f.push('bob', 5)).toBe(5)
  })

  it('refuses invalid RTTs without recording them', () => {
    const f = new LatencyFilter()
    f.push('bob', 10)
    for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY, 10_001]) {
      expect(() => f.push('bob', bad)).toThrow(expect.objectContaining({ name: 'InvalidRttError' }))
    }
    expect(f.push('bob', 20)).toBe(20) // window 10, 20: nothing else got in
    expect(() => f.push('bob', -5)).toThrow(InvalidRttError)
    expect(new InvalidRttError('x').name).toBe('InvalidRttError')
    expect(() => new LatencyFilter(0)).toThrow(InvalidVivaldiConfigError)
  })

  it('matches a sorted-window median on arbitrary sequences', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 10_000, noNaN: true }), { minLength: 1 }),
        (xs) => {
          const f = new LatencyFilter()
          xs.forEach((x, i) => {
            const window = xs.slice(Math.max(0, i - 2), i + 1).sort((a, b) => a - b)
            expect(f.push('bob', x)).toBe(window[Math.floor(window.length / 2)])
          })
        },
      ),
    )
  })
})

describe('distanceMs', () => {
  it('matches hand-computed values', () => {
    // 3-4-5 triangle plus heights 1 and 2.
    expect(distanceMs(coord([0, 0], 1), coord([3, 4], 2))).toBe(8)
    // Positive adjustments are added.
    expect(distanceMs(coord([0, 0], 1, 0.5), coord([3, 4], 2, 1.5))).toBe(10)
    // A negative adjustment that keeps the sum positive is applied.
    expect(distanceMs(coord([0, 0], 1, -2), coord([3, 4], 2, -1))).toBe(5)
    // One that would make it ≤ 0 is ignored: the raw distance is returned.
    expect(distanceMs(coord([0, 0], 1, -5), coord([3, 4], 2, -4))).toBe(8)
    // All 8 dimensions count: sqrt(8 × 2²) = sqrt(32).
    const a = { vec: new Array<number>(8).fill(1), height: 0, error: 1, adjustment: 0 }
    const b = { vec: new Array<number>(8).fill(-1), height: 0, error: 1, adjustment: 0 }
    expect(distanceMs(a, b)).toBeCloseTo(Math.sqrt(32), 12)
    // Two fresh coordinates are two minimum heights apart.
    expect(distanceMs(newCoordinate(), newCoordinate())).toBeCloseTo(2 * VIVALDI_HEIGHT_MIN_MS, 15)
  })

  it('refuses mismatched dimensionality', () => {
    const short = { vec: [0, 0], height: 0, error: 1, adjustment: 0 }
    expect(() => distanceMs(newCoordinate(), short)).toThrow(InvalidCoordinateError)
  })

  it('is symmetric and non-negative', () => {
    const component = fc.double({ min: -1e5, max: 1e5, noNaN: true })
    const arbCoord = fc.record({
      vec: fc.array(component, { minLength: 8, maxLength: 8 }),
      height: fc.double({ min: 0, max: 1e4, noNaN: true }),
      error: fc.double({ min: 0, max: 1.5, noNaN: true }),
      adjustment: fc.double({ min: -1e4, max: 1e4, noNaN: true }),
    })
    fc.assert(
      fc.property(arbCoord, arbCoord, (a, b) => {
        const ab = distanceMs(a, b)
        expect(ab).toBe(distanceMs(b, a))
        expect(ab).toBeGreaterThanOrEqual(0)
      }),
    )
  })
})

describe('newCoordinate', () => {
  it('starts at the origin with maximum error and minimum height', () => {
    expect(newCoordinate()).toEqual({
      vec: [0, 0, 0, 0, 0, 0, 0, 0],
      height: VIVALDI_HEIGHT_MIN_MS,
      error: VIVALDI_ERROR_MAX,
      adjustment: 0,
    })
    expect(VIVALDI_HEIGHT_MIN_MS).toBe(0.01) // Serf's 10e-6 s
  })
})

describe('VivaldiClient', () => {
  it('moves toward a consistent position after one sample', () => {
    const alice = new VivaldiClient({ random: seededRandom(1) })
    const bob = coord([10], 0.01, 0, 1.5)
    const before = distanceMs(alice.coordinate, bob)
    const after = alice.update('bob', bob, 50)
    // rtt > distance: the spring pushes alice away from bob, so the estimate grows toward 50.
    expect(distanceMs(after, bob)).toBeGreaterThan(before)
    expect(after.vec[0]!).toBeLessThan(0)
    expect(after.error).toBeLessThanOrEqual(VIVALDI_ERROR_MAX)
    expect(isValidCoordinate(after)).toBe(true)
  })

  it('converges on a two-node system to the measured RTT', () => {
    const alice = new VivaldiClient({ random: seededRandom(1) })
    const bob = new VivaldiClient({ random: seededRandom(2) })
    for (let i = 0; i < 200; i++) {
      alice.update('bob', bob.coordinate, 40)
      bob.update('alice', alice.coordinate, 40)
    }
    expect(Math.abs(distanceMs(alice.coordinate, bob.coordinate) - 40)).toBeLessThan(2)
    expect(alice.coordinate.error).toBeLessThan(0.1)
  })

  it('refuses invalid input with a typed error and changes nothing', () => {
    const bad: Array<[Coordinate, number, string]> = [
      [newCoordinate(), Number.NaN, 'InvalidRttError'],
      [newCoordinate(), -1, 'InvalidRttError'],
      [newCoordinate(), Number.POSITIVE_INFINITY, 'InvalidRttError'],
      [newCoordinate(), 10_000.5, 'InvalidRttError'],
      [{ ...newCoordinate(), vec: [0, 0, 0] }, 10, 'InvalidCoordinateError'],
      [{ ...newCoordinate(), vec: [...newCoordinate().vec, 0] }, 10, 'InvalidCoordinateError'],
      [coord([Number.NaN]), 10, 'InvalidCoordinateError'],
      [coord([0], Number.NaN), 10, 'InvalidCoordinateError'],
      [coord([0], -1), 10, 'InvalidCoordinateError'],
      [coord([0], 0, Number.POSITIVE_INFINITY), 10, 'InvalidCoordinateError'],
      [coord([0], 0, 0, -0.1), 10, 'InvalidCoordinateError'],
      [coord([0], 0, 0, 2), 10, 'InvalidCoordinateError'],
      [coord([2e6]), 10, 'InvalidCoordinateError'],
    ]
    const valid: Array<[string, Coordinate, number]> = [
      ['bob', coord([10, 5], 2, 0, 0.5), 30],
      ['carol', coord([-20, 8], 3, 1, 0.8), 45],
      ['bob', coord([11, 5], 2, 0, 0.4), 31],
    ]
    const clean = new VivaldiClient({ random: seededRandom(7) })
    const poked = new VivaldiClient({ random: seededRandom(7) })
    for (const [peer, remote, rtt] of valid) {
      for (const [badRemote, badRtt, name] of bad) {
        const before = poked.coordinate
        expect(() => poked.update(peer, badRemote, badRtt)).toThrow(
          expect.objectContaining({ name }),
        )
        expect(poked.coordinate).toEqual(before)
      }
      clean.update(peer, remote, rtt)
      poked.update(peer, remote, rtt)
    }
    // Same coordinate, and (through the filter) the same future: nothing leaked in.
    expect(bytesOf([poked.coordinate])).toEqual(bytesOf([clean.coordinate]))
    expect(bytesOf([poked.update('bob', valid[0]![1], 90)])).toEqual(
      bytesOf([clean.update('bob', valid[0]![1], 90)]),
    )
    expect(poked.resets).toBe(0)
  })

  it('refuses out-of-range configuration', () => {
    const random = seededRandom(1)
    for (const init of [
      { errorMax: 2 },
      { ce: 0 },
      { cc: 1.5 },
      { adjustmentWindowSize: -1 },
      { adjustmentWindowSize: 2.5 },
      { heightMinMs: -1 },
      { latencyFilterSize: 0 },
      { gravityRhoMs: 0 },
      { gravityRhoMs: Number.NaN },
    ]) {
      expect(() => new VivaldiClient({ random }, init)).toThrow(
        expect.objectContaining({ name: 'InvalidVivaldiConfigError' }),
      )
    }
  })

  it('resets to a fresh coordinate when an update leaves the valid range', () => {
    const alice = new VivaldiClient({ random: seededRandom(3) })
    // A remote just past the "same point" threshold with a large height and a long RTT: the
    // height step (h + h')·force/|Δ| explodes past the magnitude bound.
    const remote = coord([0.002], 100, 0, 1.5)
    const after = alice.update('bob', remote, 10_000)
    expect(alice.resets).toBe(1)
    expect(after).toEqual(newCoordinate())
  })

  it('uses the Random port when two coordinates coincide', () => {
    const a = new VivaldiClient({ random: seededRandom(1) }).update('bob', newCoordinate(), 20)
    const b = new VivaldiClient({ random: seededRandom(2) }).update('bob', newCoordinate(), 20)
    const c = new VivaldiClient({ random: seededRandom(1) }).update('bob', newCoordinate(), 20)
    expect(bytesOf([a])).toEqual(bytesOf([c]))
    expect(bytesOf([a])).not.toEqual(bytesOf([b]))
    // Pushed away from the origin by the spring: force = 0.25 × 0.5 × (20 − 0.02) ms, less a
    // vanishing bit of gravity.
    expect(Math.hypot(...a.vec)).toBeCloseTo(0.125 * (20 - 2 * VIVALDI_HEIGHT_MIN_MS), 6)
  })

  it('leaves the adjustment at zero when the window is disabled', () => {
    const alice = new VivaldiClient({ random: seededRandom(1) }, { adjustmentWindowSize: 0 })
    for (let i = 0; i < 20; i++) alice.update('bob', coord([30], 5, 0, 0.3), 80)
    expect(alice.coordinate.adjustment).toBe(0)
  })

  it('forget clears the latency filter for that peer', () => {
    const remote = coord([30], 5, 0, 0.3)
    const a = new VivaldiClient({ random: seededRandom(1) })
    const b = new VivaldiClient({ random: seededRandom(1) })
    a.update('bob', remote, 100)
    b.update('bob', remote, 100)
    a.forget('bob')
    // a's filter sees only 10; b's sees [100, 10] whose upper median is 100.
    const ca = a.update('bob', remote, 10)
    const cb = b.update('bob', remote, 10)
    expect(distanceMs(ca, remote)).toBeLessThan(distanceMs(cb, remote))
  })
})

describe('convergence (Vivaldi paper, Fig. 5 style)', () => {
  it('shrinks the median relative error on a random 2-D topology with heights', () => {
    const topology = boxTopology(seededRandom(42), 64, 2, 200)
    const { errors } = simulate(42, topology, CHECKPOINTS)
    console.info(
      '2-D box, median relative error at',
      CHECKPOINTS,
      errors.map((e) => e.toFixed(4)),
    )
    const [r0, r10, r50, r200, r500] = errors as [number, number, number, number, number]
    expect(r0).toBeGreaterThan(0.9) // everyone at the origin: predictions ≈ 0
    expect(r10).toBeLessThan(r0)
    expect(r50).toBeLessThan(r10)
    expect(r200).toBeLessThan(r50)
    expect(r200).toBeLessThan(r0 / 4)
    expect(r500).toBeLessThan(r200)
    expect(r500).toBeLessThan(0.15)
  })

  it('shrinks the median relative error on a clustered 3-D topology', () => {
    const topology = clusterTopology(seededRandom(7), 64, 4)
    const { errors } = simulate(7, topology, CHECKPOINTS)
    console.info(
      '3-D clusters, median relative error at',
      CHECKPOINTS,
      errors.map((e) => e.toFixed(4)),
    )
    const [r0, r10, r50, r200, r500] = errors as [number, number, number, number, number]
    expect(r0).toBeGreaterThan(0.9)
    expect(r10).toBeLessThan(r0)
    expect(r50).toBeLessThan(r10)
    expect(r200).toBeLessThan(r50)
    expect(r200).toBeLessThan(r0 / 4)
    expect(r500).toBeLessThan(r200)
    expect(r500).toBeLessThan(0.15)
  })

  it('is deterministic: same seed, byte-identical coordinates; another seed, different ones', () => {
    const run = (seed: number) => {
      const topology = boxTopology(seededRandom(seed), 16, 2, 200)
      return bytesOf(simulate(seed, topology, [30]).clients.map((c) => c.coordinate))
    }
    expect(run(5)).toEqual(run(5))
    expect(run(5)).not.toEqual(run(6))
  })
})

describe('isValidCoordinate', () => {
  it('accepts a well-formed coordinate and refuses malformed ones', () => {
    expect(isValidCoordinate(newCoordinate())).toBe(true)
    expect(isValidCoordinate(coord([1e6], 1e6, -1e6, 0))).toBe(true)
    for (const bad of [
      null,
      undefined,
      42,
      'coord',
      [],
      {},
      { vec: [0, 0, 0, 0, 0, 0, 0], height: 0, error: 1, adjustment: 0 },
      { vec: ['0', 0, 0, 0, 0, 0, 0, 0], height: 0, error: 1, adjustment: 0 },
      { vec: new Array(8), height: 0, error: 1, adjustment: 0 },
      { ...newCoordinate(), height: -0.5 },
      { ...newCoordinate(), error: 1.6 },
      { ...newCoordinate(), error: Number.NaN },
      { ...newCoordinate(), adjustment: Number.NEGATIVE_INFINITY },
      { ...newCoordinate(), adjustment: undefined },
      coord([1e6 + 1]),
    ]) {
      expect(isValidCoordinate(bad)).toBe(false)
    }
  })

  it('never throws, even on hostile objects', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('boom')
        },
      },
    )
    expect(isValidCoordinate(hostile)).toBe(false)
    fc.assert(
      fc.property(fc.anything({ withTypedArray: true, withSparseArray: true }), (x) => {
        expect(typeof isValidCoordinate(x)).toBe('boolean')
      }),
    )
  })

  it('accepts every coordinate a VivaldiClient produces', () => {
    const remote = fc.record({
      vec: fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), {
        minLength: 8,
        maxLength: 8,
      }),
      height: fc.double({ min: 0, max: 1e6, noNaN: true }),
      error: fc.double({ min: 0, max: 1.5, noNaN: true }),
      adjustment: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
    })
    const step = fc.tuple(
      fc.constantFrom('alice', 'bob', 'carol'),
      remote,
      fc.double({ min: 0, max: 10_000, noNaN: true }),
    )
    fc.assert(
      fc.property(fc.integer(), fc.array(step, { minLength: 1, maxLength: 30 }), (seed, steps) => {
        const client = new VivaldiClient({ random: seededRandom(seed) })
        for (const [peer, r, rtt] of steps) {
          expect(isValidCoordinate(client.update(peer, r, rtt))).toBe(true)
        }
        expect(isValidCoordinate(client.coordinate)).toBe(true)
      }),
    )
  })
})

describe('project2d', () => {
  it('returns the first two components when there is nothing to project', () => {
    expect(project2d([])).toEqual([])
    expect(project2d([coord([3, 4, 5])])).toEqual([{ x: 3, y: 4 }])
    expect(project2d([coord([3, 4, 5]), coord([3, 4, 5])])).toEqual([
      { x: 3, y: 4 },
      { x: 3, y: 4 },
    ])
  })

  it('keeps points on a line on a line, in order up to sign, with their spacing', () => {
    const direction = [1, -1, 2, 0.5, -3, 0, 1, 1]
    const length = Math.hypot(...direction)
    const base = [5, 5, 5, 5, 5, 5, 5, 5]
    const ts = [0, 3, 1, 7, 2.5, -4]
    const points = ts.map((t) => ({
      vec: base.map((b, i) => b + t * direction[i]!),
      height: 1,
      error: 0.5,
      adjustment: 0,
    }))
    const projected = project2d(points)
    for (const p of projected) expect(Math.abs(p.y)).toBeLessThan(1e-9)
    const sign = Math.sign(projected[1]!.x - projected[0]!.x)
    for (let i = 0; i < ts.length; i++) {
      for (let j = 0; j < ts.length; j++) {
        expect(projected[i]!.x - projected[j]!.x).toBeCloseTo(sign * (ts[i]! - ts[j]!) * length, 9)
      }
    }
  })

  it('finds the dominant axis of a scattered cloud', () => {
    const random = seededRandom(11)
    // Spread 100 ms along vec[3], 10 ms along vec[6], 1 ms elsewhere.
    const points = Array.from({ length: 50 }, () => {
      const vec = Array.from({ length: 8 }, () => (random.next() - 0.5) * 1)
      vec[3] = (random.next() - 0.5) * 100
      vec[6] = (random.next() - 0.5) * 10
      return { vec, height: 1, error: 0.5, adjustment: 0 }
    })
    const projected = project2d(points)
    const xs = projected.map((p) => p.x)
    const ys = projected.map((p) => p.y)
    const spread = (v: number[]) => Math.max(...v) - Math.min(...v)
    expect(spread(xs)).toBeGreaterThan(90)
    expect(spread(ys)).toBeGreaterThan(8)
    expect(spread(ys)).toBeLessThan(15)
    // x tracks vec[3] (the sign convention makes the largest loading positive).
    const corr = points.reduce((s, p, i) => s + p.vec[3]! * xs[i]!, 0)
    expect(corr).toBeGreaterThan(0)
  })

  it('is deterministic and stable under reordering of identical inputs', () => {
    const random = seededRandom(99)
    const points = Array.from({ length: 20 }, () => ({
      vec: Array.from({ length: 8 }, () => (random.next() - 0.5) * 200),
      height: 1,
      error: 0.5,
      adjustment: 0,
    }))
    const a = project2d(points)
    const b = project2d(points.map((p) => ({ ...p, vec: p.vec.slice() })))
    expect(a).toEqual(b)
    // Reversing the input order reverses the output and changes nothing else (up to rounding).
    const reversed = project2d(points.slice().reverse()).reverse()
    reversed.forEach((p, i) => {
      expect(p.x).toBeCloseTo(a[i]!.x, 9)
      expect(p.y).toBeCloseTo(a[i]!.y, 9)
    })
  })
})
