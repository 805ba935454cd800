import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createLedgerApp } from './app'
import { toHex } from './codec'
import { electCommittee, epochOf, firstHeightOf, lastHeightOf, scalePowers } from './committee'
import { MAX_TOTAL_POWER, UNBONDING_EPOCHS } from './constants'
import type { GenesisConfig } from './genesis'
import { account, checkSupply, proveFact } from './queries'
import type { LedgerState } from './state'
import {
  alice,
  bob,
  carol,
  dave,
  nextContext,
  nobleVerifier,
  testGenesis,
  thrown,
  tx,
  type Who,
} from './test-support'
import { committeeKey, decodeFactValue, UPTIME_KEY } from './values'

function setup(overrides: Partial<GenesisConfig> = {}) {
  return createLedgerApp({ genesis: testGenesis(overrides), verifier: nobleVerifier })
}

type Ledger = ReturnType<typeof setup>

/** Blocks until `height`, each signed by `signers`, with `txsAt(state)` in each. */
function runTo(
  ledger: Ledger,
  state: LedgerState,
  height: number,
  signers: readonly Who[],
  txsAt: (s: LedgerState) => Uint8Array[] = () => [],
): LedgerState {
  let s = state
  while (s.height < height) s = ledger.app.executeBlock(s, nextContext(s, signers), txsAt(s))
  return s
}

const members = (ledger: Ledger, s: LedgerState, height: number) =>
  ledger.app.committee(s, height).map((m) => [toHex(m.publicKey).slice(0, 8), m.power])
const short = (w: Who) => toHex(w.publicKey).slice(0, 8)

describe('epochs', () => {
  it('numbers heights 1…L as epoch 0', () => {
    expect([0, 1, 4, 5, 8, 9].map((h) => epochOf(h, 4))).toEqual([0, 0, 0, 1, 1, 2])
    expect(firstHeightOf(2, 4)).toBe(9)
    expect(lastHeightOf(2, 4)).toBe(12)
  })
})

describe('election', () => {
  it('orders by weight, then public key bytes; drops zero weights; keeps the top maxValidators', () => {
    const k = (b: number) => new Uint8Array(32).fill(b)
    const elected = electCommittee(
      [
        { publicKey: k(3), weight: 10n },
        { publicKey: k(1), weight: 10n },
        { publicKey: k(2), weight: 30n },
        { publicKey: k(4), weight: 0n },
        { publicKey: k(5), weight: 5n },
      ],
      3,
    )
    expect(elected).toEqual([
      { publicKey: k(2), power: 30 },
      { publicKey: k(1), power: 10 },
      { publicKey: k(3), power: 10 },
    ])
  })

  it('scales powers so the total is a safe integer and every member keeps a vote', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 1n, max: 2n ** 64n * 1_000n }), { minLength: 1, maxLength: 128 }),
        (weights) => {
          const powers = scalePowers(weights)
          const total = powers.reduce((a, b) => a + b, 0)
          expect(Number.isSafeInteger(total)).toBe(true)
          expect(total).toBeLessThanOrEqual(MAX_TOTAL_POWER + weights.length)
          for (const p of powers) expect(p).toBeGreaterThanOrEqual(1)
          // Order is preserved.
          for (let i = 0; i < weights.length; i++) {
            for (let j = 0; j < weights.length; j++) {
              if (weights[i]! > weights[j]!) expect(powers[i]).toBeGreaterThanOrEqual(powers[j]!)
            }
          }
        },
      ),
    )
    expect(scalePowers([5n, 7n])).toEqual([5, 7])
  })
})

describe('committee of the ledger', () => {
  it('uses the anchors for epochs 0 and 1 and knows nothing further at genesis', () => {
    const ledger = setup()
    const s0 = ledger.genesisState
    expect(members(ledger, s0, 1)).toEqual([
      [short(alice), 1_000],
      [short(bob), 500],
    ])
    expect(members(ledger, s0, 8)).toEqual(members(ledger, s0, 1))
    expect(thrown(() => ledger.app.committee(s0, 9))).toMatchObject({
      name: 'CommitteeUnknownError',
    })
    expect(thrown(() => ledger.app.committee(s0, 0))).toMatchObject({
      name: 'CommitteeUnknownError',
    })
  })

  it('elects the committee of epoch e + 2 at the last block of e, from stake × uptime', () => {
    const ledger = setup()
    const s0 = ledger.genesisState
    // carol stakes in block 1; bob never signs a commit.
    const s1 = ledger.app.executeBlock(s0, nextContext(s0), [
      tx(s0, carol, 'stake', { amount: 2_000n }),
    ])
    const s3 = runTo(ledger, s1, 3, [alice])
    expect(thrown(() => ledger.app.committee(s3, 9))).toMatchObject({
      name: 'CommitteeUnknownError',
    })
    const uptime = decodeFactValue(UPTIME_KEY, proveFact(s3, UPTIME_KEY).value)
    expect(uptime).toEqual({ type: 'uptime', value: { epoch: 0, blocks: 2, signed: [2, 0] } })
    const s4 = runTo(ledger, s3, 4, [alice])
    // Staking in epoch 0 changes nothing before epoch 2.
    expect(members(ledger, s4, 5)).toEqual(members(ledger, s0, 1))
    expect(members(ledger, s4, 8)).toEqual(members(ledger, s0, 1))
    // carol: stake 2000, active (her stake tx) → 2000 × 3; alice signed 3 of 3 → 1000 × 3; bob 0.
    expect(members(ledger, s4, 9)).toEqual([
      [short(carol), 6_000],
      [short(alice), 3_000],
    ])
    expect(members(ledger, s4, 12)).toEqual(members(ledger, s4, 9))
    expect(thrown(() => ledger.app.committee(s4, 13))).toMatchObject({
      name: 'CommitteeUnknownError',
    })
  })

  it('counts an idle staker out, caps the committee, and keeps the next committee when nobody qualifies', () => {
    const ledger = setup({ maxValidators: 2 })
    const s0 = ledger.genesisState
    const s1 = ledger.app.executeBlock(s0, nextContext(s0), [
      tx(s0, carol, 'stake', { amount: 100n }),
      tx(s0, carol, 'transfer', { to: dave.publicKey, amount: 5_000n }, { nonce: 1 }),
    ])
    const s2 = ledger.app.executeBlock(s1, nextContext(s1, [alice, bob]), [
      tx(s1, dave, 'stake', { amount: 4_000n }),
    ])
    const s4 = runTo(ledger, s2, 4, [alice, bob])
    // dave 4000 × 3, alice 1000 × 3 (signed 3), bob 500 × 3, carol 100 × 3: top 2.
    expect(members(ledger, s4, 9)).toEqual([
      [short(dave), 12_000],
      [short(alice), 3_000],
    ])
    // Epoch 1: nobody signs, nobody sends: no candidate has weight → epoch 3 keeps epoch 2's.
    const s8 = runTo(ledger, s4, 8, [])
    expect(members(ledger, s8, 13)).toEqual(members(ledger, s8, 9))
  })

  it('prunes committees older than the evidence window', () => {
    const ledger = setup()
    const s = runTo(ledger, ledger.genesisState, 13, [alice, bob])
    expect(thrown(() => proveFact(s, committeeKey(0)))).toMatchObject({ name: 'UnknownFactError' })
    expect(ledger.app.committee(s, 5).length).toBe(2)
    expect(thrown(() => ledger.app.committee(s, 4))).toMatchObject({
      name: 'CommitteeUnknownError',
    })
  })
})

describe('unbonding', () => {
  it('releases unstaked credits at the first block of epoch current + UNBONDING_EPOCHS, slashable until then', () => {
    const ledger = setup()
    const s0 = ledger.genesisState
    const s1 = ledger.app.executeBlock(s0, nextContext(s0), [
      tx(s0, carol, 'stake', { amount: 300n }),
    ])
    const s2 = ledger.app.executeBlock(s1, nextContext(s1), [
      tx(s1, carol, 'unstake', { amount: 100n }),
      tx(s1, carol, 'unstake', { amount: 50n }, { nonce: 2 }),
    ])
    expect(account(s2, carol.publicKey)).toMatchObject({
      balance: 10_000n - 303n,
      stake: 150n,
      unbonding: [{ amount: 150n, release: UNBONDING_EPOCHS }],
    })
    const s5 = runTo(ledger, s2, 5, [alice, bob])
    // Epoch 1: another unstake, released at epoch 1 + UNBONDING_EPOCHS.
    const s6 = ledger.app.executeBlock(s5, nextContext(s5, [alice, bob]), [
      tx(s5, carol, 'unstake', { amount: 10n }),
    ])
    expect(account(s6, carol.publicKey)?.unbonding).toEqual([
      { amount: 150n, release: UNBONDING_EPOCHS },
      { amount: 10n, release: 1 + UNBONDING_EPOCHS },
    ])
    // Epochs are 4 blocks: epoch e starts at height 4e + 1.
    const first = (epoch: number) => 4 * epoch + 1
    const before = runTo(ledger, s6, first(UNBONDING_EPOCHS) - 1, [alice, bob])
    expect(account(before, carol.publicKey)?.balance).toBe(10_000n - 304n)
    const released = runTo(ledger, before, first(UNBONDING_EPOCHS), [alice, bob])
    expect(account(released, carol.publicKey)).toMatchObject({
      balance: 10_000n - 304n + 150n,
      stake: 140n,
      unbonding: [{ amount: 10n, release: 1 + UNBONDING_EPOCHS }],
    })
    const all = runTo(ledger, released, first(1 + UNBONDING_EPOCHS), [alice, bob])
    expect(account(all, carol.publicKey)).toMatchObject({
      balance: 10_000n - 304n + 160n,
      unbonding: [],
    })
    for (const s of [s2, s6, released, all]) expect(checkSupply(s).ok).toBe(true)
  })

  it('does not count unbonding credits in the election', () => {
    const ledger = setup()
    const s0 = ledger.genesisState
    const s1 = ledger.app.executeBlock(s0, nextContext(s0), [
      tx(s0, alice, 'unstake', { amount: 1_000n }),
    ])
    const s4 = runTo(ledger, s1, 4, [alice, bob])
    expect(members(ledger, s4, 9)).toEqual([[short(bob), 1_500]])
  })
})
