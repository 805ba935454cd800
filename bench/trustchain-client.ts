/**
 * Load generator of the TrustChain bench (bench/trustchain.ts), run in a worker thread so that the
 * clients' work lands on the other core and not on the server's event loop.
 *
 * Everything that is the client's job and not the server's is paid here or up front: Ed25519 keys
 * and peer IDs are made once at start; per request the client only signs the challenge with
 * node:crypto (~20 µs), mints a hashcash stamp at the bench's difficulty (one SHA-256 at 0 bits)
 * and builds the JSON body. The same client work is done against the bare route, so the ratio
 * issuance ÷ bare compares only what the server does.
 *
 * Protocol: `workerData` is a {@link ClientInit}; the worker answers `{ type: 'ready' }`, then
 * each {@link ClientCommand} with one {@link ClientAnswer} of the same `id`.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { Agent, request } from 'node:http'
import { parentPort, workerData } from 'node:worker_threads'
import { performance } from 'node:perf_hooks'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { mintHashcash } from '../lib/trustchain/hashcash'
import { popMessage, stampResource } from '../lib/trustchain/issuance'

/** What the worker is started with. */
export interface ClientInit {
  /** `http://127.0.0.1:<port>` of the server under test. */
  baseUrl: string
  /** Most sockets kept open to the server (one per concurrent client). */
  maxSockets: number
  /** Identities to cycle through: each request uses the next one. */
  keys: number
}

/** Which route a load phase drives. */
export type LoadTarget = 'issue' | 'bare'

/** A closed loop: `concurrency` clients each repeat one round trip until `seconds` are over. */
export interface ClosedLoopCommand {
  id: number
  kind: 'closed'
  target: LoadTarget
  concurrency: number
  seconds: number
}

/** An open loop: round trips started at `rate` per second for `seconds`, whatever the answers. */
export interface OpenLoopCommand {
  id: number
  kind: 'open'
  target: LoadTarget
  rate: number
  seconds: number
}

export type ClientCommand = ClosedLoopCommand | OpenLoopCommand

/** A command before the thread wrapper numbers it. */
export type ClientRequest = Omit<ClosedLoopCommand, 'id'> | Omit<OpenLoopCommand, 'id'>

/**
 * What one load phase measured. Latencies are of successful round trips only, in ms; the arrays
 * are index-aligned (one element per success).
 */
export interface LoadResult {
  target: LoadTarget
  kind: 'closed' | 'open'
  /** Length of the measuring window, ms: no round trip starts after it. */
  windowMs: number
  /** From the first start to the last answer (stragglers included), ms. */
  elapsedMs: number
  /** Round trips started. */
  started: number
  /** Round trips that ended with 201 (issue) or 200 (bare) to the second request. */
  ok: number
  /** Of those, the ones whose answer came within the window. */
  okInWindow: number
  /** Failed round trips by cause (`challenge 429`, `post 500`, `network ECONNRESET`, …). */
  errors: Record<string, number>
  /** First request (challenge, or GET /bare), ms. */
  firstMs: Float64Array
  /** Second request (POST), ms. */
  secondMs: Float64Array
  /** Whole round trip, including the client's signing and stamping between the two requests. */
  totalMs: Float64Array
  /** When each success was answered, ms after the phase started (for per-second rates). */
  doneAtMs: Float64Array
  /** Log index of each issued certificate (issue only; empty for bare). */
  logIndexes: Float64Array
  /** Tree size of the checkpoint each issued certificate was proved against (issue only). */
  treeSizes: Float64Array
  /** Open loop only: how late each round trip started against its schedule, ms. */
  lateMs: Float64Array
  /** A sample of error answers (first few), for the report. */
  errorSamples: string[]
}

/** The worker's answers. */
export type ClientAnswer =
  | { type: 'ready'; keys: number; setupMs: number }
  | { type: 'result'; id: number; result: LoadResult }
  | { type: 'failed'; id: number; message: string }

interface Identity {
  peerId: string
  publicKeyB64: string
  privateKey: KeyObject
}

interface Reply {
  status: number
  body: string
}

class HttpFailure extends Error {
  override readonly name = 'HttpFailure'
  constructor(
    readonly step: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${step} ${status}`)
  }
}

const REQUEST_TIMEOUT_MS = 30_000

function makeIdentities(n: number): Identity[] {
  const out: Identity[] = []
  for (let i = 0; i < n; i++) {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519')
    const jwk = publicKey.export({ format: 'jwk' })
    const raw = new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url'))
    out.push({
      peerId: peerIdFromPublicKey(publicKeyFromRaw(raw)).toString(),
      publicKeyB64: Buffer.from(raw).toString('base64'),
      privateKey,
    })
  }
  return out
}

class LoadClient {
  readonly #host: string
  readonly #port: number
  readonly #agent: Agent
  readonly #ids: Identity[]
  #next = 0

  constructor(init: ClientInit, ids: Identity[]) {
    const url = new URL(init.baseUrl)
    this.#host = url.hostname
    this.#port = Number(url.port)
    // Keep-alive: a browser reuses its connection too, and a TCP handshake per request would
    // measure the kernel rather than the server.
    this.#agent = new Agent({ keepAlive: true, maxSockets: init.maxSockets })
    this.#ids = ids
  }

  #send(method: 'GET' | 'POST', path: string, body?: string): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      const headers: Record<string, string | number> =
        body === undefined
          ? {}
          : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
      const req = request(
        {
          agent: this.#agent,
          host: this.#host,
          port: this.#port,
          method,
          path,
          headers,
          timeout: REQUEST_TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          )
          res.on('error', reject)
        },
      )
      req.on('timeout', () => req.destroy(new Error('ETIMEDOUT')))
      req.on('error', reject)
      req.end(body)
    })
  }

  /**
   * One round trip: GET the challenge (or /bare), sign and stamp it as a node would, POST the
   * request. Returns the two request times and what the answer says about the log.
   */
  async roundTrip(
    target: LoadTarget,
  ): Promise<{ first: number; second: number; logIndex: number; treeSize: number }> {
    const t0 = performance.now()
    const ch = await this.#send('GET', target === 'issue' ? '/api/trustchain/challenge' : '/bare')
    const t1 = performance.now()
    if (ch.status !== 200) throw new HttpFailure('challenge', ch.status, ch.body)
    const { nonce, hashcashBits } = JSON.parse(ch.body) as { nonce: string; hashcashBits: number }
    const id = this.#ids[this.#next++ % this.#ids.length]!
    const stamp = mintStamp(id.peerId, nonce, hashcashBits)
    const body = JSON.stringify({
      peerId: id.peerId,
      publicKey: id.publicKeyB64,
      nonce,
      signature: sign(null, popMessage(nonce, id.peerId), id.privateKey).toString('base64'),
      stamp,
    })
    const t2 = performance.now()
    const res = await this.#send(
      'POST',
      target === 'issue' ? '/api/trustchain/certificates' : '/bare',
      body,
    )
    const t3 = performance.now()
    const want = target === 'issue' ? 201 : 200
    if (res.status !== want) throw new HttpFailure('post', res.status, res.body)
    if (target === 'bare') return { first: t1 - t0, second: t3 - t2, logIndex: -1, treeSize: -1 }
    const answer = JSON.parse(res.body) as { logIndex?: unknown; proof?: unknown }
    if (typeof answer.logIndex !== 'number' || typeof answer.proof !== 'string') {
      throw new HttpFailure('post', res.status, 'answer without logIndex or proof')
    }
    // The proof ends with the signed checkpoint: origin line, then the tree size.
    const checkpoint = answer.proof.slice(answer.proof.indexOf('\n\n') + 2)
    const treeSize = Number(checkpoint.split('\n', 2)[1])
    return { first: t1 - t0, second: t3 - t2, logIndex: answer.logIndex, treeSize }
  }

  close(): void {
    this.#agent.destroy()
  }
}

function mintStamp(peerId: string, nonce: string, bits: number): string {
  const nowSeconds = Math.floor(Date.now() / 1000)
  const resource = stampResource(peerId, nonce)
  for (let start = 0; ; start += 1 << 16) {
    const stamp = mintHashcash({ resource, bits, nowSeconds, startNonce: start })
    if (stamp !== null) return stamp
  }
}

/** Collects the outcome of every round trip of one phase. */
class Recorder {
  readonly first: number[] = []
  readonly second: number[] = []
  readonly total: number[] = []
  readonly doneAt: number[] = []
  readonly logIndexes: number[] = []
  readonly treeSizes: number[] = []
  readonly late: number[] = []
  readonly errors: Record<string, number> = {}
  readonly errorSamples: string[] = []
  started = 0

  constructor(
    readonly t0: number,
    readonly windowMs: number,
  ) {}

  async one(client: LoadClient, target: LoadTarget): Promise<void> {
    this.started++
    const start = performance.now()
    try {
      const r = await client.roundTrip(target)
      const end = performance.now()
      this.first.push(r.first)
      this.second.push(r.second)
      this.total.push(end - start)
      this.doneAt.push(end - this.t0)
      if (target === 'issue') {
        this.logIndexes.push(r.logIndex)
        this.treeSizes.push(r.treeSize)
      }
    } catch (err) {
      const key =
        err instanceof HttpFailure
          ? `${err.step} ${err.status}`
          : `network ${(err as { code?: string }).code ?? (err as Error).message}`
      this.errors[key] = (this.errors[key] ?? 0) + 1
      if (this.errorSamples.length < 5) {
        this.errorSamples.push(
          err instanceof HttpFailure ? `${key}: ${err.body.slice(0, 200)}` : `${key}`,
        )
      }
    }
  }

  result(target: LoadTarget, kind: 'closed' | 'open'): LoadResult {
    const elapsed = performance.now() - this.t0
    return {
      target,
      kind,
      windowMs: this.windowMs,
      elapsedMs: elapsed,
      started: this.started,
      ok: this.total.length,
      okInWindow: this.doneAt.filter((t) => t <= this.windowMs).length,
      errors: this.errors,
      firstMs: Float64Array.from(this.first),
      secondMs: Float64Array.from(this.second),
      totalMs: Float64Array.from(this.total),
      doneAtMs: Float64Array.from(this.doneAt),
      logIndexes: Float64Array.from(this.logIndexes),
      treeSizes: Float64Array.from(this.treeSizes),
      lateMs: Float64Array.from(this.late),
      errorSamples: this.errorSamples,
    }
  }
}

async function closedLoop(client: LoadClient, cmd: ClosedLoopCommand): Promise<LoadResult> {
  const t0 = performance.now()
  const rec = new Recorder(t0, cmd.seconds * 1000)
  const deadline = t0 + cmd.seconds * 1000
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) await rec.one(client, cmd.target)
  }
  await Promise.all(Array.from({ length: cmd.concurrency }, loop))
  return rec.result(cmd.target, 'closed')
}

async function openLoop(client: LoadClient, cmd: OpenLoopCommand): Promise<LoadResult> {
  const t0 = performance.now()
  const rec = new Recorder(t0, cmd.seconds * 1000)
  const n = Math.round(cmd.rate * cmd.seconds)
  const pending: Promise<void>[] = []
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / cmd.rate
    const wait = due - performance.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    rec.late.push(Math.max(0, performance.now() - due))
    // Open loop: the next start never waits for this answer.
    pending.push(rec.one(client, cmd.target))
  }
  await Promise.all(pending)
  return rec.result(cmd.target, 'open')
}

function main(): void {
  const port = parentPort
  if (port === null) throw new Error('bench/trustchain-client.ts must run in a worker thread')
  const init = workerData as ClientInit
  const t = performance.now()
  const client = new LoadClient(init, makeIdentities(init.keys))
  const send = (a: ClientAnswer): void => port.postMessage(a)
  send({ type: 'ready', keys: init.keys, setupMs: performance.now() - t })
  port.on('message', (cmd: ClientCommand | { kind: 'close' }) => {
    if (cmd.kind === 'close') {
      client.close()
      port.close()
      return
    }
    const run = cmd.kind === 'closed' ? closedLoop(client, cmd) : openLoop(client, cmd)
    run.then(
      (result) => send({ type: 'result', id: cmd.id, result }),
      (err: unknown) => send({ type: 'failed', id: cmd.id, message: String(err) }),
    )
  })
}

main()
