import * as dagCbor from '@ipld/dag-cbor'
import { describe, expect, it } from 'vitest'
import { createLedgerApp } from './app'
import { LedgerDecodeError } from './errors'
import { account } from './queries'
import { decodeLedgerState, encodeLedgerState } from './snapshot'
import type { LedgerState } from './state'
import {
  alice,
  bob,
  carol,
  dave,
  nextContext,
  nodeVerifier,
  stampFor,
  testGenesis,
  tx,
} from './test-support'

describe('ledger state snapshots', () => {
  const { app, genesisState } = createLedgerApp({ genesis: testGenesis(), verifier: nodeVerifier })

  function grow(): LedgerState {
    let state = genesisState
    for (let i = 0; i < 9; i++) {
      const txs = [
        tx(state, alice, 'transfer', { to: bob.publicKey, amount: BigInt(10 + i) }),
        tx(state, carol, 'transfer', { to: dave.publicKey, amount: 5n }),
      ]
      if (i === 2)
        txs.push(tx(state, dave, 'register-node', { stamp: stampFor(state, dave), cert: null }))
      if (i === 4) txs.push(tx(state, bob, 'stake', { amount: 100n }))
      state = app.executeBlock(state, nextContext(state, [alice, bob]), txs)
    }
    return state
  }

  it('round-trips: same root, same balances, and the next block executes identically', () => {
    const state = grow()
    const copy = decodeLedgerState(encodeLedgerState(state))
    expect(app.stateRoot(copy)).toEqual(app.stateRoot(state))
    expect(copy.height).toBe(state.height)
    expect(copy.time).toBe(state.time)
    expect(account(copy, dave.publicKey)).toEqual(account(state, dave.publicKey))
    const next = [tx(state, alice, 'transfer', { to: carol.publicKey, amount: 7n })]
    const a = app.executeBlock(state, nextContext(state, [alice]), next)
    const b = app.executeBlock(copy, nextContext(copy, [alice]), next)
    expect(app.stateRoot(b)).toEqual(app.stateRoot(a))
  })

  it('refuses a snapshot whose entries were changed', () => {
    const raw = dagCbor.decode(encodeLedgerState(grow())) as { e: [string, Uint8Array][] }
    const i = raw.e.findIndex(([k]) => k.startsWith('account/'))
    const value = dagCbor.decode(raw.e[i]![1]) as { balance: number | bigint }
    value.balance = BigInt(value.balance) + 1n
    raw.e[i]![1] = dagCbor.encode(value)
    expect(() => decodeLedgerState(dagCbor.encode(raw))).toThrow(LedgerDecodeError)
    expect(() => decodeLedgerState(new Uint8Array([1, 2, 3]))).toThrow(LedgerDecodeError)
  })
})
