/**
 * The bench harness: `npm run bench -- NAME [--json] [--option value …]`.
 *
 * Every bench starts its own server (bench/lib.ts), measures against a baseline in the same run,
 * and returns tables plus the raw figures; the harness prints the machine description with them,
 * as aligned tables or, with `--json`, as one JSON document on stdout (progress goes to stderr).
 */
import { loadavg } from 'node:os'
import { pathToFileURL } from 'node:url'
import {
  busyPercent,
  checkOptions,
  cpuTimes,
  currentSiteSnapshot,
  formatTable,
  intOption,
  machineInfo,
  machineTable,
  progress,
  parseOptions,
  withServerAndBrowser,
  type BenchOptions,
  type BenchReport,
  type Table,
} from './lib'
import {
  MAP_BENCH_BASELINE_NODES,
  MAP_BENCH_NODES,
  MAP_BENCH_SAMPLE_MS,
  mapBench,
  type MapBenchRun,
} from './map'
import { MESH_USAGE, runMeshBench } from './mesh'
import { runTrustchainBench, TRUSTCHAIN_USAGE } from './trustchain'
import { CONSENSUS_USAGE, runConsensusBench } from './consensus'
import { MFN_USAGE, runMfnBench } from './mfn'
import { ASSETS_USAGE, runAssetsBench } from './assets'

/** One entry of the registry: add a bench by adding a key here. */
export interface BenchEntry {
  description: string
  /** Options it understands, one per line, for the usage text. */
  usage: string
  run(options: BenchOptions): Promise<BenchReport>
}

export const BENCHES: Record<string, BenchEntry> = {
  mesh: {
    description:
      'join time of 16 tabs (paced and burst) and libp2p stream vs raw RTCDataChannel throughput',
    usage: MESH_USAGE,
    run: runMeshBench,
  },
  map: {
    description: `/map frame times with ${MAP_BENCH_NODES} synthetic nodes vs ${MAP_BENCH_BASELINE_NODES}`,
    usage: '  --port N       first HTTP port to try for the bench server (default 3400)',
    run: runMapEntry,
  },
  trustchain: {
    description:
      'certificates/s (closed loop) and p50 at 100/s, SQLite and PostgreSQL, vs a bare route',
    usage: TRUSTCHAIN_USAGE,
    run: runTrustchainBench,
  },
  consensus: {
    description:
      'finality and transfers/s: simulated 31 validators at 50 ms RTT, 4 browser validators; Ed25519 rates vs native',
    usage: CONSENSUS_USAGE,
    run: runConsensusBench,
  },
  mfn: {
    description:
      'MFN router vs P2C + peak-EWMA and other baselines in the queueing simulator: p50/p99/p99.9 with 95 % CIs, ablations, decision cost',
    usage: MFN_USAGE,
    run: runMfnBench,
  },
  assets: {
    description:
      'remote memory read/write latency and throughput between two tabs vs a raw libp2p stream; resource adapter measurement time per part',
    usage: ASSETS_USAGE,
    run: runAssetsBench,
  },
}

async function runMapEntry(options: BenchOptions): Promise<BenchReport> {
  checkOptions(options, ['port'])
  const port = intOption(options, 'port', 3400, 1024, 65000)
  return withServerAndBrowser({ port, label: 'map' }, async (server, browser) => {
    progress(
      'map',
      `sampling /map?synthetic=${MAP_BENCH_BASELINE_NODES} then ?synthetic=${MAP_BENCH_NODES}`,
    )
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    try {
      const page = await context.newPage()
      const result = await mapBench(page, server.baseUrl)
      const row = (label: string, r: MapBenchRun): (string | number)[] => [
        label,
        r.graphNodes,
        r.graphLinks,
        r.loadMs,
        r.fps,
        r.frameP50Ms,
        r.frameP95Ms,
        r.frameMaxMs,
        r.graphFrames,
      ]
      const table: Table = {
        title: `Map frame times (${MAP_BENCH_SAMPLE_MS / 1000} s sample per page, 1280×900 headless)`,
        headers: [
          'page',
          'nodes',
          'links',
          'load ms',
          'fps',
          'frame p50 ms',
          'frame p95 ms',
          'frame max ms',
          'graph frames',
        ],
        rows: [
          row(`/map?synthetic=${MAP_BENCH_NODES}`, result.large),
          row(`/map?synthetic=${MAP_BENCH_BASELINE_NODES} (baseline)`, result.baseline),
        ],
      }
      const ratio: Table = {
        title: `Ratio ${MAP_BENCH_NODES} / ${MAP_BENCH_BASELINE_NODES} nodes (> 1: the large map is slower)`,
        headers: ['figure', 'ratio'],
        rows: [
          ['frame p50', result.ratio.frameP50],
          ['frame p95', result.ratio.frameP95],
        ],
      }
      return {
        data: { ...result },
        tables: [table, ratio],
        notes: ['No DESIGN.md §10 goal is set for the map; the ratio is for tracking regressions.'],
      }
    } finally {
      await context.close().catch(() => undefined)
    }
  })
}

function usage(): string {
  const lines = ['usage: npm run bench -- NAME [--json] [options]', '', 'benches:']
  for (const [name, b] of Object.entries(BENCHES)) {
    lines.push(`  ${name.padEnd(6)} ${b.description}`)
    if (b.usage !== '') lines.push(b.usage.replace(/^/gm, '    '))
  }
  lines.push('', 'common: --json   print one JSON document on stdout instead of tables')
  return lines.join('\n')
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv
  const entry = name === undefined ? undefined : BENCHES[name]
  if (name === undefined || entry === undefined) {
    if (name !== undefined && name !== '--help') console.error(`bench: unknown bench "${name}"\n`)
    console.error(usage())
    return 1
  }
  const options = parseOptions(rest)
  const json = options.get('json') === true
  options.delete('json')

  const machine = machineInfo()
  // What else is running: a busy machine skews every figure, so it is measured and printed.
  const idle0 = cpuTimes()
  await new Promise((r) => setTimeout(r, 2_000))
  const run0 = cpuTimes()
  machine.cpuBusyBeforePct = busyPercent(idle0, run0)
  const startedAt = new Date()
  progress(
    name,
    `started ${startedAt.toISOString()} (load avg 1 min ${machine.loadAvg1mAtStart}, CPU busy ${machine.cpuBusyBeforePct ?? 'n/a'} %)`,
  )
  const report = await entry.run(options)
  const durationMs = Date.now() - startedAt.getTime()
  machine.loadAvg1mAtEnd = Math.round((loadavg()[0] ?? 0) * 100) / 100
  machine.cpuBusyDuringPct = busyPercent(run0, cpuTimes())

  if (json) {
    const doc = {
      bench: name,
      command: `npm run bench -- ${argv.join(' ')}`,
      startedAt: startedAt.toISOString(),
      durationMs,
      machine,
      site: currentSiteSnapshot(),
      ...report.data,
    }
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`)
  } else {
    const out = [
      `bench ${name} — ${startedAt.toISOString()}, ${(durationMs / 1000).toFixed(1)} s`,
      '',
      formatTable(machineTable(machine, currentSiteSnapshot())),
    ]
    for (const t of report.tables) out.push('', formatTable(t))
    if (report.notes.length > 0) out.push('', ...report.notes)
    process.stdout.write(`${out.join('\n')}\n`)
  }
  return 0
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // Ctrl-C: exit through process.on('exit'), which kills any bench server still running.
  process.once('SIGINT', () => process.exit(130))
  process.once('SIGTERM', () => process.exit(143))
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : err)
      process.exit(1)
    },
  )
}
