/**
 * The perf and goodput probes between two real libp2p nodes in Node.js (WebSockets on loopback,
 * Noise, yamux): the receiver's count stops the sender's clock, and a goodput probe larger than
 * its cap is aborted instead of answered.
 */
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { webSockets } from '@libp2p/websockets'
import type { Libp2p } from '@libp2p/interface'
import { createLibp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  GOODPUT_PROBE_MAX_BYTES,
  GOODPUT_PROTOCOL,
  PERF_CHUNK_BYTES,
  handlePerf,
  measureStream,
} from './perf'

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

describe('perf probes over real libp2p', () => {
  let sender: Libp2p
  let receiver: Libp2p

  beforeAll(async () => {
    ;[sender, receiver] = await Promise.all([startNode(), startNode()])
    await handlePerf(receiver)
    await handlePerf(receiver, {
      protocol: GOODPUT_PROTOCOL,
      maxBytes: GOODPUT_PROBE_MAX_BYTES,
      maxInboundStreams: 1,
    })
    await sender.dial(receiver.getMultiaddrs()[0]!)
  })

  afterAll(async () => {
    await Promise.all([sender?.stop(), receiver?.stop()])
  })

  it('counts every byte of an unlimited perf stream, partial last chunk included', async () => {
    const bytes = 3 * PERF_CHUNK_BYTES + 123
    const r = await measureStream(sender, receiver.peerId, bytes)
    expect(r.bytes).toBe(bytes)
    expect(r.ms).toBeGreaterThan(0)
    expect(r.mbps).toBeCloseTo((bytes * 8) / 1e6 / (r.ms / 1000), 6)
  })

  it('answers a goodput probe of exactly its cap', async () => {
    const r = await measureStream(sender, receiver.peerId, GOODPUT_PROBE_MAX_BYTES, {
      protocol: GOODPUT_PROTOCOL,
    })
    expect(r.bytes).toBe(GOODPUT_PROBE_MAX_BYTES)
  })

  it('aborts a goodput probe over its cap without a count', async () => {
    await expect(
      measureStream(sender, receiver.peerId, GOODPUT_PROBE_MAX_BYTES + PERF_CHUNK_BYTES, {
        protocol: GOODPUT_PROTOCOL,
      }),
    ).rejects.toThrow()
    // The receiver still serves the next, well-formed probe.
    const r = await measureStream(sender, receiver.peerId, PERF_CHUNK_BYTES, {
      protocol: GOODPUT_PROTOCOL,
    })
    expect(r.bytes).toBe(PERF_CHUNK_BYTES)
  })
})
