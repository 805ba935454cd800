import { parseCertificate } from './certificate'
import type { Checkpoint } from './checkpoint'
import { TrustchainError } from './errors'
import type { Hello } from './handshake-codec'
import { mintHashcash } from './hashcash'
import { popMessage, stampResource } from './issuance'
import { decodeBase64, encodeBase64, parseVerifierKey } from './note'
import { parseTlogProof } from './tlog-proof'
import { checkConsistency, openCheckpoint, verifyBundle, type TrustAnchors } from './verify'

/** A certificate this node holds, as persisted. */
export interface HeldCertificate {
  pem: string
  /** c2sp.org/tlog-proof text. */
  proof: string
  serial: string
  logIndex: number
  notBefore: number
  notAfter: number
}

/** Where the client keeps its certificate and the newest checkpoint across reloads. */
export interface TrustchainPersistence {
  load(): Promise<{ certificate?: HeldCertificate; checkpoint?: string }>
  saveCertificate(c: HeldCertificate): Promise<void>
  saveCheckpoint(note: string): Promise<void>
}

/** Persistence that keeps nothing: a headless or throwaway client starts from the server each time. */
export const NO_PERSISTENCE: TrustchainPersistence = {
  load: () => Promise.resolve({}),
  saveCertificate: () => Promise.resolve(),
  saveCheckpoint: () => Promise.resolve(),
}

/** The ports of a {@link TrustchainClient}. */
export interface TrustchainClientComponents {
  /** `fetch` against the HyperMesh server (paths are absolute: `/api/trustchain/...`). */
  fetch(path: string, init?: RequestInit): Promise<Response>
  /** This node's peer ID and identity key. */
  peerId: string
  publicKey: Uint8Array
  sign(data: Uint8Array): Promise<Uint8Array> | Uint8Array
  now(): number
  persistence: TrustchainPersistence
  /** Yield to the event loop between hashcash slices (a page must stay responsive). */
  yieldNow?: () => Promise<void>
}

/** Options of a {@link TrustchainClient}. */
export interface TrustchainClientInit {
  /** Renew once this share of the lifetime has passed. Default 2/3. */
  renewAt?: number
  /** How often the revocation list is refreshed, ms. Default 30 000. */
  revocationPollMs?: number
}

/** The server refused or failed a TrustChain request. */
export class TrustchainRequestError extends TrustchainError {
  override readonly name = 'TrustchainRequestError'
  readonly code: string
  constructor(
    message: string,
    code: string,
    readonly status: number,
  ) {
    super(message)
    this.code = code
  }
}

const HASHCASH_SLICE = 2_000
/** Wait between two attempts to get a certificate while a handshake waits for one. */
const HELLO_RETRY_MS = 1_000

/**
 * A node's TrustChain client: gets and renews its certificate (challenge, hashcash stamp, proof
 * of possession), checks it like any peer would, keeps the newest log checkpoint it has seen
 * (persisted: a log that forks is caught even across reloads), follows revocations, and builds
 * and checks handshake hellos for {@link TrustchainGuard}.
 */
export class TrustchainClient extends EventTarget {
  readonly #c: TrustchainClientComponents
  readonly #init: Required<TrustchainClientInit>
  #anchors: Promise<TrustAnchors> | null = null
  #certificate: HeldCertificate | null = null
  #known: { checkpoint: Checkpoint; note: string } | null = null
  #revoked = new Set<string>()
  #revocationsAfter = -1
  #revocationsAt = 0
  #ready: Promise<HeldCertificate> | null = null
  #renewTimer: ReturnType<typeof setTimeout> | null = null
  #stopped = false
  /** Why the last attempt to get a certificate failed, for the UI. */
  problem: string | null = null

  constructor(init: TrustchainClientInit, components: TrustchainClientComponents) {
    super()
    this.#c = components
    this.#init = { renewAt: 2 / 3, revocationPollMs: 30_000, ...init }
  }

  /** The certificate this node holds, or null before the first one. */
  certificate(): HeldCertificate | null {
    return this.#certificate
  }

  /** The newest checkpoint this node has seen. */
  newestCheckpoint(): Checkpoint | null {
    return this.#known?.checkpoint ?? null
  }

  /** Trust anchors from the server (root certificate, log name and key), fetched once. */
  anchors(): Promise<TrustAnchors> {
    this.#anchors ??= this.#fetchAnchors().catch((err: unknown) => {
      this.#anchors = null
      throw err
    })
    return this.#anchors
  }

  /** Load what was persisted, then get a certificate if there is none fresh enough; schedules renewal. */
  start(): Promise<HeldCertificate> {
    this.#stopped = false
    this.#ready ??= this.#startOnce().catch((err: unknown) => {
      this.#ready = null
      this.problem = err instanceof Error ? err.message : String(err)
      this.#changed()
      throw err
    })
    return this.#ready
  }

  /** Stop renewing. */
  stop(): void {
    this.#stopped = true
    if (this.#renewTimer !== null) clearTimeout(this.#renewTimer)
  }

  /** This node's hello; waits for the certificate. */
  async hello(options: { signal?: AbortSignal } = {}): Promise<Hello> {
    // While the server cannot be reached (it restarts, the network is down) keep trying until
    // the caller gives up: not having a certificate yet is no reason to fail a peer at once.
    let held: HeldCertificate
    for (;;) {
      try {
        held = await raceSignal(this.start(), options.signal)
        break
      } catch (err) {
        if (options.signal?.aborted === true || options.signal === undefined) throw err
        await raceSignal(sleep(HELLO_RETRY_MS), options.signal)
      }
    }
    const der = parseCertificate(held.pem).der
    return {
      certificate: der,
      proof: held.proof,
      checkpoint: this.#known?.note ?? parseTlogProof(held.proof).checkpoint,
    }
  }

  /**
   * Check a peer's hello for the connection's remote `peerId` (docs/trustchain.md): its bundle,
   * then the checkpoint it gossips; remembers a newer consistent checkpoint.
   */
  async verifyHello(peerId: string, hello: Hello): Promise<{ logIndex: number }> {
    const anchors = await this.anchors()
    await this.#refreshRevocations()
    const verified = await verifyBundle(
      { certificate: hello.certificate, proof: hello.proof },
      anchors,
      {
        now: this.#c.now(),
        expectedPeerId: peerId,
        isRevoked: (serial) => this.#revoked.has(serial),
        known: this.#known?.checkpoint ?? null,
        consistency: (a, b) => this.#consistency(a, b),
      },
    )
    await this.#remember(verified.newest)
    // The checkpoint the peer gossips must be of the same log too: a split view shows here.
    const gossiped = openCheckpoint(hello.checkpoint, anchors)
    await this.#remember(
      await checkConsistency(gossiped, hello.checkpoint, {
        known: this.#known?.checkpoint ?? null,
        consistency: (a, b) => this.#consistency(a, b),
      }),
    )
    return { logIndex: verified.logIndex }
  }

  async #startOnce(): Promise<HeldCertificate> {
    const stored = await this.#c.persistence.load()
    const anchors = await this.anchors()
    if (stored.checkpoint !== undefined) {
      try {
        this.#known = {
          checkpoint: openCheckpoint(stored.checkpoint, anchors),
          note: stored.checkpoint,
        }
      } catch {
        // A checkpoint of another log (the server was reset): start over from the server's.
        this.#known = null
      }
    }
    const held = stored.certificate
    if (held !== undefined && this.#fresh(held)) {
      try {
        await this.#check(held, anchors)
        return this.#adopt(held)
      } catch {
        // Not valid any more (another root, revoked, expired): get a new one.
      }
    }
    return this.#adopt(await this.#obtain(anchors))
  }

  #fresh(c: HeldCertificate): boolean {
    return this.#c.now() < c.notBefore + (c.notAfter - c.notBefore) * this.#init.renewAt
  }

  async #adopt(held: HeldCertificate): Promise<HeldCertificate> {
    this.#certificate = held
    this.problem = null
    this.#changed()
    if (this.#renewTimer !== null) clearTimeout(this.#renewTimer)
    const renewIn =
      held.notBefore + (held.notAfter - held.notBefore) * this.#init.renewAt - this.#c.now()
    this.#renewTimer = setTimeout(
      () => void this.#renew(),
      Math.max(1_000, Math.min(renewIn, 2 ** 31 - 1)),
    )
    return held
  }

  async #renew(): Promise<void> {
    if (this.#stopped) return
    try {
      const anchors = await this.anchors()
      await this.#adopt(await this.#obtain(anchors))
    } catch (err) {
      this.problem = `Renewing the certificate failed: ${err instanceof Error ? err.message : String(err)}`
      this.#changed()
      this.#renewTimer = setTimeout(() => void this.#renew(), 30_000)
    }
  }

  /** Challenge → stamp → proof of possession → certificate, checked like a peer would. */
  async #obtain(anchors: TrustAnchors): Promise<HeldCertificate> {
    const challenge = (await this.#json('/api/trustchain/challenge')) as {
      nonce: string
      hashcashBits: number
    }
    const resource = stampResource(this.#c.peerId, challenge.nonce)
    let stamp: string | null = null
    for (let start = 0; stamp === null; start += HASHCASH_SLICE) {
      stamp = mintHashcash({
        resource,
        bits: challenge.hashcashBits,
        nowSeconds: Math.floor(this.#c.now() / 1000),
        startNonce: start,
        maxIterations: HASHCASH_SLICE,
      })
      if (stamp === null) await (this.#c.yieldNow?.() ?? Promise.resolve())
    }
    const signature = await this.#c.sign(popMessage(challenge.nonce, this.#c.peerId))
    const answer = (await this.#json('/api/trustchain/certificates', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        peerId: this.#c.peerId,
        publicKey: encodeBase64(this.#c.publicKey),
        nonce: challenge.nonce,
        signature: encodeBase64(signature),
        stamp,
      }),
    })) as {
      certificate: string
      proof: string
      serial: string
      logIndex: number
      notBefore: number
      notAfter: number
    }
    const held: HeldCertificate = {
      pem: answer.certificate,
      proof: answer.proof,
      serial: answer.serial,
      logIndex: answer.logIndex,
      notBefore: answer.notBefore,
      notAfter: answer.notAfter,
    }
    await this.#check(held, anchors)
    await this.#c.persistence.saveCertificate(held).catch(() => undefined)
    return held
  }

  /** Check our own certificate as a peer would, and remember its checkpoint. */
  async #check(held: HeldCertificate, anchors: TrustAnchors): Promise<void> {
    await this.#refreshRevocations()
    const verified = await verifyBundle({ certificate: held.pem, proof: held.proof }, anchors, {
      now: this.#c.now(),
      expectedPeerId: this.#c.peerId,
      isRevoked: (serial) => this.#revoked.has(serial),
      known: this.#known?.checkpoint ?? null,
      consistency: (a, b) => this.#consistency(a, b),
    })
    await this.#remember(verified.newest)
  }

  async #remember(newest: { checkpoint: Checkpoint; note: string | null }): Promise<void> {
    if (newest.note === null) return
    if (this.#known !== null && newest.checkpoint.size <= this.#known.checkpoint.size) return
    this.#known = { checkpoint: newest.checkpoint, note: newest.note }
    this.#changed()
    await this.#c.persistence.saveCheckpoint(newest.note).catch(() => undefined)
  }

  async #refreshRevocations(): Promise<void> {
    if (this.#c.now() - this.#revocationsAt < this.#init.revocationPollMs) return
    this.#revocationsAt = this.#c.now()
    for (;;) {
      const page = (await this.#json(
        `/api/trustchain/revocations?after=${this.#revocationsAfter}&limit=1000`,
      )) as { revocations: { serialHex: string; logIndex: number }[] }
      for (const r of page.revocations) {
        this.#revoked.add(r.serialHex)
        this.#revocationsAfter = Math.max(this.#revocationsAfter, r.logIndex)
      }
      if (page.revocations.length < 1000) break
    }
  }

  async #consistency(size1: number, size2: number): Promise<Uint8Array[]> {
    const r = (await this.#json(`/api/trustchain/consistency?from=${size1}&to=${size2}`)) as {
      proof: string[]
    }
    return r.proof.map((h) => {
      const bytes = decodeBase64(h)
      if (bytes === undefined) {
        throw new TrustchainRequestError(
          'The log answered a malformed consistency proof.',
          'ERR_HTTP',
          200,
        )
      }
      return bytes
    })
  }

  async #fetchAnchors(): Promise<TrustAnchors> {
    const s = (await this.#json('/api/trustchain/status')) as {
      origin: string
      logKey: string
      rootCertificate: string
    }
    return {
      root: parseCertificate(s.rootCertificate),
      origin: s.origin,
      logVerifier: parseVerifierKey(s.logKey),
    }
  }

  async #json(path: string, init?: RequestInit): Promise<unknown> {
    const res = await this.#c.fetch(path, init)
    const body = (await res.json().catch(() => null)) as {
      error?: { code?: string; message?: string }
    } | null
    if (!res.ok) {
      throw new TrustchainRequestError(
        body?.error?.message ?? `${path} answered ${res.status}`,
        body?.error?.code ?? 'ERR_HTTP',
        res.status,
      )
    }
    return body
  }

  #changed(): void {
    this.dispatchEvent(new Event('change'))
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function raceSignal<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal === undefined) return p
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error)
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
