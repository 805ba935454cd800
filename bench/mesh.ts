/**
 * Mesh bench (DESIGN.md §10, "tab joins mesh" and "link throughput"), in one run:
 *
 * 1. Join time: 16 tabs, each in its own browser context (own IndexedDB, own identity), opened one
 *    after another at a steady pace, then — on a fresh server — all at once. Each tab's
 *    `window.hypermesh.joinMs` is measured in the page: page time origin → first direct WebRTC peer.
 * 2. Throughput: 32 MiB over one libp2p stream between two tabs with a direct WebRTC connection
 *    (`hypermeshBench.stream`), against a raw RTCDataChannel between the same two tabs (the
 *    baseline of §10: same processes, same ICE path, only the libp2p layer differs) and, for
 *    reference, a raw RTCDataChannel between two RTCPeerConnections in one page (both ends in one
 *    renderer process, a path no link between two tabs can take), interleaved run by run in the
 *    same browser.
 *
 * Every phase gets its own server: the relay keeps a closed tab's reservation until it expires and
 * hands it out to newcomers as a dial candidate, which would tax the next phase with dead peers.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import {
  busyPercent,
  checkOptions,
  cpuTimes,
  describeLink,
  inPage,
  intOption,
  percentile,
  progress,
  readMeshState,
  relayHealth,
  round,
  settleLink,
  sleep,
  startServer,
  launchBrowser,
  summarize,
  withTimeout,
  type BenchOptions,
  type BenchReport,
  type BenchServer,
  type Summary,
  type Table,
} from './lib'

/** DESIGN.md §10: a tab joins the mesh with p50 ≤ 1 s, p95 ≤ 2 s (16 tabs, 2-core machine). */
export const JOIN_GOAL_P50_MS = 1_000
export const JOIN_GOAL_P95_MS = 2_000
/** DESIGN.md §10: a libp2p stream reaches ≥ 0.9 × a raw RTCDataChannel in the same run. */
export const THROUGHPUT_GOAL_RATIO = 0.9

const DEFAULTS = {
  tabs: 16,
  paceMs: 400,
  /** Settled variant: ms between one tab's join and the next tab's opening. */
  settleMs: 10_000,
  joinTimeoutMs: 20_000,
  runs: 9,
  warmup: 1,
  mib: 32,
  /** Raw sender pauses above this many buffered bytes: libp2p's own cap (MAX_BUFFERED_AMOUNT). */
  rawHighBytes: 2 * 1024 * 1024,
  /** …and resumes at 'bufferedamountlow' below this many. */
  rawLowBytes: 512 * 1024,
}

/** Bytes per message, the WebRTC limit libp2p also keeps to. */
const CHUNK_BYTES = 16 * 1024
/** The A↔B link must look settled (see runThroughput) for this long before transfers. */
const LINK_STABLE_MS = 3_000
const LINK_SETTLE_TIMEOUT_MS = 20_000
/** How long one transfer may take before the bench gives up on it, ms. */
const RUN_TIMEOUT_MS = 30_000

/** How the join phase opens its tabs. */
export type JoinVariantName = 'sequential' | 'settled' | 'paced' | 'burst'

export const MESH_USAGE = [
  `  --tabs N            tabs in the join phase (default ${DEFAULTS.tabs})`,
  `  --pace MS           ms between two tab openings in the paced join (default ${DEFAULTS.paceMs})`,
  `  --settle MS         settled join: ms from one tab's join to the next tab's opening (default ${DEFAULTS.settleMs})`,
  `  --join-timeout MS   a tab without a direct peer after this long is a failure (default ${DEFAULTS.joinTimeoutMs})`,
  `  --runs N            measured transfers per variant (default ${DEFAULTS.runs}, after ${DEFAULTS.warmup} warm-up)`,
  `  --mib N             MiB per transfer (default ${DEFAULTS.mib})`,
  `  --raw-high B        raw sender pauses above B buffered bytes (default ${DEFAULTS.rawHighBytes})`,
  `  --raw-low B         raw sender resumes below B (bufferedAmountLowThreshold, default ${DEFAULTS.rawLowBytes})`,
  '  --skip-burst        no all-at-once join variant',
  '  --skip-sequential   no one-after-the-other join variant',
  '  --skip-settled      no join variant with a pause after each join',
  '  --skip-join         throughput only',
  '  --skip-throughput   join time only',
  '  --port N            first HTTP port to try for the bench server (default 3400)',
].join('\n')

const KNOWN_OPTIONS = [
  'tabs',
  'pace',
  'settle',
  'join-timeout',
  'runs',
  'mib',
  'raw-high',
  'raw-low',
  'skip-burst',
  'skip-sequential',
  'skip-settled',
  'skip-join',
  'skip-throughput',
  'port',
]

// ---------------------------------------------------------------------------------------------
// Join time

/** One tab of a join variant. */
export interface JoinTab {
  index: number
  /** When the bench started opening it, ms after the variant started. */
  openedAtMs: number
  /** `window.hypermesh.joinMs`: page time origin → first direct WebRTC connection; null = failed. */
  joinMs: number | null
  /** Status and direct peers when the variant ended (all tabs open, all joined or timed out). */
  statusAtEnd: string | null
  webrtcPeersAtEnd: number | null
  relayPeersAtEnd: number | null
  /** Where the time went, ms from the page time origin (null: not reached). See READ_TIMELINE. */
  phases: JoinPhases | null
  error?: string
}

/** Milestones of one tab's join, ms from its page time origin. */
export interface JoinPhases {
  /** DOMContentLoaded finished (navigation timing). */
  domContentLoaded: number | null
  /** The node's boot began (mark `hypermesh:boot`). */
  bootStarted: number | null
  /** libp2p started: the tab has its peer ID (mark `hypermesh:libp2p`). */
  libp2pStarted: number | null
  /** The relay connection opened (mark `hypermesh:relay`). */
  relayReached: number | null
}

/** Percentiles of a set of tabs; a failed tab counts as slower than every joined one. */
export interface JoinStats {
  tabs: number
  joined: number
  failures: number
  p50Ms: number | null
  p95Ms: number | null
  maxMs: number | null
  minMs: number | null
}

export interface JoinVariant {
  variant: JoinVariantName
  /** Requested ms between openings (0 = all at once) and the median interval actually achieved. */
  paceMs: number
  actualPaceMs: number | null
  /** Settled variant: ms from one tab's join to the next tab's opening (0 otherwise). */
  settleMs: number
  timeoutMs: number
  tabs: JoinTab[]
  all: JoinStats
  /** Tabs 2…N: the first tab of a paced run cannot join before the second one exists. */
  withoutFirst: JoinStats
  goal: {
    p50: GoalCheck
    p95: GoalCheck
  }
  /** Relay reservations the server still held once every tab of this variant was closed. */
  relayReservationsAfterClose: number | null
  /** Share of all cores busy from the first opening until every tab joined or timed out, percent. */
  cpuBusyPct: number | null
}

export interface GoalCheck {
  goalMs: number
  measuredMs: number | null
  pass: boolean
  /** goal − measured: positive = time to spare, negative = missed by that much. */
  marginMs: number | null
}

function joinStats(tabs: readonly JoinTab[]): JoinStats {
  // Failures sort as +∞: they must push p95 up, never vanish from it.
  const values = tabs.map((t) => t.joinMs ?? Number.POSITIVE_INFINITY).sort((a, b) => a - b)
  const finite = (x: number): number | null => (Number.isFinite(x) ? x : null)
  const joined = tabs.filter((t) => t.joinMs !== null).length
  return {
    tabs: tabs.length,
    joined,
    failures: tabs.length - joined,
    p50Ms: finite(percentile(values, 0.5)),
    p95Ms: finite(percentile(values, 0.95)),
    maxMs: finite(values[values.length - 1] ?? Number.NaN),
    minMs: finite(values[0] ?? Number.NaN),
  }
}

function goalCheck(goalMs: number, measured: number | null): GoalCheck {
  return {
    goalMs,
    measuredMs: measured,
    pass: measured !== null && measured <= goalMs,
    marginMs: measured === null ? null : goalMs - measured,
  }
}

/**
 * The page's own marks (lib/client/node-runtime.ts: `performance.mark('hypermesh:…')`), exact to
 * the millisecond: when the node's boot began, libp2p ran, the relay connection opened.
 */
const READ_TIMELINE = `(() => {
  const nav = performance.getEntriesByType('navigation')[0]
  const mark = (name) => {
    const m = performance.getEntriesByName('hypermesh:' + name, 'mark')[0]
    return m === undefined ? null : Math.round(m.startTime)
  }
  return {
    domContentLoaded: nav === undefined ? null : Math.round(nav.domContentLoadedEventEnd),
    bootStarted: mark('boot'),
    libp2pStarted: mark('libp2p'),
    relayReached: mark('relay'),
  }
})()`

interface OpenTab {
  index: number
  context: BrowserContext
  page: Page
}

/**
 * Open one window per tab (its own context, at about:blank) and let the browser finish setting
 * them up before the variant starts. A new Chromium window builds its own UI first — in Chromium
 * 156 a WebUI omnibox popup in a renderer of its own, ~0.7 CPU-s on the bench machine — which is
 * the browser's work, done before anyone types an address; opened together with the page, it
 * landed on the join it is not part of. The join clock starts at the navigation (page time origin).
 */
async function openWindows(browser: Browser, count: number): Promise<OpenTab[]> {
  const windows: OpenTab[] = []
  for (let i = 0; i < count; i++) {
    const context = await browser.newContext()
    const page = await context.newPage()
    windows.push({ index: i + 1, context, page })
  }
  await waitForQuietCpu(WINDOW_SETTLE_MAX_MS)
  return windows
}

/** Most time to wait for the browser to finish setting up new windows. */
const WINDOW_SETTLE_MAX_MS = 30_000

/** Wait until the machine is mostly idle (≤ 25 % busy over 1 s), at most `maxMs`. */
async function waitForQuietCpu(maxMs: number): Promise<void> {
  const until = Date.now() + maxMs
  while (Date.now() < until) {
    const a = cpuTimes()
    await sleep(1_000)
    const busy = busyPercent(a, cpuTimes())
    if (busy === null || busy <= 25) return
  }
}

/** Navigate a pre-opened window to `url` and wait for its `joinMs` (or the timeout, counted from the navigation). */
async function joinOneTab(
  window: OpenTab,
  url: string,
  variantStart: number,
  timeoutMs: number,
): Promise<JoinTab> {
  const openedAt = Date.now()
  const { index, page } = window
  const tab: JoinTab = {
    index,
    openedAtMs: openedAt - variantStart,
    joinMs: null,
    statusAtEnd: null,
    webrtcPeersAtEnd: null,
    relayPeersAtEnd: null,
    phases: null,
  }
  try {
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: timeoutMs })
    const left = timeoutMs - (Date.now() - openedAt)
    // Polled inside the page (no CDP round trip per poll); the figure itself is the page's own.
    await page.waitForFunction('window.hypermesh?.joinMs != null', undefined, {
      timeout: Math.max(left, 1),
      polling: 250,
    })
    tab.joinMs = (await readMeshState(page))?.joinMs ?? null
  } catch (err) {
    tab.error = (err as Error).message.split('\n')[0]
  }
  return tab
}

async function runJoinVariant(
  browser: Browser,
  server: BenchServer,
  variant: JoinVariantName,
  tabs: number,
  paceMs: number,
  timeoutMs: number,
  settleMs: number,
): Promise<JoinVariant> {
  const label = 'mesh'
  progress(
    label,
    `join/${variant}: opening ${tabs} tabs${variant === 'paced' ? `, one every ${paceMs} ms` : variant === 'burst' ? ' at once' : variant === 'settled' ? `, each ${settleMs} ms after the previous joined` : ', each after the previous joined'}`,
  )
  const opened = await openWindows(browser, tabs)
  const url = `${server.baseUrl}/`
  const start = Date.now()
  const cpu0 = cpuTimes()
  const pending: Promise<JoinTab>[] = []
  try {
    for (let i = 0; i < tabs; i++) {
      // Sequential: each tab opens once the previous one joined (the first cannot join alone, so
      // the second does not wait for it) — the join time of one newcomer with the others present.
      if (variant === 'sequential' && i >= 2) await pending[i - 1]
      // Settled: the same, but the previous tab gets `settleMs` to finish what follows its join
      // (more links, its ledger's sync and registration) — the join of one newcomer into a mesh
      // that is running, not starting up.
      if (variant === 'settled' && i >= 2) {
        const prev = await pending[i - 1]!
        if (prev.joinMs !== null) await sleep(settleMs)
      }
      if (variant === 'paced') {
        const due = start + i * paceMs
        const wait = due - Date.now()
        if (wait > 0) await sleep(wait)
      }
      pending.push(joinOneTab(opened[i]!, url, start, timeoutMs))
    }
    const results = await Promise.all(pending)
    const cpuBusyPct = busyPercent(cpu0, cpuTimes())
    // The mesh as it stands once every tab joined or gave up: who reached whom directly.
    await Promise.all(
      opened.map(async (o) => {
        const s = await readMeshState(o.page).catch(() => null)
        const r = results.find((x) => x.index === o.index)
        if (s === null || r === undefined) return
        r.statusAtEnd = s.status
        r.webrtcPeersAtEnd = s.connections.filter((c) => c.transport === 'webrtc').length
        r.relayPeersAtEnd = s.connections.filter((c) => c.transport !== 'webrtc').length
        r.phases = (await o.page.evaluate(READ_TIMELINE).catch(() => null)) as JoinPhases | null
      }),
    )
    const all = joinStats(results)
    const withoutFirst = joinStats(results.filter((r) => r.index !== 1))
    const intervals = results
      .slice(1)
      .map((r, k) => r.openedAtMs - results[k]!.openedAtMs)
      .sort((a, b) => a - b)
    progress(
      label,
      `join/${variant}: p50 ${all.p50Ms ?? '∞'} ms, p95 ${all.p95Ms ?? '∞'} ms, ${all.failures} failure(s)`,
    )
    return {
      variant,
      paceMs: variant === 'paced' ? paceMs : 0,
      settleMs: variant === 'settled' ? settleMs : 0,
      actualPaceMs: intervals.length > 0 ? round(percentile(intervals, 0.5), 0) : null,
      timeoutMs,
      tabs: results,
      all,
      withoutFirst,
      goal: {
        p50: goalCheck(JOIN_GOAL_P50_MS, all.p50Ms),
        p95: goalCheck(JOIN_GOAL_P95_MS, all.p95Ms),
      },
      relayReservationsAfterClose: null,
      cpuBusyPct,
    }
  } finally {
    await Promise.allSettled(pending)
    await Promise.all(opened.map((o) => o.context.close().catch(() => undefined)))
  }
}

// ---------------------------------------------------------------------------------------------
// Throughput

/** One transfer. */
export interface TransferRun {
  bytes: number
  ms: number
  mbps: number
}

/** A transfer that threw or timed out. */
export interface TransferFailure {
  round: number
  warmup: boolean
  afterMs: number
  error: string
}

export interface ThroughputVariant {
  id: 'libp2p' | 'raw-page' | 'raw-tabs'
  label: string
  warmup: TransferRun[]
  /** Measured transfers that completed; the summary is over these. */
  runs: TransferRun[]
  failures: TransferFailure[]
  mbps: Summary
}

export interface ThroughputResult {
  bytes: number
  runs: number
  warmup: number
  rawHighBytes: number
  rawLowBytes: number
  variants: ThroughputVariant[]
  /** Median libp2p ÷ median raw between the same two tabs: the §10 figure. */
  ratio: number
  /** libp2p ÷ raw in one page: for reference, not the goal (see the file comment). */
  ratioOnePage: number | null
  goal: { ratio: number; pass: boolean; margin: number }
  /** Transports between the two tabs before the first and after the last transfer. */
  linkBefore: string
  /** ms from A first seeing B over WebRTC until the link looked settled (held 3 s); null = never. */
  linkSettledMs: number | null
  /** After each failed libp2p transfer the bench waited for the link to settle again. */
  resettles: { round: number; settledMs: number | null; link: string }[]
  /** Share of all cores busy during the throughput phase, percent. */
  cpuBusyPct: number | null
  linkAfter: string
}

/**
 * Raw RTCDataChannel sender and receiver, installed into a page as source text (tsx's `__name`
 * helpers would not exist in the page if a compiled function were sent).
 *
 * The receiver counts bytes and answers the count when the sender's final "end" string arrives —
 * on an ordered channel that is after every byte, so the sender's clock stops only when all bytes
 * were counted, as with the libp2p probe (lib/mesh/perf.ts). Descriptions are exchanged after ICE
 * gathering completes (no trickle), with `iceServers: []`: host candidates only.
 */
const RAW_LIB = `(() => {
  const CHUNK = ${CHUNK_BYTES}
  const gathered = (pc) =>
    pc.iceGatheringState === 'complete'
      ? Promise.resolve()
      : new Promise((resolve) => {
          const check = () => {
            if (pc.iceGatheringState === 'complete') {
              pc.removeEventListener('icegatheringstatechange', check)
              resolve()
            }
          }
          pc.addEventListener('icegatheringstatechange', check)
        })
  const opened = (dc) =>
    dc.readyState === 'open'
      ? Promise.resolve()
      : new Promise((resolve, reject) => {
          dc.addEventListener('open', () => resolve(), { once: true })
          dc.addEventListener('close', () => reject(new Error('raw channel closed before open')), { once: true })
        })
  const serve = (pc) => {
    pc.addEventListener('datachannel', (e) => {
      const ch = e.channel
      ch.binaryType = 'arraybuffer'
      let count = 0
      ch.addEventListener('message', (m) => {
        if (typeof m.data === 'string') ch.send(String(count))
        else count += m.data.byteLength
      })
    })
  }
  const st = { sender: null, keep: [] }
  window.__rawBench = {
    async offer() {
      const pc = new RTCPeerConnection({ iceServers: [] })
      const ctl = pc.createDataChannel('ctl')
      st.sender = pc
      st.keep.push(ctl)
      await pc.setLocalDescription()
      await gathered(pc)
      return pc.localDescription.sdp
    },
    async answer(sdp) {
      const pc = new RTCPeerConnection({ iceServers: [] })
      serve(pc)
      st.keep.push(pc)
      await pc.setRemoteDescription({ type: 'offer', sdp })
      await pc.setLocalDescription()
      await gathered(pc)
      return pc.localDescription.sdp
    },
    async accept(sdp) {
      await st.sender.setRemoteDescription({ type: 'answer', sdp })
      await opened(st.keep[0])
    },
    async local() {
      const sdp = await window.__rawBench.offer()
      const answer = await window.__rawBench.answer(sdp)
      await window.__rawBench.accept(answer)
    },
    async run(bytes, high, low) {
      const dc = st.sender.createDataChannel('bench', { ordered: true })
      dc.binaryType = 'arraybuffer'
      dc.bufferedAmountLowThreshold = low
      await opened(dc)
      const chunk = new Uint8Array(CHUNK)
      crypto.getRandomValues(chunk)
      const reply = new Promise((resolve, reject) => {
        dc.addEventListener('message', (m) => resolve(Number(m.data)), { once: true })
        dc.addEventListener('close', () => reject(new Error('raw channel closed before the count')), { once: true })
      })
      const start = performance.now()
      let sent = 0
      while (sent < bytes) {
        if (dc.bufferedAmount > high) {
          await new Promise((resolve) => dc.addEventListener('bufferedamountlow', resolve, { once: true }))
        }
        const n = Math.min(CHUNK, bytes - sent)
        dc.send(n === CHUNK ? chunk : chunk.subarray(0, n))
        sent += n
      }
      dc.send('end')
      const count = await reply
      const ms = performance.now() - start
      dc.close()
      if (count !== bytes) throw new Error('raw: receiver counted ' + count + ' of ' + bytes + ' bytes')
      return { bytes, ms, mbps: (bytes * 8) / 1e6 / (ms / 1000) }
    },
  }
})()`

async function runThroughput(
  browser: Browser,
  server: BenchServer,
  opts: { bytes: number; runs: number; warmup: number; high: number; low: number },
): Promise<ThroughputResult> {
  const label = 'mesh'
  const contexts: BrowserContext[] = []
  const open = async (path: string): Promise<Page> => {
    const context = await browser.newContext()
    contexts.push(context)
    const page = await context.newPage()
    await page.goto(`${server.baseUrl}${path}`, { waitUntil: 'domcontentloaded' })
    return page
  }
  try {
    progress(label, 'throughput: opening tabs A and B with ?bench')
    const [a, b] = await Promise.all([open('/?bench'), open('/?bench')])
    const ready = 'window.hypermeshBench !== undefined && (window.hypermesh?.peerId ?? "") !== ""'
    await Promise.all([
      a.waitForFunction(ready, undefined, { timeout: 30_000, polling: 100 }),
      b.waitForFunction(ready, undefined, { timeout: 30_000, polling: 100 }),
    ])
    const bId = (await readMeshState(b))!.peerId
    try {
      await a.waitForFunction(
        `window.hypermesh.connections.some((c) => c.peerId === ${JSON.stringify(bId)} && c.transport === 'webrtc')`,
        undefined,
        { timeout: 30_000, polling: 100 },
      )
    } catch {
      const [sa, sb] = await Promise.all([readMeshState(a), readMeshState(b)])
      throw new Error(
        `throughput: tab A never got a direct WebRTC connection to tab B in 30 s ` +
          `(A status ${sa?.status}, A→B ${describeLink(sa, bId)}; B status ${sb?.status}, ` +
          `A connections ${JSON.stringify(sa?.connections)})`,
      )
    }
    // Wait for the link to settle. Right after the first direct connection appears, streams fail
    // (seen: the data channel closed under the stream, "User-Initiated Abort, reason=Close called";
    // a TimeoutError after 10 s; once the A–B connection vanished): two tabs that dial each other at
    // once get two WebRTC connections and close one (lib/mesh/node.ts, dedupe), dials still in
    // flight land later, the relayed signalling connection is closed. Settled = one WebRTC
    // connection each way with a measured RTT, and neither tab opened a connection, for 3 s.
    const aId = (await readMeshState(a))!.peerId
    const settle = (): Promise<number | null> =>
      settleLink(a, b, aId, bId, { stableMs: LINK_STABLE_MS, timeoutMs: LINK_SETTLE_TIMEOUT_MS })
    const settledMs = await settle()
    const linkBefore = describeLink(await readMeshState(a), bId)
    progress(
      label,
      settledMs === null
        ? `throughput: link A↔B did not settle in ${LINK_SETTLE_TIMEOUT_MS} ms (A→B: ${linkBefore}); measuring anyway`
        : `throughput: link A↔B settled ${settledMs} ms after it appeared (one WebRTC connection each way, RTT measured, no new connections for ${LINK_STABLE_MS} ms)`,
    )

    progress(
      label,
      'throughput: raw channel between A and B (baseline) and in one page (reference)',
    )
    const solo = await open('/api/health')
    await solo.evaluate(RAW_LIB)
    await withTimeout(solo.evaluate('window.__rawBench.local()'), 30_000, 'raw one-page setup')
    await Promise.all([a.evaluate(RAW_LIB), b.evaluate(RAW_LIB)])
    const offer = (await a.evaluate('window.__rawBench.offer()')) as string
    const answer = (await b.evaluate(
      `window.__rawBench.answer(${JSON.stringify(offer)})`,
    )) as string
    await withTimeout(
      a.evaluate(`window.__rawBench.accept(${JSON.stringify(answer)})`),
      30_000,
      'raw A→B setup',
    )

    const rawCall = `window.__rawBench.run(${opts.bytes}, ${opts.high}, ${opts.low})`
    const variants: {
      id: ThroughputVariant['id']
      label: string
      go: () => Promise<TransferRun>
    }[] = [
      {
        id: 'libp2p',
        label: 'libp2p stream A→B (/hypermesh/perf/1)',
        go: () =>
          inPage<TransferRun>(
            a,
            `window.hypermeshBench.stream(${JSON.stringify(bId)}, ${opts.bytes})`,
          ),
      },
      {
        id: 'raw-page',
        label: 'raw RTCDataChannel, one page (reference)',
        go: () => inPage<TransferRun>(solo, rawCall),
      },
      {
        id: 'raw-tabs',
        label: 'raw RTCDataChannel A→B (baseline)',
        go: () => inPage<TransferRun>(a, rawCall),
      },
    ]
    const results = new Map(
      variants.map((v) => [
        v.id,
        {
          warmup: [] as TransferRun[],
          runs: [] as TransferRun[],
          failures: [] as TransferFailure[],
        },
      ]),
    )
    const total = opts.warmup + opts.runs
    const cpu0 = cpuTimes()
    const resettles: { round: number; settledMs: number | null; link: string }[] = []
    for (let i = 0; i < total; i++) {
      const warm = i < opts.warmup
      // Rotate the order each round so that no variant always runs right after the same one.
      const order = variants.map((_, k) => variants[(k + i) % variants.length]!)
      const line: string[] = []
      for (const v of order) {
        const bucket = results.get(v.id)!
        const t0 = Date.now()
        try {
          const r = await withTimeout(v.go(), RUN_TIMEOUT_MS, `${v.id} transfer`)
          ;(warm ? bucket.warmup : bucket.runs).push({
            bytes: r.bytes,
            ms: round(r.ms, 1),
            mbps: round(r.mbps, 1),
          })
          line.push(`${v.id} ${round(r.mbps, 1)} Mbit/s`)
        } catch (err) {
          // A failed transfer is a result too: kept, counted and printed, never retried away.
          const error = (err as Error).message.split('\n').slice(0, 3).join(' | ').slice(0, 600)
          bucket.failures.push({ round: i + 1, warmup: warm, afterMs: Date.now() - t0, error })
          line.push(`${v.id} FAILED after ${Date.now() - t0} ms (${error})`)
          // Give the link the same chance to settle as before the first round; say so.
          if (v.id === 'libp2p') {
            const again = await settle()
            const link = describeLink(await readMeshState(a), bId)
            resettles.push({ round: i + 1, settledMs: again, link })
            line.push(`link A→B now ${link}, settled ${again ?? 'never'} ms`)
          }
        }
      }
      progress(
        label,
        `throughput: round ${i + 1}/${total}${warm ? ' (warm-up)' : ''}: ${line.join(', ')}`,
      )
    }
    const linkAfter = describeLink(await readMeshState(a), bId)
    const out: ThroughputVariant[] = variants.map((v) => {
      const r = results.get(v.id)!
      return {
        id: v.id,
        label: v.label,
        warmup: r.warmup,
        runs: r.runs,
        failures: r.failures,
        mbps: summarize(r.runs.map((x) => x.mbps)),
      }
    })
    const med = (id: ThroughputVariant['id']): number => out.find((v) => v.id === id)!.mbps.median
    // The goal compares like with like: the same two tabs, the same path, with and without libp2p.
    const ratio = med('libp2p') / med('raw-tabs')
    return {
      bytes: opts.bytes,
      runs: opts.runs,
      warmup: opts.warmup,
      rawHighBytes: opts.high,
      rawLowBytes: opts.low,
      variants: out,
      ratio: round(ratio, 4),
      ratioOnePage: round(med('libp2p') / med('raw-page'), 3),
      goal: {
        ratio: THROUGHPUT_GOAL_RATIO,
        pass: ratio >= THROUGHPUT_GOAL_RATIO,
        margin: round(ratio - THROUGHPUT_GOAL_RATIO, 4),
      },
      linkBefore,
      linkAfter,
      linkSettledMs: settledMs,
      resettles,
      cpuBusyPct: busyPercent(cpu0, cpuTimes()),
    }
  } finally {
    await Promise.all(contexts.map((c) => c.close().catch(() => undefined)))
  }
}

// ---------------------------------------------------------------------------------------------
// Entry

/** Run the mesh bench; each phase on its own fresh server, one browser throughout. */
export async function runMeshBench(options: BenchOptions): Promise<BenchReport> {
  checkOptions(options, KNOWN_OPTIONS)
  const tabs = intOption(options, 'tabs', DEFAULTS.tabs, 2, 64)
  const paceMs = intOption(options, 'pace', DEFAULTS.paceMs, 0, 10_000)
  const joinTimeoutMs = intOption(options, 'join-timeout', DEFAULTS.joinTimeoutMs, 1_000, 120_000)
  const runs = intOption(options, 'runs', DEFAULTS.runs, 1, 50)
  const mib = intOption(options, 'mib', DEFAULTS.mib, 1, 1024)
  const high = intOption(options, 'raw-high', DEFAULTS.rawHighBytes, CHUNK_BYTES, 15 * 1024 * 1024)
  const low = intOption(options, 'raw-low', DEFAULTS.rawLowBytes, 0, high)
  const port = intOption(options, 'port', 3400, 1024, 65000)
  const doJoin = options.get('skip-join') === undefined
  const doBurst = doJoin && options.get('skip-burst') === undefined
  const doSequential = doJoin && options.get('skip-sequential') === undefined
  const doSettled = doJoin && options.get('skip-settled') === undefined
  const settleMs = intOption(options, 'settle', DEFAULTS.settleMs, 0, 120_000)
  const doThroughput = options.get('skip-throughput') === undefined

  const browser = await launchBrowser()
  const joins: JoinVariant[] = []
  let throughput: ThroughputResult | null = null
  try {
    const phases: (JoinVariantName | 'throughput')[] = [
      ...(doSequential ? (['sequential'] as const) : []),
      ...(doSettled ? (['settled'] as const) : []),
      ...(doJoin ? (['paced'] as const) : []),
      ...(doBurst ? (['burst'] as const) : []),
      ...(doThroughput ? (['throughput'] as const) : []),
    ]
    for (const phase of phases) {
      const server = await startServer({ port, label: 'mesh' })
      try {
        if (phase === 'throughput') {
          throughput = await runThroughput(browser, server, {
            bytes: mib * 1024 * 1024,
            runs,
            warmup: DEFAULTS.warmup,
            high,
            low,
          })
        } else {
          const v = await runJoinVariant(
            browser,
            server,
            phase,
            tabs,
            paceMs,
            joinTimeoutMs,
            settleMs,
          )
          // Contexts are closed: does the relay still advertise those tabs to newcomers?
          await sleep(1_000)
          v.relayReservationsAfterClose = (await relayHealth(server.baseUrl))?.reservations ?? null
          joins.push(v)
        }
        // A result from a server that died mid-phase would measure the crash, not the mesh.
        const died = server.exited()
        if (died !== null) {
          throw new Error(
            `mesh: the bench server stopped during the ${phase} phase (${died}); last output:\n${server.output().slice(-3_000)}`,
          )
        }
      } finally {
        await server.stop()
      }
    }
  } finally {
    await browser.close().catch(() => undefined)
  }
  return report({ tabs, paceMs, joinTimeoutMs, runs, mib, high, low }, joins, throughput)
}

function ms(x: number | null): string | number {
  return x === null ? 'failed' : x
}

function verdict(g: GoalCheck): string {
  if (g.measuredMs === null || g.marginMs === null) return `MISS (no figure: a tab failed)`
  return g.pass ? `pass (${g.marginMs} ms to spare)` : `MISS by ${-g.marginMs} ms`
}

function report(
  cfg: {
    tabs: number
    paceMs: number
    joinTimeoutMs: number
    runs: number
    mib: number
    high: number
    low: number
  },
  joins: JoinVariant[],
  throughput: ThroughputResult | null,
): BenchReport {
  const tables: Table[] = []
  const notes: string[] = []
  if (joins.length > 0) {
    const rows: (string | number)[][] = []
    for (const v of joins) {
      const name =
        v.variant === 'paced'
          ? `paced ${v.paceMs} ms`
          : v.variant === 'burst'
            ? 'burst (all at once)'
            : v.variant === 'settled'
              ? `settled (${v.settleMs / 1000} s after previous joined)`
              : 'sequential (after previous joined)'
      const row = (who: string, s: JoinStats): (string | number)[] => [
        name,
        who,
        `${s.joined}/${s.tabs}`,
        ms(s.p50Ms),
        ms(s.p95Ms),
        ms(s.maxMs),
        ms(s.minMs),
        s.failures,
      ]
      rows.push(row(`all ${v.all.tabs} tabs (headline)`, v.all))
      if (v.variant !== 'burst') rows.push(row('tabs 2…N (without the first)', v.withoutFirst))
    }
    tables.push({
      title: `Join time: page time origin → first direct WebRTC peer (window.hypermesh.joinMs), ${cfg.tabs} tabs`,
      headers: [
        'variant',
        'tabs counted',
        'joined',
        'p50 ms',
        'p95 ms',
        'max ms',
        'min ms',
        'failures',
      ],
      rows,
    })
    tables.push({
      title: `Join goal (DESIGN.md §10: p50 ≤ ${JOIN_GOAL_P50_MS} ms, p95 ≤ ${JOIN_GOAL_P95_MS} ms, all ${cfg.tabs} tabs incl. the first)`,
      headers: ['variant', 'p50', 'p95'],
      rows: joins.map((v) => [v.variant, verdict(v.goal.p50), verdict(v.goal.p95)]),
    })
    const milestones: [keyof JoinPhases | 'joinMs', string][] = [
      ['domContentLoaded', 'DOMContentLoaded'],
      ['bootStarted', 'node boot began'],
      ['libp2pStarted', 'libp2p started (peer ID)'],
      ['relayReached', 'relay connection open'],
      ['joinMs', 'first direct WebRTC peer (joinMs)'],
    ]
    tables.push({
      title:
        "Where the join time goes: ms from page time origin, over the tabs that joined (the page's own performance marks)",
      headers: ['variant', 'milestone', 'p50 ms', 'max ms'],
      rows: joins.flatMap((v) =>
        milestones.map(([key, name]) => {
          const xs = v.tabs
            .filter((t) => t.joinMs !== null)
            .map((t) => (key === 'joinMs' ? t.joinMs : (t.phases?.[key] ?? null)))
            .filter((x): x is number => x !== null)
            .sort((a, b) => a - b)
          return [
            v.variant,
            name,
            ms(xs.length === 0 ? null : percentile(xs, 0.5)),
            ms(xs.at(-1) ?? null),
          ]
        }),
      ),
    })
    tables.push({
      title:
        'Join time per tab, ms (opened at: ms after the variant started; peers: direct WebRTC / other at the end)',
      headers: [
        'tab',
        ...joins.flatMap((v) => [
          `${v.variant} opened at`,
          `${v.variant} join`,
          `${v.variant} peers`,
        ]),
      ],
      rows: Array.from({ length: cfg.tabs }, (_, i) => [
        i + 1,
        ...joins.flatMap((v) => {
          const t = v.tabs[i]
          if (t === undefined) return ['', '', '']
          return [
            t.openedAtMs,
            t.joinMs === null
              ? `failed${t.statusAtEnd !== null ? ` (${t.statusAtEnd})` : ''}`
              : t.joinMs,
            `${t.webrtcPeersAtEnd ?? '?'} / ${t.relayPeersAtEnd ?? '?'}`,
          ]
        }),
      ]),
    })
    for (const v of joins) {
      notes.push(
        v.variant === 'paced'
          ? `paced: one tab every ${v.paceMs} ms requested, median ${v.actualPaceMs} ms achieved; each tab in its own browser context.`
          : v.variant === 'burst'
            ? `burst: all ${v.tabs.length} tabs opened at once (median ${v.actualPaceMs} ms between openings).`
            : v.variant === 'settled'
              ? `settled: each tab opened ${v.settleMs} ms after the previous one joined (median ${v.actualPaceMs} ms between openings).`
              : `sequential: each tab opened once the previous one joined (median ${v.actualPaceMs} ms between openings).`,
      )
      notes.push(
        `${v.variant}: CPU busy (all processes, both cores) while the tabs joined: ${v.cpuBusyPct ?? 'n/a'} %.`,
      )
      for (const t of v.tabs.filter((x) => x.error !== undefined)) {
        notes.push(`${v.variant} tab ${t.index} failed: ${t.error}`)
      }
      if (v.relayReservationsAfterClose !== null) {
        notes.push(
          `${v.variant}: relay reservations 1 s after all ${v.tabs.length} tabs closed: ${v.relayReservationsAfterClose}.`,
        )
      }
    }
    notes.push(
      `Percentiles are nearest-rank over all tabs (failures count as slower than any join, timeout ${cfg.joinTimeoutMs} ms); with ≤ 20 tabs p95 is the maximum.`,
      'Each join variant runs on a fresh server (relay reservations of closed tabs would otherwise be handed out as dial candidates).',
      "Each tab's window (own context, at about:blank) is opened before its variant starts and the browser's own set-up of it (its UI renderers) left to finish; the join clock starts at the navigation.",
    )
  }
  if (throughput !== null) {
    const t = throughput
    tables.push({
      title: `Throughput: ${t.bytes / 2 ** 20} MiB per transfer, 16 KiB messages, ${t.runs} runs after ${t.warmup} warm-up, interleaved`,
      headers: ['variant', 'median Mbit/s', 'min', 'max', 'spread', 'failed', 'runs Mbit/s'],
      rows: t.variants.map((v) => [
        v.label,
        round(v.mbps.median, 1),
        v.mbps.min,
        v.mbps.max,
        `${round(v.mbps.spread * 100, 1)} %`,
        v.failures.length,
        v.runs.map((r) => r.mbps).join(' '),
      ]),
    })
    tables.push({
      title: `Throughput ratio (DESIGN.md §10 goal: libp2p ≥ ${THROUGHPUT_GOAL_RATIO} × raw in the same run)`,
      headers: ['ratio of medians', 'value', 'goal'],
      rows: [
        [
          'libp2p ÷ raw A→B, same two tabs (baseline)',
          t.ratio.toFixed(3),
          Number.isNaN(t.ratio)
            ? 'MISS (no figure: every transfer of a variant failed)'
            : t.goal.pass
              ? `pass (+${t.goal.margin.toFixed(3)})`
              : `MISS by ${Math.max(-t.goal.margin, 0.001).toFixed(3)}`,
        ],
        ['libp2p ÷ raw in one page (reference)', t.ratioOnePage?.toFixed(3) ?? 'n/a', ''],
      ],
    })
    notes.push(
      `throughput: raw sender pauses above ${t.rawHighBytes} buffered bytes (libp2p's own cap) and resumes on 'bufferedamountlow' at ${t.rawLowBytes}; ` +
        `spread = (max − min) / median; link A→B before: ${t.linkBefore}, after: ${t.linkAfter}; ` +
        `link settled ${t.linkSettledMs ?? 'never'} ms after it appeared; CPU busy during transfers ${t.cpuBusyPct ?? 'n/a'} %.`,
    )
    for (const r of t.resettles) {
      notes.push(
        `throughput: after the failed libp2p transfer of round ${r.round} the link ${r.settledMs === null ? 'did not settle again' : `settled again in ${r.settledMs} ms`} (A→B: ${r.link}).`,
      )
    }
    for (const v of t.variants) {
      for (const f of v.failures) {
        notes.push(
          `throughput: ${v.id} transfer of round ${f.round}${f.warmup ? ' (warm-up)' : ''} failed after ${f.afterMs} ms: ${f.error}`,
        )
      }
    }
  }
  return {
    data: {
      config: {
        tabs: cfg.tabs,
        paceMs: cfg.paceMs,
        joinTimeoutMs: cfg.joinTimeoutMs,
        runs: cfg.runs,
        warmup: DEFAULTS.warmup,
        mibPerTransfer: cfg.mib,
        rawHighBytes: cfg.high,
        rawLowBytes: cfg.low,
      },
      goals: {
        joinP50Ms: JOIN_GOAL_P50_MS,
        joinP95Ms: JOIN_GOAL_P95_MS,
        throughputRatio: THROUGHPUT_GOAL_RATIO,
      },
      join: joins,
      throughput,
    },
    tables,
    notes,
  }
}
