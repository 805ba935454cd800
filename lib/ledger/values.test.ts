import * as dagCbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createLedgerApp } from './app'
import { LedgerError } from './errors'
import { decodeStateProof, encodeStateProof, proveFact, verifyFact } from './queries'
import { smtWalk } from './smt'
import type { LedgerState } from './state'
import {
  alice,
  bob,
  carol,
  dave,
  nextContext,
  nobleVerifier,
  stampFor,
  testGenesis,
  tx,
} from './test-support'
import { decodeFactValue, isStateKey } from './values'

/** A state holding every namespace: accounts, nodes with coordinates, unbonding, committees. */
function busyState(): LedgerState {
  const { app, genesisState: s0 } = createLedgerApp({
    genesis: testGenesis({ hashcashBits: 0 }),
    verifier: nobleVerifier,
  })
  const s1 = app.executeBlock(s0, nextContext(s0), [
    tx(s0, dave, 'register-node', { stamp: stampFor(s0, dave), cert: null }, { fee: 0n }),
    tx(s0, carol, 'register-node', { stamp: stampFor(s0, carol), cert: null }, { fee: 0n }),
    tx(s0, bob, 'unstake', { amount: 10n }),
  ])
  const coord = { vec: [1.5, -2, 3, 4, 5, 6, 7, 8.25], height: 0.01, error: 1.5 }
  let s = app.executeBlock(s1, nextContext(s1, [alice, bob]), [
    tx(s1, dave, 'attest', { subject: carol.publicKey, rttMs: 12.5, height: 1, coord }),
  ])
  while (s.height < 5) s = app.executeBlock(s, nextContext(s, [alice, bob]), [])
  return s
}

describe('state values', () => {
  const state = busyState()
  const facts: { key: string; bytes: Uint8Array }[] = []
  smtWalk(state.tree, (leaf) => facts.push({ key: leaf.key, bytes: leaf.bytes }))

  it('decodes every fact of a state, and re-encodes it to the same bytes', () => {
    const types = new Set<string>()
    for (const { key, bytes } of facts) {
      expect(isStateKey(key), key).toBe(true)
      const fact = decodeFactValue(key, bytes)
      types.add(fact.type)
      expect(dagCbor.encode(fact.value)).toEqual(bytes)
    }
    expect([...types].sort()).toEqual(
      ['account', 'committee', 'genesis', 'grants', 'head', 'node', 'supply', 'uptime'].sort(),
    )
  })

  it('proofs survive their wire encoding', () => {
    for (const { key } of facts) {
      const fact = proveFact(state, key)
      const proof = decodeStateProof(encodeStateProof(fact.proof))
      expect(verifyFact(state.root, key, fact.value, proof)).toBe(true)
    }
  })

  it('never throws anything but LedgerDecodeError on random or mutated fact values and proofs (fuzz)', () => {
    const onlyTyped = (f: () => unknown) => {
      try {
        f()
      } catch (err) {
        expect(err).toBeInstanceOf(LedgerError)
        expect((err as Error).name).toBe('LedgerDecodeError')
      }
    }
    fc.assert(
      fc.property(
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.uint8Array({ maxLength: 80 }),
        (pick, at, flip, junk) => {
          const { key, bytes } = facts[pick % facts.length]!
          const m = bytes.slice()
          m[at % m.length]! ^= flip
          onlyTyped(() => decodeFactValue(key, m))
          onlyTyped(() => decodeFactValue(key, bytes.subarray(0, at % bytes.length)))
          onlyTyped(() => decodeFactValue(key, junk))
          const proof = encodeStateProof(proveFact(state, key).proof)
          const pm = proof.slice()
          pm[at % pm.length]! ^= flip
          onlyTyped(() => decodeStateProof(pm))
          onlyTyped(() => decodeStateProof(junk))
        },
      ),
      { numRuns: 2_000 },
    )
    fc.assert(
      fc.property(fc.constantFrom(...facts.map((f) => f.key)), fc.jsonValue(), (key, v) => {
        const bytes = dagCbor.encode(v)
        onlyTyped(() => decodeFactValue(key, bytes))
        onlyTyped(() => decodeStateProof(bytes))
      }),
      { numRuns: 500 },
    )
    for (const key of [
      '',
      'account/zz',
      'account/' + '0'.repeat(63),
      'meta/other',
      'committee/01',
      'slashed/x',
      'nope/1',
    ]) {
      onlyTyped(() => decodeFactValue(key, facts[0]!.bytes))
      expect(isStateKey(key)).toBe(false)
    }
    expect(() =>
      decodeStateProof(dagCbor.encode({ siblings: new Array(257).fill(new Uint8Array(32)) })),
    ).toThrow(LedgerError)
  })
})
