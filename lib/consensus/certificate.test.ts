import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { weightedMedianTime, verifyCommitCertificate } from './certificate'
import type { BlockHeader, CommitCertificate } from './codec'
import { makeCommittee } from './committee'
import { InvalidCertificateError } from './errors'
import { certify } from './testing/chain-builder'
import { testKey, testVerifier } from './testing/keys'

const keys = ['alice', 'bob', 'carol', 'dave', 'erin'].map(testKey)
const [alice, bob, carol, dave, erin] = keys as [
  (typeof keys)[0],
  (typeof keys)[0],
  (typeof keys)[0],
  (typeof keys)[0],
  (typeof keys)[0],
]
// alice 10, bob 10, carol 10, dave 10: quorum 27 (three of them).
const members = [alice, bob, carol, dave].map((k) => ({ publicKey: k.publicKey, power: 10 }))
const committee = makeCommittee(members)

const header: BlockHeader = {
  chainId: 'hypermesh-test',
  height: 7,
  time: 1_000,
  parentHash: new Uint8Array(32).fill(1),
  lastCommitHash: new Uint8Array(32).fill(2),
  txsRoot: new Uint8Array(32).fill(3),
  stateRoot: new Uint8Array(32).fill(4),
  proposer: alice.publicKey,
  committeeHash: committee.hash,
}

function reason(f: () => unknown): string | undefined {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidCertificateError)
    expect((e as InvalidCertificateError).code).toBe('ERR_INVALID_CERTIFICATE')
    return (e as InvalidCertificateError).reason
  }
  return undefined
}

const verify = (cert: CommitCertificate, chainId = 'hypermesh-test', h = header) =>
  verifyCommitCertificate(cert, members, chainId, h, testVerifier)

describe('weighted median time', () => {
  const arb = fc.array(
    fc.tuple(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 0, max: 1e6 })),
    {
      minLength: 1,
      maxLength: 12,
    },
  )
  const setup = (entries: [number, number][]) => {
    const ms = entries.map(([power], i) => ({ publicKey: new Uint8Array(32).fill(i + 1), power }))
    const pcs = entries.map(([, t], i) => ({
      validator: new Uint8Array(32).fill(i + 1),
      timestamp: t,
      signature: new Uint8Array(64),
    }))
    return { c: makeCommittee(ms), pcs }
  }

  it('is the least timestamp whose cumulative power exceeds half', () => {
    fc.assert(
      fc.property(arb, (entries) => {
        const { c, pcs } = setup(entries)
        const m = weightedMedianTime(pcs, c)
        const total = entries.reduce((s, [p]) => s + p, 0)
        const atMost = (t: number) => entries.filter(([, x]) => x <= t).reduce((s, [p]) => s + p, 0)
        expect(2 * atMost(m)).toBeGreaterThan(total)
        for (const [, t] of entries) if (t < m) expect(2 * atMost(t)).toBeLessThanOrEqual(total)
        expect(entries.some(([, t]) => t === m)).toBe(true)
      }),
    )
  })

  it('stays between honest timestamps while faulty power is under half', () => {
    fc.assert(
      fc.property(
        arb,
        fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
        (entries, faulty) => {
          const { c, pcs } = setup(entries)
          const total = entries.reduce((s, [p]) => s + p, 0)
          const bad = entries.reduce((s, [p], i) => s + (faulty[i] ? p : 0), 0)
          fc.pre(2 * bad < total)
          const honest = entries.filter((_, i) => !faulty[i]).map(([, t]) => t)
          const m = weightedMedianTime(pcs, c)
          expect(m).toBeGreaterThanOrEqual(Math.min(...honest))
          expect(m).toBeLessThanOrEqual(Math.max(...honest))
        },
      ),
    )
  })

  it('weights by power: one validator with more than half decides', () => {
    const ms = [
      { publicKey: alice.publicKey, power: 60 },
      { publicKey: bob.publicKey, power: 20 },
      { publicKey: carol.publicKey, power: 20 },
    ]
    const pcs = [
      { validator: alice.publicKey, timestamp: 500, signature: new Uint8Array(64) },
      { validator: bob.publicKey, timestamp: 100, signature: new Uint8Array(64) },
      { validator: carol.publicKey, timestamp: 200, signature: new Uint8Array(64) },
    ]
    expect(weightedMedianTime(pcs, makeCommittee(ms))).toBe(500)
  })
})

describe('verifyCommitCertificate', () => {
  it('accepts more than 2/3 of the power and returns the weighted median time', () => {
    const cert = certify(header, [alice, bob, carol], { timestamps: [1_010, 1_030, 1_020] })
    const v = verify(cert)
    expect(v.power).toBe(30)
    expect(v.totalPower).toBe(40)
    expect(v.time).toBe(1_020)
    expect(v.signers).toHaveLength(3)
    const next = { ...header, height: 8, time: 1_020 }
    expect(
      verifyCommitCertificate(cert, committee, 'hypermesh-test', header, testVerifier, {
        nextHeader: next,
      }).time,
    ).toBe(1_020)
    expect(
      reason(() =>
        verifyCommitCertificate(cert, committee, 'hypermesh-test', header, testVerifier, {
          nextHeader: { ...next, time: 1_021 },
        }),
      ),
    ).toBe('time')
  })

  it('refuses 2/3 of the power or less', () => {
    expect(reason(() => verify(certify(header, [alice, bob])))).toBe('power')
    expect(reason(() => verify(certify(header, [])))).toBe('power')
  })

  it('refuses a validator counted twice', () => {
    const cert = certify(header, [alice, bob])
    const twice = { ...cert, precommits: [...cert.precommits, cert.precommits[0]!] }
    expect(reason(() => verify(twice))).toBe('duplicate')
  })

  it('refuses precommits out of order', () => {
    const cert = certify(header, [alice, bob, carol])
    expect(reason(() => verify({ ...cert, precommits: [...cert.precommits].reverse() }))).toBe(
      'order',
    )
  })

  it('refuses signers outside the committee', () => {
    expect(reason(() => verify(certify(header, [alice, bob, carol, erin])))).toBe('non-member')
  })

  it('refuses a bad signature', () => {
    const cert = certify(header, [alice, bob, carol, dave])
    const broken = cert.precommits.map((p, i) => {
      if (i !== 2) return p
      const s = new Uint8Array(p.signature)
      s[0]! ^= 1
      return { ...p, signature: s }
    })
    expect(reason(() => verify({ ...cert, precommits: broken }))).toBe('signature')
    const retimed = cert.precommits.map((p, i) =>
      i === 0 ? { ...p, timestamp: p.timestamp + 1 } : p,
    )
    expect(reason(() => verify({ ...cert, precommits: retimed }))).toBe('signature')
  })

  it('refuses precommits of another chain, round or block', () => {
    expect(reason(() => verify(certify(header, [alice, bob, carol], { chainId: 'other' })))).toBe(
      'signature',
    )
    const cert = certify(header, [alice, bob, carol])
    expect(reason(() => verify({ ...cert, round: 1 }))).toBe('signature')
    expect(reason(() => verify(cert, 'other'))).toBe('block')
    expect(reason(() => verify(cert, 'hypermesh-test', { ...header, time: 1_001 }))).toBe('block')
    expect(reason(() => verify({ ...cert, height: 8 }))).toBe('block')
  })
})
