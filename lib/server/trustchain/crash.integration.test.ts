import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { parseCertificate } from '../../trustchain/certificate'
import { parseCheckpoint, type Checkpoint } from '../../trustchain/checkpoint'
import { mintHashcash } from '../../trustchain/hashcash'
import { popMessage, stampResource } from '../../trustchain/issuance'
import { decodeLogEntry } from '../../trustchain/log-entry'
import {
  EMPTY_ROOT,
  leafHash,
  treeHash,
  verifyConsistency,
  verifyInclusion,
} from '../../trustchain/merkle'
import { openNote, parseNote, parseVerifierKey, type NoteVerifier } from '../../trustchain/note'
import {
  decodeEntryBundle,
  entriesPath,
  tileHashReader,
  tilePath,
  TILE_WIDTH,
  type TileRef,
} from '../../trustchain/tiles'
import { parseTlogProof, type TlogProof } from '../../trustchain/tlog-proof'

/**
 * DESIGN.md §3 under a crash: the log process (bin/trustchain-log.ts) is `kill -9`ed while 16
 * clients issue certificates, twice, and restarted on the same data each time. Every certificate
 * that got an answer must be in the log at its index, with its tlog-proof still valid and its
 * inclusion provable in the new tree; every checkpoint published before a crash must still be
 * stored, correctly signed and consistent with the new tree; and the log must keep issuing. The
 * same scenario runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL.
 */

const REPO = fileURLToPath(new URL('../../..', import.meta.url))
const ENTRY = join(REPO, 'bin', 'trustchain-log.ts')
/** Concurrent issuing clients. */
const CLIENTS = 32
/** Crash, restart, issue again: the second crash hits a log that was recovered once already. */
const CRASHES = 2
/** Load before the kill. Long enough for many batches, short enough for a 2-core machine. */
const LOAD_MS = 1_750
/** The kill waits for this many issuance requests in flight, so it lands mid-batch. */
const MIN_IN_FLIGHT = CLIENTS / 2
/** Parallel requests while auditing. */
const AUDIT_CONCURRENCY = 16
/** No request may hang the test: a live server answers well within this. */
const REQUEST_TIMEOUT_MS = 15_000
/** What fetch reports when the server died: refused, reset, or closed mid-answer. */
const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
])

interface LogProcess {
  child: ChildProcess
  base: string
  origin: string
  /** Entries in the log when it started listening. */
  size: number
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** An issuance that got a 201: what the client holds and will show to peers. */
interface Answer {
  der: Uint8Array
  serial: string
  logIndex: number
  proof: TlogProof
}

/** Everything the clients saw before the crashes. */
interface Observed {
  answers: Answer[]
  /** Checkpoint notes by tree size, from tlog-proofs and from polling /log/checkpoint. */
  checkpoints: Map<number, string>
  /** Two different notes for one size: the log forked. */
  forks: string[]
}

/** How one round of load ended. */
interface Round {
  answered: number
  /** Issuance requests that the crash cut (no answer: they may or may not be in the log). */
  cutIssuances: number
  /** Issuance requests in flight when the kill was sent. */
  inFlightAtKill: number
  /** Anything but a 201 or a connection error. */
  unexpected: string[]
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function isConnectionError(err: unknown): boolean {
  const code = ((err as { cause?: { code?: unknown } } | null)?.cause?.code ?? '') as string
  return err instanceof TypeError && CONNECTION_ERRORS.has(code)
}

function describeError(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string } }
  return `${e.name ?? 'Error'}: ${e.message ?? String(err)}${e.cause?.code ? ` (${e.cause.code})` : ''}`
}

function b64(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64'))
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b))
}

async function get(url: string): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) }
}

async function getJson<T>(url: string): Promise<T> {
  const r = await get(url)
  if (r.status !== 200) throw new Error(`GET ${url}: HTTP ${r.status} ${r.body.toString()}`)
  return JSON.parse(r.body.toString()) as T
}

async function getText(url: string): Promise<string> {
  const r = await get(url)
  if (r.status !== 200) throw new Error(`GET ${url}: HTTP ${r.status} ${r.body.toString()}`)
  return r.body.toString()
}

async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

/**
 * Start bin/trustchain-log.ts as a direct child (node with tsx's loader, no wrapper process), so
 * a SIGKILL hits the server itself; resolves once it printed its port.
 */
async function startLog(env: Record<string, string>, started: ChildProcess[]): Promise<LogProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  started.push(child)
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const line = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d
      const nl = out.indexOf('\n')
      if (nl >= 0) resolve(out.slice(0, nl))
    })
    void exited.then(({ code, signal }) =>
      reject(new Error(`trustchain-log exited (${code ?? signal}) before listening:\n${stderr}`)),
    )
  })
  const ready = JSON.parse(line) as { port: number; origin: string; size: number }
  return {
    child,
    base: `http://127.0.0.1:${ready.port}`,
    origin: ready.origin,
    size: ready.size,
    exited,
  }
}

/** One issuance as a browser does it: challenge, hashcash stamp, proof of possession, POST. */
async function issue(
  base: string,
  key: PrivateKey,
  beforePost: () => boolean = () => true,
): Promise<{ status: number; text: string } | null> {
  const peerId = peerIdFromPrivateKey(key).toString()
  const challenge = await getJson<{ nonce: string; hashcashBits: number }>(
    `${base}/api/trustchain/challenge`,
  )
  const stamp = mintHashcash({
    resource: stampResource(peerId, challenge.nonce),
    bits: challenge.hashcashBits,
    nowSeconds: Math.floor(Date.now() / 1000),
    maxIterations: 1 << 24,
  })
  if (stamp === null) throw new Error('no hashcash stamp found')
  const signature = await key.sign(popMessage(challenge.nonce, peerId))
  if (!beforePost()) return null
  const res = await fetch(`${base}/api/trustchain/certificates`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      peerId,
      publicKey: Buffer.from(key.publicKey.raw).toString('base64'),
      nonce: challenge.nonce,
      signature: Buffer.from(signature).toString('base64'),
      stamp,
    }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  })
  return { status: res.status, text: await res.text() }
}

function toAnswer(text: string): Answer {
  const body = JSON.parse(text) as {
    certificate: string
    serial: string
    logIndex: number
    proof: string
  }
  return {
    der: parseCertificate(body.certificate).der,
    serial: body.serial,
    logIndex: body.logIndex,
    proof: parseTlogProof(body.proof),
  }
}

function observe(seen: Observed, note: string): void {
  const { size } = parseCheckpoint(parseNote(note).text)
  const known = seen.checkpoints.get(size)
  if (known === undefined) seen.checkpoints.set(size, note)
  else if (known !== note) seen.forks.push(`two checkpoints of size ${size}:\n${known}\n${note}`)
}

/**
 * Run CLIENTS issuing clients and a checkpoint poller against `log`, then `kill -9` it while
 * issuance requests are in flight; resolves once the process is gone and every client stopped.
 */
async function loadAndKill(log: LogProcess, keys: PrivateKey[], seen: Observed): Promise<Round> {
  const round: Round = { answered: 0, cutIssuances: 0, inFlightAtKill: 0, unexpected: [] }
  let stopped = false
  let inFlight = 0
  const unexpected = (what: string): void => {
    if (round.unexpected.length < 20) round.unexpected.push(what)
  }

  const client = async (key: PrivateKey): Promise<void> => {
    while (!stopped) {
      let posting = false
      try {
        const r = await issue(log.base, key, () => {
          // Nothing new starts once the kill is decided: every failure after it was in flight.
          if (stopped) return false
          posting = true
          inFlight++
          return true
        })
        if (r === null) break
        if (r.status !== 201) {
          unexpected(`issue: HTTP ${r.status} ${r.text}`)
          continue
        }
        const answer = toAnswer(r.text)
        seen.answers.push(answer)
        observe(seen, answer.proof.checkpoint)
        round.answered++
      } catch (err) {
        if (!isConnectionError(err)) unexpected(`issue: ${describeError(err)}`)
        else if (posting) round.cutIssuances++
        // A challenge cut by the crash is no issuance: nothing to count.
      } finally {
        if (posting) inFlight--
      }
    }
  }

  const poller = async (): Promise<void> => {
    while (!stopped) {
      try {
        const r = await get(`${log.base}/log/checkpoint`)
        if (r.status === 200) observe(seen, r.body.toString())
        else unexpected(`checkpoint: HTTP ${r.status}`)
      } catch (err) {
        if (!isConnectionError(err)) unexpected(`checkpoint: ${describeError(err)}`)
      }
      await sleep(20)
    }
  }

  const running = [...keys.map(client), poller()]
  await sleep(LOAD_MS)
  const deadline = Date.now() + 10_000
  while (inFlight < MIN_IN_FLIGHT && Date.now() < deadline) await sleep(1)
  round.inFlightAtKill = inFlight
  stopped = true
  log.child.kill('SIGKILL')
  await Promise.all(running)
  const exit = await log.exited
  expect(exit.signal).toBe('SIGKILL')
  return round
}

/**
 * Read the restarted log as an auditor does (tiles, entry bundles, proofs from the API, the log
 * key) and check it against everything `seen`. Returns what is wrong, one line per failed check,
 * and the verified head.
 */
async function audit(
  log: LogProcess,
  seen: Observed,
  verifier: NoteVerifier,
): Promise<{ problems: string[]; head: Checkpoint; headNote: string }> {
  const problems: string[] = []
  const check = async (what: string, fn: () => unknown): Promise<void> => {
    try {
      await fn()
    } catch (err) {
      problems.push(`${what}: ${describeError(err)}`)
    }
  }
  const base = log.base
  const headNote = await getText(`${base}/log/checkpoint`)
  const head = parseCheckpoint(openNote(headNote, [verifier]).text)
  expect(head.origin).toBe(log.origin)
  expect(head.size).toBe(log.size)

  // The tiles rebuild the signed root: the stored hashes are the tree the checkpoint names.
  const fetchTile = async (t: TileRef): Promise<Uint8Array> => {
    const r = await get(`${base}/log/${tilePath(t)}`)
    if (r.status !== 200) throw new Error(`tile ${tilePath(t)}: HTTP ${r.status}`)
    return new Uint8Array(r.body)
  }
  await check('tree hash from tiles', async () => {
    const root = await treeHash(head.size, tileHashReader(head.size, fetchTile))
    if (!same(root, head.rootHash)) throw new Error('differs from the checkpoint root')
  })

  const entries: Uint8Array[] = new Array<Uint8Array>(head.size)
  const bundles = Array.from({ length: Math.ceil(head.size / TILE_WIDTH) }, (_, n) => n)
  await forEachLimit(bundles, AUDIT_CONCURRENCY, async (n) => {
    const width = Math.min(TILE_WIDTH, head.size - n * TILE_WIDTH)
    const r = await get(`${base}/log/${entriesPath(n, width)}`)
    if (r.status !== 200) throw new Error(`entries ${entriesPath(n, width)}: HTTP ${r.status}`)
    decodeEntryBundle(new Uint8Array(r.body), width).forEach(
      (e, i) => (entries[n * TILE_WIDTH + i] = e),
    )
  })

  await forEachLimit(seen.answers, AUDIT_CONCURRENCY, async (a) => {
    const at = `certificate ${a.serial} at ${a.logIndex}`
    const entry = entries[a.logIndex]
    if (a.proof.index !== a.logIndex || entry === undefined) {
      problems.push(`${at}: not in the log of size ${head.size} (proof index ${a.proof.index})`)
      return
    }
    await check(`${at}: entry`, () => {
      const decoded = decodeLogEntry(entry)
      if (decoded.type !== 'certificate' || !same(decoded.der, a.der)) {
        throw new Error('the log holds another entry at this index')
      }
    })
    await check(`${at}: its tlog-proof`, () => {
      const cp = parseCheckpoint(openNote(a.proof.checkpoint, [verifier]).text)
      verifyInclusion(a.logIndex, cp.size, leafHash(entry), a.proof.hashes, cp.rootHash)
    })
    await check(`${at}: inclusion in the new head`, async () => {
      const r = await getJson<{ proof: string[] }>(
        `${base}/api/trustchain/proof?index=${a.logIndex}&size=${head.size}`,
      )
      verifyInclusion(a.logIndex, head.size, leafHash(entry), r.proof.map(b64), head.rootHash)
    })
    await check(`${at}: certificate index`, async () => {
      const r = await getJson<{ certificates: { logIndex: number }[] }>(
        `${base}/api/trustchain/certificates?serial=${a.serial}`,
      )
      if (r.certificates.length !== 1 || r.certificates[0]!.logIndex !== a.logIndex) {
        throw new Error(`lookup by serial gives ${JSON.stringify(r.certificates)}`)
      }
    })
  })

  const published = [...seen.checkpoints].sort(([a], [b]) => a - b)
  await forEachLimit(published, AUDIT_CONCURRENCY, async ([size, note]) => {
    const at = `checkpoint of size ${size}`
    await check(at, async () => {
      const cp = parseCheckpoint(openNote(note, [verifier]).text)
      if (cp.origin !== head.origin) throw new Error(`origin ${cp.origin}`)
      if (size > head.size) throw new Error(`is past the new head (size ${head.size})`)
      // The log still holds exactly the checkpoint it published for this size.
      const kept = await getJson<{ checkpoint: string | null }>(
        `${base}/api/trustchain/consistency?from=${size}&to=${size}`,
      )
      if (kept.checkpoint !== note) throw new Error(`stored as ${String(kept.checkpoint)}`)
      if (size === 0) {
        if (!same(cp.rootHash, EMPTY_ROOT)) throw new Error('is not the empty tree')
        return
      }
      const r = await getJson<{ proof: string[] }>(
        `${base}/api/trustchain/consistency?from=${size}&to=${head.size}`,
      )
      verifyConsistency(size, head.size, r.proof.map(b64), cp.rootHash, head.rootHash)
    })
  })
  return { problems, head, headNote }
}

function crashTest(
  name: string,
  setup: () => Promise<{ env: Record<string, string>; teardown: () => Promise<void> }>,
): void {
  describe(`TrustChain log killed during issuance (${name})`, () => {
    it('keeps every answered certificate with valid proofs, stays consistent with every published checkpoint, and issues again', async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'trustchain-crash-'))
      const started: ChildProcess[] = []
      const { env: storeEnv, teardown } = await setup()
      try {
        const env = {
          ...storeEnv,
          DATA_DIR: dataDir,
          HOST: '127.0.0.1',
          PORT: '0',
          HASHCASH_BITS: '4',
          ISSUE_RATE_PER_MINUTE: '10000000',
          ISSUE_BURST: '10000000',
          LOG_ORIGIN: '',
        }
        const keys = await Promise.all(
          Array.from({ length: CLIENTS }, () => generateKeyPair('Ed25519')),
        )
        const seen: Observed = { answers: [], checkpoints: new Map(), forks: [] }

        let log = await startLog(env, started)
        const logKey = await getText(`${log.base}/api/trustchain/log-key`)
        const origin = log.origin
        const rounds: Round[] = []
        for (let crash = 0; crash < CRASHES; crash++) {
          rounds.push(await loadAndKill(log, keys, seen))
          log = await startLog(env, started)
        }
        // The crash really hit a loaded log: answers before it, requests cut by it, nothing else.
        for (const round of rounds) {
          expect(round.unexpected).toEqual([])
          expect(round.answered).toBeGreaterThan(0)
          expect(round.inFlightAtKill).toBeGreaterThan(0)
          expect(round.cutIssuances).toBeGreaterThan(0)
        }
        expect(seen.forks).toEqual([])
        expect(new Set(seen.answers.map((a) => a.logIndex)).size).toBe(seen.answers.length)

        // Same log, same key after the restarts.
        expect(log.origin).toBe(origin)
        expect(await getText(`${log.base}/api/trustchain/log-key`)).toBe(logKey)
        const verifier = parseVerifierKey(logKey.trim())
        const { problems, head, headNote } = await audit(log, seen, verifier)
        expect(problems).toEqual([])

        // The recovered log issues again, right after its recovered head, consistently with it.
        const more = await Promise.all(
          Array.from({ length: 4 }, async () => {
            const r = await issue(log.base, await generateKeyPair('Ed25519'))
            expect(r?.status).toBe(201)
            return toAnswer(r!.text)
          }),
        )
        expect(more.map((a) => a.logIndex).sort((a, b) => a - b)).toEqual(
          [0, 1, 2, 3].map((k) => head.size + k),
        )
        // Their proofs, and the recovered head, check out against the grown log.
        const after: Observed = {
          answers: more,
          checkpoints: new Map([[head.size, headNote]]),
          forks: [],
        }
        for (const a of more) observe(after, a.proof.checkpoint)
        const grown = await audit({ ...log, size: head.size + more.length }, after, verifier)
        expect(after.forks).toEqual([])
        expect(grown.problems).toEqual([])

        // A clean stop after all that.
        log.child.kill('SIGTERM')
        expect(await log.exited).toEqual({ code: 0, signal: null })

        const cut = rounds.reduce((n, r) => n + r.cutIssuances, 0)
        console.log(
          `TrustChain crash test (${name}): ${CRASHES} kills, ${seen.answers.length} answered ` +
            `certificates all in the log, ${cut} issuances cut, ${seen.checkpoints.size} ` +
            `checkpoints consistent with the recovered head of size ${head.size}.`,
        )
      } finally {
        for (const child of started) {
          if (child.exitCode !== null || child.signalCode !== null) continue
          const gone = once(child, 'exit')
          child.kill('SIGKILL')
          await gone
        }
        await rm(dataDir, { recursive: true, force: true })
        await teardown()
      }
    }, 90_000)
  })
}

crashTest('SQLite', async () => ({
  env: { DATABASE_URL: '', DATABASE_SCHEMA: '' },
  teardown: async () => undefined,
}))

const databaseUrl = process.env.TEST_DATABASE_URL

if (databaseUrl === undefined || databaseUrl === '') {
  console.log('TrustChain crash test on PostgreSQL not run: set TEST_DATABASE_URL to run it.')
} else {
  crashTest('PostgreSQL', async () => {
    // A schema of its own, dropped afterwards; the killed server's sessions are gone by then.
    const schema = `trustchain_crash_${randomBytes(8).toString('hex')}`
    return {
      env: { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema },
      teardown: async () => {
        const client = new pg.Client({ connectionString: databaseUrl })
        await client.connect()
        try {
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
        } finally {
          await client.end()
        }
      },
    }
  })
}
