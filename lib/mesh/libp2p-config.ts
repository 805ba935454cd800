import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { ping } from '@libp2p/ping'
import { webRTC } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { webTransport } from '@libp2p/webtransport'
import { createLibp2p } from 'libp2p'
import { systemClock } from '../ports'
import type { BootstrapAnswer } from './bootstrap-answer'
import { MESH_GOSSIP_DEGREE, MESH_GOSSIP_SCORE_PARAMS } from './constants'
import { MeshNode, type MeshNodeInit, type MeshServices } from './node'

/** Options for {@link createMeshLibp2p}. */
export interface MeshLibp2pInit {
  privateKey: PrivateKey
  /** `browser` adds the WebTransport dialer, which exists only in browsers. */
  platform: 'browser' | 'node'
  /**
   * ICE servers for new RTCPeerConnections, read at each connection so that the list the
   * bootstrap server hands out later applies. Default: none (host candidates only).
   */
  iceServers?: () => string[]
}

/**
 * The libp2p node of a tab or headless node: WebRTC (direct links), WebSockets (to the relay),
 * circuit-relay (signalling, and a listening address through the relay), WebTransport (dial only,
 * browsers), Noise, yamux, identify, ping and gossipsub.
 */
export async function createMeshLibp2p(init: MeshLibp2pInit): Promise<Libp2p<MeshServices>> {
  const transports = [
    webRTC({
      rtcConfiguration: () => ({
        iceServers: (init.iceServers?.() ?? []).map((urls) => ({ urls })),
      }),
    }),
    webSockets(),
    circuitRelayTransport(),
    ...(init.platform === 'browser' ? [webTransport()] : []),
  ]
  const node = await createLibp2p({
    privateKey: init.privateKey,
    start: false,
    addresses: { listen: ['/p2p-circuit', '/webrtc'] },
    transports,
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // Tabs on one LAN or one machine must be able to reach each other's private addresses.
    connectionGater: { denyDialMultiaddr: () => false },
    connectionManager: {
      maxConnections: 64,
      inboundConnectionThreshold: 100,
      // libp2p's defaults (10 s per dial, 6 s per address, 10 s inbound upgrade) are sized for
      // servers. A tab on a busy phone or a loaded laptop can need longer for one WebRTC
      // handshake, and a dial aborted at 6 s is restarted from scratch: all its CPU is wasted.
      dialTimeout: 30_000,
      addressDialTimeout: 20_000,
      inboundUpgradeTimeout: 20_000,
    },
    services: {
      // Not over relayed links: between two nodes they only carry the WebRTC signalling of a dial
      // and close once the direct link is up (which runs identify itself). On a busy machine the
      // exchange (addresses, a signed peer record each way, peer-store writes) sat in the middle of
      // every dial, on both sides. The relay server's own link is a WebSocket, not limited.
      identify: identify({ runOnLimitedConnection: false }),
      ping: ping(),
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        // IDONTWANT (gossipsub 1.2) pays off for large messages; for ~1 KB heartbeats the notice
        // costs as much as the duplicate it prevents, and profiling showed it among the top costs
        // of an idle tab. Heartbeats are ≤ 4 KiB, so this turns it off for them.
        idontwantMinDataSize: 8 * 1024,
        scoreParams: MESH_GOSSIP_SCORE_PARAMS,
        ...MESH_GOSSIP_DEGREE,
        floodPublish: false,
      }),
    },
  })
  return node as unknown as Libp2p<MeshServices>
}

/** Options for {@link createMeshNode}: the node's options plus what to build its libp2p from. */
export interface CreateMeshNodeInit extends MeshNodeInit, MeshLibp2pInit {
  privateKey: PrivateKey
  /** Ask the bootstrap server (GET /api/bootstrap) on behalf of `peerId`, parsed and checked. */
  fetchBootstrap(peerId: string, options?: { signal?: AbortSignal }): Promise<BootstrapAnswer>
}

/**
 * Build and start the libp2p node of a tab or headless node and wrap it in a {@link MeshNode}
 * (not yet started), wiring the ICE servers of each bootstrap answer into new RTCPeerConnections.
 */
export async function createMeshNode(init: CreateMeshNodeInit): Promise<MeshNode> {
  const { privateKey, platform, fetchBootstrap, ...nodeInit } = init
  let iceServers: string[] = []
  const libp2p = await createMeshLibp2p({ privateKey, platform, iceServers: () => iceServers })
  await libp2p.start()
  const peerId = libp2p.peerId.toString()
  return new MeshNode(nodeInit, {
    libp2p,
    privateKey,
    clock: systemClock,
    random: { next: () => Math.random() },
    async fetchBootstrap(options) {
      const answer = await fetchBootstrap(peerId, options)
      iceServers = answer.iceServers
      return answer
    },
  })
}
