import { generateKeyPair } from '@libp2p/crypto/keys'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BootstrapNode } from './bootstrap'
import { readServerConfig } from './config'
import { systemClock } from '../ports'
import { parseBootstrapAnswer } from '../mesh/bootstrap-answer'
import { createMeshLibp2p } from '../mesh/libp2p-config'
import { MeshNode } from '../mesh/node'

// The same scenario as the e2e tests, once over real libp2p in Node.js: a real bootstrap relay on
// a loopback WebSocket, two headless nodes with real WebRTC (node-datachannel), real gossipsub.

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('mesh over real libp2p in Node.js', () => {
  let dataDir: string
  let bootstrap: BootstrapNode
  const nodes: MeshNode[] = []

  async function startNode(): Promise<MeshNode> {
    const privateKey = await generateKeyPair('Ed25519')
    const libp2p = await createMeshLibp2p({ privateKey, platform: 'node' })
    await libp2p.start()
    const node = new MeshNode(
      {
        appVersion: 'test',
        capabilities: { cores: 1, memoryGiB: null, platform: 'node' },
        pingIntervalMs: 500,
      },
      {
        libp2p,
        privateKey,
        clock: systemClock,
        random: { next: () => Math.random() },
        fetchBootstrap: async () =>
          // Through the same parser a tab uses, as if it had come over HTTP.
          parseBootstrapAnswer(JSON.parse(JSON.stringify(bootstrap.bootstrapInfo('127.0.0.1')))),
      },
    )
    nodes.push(node)
    await node.start()
    return node
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hypermesh-test-'))
    bootstrap = new BootstrapNode(readServerConfig({ RELAY_PORT: '0', DATA_DIR: dataDir }))
    await bootstrap.start()
  })

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()))
    await bootstrap.stop()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('keeps the relay key private and stable across restarts', async () => {
    const keyFile = join(dataDir, 'bootstrap.key')
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600)
    const again = new BootstrapNode(readServerConfig({ RELAY_PORT: '0', DATA_DIR: dataDir }))
    await again.start()
    try {
      expect(again.health().peerId).toBe(bootstrap.health().peerId)
    } finally {
      await again.stop()
    }
  })

  it('alice and bob connect over direct WebRTC, hear each other and learn coordinates', async () => {
    const alice = await startNode()
    await waitFor(() => bootstrap.health().reservations >= 1, 10_000, 'alice reservation')
    const bob = await startNode()
    const direct = (n: MeshNode, peer: string): boolean =>
      n.state().connections.some((c) => c.peerId === peer && c.transport === 'webrtc')
    await waitFor(
      () => direct(alice, bob.peerId) && direct(bob, alice.peerId),
      20_000,
      'direct link',
    )
    // The relayed signalling link is closed once the direct one is up.
    await waitFor(
      () =>
        !bob.state().connections.some((c) => c.peerId === alice.peerId && c.transport === 'relay'),
      10_000,
      'relayed link to close',
    )
    await waitFor(
      () =>
        alice.state().nodes.some((n) => n.peerId === bob.peerId) &&
        bob.state().nodes.some((n) => n.peerId === alice.peerId),
      20_000,
      'heartbeats',
    )
    const seen = bob.state().nodes.find((n) => n.peerId === alice.peerId)
    expect(seen?.appVersion).toBe('test')
    expect(seen?.capabilities?.platform).toBe('node')
    // RTT measured by ping, then the coordinate moves off the origin with a falling error.
    await waitFor(
      () =>
        (alice.state().connections.find((c) => c.peerId === bob.peerId)?.rttMs ?? null) !== null,
      10_000,
      'rtt',
    )
    await waitFor(() => (alice.state().coordinate?.error ?? 1.5) < 1.5, 20_000, 'vivaldi update')
    expect(alice.state().heartbeats.accepted).toBeGreaterThan(0)
    expect(Object.values(alice.state().heartbeats.dropped).every((n) => n === 0)).toBe(true)
    expect(alice.state().connectionsCreated).toBeGreaterThanOrEqual(1)
  })
})
