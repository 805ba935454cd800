/**
 * The bench echo protocol (the raw baseline of `npm run bench -- assets`) between two real libp2p
 * nodes in Node.js: WebSockets on loopback, Noise, yamux.
 */
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { webSockets } from '@libp2p/websockets'
import type { Libp2p } from '@libp2p/interface'
import { createLibp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  BENCH_ECHO_MAX_FRAME_BYTES,
  BENCH_ECHO_PROTOCOL,
  benchEchoClient,
  benchEchoRequest,
  handleBenchEcho,
  type BenchEchoClient,
} from './bench-echo'

async function startNode(): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0/ws'] },
    transports: [webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // Loopback addresses are private; the default gater would refuse to dial them.
    connectionGater: { denyDialMultiaddr: () => false },
  })
}

describe('bench echo over real libp2p', () => {
  let alice: Libp2p
  let bob: Libp2p
  let client: BenchEchoClient

  beforeAll(async () => {
    ;[alice, bob] = await Promise.all([startNode(), startNode()])
    await handleBenchEcho(bob)
    await alice.dial(bob.getMultiaddrs()[0]!)
    client = benchEchoClient(alice)
  })

  afterAll(async () => {
    client.stop()
    await Promise.all([alice.stop(), bob.stop()])
  })

  it('answers each request with a frame of the size it asked for, on one stream', async () => {
    // The sizes of remote memory frames: a small read, a small write, 1 MiB each way.
    const cases: [number, number][] = [
      [300, 74],
      [364, 10],
      [300, 10 + 1024 * 1024],
      [300 + 1024 * 1024, 10],
      [8, 4],
    ]
    for (let round = 0; round < 2; round++) {
      for (const [requestBytes, answerBytes] of cases) {
        const answer = await client.request(bob.peerId, benchEchoRequest(requestBytes, answerBytes))
        expect(answer.length).toBe(answerBytes)
        expect(new DataView(answer.buffer, answer.byteOffset).getUint32(0)).toBe(answerBytes - 4)
        expect(answer.subarray(4).every((b) => b === 0)).toBe(true)
      }
    }
    const streams = alice
      .getConnections(bob.peerId)
      .flatMap((c) => c.streams)
      .filter((s) => s.protocol === BENCH_ECHO_PROTOCOL && s.status === 'open')
    expect(streams).toHaveLength(1)
  })

  it('refuses frames outside the protocol’s limits before sending anything', () => {
    expect(() => benchEchoRequest(7, 10)).toThrow(RangeError)
    expect(() => benchEchoRequest(BENCH_ECHO_MAX_FRAME_BYTES + 1, 10)).toThrow(RangeError)
    expect(() => benchEchoRequest(8, 3)).toThrow(RangeError)
    expect(() => benchEchoRequest(8, BENCH_ECHO_MAX_FRAME_BYTES + 1)).toThrow(RangeError)
  })

  it('resets a stream that announces a frame over the limit', async () => {
    const stream = await alice.dialProtocol(bob.peerId, BENCH_ECHO_PROTOCOL)
    const closed = new Promise<void>((resolve) =>
      stream.addEventListener('close', () => resolve(), { once: true }),
    )
    const head = new Uint8Array(8)
    new DataView(head.buffer).setUint32(0, BENCH_ECHO_MAX_FRAME_BYTES)
    stream.send(head)
    await closed
    expect(stream.status).not.toBe('open')
    // The client's own stream is unaffected.
    const answer = await client.request(bob.peerId, benchEchoRequest(8, 16))
    expect(answer.length).toBe(16)
  })
})
