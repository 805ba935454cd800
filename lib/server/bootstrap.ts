import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
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
import { HeartbeatValidator } from '@/lib/mesh/heartbeat'
import { MESH_GOSSIP_SCORE_PARAMS } from '@/lib/mesh/constants'
import { systemClock } from '@/lib/ports'
import type { PeerId } from '@libp2p/interface'

/** A direct-peer count older than this (three heartbeat periods) is not handed out. */
const DIRECT_PEERS_TTL_MS = 15_000

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
  /** Checks the heartbeats the relay forwards, to learn how many direct peers each node has. */
  readonly #heartbeats = new HeartbeatValidator({ clock: systemClock })
  /** Direct-peer count per node from its newest valid heartbeat; bounded by the expiry sweep. */
  readonly #directPeers = new Map<string, { count: number; at: number }>()

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
          // Browsers behind one NAT share an address: see MESH_GOSSIP_SCORE_PARAMS.
          scoreParams: MESH_GOSSIP_SCORE_PARAMS,
        }),
      },
    })
    node.services.pubsub.subscribe(HEARTBEAT_TOPIC)
    node.services.pubsub.addEventListener('message', (evt) => {
      if (evt.detail.topic === HEARTBEAT_TOPIC) void this.#onHeartbeat(evt.detail)
    })
    this.#node = node as unknown as Libp2p<{ relay: CircuitRelayService }>
    this.#startedAt = Date.now()
  }

  async #onHeartbeat(message: { data: Uint8Array; type: string; from?: PeerId }): Promise<void> {
    const from = message.type === 'signed' ? message.from?.toString() : undefined
    const result = await this.#heartbeats.check(message.data, from)
    if (!result.ok) return
    const now = Date.now()
    this.#directPeers.set(result.heartbeat.peerId, {
      count: result.heartbeat.neighbours.length,
      at: now,
    })
    if (this.#directPeers.size > this.#config.maxReservations * 2) {
      for (const [peer, v] of this.#directPeers) {
        if (now - v.at > DIRECT_PEERS_TTL_MS) this.#directPeers.delete(peer)
      }
    }
  }

  #directPeerCount(peer: string): number | null {
    const v = this.#directPeers.get(peer)
    return v === undefined || Date.now() - v.at > DIRECT_PEERS_TTL_MS ? null : v.count
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
      .map(([peer, r]) => ({
        peer,
        expiry: r.expiry.getTime(),
        direct: this.#directPeerCount(peer.toString()),
      }))
      // Peers that already have direct links first (a newcomer dials them at once, and they take
      // it), then the newest reservations.
      .sort(
        (a, b) => Number((b.direct ?? 0) > 0) - Number((a.direct ?? 0) > 0) || b.expiry - a.expiry,
      )
      .slice(0, this.#config.bootstrapPeers)
    return {
      iceServers: this.#config.iceServers,
      relayPeerId: node.peerId.toString(),
      relayAddrs: relayAddrs.map((a) => a.toString()),
      peers: reservations.map(({ peer, direct }) => ({
        peerId: peer.toString(),
        addrs: relayAddrs.map((a) => `${a.toString()}/p2p-circuit/webrtc/p2p/${peer.toString()}`),
        directPeers: direct,
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
