import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { TrustchainError, type SerializedTrustchainError } from './errors'
import {
  decodeHello,
  decodeVerdict,
  encodeHello,
  encodeVerdict,
  MAX_HANDSHAKE_MESSAGE_BYTES,
  TRUSTCHAIN_PROTOCOL,
  type Hello,
  type Verdict,
} from './handshake-codec'

/** How a guarded connection stands. */
export type GuardState = 'pending' | 'verified' | 'refused' | 'refused-by-peer'

/** The handshake's outcome on one connection. */
export interface ConnectionVerdict {
  connectionId: string
  peerId: string
  state: GuardState
  /** Why we refused the peer, or why it refused us. */
  reason: SerializedTrustchainError | null
  /** Log index of the peer's certificate, once verified. */
  logIndex: number | null
}

/** The ports of a {@link TrustchainGuard}. */
export interface TrustchainGuardComponents {
  libp2p: Libp2p
  /** This node's hello; waits until the node has a certificate. */
  localHello(options: { signal: AbortSignal }): Promise<Hello>
  /**
   * Check a peer's hello for the connection's remote peer: resolves with the certificate's log
   * index, or throws a TrustchainError naming the failed check.
   */
  verify(
    peerId: string,
    hello: Hello,
    options: { signal: AbortSignal },
  ): Promise<{ logIndex: number }>
  /** Which connections must pass the handshake (e.g. direct WebRTC links, not the relay). */
  guards(connection: Connection): boolean
}

/** Options of a {@link TrustchainGuard}. */
export interface TrustchainGuardInit {
  /** A guarded connection without a finished handshake after this long is closed. Default 20 000 ms. */
  timeoutMs?: number
  /** Time the refusing side leaves for its verdict to arrive before it closes. Default 500 ms. */
  closeDelayMs?: number
}

/** Closed refusals kept for the user to see. */
const MAX_REFUSALS = 20

/** The handshake did not finish in time, or the stream failed. */
export class HandshakeFailedError extends TrustchainError {
  override readonly name = 'HandshakeFailedError'
  readonly code = 'ERR_HANDSHAKE_FAILED'
}

/**
 * The bidirectional zero-trust handshake of DESIGN.md §3 on every guarded connection: the side
 * that dialled opens `/hypermesh/trustchain/1`, both send their certificate, its tlog-proof and
 * the newest checkpoint they know, both check the other's and send a verdict. A peer that fails is
 * disconnected, and both sides keep the reason (it is shown to the user). Emits `change`.
 */
export class TrustchainGuard extends EventTarget {
  readonly #c: TrustchainGuardComponents
  readonly #timeoutMs: number
  readonly #closeDelayMs: number
  readonly #verdicts = new Map<string, ConnectionVerdict>()
  readonly #onOpen = (evt: CustomEvent<Connection>): void => this.#opened(evt.detail)
  /** Refusals of connections that have closed since, newest last (the user sees why). */
  readonly #refusals: (ConnectionVerdict & { at: number })[] = []
  readonly #onClose = (evt: CustomEvent<Connection>): void => {
    const v = this.#verdicts.get(evt.detail.id)
    if (v === undefined) return
    this.#verdicts.delete(evt.detail.id)
    if (v.state === 'refused' || v.state === 'refused-by-peer') {
      this.#refusals.push({ ...v, at: Date.now() })
      if (this.#refusals.length > MAX_REFUSALS) this.#refusals.shift()
    }
    this.#changed()
  }

  constructor(init: TrustchainGuardInit, components: TrustchainGuardComponents) {
    super()
    this.#c = components
    this.#timeoutMs = init.timeoutMs ?? 20_000
    this.#closeDelayMs = init.closeDelayMs ?? 500
  }

  /** Register the protocol and watch new connections (and those already open). */
  async start(): Promise<void> {
    await this.#c.libp2p.handle(
      TRUSTCHAIN_PROTOCOL,
      (stream, connection) => {
        void this.#respond(stream, connection)
      },
      { maxInboundStreams: 2, runOnLimitedConnection: false },
    )
    this.#c.libp2p.addEventListener('connection:open', this.#onOpen)
    this.#c.libp2p.addEventListener('connection:close', this.#onClose)
    for (const connection of this.#c.libp2p.getConnections()) this.#opened(connection)
  }

  /** Stop watching; verdicts are forgotten. */
  async stop(): Promise<void> {
    this.#c.libp2p.removeEventListener('connection:open', this.#onOpen)
    this.#c.libp2p.removeEventListener('connection:close', this.#onClose)
    await this.#c.libp2p.unhandle(TRUSTCHAIN_PROTOCOL).catch(() => undefined)
    this.#verdicts.clear()
  }

  /** Verdicts of the open guarded connections. */
  verdicts(): ConnectionVerdict[] {
    return [...this.#verdicts.values()]
  }

  /** The last refusals (ours or the peer's) of connections that have closed since. */
  refusals(): (ConnectionVerdict & { at: number })[] {
    return [...this.#refusals]
  }

  /** The verdict of one connection, if it is guarded. */
  verdictOf(connectionId: string): ConnectionVerdict | undefined {
    return this.#verdicts.get(connectionId)
  }

  #opened(connection: Connection): void {
    if (!this.#c.guards(connection) || this.#verdicts.has(connection.id)) return
    this.#verdicts.set(connection.id, {
      connectionId: connection.id,
      peerId: connection.remotePeer.toString(),
      state: 'pending',
      reason: null,
      logIndex: null,
    })
    this.#changed()
    setTimeout(() => {
      if (this.#verdicts.get(connection.id)?.state === 'pending') {
        this.#settle(connection, {
          state: 'refused',
          reason: new HandshakeFailedError(
            `No TrustChain handshake within ${this.#timeoutMs / 1000} s.`,
          ).toJSON(),
          logIndex: null,
        })
      }
    }, this.#timeoutMs)
    if (connection.direction === 'outbound') void this.#initiate(connection)
  }

  async #initiate(connection: Connection): Promise<void> {
    const signal = AbortSignal.timeout(this.#timeoutMs)
    try {
      const stream = await connection.newStream(TRUSTCHAIN_PROTOCOL, { signal })
      const lp = lpStream(stream, { maxDataLength: MAX_HANDSHAKE_MESSAGE_BYTES })
      await lp.write(encodeHello(await this.#c.localHello({ signal })), { signal })
      const remote = (await lp.read({ signal })).subarray()
      await this.#conclude(connection, stream, lp, remote, signal)
    } catch (err) {
      this.#failed(connection, err)
    }
  }

  async #respond(stream: Stream, connection: Connection): Promise<void> {
    const signal = AbortSignal.timeout(this.#timeoutMs)
    if (!this.#verdicts.has(connection.id)) this.#opened(connection)
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_HANDSHAKE_MESSAGE_BYTES })
      const remote = (await lp.read({ signal })).subarray()
      await lp.write(encodeHello(await this.#c.localHello({ signal })), { signal })
      await this.#conclude(connection, stream, lp, remote, signal)
    } catch (err) {
      this.#failed(connection, err)
    }
  }

  /** Check the peer's hello, exchange verdicts, settle the connection. */
  async #conclude(
    connection: Connection,
    stream: Stream,
    lp: ReturnType<typeof lpStream>,
    remoteHello: Uint8Array,
    signal: AbortSignal,
  ): Promise<void> {
    let mine: Verdict
    let logIndex: number | null = null
    try {
      const hello = decodeHello(remoteHello)
      logIndex = (await this.#c.verify(connection.remotePeer.toString(), hello, { signal }))
        .logIndex
      mine = { ok: true }
    } catch (err) {
      const known = asTrustchainError(err)
      if (known === null) throw err
      mine = { ok: false, error: known }
    }
    await lp.write(encodeVerdict(mine), { signal })
    const theirs = decodeVerdict((await lp.read({ signal })).subarray())
    await stream.close({ signal }).catch(() => undefined)
    if (!mine.ok) this.#settle(connection, { state: 'refused', reason: mine.error, logIndex: null })
    else if (!theirs.ok) {
      this.#settle(connection, { state: 'refused-by-peer', reason: theirs.error, logIndex })
    } else this.#settle(connection, { state: 'verified', reason: null, logIndex })
  }

  #failed(connection: Connection, err: unknown): void {
    if (this.#verdicts.get(connection.id)?.state !== 'pending') return
    const reason =
      asTrustchainError(err) ??
      new HandshakeFailedError(
        `The TrustChain handshake failed: ${err instanceof Error ? err.message : String(err)}`,
      ).toJSON()
    this.#settle(connection, { state: 'refused', reason, logIndex: null })
  }

  #settle(
    connection: Connection,
    v: Pick<ConnectionVerdict, 'state' | 'reason' | 'logIndex'>,
  ): void {
    const known = this.#verdicts.get(connection.id)
    if (known === undefined || known.state !== 'pending') return
    this.#verdicts.set(connection.id, { ...known, ...v })
    this.#changed()
    if (v.state !== 'verified') {
      setTimeout(() => {
        void connection.close().catch(() => connection.abort(new HandshakeFailedError('refused')))
      }, this.#closeDelayMs)
    }
  }

  #changed(): void {
    this.dispatchEvent(new Event('change'))
  }
}

/**
 * The serialised form of a TrustChain error, or null for any other error. Matched by shape, not
 * `instanceof`: the checks may run in another bundle (the tab loads them as a chunk of their own)
 * with its own copy of the error classes.
 */
function asTrustchainError(err: unknown): SerializedTrustchainError | null {
  if (err instanceof TrustchainError) return err.toJSON()
  const e = err as {
    name?: unknown
    code?: unknown
    message?: unknown
    check?: unknown
    toJSON?: unknown
  }
  if (
    err instanceof Error &&
    typeof e.code === 'string' &&
    e.code.startsWith('ERR_') &&
    typeof e.toJSON === 'function'
  ) {
    return {
      name: String(e.name),
      code: e.code,
      message: String(e.message),
      ...(typeof e.check === 'string'
        ? { check: e.check as SerializedTrustchainError['check'] & string }
        : {}),
    }
  }
  return null
}
