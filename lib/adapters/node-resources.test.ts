import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { nullFields, reasonFor, validateResources, type ResourceReport } from '../assets/resources'
import { measureNodeResources, type NodeResourcesInit } from './node-resources'

// Short phases and a small probe: these tests check what is reported, never how fast.
const QUICK = { calibration: { warmupMs: 0, durationMs: 10 }, storageProbeBytes: 256 * 1024 }

let dataDir: string

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hypermesh-resources-'))
})

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true })
})

/** Every number in `x`, with its path. */
function numbers(x: unknown, path = ''): [string, number][] {
  if (typeof x === 'number') return [[path, x]]
  if (typeof x !== 'object' || x === null) return []
  return Object.entries(x).flatMap(([k, v]) => numbers(v, path === '' ? k : `${path}.${k}`))
}

/** The checks every report must pass, whatever the machine. */
function expectWellFormed(report: ResourceReport): void {
  const { resources, reasons, tookMs } = report
  // Never NaN or infinite, anywhere: a figure or null.
  for (const [path, n] of [...numbers(resources), ...numbers(tookMs)]) {
    expect(Number.isFinite(n), path).toBe(true)
  }
  // What it reports about itself passes the check a peer would apply to it, also after JSON.
  expect(validateResources(JSON.parse(JSON.stringify(resources)))).toEqual(resources)
  // Every unknown says why.
  for (const path of nullFields(resources)) {
    expect(reasonFor(reasons, path), path).toMatch(/\S/)
  }
  for (const ms of Object.values(tookMs)) expect(ms).toBeGreaterThanOrEqual(0)
}

describe('measureNodeResources', () => {
  it('measures cores, memory, the data directory and the CPU, and leaves no probe file', async () => {
    const report = await measureNodeResources({ dataDir, calibrate: true, ...QUICK })
    expectWellFormed(report)
    const { resources, reasons } = report
    expect(resources.platform).toBe('node')
    expect(resources.cpu.logicalCores).toBe(availableParallelism())
    expect(resources.cpu.score).toBeGreaterThan(0)
    expect(resources.cpu.calibrationMs).toBeGreaterThan(0)
    expect(resources.memory.totalBytes).toBe(totalmem())
    expect(resources.memory.jsHeapLimitBytes).toBeGreaterThan(0)
    expect(resources.memory.deviceMemoryGiB).toBeNull()
    expect(resources.storage.freeBytes).toBeGreaterThanOrEqual(0)
    expect(resources.storage.totalBytes).toBeGreaterThanOrEqual(resources.storage.freeBytes!)
    expect(resources.storage.writeBytesPerSecond).toBeGreaterThan(0)
    expect(resources.storage.writeProbe).toBe('file-fsync')
    expect(resources.storage.quotaBytes).toBeNull()
    expect(resources.gpu).toBeNull()
    expect(reasons.gpu).toMatch(/WebGPU/)
    expect(resources.network.links).toEqual([])
    expect(await readdir(dataDir)).toEqual([])
  })

  it('leaves the score unknown, with a reason, when no calibration is asked for', async () => {
    const report = await measureNodeResources({ dataDir, ...QUICK, calibrate: false })
    expectWellFormed(report)
    expect(report.resources.cpu.score).toBeNull()
    expect(report.resources.cpu.calibrationMs).toBeNull()
    expect(report.resources.cpu.logicalCores).toBe(availableParallelism())
    expect(reasonFor(report.reasons, 'cpu.score')).toMatch(/\S/)
  })

  it('skips the write probe for 0 bytes and writes nothing', async () => {
    const report = await measureNodeResources({
      dataDir,
      ...QUICK,
      calibrate: false,
      storageProbeBytes: 0,
    })
    expectWellFormed(report)
    expect(report.resources.storage.writeBytesPerSecond).toBeNull()
    expect(report.resources.storage.writeProbe).toBeNull()
    expect(report.resources.storage.freeBytes).not.toBeNull()
    expect(await readdir(dataDir)).toEqual([])
  })

  it('reports a missing data directory as unknown storage, and still measures the rest', async () => {
    const report = await measureNodeResources({
      dataDir: join(dataDir, 'missing'),
      ...QUICK,
      calibrate: false,
    })
    expectWellFormed(report)
    const { storage } = report.resources
    expect([storage.freeBytes, storage.totalBytes, storage.writeBytesPerSecond]).toEqual([
      null,
      null,
      null,
    ])
    expect(reasonFor(report.reasons, 'storage.freeBytes')).toMatch(/data directory/)
    expect(report.resources.memory.totalBytes).toBe(totalmem())
  })

  it('carries the measured links, and says why goodput is unknown when none was measured', async () => {
    const links = [
      { peerId: 'alice', rttMs: 12.5, goodputBytesPerSecond: null },
      { peerId: 'bob', rttMs: null, goodputBytesPerSecond: null },
    ]
    const report = await measureNodeResources({
      dataDir,
      ...QUICK,
      calibrate: false,
      storageProbeBytes: 0,
      links,
    })
    expectWellFormed(report)
    expect(report.resources.network.links).toEqual(links)
    expect(report.reasons.network).toMatch(/goodput/)
  })

  it('reports a part that runs out of time as unknown with a reason', async () => {
    // The calibration yields to the event loop between slices, so its time limit can fire even
    // though it runs on this thread. The limit is far below the calibration's own length.
    const report = await measureNodeResources({
      dataDir,
      calibration: { warmupMs: 0, durationMs: 5_000 },
      storageProbeBytes: 0,
      timeoutsMs: { cpu: 1 },
    })
    expectWellFormed(report)
    expect(report.resources.cpu.score).toBeNull()
    expect(reasonFor(report.reasons, 'cpu.score')).toMatch(/timed out/)
  })

  it('rejects with the reason of an aborted signal and leaves no probe file', async () => {
    const controller = new AbortController()
    controller.abort()
    await expect(
      measureNodeResources({ dataDir, ...QUICK, signal: controller.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' })

    const midway = new AbortController()
    const pending = measureNodeResources({
      dataDir,
      calibration: { warmupMs: 0, durationMs: 5_000 },
      storageProbeBytes: 256 * 1024,
      signal: midway.signal,
    })
    setTimeout(() => midway.abort(), 20)
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
    expect(await readdir(dataDir)).toEqual([])
  })

  it.each<[string, Partial<NodeResourcesInit>]>([
    ['an empty data directory', { dataDir: '' }],
    ['a probe below 64 KiB', { storageProbeBytes: 1_000 }],
    ['a probe above 64 MiB', { storageProbeBytes: 65 * 2 ** 20 }],
    ['a fractional probe', { storageProbeBytes: 100_000.5 }],
    ['a zero time limit', { timeoutsMs: { storage: 0 } }],
    ['an endless time limit', { timeoutsMs: { cpu: Infinity } }],
    ['a measured phase below 10 ms', { calibration: { durationMs: 1 } }],
    ['a negative warm-up', { calibration: { warmupMs: -1 } }],
    ['a link out of bounds', { links: [{ peerId: 'a', rttMs: -5, goodputBytesPerSecond: null }] }],
  ])('refuses %s before measuring', async (_, bad) => {
    await expect(measureNodeResources({ dataDir, ...QUICK, ...bad })).rejects.toMatchObject({
      name: 'AssetArgumentError',
      code: 'ERR_ASSET_ARGUMENT',
    })
    expect(await readdir(dataDir)).toEqual([])
  })
})
