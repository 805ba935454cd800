/**
 * Four validators and a late joiner running the real ledger and consensus over an in-memory
 * network and in-memory stores: blocks finalize, a transfer lands everywhere with the same state
 * root, a proof of state verifies (and fails when tampered), a validator that stops and comes
 * back with its store catches up, and a node that joins late syncs the chain and verifies it.
 * Then an asset's life: registered by a node, listed and found on every node, proven offline,
 * updated by its owner only, and retired.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { afterEach, describe, expect, it } from 'vitest'
import { nodeEd25519Verifier } from '@/lib/adapters/ed25519-node'
import { formatAssetId, formatAssetUuid, newAssetId } from '@/lib/assets/asset-id'
import {
  formatGlobalAddress,
  formatHypermeshUri,
  globalAddressOf,
  peerIdOfPublicKey,
} from '@/lib/assets/global-address'
import { unknownResources } from '@/lib/assets/resources'
import { decodeHeader } from '@/lib/consensus/codec'
import { assetCapacityOf } from '@/lib/ledger/assets'
import { MemoryChainHub } from '@/lib/adapters/memory-chain-network'
import { createMemoryKvStore, MemoryKvState } from '@/lib/adapters/memory-kv-store'
import { toHex } from '@/lib/consensus/bytes'
import { validateGenesis, type GenesisConfig } from '@/lib/ledger/genesis'
import { account, node } from '@/lib/ledger/queries'
import { buildTx } from '@/lib/ledger/tx'
import { decodeLedgerState, encodeLedgerState } from '@/lib/ledger/snapshot'
import { systemClock } from '@/lib/ports'
import { LedgerService } from './ledger-service'
import {
  assetClaimsOf,
  decodeProofOfState,
  encodeProofOfState,
  verifyProofOfState,
} from './proof-of-state'
import { UNITS_PER_CREDIT } from './units'

const names = ['alice', 'bob', 'carol', 'dave', 'erin'] as const
const secrets = Object.fromEntries(
  names.map((n) => [n, sha256(new TextEncoder().encode(`ledger-service-test:${n}`))]),
) as Record<(typeof names)[number], Uint8Array>
const keys = Object.fromEntries(names.map((n) => [n, ed25519.getPublicKey(secrets[n])])) as Record<
  (typeof names)[number],
  Uint8Array
>

function genesis(): GenesisConfig {
  return validateGenesis({
    chainId: 'hypermesh-service-test',
    genesisTime: Date.now() - 1_000,
    anchorValidators: (['alice', 'bob', 'carol', 'dave'] as const).map((n) => ({
      publicKey: keys[n],
      stake: 100n * UNITS_PER_CREDIT,
    })),
    allocations: names.map((n) => ({ publicKey: keys[n], amount: 1_000n * UNITS_PER_CREDIT })),
    registrationGrant: 0n,
    maxGrantsPerEpoch: 0,
    hashcashBits: 4,
    epochLength: 1_000,
    maxValidators: 31,
    slashFractionPerMille: 100,
    maxTxBytes: 4_096,
    maxBlockTxs: 1_000,
  })
}

const TIMEOUTS = {
  proposeBase: 300,
  proposeDelta: 100,
  prevoteBase: 150,
  prevoteDelta: 50,
  precommitBase: 150,
  precommitDelta: 50,
  commit: 30,
  rebroadcast: 200,
  syncRetry: 200,
}

const running: LedgerService[] = []

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()))
})

function start(
  hub: MemoryChainHub,
  name: (typeof names)[number],
  g: GenesisConfig,
  kv = new MemoryKvState(),
): { service: LedgerService; kv: MemoryKvState; ready: Promise<void> } {
  const service = new LedgerService(
    { genesis: g, timeouts: TIMEOUTS, snapshotEvery: 4 },
    {
      secretKey: secrets[name],
      kv: createMemoryKvStore(kv),
      network: hub.join(name),
      verifier: nodeEd25519Verifier(),
      stateCodec: { encode: encodeLedgerState, decode: decodeLedgerState },
      clock: systemClock,
    },
  )
  running.push(service)
  return { service, kv, ready: service.start() }
}

async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('LedgerService over an in-memory network', () => {
  it('finalizes, transfers, proves, recovers a restarted validator and syncs a late joiner', async () => {
    const g = genesis()
    const hub = new MemoryChainHub()
    const nodes = (['alice', 'bob', 'carol', 'dave'] as const).map((n) => start(hub, n, g))
    await Promise.all(nodes.map((n) => n.ready))
    const [alice, bob, carol, dave] = nodes.map((n) => n.service) as [
      LedgerService,
      LedgerService,
      LedgerService,
      LedgerService,
    ]
    await until('height 3 everywhere', () => nodes.every((n) => n.service.chain.tip().height >= 3))

    // A transfer lands in one block, the same on every node.
    const txHash = await alice.transfer(keys.bob, 10n * UNITS_PER_CREDIT)
    await until('the transfer', () =>
      nodes.every(
        (n) => account(n.service.state(), keys.bob)?.balance === 1_010n * UNITS_PER_CREDIT,
      ),
    )
    const located = await alice.tx(txHash)
    expect(located).not.toBeNull()
    for (const n of nodes) {
      const b = await n.service.block(located!.height)
      expect(b?.block.stateRoot).toBe((await alice.block(located!.height))?.block.stateRoot)
    }

    // Proof of state of the transaction, verified offline with the committee alice knows.
    const proof = await alice.proofOfState({ tx: txHash })
    expect(proof).not.toBeNull()
    const bytes = encodeProofOfState(proof!)
    const committee = await alice.committeeAt(located!.height)
    const trust = {
      chainId: g.chainId,
      verifier: nodeEd25519Verifier(),
      now: Date.now(),
      trustedCommittee: committee!,
    }
    const report = verifyProofOfState(bytes, trust)
    expect(report.checks.filter((c) => !c.ok)).toEqual([])
    expect(report.ok).toBe(true)
    const tampered = decodeProofOfState(bytes)
    tampered.tx!.bytes = tampered.tx!.bytes.slice()
    tampered.tx!.bytes[tampered.tx!.bytes.length - 1]! ^= 1
    const bad = verifyProofOfState(tampered, trust)
    expect(bad.ok).toBe(false)
    expect(bad.checks.find((c) => c.name === 'transaction')?.ok).toBe(false)
    // Without a trusted committee the bundle is not anchored.
    const { trustedCommittee: _omit, ...untrusted } = trust
    expect(
      verifyProofOfState(bytes, untrusted).checks.find((c) => c.name === 'committee')?.ok,
    ).toBe(false)

    // Two transactions of one sender arriving out of order (nonce n + 1 first) both execute:
    // the mempool admits the later nonce and the proposer puts them back in sequence.
    const nonce = account(carol.state(), keys.carol)!.nonce
    const signed = (n: number, amount: bigint) =>
      buildTx(
        {
          chain: g.chainId,
          kind: 'transfer',
          from: keys.carol,
          nonce: n,
          fee: 0n,
          body: { to: keys.dave, amount },
        },
        (m) => ed25519.sign(m, secrets.carol),
      )
    await carol.chain.submit(signed(nonce + 1, 2n * UNITS_PER_CREDIT))
    await carol.chain.submit(signed(nonce, 1n * UNITS_PER_CREDIT))
    await until('both out-of-order transfers', () =>
      nodes.every(
        (n) => account(n.service.state(), keys.dave)?.balance === 1_003n * UNITS_PER_CREDIT,
      ),
    )

    // Dave stops; three of four validators (75 % of the power) keep finalizing.
    await dave.stop()
    hub.leave('dave')
    const stoppedAt = alice.chain.tip().height
    await until('progress without dave', () => alice.chain.tip().height >= stoppedAt + 3)

    // Dave comes back with its store and catches up.
    const daveAgain = start(hub, 'dave', g, nodes[3]!.kv)
    await daveAgain.ready
    await until(
      'dave to catch up',
      () => daveAgain.service.chain.tip().height >= alice.chain.tip().height - 1,
    )

    // A node with an empty store joins late (not a validator) and syncs the whole chain.
    const erin = start(hub, 'erin', g)
    await erin.ready
    await until(
      'erin to sync',
      () => erin.service.chain.tip().height >= alice.chain.tip().height - 1,
    )
    const h = erin.service.chain.tip().height
    const mine = await erin.service.block(h)
    const theirs = await bob.block(h)
    expect(mine?.block.hash).toBe(theirs?.block.hash)
    expect(toHex(erin.service.ledger.app.stateRoot(erin.service.state()))).toBe(
      mine?.block.stateRoot,
    )
    expect(erin.service.summary().validator).toBe(false)
  }, 60_000)

  it('registers, lists, finds, proves, updates and retires an asset', async () => {
    const g = genesis()
    const hub = new MemoryChainHub()
    const nodes = (['alice', 'bob', 'carol', 'dave'] as const).map((n) => start(hub, n, g))
    await Promise.all(nodes.map((n) => n.ready))
    const [alice, bob, carol] = nodes.map((n) => n.service) as [
      LedgerService,
      LedgerService,
      LedgerService,
    ]
    await until('height 2 everywhere', () => nodes.every((n) => n.service.chain.tip().height >= 2))

    const id = newAssetId('cpu', sha256(new TextEncoder().encode('service-asset')).slice(0, 16))
    const capacity = assetCapacityOf({
      ...unknownResources('node'),
      cpu: { logicalCores: 8, score: 800, calibrationMs: 260 },
    })
    const input = {
      id,
      port: 5,
      level: 'public-network' as const,
      share: { type: 'cpu' as const, cores: 2 },
      capacity,
      createdUs: Date.now() * 1000,
    }
    // Not a node yet: refused before anything is sent.
    await expect(carol.registerAsset(input)).rejects.toMatchObject({ name: 'LedgerServiceError' })
    await expect(
      carol.retireAsset({ type: 'cpu', uuid: new Uint8Array(16) }),
    ).rejects.toMatchObject({ name: 'LedgerServiceError' })
    await carol.register(null)
    await until('carol registered everywhere', () =>
      nodes.every((n) => node(n.service.state(), keys.carol) !== undefined),
    )
    // The ledger's own refusals come back with its error's name.
    await expect(carol.registerAsset({ ...input, level: 'p2p' })).rejects.toMatchObject({
      name: 'TxRejectedError',
      reason: { name: 'BadAssetError', code: 'ERR_BAD_ASSET' },
    })
    await expect(
      carol.registerAsset({ ...input, share: { type: 'cpu', cores: 9 } }),
    ).rejects.toMatchObject({ reason: { name: 'BadAssetError' } })

    const txHash = await carol.registerAsset(input)
    await until('the asset everywhere', () => nodes.every((n) => n.service.assets().length === 1))
    const peerId = peerIdOfPublicKey(keys.carol)
    const [listed] = bob.assets()
    expect(listed).toMatchObject({
      id: formatAssetId(id),
      uuid: formatAssetUuid(id.uuid),
      type: 'cpu',
      owner: toHex(keys.carol),
      peerId,
      address: formatGlobalAddress(globalAddressOf(peerId, id, 5)),
      uri: formatHypermeshUri({ peerId, assetUuid: id.uuid, port: 5 }),
      level: 'public-network',
      share: { type: 'cpu', cores: 2 },
      capacity,
      createdUs: input.createdUs,
      retiredHeight: null,
      online: true,
    })
    expect(bob.assets({ owner: keys.carol }).map((a) => a.id)).toEqual([formatAssetId(id)])
    expect(bob.assets({ owner: keys.alice })).toEqual([])
    expect((await alice.tx(txHash))?.tx).toMatchObject({
      kind: 'register-asset',
      fields: { id: formatAssetId(id), port: '5', level: 'public-network' },
    })

    // Found by every spelling; an address or URI must name its owner and port too.
    for (const q of [listed!.id, listed!.uuid, listed!.address, listed!.uri]) {
      expect((await alice.findAsset(q))?.asset.id, q).toBe(listed!.id)
    }
    expect(await alice.findAsset(listed!.uri.replace(/:5$/, ':6'))).toBeNull()
    expect(await alice.findAsset(listed!.id.replace('cpu:', 'gpu:'))).toBeNull()
    expect(await alice.findAsset(peerId)).toBeNull()
    expect(await alice.findAsset('nonsense')).toBeNull()

    // Its proof of state verifies offline with the committee alice knows, and fails tampered.
    const found = await alice.asset(id.uuid)
    const bytes = encodeProofOfState(found!.proof!)
    const bundle = decodeProofOfState(bytes)
    const height = decodeHeader(bundle.header).height
    const trust = {
      chainId: g.chainId,
      verifier: nodeEd25519Verifier(),
      now: Date.now(),
      trustedCommittee: (await alice.committeeAt(height))!,
    }
    const report = verifyProofOfState(bytes, trust)
    expect(report.checks.filter((c) => !c.ok)).toEqual([])
    expect(report.ok).toBe(true)
    const [claim] = assetClaimsOf(bundle)
    expect(claim?.record.owner).toEqual(keys.carol)
    expect(claim?.node).not.toBeNull()
    bundle.facts[0]!.value = bundle.facts[0]!.value.slice()
    bundle.facts[0]!.value[5]! ^= 1
    expect(verifyProofOfState(bundle, trust).checks.find((c) => c.name === 'facts')?.ok).toBe(false)

    // Only the owner updates it.
    await expect(
      bob.updateAsset({ id, level: 'full-public', share: { type: 'cpu', cores: 1 }, capacity }),
    ).rejects.toMatchObject({ reason: { name: 'NotAssetOwnerError' } })
    await carol.updateAsset({
      id,
      level: 'full-public',
      share: { type: 'cpu', cores: 4, hoursPerDay: 8 },
      capacity,
    })
    await until('the update everywhere', () =>
      nodes.every((n) => n.service.assets()[0]?.level === 'full-public'),
    )
    expect(alice.assets()[0]?.share).toEqual({ type: 'cpu', cores: 4, hoursPerDay: 8 })

    // Retired: off the live list, kept for history, never online, still provable.
    await carol.retireAsset(id)
    await until('the retirement everywhere', () =>
      nodes.every((n) => n.service.assets().length === 0),
    )
    const [retired] = alice.assets({ includeRetired: true })
    expect(retired).toMatchObject({ id: formatAssetId(id), online: false })
    expect(retired?.retiredHeight).toBeGreaterThan(retired!.registeredHeight)
    const later = await alice.proofOfState({ asset: id.uuid })
    expect(assetClaimsOf(later!)[0]?.record.retiredHeight).toBe(retired?.retiredHeight)
  }, 60_000)
})
