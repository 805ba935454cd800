import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  CALIBRATION_BLOCK_BYTES,
  CPU_WORKLOAD,
  InvalidResourcesError,
  MAX_BYTES_PER_SECOND,
  MAX_CPU_SCORE,
  MAX_GPU_LIMIT,
  MAX_GPU_TEXT_LENGTH,
  MAX_LINK_RTT_MS,
  MAX_MEMORY_BYTES,
  MAX_NETWORK_LINKS,
  MAX_STORAGE_BYTES,
  MIN_MEMORY_BYTES,
  RESOURCES_VERSION,
  STORAGE_PROBE_MAX_BYTES,
  STORAGE_PROBE_MIN_BYTES,
  calibrateCpu,
  checkStorageProbeBytes,
  createCpuWorkload,
  deviceMemoryFrom,
  gpuFromAdapter,
  gpuNullReasons,
  networkFromLinks,
  nullFields,
  parseCalibrateRequest,
  platformNumber,
  rateFrom,
  reasonFor,
  storageFromEstimate,
  summarizeResources,
  unknownResources,
  validateResources,
  workloadSha256,
  type GpuResources,
  type LinkMeasurement,
  type Resources,
} from './resources'

// ---------------------------------------------------------------------------------------------
// Helpers and arbitraries

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/** The workload's chain after `n` units, computed with node:crypto instead of the workload. */
function referenceChain(n: number): string {
  const block = new Uint8Array(CALIBRATION_BLOCK_BYTES)
  for (let i = 0; i < block.length; i++) block[i] = i & 0xff
  for (let i = 0; i < n; i++) block.set(createHash('sha256').update(block).digest(), 0)
  return hex(block.subarray(0, 32))
}

/** A clock that advances 1 ms at every reading (and by `jump` ms when told to). */
function steppingClock(): { now: () => number; jump: (ms: number) => void } {
  let t = 0
  return { now: () => t++, jump: (ms) => void (t += ms) }
}

/** Expect `f` to throw an error with this `name` (and `field`, if given). */
function expectThrowsNamed(f: () => unknown, name: string, field?: string): void {
  let caught: unknown = null
  try {
    f()
  } catch (err) {
    caught = err
  }
  expect(caught).toBeInstanceOf(Error)
  expect((caught as Error).name).toBe(name)
  if (field !== undefined) expect((caught as InvalidResourcesError).field).toBe(field)
}

const nullable = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(a, { nil: null })
// `+ 0` turns -0 into 0: the validator returns 0 for -0, and toEqual tells them apart.
const real = (min: number, max: number): fc.Arbitrary<number> =>
  fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((x) => x + 0)
const positive = (max: number): fc.Arbitrary<number> => real(0, max).filter((x) => x > 0)
const int = (min: number, max: number): fc.Arbitrary<number> => fc.integer({ min, max })
// Printable text: the validator refuses control characters and empty strings.
const text = fc
  .string({ minLength: 1, maxLength: MAX_GPU_TEXT_LENGTH, unit: 'grapheme' })
  // eslint-disable-next-line no-control-regex
  .filter((s) => s.length <= MAX_GPU_TEXT_LENGTH && !/[\u0000-\u001f\u007f]/.test(s))

const linkArb: fc.Arbitrary<LinkMeasurement> = fc.record({
  peerId: fc.stringMatching(/^[A-Za-z0-9]{1,128}$/),
  rttMs: nullable(real(0, MAX_LINK_RTT_MS)),
  goodputBytesPerSecond: nullable(positive(MAX_BYTES_PER_SECOND)),
})

const gpuArb: fc.Arbitrary<GpuResources> = fc.record({
  vendor: nullable(text),
  architecture: nullable(text),
  device: nullable(text),
  description: nullable(text),
  fallbackAdapter: nullable(fc.boolean()),
  memoryBytes: fc.constant(null),
  limits: fc.record({
    maxBufferSize: nullable(int(1, MAX_GPU_LIMIT)),
    maxStorageBufferBindingSize: nullable(int(1, MAX_GPU_LIMIT)),
    maxComputeWorkgroupsPerDimension: nullable(int(1, MAX_GPU_LIMIT)),
    maxComputeInvocationsPerWorkgroup: nullable(int(1, MAX_GPU_LIMIT)),
  }),
})

/** Any measurement the validator must accept. */
const resourcesArb: fc.Arbitrary<Resources> = fc
  .record({
    platform: fc.constantFrom('browser' as const, 'node' as const),
    cores: nullable(int(1, 1024)),
    calibration: nullable(fc.tuple(positive(MAX_CPU_SCORE), positive(60_000))),
    deviceMemoryGiB: nullable(int(-10, 16).map((k) => 2 ** k)),
    jsHeapLimitBytes: nullable(int(MIN_MEMORY_BYTES, MAX_MEMORY_BYTES)),
    memory: fc.tuple(
      nullable(int(MIN_MEMORY_BYTES, MAX_MEMORY_BYTES)),
      nullable(int(MIN_MEMORY_BYTES, MAX_MEMORY_BYTES)),
    ),
    quotaBytes: nullable(int(1, MAX_STORAGE_BYTES)),
    usageBytes: nullable(int(0, MAX_STORAGE_BYTES)),
    disk: fc.tuple(nullable(int(0, MAX_STORAGE_BYTES)), nullable(int(1, MAX_STORAGE_BYTES))),
    write: nullable(
      fc.tuple(positive(MAX_BYTES_PER_SECOND), fc.constantFrom('indexeddb', 'file-fsync')),
    ),
    gpu: nullable(gpuArb),
    links: fc.uniqueArray(linkArb, { selector: (l) => l.peerId, maxLength: MAX_NETWORK_LINKS }),
  })
  .map((g): Resources => {
    let [total, limit] = g.memory
    if (total !== null && limit !== null && limit > total) [total, limit] = [limit, total]
    const size = g.disk[1]
    let free = g.disk[0]
    if (free !== null && size !== null && free > size) free = size
    return {
      version: RESOURCES_VERSION,
      platform: g.platform,
      cpu: {
        logicalCores: g.cores,
        score: g.calibration?.[0] ?? null,
        calibrationMs: g.calibration?.[1] ?? null,
      },
      memory: {
        deviceMemoryGiB: g.deviceMemoryGiB,
        jsHeapLimitBytes: g.jsHeapLimitBytes,
        totalBytes: total,
        limitBytes: limit,
      },
      storage: {
        quotaBytes: g.quotaBytes,
        usageBytes: g.usageBytes,
        freeBytes: free,
        totalBytes: size,
        writeBytesPerSecond: g.write?.[0] ?? null,
        writeProbe: g.write?.[1] ?? null,
      },
      gpu: g.gpu,
      network: { links: g.links },
    }
  })

/** Paths of the numeric fields of `r` (those a corruption test may break). */
function numericPaths(r: Resources): string[] {
  const paths = [
    'cpu.logicalCores',
    'cpu.score',
    'cpu.calibrationMs',
    'memory.deviceMemoryGiB',
    'memory.jsHeapLimitBytes',
    'memory.totalBytes',
    'memory.limitBytes',
    'storage.quotaBytes',
    'storage.usageBytes',
    'storage.freeBytes',
    'storage.totalBytes',
    'storage.writeBytesPerSecond',
  ]
  if (r.gpu !== null) {
    for (const k of Object.keys(r.gpu.limits)) paths.push(`gpu.limits.${k}`)
  }
  r.network.links.forEach((_, i) => {
    paths.push(`network.links[${i}].rttMs`, `network.links[${i}].goodputBytesPerSecond`)
  })
  return paths
}

/** Paths of every object in `r` (where an extra or a missing key must be refused). */
function objectPaths(r: Resources): string[] {
  const paths = ['', 'cpu', 'memory', 'storage', 'network']
  if (r.gpu !== null) paths.push('gpu', 'gpu.limits')
  r.network.links.forEach((_, i) => paths.push(`network.links[${i}]`))
  return paths
}

/** Split `a.b[3].c` into `['a', 'b', '3', 'c']`. */
const steps = (path: string): string[] => path.split(/[.[\]]+/).filter((s) => s !== '')

function getAt(root: unknown, path: string): Record<string, unknown> {
  let o = root as Record<string, unknown>
  for (const s of steps(path)) o = o[s] as Record<string, unknown>
  return o
}

function setAt(root: unknown, path: string, value: unknown): void {
  const parts = steps(path)
  const last = parts.pop()!
  getAt(root, parts.join('.'))[last] = value
}

// ---------------------------------------------------------------------------------------------
// The workload

describe('workloadSha256', () => {
  // FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA256_2.pdf") and the empty message.
  const vectors: [string, string][] = [
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    [
      'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    ],
    ['a'.repeat(1_000_000), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0'],
  ]
  it.each(vectors)('hashes the FIPS 180-4 vector %#', (message, digest) => {
    expect(hex(workloadSha256(new TextEncoder().encode(message)))).toBe(digest)
  })

  it('agrees with node:crypto on any input, across every padding boundary', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        expect(hex(workloadSha256(data))).toBe(createHash('sha256').update(data).digest('hex'))
      }),
    )
  })
})

describe('createCpuWorkload', () => {
  it('chains SHA-256 over the 64 KiB block exactly as documented', () => {
    const work = createCpuWorkload()
    expect(hex(work.digest())).toBe(referenceChain(0))
    for (let n = 1; n <= 5; n++) {
      work.unit()
      expect(work.units).toBe(n)
      expect(hex(work.digest())).toBe(referenceChain(n))
    }
  })
})

describe('calibrateCpu', () => {
  it('does one unit per ms on a clock that advances 1 ms per reading, and proves the work', async () => {
    const clock = steppingClock()
    const r = await calibrateCpu(clock.now, { warmupMs: 5, durationMs: 20 })
    expect(r.workload).toBe(CPU_WORKLOAD)
    expect(r.warmupUnits).toBe(5)
    expect(r.units).toBe(20)
    expect(r.measuredMs).toBe(20)
    expect(r.unitsPerSecond).toBe(1000)
    expect(r.totalMs).toBeGreaterThanOrEqual(r.measuredMs)
    expect(r.digestHex).toBe(referenceChain(r.warmupUnits + r.units))
  })

  it('counts work only, not the pauses between slices', async () => {
    const clock = steppingClock()
    let pauses = 0
    const r = await calibrateCpu(clock.now, {
      warmupMs: 0,
      durationMs: 12,
      sliceMs: 3,
      pause: async () => {
        pauses++
        clock.jump(1_000)
      },
    })
    expect(pauses).toBe(3)
    expect(r.warmupUnits).toBe(0)
    expect(r.units).toBe(12)
    expect(r.measuredMs).toBe(12)
    expect(r.unitsPerSecond).toBe(1000)
    expect(r.totalMs).toBeGreaterThan(3_000)
    expect(r.digestHex).toBe(referenceChain(12))
  })

  it('does at least one unit in a phase whose clock does not move', async () => {
    let reads = 0
    // Still for the first 50 readings, then jumps past the phase: a coarse clock.
    const now = (): number => (++reads < 50 ? 0 : 1_000)
    const r = await calibrateCpu(now, { warmupMs: 0, durationMs: 10 })
    expect(r.units).toBeGreaterThanOrEqual(1)
    expect(r.measuredMs).toBeGreaterThan(0)
    expect(Number.isFinite(r.unitsPerSecond)).toBe(true)
  })

  it('rejects with the reason of an aborted signal, before or between slices', async () => {
    const before = new AbortController()
    before.abort()
    await expect(
      calibrateCpu(steppingClock().now, {}, { signal: before.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' })

    const during = new AbortController()
    const clock = steppingClock()
    await expect(
      calibrateCpu(
        clock.now,
        { warmupMs: 0, durationMs: 100, sliceMs: 5, pause: async () => during.abort() },
        { signal: during.signal },
      ),
    ).rejects.toMatchObject({ name: 'AbortError' })
  })

  it.each([
    [{ warmupMs: -1 }],
    [{ warmupMs: Number.NaN }],
    [{ warmupMs: 5_001 }],
    [{ durationMs: 9 }],
    [{ durationMs: Infinity }],
    [{ sliceMs: 0 }],
  ])('refuses the option %o', async (init) => {
    await expect(calibrateCpu(steppingClock().now, init)).rejects.toMatchObject({
      name: 'AssetArgumentError',
      code: 'ERR_ASSET_ARGUMENT',
    })
  })
})

describe('parseCalibrateRequest', () => {
  it('accepts a well-formed request and returns only its fields', () => {
    expect(
      parseCalibrateRequest({ type: 'calibrate', id: 7, warmupMs: 0, durationMs: 10, x: 1 }),
    ).toEqual({ type: 'calibrate', id: 7, warmupMs: 0, durationMs: 10 })
  })

  it.each([
    null,
    'calibrate',
    { type: 'route', id: 1, warmupMs: 0, durationMs: 10 },
    { type: 'calibrate', id: 1.5, warmupMs: 0, durationMs: 10 },
    { type: 'calibrate', id: 1, warmupMs: '0', durationMs: 10 },
    { type: 'calibrate', id: 1, warmupMs: 0, durationMs: 60_000 },
  ])('refuses %o', (x) => {
    expectThrowsNamed(() => parseCalibrateRequest(x), 'AssetArgumentError')
  })
})

// ---------------------------------------------------------------------------------------------
// Validation

describe('validateResources', () => {
  it('returns an equal, separate copy of any valid measurement, also after JSON', () => {
    fc.assert(
      fc.property(resourcesArb, (r) => {
        const copy = validateResources(r)
        expect(copy).toEqual(r)
        expect(copy).not.toBe(r)
        expect(copy.network.links).not.toBe(r.network.links)
        expect(validateResources(JSON.parse(JSON.stringify(r)))).toEqual(r)
      }),
    )
  })

  it('throws only InvalidResourcesError, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true }), (x) => {
        expectThrowsNamed(() => validateResources(x), 'InvalidResourcesError')
      }),
    )
  })

  it('refuses any numeric field made absurd, naming the field', () => {
    const bad = fc.constantFrom(
      Number.NaN,
      Infinity,
      -Infinity,
      -1,
      1e300,
      '5',
      true,
      undefined,
      {},
      [],
    )
    fc.assert(
      fc.property(
        resourcesArb.chain((r) => fc.tuple(fc.constant(r), fc.constantFrom(...numericPaths(r)))),
        bad,
        ([r, path], value) => {
          const broken = structuredClone(r)
          setAt(broken, path, value)
          expectThrowsNamed(() => validateResources(broken), 'InvalidResourcesError', path)
        },
      ),
    )
  })

  it('refuses an extra or a missing key on any object, naming the object', () => {
    fc.assert(
      fc.property(
        resourcesArb.chain((r) => fc.tuple(fc.constant(r), fc.constantFrom(...objectPaths(r)))),
        fc.boolean(),
        ([r, path], extra) => {
          const broken = structuredClone(r)
          const o = getAt(broken, path)
          if (extra) o.extra = null
          else delete o[Object.keys(o)[0]!]
          expectThrowsNamed(
            () => validateResources(broken),
            'InvalidResourcesError',
            path === '' ? 'resources' : path,
          )
        },
      ),
    )
  })

  const base = (): Resources => {
    const r = unknownResources('node')
    r.gpu = gpuFromAdapter({ vendor: 'acme' }, { maxBufferSize: 2 ** 28 })
    r.network.links = [{ peerId: 'alice', rttMs: 12, goodputBytesPerSecond: 1e6 }]
    return r
  }

  it.each<[string, (r: Resources) => void, string]>([
    ['a version other than 1', (r) => ((r as { version: number }).version = 2), 'version'],
    ['an unknown platform', (r) => ((r as { platform: string }).platform = 'deno'), 'platform'],
    [
      'a GPU memory figure WebGPU cannot have measured',
      (r) => ((r.gpu as { memoryBytes: unknown }).memoryBytes = 2 ** 33),
      'gpu.memoryBytes',
    ],
    ['an empty GPU text', (r) => (r.gpu!.vendor = ''), 'gpu.vendor'],
    ['a GPU text with a control character', (r) => (r.gpu!.device = 'a\nb'), 'gpu.device'],
    [
      'a GPU text above the length bound',
      (r) => (r.gpu!.description = 'x'.repeat(MAX_GPU_TEXT_LENGTH + 1)),
      'gpu.description',
    ],
    [
      'a fallback flag that is not a boolean',
      (r) => ((r.gpu as { fallbackAdapter: unknown }).fallbackAdapter = 'yes'),
      'gpu.fallbackAdapter',
    ],
    [
      'a deviceMemory no browser reports',
      (r) => (r.memory.deviceMemoryGiB = 3),
      'memory.deviceMemoryGiB',
    ],
    ['a fractional core count', (r) => (r.cpu.logicalCores = 2.5), 'cpu.logicalCores'],
    ['a zero score', (r) => ((r.cpu.score = 0), (r.cpu.calibrationMs = 1)), 'cpu.score'],
    [
      'a score above the bound',
      (r) => ((r.cpu.score = MAX_CPU_SCORE * 2), (r.cpu.calibrationMs = 1)),
      'cpu.score',
    ],
    ['a score without its calibration time', (r) => (r.cpu.score = 100), 'cpu.calibrationMs'],
    ['a calibration time without a score', (r) => (r.cpu.calibrationMs = 100), 'cpu.calibrationMs'],
    [
      'a limit above the total memory',
      (r) => ((r.memory.totalBytes = 2 ** 30), (r.memory.limitBytes = 2 ** 31)),
      'memory.limitBytes',
    ],
    [
      'more free bytes than the disk holds',
      (r) => ((r.storage.totalBytes = 100), (r.storage.freeBytes = 101)),
      'storage.freeBytes',
    ],
    [
      'a write rate without its probe',
      (r) => (r.storage.writeBytesPerSecond = 1e6),
      'storage.writeProbe',
    ],
    [
      'a probe without a write rate',
      (r) => (r.storage.writeProbe = 'file-fsync'),
      'storage.writeProbe',
    ],
    [
      'an unknown probe',
      (r) => (
        (r.storage.writeBytesPerSecond = 1e6),
        ((r.storage as { writeProbe: unknown }).writeProbe = 'tape')
      ),
      'storage.writeProbe',
    ],
    [
      'a peer listed twice',
      (r) => r.network.links.push({ ...r.network.links[0]! }),
      'network.links[1].peerId',
    ],
    ['an empty peer ID', (r) => (r.network.links[0]!.peerId = ''), 'network.links[0].peerId'],
    [
      'a peer ID with a slash',
      (r) => (r.network.links[0]!.peerId = 'a/b'),
      'network.links[0].peerId',
    ],
    [
      'more links than the bound',
      (r) => {
        r.network.links = Array.from({ length: MAX_NETWORK_LINKS + 1 }, (_, i) => ({
          peerId: `p${i}`,
          rttMs: null,
          goodputBytesPerSecond: null,
        }))
      },
      'network.links',
    ],
    [
      'links that are not a list',
      (r) => ((r.network as { links: unknown }).links = {}),
      'network.links',
    ],
    ['a part that is not an object', (r) => ((r as { cpu: unknown }).cpu = null), 'cpu'],
  ])('refuses %s', (_, breakIt, field) => {
    const r = base()
    expect(validateResources(r)).toEqual(r)
    breakIt(r)
    expectThrowsNamed(() => validateResources(r), 'InvalidResourcesError', field)
  })

  it('turns -0 into 0 and keeps the error serialisable as { name, code, message }', () => {
    const r = unknownResources('browser')
    r.storage.usageBytes = -0
    expect(Object.is(validateResources(r).storage.usageBytes, 0)).toBe(true)
    const err = new InvalidResourcesError('cpu.score', 'not a number')
    expect(JSON.parse(JSON.stringify(err))).toMatchObject({
      name: 'InvalidResourcesError',
      code: 'ERR_RESOURCES_INVALID',
    })
  })
})

// ---------------------------------------------------------------------------------------------
// Normalising platform answers

describe('platform normalisers', () => {
  it('never let a platform answer become a figure the validator refuses', () => {
    const loose = fc.oneof(
      fc.anything(),
      fc.double(),
      fc.integer(),
      fc.string(),
      fc.constantFrom('', '  ', '\u0000', 'x'.repeat(1000)),
    )
    const keys = (names: string[]) =>
      fc.dictionary(fc.constantFrom(...names), loose, { maxKeys: names.length })
    fc.assert(
      fc.property(
        keys(['vendor', 'architecture', 'device', 'description', 'isFallbackAdapter']),
        keys([
          'maxBufferSize',
          'maxStorageBufferBindingSize',
          'maxComputeWorkgroupsPerDimension',
          'maxComputeInvocationsPerWorkgroup',
        ]),
        loose,
        loose,
        fc.record({ quota: loose, usage: loose }, { requiredKeys: [] }),
        (info, limits, legacy, deviceMemory, estimate) => {
          const r = unknownResources('browser')
          r.gpu = gpuFromAdapter(info, limits, legacy)
          r.memory.deviceMemoryGiB = deviceMemoryFrom(deviceMemory)
          Object.assign(r.storage, storageFromEstimate(estimate))
          expect(validateResources(r)).toEqual(r)
        },
      ),
    )
  })

  it("reports Chromium's empty adapter info as unknown, and GPU memory always as unknown", () => {
    const gpu = gpuFromAdapter(
      { vendor: 'nvidia', architecture: '', device: '', description: '', isFallbackAdapter: false },
      {
        maxBufferSize: 4_294_967_296,
        maxStorageBufferBindingSize: 2_147_483_644,
        maxComputeWorkgroupsPerDimension: 65_535,
        maxComputeInvocationsPerWorkgroup: 1_024,
      },
    )
    expect(gpu).toEqual({
      vendor: 'nvidia',
      architecture: null,
      device: null,
      description: null,
      fallbackAdapter: false,
      memoryBytes: null,
      limits: {
        maxBufferSize: 4_294_967_296,
        maxStorageBufferBindingSize: 2_147_483_644,
        maxComputeWorkgroupsPerDimension: 65_535,
        maxComputeInvocationsPerWorkgroup: 1_024,
      },
    })
    expect(Object.keys(gpuNullReasons(gpu)).sort()).toEqual([
      'gpu.architecture',
      'gpu.description',
      'gpu.device',
      'gpu.memoryBytes',
    ])
    // The fallback flag from its older place on the adapter, when info does not carry it.
    expect(gpuFromAdapter({}, {}, true).fallbackAdapter).toBe(true)
    expect(gpuFromAdapter(undefined, undefined).fallbackAdapter).toBeNull()
  })

  it.each([
    [8, 8],
    [0.25, 0.25],
    [32, 32],
    [0.75, null],
    [0, null],
    [-2, null],
    [Number.NaN, null],
    ['8', null],
    [undefined, null],
  ])('reads deviceMemory %o as %o', (x, want) => {
    expect(deviceMemoryFrom(x)).toBe(want)
  })

  it('reads a zero quota as unknown and a zero usage as zero', () => {
    expect(storageFromEstimate({ quota: 0, usage: 0 })).toEqual({ quotaBytes: null, usageBytes: 0 })
    expect(storageFromEstimate({ quota: 1e9, usage: Number.NaN })).toEqual({
      quotaBytes: 1e9,
      usageBytes: null,
    })
    expect(storageFromEstimate(null)).toEqual({ quotaBytes: null, usageBytes: null })
  })

  it('gives a rate only for a duration the clock measured', () => {
    expect(rateFrom(1_048_576, 500)).toBe(2_097_152)
    expect(rateFrom(1_048_576, 0)).toBeNull()
    expect(rateFrom(1_048_576, Number.NaN)).toBeNull()
    expect(rateFrom(0, 10)).toBeNull()
    expect(platformNumber(2.5, 1, 4, true)).toBeNull()
    expect(platformNumber(2, 1, 4, true)).toBe(2)
  })
})

// ---------------------------------------------------------------------------------------------
// Reasons, summary, options

describe('nullFields and reasonFor', () => {
  it('lists every unknown field, the GPU as a whole when there is none', () => {
    const r = unknownResources('browser')
    const paths = nullFields(r)
    expect(paths).toContain('cpu.score')
    expect(paths).toContain('storage.writeProbe')
    expect(paths).toContain('gpu')
    expect(paths.some((p) => p.startsWith('gpu.'))).toBe(false)
    r.gpu = gpuFromAdapter({ vendor: 'acme' }, {})
    expect(nullFields(r)).toContain('gpu.memoryBytes')
    expect(nullFields(r)).toContain('gpu.limits.maxBufferSize')
    expect(nullFields(r)).not.toContain('gpu.vendor')
  })

  it("falls back to the part's reason", () => {
    const reasons = { gpu: 'no WebGPU', 'cpu.score': 'not asked' }
    expect(reasonFor(reasons, 'gpu.limits.maxBufferSize')).toBe('no WebGPU')
    expect(reasonFor(reasons, 'cpu.score')).toBe('not asked')
    expect(reasonFor(reasons, 'cpu.logicalCores')).toBeNull()
  })
})

describe('networkFromLinks', () => {
  it('copies the links and says why the network is unknown', () => {
    const links = [{ peerId: 'bob', rttMs: 20, goodputBytesPerSecond: null }]
    const out = networkFromLinks('opt', links)
    expect(out.network.links).toEqual(links)
    expect(out.network.links[0]).not.toBe(links[0])
    expect(out.reasons.network).toBeTypeOf('string')
    expect(networkFromLinks('opt', undefined).reasons.network).toBeTypeOf('string')
    expect(
      networkFromLinks('opt', [{ peerId: 'bob', rttMs: 20, goodputBytesPerSecond: 1e6 }]).reasons,
    ).toEqual({})
  })

  it('refuses a link out of bounds as a bad argument', () => {
    expectThrowsNamed(
      () => networkFromLinks('opt', [{ peerId: 'bob', rttMs: -1, goodputBytesPerSecond: null }]),
      'AssetArgumentError',
    )
  })
})

describe('summarizeResources', () => {
  it('summarises a node from its measured figures', () => {
    const r = unknownResources('node')
    r.cpu = { logicalCores: 8, score: 4000, calibrationMs: 300 }
    r.memory.totalBytes = 16 * 2 ** 30
    r.memory.limitBytes = 4 * 2 ** 30
    r.storage.freeBytes = 5e9
    r.storage.totalBytes = 1e10
    r.network.links = [
      { peerId: 'alice', rttMs: 10, goodputBytesPerSecond: null },
      { peerId: 'bob', rttMs: 30, goodputBytesPerSecond: 2e6 },
      { peerId: 'carol', rttMs: null, goodputBytesPerSecond: 4e6 },
    ]
    expect(summarizeResources(r)).toEqual({
      platform: 'node',
      cores: 8,
      cpuScore: 4000,
      memoryGiB: 4,
      storageAvailableBytes: 5e9,
      storageWriteBytesPerSecond: null,
      gpu: false,
      gpuLabel: null,
      medianRttMs: 20,
      medianGoodputBytesPerSecond: 3e6,
    })
  })

  it('summarises a tab from what a browser tells', () => {
    const r = unknownResources('browser')
    r.memory.deviceMemoryGiB = 8
    r.storage.quotaBytes = 1_000
    r.storage.usageBytes = 1_200
    r.gpu = gpuFromAdapter({ vendor: 'acme', architecture: 'rdna-3' }, {})
    const s = summarizeResources(r)
    expect(s.memoryGiB).toBe(8)
    expect(s.storageAvailableBytes).toBe(0)
    expect(s.gpu).toBe(true)
    expect(s.gpuLabel).toBe('acme rdna-3')
    expect(s.medianRttMs).toBeNull()
    expect(s.cores).toBeNull()
  })

  it('gives medians within the range of the measured links', () => {
    fc.assert(
      fc.property(resourcesArb, (r) => {
        const s = summarizeResources(r)
        const rtts = r.network.links.flatMap((l) => (l.rttMs === null ? [] : [l.rttMs]))
        if (rtts.length === 0) expect(s.medianRttMs).toBeNull()
        else {
          expect(s.medianRttMs).toBeGreaterThanOrEqual(Math.min(...rtts))
          expect(s.medianRttMs).toBeLessThanOrEqual(Math.max(...rtts))
        }
      }),
    )
  })
})

describe('checkStorageProbeBytes', () => {
  it('accepts the bounds and refuses what lies outside', () => {
    expect(checkStorageProbeBytes('o', STORAGE_PROBE_MIN_BYTES)).toBe(STORAGE_PROBE_MIN_BYTES)
    expect(checkStorageProbeBytes('o', STORAGE_PROBE_MAX_BYTES)).toBe(STORAGE_PROBE_MAX_BYTES)
    for (const bad of [STORAGE_PROBE_MIN_BYTES - 1, STORAGE_PROBE_MAX_BYTES + 1, 100_000.5, '4']) {
      expectThrowsNamed(() => checkStorageProbeBytes('o', bad), 'AssetArgumentError')
    }
  })
})
