/**
 * TrustChain issuance bench (DESIGN.md §10, "certificate issuance": Tessera ~10,000 writes/s,
 * Sunlight 750/s, WebPKI ~75/s; goal ≥ 2,000 certificates/s sequenced and fsync'd, p50 ≤ 35 ms
 * at 100/s), once per store (SQLite in a temporary DATA_DIR, then PostgreSQL in a fresh schema):
 *
 * 1. Baseline: a bare route on the same node:http server (`GET /bare` answers a challenge-sized
 *    JSON, `POST /bare` parses and echoes the ~400-byte request), driven exactly like issuance.
 * 2. Sustained issuance: N clients in a closed loop, each GET challenge → sign → POST, for
 *    `--seconds`; certificates/s, round-trip percentiles, errors by status, and the durable log
 *    size before and after (it must grow by exactly the number of 201s).
 * 3. Latency at 100/s: an open-loop generator starting 100 round trips per second.
 *
 * The server (TrustchainService + handleTrustchainRequest, as bin/server.ts wires them) runs in
 * this thread; the clients run in a worker thread (bench/trustchain-client.ts) with keys made up
 * front, so on a 2-core machine each side has a core and the clients' crypto is not billed to the
 * server.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, fdatasyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, relative } from 'node:path'
import { performance } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import pg from 'pg'
import { openPgLogStore } from '../lib/adapters/pg-log-store'
import { systemClock } from '../lib/ports'
import { readServerConfig } from '../lib/server/config'
import { handleTrustchainRequest } from '../lib/server/trustchain/http'
import { TrustchainService } from '../lib/server/trustchain/service'
import type { LogStore } from '../lib/trustchain/log-store'
import {
  busyPercent,
  checkOptions,
  cpuTimes,
  intOption,
  percentile,
  progress,
  round,
  sleep,
  summarize,
  type BenchOptions,
  type BenchReport,
  type Summary,
  type Table,
} from './lib'
import type {
  ClientAnswer,
  ClientInit,
  ClientRequest,
  LoadResult,
  LoadTarget,
} from './trustchain-client'

/** DESIGN.md §10: ≥ 2,000 certificates/s sequenced and fsync'd. */
export const ISSUE_GOAL_PER_S = 2_000
/** DESIGN.md §10: p50 ≤ 35 ms at 100 certificates/s. */
export const PACED_GOAL_P50_MS = 35

const DEFAULTS = {
  seconds: 10,
  concurrency: 64,
  rate: 100,
  pacedSeconds: 5,
  /** The server checks a stamp with one SHA-256 whatever its difficulty; see the notes. */
  hashcashBits: 0,
  warmupSeconds: 2,
  /** Identities the clients cycle through (one certificate per request, renewals included). */
  keys: 1_024,
}

/** The server's default difficulty (lib/server/config.ts), for the note about the client's cost. */
const DEFAULT_HASHCASH_BITS = 14
/** Rate limit for the bench: every request comes from 127.0.0.1, so the limit must not bite. */
const BENCH_RATE_LIMIT = '10000000'
/** Writes + fdatasync of the disk probe. */
const FSYNC_PROBES = 100

const LABEL = 'trustchain'

export const TRUSTCHAIN_USAGE = [
  `  --seconds N         length of each closed-loop phase, s (default ${DEFAULTS.seconds})`,
  `  --concurrency N     clients in the closed loops (default ${DEFAULTS.concurrency})`,
  `  --rate N            round trips per second of the paced phase (default ${DEFAULTS.rate})`,
  `  --paced-seconds N   length of the paced phase, s (default ${DEFAULTS.pacedSeconds})`,
  `  --hashcash-bits N   stamp difficulty during the bench (default ${DEFAULTS.hashcashBits})`,
  '  --skip-pg           SQLite only (PostgreSQL: TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/test)',
  '  --skip-sqlite       PostgreSQL only',
].join('\n')

const KNOWN_OPTIONS = [
  'seconds',
  'concurrency',
  'rate',
  'paced-seconds',
  'hashcash-bits',
  'skip-pg',
  'skip-sqlite',
]

type StoreKind = 'sqlite' | 'postgres'

interface BenchConfig {
  seconds: number
  concurrency: number
  rate: number
  pacedSeconds: number
  hashcashBits: number
  warmupSeconds: number
  keys: number
}

// ---------------------------------------------------------------------------------------------
// The server under test

interface Target {
  store: StoreKind
  /** Where the log lives, for the report. */
  where: string
  baseUrl: string
  service: TrustchainService
  dataDir: string
  close(): Promise<void>
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  // The same headers as lib/server/trustchain/http.ts, so the baseline writes the same answer.
  const data = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(data),
    'cache-control': 'no-store',
    'access-control-allow-origin': '*',
  })
  res.end(data)
}

/**
 * The baseline route: what any JSON endpoint on this server costs. GET answers a body shaped like
 * a challenge; POST reads, parses and echoes the request, as the issuance route reads and parses
 * it before any TrustChain work.
 */
function bareRoute(req: IncomingMessage, res: ServerResponse, hashcashBits: number): void {
  if (req.method === 'GET') {
    sendJson(res, 200, {
      nonce: randomBytes(38).toString('base64url'),
      expiresAt: Date.now() + 60_000,
      hashcashBits,
    })
    return
  }
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    try {
      sendJson(res, 200, JSON.parse(Buffer.concat(chunks).toString('utf8')))
    } catch {
      sendJson(res, 400, { error: 'not JSON' })
    }
  })
}

async function startTarget(
  store: StoreKind,
  cfg: BenchConfig,
  pgUrl: string | null,
): Promise<Target> {
  const base = join(process.cwd(), 'data')
  mkdirSync(base, { recursive: true })
  // Under ./data (git-ignored) rather than /tmp: the log must be fsync'd to the project's disk,
  // never to a tmpfs where fsync is free.
  const dataDir = await mkdtemp(join(base, 'bench-trustchain-'))
  const config = readServerConfig({
    DATA_DIR: dataDir,
    HASHCASH_BITS: String(cfg.hashcashBits),
    ISSUE_RATE_PER_MINUTE: BENCH_RATE_LIMIT,
    ISSUE_BURST: BENCH_RATE_LIMIT,
  })
  let schema: string | null = null
  let logStore: LogStore | undefined
  let service: TrustchainService | null = null
  let server: Server | null = null
  const dropSchema = async (): Promise<void> => {
    if (schema === null || pgUrl === null) return
    const client = new pg.Client({ connectionString: pgUrl })
    await client.connect()
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    } finally {
      await client.end()
    }
  }
  const close = async (): Promise<void> => {
    if (server !== null) {
      const s = server
      await new Promise<void>((resolve) => {
        s.close(() => resolve())
        s.closeAllConnections()
      })
    }
    await service?.close().catch(() => undefined)
    await dropSchema().catch((err: unknown) =>
      progress(LABEL, `could not drop schema ${schema}: ${(err as Error).message}`),
    )
    rmSync(dataDir, { recursive: true, force: true })
  }
  try {
    if (store === 'postgres') {
      if (pgUrl === null) throw new Error('bench: no PostgreSQL URL')
      schema = `bench_trustchain_${randomBytes(6).toString('hex')}`
      logStore = await openPgLogStore({ connectionString: pgUrl, schema })
    }
    service = await TrustchainService.open(config, systemClock, logStore)
    const svc = service
    server = createServer((req, res) => {
      if (req.url === '/bare') return bareRoute(req, res, cfg.hashcashBits)
      // As bin/server.ts does it, minus Next.js behind it.
      handleTrustchainRequest(req, res, svc, req.socket.remoteAddress ?? 'unknown')
        .then((handled) => {
          if (!handled) sendJson(res, 404, { error: 'no route' })
        })
        .catch(() => res.destroy())
    })
    const srv = server
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
    const port = (srv.address() as AddressInfo).port
    return {
      store,
      where:
        store === 'sqlite'
          ? `SQLite (WAL, synchronous=FULL) ${relative(process.cwd(), join(dataDir, 'trustchain.sqlite'))}`
          : `PostgreSQL schema ${schema} (synchronous_commit=on per append), dropped afterwards`,
      baseUrl: `http://127.0.0.1:${port}`,
      service,
      dataDir,
      close,
    }
  } catch (err) {
    await close()
    throw err
  }
}

// ---------------------------------------------------------------------------------------------
// The clients (worker thread)

class ClientThread {
  readonly #worker: Worker
  readonly #waiting = new Map<number, { resolve(r: LoadResult): void; reject(err: Error): void }>()
  #nextId = 1
  #failed: Error | null = null

  private constructor(worker: Worker) {
    this.#worker = worker
    worker.on('message', (a: ClientAnswer) => {
      if (a.type === 'ready') return
      const w = this.#waiting.get(a.id)
      this.#waiting.delete(a.id)
      if (a.type === 'result') w?.resolve(a.result)
      else w?.reject(new Error(`bench client: ${a.message}`))
    })
    const fail = (err: Error): void => {
      this.#failed = err
      for (const w of this.#waiting.values()) w.reject(err)
      this.#waiting.clear()
    }
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`bench client thread exited (${code})`)))
  }

  /** Start the worker and wait until its identities are made. */
  static async start(init: ClientInit): Promise<{ thread: ClientThread; setupMs: number }> {
    const worker = new Worker(new URL('./trustchain-client.ts', import.meta.url), {
      workerData: init,
    })
    const setupMs = await new Promise<number>((resolve, reject) => {
      worker.once('message', (a: ClientAnswer) =>
        a.type === 'ready' ? resolve(a.setupMs) : reject(new Error('bench client: not ready')),
      )
      worker.once('error', reject)
    })
    return { thread: new ClientThread(worker), setupMs }
  }

  run(cmd: ClientRequest): Promise<LoadResult> {
    if (this.#failed !== null) return Promise.reject(this.#failed)
    const id = this.#nextId++
    return new Promise<LoadResult>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject })
      this.#worker.postMessage({ ...cmd, id })
    })
  }

  async stop(): Promise<void> {
    this.#worker.removeAllListeners('exit')
    await this.#worker.terminate()
  }
}

// ---------------------------------------------------------------------------------------------
// Phases

/** Percentiles of one latency, ms. */
export interface LatencyStats {
  n: number
  p50: number
  p90: number
  p99: number
  max: number
}

/** One load phase as the report keeps it (the raw per-request arrays are dropped). */
export interface PhaseResult {
  target: LoadTarget
  kind: 'closed' | 'open'
  windowS: number
  elapsedS: number
  started: number
  ok: number
  /** Successful round trips answered within the window ÷ the window (certificates/s for issue). */
  perS: number
  /** The same per 1-second bucket of the window: median, min, max and spread. */
  perSecond: Summary
  perSecondCounts: number[]
  errors: Record<string, number>
  errorSamples: string[]
  /** Both requests, client work between them included. */
  roundTripMs: LatencyStats
  /** GET challenge or GET /bare. */
  firstMs: LatencyStats
  /** POST certificates or POST /bare. */
  secondMs: LatencyStats
  /** Open loop: how late round trips started against the schedule. */
  lateMs: LatencyStats | null
  /** CPU time of the server's thread (this one) ÷ elapsed, percent of one core. */
  serverThreadCpuPct: number
  /** CPU time of the server's thread per successful round trip, µs: independent of the clients. */
  serverCpuUsPerOk: number
  /** Event-loop utilisation of the server's thread, percent. */
  serverEluPct: number
  /** Share of all cores busy, every process (PostgreSQL's included). */
  machineBusyPct: number | null
  log: LogCheck | null
}

/** The durable log against the answers: every 201 is one new entry, and no entry is unanswered. */
export interface LogCheck {
  sizeBefore: number
  sizeAfter: number
  growth: number
  created: number
  distinctIndexes: number
  /** All indexes fall in [sizeBefore, sizeAfter). */
  indexesInRange: boolean
  /** Distinct checkpoint sizes in the answers: the batches (group commits) these entries formed. */
  batches: number
  meanBatch: number
  pass: boolean
}

function latency(values: Float64Array): LatencyStats {
  const s = Array.from(values).sort((a, b) => a - b)
  const r = (x: number): number => round(x, 2)
  return {
    n: s.length,
    p50: r(percentile(s, 0.5)),
    p90: r(percentile(s, 0.9)),
    p99: r(percentile(s, 0.99)),
    max: r(s.at(-1) ?? Number.NaN),
  }
}

async function durableSize(service: TrustchainService): Promise<number> {
  return (await service.store.head())?.size ?? 0
}

async function runPhase(
  target: Target,
  client: ClientThread,
  cmd: ClientRequest,
): Promise<PhaseResult> {
  const sizeBefore = await durableSize(target.service)
  const elu0 = performance.eventLoopUtilization()
  const cpu0 = process.threadCpuUsage()
  const m0 = cpuTimes()
  const t0 = performance.now()
  const r = await client.run(cmd)
  const wallMs = performance.now() - t0
  const cpu = process.threadCpuUsage(cpu0)
  const elu = performance.eventLoopUtilization(elu0)
  const machineBusyPct = busyPercent(m0, cpuTimes())
  const sizeAfter = await durableSize(target.service)

  const windowS = r.windowMs / 1000
  const buckets = Array.from({ length: Math.max(1, Math.floor(windowS)) }, () => 0)
  for (const t of r.doneAtMs) {
    const b = Math.floor(t / 1000)
    if (b < buckets.length) buckets[b]!++
  }
  let log: LogCheck | null = null
  if (r.target === 'issue') {
    const indexes = new Set(r.logIndexes)
    const batches = new Set(r.treeSizes).size
    const indexesInRange = Array.from(r.logIndexes).every((i) => i >= sizeBefore && i < sizeAfter)
    const growth = sizeAfter - sizeBefore
    log = {
      sizeBefore,
      sizeAfter,
      growth,
      created: r.ok,
      distinctIndexes: indexes.size,
      indexesInRange,
      batches,
      meanBatch: batches === 0 ? 0 : round(r.ok / batches, 1),
      pass: growth === r.ok && indexes.size === r.ok && indexesInRange,
    }
  } else if (sizeAfter !== sizeBefore) {
    throw new Error(`bench: the log grew by ${sizeAfter - sizeBefore} during the bare phase`)
  }
  return {
    target: r.target,
    kind: r.kind,
    windowS,
    elapsedS: round(r.elapsedMs / 1000, 2),
    started: r.started,
    ok: r.ok,
    perS: round(r.okInWindow / windowS, 1),
    perSecond: summarize(buckets),
    perSecondCounts: buckets,
    errors: r.errors,
    errorSamples: r.errorSamples,
    roundTripMs: latency(r.totalMs),
    firstMs: latency(r.firstMs),
    secondMs: latency(r.secondMs),
    lateMs: r.kind === 'open' ? latency(r.lateMs) : null,
    serverThreadCpuPct: round(((cpu.user + cpu.system) / 1000 / wallMs) * 100, 1),
    serverCpuUsPerOk: r.ok === 0 ? Number.NaN : round((cpu.user + cpu.system) / r.ok, 0),
    serverEluPct: round(elu.utilization * 100, 1),
    machineBusyPct,
    log,
  }
}

/** Everything measured against one store. */
export interface StoreRun {
  store: StoreKind
  where: string
  clientSetupMs: number
  bare: PhaseResult
  issue: PhaseResult
  paced: PhaseResult
  /** issue ÷ bare: round trips per second, p50 round trip, server CPU per round trip. */
  ratio: { perS: number; p50: number; serverCpu: number }
  goals: { perS: GoalVerdict; pacedP50: GoalVerdict; pacedPostP50: GoalVerdict }
}

export interface GoalVerdict {
  goal: number
  measured: number
  pass: boolean
}

async function runStore(
  store: StoreKind,
  cfg: BenchConfig,
  pgUrl: string | null,
): Promise<StoreRun> {
  progress(LABEL, `${store}: starting the service`)
  const target = await startTarget(store, cfg, pgUrl)
  try {
    const { thread, setupMs } = await ClientThread.start({
      baseUrl: target.baseUrl,
      maxSockets: Math.max(cfg.concurrency, 16),
      keys: cfg.keys,
    })
    try {
      progress(LABEL, `${store}: ${target.where}; server ${target.baseUrl}`)
      progress(LABEL, `${store}: warm-up, ${cfg.warmupSeconds} s issuance + 1 s bare`)
      const warm = await thread.run({
        kind: 'closed',
        target: 'issue',
        concurrency: cfg.concurrency,
        seconds: cfg.warmupSeconds,
      })
      if (warm.ok === 0) {
        throw new Error(
          `bench: no certificate issued during warm-up (${JSON.stringify(warm.errors)}): ${warm.errorSamples.join(' | ')}`,
        )
      }
      await thread.run({ kind: 'closed', target: 'bare', concurrency: cfg.concurrency, seconds: 1 })
      await sleep(500)
      progress(LABEL, `${store}: bare route, ${cfg.concurrency} clients × ${cfg.seconds} s`)
      const bare = await runPhase(target, thread, {
        kind: 'closed',
        target: 'bare',
        concurrency: cfg.concurrency,
        seconds: cfg.seconds,
      })
      await sleep(500)
      progress(LABEL, `${store}: issuance, ${cfg.concurrency} clients × ${cfg.seconds} s`)
      const issue = await runPhase(target, thread, {
        kind: 'closed',
        target: 'issue',
        concurrency: cfg.concurrency,
        seconds: cfg.seconds,
      })
      progress(LABEL, `${store}: ${issue.perS} certificates/s, bare ${bare.perS} round trips/s`)
      await sleep(500)
      progress(LABEL, `${store}: paced issuance, ${cfg.rate}/s × ${cfg.pacedSeconds} s`)
      const paced = await runPhase(target, thread, {
        kind: 'open',
        target: 'issue',
        rate: cfg.rate,
        seconds: cfg.pacedSeconds,
      })
      progress(
        LABEL,
        `${store}: paced p50 ${paced.roundTripMs.p50} ms (POST ${paced.secondMs.p50} ms)`,
      )
      const verdict = (goal: number, measured: number, higherIsBetter: boolean): GoalVerdict => ({
        goal,
        measured,
        pass: Number.isFinite(measured) && (higherIsBetter ? measured >= goal : measured <= goal),
      })
      return {
        store,
        where: target.where,
        clientSetupMs: round(setupMs, 0),
        bare,
        issue,
        paced,
        ratio: {
          perS: round(issue.perS / bare.perS, 3),
          p50: round(issue.roundTripMs.p50 / bare.roundTripMs.p50, 2),
          serverCpu: round(issue.serverCpuUsPerOk / bare.serverCpuUsPerOk, 1),
        },
        goals: {
          perS: verdict(ISSUE_GOAL_PER_S, issue.perS, true),
          pacedP50: verdict(PACED_GOAL_P50_MS, paced.roundTripMs.p50, false),
          pacedPostP50: verdict(PACED_GOAL_P50_MS, paced.secondMs.p50, false),
        },
      }
    } finally {
      await thread.stop()
    }
  } finally {
    await target.close()
  }
}

// ---------------------------------------------------------------------------------------------
// Environment: the disk and PostgreSQL

/** write(4 KiB) + fdatasync on the disk holding DATA_DIR: the floor of one durable append. */
function fsyncProbe(): LatencyStats {
  const dir = join(process.cwd(), 'data')
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `bench-fsync-${randomBytes(4).toString('hex')}`)
  const fd = openSync(path, 'w')
  const block = randomBytes(4096)
  const times = new Float64Array(FSYNC_PROBES)
  try {
    for (let i = 0; i < FSYNC_PROBES; i++) {
      const t = performance.now()
      writeSync(fd, block, 0, block.length, i * block.length)
      fdatasyncSync(fd)
      times[i] = performance.now() - t
    }
  } finally {
    closeSync(fd)
    rmSync(path, { force: true })
  }
  return latency(times)
}

interface PgInfo {
  version: string
  settings: string
}

/** Reach PostgreSQL before anything runs, so an unreachable database fails the bench at once. */
async function probePostgres(url: string): Promise<PgInfo> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 })
  try {
    await client.connect()
    const v = await client.query<{ server_version: string }>('SHOW server_version')
    const s = await client.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings
       WHERE name IN ('fsync', 'synchronous_commit', 'wal_sync_method', 'commit_delay')
       ORDER BY name`,
    )
    return {
      version: `PostgreSQL ${v.rows[0]?.server_version ?? '?'}`,
      settings: s.rows.map((r) => `${r.name}=${r.setting}`).join(', '),
    }
  } catch (err) {
    throw new Error(
      `bench: PostgreSQL is unreachable at ${redact(url)} (${(err as Error).message}). ` +
        'Start it, point TEST_DATABASE_URL at it, or pass --skip-pg.',
      { cause: err },
    )
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** The code measured: commit, and the files changed since (the figures depend on them). */
function codeVersion(): string {
  try {
    // Not trimmed at the start: a porcelain line begins with a status column that may be blank.
    const git = (args: string[]): string =>
      execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trimEnd()
    const commit = git(['rev-parse', '--short', 'HEAD'])
    const dirty = git(['status', '--porcelain', '--', 'lib', 'bench'])
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.slice(3))
    return dirty.length === 0
      ? `commit ${commit}`
      : `commit ${commit} + uncommitted ${dirty.join(', ')}`
  } catch {
    return 'unknown (not a git checkout)'
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')
}

// ---------------------------------------------------------------------------------------------
// Entry

/** `npm run bench -- trustchain`: see the file comment. */
export async function runTrustchainBench(options: BenchOptions): Promise<BenchReport> {
  checkOptions(options, KNOWN_OPTIONS)
  const cfg: BenchConfig = {
    seconds: intOption(options, 'seconds', DEFAULTS.seconds, 1, 600),
    concurrency: intOption(options, 'concurrency', DEFAULTS.concurrency, 1, 4_096),
    rate: intOption(options, 'rate', DEFAULTS.rate, 1, 100_000),
    pacedSeconds: intOption(options, 'paced-seconds', DEFAULTS.pacedSeconds, 1, 600),
    hashcashBits: intOption(options, 'hashcash-bits', DEFAULTS.hashcashBits, 0, 20),
    warmupSeconds: DEFAULTS.warmupSeconds,
    keys: DEFAULTS.keys,
  }
  const skipPg = options.get('skip-pg') === true
  const skipSqlite = options.get('skip-sqlite') === true
  const envUrl = process.env.TEST_DATABASE_URL
  const pgUrl = skipPg
    ? null
    : envUrl !== undefined && envUrl !== ''
      ? envUrl
      : 'postgres://postgres@127.0.0.1:5432/test'
  const pgInfo = pgUrl === null ? null : await probePostgres(pgUrl)
  const code = codeVersion()
  const fsync = fsyncProbe()
  progress(LABEL, `write 4 KiB + fdatasync on ./data: p50 ${fsync.p50} ms, p99 ${fsync.p99} ms`)

  const runs: StoreRun[] = []
  if (!skipSqlite) runs.push(await runStore('sqlite', cfg, null))
  if (pgUrl !== null) runs.push(await runStore('postgres', cfg, pgUrl))
  return report(cfg, runs, code, fsync, pgInfo, pgUrl, skipPg)
}

// ---------------------------------------------------------------------------------------------
// Report

function verdictText(v: GoalVerdict, unit: string, higherIsBetter: boolean): string {
  if (!v.pass) {
    return `MISS (${v.measured} ${unit}, ${round(higherIsBetter ? v.measured / v.goal : v.goal / v.measured, 2)} × goal)`
  }
  return `pass (${v.measured} ${unit})`
}

function errorText(e: Record<string, number>): string {
  const parts = Object.entries(e).map(([k, n]) => `${k}: ${n}`)
  return parts.length === 0 ? '0' : parts.join(', ')
}

function report(
  cfg: BenchConfig,
  runs: StoreRun[],
  code: string,
  fsync: LatencyStats,
  pgInfo: PgInfo | null,
  pgUrl: string | null,
  skipPg: boolean,
): BenchReport {
  const tables: Table[] = []
  const notes: string[] = []
  tables.push({
    title: 'Setup',
    headers: ['', ''],
    rows: [
      ['code', code],
      ...runs.map((r) => [`store: ${r.store}`, r.where]),
      ...(pgInfo === null ? [] : [['PostgreSQL', `${pgInfo.version} (${pgInfo.settings})`]]),
      [
        'disk under ./data: write 4 KiB + fdatasync',
        `p50 ${fsync.p50} ms, p99 ${fsync.p99} ms (${fsync.n} probes)`,
      ],
      [
        'server',
        'TrustchainService + handleTrustchainRequest on node:http, 127.0.0.1, main thread',
      ],
      [
        'clients',
        `worker thread, node:http keep-alive, ${cfg.keys} Ed25519 identities made up front (${runs.map((r) => `${r.clientSetupMs} ms`).join(' / ')})`,
      ],
      [
        'closed loops',
        `${cfg.concurrency} clients × ${cfg.seconds} s each, after ${cfg.warmupSeconds} s issuance + 1 s bare warm-up`,
      ],
      ['paced', `${cfg.rate} round trips/s started open-loop for ${cfg.pacedSeconds} s`],
      ['hashcash', `${cfg.hashcashBits} bits (server default ${DEFAULT_HASHCASH_BITS})`],
    ],
  })

  const closedRow = (r: StoreRun, p: PhaseResult, label: string): (string | number)[] => [
    r.store,
    label,
    p.perS,
    p.perSecond.median,
    `${p.perSecond.min}–${p.perSecond.max}`,
    `${round(p.perSecond.spread * 100, 1)} %`,
    p.roundTripMs.p50,
    p.roundTripMs.p99,
    p.firstMs.p50,
    p.secondMs.p50,
    p.secondMs.p99,
    p.serverThreadCpuPct,
    p.machineBusyPct ?? 'n/a',
    errorText(p.errors),
  ]
  tables.push({
    title: `Sustained load: ${cfg.concurrency} clients in a closed loop (GET → sign → POST) for ${cfg.seconds} s`,
    headers: [
      'store',
      'route',
      'round trips/s',
      'per-s median',
      'per-s min–max',
      'spread',
      'p50 ms',
      'p99 ms',
      'GET p50',
      'POST p50',
      'POST p99',
      'server CPU %',
      'machine %',
      'errors',
    ],
    rows: runs.flatMap((r) => [
      closedRow(r, r.bare, 'bare (baseline)'),
      closedRow(r, r.issue, 'issuance'),
    ]),
  })
  tables.push({
    title: 'Issuance ÷ bare route, same server, same run',
    headers: [
      'store',
      'certificates/s ÷ bare round trips/s',
      'p50 round trip ÷ bare',
      'server CPU µs per certificate',
      'per bare round trip',
      'ratio',
    ],
    rows: runs.map((r) => [
      r.store,
      r.ratio.perS,
      r.ratio.p50,
      r.issue.serverCpuUsPerOk,
      r.bare.serverCpuUsPerOk,
      r.ratio.serverCpu,
    ]),
  })
  const logRow = (r: StoreRun, phase: string, l: LogCheck | null): (string | number)[] =>
    l === null
      ? [r.store, phase, 'n/a', '', '', '', '', '', '', '']
      : [
          r.store,
          phase,
          l.created,
          l.sizeBefore,
          l.sizeAfter,
          l.growth,
          l.distinctIndexes,
          l.batches,
          l.meanBatch,
          l.pass ? 'ok' : 'MISMATCH',
        ]
  tables.push({
    title: 'Durable log against the answers (store head read before and after each phase)',
    headers: [
      'store',
      'phase',
      '201s',
      'log before',
      'log after',
      'growth',
      'distinct indexes',
      'batches seen',
      'mean batch',
      'check',
    ],
    rows: runs.flatMap((r) => [
      logRow(r, 'sustained', r.issue.log),
      logRow(r, 'paced', r.paced.log),
    ]),
  })
  tables.push({
    title: `Latency at ${cfg.rate} certificates/s (open loop, ${cfg.pacedSeconds} s)`,
    headers: [
      'store',
      'achieved/s',
      'POST p50 ms',
      'POST p99 ms',
      'GET+POST p50 ms',
      'GET+POST p99 ms',
      'max ms',
      'start late p99 ms',
      'server CPU %',
      'errors',
    ],
    rows: runs.map((r) => [
      r.store,
      r.paced.perS,
      r.paced.secondMs.p50,
      r.paced.secondMs.p99,
      r.paced.roundTripMs.p50,
      r.paced.roundTripMs.p99,
      r.paced.roundTripMs.max,
      r.paced.lateMs?.p99 ?? 'n/a',
      r.paced.serverThreadCpuPct,
      errorText(r.paced.errors),
    ]),
  })
  tables.push({
    title: `Goals (DESIGN.md §10: ≥ ${ISSUE_GOAL_PER_S} certificates/s sequenced and fsync'd; p50 ≤ ${PACED_GOAL_P50_MS} ms at 100/s)`,
    headers: [
      'store',
      `≥ ${ISSUE_GOAL_PER_S} certificates/s`,
      `p50 ≤ ${PACED_GOAL_P50_MS} ms (GET+POST, judged)`,
      `p50 ≤ ${PACED_GOAL_P50_MS} ms (POST only)`,
    ],
    rows: runs.map((r) => [
      r.store,
      verdictText(r.goals.perS, '/s', true),
      verdictText(r.goals.pacedP50, 'ms', false),
      verdictText(r.goals.pacedPostP50, 'ms', false),
    ]),
  })

  notes.push(
    `Anchors (DESIGN.md §10): Tessera ~10,000 writes/s on NVMe; Sunlight test logs 750/s; WebPKI ~75/s.`,
    `Hashcash at ${cfg.hashcashBits} bits: the server checks a stamp with one SHA-256 whatever its difficulty, so the difficulty changes only the client's cost (the default ${DEFAULT_HASHCASH_BITS} bits cost the client ~50 ms in a browser).`,
    'Rate limit raised for the bench (ISSUE_RATE_PER_MINUTE = ISSUE_BURST = 10,000,000): every client is 127.0.0.1.',
    'A certificate counts once the server answered 201: the sequencer answers only after its batch is durable (SQLite WAL synchronous=FULL, or a PostgreSQL commit with synchronous_commit=on).',
    'round trips/s = successes answered within the window ÷ window; per-s = the same per 1-second bucket (spread = (max − min) / median). p50/p99 are nearest-rank over successful round trips; GET+POST includes the client signing between the two.',
    '"batches seen" counts distinct checkpoint sizes in the answers: how many group commits the entries of the phase went out in.',
    'server CPU % = CPU time of the server thread ÷ wall time (100 % = one core); machine % = every process on both cores (clients, and PostgreSQL when used).',
  )
  for (const r of runs) {
    if (r.bare.serverThreadCpuPct < 80) {
      notes.push(
        `${r.store}: the bare route ran with the server thread at ${r.bare.serverThreadCpuPct} % of a core, so the clients (one core) limited it; server CPU per round trip is the client-independent comparison.`,
      )
    }
    if (r.issue.serverThreadCpuPct < 80 && r.issue.serverEluPct > 90) {
      notes.push(
        `${r.store}: during issuance the server thread was busy ${r.issue.serverEluPct} % of the time but on CPU only ${r.issue.serverThreadCpuPct} %: the rest is ${
          r.store === 'sqlite'
            ? 'blocking I/O on the event loop (node:sqlite commits and fsyncs synchronously) or waiting for a core'
            : 'waiting for a core (the clients, PostgreSQL and anything else running share the machine)'
        }.`,
      )
    }
  }
  if (pgUrl === null) {
    notes.push(skipPg ? 'PostgreSQL skipped (--skip-pg).' : 'PostgreSQL not run (no URL).')
  }
  for (const r of runs) {
    for (const p of [r.bare, r.issue, r.paced]) {
      for (const s of p.errorSamples) notes.push(`${r.store} ${p.target}/${p.kind} error: ${s}`)
    }
  }
  const bad = runs.flatMap((r) =>
    [
      ['sustained', r.issue.log],
      ['paced', r.paced.log],
    ]
      .filter(([, l]) => l !== null && !(l as LogCheck).pass)
      .map(([phase]) => `${r.store} ${String(phase)}`),
  )
  if (bad.length > 0) {
    // A 201 without its entry (or an entry nobody was told about) is a bug, not a slow figure.
    throw new Error(
      `bench: the durable log does not match the 201 answers in ${bad.join(', ')}: ${JSON.stringify(
        runs.map((r) => ({ store: r.store, sustained: r.issue.log, paced: r.paced.log })),
      )}`,
    )
  }
  return {
    data: {
      config: cfg,
      code,
      goals: { certificatesPerS: ISSUE_GOAL_PER_S, pacedP50Ms: PACED_GOAL_P50_MS },
      fsyncProbeMs: fsync,
      postgres: pgInfo,
      postgresSkipped: skipPg,
      stores: runs,
    },
    tables,
    notes,
  }
}
