import { ed25519 } from '@noble/curves/ed25519.js'
import { describe, expect, it } from 'vitest'
import { encodeVote, voteSignBytes, type Vote } from '../consensus/vote'
import { createLedgerApp } from './app'
import { toHex } from './codec'
import { UNBONDING_EPOCHS } from './constants'
import { account, checkSupply, proveFact, supplyCounters } from './queries'
import type { LedgerState } from './state'
import {
  alice,
  bob,
  carol,
  nextContext,
  nobleVerifier,
  testGenesis,
  thrown,
  tx,
  type Who,
} from './test-support'
import { decodeFactValue, slashedKey } from './values'

const ledger = createLedgerApp({ genesis: testGenesis(), verifier: nobleVerifier })
const CHAIN = 'hypermesh-test'

/** A vote signed with noble's ed25519 by `w`. */
function vote(w: Who, fields: Partial<Vote> = {}): Uint8Array {
  const v: Vote = {
    chainId: CHAIN,
    height: 2,
    round: 0,
    type: 'precommit',
    blockHash: new Uint8Array(32).fill(1),
    timestamp: 1_000,
    validator: w.publicKey,
    ...fields,
  }
  return encodeVote({ ...v, signature: ed25519.sign(voteSignBytes(v), w.secretKey) })
}

function slash(state: LedgerState, a: Uint8Array, b: Uint8Array, by: Who = carol): Uint8Array {
  return tx(state, by, 'slash', { a, b })
}

function advance(state: LedgerState, height: number): LedgerState {
  let s = state
  while (s.height < height) s = ledger.app.executeBlock(s, nextContext(s, [alice, bob]), [])
  return s
}

function refusedWith(state: LedgerState, t: Uint8Array): Error {
  const before = toHex(state.root)
  const err = thrown(() => ledger.app.executeBlock(state, nextContext(state), [t]))
  expect(toHex(state.root)).toBe(before)
  expect(thrown(() => ledger.app.checkTx(state, t))).toMatchObject({ name: err.name })
  return err
}

describe('slashing', () => {
  const s0 = ledger.genesisState
  // bob unbonds 100 in block 1: stake 400, unbonding 100, both slashable.
  const s1 = ledger.app.executeBlock(s0, nextContext(s0), [
    tx(s0, bob, 'unstake', { amount: 100n }),
  ])
  const s3 = advance(s1, 3)
  const a = vote(bob)
  const b = vote(bob, { blockHash: new Uint8Array(32).fill(2) })

  it('burns the configured share of stake and unbonding for a real equivocation, once', () => {
    const burnedBefore = supplyCounters(s3).burned
    const s4 = ledger.app.executeBlock(s3, nextContext(s3), [slash(s3, a, b)])
    expect(account(s4, bob.publicKey)).toMatchObject({
      stake: 360n,
      unbonding: [{ amount: 90n, release: UNBONDING_EPOCHS }],
    })
    // 10 % of 400 + 10 % of 100, plus carol's fee of 1.
    expect(supplyCounters(s4).burned - burnedBefore).toBe(51n)
    expect(checkSupply(s4).ok).toBe(true)
    const key = slashedKey(bob.publicKey, 2, 0, 'precommit')
    expect(decodeFactValue(key, proveFact(s4, key).value)).toEqual({
      type: 'slashed',
      value: { at: 4, burned: 50n },
    })
    // The same equivocation again, in either order: refused.
    expect(refusedWith(s4, slash(s4, b, a))).toMatchObject({
      name: 'DuplicateEvidenceError',
      code: 'ERR_DUPLICATE_EVIDENCE',
    })
    // Twice in one block: the second is refused.
    expect(
      thrown(() =>
        ledger.app.executeBlock(s3, nextContext(s3), [
          slash(s3, a, b),
          tx(s3, carol, 'slash', { a, b }, { nonce: 1 }),
        ]),
      ),
    ).toMatchObject({
      name: 'DuplicateEvidenceError',
      txIndex: 1,
    })
    // Another round is another offence; a nil vote against a block counts.
    const s5 = ledger.app.executeBlock(s4, nextContext(s4), [
      slash(s4, vote(bob, { round: 1 }), vote(bob, { round: 1, blockHash: null })),
    ])
    expect(account(s5, bob.publicKey)?.stake).toBe(324n)
  })

  it('refuses evidence that is not two validly signed conflicting votes of a validator', () => {
    const refused = (x: Uint8Array, y: Uint8Array, reason: string) =>
      expect(refusedWith(s3, slash(s3, x, y))).toMatchObject({
        name: 'BadEvidenceError',
        code: 'ERR_BAD_EVIDENCE',
        reason,
      })
    refused(a, vote(bob), 'not-equivocation')
    refused(a, vote(bob, { round: 1, blockHash: new Uint8Array(32).fill(2) }), 'not-equivocation')
    refused(a, vote(alice, { blockHash: new Uint8Array(32).fill(2) }), 'not-equivocation')
    refused(
      vote(bob, { chainId: 'other' }),
      vote(bob, { chainId: 'other', blockHash: null }),
      'wrong-chain',
    )
    refused(vote(carol), vote(carol, { blockHash: null }), 'not-validator')
    refused(vote(bob, { height: 4 }), vote(bob, { height: 4, blockHash: null }), 'future')
    refused(Uint8Array.of(1, 2, 3), b, 'format')
    // bob's key on a vote carol signed.
    const forged = (() => {
      const v: Vote = {
        chainId: CHAIN,
        height: 2,
        round: 0,
        type: 'precommit',
        blockHash: null,
        timestamp: 1_000,
        validator: bob.publicKey,
      }
      return encodeVote({ ...v, signature: ed25519.sign(voteSignBytes(v), carol.secretKey) })
    })()
    refused(a, forged, 'signature')
  })

  it('refuses evidence older than the evidence window', () => {
    // Height 2 is in epoch 0; at height 13 the ledger is in epoch 3 (0 + 2 < 3).
    const s12 = advance(s3, 12)
    expect(refusedWith(s12, slash(s12, a, b))).toMatchObject({
      name: 'BadEvidenceError',
      reason: 'too-old',
    })
    // Still accepted at the last block of epoch 2.
    const s11 = advance(s3, 11)
    expect(
      account(ledger.app.executeBlock(s11, nextContext(s11), [slash(s11, a, b)]), bob.publicKey)
        ?.stake,
    ).toBe(360n)
  })
})
