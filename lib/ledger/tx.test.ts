import * as dagCbor from '@ipld/dag-cbor'
import { ed25519 } from '@noble/curves/ed25519.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeCbor, toHex } from './codec'
import { MAX_AMOUNT, TX_MAX_BYTES_LIMIT } from './constants'
import { LedgerError } from './errors'
import { alice, bob, nobleVerifier, thrown } from './test-support'
import { buildTx, decodeTx, txId, txSignBytes } from './tx'

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
const amount = fc.bigInt({ min: 0n, max: MAX_AMOUNT })
// -0 is written as the integer 0: normalise it so round trips compare equal.
const num = (min: number, max: number) =>
  fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((x) => x + 0)
const coord = fc.record({
  vec: fc.array(num(-1e6, 1e6), { minLength: 8, maxLength: 8 }),
  height: num(0, 1e6),
  error: num(0, 1.5),
})

/** A valid (kind, body) of each kind. */
const kindAndBody = fc.oneof(
  fc.record({ kind: fc.constant('transfer'), body: fc.record({ to: bytes32, amount }) }),
  fc.record({ kind: fc.constant('stake'), body: fc.record({ amount }) }),
  fc.record({ kind: fc.constant('unstake'), body: fc.record({ amount }) }),
  fc.record({
    kind: fc.constant('register-node'),
    body: fc.record({
      stamp: fc.string({ maxLength: 80 }),
      cert: fc.option(fc.uint8Array({ minLength: 1, maxLength: 300 }), { nil: null }),
    }),
  }),
  fc.record({
    kind: fc.constant('attest'),
    body: fc.record({ subject: bytes32, rttMs: num(0, 60_000), height: fc.nat(), coord }),
  }),
  fc.record({
    kind: fc.constant('slash'),
    body: fc.record({
      a: fc.uint8Array({ minLength: 1, maxLength: 512 }),
      b: fc.uint8Array({ minLength: 1, maxLength: 512 }),
    }),
  }),
)

const envelope = fc.record({
  chain: fc.stringMatching(/^[a-z0-9.-]{1,20}$/),
  nonce: fc.nat(),
  fee: amount,
  kb: kindAndBody,
})

function build(e: {
  chain: string
  nonce: number
  fee: bigint
  kb: { kind: string; body: unknown }
}) {
  return buildTx(
    {
      chain: e.chain,
      kind: e.kb.kind,
      from: alice.publicKey,
      nonce: e.nonce,
      fee: e.fee,
      body: e.kb.body,
    },
    alice.sign,
  )
}

function onlyTyped(f: () => unknown): void {
  try {
    f()
  } catch (err) {
    expect(err).toBeInstanceOf(LedgerError)
    expect(['LedgerDecodeError', 'TxTooLargeError', 'UnknownTxKindError']).toContain(
      (err as Error).name,
    )
  }
}

describe('transaction codec', () => {
  it('round-trips every kind: decode(build(x)) = x, canonical, signed, named by a dag-cbor CID', () => {
    fc.assert(
      fc.property(envelope, (e) => {
        const bytes = build(e)
        const tx = decodeTx(bytes)
        expect(tx).toMatchObject({
          chain: e.chain,
          kind: e.kb.kind,
          nonce: e.nonce,
          fee: e.fee,
          body: e.kb.body,
        })
        expect(tx.from).toEqual(alice.publicKey)
        expect(dagCbor.encode(dagCbor.decode(bytes))).toEqual(bytes)
        expect(nobleVerifier.verify(alice.publicKey, tx.signBytes, tx.sig)).toBe(true)
        expect(tx.signBytes).toEqual(txSignBytes({ ...tx }))
        const id = txId(bytes)
        expect(id.version).toBe(1)
        expect(id.code).toBe(dagCbor.code)
        expect(id.multihash.code).toBe(0x12)
        expect(id.equals(txId(tx))).toBe(true)
      }),
      { numRuns: 300 },
    )
  })

  it('signs the documented bytes: "hypermesh/tx/v1" 0x00 dag-cbor(envelope without sig)', () => {
    const body = { to: bob.publicKey, amount: 5n }
    const bytes = buildTx(
      { chain: 'c', kind: 'transfer', from: alice.publicKey, nonce: 3, fee: 2, body },
      alice.sign,
    )
    const tx = decodeTx(bytes)
    const expected = new Uint8Array([
      ...new TextEncoder().encode('hypermesh/tx/v1'),
      0,
      ...dagCbor.encode({
        chain: 'c',
        kind: 'transfer',
        from: alice.publicKey,
        nonce: 3,
        fee: 2,
        body: { to: bob.publicKey, amount: 5 },
      }),
    ])
    expect(tx.signBytes).toEqual(expected)
    expect(tx.fee).toBe(2n)
    expect(ed25519.verify(tx.sig, expected, alice.publicKey)).toBe(true)
    // The test identities sign exactly as noble does (RFC 8032 signatures are deterministic).
    expect(ed25519.getPublicKey(alice.secretKey)).toEqual(alice.publicKey)
    expect(tx.sig).toEqual(ed25519.sign(expected, alice.secretKey))
  })

  it('refuses non-canonical, oversize, malformed and out-of-range encodings with typed errors', () => {
    const valid = {
      chain: 'c',
      kind: 'transfer',
      from: alice.publicKey,
      nonce: 0,
      fee: 1,
      body: { to: bob.publicKey, amount: 5 },
      sig: new Uint8Array(64),
    }
    const decodeError = (x: unknown) =>
      thrown(() => decodeTx(x instanceof Uint8Array ? x : encodeCbor(x)))
    expect(decodeTx(encodeCbor(valid)).body).toEqual({ to: bob.publicKey, amount: 5n })
    for (const bad of [
      { ...valid, extra: 1 },
      { ...valid, sig: new Uint8Array(63) },
      { ...valid, from: new Uint8Array(31) },
      { ...valid, nonce: -1 },
      { ...valid, nonce: 1.5 },
      { ...valid, fee: -1 },
      { ...valid, chain: '' },
      { ...valid, chain: 'a b' },
      { ...valid, kind: 'Transfer' },
      { ...valid, body: { to: bob.publicKey } },
      { ...valid, body: { to: bob.publicKey, amount: 5, memo: 'x' } },
      { ...valid, body: { to: bob.publicKey, amount: 'five' } },
      { ...valid, body: [] },
      [valid],
      null,
      'tx',
    ]) {
      expect(decodeError(bad)).toMatchObject({
        name: 'LedgerDecodeError',
        code: 'ERR_LEDGER_DECODE',
      })
    }
    const { sig: _sig, ...noSig } = valid
    expect(decodeError(noSig)).toMatchObject({ name: 'LedgerDecodeError' })
    // Non-canonical: the fee (first key: a7 63 'fee' 01) written as the float 1.0, or in two bytes.
    const canonical = encodeCbor(valid)
    expect(Array.from(canonical.subarray(0, 6))).toEqual([0xa7, 0x63, 0x66, 0x65, 0x65, 0x01])
    const rest = canonical.subarray(6)
    const asFloat = Uint8Array.from([
      ...canonical.subarray(0, 5),
      0xfb,
      0x3f,
      0xf0,
      0,
      0,
      0,
      0,
      0,
      0,
      ...rest,
    ])
    expect(decodeError(asFloat)).toMatchObject({ name: 'LedgerDecodeError', field: 'bytes' })
    const longInt = Uint8Array.from([...canonical.subarray(0, 5), 0x18, 0x01, ...rest])
    expect(decodeError(longInt)).toMatchObject({ name: 'LedgerDecodeError', field: 'bytes' })
    expect(
      decodeError(encodeCbor({ ...valid, body: { to: bob.publicKey, amount: 5.5 } })),
    ).toMatchObject({
      name: 'LedgerDecodeError',
      field: 'body.amount',
    })
    const swapped = Uint8Array.from([0xa2, 0x61, 0x62, 0x01, 0x61, 0x61, 0x02])
    expect(decodeError(swapped)).toMatchObject({ name: 'LedgerDecodeError', field: 'bytes' })
    // Oversize: refused on length alone, before decoding.
    expect(decodeError(new Uint8Array(TX_MAX_BYTES_LIMIT + 1))).toMatchObject({
      name: 'TxTooLargeError',
    })
    expect(thrown(() => decodeTx(canonical, { maxBytes: 10 }))).toMatchObject({
      name: 'TxTooLargeError',
      limit: 10,
    })
    expect(decodeError({ ...valid, kind: 'no-such-kind' })).toMatchObject({
      name: 'UnknownTxKindError',
    })
    // Amounts: 2^64 - 1 is the largest.
    expect(decodeTx(encodeCbor({ ...valid, fee: MAX_AMOUNT })).fee).toBe(MAX_AMOUNT)
    expect(
      thrown(() =>
        build({
          chain: 'c',
          nonce: 0,
          fee: MAX_AMOUNT + 1n,
          kb: { kind: 'stake', body: { amount: 1n } },
        }),
      ),
    ).toBeInstanceOf(LedgerError)
    expect(
      thrown(() =>
        build({
          chain: 'c',
          nonce: 0,
          fee: 2 ** 60,
          kb: { kind: 'stake', body: { amount: 1n } },
        } as never),
      ),
    ).toMatchObject({
      name: 'LedgerDecodeError',
    })
  })

  it('builder refuses a signer that does not return 64 bytes', () => {
    expect(
      thrown(() =>
        buildTx(
          {
            chain: 'c',
            kind: 'stake',
            from: alice.publicKey,
            nonce: 0,
            fee: 0n,
            body: { amount: 1n },
          },
          () => new Uint8Array(10),
        ),
      ),
    ).toMatchObject({ name: 'LedgerArgumentError' })
  })

  it('never throws anything but its typed errors on random or mutated input (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => onlyTyped(() => decodeTx(bytes))),
      { numRuns: 2_000 },
    )
    fc.assert(
      fc.property(
        envelope,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.nat(),
        (e, at, flip, cut) => {
          const bytes = build(e)
          const mutated = bytes.slice()
          mutated[at % mutated.length]! ^= flip
          onlyTyped(() => decodeTx(mutated))
          onlyTyped(() => decodeTx(bytes.subarray(0, cut % bytes.length)))
          onlyTyped(() =>
            decodeTx(
              Uint8Array.from([
                ...bytes.subarray(0, at % bytes.length),
                flip,
                ...bytes.subarray(at % bytes.length),
              ]),
            ),
          )
        },
      ),
      { numRuns: 1_000 },
    )
    fc.assert(
      fc.property(fc.jsonValue(), (v) => onlyTyped(() => decodeTx(dagCbor.encode(v)))),
      { numRuns: 500 },
    )
    // Structured: a valid envelope with one field (or body field) replaced by anything.
    const anyValue = fc.oneof(
      fc.jsonValue(),
      fc.uint8Array({ maxLength: 40 }),
      fc.bigInt({ min: 0n, max: MAX_AMOUNT }),
      fc.constant(null),
    )
    fc.assert(
      fc.property(envelope, fc.nat(), anyValue, (e, which, value) => {
        const raw = dagCbor.decode(build(e)) as Record<string, unknown>
        const keys = Object.keys(raw)
        const key = keys[which % keys.length]!
        const body = raw.body as Record<string, unknown>
        const bodyKeys = Object.keys(body)
        const replaced =
          which % 2 === 0 || bodyKeys.length === 0
            ? { ...raw, [key]: value }
            : { ...raw, body: { ...body, [bodyKeys[which % bodyKeys.length]!]: value } }
        let bytes: Uint8Array
        try {
          bytes = dagCbor.encode(replaced)
        } catch {
          return
        }
        onlyTyped(() => decodeTx(bytes))
      }),
      { numRuns: 1_000 },
    )
  })

  it('names transactions by content', () => {
    const a = buildTx(
      { chain: 'c', kind: 'stake', from: alice.publicKey, nonce: 0, fee: 0n, body: { amount: 1n } },
      alice.sign,
    )
    const b = buildTx(
      { chain: 'c', kind: 'stake', from: alice.publicKey, nonce: 1, fee: 0n, body: { amount: 1n } },
      alice.sign,
    )
    expect(txId(a).toString()).not.toBe(txId(b).toString())
    expect(txId(a).toString()).toMatch(/^bafyrei/)
    expect(toHex(txId(a).multihash.digest)).toHaveLength(64)
  })
})
