import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayServer, type CircuitRelayService } from '@libp2p/circuit-relay-v2'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { webSockets } from '@libp2p/websockets'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import { join } from 'node:path'
import { isIP } from 'node:net'
import type { ServerConfig } from './config'
import { loadOrCreateKey } from './key-file'
import type { BootstrapAnswer } from '@/lib/mesh/bootstrap-answer'
import { HEARTBEAT_TOPIC } from '@/lib/mesh/constants'

/** What /api/bootstrap hands a node: the relay, recently reserved peers, ICE servers. */
export type BootstrapInfo = BootstrapAnswer

/** Health of the bootstrap node, for /api/health. */
export interface BootstrapHealth {
  status: 'ok' | 'stopped'
  peerId: string
  listen: string[]
  connections: number
  reservations: number
  uptimeS: number
}

/**
 * The thin bootstrap node of DESIGN.md §2: a WebSockets listener with circuit-relay-v2 (signalling
 * only: the default data and time limits stay, because payload goes over direct WebRTC), identify,
 * ping and gossipsub so that a fresh tab has a first gossip peer. It never holds user keys.
 */
export class BootstrapNode {
  readonly #config: ServerConfig
  #node: Libp2p<{ relay: CircuitRelayService }> | null = null
  #startedAt = 0

  constructor(config: ServerConfig) {
    this.#config = config
  }

  /** Start the libp2p node; its key persists in DATA_DIR so the peer ID survives restarts. */
  async start(): Promise<void> {
    const privateKey = await loadOrCreateKey(join(this.#config.dataDir, 'bootstrap.key'))
    const node = await createLibp2p({
      privateKey,
      addresses: { listen: [`/ip4/0.0.0.0/tcp/${this.#config.relayPort}/ws`] },
      transports: [webSockets()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionManager: {
        maxConnections: this.#config.maxReservations * 2 + 64,
        // Many tabs share one address (a LAN, one browser): the per-host inbound rate limit of
        // libp2p (5/s) would turn away a page full of tabs opening at once.
        inboundConnectionThreshold: 1000,
        maxIncomingPendingConnections: 256,
      },
      services: {
        identify: identify(),
        ping: ping(),
        relay: circuitRelayServer({
          reservations: { maxReservations: this.#config.maxReservations },
        }),
        pubsub: gossipsub({
          allowPublishToZeroTopicPeers: true,
          // The relay is every tab's first gossip peer, so it must forward heartbeats to tabs that
          // are not yet in its mesh; it validates nothing itself beyond gossipsub's own signature.
          floodPublish: true,
        }),
      },
    })
    node.services.pubsub.subscribe(HEARTBEAT_TOPIC)
    this.#node = node as unknown as Libp2p<{ relay: CircuitRelayService }>
    this.#startedAt = Date.now()
  }

  /** Stop the node and close every connection. */
  async stop(): Promise<void> {
    const node = this.#node
    this.#node = null
    await node?.stop()
  }

  /** The running libp2p node, or throws when stopped. */
  get node(): Libp2p<{ relay: CircuitRelayService }> {
    if (this.#node === null) throw new Error('BootstrapNode: not started')
    return this.#node
  }

  /**
   * Relay addresses as seen from a client that reached the site at `hostname`: the WebSockets port
   * on that same host, unless RELAY_ANNOUNCE lists public addresses.
   */
  relayAddrsFor(hostname: string): Multiaddr[] {
    const node = this.node
    const id = node.peerId.toString()
    if (this.#config.relayAnnounce.length > 0) {
      return this.#config.relayAnnounce.map((a) =>
        multiaddr(a.includes('/p2p/') ? a : `${a}/p2p/${id}`),
      )
    }
    const host = hostname.replace(/^\[|\]$/g, '')
    const proto = isIP(host) === 4 ? 'ip4' : isIP(host) === 6 ? 'ip6' : 'dns'
    // The port actually bound (RELAY_PORT=0 picks a free one, as tests do).
    const tcp = node
      .getMultiaddrs()
      .flatMap((a) => a.getComponents())
      .find((c) => c.name === 'tcp')
    const port = tcp?.value ?? String(this.#config.relayPort)
    return [multiaddr(`/${proto}/${host}/tcp/${port}/ws/p2p/${id}`)]
  }

  /** The bootstrap answer for a client at `hostname`, newest reservations first. */
  bootstrapInfo(hostname: string, exclude?: string): BootstrapInfo {
    const node = this.node
    const relayAddrs = this.relayAddrsFor(hostname)
    const reservations = [...node.services.relay.reservations.entries()]
      // A reservation outlives its holder's connection (it expires by time); hand out only peers
      // that are connected right now, or a newcomer spends its first dials on closed tabs.
      .filter(([peer]) => peer.toString() !== exclude && node.getConnections(peer).length > 0)
      .sort((a, b) => b[1].expiry.getTime() - a[1].expiry.getTime())
      .slice(0, this.#config.bootstrapPeers)
    return {
      iceServers: this.#config.iceServers,
      relayPeerId: node.peerId.toString(),
      relayAddrs: relayAddrs.map((a) => a.toString()),
      peers: reservations.map(([peer]) => ({
        peerId: peer.toString(),
        addrs: relayAddrs.map((a) => `${a.toString()}/p2p-circuit/webrtc/p2p/${peer.toString()}`),
      })),
    }
  }

  /** Status for /api/health. */
  health(): BootstrapHealth {
    const node = this.#node
    if (node === null) {
      return {
        status: 'stopped',
        peerId: '',
        listen: [],
        connections: 0,
        reservations: 0,
        uptimeS: 0,
      }
    }
    return {
      status: 'ok',
      peerId: node.peerId.toString(),
      listen: node.getMultiaddrs().map((a) => a.toString()),
      connections: node.getConnections().length,
      reservations: node.services.relay.reservations.size,
      uptimeS: Math.round((Date.now() - this.#startedAt) / 1000),
    }
  }
}
