/**
 * Proofs of state of an asset, built offline from a real ledger state and a certified header:
 * "asset A, owned by node N, at network position P, registered at time T" verifies with nothing
 * but the bundle and the trusted committee, and fails when any part of it is changed.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { describe, expect, it } from 'vitest'
import { encodeAssetId } from '@/lib/assets/asset-id'
import type { Block, BlockHeader } from '@/lib/consensus/codec'
import { makeCommittee } from '@/lib/consensus/committee'
import { txsRoot } from '@/lib/consensus/merkle'
import { certify } from '@/lib/consensus/testing/chain-builder'
import { testKey, testVerifier } from '@/lib/consensus/testing/keys'
import { createLedgerApp } from '@/lib/ledger/app'
import { asset, node, proveAsset } from '@/lib/ledger/queries'
import {
  carol,
  dave,
  nextContext,
  nobleVerifier,
  registerAssetBody,
  stampFor,
  testAssetId,
  testGenesis,
  tx,
  type Who,
} from '@/lib/ledger/test-support'
import { assetKey } from '@/lib/ledger/values'
import {
  assetClaimsOf,
  decodeProofOfState,
  encodeProofOfState,
  exportProofOfState,
  verifyProofOfState,
  type ProofOfState,
} from './proof-of-state'

const validators = ['v1', 'v2', 'v3', 'v4'].map(testKey)
const members = validators.map((k) => ({ publicKey: k.publicKey, power: 10 }))
const committee = makeCommittee(members)

const ledger = createLedgerApp({ genesis: testGenesis(), verifier: nobleVerifier })
const s0 = ledger.genesisState
const register = (w: Who) =>
  tx(s0, w, 'register-node', { stamp: stampFor(s0, w), cert: null }, { fee: 0n })
const s1 = ledger.app.executeBlock(s0, nextContext(s0), [register(carol), register(dave)])
const id = testAssetId('memory', 'proof')
const coord = { vec: [3, 1, 4, 1, 5, 9, 2, 6], height: 0.5, error: 0.2 }
const txs = [
  tx(s1, dave, 'attest', { subject: carol.publicKey, rttMs: 18, height: 1, coord }, { fee: 0n }),
  tx(s1, carol, 'register-asset', registerAssetBody(id, { port: 9 })),
]
const s2 = ledger.app.executeBlock(s1, nextContext(s1), txs)

const header: BlockHeader = {
  chainId: s2.genesis.chainId,
  height: s2.height,
  time: s2.time,
  parentHash: new Uint8Array(32).fill(1),
  lastCommitHash: new Uint8Array(32).fill(2),
  txsRoot: txsRoot(txs),
  stateRoot: s2.root,
  proposer: validators[0]!.publicKey,
  committeeHash: committee.hash,
}
const block: Block = { header, txs, lastCommit: null }
const certificate = certify(header, validators.slice(0, 3))
const trust = {
  chainId: s2.genesis.chainId,
  verifier: testVerifier,
  now: s2.time,
  trustedCommittee: members,
}

function bundle(keys = proveAsset(s2, id.uuid).map((f) => f.key)): ProofOfState {
  return exportProofOfState({ block, certificate, committee: members, state: s2, keys, txIndex: 1 })
}

describe('proof of state of an asset', () => {
  it('verifies offline and states owner, position and registration time', () => {
    const bytes = encodeProofOfState(bundle())
    const report = verifyProofOfState(bytes, trust)
    expect(report.checks.filter((c) => !c.ok)).toEqual([])
    expect(report.ok).toBe(true)
    const facts = report.checks.find((c) => c.name === 'facts')!
    expect(facts.detail).toContain(`asset memory:`)
    expect(facts.detail).toContain('attested 18 ms')
    const [claim, ...more] = assetClaimsOf(decodeProofOfState(bytes))
    expect(more).toEqual([])
    expect(claim!.uuid).toEqual(id.uuid)
    expect(claim!.record).toEqual(asset(s2, id.uuid))
    expect(claim!.record.owner).toEqual(carol.publicKey)
    expect(claim!.record.registeredAt).toBe(header.time)
    expect(claim!.node).toEqual(node(s2, carol.publicKey))
    expect(claim!.node?.attestation?.coord).toEqual(coord)
    // The registering transaction is in the block too.
    expect(report.checks.find((c) => c.name === 'transaction')?.ok).toBe(true)
  })

  it('fails when the asset fact, its proof or the header is changed', () => {
    const record = asset(s2, id.uuid)!
    const earlier = bundle()
    earlier.facts[0]!.value = dagCbor.encode({ ...record, registeredAt: record.registeredAt - 1 })
    const claimed = verifyProofOfState(earlier, trust)
    expect(claimed.ok).toBe(false)
    expect(claimed.checks.find((c) => c.name === 'facts')?.ok).toBe(false)

    const otherAsset = bundle()
    otherAsset.facts[0]!.key = assetKey(testAssetId('memory', 'other').uuid)
    expect(verifyProofOfState(otherAsset, trust).ok).toBe(false)

    const badPath = bundle()
    badPath.facts[1]!.proof.siblings[0] = new Uint8Array(32).fill(9)
    expect(verifyProofOfState(badPath, trust).checks.find((c) => c.name === 'facts')?.ok).toBe(
      false,
    )

    // A header with another state root is not the one the committee signed.
    const forged = decodeProofOfState(encodeProofOfState(bundle()))
    const h = { ...header, time: header.time + 1 }
    const other = exportProofOfState({
      block: { ...block, header: h },
      certificate,
      committee: members,
      state: s2,
      keys: [assetKey(id.uuid)],
    })
    forged.header = other.header
    const report = verifyProofOfState(forged, trust)
    expect(report.ok).toBe(false)
    expect(report.checks.find((c) => c.name === 'certificate')?.ok).toBe(false)
  })

  it('reads a claim without a position when the node fact is left out; ignores other facts', () => {
    const only = bundle([
      assetKey(id.uuid),
      `account/${Buffer.from(carol.publicKey).toString('hex')}`,
    ])
    expect(verifyProofOfState(only, trust).ok).toBe(true)
    const claims = assetClaimsOf(only)
    expect(claims).toHaveLength(1)
    expect(claims[0]!.node).toBeNull()
    const garbage = bundle()
    garbage.facts[0]!.value = new Uint8Array([0xff])
    expect(assetClaimsOf(garbage)).toEqual([])
    expect(assetClaimsOf({ ...garbage, facts: undefined as never })).toEqual([])
  })

  it('keeps working for a retired asset (history)', () => {
    const s3 = ledger.app.executeBlock(s2, nextContext(s2), [
      tx(s2, carol, 'retire-asset', { id: encodeAssetId(id) }),
    ])
    const retiredTxs = [tx(s2, carol, 'retire-asset', { id: encodeAssetId(id) })]
    const h3 = {
      ...header,
      height: 3,
      time: s3.time,
      txsRoot: txsRoot(retiredTxs),
      stateRoot: s3.root,
    }
    const p = exportProofOfState({
      block: { header: h3, txs: retiredTxs, lastCommit: null },
      certificate: certify(h3, validators.slice(1)),
      committee: members,
      state: s3,
      keys: proveAsset(s3, id.uuid).map((f) => f.key),
    })
    const report = verifyProofOfState(p, trust)
    expect(report.ok).toBe(true)
    expect(report.checks.find((c) => c.name === 'facts')?.detail).toContain('retired at 3')
    expect(assetClaimsOf(p)[0]!.record.retiredHeight).toBe(3)
  })
})
