/**
 * Map rendering bench: frame times of `/map?synthetic=200` against `/map?synthetic=10` in the same
 * browser, so the ratio says what 200 nodes cost over a near-empty map on this machine.
 *
 * `mapBench(page, baseUrl)` measures with a page the caller owns (for the bench harness);
 * `runMapBench({ json })` launches Debian's Chromium itself against a running server
 * (`HYPERMESH_URL`, default http://localhost:3000) and prints the figures.
 */
import { pathToFileURL } from 'node:url'
import { chromium, type Page } from 'playwright-core'
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../e2e/chromium'

/** Nodes of the measured map and of the baseline. */
export const MAP_BENCH_NODES = 200
export const MAP_BENCH_BASELINE_NODES = 10
/** How long frames are sampled on each page, ms. */
export const MAP_BENCH_SAMPLE_MS = 5_000
/** How long the map may take to load and show every node, ms. */
const LOAD_TIMEOUT_MS = 60_000

/** Frame figures of one page. */
export interface MapBenchRun {
  /** Synthetic nodes requested (`?synthetic=N`). */
  nodes: number
  /** Nodes and links force-graph held when sampling started. */
  graphNodes: number
  graphLinks: number
  /** Wall time of the sample, ms. */
  sampleMs: number
  /** requestAnimationFrame callbacks in the sample, and the browser frame rate they give. */
  rafFrames: number
  fps: number
  /** Median and 95th-percentile time between two animation frames, ms. */
  frameP50Ms: number
  frameP95Ms: number
  /** Longest gap between two animation frames, ms. */
  frameMaxMs: number
  /** Canvas frames force-graph drew in the sample (it stops drawing once the layout settles). */
  graphFrames: number
  /** Time from navigation to all nodes in the graph, ms. */
  loadMs: number
}

/** Result of {@link mapBench}. */
export interface MapBenchResult {
  large: MapBenchRun
  baseline: MapBenchRun
  /** large ÷ baseline: > 1 means the 200-node map is slower. */
  ratio: { frameP50: number; frameP95: number }
}

/**
 * Opens `/map?synthetic=200`, waits until force-graph holds all 200 nodes, samples frame times for
 * ~5 s while the layout runs and settles; then the same with 10 nodes as the baseline.
 *
 * @example
 * ```ts
 * const result = await mapBench(page, 'http://localhost:3000')
 * console.log(result.large.frameP95Ms, result.ratio.frameP95)
 * ```
 */
export async function mapBench(page: Page, baseUrl: string): Promise<MapBenchResult> {
  const base = new URL(baseUrl)
  // The baseline first, so the large run cannot benefit from a warmer cache than the baseline had.
  const baseline = await measure(page, base, MAP_BENCH_BASELINE_NODES)
  const large = await measure(page, base, MAP_BENCH_NODES)
  return {
    large,
    baseline,
    ratio: {
      frameP50: large.frameP50Ms / baseline.frameP50Ms,
      frameP95: large.frameP95Ms / baseline.frameP95Ms,
    },
  }
}

async function measure(page: Page, base: URL, nodes: number): Promise<MapBenchRun> {
  const url = new URL(`/map?synthetic=${nodes}`, base)
  const started = Date.now()
  await page.goto(url.toString(), { waitUntil: 'load', timeout: LOAD_TIMEOUT_MS })
  await page.waitForFunction(`window.__hypermeshMapStats?.nodes === ${nodes}`, undefined, {
    timeout: LOAD_TIMEOUT_MS,
    polling: 50,
  })
  const loadMs = Date.now() - started

  const sample = (await page.evaluate(`(${SAMPLE_FRAMES})(${MAP_BENCH_SAMPLE_MS})`)) as FrameSample
  const sorted = [...sample.deltas].sort((a, b) => a - b)
  return {
    nodes,
    graphNodes: sample.graphNodes,
    graphLinks: sample.graphLinks,
    sampleMs: round(sample.sampleMs),
    rafFrames: sample.deltas.length,
    fps: round((1000 * sample.deltas.length) / Math.max(sample.sampleMs, 1)),
    frameP50Ms: round(percentile(sorted, 0.5)),
    frameP95Ms: round(percentile(sorted, 0.95)),
    frameMaxMs: round(sorted[sorted.length - 1] ?? 0),
    graphFrames: sample.graphFrames,
    loadMs,
  }
}

/** What {@link SAMPLE_FRAMES} returns from the page. */
interface FrameSample {
  deltas: number[]
  graphNodes: number
  graphLinks: number
  graphFrames: number
  sampleMs: number
}

/**
 * Runs in the page: records the time between consecutive animation frames for `sampleMs`, and the
 * frames force-graph drew meanwhile. Kept as source text because tsx's name-keeping helpers
 * (`__name`) would not exist inside the page if a compiled function were sent.
 */
const SAMPLE_FRAMES = `async (sampleMs) => {
  const stats = window.__hypermeshMapStats
  if (stats === undefined) throw new Error('mapBench: window.__hypermeshMapStats went away')
  const graphNodes = stats.nodes
  const graphLinks = stats.links
  const framesBefore = stats.frames
  const deltas = []
  let first = -1
  let prev = -1
  const last = await new Promise((resolve) => {
    requestAnimationFrame(function tick(t) {
      if (first < 0) first = t
      else deltas.push(t - prev)
      prev = t
      if (t - first >= sampleMs) resolve(t)
      else requestAnimationFrame(tick)
    })
  })
  return { deltas, graphNodes, graphLinks, graphFrames: stats.frames - framesBefore, sampleMs: last - first }
}`

/** Options of {@link runMapBench}. */
export interface RunMapBenchOptions {
  /** Print one JSON object instead of a table. */
  json: boolean
  /** Server to measure; default `HYPERMESH_URL` or http://localhost:3000. */
  baseUrl?: string
}

/**
 * Runs {@link mapBench} in a fresh headless Chromium (`CHROMIUM_PATH`, default /usr/bin/chromium)
 * against a server that is already running, prints the result and returns it.
 */
export async function runMapBench(opts: RunMapBenchOptions): Promise<MapBenchResult> {
  const baseUrl = opts.baseUrl ?? process.env.HYPERMESH_URL ?? 'http://localhost:3000'
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
  })
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const page = await context.newPage()
    const result = await mapBench(page, baseUrl)
    await context.close()
    if (opts.json) {
      console.log(JSON.stringify({ bench: 'map', baseUrl, ...result }))
    } else {
      console.log(
        `map bench against ${baseUrl} (synthetic meshes, ${MAP_BENCH_SAMPLE_MS / 1000} s each)`,
      )
      console.table({
        [`${MAP_BENCH_NODES} nodes`]: summary(result.large),
        [`${MAP_BENCH_BASELINE_NODES} nodes (baseline)`]: summary(result.baseline),
      })
      console.log(
        `ratio ${MAP_BENCH_NODES}/${MAP_BENCH_BASELINE_NODES}: frame p50 ×${result.ratio.frameP50.toFixed(2)}, ` +
          `p95 ×${result.ratio.frameP95.toFixed(2)}`,
      )
    }
    return result
  } finally {
    await browser.close()
  }
}

function summary(run: MapBenchRun): Record<string, number> {
  return {
    links: run.graphLinks,
    'load ms': run.loadMs,
    fps: run.fps,
    'frame p50 ms': run.frameP50Ms,
    'frame p95 ms': run.frameP95Ms,
    'frame max ms': run.frameMaxMs,
    'graph frames': run.graphFrames,
  }
}

/** Nearest-rank percentile of an ascending array; 0 when empty. */
function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank]!
}

function round(x: number): number {
  return Math.round(x * 100) / 100
}

// `npx tsx bench/map.ts [--json]` runs it on its own until the bench harness wires it in.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runMapBench({ json: process.argv.includes('--json') }).catch((err: unknown) => {
    console.error(err)
    process.exitCode = 1
  })
}
