import type { Libp2p, PeerId, Stream } from '@libp2p/interface'

/** Throughput probe protocol, registered only on nodes started in bench mode (no byte limit). */
export const PERF_PROTOCOL = '/hypermesh/perf/1'

/**
 * Goodput probe protocol of every node: the same exchange as {@link PERF_PROTOCOL}, but a stream
 * may carry at most {@link GOODPUT_PROBE_MAX_BYTES}, one at a time, over direct links only. The
 * assets runtime measures its links' goodput with it (lib/client/assets-runtime.ts).
 */
export const GOODPUT_PROTOCOL = '/hypermesh/goodput/1'

/** Most bytes one goodput probe may send; a stream that sends more is aborted. */
export const GOODPUT_PROBE_MAX_BYTES = 2 ** 20

/**
 * Payload per write: a libp2p WebRTC message is at most 16 KiB on the wire (DESIGN.md §8), and its
 * protobuf framing takes 7 of those bytes (@libp2p/webrtc PROTOBUF_OVERHEAD: 2-byte length, 2-byte
 * flag field, 1-byte tag, 2-byte payload length). A full 16 KiB write would go out as two messages,
 * 16 377 bytes and 7 bytes, doubling the per-message cost.
 */
export const PERF_CHUNK_BYTES = 16 * 1024 - 7

/** Options of {@link handlePerf}. */
export interface PerfHandlerOptions {
  /** Default {@link PERF_PROTOCOL}. */
  protocol?: string
  /** Bytes a stream may carry before it is aborted; default unlimited. */
  maxBytes?: number
  /** Streams served at once; default 4. */
  maxInboundStreams?: number
}

/**
 * Answer perf probes: count every byte until the remote closes its write side, then reply with
 * the count as 8 bytes (big-endian) so the sender's clock stops only when all bytes arrived.
 * A stream that sends more than `maxBytes` is aborted without a reply.
 */
export async function handlePerf(libp2p: Libp2p, options: PerfHandlerOptions = {}): Promise<void> {
  const maxBytes = options.maxBytes ?? Infinity
  await libp2p.handle(
    options.protocol ?? PERF_PROTOCOL,
    (stream: Stream) => {
      let received = 0
      stream.addEventListener('message', (evt) => {
        received += evt.data.byteLength
        if (received > maxBytes) {
          stream.abort(new Error(`perf: more than ${maxBytes} bytes in one probe`))
        }
      })
      stream.addEventListener('remoteCloseWrite', () => {
        const reply = new Uint8Array(8)
        new DataView(reply.buffer).setBigUint64(0, BigInt(received))
        stream.send(reply)
        void stream.close().catch(() => undefined)
      })
    },
    { maxInboundStreams: options.maxInboundStreams ?? 4, runOnLimitedConnection: false },
  )
}

/**
 * Send `bytes` to `peer` over one libp2p stream, honouring backpressure (`send()` false →
 * `onDrain()`), and return the goodput in Mbit/s measured until the receiver confirmed the count.
 */
export async function measureStream(
  libp2p: Libp2p,
  peer: PeerId,
  bytes: number,
  options: { signal?: AbortSignal; protocol?: string } = {},
): Promise<{ bytes: number; ms: number; mbps: number }> {
  const stream = await libp2p.dialProtocol(peer, options.protocol ?? PERF_PROTOCOL, {
    signal: options.signal,
  })
  const chunk = new Uint8Array(PERF_CHUNK_BYTES)
  crypto.getRandomValues(chunk)
  const confirmed = new Promise<number>((resolve, reject) => {
    const parts: Uint8Array[] = []
    stream.addEventListener('message', (evt) => {
      parts.push(evt.data.subarray())
      const total = parts.reduce((n, p) => n + p.byteLength, 0)
      if (total >= 8) {
        const all = new Uint8Array(total)
        let o = 0
        for (const p of parts) {
          all.set(p, o)
          o += p.byteLength
        }
        resolve(Number(new DataView(all.buffer).getBigUint64(0)))
      }
    })
    stream.addEventListener('close', () => reject(new Error('perf stream closed before the count')))
  })
  const start = performance.now()
  let sent = 0
  while (sent < bytes) {
    const n = Math.min(PERF_CHUNK_BYTES, bytes - sent)
    const ok = stream.send(n === PERF_CHUNK_BYTES ? chunk : chunk.subarray(0, n))
    sent += n
    if (!ok) await stream.onDrain(options)
  }
  await stream.close(options)
  const count = await confirmed
  const ms = performance.now() - start
  if (count !== bytes) throw new Error(`perf: receiver counted ${count} of ${bytes} bytes`)
  return { bytes, ms, mbps: (bytes * 8) / 1e6 / (ms / 1000) }
}
