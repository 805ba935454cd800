import { describe, expect, it } from 'vitest'
import { createLedgerApp } from './app'
import { toHex } from './codec'
import { MAX_AMOUNT, MEMPOOL_NONCE_WINDOW } from './constants'
import { decodeFactValue, accountKey, nodeKey, HEAD_KEY } from './values'
import { account, checkSupply, proveFact, totalSupply, verifyFact } from './queries'
import type { LedgerState } from './state'
import {
  alice,
  bob,
  carol,
  dave,
  nextContext,
  nobleVerifier,
  nodeVerifier,
  stampFor,
  testGenesis,
  thrown,
  tx,
  who,
} from './test-support'
import { buildTx, decodeTx } from './tx'
import type { GenesisConfig } from './genesis'

function setup(overrides: Partial<GenesisConfig> = {}, verifier = nobleVerifier) {
  return createLedgerApp({ genesis: testGenesis(overrides), verifier })
}

/**
 * Assert that executing `txs` on `state` throws `name` at `txIndex`, that checkTx of the offending
 * transaction says the same, and that the input state's root did not move.
 */
function expectRefused(
  ledger: ReturnType<typeof setup>,
  state: LedgerState,
  txs: Uint8Array[],
  name: string,
  txIndex = txs.length - 1,
): void {
  const before = toHex(ledger.app.stateRoot(state))
  const err = thrown(() => ledger.app.executeBlock(state, nextContext(state), txs))
  expect(err).toMatchObject({ name, txIndex })
  expect(toHex(ledger.app.stateRoot(state))).toBe(before)
  expect(toHex(state.root)).toBe(before)
  if (txs.length === 1) {
    expect(thrown(() => ledger.app.checkTx(state, txs[0]!))).toMatchObject({ name })
  }
}

describe('ledger application: transfers', () => {
  it('moves credits, burns the fee, advances the nonce, and conserves supply', () => {
    const ledger = setup()
    const s0 = ledger.genesisState
    expect(totalSupply(s0)).toBe(30_000n + 1_500n)
    const t = tx(s0, alice, 'transfer', { to: bob.publicKey, amount: 250n }, { fee: 3n })
    ledger.app.checkTx(s0, t)
    const s1 = ledger.app.executeBlock(s0, nextContext(s0), [t])
    expect(account(s1, alice.publicKey)).toMatchObject({
      balance: 10_000n - 253n,
      nonce: 1,
      active: 0,
    })
    expect(account(s1, bob.publicKey)).toMatchObject({ balance: 10_250n, nonce: 0 })
    expect(totalSupply(s1)).toBe(31_500n - 3n)
    expect(checkSupply(s1)).toMatchObject({ ok: true })
    // The input state is untouched.
    expect(account(s0, alice.publicKey)?.balance).toBe(10_000n)
    expect(s1.height).toBe(1)
    expect(s1.time).toBe(s0.time + 1_000)
  })

  it('creates the recipient account, and handles a transfer to oneself', () => {
    const ledger = setup()
    const s0 = ledger.genesisState
    const s1 = ledger.app.executeBlock(s0, nextContext(s0), [
      tx(s0, alice, 'transfer', { to: dave.publicKey, amount: 7n }),
      tx(s0, carol, 'transfer', { to: carol.publicKey, amount: 100n }),
    ])
    expect(account(s1, dave.publicKey)).toMatchObject({ balance: 7n, nonce: 0, stake: 0n })
    expect(account(s1, carol.publicKey)).toMatchObject({ balance: 9_999n, nonce: 1 })
    expect(checkSupply(s1).ok).toBe(true)
  })

  it('executes sequential transactions of one sender in one block', () => {
    const ledger = setup()
    const s0 = ledger.genesisState
    const txs = [0, 1, 2].map((nonce) =>
      tx(s0, alice, 'transfer', { to: bob.publicKey, amount: 10n }, { nonce }),
    )
    const s1 = ledger.app.executeBlock(s0, nextContext(s0), txs)
    expect(account(s1, alice.publicKey)).toMatchObject({ balance: 10_000n - 33n, nonce: 3 })
  })

  it('runs an empty block', () => {
    const ledger = setup()
    const s0 = ledger.genesisState
    const s1 = ledger.app.executeBlock(s0, nextContext(s0), [])
    expect(s1.height).toBe(1)
    expect(decodeFactValue(HEAD_KEY, proveFact(s1, HEAD_KEY).value)).toEqual({
      type: 'head',
      value: { height: 1, time: s0.time + 1_000 },
    })
  })
})

describe('ledger application: every refusal has its typed error and leaves the state as it was', () => {
  const ledger = setup()
  const s0 = ledger.genesisState

  it('bad signature', () => {
    const good = tx(s0, alice, 'transfer', { to: bob.publicKey, amount: 1n })
    const forged = buildTx(
      {
        chain: s0.genesis.chainId,
        kind: 'transfer',
        from: alice.publicKey,
        nonce: 0,
        fee: 1n,
        body: { to: bob.publicKey, amount: 1n },
      },
      bob.sign,
    )
    expectRefused(ledger, s0, [forged], 'BadSignatureError')
    // A flipped signature byte (the envelope's last field is the nonce: find the signature).
    const flipped = good.slice()
    const sig = decodeTx(good).sig
    const at = flipped.findIndex((_, i) => sig.every((b, j) => flipped[i + j] === b))
    flipped[at + 10]! ^= 1
    expectRefused(ledger, s0, [flipped], 'BadSignatureError')
    // A good transaction before the bad one does not survive either.
    expectRefused(
      ledger,
      s0,
      [tx(s0, bob, 'transfer', { to: carol.publicKey, amount: 1n }), forged],
      'BadSignatureError',
      1,
    )
  })

  it('wrong nonce, and a replayed transaction (double spend)', () => {
    // A later nonce within the window waits in the mempool (checkTx admits it) but never executes
    // before the ones in front of it; beyond the window even the mempool refuses it.
    const early = tx(s0, alice, 'transfer', { to: bob.publicKey, amount: 1n }, { nonce: 1 })
    expect(thrown(() => ledger.app.executeBlock(s0, nextContext(s0), [early]))).toMatchObject({
      name: 'BadNonceError',
      txIndex: 0,
    })
    expect(() => ledger.app.checkTx(s0, early)).not.toThrow()
    expectRefused(
      ledger,
      s0,
      [
        tx(
          s0,
          alice,
          'transfer',
          { to: bob.publicKey, amount: 1n },
          { nonce: MEMPOOL_NONCE_WINDOW },
        ),
      ],
      'BadNonceError',
    )
    const spend = tx(s0, alice, 'transfer', { to: bob.publicKey, amount: 9_000n })
    expectRefused(ledger, s0, [spend, spend], 'BadNonceError', 1)
    const s1 = ledger.app.executeBlock(s0, nextContext(s0), [spend])
    expectRefused(ledger, s1, [spend], 'BadNonceError')
    expect(thrown(() => ledger.app.checkTx(s1, spend))).toMatchObject({
      name: 'BadNonceError',
      code: 'ERR_BAD_NONCE',
      expected: 1,
      actual: 0,
    })
  })

  it('insufficient funds: amount, fee, and amount plus fee', () => {
    expectRefused(
      ledger,
      s0,
      [tx(s0, carol, 'transfer', { to: bob.publicKey, amount: 10_001n }, { fee: 0n })],
      'InsufficientFundsError',
    )
    expectRefused(
      ledger,
      s0,
      [tx(s0, carol, 'transfer', { to: bob.publicKey, amount: 1n }, { fee: 10_001n })],
      'InsufficientFundsError',
    )
    expectRefused(
      ledger,
      s0,
      [tx(s0, carol, 'transfer', { to: bob.publicKey, amount: 10_000n }, { fee: 1n })],
      'InsufficientFundsError',
    )
    expectRefused(
      ledger,
      s0,
      [tx(s0, carol, 'stake', { amount: 10_000n })],
      'InsufficientFundsError',
    )
  })

  it('unknown sender account', () => {
    expectRefused(
      ledger,
      s0,
      [tx(s0, dave, 'transfer', { to: bob.publicKey, amount: 1n }, { fee: 0n })],
      'UnknownAccountError',
    )
  })

  it('oversize transaction', () => {
    const big = setup({ maxTxBytes: 1_024 })
    const bytes = tx(big.genesisState, alice, 'register-node', {
      stamp: 'x',
      cert: new Uint8Array(1_000),
    })
    expectRefused(big, big.genesisState, [bytes], 'TxTooLargeError')
    expect(thrown(() => big.app.checkTx(big.genesisState, bytes))).toMatchObject({
      code: 'ERR_TX_TOO_LARGE',
      limit: 1_024,
    })
  })

  it('unknown kind, wrong chain, malformed bytes', () => {
    const unknown = thrown(() => tx(s0, alice, 'mint-me', { amount: 1n }))
    expect(unknown).toMatchObject({ name: 'UnknownTxKindError', kind: 'mint-me' })
    // Built with a registry that knows the kind, refused by the ledger that does not.
    const custom = new Map(ledger.kinds)
    custom.set('mint-me', {
      kind: 'mint-me',
      decodeBody: (raw) => raw,
      check: () => {},
      apply: () => {},
    })
    const bytes = buildTx(
      {
        chain: s0.genesis.chainId,
        kind: 'mint-me',
        from: alice.publicKey,
        nonce: 0,
        fee: 0n,
        body: {},
      },
      alice.sign,
      { kinds: custom },
    )
    expectRefused(ledger, s0, [bytes], 'UnknownTxKindError')
    expectRefused(
      ledger,
      s0,
      [tx(s0, alice, 'transfer', { to: bob.publicKey, amount: 1n }, { chain: 'other-chain' })],
      'WrongChainError',
    )
    expectRefused(ledger, s0, [Uint8Array.of(0xa0)], 'LedgerDecodeError')
    expectRefused(ledger, s0, [new Uint8Array(0)], 'LedgerDecodeError')
  })

  it('zero amounts and unstaking more than the stake', () => {
    expectRefused(
      ledger,
      s0,
      [tx(s0, alice, 'transfer', { to: bob.publicKey, amount: 0n })],
      'InvalidAmountError',
    )
    expectRefused(ledger, s0, [tx(s0, alice, 'stake', { amount: 0n })], 'InvalidAmountError')
    expectRefused(
      ledger,
      s0,
      [tx(s0, alice, 'unstake', { amount: 1_001n })],
      'InsufficientStakeError',
    )
    expectRefused(ledger, s0, [tx(s0, carol, 'unstake', { amount: 1n })], 'InsufficientStakeError')
  })

  it('bad block contexts and too many transactions', () => {
    const base = nextContext(s0)
    const t = tx(s0, alice, 'transfer', { to: bob.publicKey, amount: 1n })
    for (const context of [
      { ...base, chainId: 'x' },
      { ...base, height: 2 },
      { ...base, time: s0.time - 1 },
      { ...base, time: 1.5 },
      { ...base, lastCommitSigners: [new Uint8Array(3)] },
    ]) {
      expect(thrown(() => ledger.app.executeBlock(s0, context, [t]))).toMatchObject({
        name: 'BadBlockContextError',
      })
    }
    const s1 = ledger.app.executeBlock(s0, base, [])
    expect(
      thrown(() => ledger.app.executeBlock(s1, { ...nextContext(s1), time: s1.time }, [])),
    ).toMatchObject({
      name: 'BadBlockContextError',
    })
    const small = setup({ maxBlockTxs: 1 })
    expect(
      thrown(() =>
        small.app.executeBlock(small.genesisState, nextContext(small.genesisState), [t, t]),
      ),
    ).toMatchObject({
      name: 'BlockTooLargeError',
      code: 'ERR_BLOCK_TOO_LARGE',
    })
  })

  it('errors serialise as { name, code, message, txIndex }', () => {
    const err = thrown(() =>
      ledger.app.executeBlock(s0, nextContext(s0), [
        tx(s0, dave, 'stake', { amount: 1n }, { fee: 0n }),
      ]),
    )
    expect(JSON.parse(JSON.stringify(err))).toEqual({
      name: 'UnknownAccountError',
      code: 'ERR_UNKNOWN_ACCOUNT',
      message: expect.any(String),
      txIndex: 0,
    })
  })
})

describe('ledger application: determinism and proofs', () => {
  function run(verifier = nobleVerifier) {
    const ledger = setup({}, verifier)
    let s = ledger.genesisState
    const roots: string[] = [toHex(ledger.app.stateRoot(s))]
    const plan: [typeof alice, string, unknown][][] = [
      [
        [alice, 'transfer', { to: bob.publicKey, amount: 5n }],
        [carol, 'stake', { amount: 300n }],
      ],
      [[bob, 'transfer', { to: dave.publicKey, amount: 50n }]],
      [
        [carol, 'unstake', { amount: 100n }],
        [alice, 'transfer', { to: carol.publicKey, amount: 1n }],
      ],
    ]
    for (const block of plan) {
      const txs = block.map(([w, kind, body]) => tx(s, w, kind, body))
      s = ledger.app.executeBlock(s, nextContext(s, [alice, bob]), txs)
      roots.push(toHex(ledger.app.stateRoot(s)))
    }
    return { ledger, state: s, roots }
  }

  it('gives the same roots for the same genesis and blocks, whatever the verifier', () => {
    const a = run()
    const b = run(nodeVerifier)
    expect(a.roots).toEqual(b.roots)
    expect(new Set(a.roots).size).toBe(a.roots.length)
  })

  it('proves facts that verify offline, and fail when tampered', () => {
    const { ledger, state } = run()
    const root = ledger.app.stateRoot(state)
    for (const key of [
      accountKey(alice.publicKey),
      accountKey(dave.publicKey),
      HEAD_KEY,
      'meta/supply',
      'committee/0',
    ]) {
      const fact = proveFact(state, key)
      expect(verifyFact(root, key, fact.value, fact.proof)).toBe(true)
      const value = fact.value.slice()
      value[value.length - 1]! ^= 1
      expect(verifyFact(root, key, value, fact.proof)).toBe(false)
      expect(verifyFact(root, `${key}0`, fact.value, fact.proof)).toBe(false)
    }
    const dv = decodeFactValue(
      accountKey(dave.publicKey),
      proveFact(state, accountKey(dave.publicKey)).value,
    )
    expect(dv).toEqual({
      type: 'account',
      value: { balance: 50n, stake: 0n, unbonding: [], nonce: 0, active: null },
    })
    // A proof for one key does not prove another key's value.
    const a = proveFact(state, accountKey(alice.publicKey))
    expect(verifyFact(root, accountKey(bob.publicKey), a.value, a.proof)).toBe(false)
    expect(thrown(() => proveFact(state, nodeKey(alice.publicKey)))).toMatchObject({
      name: 'UnknownFactError',
    })
  })

  it('executes a block of 2,000 transfers between 2,000 accounts', () => {
    const genesis = testGenesis({
      allocations: Array.from({ length: 1_000 }, (_, i) => ({
        publicKey: who(`payer-${i}`).publicKey,
        amount: 1_000n,
      })),
    })
    const ledger = createLedgerApp({ genesis, verifier: nodeVerifier })
    const s0 = ledger.genesisState
    const txs: Uint8Array[] = []
    for (let i = 0; i < 1_000; i++) {
      const payer = who(`payer-${i}`)
      for (let nonce = 0; nonce < 2; nonce++) {
        txs.push(
          tx(
            s0,
            payer,
            'transfer',
            { to: who(`payee-${(i + nonce) % 1_000}`).publicKey, amount: 10n },
            { nonce },
          ),
        )
      }
    }
    const s1 = ledger.app.executeBlock(s0, nextContext(s0), txs)
    expect(account(s1, who('payer-5').publicKey)).toMatchObject({ balance: 1_000n - 22n, nonce: 2 })
    expect(account(s1, who('payee-5').publicKey)).toMatchObject({ balance: 20n })
    expect(checkSupply(s1)).toMatchObject({ ok: true })
    expect(totalSupply(s1)).toBe(totalSupply(s0) - 2_000n)
  })

  it('keeps every amount below 2^64', () => {
    const ledger = setup({
      allocations: [{ publicKey: alice.publicKey, amount: MAX_AMOUNT - 1_500n }],
    })
    expect(totalSupply(ledger.genesisState)).toBe(MAX_AMOUNT)
    const s = ledger.genesisState
    // A registration grant would pass 2^64 - 1 in circulation: the node registers without it.
    const s1 = ledger.app.executeBlock(s, nextContext(s), [
      tx(s, dave, 'register-node', { stamp: stampFor(s, dave), cert: null }, { fee: 0n }),
    ])
    expect(account(s1, dave.publicKey)?.balance).toBe(0n)
    expect(checkSupply(s1).ok).toBe(true)
  })
})
