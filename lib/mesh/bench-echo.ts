import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'

/**
 * A raw request/response protocol for `npm run bench -- assets`, registered only on pages opened
 * with `?bench` (lib/client/bench-api.ts): the baseline that remote memory (`/hypermesh/memory/1`,
 * lib/adapters/libp2p-remote-memory.ts) is compared with in the same run.
 *
 * It does what any framed request/response over one long-lived libp2p stream must do, and nothing
 * else: one request at a time per stream, each frame a 4-byte big-endian length of the rest, the
 * receiver gathers a frame into one contiguous buffer before it acts on it (as the remote memory
 * server and client do), and the server allocates each answer. No decoding beyond the length
 * fields, no capability, no memory behind it. The bench sends frames of exactly the sizes the
 * remote memory frames have, so that the same bytes cross the link.
 *
 * Request frame: 4 length of the rest (≥ 4), 4 length of the answer frame wanted (prefix
 * included, 4 … {@link BENCH_ECHO_MAX_FRAME_BYTES}), then any bytes (ignored).
 * Answer frame: 4 length of the rest, then zeros.
 */
export const BENCH_ECHO_PROTOCOL = '/hypermesh/bench-echo/1'

/** Bytes of the length prefix of every frame. */
export const BENCH_ECHO_PREFIX_BYTES = 4

/** Smallest request frame: the prefix and the answer length. */
export const BENCH_ECHO_MIN_REQUEST_BYTES = 8

/**
 * Largest frame either way, prefix included: above the largest remote memory frame (1 MiB of
 * payload, a 4 KiB token and the headers), so every frame the bench mirrors fits.
 */
export const BENCH_ECHO_MAX_FRAME_BYTES = 2 * 1024 * 1024

/** A frame or stream that does not follow the bench echo protocol. */
export class BenchEchoError extends Error {
  override readonly name = 'BenchEchoError'

  /** @param code - `FRAME_TOO_LARGE`, `MALFORMED_FRAME` or `STREAM_CLOSED` */
  constructor(
    readonly code: 'FRAME_TOO_LARGE' | 'MALFORMED_FRAME' | 'STREAM_CLOSED',
    message: string,
  ) {
    super(message)
  }
}

/**
 * The length of the frame that starts `buffer`, prefix included, or `null` while fewer than 4
 * bytes arrived.
 *
 * @throws {BenchEchoError} `FRAME_TOO_LARGE` above {@link BENCH_ECHO_MAX_FRAME_BYTES}
 */
function frameLength(buffer: Uint8ArrayList): number | null {
  if (buffer.byteLength < BENCH_ECHO_PREFIX_BYTES) return null
  const total = BENCH_ECHO_PREFIX_BYTES + buffer.getUint32(0)
  if (total > BENCH_ECHO_MAX_FRAME_BYTES) {
    throw new BenchEchoError('FRAME_TOO_LARGE', `a ${total}-byte frame is over the limit`)
  }
  return total
}

/**
 * A request frame of `requestBytes` bytes (prefix included) asking for an answer frame of
 * `answerBytes` bytes.
 *
 * @throws {RangeError} for sizes outside the protocol's limits
 */
export function benchEchoRequest(requestBytes: number, answerBytes: number): Uint8Array {
  if (
    !Number.isInteger(requestBytes) ||
    requestBytes < BENCH_ECHO_MIN_REQUEST_BYTES ||
    requestBytes > BENCH_ECHO_MAX_FRAME_BYTES
  ) {
    throw new RangeError(
      `benchEchoRequest: requestBytes must be an integer in ${BENCH_ECHO_MIN_REQUEST_BYTES}…${BENCH_ECHO_MAX_FRAME_BYTES}`,
    )
  }
  if (
    !Number.isInteger(answerBytes) ||
    answerBytes < BENCH_ECHO_PREFIX_BYTES ||
    answerBytes > BENCH_ECHO_MAX_FRAME_BYTES
  ) {
    throw new RangeError(
      `benchEchoRequest: answerBytes must be an integer in ${BENCH_ECHO_PREFIX_BYTES}…${BENCH_ECHO_MAX_FRAME_BYTES}`,
    )
  }
  const frame = new Uint8Array(requestBytes)
  const view = new DataView(frame.buffer)
  view.setUint32(0, requestBytes - BENCH_ECHO_PREFIX_BYTES)
  view.setUint32(4, answerBytes)
  return frame
}

/**
 * Answer bench echo requests on `libp2p`. Each inbound stream is served one frame at a time; while
 * an answer waits for the transport to drain, reading pauses. A malformed or oversized frame
 * resets the stream.
 */
export async function handleBenchEcho(libp2p: Libp2p): Promise<void> {
  await libp2p.handle(BENCH_ECHO_PROTOCOL, (stream: Stream) => serveEcho(stream), {
    maxInboundStreams: 4,
    runOnLimitedConnection: false,
  })
}

function serveEcho(stream: Stream): void {
  const buffer = new Uint8ArrayList()
  let frameBytes: number | null = null
  let draining = false

  const pump = (): void => {
    while (!draining) {
      try {
        frameBytes ??= frameLength(buffer)
      } catch (err) {
        stream.abort(err as Error)
        return
      }
      if (frameBytes === null || buffer.byteLength < frameBytes) return
      if (frameBytes < BENCH_ECHO_MIN_REQUEST_BYTES) {
        stream.abort(new BenchEchoError('MALFORMED_FRAME', 'a request is at least 8 bytes'))
        return
      }
      // One contiguous frame, as the remote memory server gathers it.
      const frame = buffer.subarray(0, frameBytes)
      buffer.consume(frameBytes)
      frameBytes = null
      const want = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(4)
      if (want < BENCH_ECHO_PREFIX_BYTES || want > BENCH_ECHO_MAX_FRAME_BYTES) {
        stream.abort(new BenchEchoError('MALFORMED_FRAME', `an answer of ${want} bytes`))
        return
      }
      const answer = new Uint8Array(want)
      new DataView(answer.buffer).setUint32(0, want - BENCH_ECHO_PREFIX_BYTES)
      if (!stream.send(answer)) {
        draining = true
        if (stream.readStatus === 'readable') stream.pause()
        stream.onDrain().then(
          () => {
            draining = false
            if (stream.readStatus === 'paused') stream.resume()
            pump()
          },
          () => undefined,
        )
      }
    }
  }

  stream.addEventListener('message', (evt) => {
    buffer.append(evt.data)
    // A client waits for each answer: more than two frames' worth unread is not one.
    if (buffer.byteLength > 2 * BENCH_ECHO_MAX_FRAME_BYTES) {
      stream.abort(new BenchEchoError('FRAME_TOO_LARGE', 'requests sent without waiting'))
      return
    }
    pump()
  })
  stream.addEventListener('remoteCloseWrite', () => void stream.close().catch(() => undefined))
}

/** A bench echo client; see {@link benchEchoClient}. */
export interface BenchEchoClient {
  /**
   * Send one request frame (from {@link benchEchoRequest}) to `peer` and resolve with the answer
   * frame, prefix included. Calls must not overlap: the bench awaits each one.
   */
  request(peer: PeerId, frame: Uint8Array, options?: { signal?: AbortSignal }): Promise<Uint8Array>
  /** Reset every open stream. */
  stop(): void
}

interface EchoSession {
  stream: Stream
  buffer: Uint8ArrayList
  frameBytes: number | null
  waiter: { resolve(frame: Uint8Array): void; reject(err: Error): void } | null
  dead: boolean
}

/**
 * A bench echo client over `libp2p`: one stream per peer, opened on first use and kept, one
 * request at a time. Deliberately bare (no queue, no per-request timer): the baseline.
 */
export function benchEchoClient(libp2p: Libp2p): BenchEchoClient {
  const sessions = new Map<string, EchoSession>()

  const kill = (s: EchoSession, err: Error): void => {
    if (s.dead) return
    s.dead = true
    s.waiter?.reject(err)
    s.waiter = null
    s.stream.abort(err)
  }

  const onData = (s: EchoSession, data: Uint8Array | Uint8ArrayList): void => {
    s.buffer.append(data)
    for (;;) {
      try {
        s.frameBytes ??= frameLength(s.buffer)
      } catch (err) {
        kill(s, err as Error)
        return
      }
      if (s.frameBytes === null || s.buffer.byteLength < s.frameBytes) return
      const frame = s.buffer.subarray(0, s.frameBytes)
      s.buffer.consume(s.frameBytes)
      s.frameBytes = null
      const waiter = s.waiter
      s.waiter = null
      if (waiter === null) {
        kill(s, new BenchEchoError('MALFORMED_FRAME', 'an answer to no request'))
        return
      }
      waiter.resolve(frame)
    }
  }

  const open = async (peer: PeerId, signal?: AbortSignal): Promise<EchoSession> => {
    const key = peer.toString()
    const known = sessions.get(key)
    if (known !== undefined && !known.dead) return known
    const stream = await libp2p.dialProtocol(peer, BENCH_ECHO_PROTOCOL, {
      signal,
      runOnLimitedConnection: false,
    })
    const s: EchoSession = {
      stream,
      buffer: new Uint8ArrayList(),
      frameBytes: null,
      waiter: null,
      dead: false,
    }
    stream.addEventListener('message', (evt) => onData(s, evt.data))
    stream.addEventListener('close', () =>
      kill(s, new BenchEchoError('STREAM_CLOSED', 'the echo stream closed')),
    )
    sessions.set(key, s)
    return s
  }

  return {
    async request(peer, frame, options = {}) {
      const s = await open(peer, options.signal)
      const answer = new Promise<Uint8Array>((resolve, reject) => {
        s.waiter = { resolve, reject }
      })
      if (!s.stream.send(frame)) await s.stream.onDrain(options)
      return answer
    },
    stop() {
      for (const s of sessions.values()) kill(s, new BenchEchoError('STREAM_CLOSED', 'stopped'))
      sessions.clear()
    },
  }
}
