/**
 * `npm run bench -- consensus`: finality and throughput of the ledger's consensus, and the rate of
 * its signature checks (DESIGN.md §10).
 *
 * 1. **Simulated**: 31 validators at 50 ms RTT in the deterministic simulator
 *    (bench/consensus-sim.ts): finality p50/p99 and committed transfers/s, over several seeds.
 * 2. **Browser**: four validator tabs and the server's anchor on loopback. Each tab registers,
 *    stakes (the anchor stakes as much as one tab, so blocks need the tabs' votes) and joins the
 *    committee; then transfers go round the ring one at a time, each after a random pause (users
 *    send at random moments, not in step with blocks), timed from the call in the sending tab to
 *    the moment that tab's own chain holds it in a committed block.
 * 3. **Signatures**: the consensus path's Ed25519 checks against native verification in the same
 *    run, in Node (node:crypto) and in Chromium (WebCrypto): bench/consensus-signatures.ts.
 */
import { rm } from 'node:fs/promises'
import type { Page } from 'playwright-core'
import {
  checkOptions,
  intOption,
  median,
  percentile,
  progress,
  round,
  sleep,
  withServerAndBrowser,
  type BenchOptions,
  type BenchReport,
  type Table,
} from './lib'
import {
  browserSignatureRates,
  nodeSignatureRates,
  signatureWorkload,
} from './consensus-signatures'

export const CONSENSUS_USAGE = [
  '  --transfers N   browser transfers timed (default 40)',
  '  --seeds N       simulated runs (default 3)',
  '  --duration S    virtual seconds per simulated run (default 5)',
  '  --tps N         simulated offered load, transfers/s (default 2500)',
  '  --signatures N  signatures per rate measurement (default 4000)',
  '  --skip-sim | --skip-browser | --skip-signatures',
  '  --port N        first HTTP port to try for the bench server (default 3400)',
].join('\n')

interface HypermeshView {
  ledger: {
    height: number
    registered: boolean
    validator: boolean
    publicKey: string
    balance: string
  } | null
}

async function ledgerOf(page: Page): Promise<HypermeshView['ledger']> {
  return page.evaluate(
    () => (window as unknown as { hypermesh?: HypermeshView }).hypermesh?.ledger ?? null,
  )
}

async function until(what: string, ms: number, cond: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`bench consensus: timed out waiting for ${what}`)
    await sleep(200)
  }
}

interface BrowserResult {
  transfers: number
  committedP50Ms: number
  committedP99Ms: number
  committedMaxMs: number
  pooledP50Ms: number
  blockIntervalMs: number
  validators: number
}

async function browserFinality(options: BenchOptions): Promise<BrowserResult> {
  const count = intOption(options, 'transfers', 40, 4, 1000)
  const dataDir = './data/bench-consensus'
  await rm(dataDir, { recursive: true, force: true })
  return withServerAndBrowser(
    {
      port: intOption(options, 'port', 3400, 1024, 65000),
      label: 'consensus',
      dataDir,
      env: { CHAIN_EPOCH_BLOCKS: '5', CHAIN_ANCHOR_STAKE: '500' },
    },
    async (server, browser) => {
      const pages: Page[] = []
      for (let i = 0; i < 4; i++) {
        const context = await browser.newContext()
        const page = await context.newPage()
        await page.goto(`${server.baseUrl}/?bench&target=3`)
        pages.push(page)
      }
      progress('consensus', 'browser: 4 tabs open, waiting for them to register')
      for (const page of pages) {
        await until('registration', 90_000, async () => (await ledgerOf(page))?.registered === true)
      }
      for (const page of pages) {
        await page.evaluate(() =>
          (
            window as unknown as { hypermeshBench: { stake(c: string): Promise<unknown> } }
          ).hypermeshBench.stake('500'),
        )
      }
      progress('consensus', 'browser: staked, waiting for the committee of two epochs later')
      for (const page of pages) {
        await until('validators', 120_000, async () => (await ledgerOf(page))?.validator === true)
      }
      const keys = await Promise.all(pages.map(async (p) => (await ledgerOf(p))!.publicKey))
      const startHeight = (await ledgerOf(pages[0]!))!.height
      const startedAt = Date.now()
      const committed: number[] = []
      const pooled: number[] = []
      // Transfers arrive at random moments (uniform pause of 0–1.5 s before each), as users'
      // would: one sent the instant the previous committed would always land at the start of
      // the idle block interval, the worst case, and one sent just before a proposal the best.
      let seed = 0x2545f491
      const nextPause = () => {
        seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0
        return Math.floor((seed / 2 ** 32) * 1_500)
      }
      for (let i = 0; i < count; i++) {
        await sleep(nextPause())
        const from = pages[i % pages.length]!
        const to = keys[(i + 1) % keys.length]!
        const r = await from.evaluate(
          ([to]) =>
            (
              window as unknown as {
                hypermeshBench: {
                  transfer(
                    to: string,
                    c: string,
                  ): Promise<{ pooledMs: number; committedMs: number }>
                }
              }
            ).hypermeshBench.transfer(to!, '1'),
          [to],
        )
        committed.push(r.committedMs)
        pooled.push(r.pooledMs)
        if ((i + 1) % 10 === 0) progress('consensus', `browser: ${i + 1}/${count} transfers`)
      }
      const blocks = (await ledgerOf(pages[0]!))!.height - startHeight
      const sorted = [...committed].sort((a, b) => a - b)
      return {
        transfers: count,
        committedP50Ms: round(percentile(sorted, 0.5), 0),
        committedP99Ms: round(percentile(sorted, 0.99), 0),
        committedMaxMs: round(sorted[sorted.length - 1]!, 0),
        pooledP50Ms: round(median(pooled), 1),
        blockIntervalMs: blocks > 0 ? round((Date.now() - startedAt) / blocks, 0) : NaN,
        validators: 5,
      }
    },
  )
}

/** Run the consensus bench. */
export async function runConsensusBench(options: BenchOptions): Promise<BenchReport> {
  checkOptions(options, [
    'transfers',
    'seeds',
    'duration',
    'tps',
    'signatures',
    'skip-sim',
    'skip-browser',
    'skip-signatures',
    'port',
  ])
  const tables: Table[] = []
  const notes: string[] = []
  const data: Record<string, unknown> = {}

  if (!options.has('skip-sim')) {
    const seeds = intOption(options, 'seeds', 3, 1, 100)
    const durationS = intOption(options, 'duration', 5, 2, 600)
    const tps = intOption(options, 'tps', 2500, 1, 100_000)
    progress('consensus', `simulating 31 validators at 50 ms RTT, ${seeds} seeds × ${durationS} s`)
    const { runConsensusSim } = await import('./consensus-sim')
    const sim = runConsensusSim({ validators: 31, rttMs: 50, durationS, tps, seeds })
    data.sim = sim
    tables.push({
      title: `Simulated: 31 validators, 50 ms RTT, ${tps} transfers/s offered, ${seeds} seeds × ${durationS} virtual s`,
      headers: ['figure', 'value', 'goal (DESIGN.md §10)'],
      rows: [
        ['finality p50, ms (tx submitted → committed)', sim.submitToCommitP50Ms, '≤ 500'],
        ['finality p99, ms (tx submitted → committed)', sim.submitToCommitP99Ms, ''],
        ['finality p50, ms (block proposed → committed)', sim.proposeToCommitP50Ms, ''],
        ['finality p99, ms (block proposed → committed)', sim.proposeToCommitP99Ms, ''],
        ['committed transfers/s', sim.transfersPerSecond, '≥ 2000'],
      ],
    })
  }

  if (!options.has('skip-browser')) {
    progress('consensus', 'browser: 4 validator tabs + the anchor on loopback')
    const b = await browserFinality(options)
    data.browser = b
    tables.push({
      title: `Browser: 4 validator tabs + the anchor (equal stakes), loopback, ${b.transfers} transfers one at a time, each after a random pause of 0–1.5 s`,
      headers: ['figure', 'value', 'goal (DESIGN.md §10)'],
      rows: [
        ['finality p50, ms (send → committed in the sender’s chain)', b.committedP50Ms, '≤ 1000'],
        ['finality p99, ms', b.committedP99Ms, ''],
        ['finality max, ms', b.committedMaxMs, ''],
        ['pooled p50, ms (send → in the sender’s mempool)', b.pooledP50Ms, ''],
        ['block interval while measuring, ms', b.blockIntervalMs, ''],
      ],
    })
    notes.push(
      'Browser finality includes any wait for the next height: a transfer that finds the chain idle starts it at once, one that arrives within the commit timeout of the previous block (CHAIN_BLOCK_INTERVAL_MS, 1000 ms by default) waits for the rest of it.',
    )
  }

  if (!options.has('skip-signatures')) {
    const n = intOption(options, 'signatures', 4000, 200, 100_000)
    const items = signatureWorkload(n)
    progress('consensus', `signatures: ${n} distinct (31 keys), Node then Chromium`)
    const node = nodeSignatureRates(items, 5)
    const { launchBrowser } = await import('./lib')
    const browser = await launchBrowser()
    let web
    try {
      web = await browserSignatureRates(browser, items, 5)
    } finally {
      await browser.close()
    }
    data.signatures = { node, browser: web }
    tables.push({
      title: `Ed25519 verifications/s (${n} distinct signatures, median of 5 interleaved rounds)`,
      headers: ['platform', 'path', 'verifications/s', '÷ native'],
      rows: [
        ['Node', 'node:crypto (native baseline)', Math.round(node.native), 1],
        [
          'Node',
          'consensus path (rule prechecks + node:crypto)',
          Math.round(node.consensus),
          round(node.consensus / node.native, 3),
        ],
        [
          'Node',
          'rule in JavaScript (fallback)',
          Math.round(node.jsRule),
          round(node.jsRule / node.native, 3),
        ],
        [
          'Node',
          'noble verify (reference)',
          Math.round(node.noble),
          round(node.noble / node.native, 3),
        ],
        ['Chromium', 'WebCrypto (native baseline)', Math.round(web.native), 1],
        [
          'Chromium',
          'consensus path (rule prechecks + WebCrypto)',
          Math.round(web.consensus),
          round(web.consensus / web.native, 3),
        ],
      ],
    })
    notes.push('Goal (DESIGN.md §10): consensus path ≥ 0.8 × native in the same run.')
  }
  return { data, tables, notes }
}
