import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import { RttProbeError } from './errors'

/**
 * Round-trip time over one long-lived stream per direct link. libp2p's ping opens a new stream
 * for every ping, and on WebRTC a stream is a data channel: creating and closing one per ping per
 * link was a quarter of an idle tab's CPU (docs/performance.md). Here each node opens one stream
 * per link and sends a small probe on it every period; the other side echoes it back.
 */
export const RTT_PROTOCOL = '/hypermesh/rtt/1'

/** A probe: a 4-byte big-endian sequence number and 4 bytes of padding. */
export const RTT_PROBE_BYTES = 8

/** Unanswered echoes a responder lets build up before it resets the stream. */
const MAX_ECHO_BACKLOG_BYTES = 64 * RTT_PROBE_BYTES

/**
 * Echo every byte of inbound RTT streams. A prober has one probe in flight at a time, so an echo
 * that cannot be sent (the peer is not reading) means abuse or a dead link: the stream is reset.
 */
export async function handleRtt(libp2p: Libp2p): Promise<void> {
  await libp2p.handle(
    RTT_PROTOCOL,
    (stream: Stream) => {
      let backlog = 0
      stream.addEventListener('message', (evt) => {
        backlog += evt.data.byteLength
        if (backlog > MAX_ECHO_BACKLOG_BYTES) {
          stream.abort(new RttProbeError('echo backlog exceeded'))
          return
        }
        if (stream.send(evt.data)) backlog = 0
        else
          void stream.onDrain().then(
            () => (backlog = 0),
            () => undefined,
          )
      })
      stream.addEventListener('remoteCloseWrite', () => void stream.close().catch(() => undefined))
    },
    // One stream per link and direction is what a well-behaved peer opens; a few more tolerate a
    // stream being replaced after a timeout.
    { maxInboundStreams: 4, runOnLimitedConnection: false },
  )
}

interface Probe {
  seq: number
  sentAt: number
  resolve: (ms: number) => void
  reject: (err: Error) => void
  timer: ReturnType<typeof setTimeout>
}

interface Link {
  stream: Promise<Stream>
  received: Uint8ArrayList
  probe: Probe | null
}

/**
 * Measures RTT on direct connections, one stream each, opened on first use and replaced when it
 * fails. Each {@link probe} sends one probe and resolves with the time until its echo.
 */
export class RttProber {
  readonly #links = new Map<string, Link>()
  readonly #now: () => number
  #seq = 0

  constructor(now: () => number = () => performance.now()) {
    this.#now = now
  }

  /**
   * One round trip on `connection`, in ms.
   *
   * @throws {RttProbeError} no echo within `timeoutMs`, the stream closed, or a probe is already
   *   in flight on this connection
   */
  async probe(connection: Connection, timeoutMs = 5_000): Promise<number> {
    const link = this.#link(connection)
    if (link.probe !== null) throw new RttProbeError('a probe is already in flight')
    const stream = await link.stream
    const seq = (this.#seq = (this.#seq + 1) >>> 0)
    const bytes = new Uint8Array(RTT_PROBE_BYTES)
    new DataView(bytes.buffer).setUint32(0, seq)
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#drop(connection.id, new RttProbeError(`no echo within ${timeoutMs} ms`))
      }, timeoutMs)
      link.probe = { seq, sentAt: this.#now(), resolve, reject, timer }
      stream.send(bytes)
    })
  }

  /** Forget a connection (it closed); a pending probe fails. */
  forget(connectionId: string): void {
    this.#drop(connectionId, new RttProbeError('connection closed'))
  }

  #link(connection: Connection): Link {
    const known = this.#links.get(connection.id)
    if (known !== undefined) return known
    const link: Link = {
      stream: connection.newStream(RTT_PROTOCOL, { signal: AbortSignal.timeout(10_000) }),
      received: new Uint8ArrayList(),
      probe: null,
    }
    this.#links.set(connection.id, link)
    link.stream.then(
      (stream) => {
        stream.addEventListener('message', (evt) => this.#onData(link, evt.data))
        stream.addEventListener('close', () => {
          if (this.#links.get(connection.id) === link) {
            this.#drop(connection.id, new RttProbeError('stream closed'))
          }
        })
      },
      () => {
        if (this.#links.get(connection.id) === link) this.#links.delete(connection.id)
      },
    )
    return link
  }

  #onData(link: Link, data: Uint8Array | Uint8ArrayList): void {
    link.received.append(data)
    while (link.received.byteLength >= RTT_PROBE_BYTES) {
      const seq = link.received.getUint32(0)
      link.received.consume(RTT_PROBE_BYTES)
      const probe = link.probe
      // An echo of an earlier, timed-out probe is ignored: only the one in flight counts.
      if (probe === null || probe.seq !== seq) continue
      link.probe = null
      clearTimeout(probe.timer)
      probe.resolve(this.#now() - probe.sentAt)
    }
  }

  #drop(connectionId: string, err: Error): void {
    const link = this.#links.get(connectionId)
    if (link === undefined) return
    this.#links.delete(connectionId)
    if (link.probe !== null) {
      clearTimeout(link.probe.timer)
      link.probe.reject(err)
      link.probe = null
    }
    void link.stream.then(
      (s) => s.abort(err),
      () => undefined,
    )
  }
}
