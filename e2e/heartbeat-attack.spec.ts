import { expect, test } from '@playwright/test'
import * as dagCbor from '@ipld/dag-cbor'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createMeshLibp2p } from '../lib/mesh/libp2p-config'
import { HEARTBEAT_TOPIC, MAX_HEARTBEAT_BYTES } from '../lib/mesh/constants'
import { encodeHeartbeat } from '../lib/mesh/heartbeat'
import { newCoordinate } from '../lib/mesh/vivaldi'
import { mapNodeIds, openTab, state, waitForDirect } from './fixtures'

test('forged, replayed and oversized heartbeats never reach the map, and the nodes keep running', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(120_000)
  if (baseURL === undefined) throw new Error('baseURL is not set')
  const alice = await openTab(browser, baseURL)
  const bob = await openTab(browser, baseURL)
  const watcher = await openTab(browser, baseURL, '/map')
  const [aliceId] = await Promise.all([
    waitForDirect(alice.page, 20_000),
    waitForDirect(bob.page, 20_000),
  ])

  // Mallory: a real libp2p node on the mesh (through the relay), publishing on the heartbeat topic.
  const malloryKey = await generateKeyPair('Ed25519')
  const mallory = await createMeshLibp2p({ privateKey: malloryKey, platform: 'node' })
  await mallory.start()
  try {
    const boot = (await (await fetch(`${baseURL}/api/bootstrap`)).json()) as {
      relayPeerId: string
      relayAddrs: string[]
    }
    await mallory.dial(boot.relayAddrs.map((a) => multiaddr(a)))
    const pubsub = mallory.services.pubsub
    const captured: Uint8Array[] = []
    pubsub.addEventListener('message', (evt) => {
      const msg = evt.detail
      if (
        msg.topic === HEARTBEAT_TOPIC &&
        msg.type === 'signed' &&
        msg.from.toString() === aliceId
      ) {
        captured.push(msg.data)
      }
    })
    pubsub.subscribe(HEARTBEAT_TOPIC)
    await expect
      .poll(() => pubsub.getSubscribers(HEARTBEAT_TOPIC).map((p) => p.toString()), {
        timeout: 20_000,
      })
      .toContain(boot.relayPeerId)
    // One of alice's genuine heartbeats, to replay once she has sent a newer one.
    await expect.poll(() => captured.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(2)
    const replayed = captured[0]!

    const beforeByTab = new Map<typeof bob, Record<string, number>>()
    for (const tab of [alice, bob, watcher]) {
      beforeByTab.set(tab, { ...(await state(tab.page)).heartbeats.dropped })
    }
    const malloryId = mallory.peerId.toString()

    // 1. Forged: a well-formed heartbeat for mallory's own peer ID whose signature is wrong.
    const genuine = await encodeHeartbeat(
      {
        peerId: malloryId,
        seq: Date.now() * 1000,
        timestamp: Date.now(),
        coordinate: newCoordinate(),
        neighbours: [],
        capabilities: { cores: 1, memoryGiB: null, platform: 'node' },
        appVersion: 'forged',
        addrs: [],
      },
      malloryKey,
    )
    const envelope = dagCbor.decode<{ body: Uint8Array; sig: Uint8Array }>(genuine)
    const badSig = Uint8Array.from(envelope.sig)
    badSig[0] = badSig[0]! ^ 0x01
    const forged = dagCbor.encode({ body: envelope.body, sig: badSig })
    // 2. Oversized: more than the 4 KiB a heartbeat may take.
    const oversized = new Uint8Array(MAX_HEARTBEAT_BYTES + 1024).fill(0xa5)

    await pubsub.publish(HEARTBEAT_TOPIC, forged)
    await pubsub.publish(HEARTBEAT_TOPIC, replayed)
    await pubsub.publish(HEARTBEAT_TOPIC, oversized)

    // Every tab drops each one, for the right reason. Bob and the watcher have accepted alice's
    // newer heartbeats, so hers comes back as a replay; alice never judged her own heartbeats,
    // so to her it is a heartbeat in her name sent by someone else (sender-mismatch).
    const delta = async (tab: typeof bob, reasons: string[]): Promise<number> => {
      const d = (await state(tab.page)).heartbeats.dropped
      const b = beforeByTab.get(tab)!
      return reasons.reduce((n, r) => n + (d[r] ?? 0) - (b[r] ?? 0), 0)
    }
    for (const [tab, replayReasons] of [
      [bob, ['replay']],
      [watcher, ['replay']],
      [alice, ['replay', 'sender-mismatch']],
    ] as const) {
      await expect
        .poll(
          async () => [
            await delta(tab, ['signature']),
            await delta(tab, ['oversize']),
            (await delta(tab, [...replayReasons])) >= 1,
          ],
          { timeout: 15_000 },
        )
        .toEqual([1, 1, true])
    }

    // Mallory's peer ID never appears, in any tab's node list or on the map.
    for (const tab of [alice, bob, watcher]) {
      expect((await state(tab.page)).nodes.map((n) => n.peerId)).not.toContain(malloryId)
    }
    expect(await mapNodeIds(watcher.page)).not.toContain(malloryId)

    // And the nodes keep running: direct links stay, genuine heartbeats keep being accepted.
    const acceptedAfter = (await state(bob.page)).heartbeats.accepted
    await expect
      .poll(async () => (await state(bob.page)).heartbeats.accepted, { timeout: 15_000 })
      .toBeGreaterThan(acceptedAfter)
    for (const tab of [alice, bob]) {
      expect((await state(tab.page)).status).toBe('direct')
    }
  } finally {
    await mallory.stop()
    await Promise.all([alice, bob, watcher].map((t) => t.context.close()))
  }
})
