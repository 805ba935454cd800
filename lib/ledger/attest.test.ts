import { describe, expect, it } from 'vitest'
import { createLedgerApp } from './app'
import { toHex } from './codec'
import { node } from './queries'
import type { LedgerState } from './state'
import {
  bob,
  carol,
  dave,
  nextContext,
  nobleVerifier,
  stampFor,
  testGenesis,
  thrown,
  tx,
  type Who,
} from './test-support'

const ledger = createLedgerApp({ genesis: testGenesis(), verifier: nobleVerifier })
const coord = (x: number) => ({ vec: [x, 0, 0, 0, 0, 0, 0, 0], height: 0.5, error: 0.25 })

function attest(s: LedgerState, witness: Who, subject: Who, height: number, x = 1): Uint8Array {
  return tx(s, witness, 'attest', {
    subject: subject.publicKey,
    rttMs: 20,
    height,
    coord: coord(x),
  })
}

function refused(s: LedgerState, t: Uint8Array): Error {
  const before = toHex(s.root)
  const err = thrown(() => ledger.app.executeBlock(s, nextContext(s), [t]))
  expect(toHex(s.root)).toBe(before)
  return err
}

describe('attest', () => {
  const s0 = ledger.genesisState
  const register = (w: Who) =>
    tx(s0, w, 'register-node', { stamp: stampFor(s0, w), cert: null }, { fee: 0n })
  const s1 = ledger.app.executeBlock(s0, nextContext(s0), [register(carol), register(dave)])

  it("records the subject's latest attestation and the witness's own coordinate", () => {
    const s2 = ledger.app.executeBlock(s1, nextContext(s1), [attest(s1, carol, dave, 1, 3)])
    expect(node(s2, dave.publicKey)?.attestation).toEqual({
      witness: carol.publicKey,
      rttMs: 20,
      height: 1,
      coord: coord(3),
    })
    expect(node(s2, carol.publicKey)).toMatchObject({
      coord: coord(3),
      coordHeight: 2,
      attestation: null,
    })
    // A newer one replaces it; one measured at the same height too.
    const s3 = ledger.app.executeBlock(s2, nextContext(s2), [attest(s2, carol, dave, 1, 4)])
    expect(node(s3, dave.publicKey)?.attestation?.coord).toEqual(coord(4))
    expect(refused(s3, attest(s3, carol, dave, 0))).toMatchObject({
      name: 'BadAttestationError',
      reason: 'stale',
    })
  })

  it('refuses self-attestation, unknown nodes and future heights', () => {
    expect(refused(s1, attest(s1, carol, carol, 1))).toMatchObject({
      name: 'SelfAttestationError',
      code: 'ERR_SELF_ATTESTATION',
    })
    expect(refused(s1, attest(s1, carol, bob, 1))).toMatchObject({
      name: 'UnknownNodeError',
      code: 'ERR_UNKNOWN_NODE',
    })
    expect(refused(s1, attest(s1, bob, carol, 1))).toMatchObject({ name: 'UnknownNodeError' })
    expect(refused(s1, attest(s1, carol, dave, 3))).toMatchObject({
      name: 'BadAttestationError',
      reason: 'future',
    })
    expect(thrown(() => ledger.app.checkTx(s1, attest(s1, carol, dave, 3)))).toMatchObject({
      name: 'BadAttestationError',
    })
    ledger.app.checkTx(s1, attest(s1, carol, dave, 2))
  })

  it('refuses malformed coordinates and RTTs at decoding', () => {
    const bad = [
      { subject: dave.publicKey, rttMs: -1, height: 1, coord: coord(1) },
      { subject: dave.publicKey, rttMs: 60_001, height: 1, coord: coord(1) },
      { subject: dave.publicKey, rttMs: 1, height: 1, coord: { ...coord(1), vec: [1, 2, 3] } },
      { subject: dave.publicKey, rttMs: 1, height: 1, coord: { ...coord(1), error: 2 } },
      { subject: dave.publicKey, rttMs: 1, height: 1, coord: { ...coord(1), height: -1 } },
      {
        subject: dave.publicKey,
        rttMs: 1,
        height: 1,
        coord: { ...coord(1), vec: [2e6, 0, 0, 0, 0, 0, 0, 0] },
      },
    ]
    for (const body of bad) {
      expect(thrown(() => tx(s1, carol, 'attest', body))).toMatchObject({
        name: 'LedgerDecodeError',
      })
    }
  })
})
