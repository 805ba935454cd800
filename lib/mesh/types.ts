/** Shared mesh types used by the node, the client store and the pages. */

/** How a connection reaches the remote peer. `webrtc` is always a direct WebRTC link. */
export type Transport = 'webrtc' | 'relay' | 'websockets' | 'webtransport'

/** A Vivaldi network coordinate (Serf layout): milliseconds. */
export interface Coordinate {
  /** Euclidean part, 8 dimensions. */
  vec: number[]
  /** Height above the plane: access-link latency, ≥ a small minimum. */
  height: number
  /** Local error estimate (relative), in (0, 1.5]. */
  error: number
  /** Adjustment term (Serf), milliseconds. */
  adjustment: number
}

/** A peer this node is connected to. */
export interface ConnectionInfo {
  /** libp2p connection ID (unique within this node). */
  id: string
  peerId: string
  transport: Transport
  rttMs: number | null
  /** ms since epoch the connection opened. */
  openedAt: number
  direction: 'inbound' | 'outbound'
}

/** Capability summary carried in heartbeats: what the platform reports, null when unknown. */
export interface CapabilitySummary {
  cores: number | null
  memoryGiB: number | null
  platform: 'browser' | 'node'
}

/** A neighbour of a node, as reported in its heartbeat. */
export interface NeighbourReport {
  peerId: string
  rttMs: number | null
}

/** What a node knows about another node from its heartbeats. */
export interface NodeInfo {
  peerId: string
  /** ms since epoch (local clock) of the last accepted heartbeat. */
  lastSeen: number
  coordinate: Coordinate | null
  neighbours: NeighbourReport[]
  capabilities: CapabilitySummary | null
  appVersion: string
  seq: number
}
