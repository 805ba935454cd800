import * as dagCbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createGenesisState } from './app'
import { toHex } from './codec'
import { MAX_AMOUNT } from './constants'
import { LedgerError } from './errors'
import { decodeGenesis, encodeGenesis, genesisHash, validateGenesis } from './genesis'
import { account, checkSupply, proveFact, totalSupply } from './queries'
import { alice, bob, carol, testGenesis, thrown } from './test-support'
import { decodeFactValue, GENESIS_KEY } from './values'

const invalid = (overrides: Record<string, unknown>) =>
  thrown(() => validateGenesis({ ...testGenesis(), ...overrides }))

describe('genesis configuration', () => {
  it('validates, normalises amounts to bigint and freezes', () => {
    const g = validateGenesis({
      ...testGenesis(),
      registrationGrant: 5,
      allocations: [{ publicKey: carol.publicKey, amount: 7 }],
      trustchainRoot: null,
    })
    expect(g.registrationGrant).toBe(5n)
    expect(g.allocations[0]!.amount).toBe(7n)
    expect('trustchainRoot' in g).toBe(false)
    expect(Object.isFrozen(g)).toBe(true)
  })

  it('refuses each broken rule with InvalidGenesisError naming the field', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ chainId: '' }, 'chainId'],
      [{ chainId: 'has space' }, 'chainId'],
      [{ chainId: 'x'.repeat(65) }, 'chainId'],
      [{ genesisTime: -1 }, 'genesisTime'],
      [{ anchorValidators: [] }, 'anchorValidators'],
      [
        { anchorValidators: [{ publicKey: alice.publicKey, stake: 0n }] },
        'anchorValidators[0].stake',
      ],
      [
        { anchorValidators: [{ publicKey: new Uint8Array(31), stake: 1n }] },
        'anchorValidators[0].publicKey',
      ],
      [
        {
          anchorValidators: [
            { publicKey: alice.publicKey, stake: 1n },
            { publicKey: alice.publicKey, stake: 2n },
          ],
        },
        'anchorValidators[1].publicKey',
      ],
      [
        { anchorValidators: [{ publicKey: alice.publicKey, stake: 1n, extra: 1 }] },
        'anchorValidators[0]',
      ],
      [{ maxValidators: 1 }, 'anchorValidators'],
      [{ maxValidators: 0 }, 'maxValidators'],
      [{ maxValidators: 129 }, 'maxValidators'],
      [{ allocations: [{ publicKey: bob.publicKey, amount: -1n }] }, 'allocations[0].amount'],
      [{ allocations: [{ publicKey: bob.publicKey, amount: MAX_AMOUNT }] }, 'allocations'],
      [{ allocations: 'none' }, 'allocations'],
      [{ registrationGrant: MAX_AMOUNT + 1n }, 'registrationGrant'],
      [{ registrationGrant: 1.5 }, 'registrationGrant'],
      [{ maxGrantsPerEpoch: -1 }, 'maxGrantsPerEpoch'],
      [{ hashcashBits: 41 }, 'hashcashBits'],
      [{ epochLength: 1 }, 'epochLength'],
      [{ slashFractionPerMille: 1001 }, 'slashFractionPerMille'],
      [{ trustchainRoot: new Uint8Array(33) }, 'trustchainRoot'],
      [{ maxTxBytes: 100 }, 'maxTxBytes'],
      [{ maxTxBytes: 70_000 }, 'maxTxBytes'],
      [{ maxBlockTxs: 0 }, 'maxBlockTxs'],
      [{ surprise: true }, 'surprise'],
    ]
    for (const [overrides, field] of cases) {
      expect(invalid(overrides), field).toMatchObject({
        name: 'InvalidGenesisError',
        code: 'ERR_INVALID_GENESIS',
        field,
      })
    }
    expect(thrown(() => validateGenesis(null))).toMatchObject({ name: 'InvalidGenesisError' })
  })

  it('round-trips through its canonical encoding, and names the chain in the genesis state', () => {
    const g = validateGenesis(testGenesis({ trustchainRoot: new Uint8Array(32).fill(9) }))
    const bytes = encodeGenesis(g)
    expect(decodeGenesis(bytes)).toEqual(g)
    expect(dagCbor.encode(dagCbor.decode(bytes))).toEqual(bytes)
    const state = createGenesisState(g)
    expect(decodeFactValue(GENESIS_KEY, proveFact(state, GENESIS_KEY).value)).toEqual({
      type: 'genesis',
      value: { chainId: g.chainId, hash: genesisHash(g) },
    })
    // Another parameter, another genesis hash and root.
    const other = createGenesisState(validateGenesis(testGenesis({ epochLength: 5 })))
    expect(toHex(other.root)).not.toBe(toHex(createGenesisState(testGenesis()).root))
  })

  it('starts with allocations and anchor stakes as the supply', () => {
    const state = createGenesisState(testGenesis())
    expect(account(state, alice.publicKey)).toEqual({
      balance: 10_000n,
      stake: 1_000n,
      unbonding: [],
      nonce: 0,
      active: null,
    })
    expect(totalSupply(state)).toBe(31_500n)
    expect(checkSupply(state)).toEqual({ ok: true, held: 31_500n, expected: 31_500n })
  })

  it('decodes only canonical genesis bytes, with typed errors only (fuzz)', () => {
    const bytes = encodeGenesis(testGenesis())
    const onlyTyped = (b: Uint8Array) => {
      try {
        decodeGenesis(b)
      } catch (err) {
        expect(err).toBeInstanceOf(LedgerError)
        expect(['LedgerDecodeError', 'InvalidGenesisError']).toContain((err as Error).name)
      }
    }
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const m = bytes.slice()
        m[at % m.length]! ^= flip
        onlyTyped(m)
        onlyTyped(bytes.subarray(0, at % bytes.length))
      }),
      { numRuns: 1_000 },
    )
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), onlyTyped), { numRuns: 1_000 })
    fc.assert(
      fc.property(fc.jsonValue(), (v) => onlyTyped(dagCbor.encode(v))),
      { numRuns: 300 },
    )
    const raw = dagCbor.decode(bytes) as Record<string, unknown>
    expect(thrown(() => decodeGenesis(dagCbor.encode({ ...raw, x: 1 })))).toMatchObject({
      name: 'LedgerDecodeError',
    })
    expect(
      thrown(() =>
        decodeGenesis(
          dagCbor.encode({
            ...raw,
            allocations: [{ publicKey: carol.publicKey, amount: 1, x: 0 }],
          }),
        ),
      ),
    ).toMatchObject({ name: 'LedgerDecodeError' })
  })
})
