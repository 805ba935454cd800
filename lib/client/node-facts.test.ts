/**
 * A node's ledger facts read back from the proof-of-state bundle of its account, built from a
 * real ledger state as the worker builds it.
 */
import { describe, expect, it } from 'vitest'
import { encodeProofOfState, exportProofOfState } from '@/lib/chain/proof-of-state'
import type { Block, BlockHeader } from '@/lib/consensus/codec'
import { makeCommittee } from '@/lib/consensus/committee'
import { txsRoot } from '@/lib/consensus/merkle'
import { certify } from '@/lib/consensus/testing/chain-builder'
import { testKey } from '@/lib/consensus/testing/keys'
import { createLedgerApp } from '@/lib/ledger/app'
import { account, node } from '@/lib/ledger/queries'
import {
  carol,
  dave,
  nextContext,
  nobleVerifier,
  stampFor,
  testGenesis,
  tx,
  type Who,
} from '@/lib/ledger/test-support'
import { accountKey, nodeKey } from '@/lib/ledger/values'
import { NO_NODE_FACTS, nodeFactsOf } from './node-facts'

const validators = ['v1', 'v2', 'v3', 'v4'].map(testKey)
const members = validators.map((k) => ({ publicKey: k.publicKey, power: 10 }))
const committee = makeCommittee(members)
const ledger = createLedgerApp({ genesis: testGenesis(), verifier: nobleVerifier })
const s0 = ledger.genesisState
const register = (w: Who) =>
  tx(s0, w, 'register-node', { stamp: stampFor(s0, w), cert: null }, { fee: 0n })
const s1 = ledger.app.executeBlock(s0, nextContext(s0), [register(carol), register(dave)])
const coord = { vec: [3, 1, 4, 1, 5, 9, 2, 6], height: 0.5, error: 0.2 }
const txs = [
  tx(s1, dave, 'attest', { subject: carol.publicKey, rttMs: 18, height: 1, coord }, { fee: 0n }),
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
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

function bundleOf(keys: string[]): Uint8Array {
  return encodeProofOfState(
    exportProofOfState({ block, certificate, committee: members, state: s2, keys }),
  )
}

describe('nodeFactsOf', () => {
  it('reads the account and the node record, with the attestation about it', () => {
    const facts = nodeFactsOf(
      bundleOf([accountKey(carol.publicKey), nodeKey(carol.publicKey)]),
      hex(carol.publicKey),
    )
    const a = account(s2, carol.publicKey)!
    const n = node(s2, carol.publicKey)!
    expect(facts.height).toBe(2)
    expect(facts.account).toEqual({
      balance: a.balance.toString(),
      stake: '0',
      unbonding: '0',
      nonce: 1,
      activeEpoch: a.active,
    })
    expect(facts.node).toEqual({
      registered: 1,
      certExpiry: null,
      granted: n.granted,
      coord: null,
      coordHeight: null,
      attestation: { witness: hex(dave.publicKey), rttMs: 18, height: 1, coord },
    })
    // The witness's own coordinate is recorded on its node.
    const witness = nodeFactsOf(bundleOf([nodeKey(dave.publicKey)]), hex(dave.publicKey))
    expect(witness.account).toBeNull()
    expect(witness.node).toMatchObject({ coord, coordHeight: 2, attestation: null })
  })

  it('has nothing without a bundle, or for a key the bundle does not hold', () => {
    expect(nodeFactsOf(null, hex(carol.publicKey))).toBe(NO_NODE_FACTS)
    const other = nodeFactsOf(bundleOf([accountKey(carol.publicKey)]), hex(dave.publicKey))
    expect(other).toEqual({ height: 2, account: null, node: null })
  })

  it('refuses a key that is not 64 hex digits and bytes that are no bundle', () => {
    expect(() => nodeFactsOf(null, 'carol')).toThrow(RangeError)
    expect(() => nodeFactsOf(new Uint8Array([1, 2, 3]), hex(carol.publicKey))).toThrow()
  })
})
