/**
 * Shared pieces of the benches: the machine description, a private HyperMesh server on free ports,
 * Debian's Chromium, statistics and table printing. Used by bench/run.ts and each bench.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs'
import { createServer } from 'node:net'
import os from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../e2e/chromium'

/** What a bench ran on; printed with every result because the figures mean nothing without it. */
export interface MachineInfo {
  cpuModel: string
  cores: number
  totalMemoryGiB: number
  os: string
  kernel: string
  node: string
  chromium: string
  /** 1-minute load average when the bench started: other work on the machine skews the figures. */
  loadAvg1mAtStart: number
  /** The same when it ended (set by the harness). */
  loadAvg1mAtEnd?: number
  /** Share of all cores busy in the 2 s before the bench started: work that is not the bench's. */
  cpuBusyBeforePct?: number | null
  /** Share of all cores busy while the bench ran (the bench's own tabs and server included). */
  cpuBusyDuringPct?: number | null
}

/** Describe this machine: CPU, memory, OS, Node and Chromium versions. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus()
  let osName = `${os.type()} ${os.release()}`
  try {
    const rel = readFileSync('/etc/os-release', 'utf8')
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(rel)
    if (m?.[1] !== undefined) osName = m[1]
  } catch {
    // not Linux, or no os-release: keep os.type()
  }
  let chromiumVersion = 'unknown'
  try {
    chromiumVersion = execFileSync(CHROMIUM_PATH, ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    }).trim()
  } catch {
    // reported as unknown; launching will fail loudly later if it is really missing
  }
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    totalMemoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: osName,
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    chromium: chromiumVersion,
    loadAvg1mAtStart: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  }
}

/** Cumulative CPU jiffies of the whole machine (all processes), from /proc/stat. */
export interface CpuTimes {
  busy: number
  total: number
}

/** Read /proc/stat; null where it does not exist (not Linux). */
export function cpuTimes(): CpuTimes | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? ''
    const f = line.trim().split(/\s+/).slice(1).map(Number)
    // user nice system idle iowait irq softirq steal …: idle and iowait are the idle part.
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0)
    const idle = (f[3] ?? 0) + (f[4] ?? 0)
    return { busy: total - idle, total }
  } catch {
    return null
  }
}

/** Share of all cores busy between two readings, in percent (every process on the machine). */
export function busyPercent(from: CpuTimes | null, to: CpuTimes | null): number | null {
  if (from === null || to === null || to.total <= from.total) return null
  return Math.round(((to.busy - from.busy) / (to.total - from.total)) * 1000) / 10
}

/** Log progress to stderr, so that `--json` keeps stdout one clean JSON document. */
export function progress(bench: string, message: string): void {
  process.stderr.write(`[${bench}] ${message}\n`)
}

// ---------------------------------------------------------------------------------------------
// Server

/** Options of {@link startServer}. */
export interface ServerInit {
  /** First HTTP port to try; the relay gets the next one. Default 3400. */
  port?: number
  /** DATA_DIR of the bench server. Default ./data/bench (never the user's ./data). */
  dataDir?: string
  /** How long the server may take to answer /api/health, ms. Default 120 s. */
  timeoutMs?: number
  /** Progress label. */
  label?: string
  /** Extra environment of the server (e.g. genesis settings). */
  env?: Record<string, string>
}

/** A server the bench started; `stop()` kills its whole process group. */
export interface BenchServer {
  baseUrl: string
  port: number
  relayPort: number
  /** Everything the server printed so far (for error reports). */
  output(): string
  /** Null while running; otherwise how it ended (exit code or signal). */
  exited(): string | null
  stop(): Promise<void>
}

/** Servers still running, killed synchronously if the harness exits without stopping them. */
const running = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL')
})

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    // already gone
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, '0.0.0.0', () => srv.close(() => resolve(true)))
  })
}

/** The first pair of free ports (HTTP, relay = HTTP + 1) at or above `from`, in steps of 10. */
async function freePortPair(from: number): Promise<number> {
  for (let p = from; p < from + 500; p += 10) {
    if ((await portFree(p)) && (await portFree(p + 1))) return p
  }
  throw new Error(`bench: no free port pair in [${from}, ${from + 500})`)
}

/** The build a bench server serves: a private copy of `.next`, fixed for the whole bench run. */
export interface SiteSnapshot {
  /** Directory the server runs in: symlinks to the project plus the copied `.next`. */
  dir: string
  buildId: string
  /** When `.next/BUILD_ID` was written (the build's completion time). */
  builtAt: string
}

let snapshot: SiteSnapshot | null = null

/** The build this bench process serves, once a server was started. */
export function currentSiteSnapshot(): SiteSnapshot | null {
  return snapshot
}

/**
 * Copy the current build once per bench process, and run every bench server from the copy.
 *
 * Why: the project is edited and rebuilt while benches run (`npm start` and the e2e tests rebuild
 * `.next` in place whenever a source is newer). A rebuild under a running server swaps its chunks
 * and manifests mid-measurement — tabs then fail to load or the server dies. The copy lives in
 * data/bench-site/ (git-ignored); everything but `.next` is a symlink to the project, so tsx and
 * Next resolve sources, tsconfig paths and node_modules as usual.
 */
export async function siteSnapshot(label = 'server'): Promise<SiteSnapshot> {
  if (snapshot !== null) return snapshot
  const root = process.cwd()
  const buildIdPath = join(root, '.next', 'BUILD_ID')
  // `next build` holds .next/lock while it runs and writes BUILD_ID last.
  const building = (): boolean => existsSync(join(root, '.next', 'lock'))
  const dir = join(root, 'data', 'bench-site')
  const id = (): string => {
    try {
      return `${readFileSync(buildIdPath, 'utf8').trim()}@${statSync(buildIdPath).mtimeMs}`
    } catch {
      return ''
    }
  }
  let built = false
  // Copy only between builds, and keep a copy only if the same BUILD_ID was there before and
  // after it with no build running meanwhile.
  for (let attempt = 0; ; attempt++) {
    const before = building() ? '' : id()
    if (before === '' && !building() && !built) {
      built = true
      progress(label, 'no .next/BUILD_ID and no build running: `npx next build` first')
      try {
        execFileSync('npx', ['next', 'build'], {
          stdio: ['ignore', process.stderr, process.stderr],
        })
      } catch {
        // Most likely another build took the lock first: wait for that one below.
      }
      continue
    }
    if (before !== '') {
      rmSync(dir, { recursive: true, force: true })
      mkdirSync(dir, { recursive: true })
      for (const entry of readdirSync(root)) {
        if (entry === '.next' || entry === 'data' || entry === '.git') continue
        symlinkSync(join(root, entry), join(dir, entry))
      }
      cpSync(join(root, '.next'), join(dir, '.next'), {
        recursive: true,
        filter: (src) => !/[\\/]\.next[\\/](cache|dev|trace|trace-build|lock)([\\/]|$)/.test(src),
      })
      if (!building() && id() === before) {
        const st = statSync(buildIdPath)
        snapshot = { dir, buildId: before.split('@')[0]!, builtAt: st.mtime.toISOString() }
        progress(label, `serving a copy of build ${snapshot.buildId} (built ${snapshot.builtAt})`)
        return snapshot
      }
    }
    if (attempt > 300)
      throw new Error('bench: .next kept changing for 5 minutes; no stable build to copy')
    if (attempt === 0) progress(label, 'a build is in progress; waiting for it to finish')
    await sleep(1_000)
  }
}

/**
 * Start `npx tsx bin/server.ts` (site + relay) as its own process group on free ports, from the
 * bench's copy of the build ({@link siteSnapshot}; `npx next build` runs first only when there is
 * no build at all), and wait for `GET /api/health` = 200.
 */
export async function startServer(init: ServerInit = {}): Promise<BenchServer> {
  const label = init.label ?? 'server'
  const site = await siteSnapshot(label)
  const port = await freePortPair(init.port ?? 3400)
  const relayPort = port + 1
  const child = spawn('npx', ['tsx', 'bin/server.ts'], {
    cwd: site.dir,
    env: {
      ...process.env,
      PORT: String(port),
      RELAY_PORT: String(relayPort),
      DATA_DIR: resolve(init.dataDir ?? './data/bench'),
      // All bench tabs get their certificates from one address: lift the per-address limit.
      ISSUE_RATE_PER_MINUTE: '6000',
      ISSUE_BURST: '1000',
      ...init.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: npx → tsx → node, all killed together by `process.kill(-pid)`.
    detached: true,
  })
  running.add(child)
  let out = ''
  const append = (d: Buffer): void => {
    out += d.toString()
    if (out.length > 200_000) out = out.slice(-100_000)
  }
  child.stdout?.on('data', append)
  child.stderr?.on('data', append)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      killGroup(child, 'SIGTERM')
      const t = await Promise.race([
        exited.then(() => 'exited' as const),
        sleep(10_000).then(() => 'timeout' as const),
      ])
      if (t === 'timeout') {
        killGroup(child, 'SIGKILL')
        await exited
      }
    }
    // tsx may leave the server node behind when npx exits first: sweep the group once more.
    killGroup(child, 'SIGKILL')
    running.delete(child)
  }

  const baseUrl = `http://localhost:${port}`
  const deadline = Date.now() + (init.timeoutMs ?? 120_000)
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `bench server exited (${child.exitCode ?? child.signalCode}) before it was healthy`,
        )
      }
      try {
        const res = await fetch(`${baseUrl}/api/health`, { signal: AbortSignal.timeout(2_000) })
        if (res.status === 200) break
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline)
        throw new Error(`bench server not healthy after ${init.timeoutMs ?? 120_000} ms`)
      await sleep(200)
    }
  } catch (err) {
    await stop()
    throw new Error(`${(err as Error).message}\n--- server output ---\n${out.slice(-4_000)}`, {
      cause: err,
    })
  }
  progress(label, `server up at ${baseUrl} (relay port ${relayPort})`)
  const exitedHow = (): string | null =>
    child.exitCode !== null
      ? `exit code ${child.exitCode}`
      : child.signalCode !== null
        ? `signal ${child.signalCode}`
        : null
  return { baseUrl, port, relayPort, output: () => out, exited: exitedHow, stop }
}

/** Relay status from the bench server's /api/health. */
export async function relayHealth(
  baseUrl: string,
): Promise<{ connections: number; reservations: number } | null> {
  try {
    const res = await fetch(`${baseUrl}/api/health`, { signal: AbortSignal.timeout(2_000) })
    const body = (await res.json()) as {
      relay?: { connections: number; reservations: number } | null
    }
    return body.relay ?? null
  } catch {
    return null
  }
}

/** Launch Debian's Chromium headless with the shared flags. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS })
}

/** Start a server and a browser, run `fn`, and always close both (also when `fn` throws). */
export async function withServerAndBrowser<T>(
  init: ServerInit,
  fn: (server: BenchServer, browser: Browser) => Promise<T>,
): Promise<T> {
  const server = await startServer(init)
  try {
    const browser = await launchBrowser()
    try {
      return await fn(server, browser)
    } finally {
      await browser.close().catch(() => undefined)
    }
  } finally {
    await server.stop()
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

// ---------------------------------------------------------------------------------------------
// Tabs

/** `window.hypermesh` as the benches read it (lib/client/test-api.ts). */
const READ_MESH_STATE = `(() => {
  const h = window.hypermesh
  if (h === undefined) return null
  return {
    peerId: h.peerId,
    status: h.status,
    joinMs: h.joinMs,
    connectionsCreated: h.connectionsCreated,
    connections: h.connections.map((c) => ({ peerId: c.peerId, transport: c.transport, rttMs: c.rttMs })),
  }
})()`

/** What a bench reads of a tab's node. */
export interface MeshPageState {
  peerId: string
  status: string
  joinMs: number | null
  connectionsCreated: number
  connections: { peerId: string; transport: string; rttMs: number | null }[]
}

/** The tab's node state, or null before `window.hypermesh` exists. */
export async function readMeshState(page: Page): Promise<MeshPageState | null> {
  return (await page.evaluate(READ_MESH_STATE)) as MeshPageState | null
}

/** The transports from a tab to `peer` (`webrtc`, `webrtc+circuit-relay`, `none`, `no state`). */
export function describeLink(s: MeshPageState | null, peer: string): string {
  if (s === null) return 'no state'
  const c = s.connections.filter((x) => x.peerId === peer).map((x) => x.transport)
  return c.length === 0 ? 'none' : c.join('+')
}

/**
 * Evaluate a promise-returning expression in the page, catching its error there: the production
 * bundle minifies error classes, so the name, code and stack are collected in the page, where
 * they still exist.
 */
export async function inPage<T>(page: Page, call: string): Promise<T> {
  const r = (await page.evaluate(
    `(${call}).then((ok) => ({ ok }), (e) => ({ err: { name: e?.name, code: e?.code, message: e?.message, ` +
      `cause: e?.cause === undefined ? undefined : String(e.cause?.message ?? e.cause), ` +
      `stack: String(e?.stack ?? '').split('\\n').slice(1, 4).map((l) => l.trim()).join(' < '), ` +
      `event: e instanceof Event ? e.type + ' event' + (e.error ? ': ' + e.error.name + ': ' + e.error.message + ` +
      `(e.error.errorDetail ? ' (' + e.error.errorDetail + ')' : '') : '') : undefined, ` +
      `text: String(e) } }))`,
  )) as { ok: T } | { err: Record<string, string | undefined> }
  if ('ok' in r) return r.ok
  const e = r.err
  throw new Error(
    `${e.name ?? 'Error'}${e.code !== undefined ? ` [${e.code}]` : ''}: ${e.message ?? ''}` +
      `${e.cause !== undefined ? ` (cause: ${e.cause})` : ''}` +
      (e.event !== undefined
        ? ` — rejected with an ${e.event}`
        : ` at ${e.stack || '?'} (${e.text})`),
  )
}

/** `p`, or an error naming `what` after `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms)
  })
  return Promise.race([p, t]).finally(() => clearTimeout(timer))
}

/**
 * Wait until the link between tabs `a` and `b` has settled: one WebRTC connection each way, an
 * RTT measured on it, and no new connection in either tab, for `stableMs`. Returns the ms from
 * the call until it looked settled, or null after `timeoutMs`.
 *
 * Why: right after the first direct connection appears, streams fail (the data channel closed
 * under the stream, a TimeoutError after 10 s, once the A–B connection vanished): two tabs that
 * dial each other at once get two WebRTC connections and close one (lib/mesh/node.ts), dials
 * still in flight land later, the relayed signalling connection is closed.
 */
export async function settleLink(
  a: Page,
  b: Page,
  aId: string,
  bId: string,
  opts: { stableMs: number; timeoutMs: number },
): Promise<number | null> {
  const settleStart = Date.now()
  let stableSince: number | null = null
  let lastCreated = ''
  while (Date.now() - settleStart < opts.timeoutMs) {
    const [sa, sb] = await Promise.all([readMeshState(a), readMeshState(b)])
    const pinged = (st: MeshPageState | null, peer: string): boolean =>
      st?.connections.some((c) => c.peerId === peer && c.rttMs !== null) === true
    const created = `${sa?.connectionsCreated}/${sb?.connectionsCreated}`
    const ok =
      describeLink(sa, bId) === 'webrtc' &&
      describeLink(sb, aId) === 'webrtc' &&
      pinged(sa, bId) &&
      pinged(sb, aId) &&
      created === lastCreated
    lastCreated = created
    if (!ok) stableSince = null
    else if (stableSince === null) stableSince = Date.now()
    else if (Date.now() - stableSince >= opts.stableMs) return stableSince - settleStart
    await sleep(250)
  }
  return null
}

// ---------------------------------------------------------------------------------------------
// Options

/** Parsed command-line options after NAME: `--key value`, `--key=value` or a bare `--flag`. */
export type BenchOptions = Map<string, string | true>

/** Parse `--key value` / `--key=value` / `--flag` pairs; anything else is an error. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  const out: BenchOptions = new Map()
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (!a.startsWith('--'))
      throw new Error(`bench: unexpected argument "${a}" (options look like --name value)`)
    const eq = a.indexOf('=')
    if (eq > 0) {
      out.set(a.slice(2, eq), a.slice(eq + 1))
    } else {
      const next = argv[i + 1]
      if (next !== undefined && !next.startsWith('--')) {
        out.set(a.slice(2), next)
        i++
      } else {
        out.set(a.slice(2), true)
      }
    }
  }
  return out
}

/** Refuse options a bench does not know: a typo must not silently run the defaults. */
export function checkOptions(opts: BenchOptions, known: readonly string[]): void {
  for (const k of opts.keys()) {
    if (!known.includes(k))
      throw new Error(
        `bench: unknown option --${k} (known: ${known.map((x) => `--${x}`).join(' ')})`,
      )
  }
}

/** An integer option within [min, max], or `fallback` when absent. */
export function intOption(
  opts: BenchOptions,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const v = opts.get(name)
  if (v === undefined) return fallback
  const n = Number(v)
  if (v === true || !Number.isInteger(n) || n < min || n > max) {
    throw new Error(`bench: --${name} must be an integer in [${min}, ${max}], got "${String(v)}"`)
  }
  return n
}

// ---------------------------------------------------------------------------------------------
// Statistics

/**
 * Nearest-rank percentile of an ascending array (q in [0, 1]); NaN when empty. With n ≤ 20
 * samples p95 is the maximum: nearest rank never interpolates a value nobody measured.
 */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank]!
}

/** Median (mean of the two middle values for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** Median, minimum, maximum and relative spread ((max − min) / median) of a sample. */
export interface Summary {
  n: number
  median: number
  min: number
  max: number
  /** (max − min) / median, as a fraction. */
  spread: number
}

export function summarize(values: readonly number[]): Summary {
  const med = median(values)
  const min = values.length === 0 ? Number.NaN : Math.min(...values)
  const max = values.length === 0 ? Number.NaN : Math.max(...values)
  return { n: values.length, median: med, min, max, spread: (max - min) / med }
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

// ---------------------------------------------------------------------------------------------
// Output

/** A table of a bench report: printed aligned in text mode; the JSON carries the raw figures. */
export interface Table {
  title: string
  headers: string[]
  rows: (string | number)[][]
}

/** What a bench hands back to the harness. */
export interface BenchReport {
  /** Everything measured, for `--json`. */
  data: Record<string, unknown>
  tables: Table[]
  /** Lines printed under the tables: pace, goals, caveats. */
  notes: string[]
}

/** Render a table with aligned columns (numbers right-aligned). */
export function formatTable(t: Table): string {
  const cells = [
    t.headers,
    ...t.rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c))),
  ]
  const numeric = t.headers.map((_, i) => t.rows.every((r) => typeof r[i] === 'number'))
  const widths = t.headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]): string =>
    r
      .map((c, i) => (numeric[i] === true && i > 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  const sep = widths.map((w) => '-'.repeat(w)).join('  ')
  const head = t.headers.every((h) => h === '') ? [] : [line(cells[0]!), sep]
  return [t.title, ...head, ...cells.slice(1).map(line)].join('\n')
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'n/a' : x > 0 ? '∞' : '-∞'
  if (Number.isInteger(x)) return String(x)
  return x.toFixed(Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2)
}

/** The machine description as a two-column table. */
export function machineTable(m: MachineInfo, site: SiteSnapshot | null = null): Table {
  return {
    title: 'Machine',
    headers: ['', ''],
    rows: [
      ['CPU', `${m.cpuModel} (${m.cores} cores)`],
      ['memory', `${m.totalMemoryGiB} GiB`],
      ['OS', `${m.os} (${m.kernel})`],
      ['Node', m.node],
      ['Chromium', m.chromium],
      ['load avg 1 min (start / end)', `${m.loadAvg1mAtStart} / ${m.loadAvg1mAtEnd ?? 'n/a'}`],
      [
        'CPU busy, all processes',
        `${m.cpuBusyBeforePct ?? 'n/a'} % in the 2 s before the bench, ${m.cpuBusyDuringPct ?? 'n/a'} % during it`,
      ],
      ...(site === null ? [] : [['site build', `${site.buildId} (built ${site.builtAt})`]]),
    ],
  }
}
