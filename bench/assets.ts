/**
 * Assets bench (issue #6): remote memory between two tabs against a raw libp2p stream, and how
 * long the resource adapters' measurement takes, in one run.
 *
 * 1. Two tabs A and B (own browser contexts, `/?bench`) on a server of the bench's own. Once A has
 *    a settled direct WebRTC link to B and both tabs measured their assets, B offers its memory
 *    asset to direct peers (level p2p) and grants A a capability on all the bytes it serves.
 * 2. From A, one operation at a time on one stream, as the protocol works:
 *    - `memory`: the remote memory client (lib/adapters/libp2p-remote-memory.ts) over
 *      `/hypermesh/memory/1`: frames encoded and decoded, B checks the capability, reads or writes
 *      its memory;
 *    - `raw` (baseline): the bench echo protocol (lib/mesh/bench-echo.ts) between the same two
 *      tabs, with request and answer frames of exactly the sizes of the remote memory frames of
 *      the same operation, gathered and answered the same way, but no codec, no capability and
 *      no memory;
 *    - `page` (reference, latency only): `window.hypermeshAssets.read/write`, what a page calls
 *      (base64 in and out, the target parsed, the assets runtime's client).
 *    Latency: many small operations (64 B, 4 KiB); throughput: large ones (256 KiB, 1 MiB per
 *    request, several MiB per run within the 64 MiB B serves). Variants interleaved, order
 *    rotated (and reversed every other round), warm-up round first, medians and spread.
 * 3. The browser adapter's measurement (lib/adapters/browser-resources.ts), per part: once as the
 *    assets runtime ran it at the join in each tab, then repeatedly in tab A, interleaved with
 *    the CPU part's baseline, the same calibration run directly on the page's thread. The Node
 *    adapter (lib/adapters/node-resources.ts) in this process, against the calibration run
 *    unsliced. This part runs before the server starts, on a machine without the bench's tabs.
 */
import { mkdirSync, rmSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { resolve } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { measureNodeResources } from '../lib/adapters/node-resources'
import { calibrateCpu, type ResourceTimings } from '../lib/assets/resources'
import type { AdapterRun, AssetsOpsRequest, AssetsOpsResult } from '../lib/client/bench-assets'
import {
  busyPercent,
  checkOptions,
  cpuTimes,
  describeLink,
  inPage,
  intOption,
  launchBrowser,
  median,
  percentile,
  progress,
  readMeshState,
  round,
  settleLink,
  startServer,
  summarize,
  withTimeout,
  type BenchOptions,
  type BenchReport,
  type Summary,
  type Table,
} from './lib'

const DEFAULTS = {
  runs: 5,
  warmup: 1,
  /** Operations per latency variant per round. */
  ops: 200,
  /** MiB moved per throughput variant per round. */
  mib: 16,
  /** Measured adapter runs (after one warm-up) in the tab and in Node. */
  adapterRuns: 5,
  /** First port pair tried: clear of the e2e default (3210) and of other helpers (3400, 3500). */
  port: 3600,
}

const KIB = 1024
const MIB = 1024 * 1024
/** Payload per operation of the latency part. */
const SMALL_SIZES = [64, 4 * KIB] as const
/** Payload per request of the throughput part (the protocol's limit is 1 MiB). */
const LARGE_SIZES = [256 * KIB, MIB] as const

const DATA_DIR = './data/bench-assets'
const LINK_STABLE_MS = 3_000
const LINK_SETTLE_TIMEOUT_MS = 20_000
/** How long one series of operations may take before the bench gives up on it. */
const SERIES_TIMEOUT_MS = 120_000

export const ASSETS_USAGE = [
  `  --runs N            measured rounds of the remote memory part (default ${DEFAULTS.runs}, after ${DEFAULTS.warmup} warm-up)`,
  `  --ops N             operations per latency variant per round (default ${DEFAULTS.ops})`,
  `  --mib N             MiB per throughput variant per round (default ${DEFAULTS.mib})`,
  `  --adapter-runs N    measured adapter runs in the tab and in Node (default ${DEFAULTS.adapterRuns}, after 1 warm-up)`,
  '  --skip-memory       adapter measurement only',
  '  --skip-adapters     remote memory only',
  `  --port N            first HTTP port to try for the bench server (default ${DEFAULTS.port})`,
].join('\n')

const KNOWN_OPTIONS = ['runs', 'ops', 'mib', 'adapter-runs', 'skip-memory', 'skip-adapters', 'port']

type Via = AssetsOpsRequest['via']
type Op = AssetsOpsRequest['op']

const VIA_LABEL: Record<Via | 'perf', string> = {
  memory: 'remote memory (/hypermesh/memory/1)',
  raw: 'raw stream, same frames (baseline)',
  page: 'page API hypermeshAssets (reference)',
  perf: 'one-way libp2p stream, /hypermesh/perf/1 (reference)',
}

// ---------------------------------------------------------------------------------------------
// Remote memory

/** One latency variant: its operations pooled over the measured rounds. */
export interface LatencyVariant {
  via: Via
  op: Op
  bytes: number
  /** Per measured round: the p50 of its operations, ms. */
  roundP50Ms: number[]
  p50Ms: number
  p95Ms: number
  p99Ms: number
  maxMs: number
  /** Median and spread of the per-round p50s. */
  roundP50: Summary
  ops: number
  failures: SeriesFailure[]
}

export interface SeriesFailure {
  round: number
  warmup: boolean
  error: string
}

/** One throughput variant over the measured rounds. */
export interface ThroughputVariant {
  via: Via | 'perf'
  op: Op
  /** Payload per request (the whole transfer for the one-way stream). */
  requestBytes: number
  bytesPerRun: number
  mbps: Summary
  runs: { mbps: number; ms: number; requestP50Ms: number | null }[]
  warmup: { mbps: number; ms: number }[]
  /** Median over the runs of the per-request p50, ms (null for the one-way stream). */
  requestP50Ms: number | null
  failures: SeriesFailure[]
}

export interface MemoryResult {
  runs: number
  warmup: number
  opsPerRound: number
  mibPerRun: number
  servedBytes: number
  linkSettledMs: number | null
  linkBefore: string
  linkAfter: string
  latency: LatencyVariant[]
  throughput: ThroughputVariant[]
  /** Ratios remote memory ÷ raw: latency of the pooled percentiles, throughput of the medians. */
  ratios: {
    latency: { op: Op; bytes: number; p50: number; p95: number; p99: number; pageP50: number }[]
    throughput: { op: Op; bytes: number; ratio: number }[]
  }
  cpuBusyPct: number | null
  loadAvg1mAtStart: number
}

interface LatencySpec {
  kind: 'latency'
  via: Via
  op: Op
  bytes: number
}
interface ThroughputSpec {
  kind: 'throughput'
  via: Via | 'perf'
  op: Op
  bytes: number
}
type Spec = LatencySpec | ThroughputSpec

function specKey(s: Spec): string {
  return `${s.kind}/${s.op}/${s.bytes}/${s.via}`
}

function sizeLabel(bytes: number): string {
  return bytes >= MIB ? `${bytes / MIB} MiB` : bytes >= KIB ? `${bytes / KIB} KiB` : `${bytes} B`
}

/** Round `i`'s order: rotated by one each round, and reversed every other round. */
function roundOrder<T>(items: readonly T[], i: number): T[] {
  const rotated = items.map((_, k) => items[(k + i) % items.length]!)
  return i % 2 === 1 ? rotated.reverse() : rotated
}

function oneLine(err: unknown): string {
  return (err as Error).message.split('\n').slice(0, 3).join(' | ').slice(0, 600)
}

async function openTab(
  contexts: BrowserContext[],
  browser: import('playwright-core').Browser,
  url: string,
): Promise<Page> {
  const context = await browser.newContext()
  contexts.push(context)
  const page = await context.newPage()
  await page.goto(url, { waitUntil: 'domcontentloaded' })
  return page
}

interface MemoryView {
  status: string
  tookMs: ResourceTimings | null
  memory: { globalAddress: string; servedBytes: number | null; level: string } | null
}

const READ_ASSETS = `(() => {
  const v = globalThis.__hypermeshAssets?.get()
  if (v === undefined) return null
  const m = v.assets.find((a) => a.type === 'memory')
  return {
    status: v.status,
    tookMs: v.tookMs ?? null,
    memory: m === undefined ? null : { globalAddress: m.globalAddress, servedBytes: m.servedBytes, level: m.level },
  }
})()`

async function readAssets(page: Page): Promise<MemoryView | null> {
  return (await page.evaluate(READ_ASSETS)) as MemoryView | null
}

/** Tabs A and B, linked, measured, B's memory offered to A with a capability. */
interface Pair {
  a: Page
  b: Page
  aId: string
  bId: string
  address: string
  token: string
  servedBytes: number
  linkSettledMs: number | null
  /** Each tab's own measurement at the join (assets runtime), per part. */
  joinTookMs: { a: ResourceTimings | null; b: ResourceTimings | null }
}

async function preparePair(
  browser: import('playwright-core').Browser,
  baseUrl: string,
  contexts: BrowserContext[],
): Promise<Pair> {
  progress('assets', 'opening tabs A and B with ?bench')
  const [a, b] = await Promise.all([
    openTab(contexts, browser, `${baseUrl}/?bench`),
    openTab(contexts, browser, `${baseUrl}/?bench`),
  ])
  const ready =
    'window.hypermeshBench?.assets !== undefined && (window.hypermesh?.peerId ?? "") !== ""'
  await Promise.all(
    [a, b].map((p) => p.waitForFunction(ready, undefined, { timeout: 30_000, polling: 100 })),
  )
  const aId = (await readMeshState(a))!.peerId
  const bId = (await readMeshState(b))!.peerId
  try {
    await a.waitForFunction(
      `window.hypermesh.connections.some((c) => c.peerId === ${JSON.stringify(bId)} && c.transport === 'webrtc')`,
      undefined,
      { timeout: 30_000, polling: 100 },
    )
  } catch {
    const sa = await readMeshState(a)
    throw new Error(
      `assets: tab A never got a direct WebRTC connection to tab B in 30 s (A status ${sa?.status}, A→B ${describeLink(sa, bId)})`,
    )
  }
  // The assets runtime measures 3 s after the join; wait for both tabs to be ready.
  const measured = `globalThis.__hypermeshAssets?.get().status === 'ready' && globalThis.__hypermeshAssets.get().assets.some((x) => x.type === 'memory')`
  await Promise.all(
    [a, b].map((p) => p.waitForFunction(measured, undefined, { timeout: 90_000, polling: 250 })),
  )
  const linkSettledMs = await settleLink(a, b, aId, bId, {
    stableMs: LINK_STABLE_MS,
    timeoutMs: LINK_SETTLE_TIMEOUT_MS,
  })
  progress(
    'assets',
    linkSettledMs === null
      ? `link A↔B did not settle in ${LINK_SETTLE_TIMEOUT_MS} ms (A→B: ${describeLink(await readMeshState(a), bId)}); measuring anyway`
      : `link A↔B settled ${linkSettledMs} ms after both tabs measured their assets`,
  )
  // B offers its memory to direct peers and grants A a capability on all it serves.
  await inPage(b, `window.hypermeshAssets.setPrivacy('memory', 'p2p')`)
  const view = await readAssets(b)
  const memory = view?.memory ?? null
  if (memory === null || memory.servedBytes === null || memory.servedBytes < MIB) {
    throw new Error(`assets: tab B serves no usable memory asset (${JSON.stringify(view)})`)
  }
  const servedBytes = memory.servedBytes
  const token = await inPage<string>(
    b,
    `window.hypermeshAssets.grant(${JSON.stringify(aId)}, { offset: 0, length: ${servedBytes}, rights: 'rw', ttlMs: 4 * 3600 * 1000 })`,
  )
  // The capability works end to end before anything is timed: A writes, B holds the bytes, A reads.
  const probe = Buffer.from(`assets bench ${new Date().toISOString()}`).toString('base64')
  const at = JSON.stringify(memory.globalAddress)
  await inPage(a, `window.hypermeshAssets.write(${at}, 0, '${probe}', '${token}')`)
  const len = Buffer.from(probe, 'base64').length
  const held = await inPage<string>(b, `window.hypermeshAssets.localBytes(0, ${len})`)
  const back = await inPage<string>(a, `window.hypermeshAssets.read(${at}, 0, ${len}, '${token}')`)
  if (held !== probe || back !== probe) {
    throw new Error('assets: the capability check write/read round trip returned other bytes')
  }
  const [ja, jb] = await Promise.all([readAssets(a), readAssets(b)])
  return {
    a,
    b,
    aId,
    bId,
    address: memory.globalAddress,
    token,
    servedBytes,
    linkSettledMs,
    joinTookMs: { a: ja?.tookMs ?? null, b: jb?.tookMs ?? null },
  }
}

async function runMemory(
  pair: Pair,
  opts: { runs: number; warmup: number; ops: number; mib: number },
): Promise<MemoryResult> {
  const { a, bId } = pair
  const loadAvg1mAtStart = round(loadavg()[0] ?? 0, 2)
  const specs: Spec[] = []
  for (const op of ['write', 'read'] as const) {
    for (const bytes of SMALL_SIZES) {
      for (const via of ['memory', 'raw', 'page'] as const)
        specs.push({ kind: 'latency', via, op, bytes })
    }
  }
  for (const op of ['write', 'read'] as const) {
    for (const bytes of LARGE_SIZES) {
      for (const via of ['memory', 'raw'] as const)
        specs.push({ kind: 'throughput', via, op, bytes })
    }
  }
  const perfBytes = opts.mib * MIB
  specs.push({ kind: 'throughput', via: 'perf', op: 'write', bytes: perfBytes })

  const span = Math.min(pair.servedBytes, 64 * MIB)
  const series = (s: Spec): Promise<AssetsOpsResult> => {
    if (s.via === 'perf') {
      return inPage<{ ms: number; bytes: number }>(
        a,
        `window.hypermeshBench.stream(${JSON.stringify(bId)}, ${s.bytes})`,
      ).then((r) => ({ ms: [], totalMs: r.ms, bytes: r.bytes }))
    }
    const count = s.kind === 'latency' ? opts.ops : Math.max(1, Math.round(perfBytes / s.bytes))
    const req: AssetsOpsRequest = {
      via: s.via,
      op: s.op,
      peerId: bId,
      address: pair.address,
      token: pair.token,
      bytes: s.bytes,
      count,
      span,
    }
    return inPage<AssetsOpsResult>(a, `window.hypermeshBench.assets.ops(${JSON.stringify(req)})`)
  }

  const samples = new Map<string, { warm: AssetsOpsResult[]; runs: AssetsOpsResult[] }>()
  const failures = new Map<string, SeriesFailure[]>()
  for (const s of specs) {
    samples.set(specKey(s), { warm: [], runs: [] })
    failures.set(specKey(s), [])
  }
  const cpu0 = cpuTimes()
  const total = opts.warmup + opts.runs
  for (let i = 0; i < total; i++) {
    const warm = i < opts.warmup
    const t0 = Date.now()
    let failed = 0
    for (const s of roundOrder(specs, i)) {
      try {
        const r = await withTimeout(series(s), SERIES_TIMEOUT_MS, specKey(s))
        const bucket = samples.get(specKey(s))!
        ;(warm ? bucket.warm : bucket.runs).push(r)
      } catch (err) {
        // A failed series is a result too: kept, counted and printed, never retried away.
        failed++
        failures.get(specKey(s))!.push({ round: i + 1, warmup: warm, error: oneLine(err) })
      }
    }
    progress(
      'assets',
      `remote memory: round ${i + 1}/${total}${warm ? ' (warm-up)' : ''} in ${((Date.now() - t0) / 1000).toFixed(1)} s${failed > 0 ? `, ${failed} series failed` : ''}`,
    )
  }
  const cpuBusyPct = busyPercent(cpu0, cpuTimes())

  const latency: LatencyVariant[] = []
  const throughput: ThroughputVariant[] = []
  for (const s of specs) {
    const got = samples.get(specKey(s))!
    const fails = failures.get(specKey(s))!
    if (s.kind === 'latency') {
      const pooled = got.runs.flatMap((r) => r.ms).sort((x, y) => x - y)
      const roundP50Ms = got.runs.map((r) =>
        percentile(
          [...r.ms].sort((x, y) => x - y),
          0.5,
        ),
      )
      latency.push({
        via: s.via,
        op: s.op,
        bytes: s.bytes,
        roundP50Ms: roundP50Ms.map((x) => round(x, 3)),
        p50Ms: round(percentile(pooled, 0.5), 3),
        p95Ms: round(percentile(pooled, 0.95), 3),
        p99Ms: round(percentile(pooled, 0.99), 3),
        maxMs: round(pooled.at(-1) ?? Number.NaN, 3),
        roundP50: summarize(roundP50Ms),
        ops: pooled.length,
        failures: fails,
      })
    } else {
      const mbps = (r: AssetsOpsResult): number => (r.bytes * 8) / 1e6 / (r.totalMs / 1000)
      const reqP50 = (r: AssetsOpsResult): number | null =>
        r.ms.length === 0
          ? null
          : round(
              percentile(
                [...r.ms].sort((x, y) => x - y),
                0.5,
              ),
              3,
            )
      const runs = got.runs.map((r) => ({
        mbps: round(mbps(r), 1),
        ms: round(r.totalMs, 1),
        requestP50Ms: reqP50(r),
      }))
      const p50s = runs.map((r) => r.requestP50Ms).filter((x): x is number => x !== null)
      throughput.push({
        via: s.via,
        op: s.op,
        requestBytes: s.bytes,
        bytesPerRun: got.runs[0]?.bytes ?? got.warm[0]?.bytes ?? 0,
        mbps: summarize(runs.map((r) => r.mbps)),
        runs,
        warmup: got.warm.map((r) => ({ mbps: round(mbps(r), 1), ms: round(r.totalMs, 1) })),
        requestP50Ms: p50s.length === 0 ? null : round(median(p50s), 3),
        failures: fails,
      })
    }
  }
  const lat = (via: Via, op: Op, bytes: number) =>
    latency.find((v) => v.via === via && v.op === op && v.bytes === bytes)!
  const thr = (via: Via, op: Op, bytes: number) =>
    throughput.find((v) => v.via === via && v.op === op && v.requestBytes === bytes)!
  const ratios: MemoryResult['ratios'] = { latency: [], throughput: [] }
  for (const op of ['write', 'read'] as const) {
    for (const bytes of SMALL_SIZES) {
      const m = lat('memory', op, bytes)
      const r = lat('raw', op, bytes)
      const p = lat('page', op, bytes)
      ratios.latency.push({
        op,
        bytes,
        p50: round(m.p50Ms / r.p50Ms, 3),
        p95: round(m.p95Ms / r.p95Ms, 3),
        p99: round(m.p99Ms / r.p99Ms, 3),
        pageP50: round(p.p50Ms / r.p50Ms, 3),
      })
    }
    for (const bytes of LARGE_SIZES) {
      ratios.throughput.push({
        op,
        bytes,
        ratio: round(thr('memory', op, bytes).mbps.median / thr('raw', op, bytes).mbps.median, 3),
      })
    }
  }
  return {
    runs: opts.runs,
    warmup: opts.warmup,
    opsPerRound: opts.ops,
    mibPerRun: opts.mib,
    servedBytes: pair.servedBytes,
    linkSettledMs: pair.linkSettledMs,
    linkBefore: '',
    linkAfter: describeLink(await readMeshState(a), bId),
    latency,
    throughput,
    ratios,
    cpuBusyPct,
    loadAvg1mAtStart,
  }
}

// ---------------------------------------------------------------------------------------------
// Adapters

const PARTS = ['network', 'memory', 'gpu', 'storage', 'cpu', 'total'] as const
type Part = (typeof PARTS)[number]

export interface AdapterResult {
  browser: {
    /** The assets runtime's own measurement at the join, tabs A and B. */
    atJoin: { a: ResourceTimings | null; b: ResourceTimings | null }
    runs: AdapterRun[]
    warmup: AdapterRun[]
    direct: { totalMs: number; unitsPerSecond: number; measuredMs: number }[]
    failures: SeriesFailure[]
    cpuBusyPct: number | null
    loadAvg1mAtStart: number
  } | null
  node: {
    runs: NodeAdapterRun[]
    warmup: NodeAdapterRun[]
    direct: { totalMs: number; unitsPerSecond: number; measuredMs: number }[]
    cpuBusyPct: number | null
    loadAvg1mAtStart: number
  }
}

export interface NodeAdapterRun {
  tookMs: ResourceTimings
  cpuScore: number | null
  calibrationMs: number | null
  storageWriteBytesPerSecond: number | null
}

async function runNodeAdapter(runs: number): Promise<AdapterResult['node']> {
  const loadAvg1mAtStart = round(loadavg()[0] ?? 0, 2)
  const dataDir = resolve(DATA_DIR)
  mkdirSync(dataDir, { recursive: true })
  const out: AdapterResult['node'] = {
    runs: [],
    warmup: [],
    direct: [],
    cpuBusyPct: null,
    loadAvg1mAtStart,
  }
  const cpu0 = cpuTimes()
  for (let i = 0; i < runs + 1; i++) {
    const warm = i === 0
    const steps = [
      async () => {
        const r = await measureNodeResources({ dataDir })
        const run: NodeAdapterRun = {
          tookMs: roundTimings(r.tookMs),
          cpuScore: r.resources.cpu.score,
          calibrationMs: r.resources.cpu.calibrationMs,
          storageWriteBytesPerSecond: r.resources.storage.writeBytesPerSecond,
        }
        if (!warm) out.runs.push(run)
        else out.warmup.push(run)
      },
      async () => {
        // Baseline: the same workload and phases in one stretch, without the adapter's slices.
        const c = await calibrateCpu(() => performance.now())
        if (!warm)
          out.direct.push({
            totalMs: round(c.totalMs, 2),
            unitsPerSecond: round(c.unitsPerSecond, 1),
            measuredMs: round(c.measuredMs, 2),
          })
      },
    ]
    for (const step of i % 2 === 1 ? [...steps].reverse() : steps) await step()
  }
  out.cpuBusyPct = busyPercent(cpu0, cpuTimes())
  progress('assets', `node adapter: ${runs} runs after 1 warm-up`)
  return out
}

function roundTimings(t: ResourceTimings): ResourceTimings {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, round(v, 2)])) as ResourceTimings
}

async function runBrowserAdapter(
  pair: Pair,
  runs: number,
): Promise<NonNullable<AdapterResult['browser']>> {
  const loadAvg1mAtStart = round(loadavg()[0] ?? 0, 2)
  const out: NonNullable<AdapterResult['browser']> = {
    atJoin: {
      a: pair.joinTookMs.a === null ? null : roundTimings(pair.joinTookMs.a),
      b: pair.joinTookMs.b === null ? null : roundTimings(pair.joinTookMs.b),
    },
    runs: [],
    warmup: [],
    direct: [],
    failures: [],
    cpuBusyPct: null,
    loadAvg1mAtStart,
  }
  const cpu0 = cpuTimes()
  for (let i = 0; i < runs + 1; i++) {
    const warm = i === 0
    const steps = [
      async () => {
        const r = await inPage<AdapterRun>(
          pair.a,
          'window.hypermeshBench.assets.measureResources()',
        )
        r.tookMs = roundTimings(r.tookMs)
        ;(warm ? out.warmup : out.runs).push(r)
      },
      async () => {
        const c = await inPage<{ totalMs: number; unitsPerSecond: number; measuredMs: number }>(
          pair.a,
          'window.hypermeshBench.assets.calibrateDirect()',
        )
        if (!warm)
          out.direct.push({
            totalMs: round(c.totalMs, 2),
            unitsPerSecond: round(c.unitsPerSecond, 1),
            measuredMs: round(c.measuredMs, 2),
          })
      },
    ]
    for (const step of i % 2 === 1 ? [...steps].reverse() : steps) {
      try {
        await withTimeout(step(), 90_000, 'browser adapter')
      } catch (err) {
        out.failures.push({ round: i + 1, warmup: warm, error: oneLine(err) })
      }
    }
  }
  out.cpuBusyPct = busyPercent(cpu0, cpuTimes())
  progress('assets', `browser adapter: ${runs} runs after 1 warm-up in tab A`)
  return out
}

// ---------------------------------------------------------------------------------------------
// Entry

/** Run the assets bench: Node adapter first (quiet machine), then the two tabs. */
export async function runAssetsBench(options: BenchOptions): Promise<BenchReport> {
  checkOptions(options, KNOWN_OPTIONS)
  const runs = intOption(options, 'runs', DEFAULTS.runs, 1, 50)
  const ops = intOption(options, 'ops', DEFAULTS.ops, 1, 100_000)
  const mib = intOption(options, 'mib', DEFAULTS.mib, 1, 1024)
  const adapterRuns = intOption(options, 'adapter-runs', DEFAULTS.adapterRuns, 1, 100)
  const port = intOption(options, 'port', DEFAULTS.port, 1024, 65000)
  const doMemory = options.get('skip-memory') === undefined
  const doAdapters = options.get('skip-adapters') === undefined

  // The bench's own data folder, fresh each run: a chain left by an earlier run could be halted.
  rmSync(resolve(DATA_DIR), { recursive: true, force: true })
  const node = doAdapters ? await runNodeAdapter(adapterRuns) : null

  const server = await startServer({ port, dataDir: DATA_DIR, label: 'assets' })
  let memory: MemoryResult | null = null
  let browserAdapter: AdapterResult['browser'] = null
  try {
    const browser = await launchBrowser()
    const contexts: BrowserContext[] = []
    try {
      const pair = await preparePair(browser, server.baseUrl, contexts)
      const linkBefore = describeLink(await readMeshState(pair.a), pair.bId)
      if (doMemory) {
        memory = await runMemory(pair, { runs, warmup: DEFAULTS.warmup, ops, mib })
        memory.linkBefore = linkBefore
      }
      if (doAdapters) browserAdapter = await runBrowserAdapter(pair, adapterRuns)
    } finally {
      await Promise.all(contexts.map((c) => c.close().catch(() => undefined)))
      await browser.close().catch(() => undefined)
    }
    const died = server.exited()
    if (died !== null) {
      throw new Error(`assets: the bench server stopped during the run (${died})`)
    }
  } finally {
    await server.stop()
  }
  return report(
    { runs, ops, mib, adapterRuns },
    memory,
    node === null ? null : { browser: browserAdapter, node },
  )
}

// ---------------------------------------------------------------------------------------------
// Report

function ms3(x: number): string {
  return Number.isFinite(x) ? x.toFixed(x >= 100 ? 0 : x >= 10 ? 1 : 2) : 'n/a'
}

function ratio(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : 'n/a'
}

function med(xs: readonly number[]): number {
  return median(xs)
}

function report(
  cfg: { runs: number; ops: number; mib: number; adapterRuns: number },
  memory: MemoryResult | null,
  adapters: AdapterResult | null,
): BenchReport {
  const tables: Table[] = []
  const notes: string[] = []
  if (memory !== null) {
    const m = memory
    tables.push({
      title: `Remote memory latency, tab A → tab B, one operation at a time: ms per operation, ${m.opsPerRound} operations × ${m.runs} rounds after ${m.warmup} warm-up, interleaved`,
      headers: [
        'op',
        'payload',
        'variant',
        'p50',
        'p95',
        'p99',
        'max',
        'round p50 median',
        'round p50 spread',
        'failed',
      ],
      rows: m.latency.map((v) => [
        v.op,
        sizeLabel(v.bytes),
        VIA_LABEL[v.via],
        ms3(v.p50Ms),
        ms3(v.p95Ms),
        ms3(v.p99Ms),
        ms3(v.maxMs),
        ms3(v.roundP50.median),
        `${round(v.roundP50.spread * 100, 1)} %`,
        v.failures.length,
      ]),
    })
    tables.push({
      title:
        'Latency ratio remote memory ÷ raw stream (same operation, same bytes each way; > 1: remote memory is slower)',
      headers: ['op', 'payload', 'p50', 'p95', 'p99', 'page API ÷ raw, p50'],
      rows: m.ratios.latency.map((r) => [
        r.op,
        sizeLabel(r.bytes),
        ratio(r.p50),
        ratio(r.p95),
        ratio(r.p99),
        ratio(r.pageP50),
      ]),
    })
    tables.push({
      title: `Remote memory throughput, tab A → tab B, one request at a time: ${m.mibPerRun} MiB per run, ${m.runs} runs after ${m.warmup} warm-up, interleaved`,
      headers: [
        'op',
        'request',
        'variant',
        'median Mbit/s',
        'min',
        'max',
        'spread',
        'request p50 ms',
        'failed',
        'runs Mbit/s',
      ],
      rows: m.throughput.map((v) => [
        v.via === 'perf' ? 'send' : v.op,
        v.via === 'perf' ? `${sizeLabel(v.requestBytes)} stream` : sizeLabel(v.requestBytes),
        VIA_LABEL[v.via],
        round(v.mbps.median, 1),
        v.mbps.min,
        v.mbps.max,
        `${round(v.mbps.spread * 100, 1)} %`,
        v.requestP50Ms === null ? '' : ms3(v.requestP50Ms),
        v.failures.length,
        v.runs.map((r) => r.mbps).join(' '),
      ]),
    })
    tables.push({
      title: 'Throughput ratio remote memory ÷ raw stream, medians (< 1: remote memory is slower)',
      headers: ['op', 'request', 'ratio'],
      rows: m.ratios.throughput.map((r) => [r.op, sizeLabel(r.bytes), ratio(r.ratio)]),
    })
    notes.push(
      `remote memory: B serves ${sizeLabel(m.servedBytes)}; A holds a capability on all of it (rights rw); offsets cycle over it in steps of the payload. ` +
        `Link A→B before: ${m.linkBefore}, after: ${m.linkAfter}; settled ${m.linkSettledMs ?? 'never'} ms after both tabs had measured. ` +
        `Load avg 1 min at the start of this part ${m.loadAvg1mAtStart}; CPU busy during it ${m.cpuBusyPct ?? 'n/a'} %.`,
      'Latency percentiles are nearest-rank over all measured operations of a variant; times from performance.now() in the page (100 µs resolution in Chromium without cross-origin isolation). Spread = (max − min) / median over rounds.',
      'The raw stream (lib/mesh/bench-echo.ts) sends request and answer frames of the remote memory frames’ sizes (the token’s bytes included), gathers and answers them the same way, with no codec, capability check or memory behind it.',
    )
    for (const v of [...m.latency, ...m.throughput]) {
      for (const f of v.failures) {
        notes.push(
          `remote memory: ${v.via} ${v.op} ${sizeLabel('bytes' in v ? v.bytes : v.requestBytes)} failed in round ${f.round}${f.warmup ? ' (warm-up)' : ''}: ${f.error}`,
        )
      }
    }
  }
  if (adapters !== null) {
    const { browser, node } = adapters
    const partRows: (string | number)[][] = []
    const stat = (xs: number[]): [string, string, string] =>
      xs.length === 0
        ? ['n/a', 'n/a', 'n/a']
        : [ms3(med(xs)), ms3(Math.min(...xs)), ms3(Math.max(...xs))]
    for (const part of PARTS) {
      if (browser !== null) {
        const xs = browser.runs.map((r) => r.tookMs[part as Part])
        partRows.push([
          'browser (tab A)',
          part,
          ...stat(xs),
          browser.atJoin.a === null ? 'n/a' : ms3(browser.atJoin.a[part]),
          browser.atJoin.b === null ? 'n/a' : ms3(browser.atJoin.b[part]),
        ])
      }
    }
    for (const part of PARTS) {
      const xs = node.runs.map((r) => r.tookMs[part])
      partRows.push([
        'Node (this process)',
        part,
        ...(part === 'gpu' ? (['not probed', '', ''] as [string, string, string]) : stat(xs)),
        '',
        '',
      ])
    }
    tables.push({
      title: `Adapter measurement time per part, ms (${cfg.adapterRuns} runs after 1 warm-up; at join: the assets runtime's own run in each tab)`,
      headers: ['adapter', 'part', 'median', 'min', 'max', 'at join, tab A', 'at join, tab B'],
      rows: partRows,
    })
    const calRows: (string | number)[][] = []
    const scoreMed = (xs: (number | null)[]): number =>
      med(xs.filter((x): x is number => x !== null))
    /** The adapter's cpu part and the same calibration run directly, as two rows. */
    const calibrationRows = (
      platform: string,
      adapterLabel: string,
      baselineLabel: string,
      m: {
        runs: { tookMs: { cpu: number }; cpuScore: number | null }[]
        direct: { totalMs: number; unitsPerSecond: number }[]
      },
    ): (string | number)[][] => {
      const adapterMs = m.runs.map((r) => r.tookMs.cpu)
      const directMs = m.direct.map((d) => d.totalMs)
      const adapterScore = scoreMed(m.runs.map((r) => r.cpuScore))
      const directScore = scoreMed(m.direct.map((d) => d.unitsPerSecond))
      return [
        [
          platform,
          adapterLabel,
          ...stat(adapterMs),
          round(adapterScore, 1),
          ms3(med(adapterMs) - med(directMs)),
          ratio(adapterScore / directScore),
        ],
        [platform, baselineLabel, ...stat(directMs), round(directScore, 1), '', ''],
      ]
    }
    if (browser !== null) {
      calRows.push(
        ...calibrationRows(
          'browser',
          'adapter: worker start + warm-up + measured phase',
          'baseline: calibrateCpu on the page thread',
          browser,
        ),
      )
    }
    calRows.push(
      ...calibrationRows(
        'Node',
        'adapter: 10 ms slices, event loop between them',
        'baseline: calibrateCpu in one stretch',
        node,
      ),
    )
    tables.push({
      title:
        'CPU calibration: the adapter’s cpu part against the same calibration run directly (50 ms warm-up + 250 ms measured)',
      headers: [
        'platform',
        'variant',
        'median ms',
        'min',
        'max',
        'median score (units/s)',
        'adapter − baseline ms',
        'score adapter ÷ baseline',
      ],
      rows: calRows,
    })
    const rateRows: (string | number)[][] = []
    const mibs = (xs: (number | null)[]): number[] =>
      xs.filter((x): x is number => x !== null).map((x) => x / MIB)
    if (browser !== null) {
      const xs = mibs(browser.runs.map((r) => r.storageWriteBytesPerSecond))
      rateRows.push([
        'browser',
        'IndexedDB, 4 MiB in 64 KiB records, one strict-durability transaction',
        ...stat(xs),
        `${xs.length}/${browser.runs.length}`,
      ])
    }
    {
      const xs = mibs(node.runs.map((r) => r.storageWriteBytesPerSecond))
      rateRows.push([
        'Node',
        'file in the data folder, 4 MiB in 64 KiB writes + fsync',
        ...stat(xs),
        `${xs.length}/${node.runs.length}`,
      ])
    }
    tables.push({
      title: 'Storage write probe: the rate each adapter reports, MiB/s',
      headers: ['platform', 'probe', 'median', 'min', 'max', 'measured'],
      rows: rateRows,
    })
    if (browser !== null) {
      const reasons = new Map<string, number>()
      for (const r of browser.runs) {
        for (const [k, v] of Object.entries(r.reasons)) {
          const line = `${k} null: ${v}`
          reasons.set(line, (reasons.get(line) ?? 0) + 1)
        }
      }
      for (const [line, n] of reasons) {
        notes.push(`browser adapter, ${n} of ${browser.runs.length} runs: ${line}`)
      }
      for (const f of browser.failures) {
        notes.push(
          `browser adapter: run ${f.round}${f.warmup ? ' (warm-up)' : ''} failed: ${f.error}`,
        )
      }
      notes.push(
        `browser adapter: load avg 1 min at the start of this part ${browser.loadAvg1mAtStart}; CPU busy during it ${browser.cpuBusyPct ?? 'n/a'} % (the bench's two tabs and whatever else runs on the machine).`,
      )
    }
    notes.push(
      `Node adapter: run before the server and the tabs started; load avg 1 min at its start ${node.loadAvg1mAtStart}; CPU busy during it ${node.cpuBusyPct ?? 'n/a'} % (its calibrations keep one of the ${cpus().length} cores busy).`,
    )
  }
  return {
    data: {
      config: {
        runs: cfg.runs,
        warmup: DEFAULTS.warmup,
        opsPerLatencyVariant: cfg.ops,
        mibPerThroughputRun: cfg.mib,
        adapterRuns: cfg.adapterRuns,
        smallSizes: SMALL_SIZES,
        largeSizes: LARGE_SIZES,
      },
      memory,
      adapters,
    },
    tables,
    notes,
  }
}
