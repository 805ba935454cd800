import { generateKeyPairSync } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
// Tests only: real certificates come from the CA. The ledger itself never imports the server.
import { CertificateIssuer, createRootCertificate } from '../server/ca'
import { peerIdOfPublicKey } from '../trustchain/certificate'
import { createLedgerApp } from './app'
import { toHex } from './codec'
import type { GenesisConfig } from './genesis'
import { registrationResource } from './kinds'
import { account, checkSupply, node, supplyCounters } from './queries'
import type { LedgerState } from './state'
import {
  alice,
  bob,
  carol,
  dave,
  erin,
  frank,
  nextContext,
  nobleVerifier,
  stampFor,
  T0,
  testGenesis,
  thrown,
  tx,
  type Who,
} from './test-support'
import { mintHashcash } from '../trustchain/hashcash'

const HOUR_MS = 3_600_000

function setup(overrides: Partial<GenesisConfig> = {}) {
  return createLedgerApp({ genesis: testGenesis(overrides), verifier: nobleVerifier })
}

type Ledger = ReturnType<typeof setup>

function register(
  w: Who,
  state: LedgerState,
  cert: Uint8Array | null = null,
  fee = 0n,
): Uint8Array {
  return tx(state, w, 'register-node', { stamp: stampFor(state, w), cert }, { fee })
}

function block(ledger: Ledger, state: LedgerState, txs: Uint8Array[], time?: number): LedgerState {
  const context = nextContext(state)
  return ledger.app.executeBlock(state, time === undefined ? context : { ...context, time }, txs)
}

function refused(ledger: Ledger, state: LedgerState, t: Uint8Array, time?: number): Error {
  const before = toHex(state.root)
  const context = nextContext(state)
  const err = thrown(() =>
    ledger.app.executeBlock(state, time === undefined ? context : { ...context, time }, [t]),
  )
  expect(toHex(state.root)).toBe(before)
  return err
}

describe('register-node without a TrustChain root', () => {
  it('registers a new key, creates its account and pays the grant once', () => {
    const ledger = setup()
    const s0 = ledger.genesisState
    const s1 = block(ledger, s0, [register(dave, s0)])
    expect(node(s1, dave.publicKey)).toEqual({
      registered: 1,
      certExpiry: null,
      granted: true,
      coord: null,
      coordHeight: null,
      attestation: null,
    })
    expect(account(s1, dave.publicKey)).toMatchObject({ balance: 100n, nonce: 1 })
    expect(supplyCounters(s1).minted).toBe(100n)
    expect(checkSupply(s1).ok).toBe(true)
    // Registering again: a renewal, no second grant, the first height kept.
    const s2 = block(ledger, s1, [register(dave, s1, null, 1n)])
    expect(node(s2, dave.publicKey)).toMatchObject({ registered: 1, granted: true })
    expect(account(s2, dave.publicKey)).toMatchObject({ balance: 99n, nonce: 2 })
    expect(supplyCounters(s2)).toMatchObject({ minted: 100n, burned: 1n })
  })

  it('rate-limits grants per epoch and pays a skipped grant on a later registration', () => {
    const ledger = setup({ maxGrantsPerEpoch: 2, epochLength: 4 })
    const s0 = ledger.genesisState
    const s1 = block(ledger, s0, [register(dave, s0), register(erin, s0), register(frank, s0)])
    expect(node(s1, frank.publicKey)?.granted).toBe(false)
    expect(account(s1, frank.publicKey)?.balance).toBe(0n)
    expect(supplyCounters(s1).minted).toBe(200n)
    // Same epoch: still none.
    const s2 = block(ledger, s1, [register(frank, s1)])
    expect(node(s2, frank.publicKey)?.granted).toBe(false)
    let s = s2
    while (s.height < 4) s = block(ledger, s, [])
    // Epoch 1: the counter starts again.
    const s5 = block(ledger, s, [register(frank, s)])
    expect(node(s5, frank.publicKey)).toMatchObject({ granted: true, registered: 1 })
    expect(account(s5, frank.publicKey)?.balance).toBe(100n)
    expect(checkSupply(s5).ok).toBe(true)
  })

  it('refuses bad stamps with BadStampError naming the rule', () => {
    const ledger = setup()
    const s0 = ledger.genesisState
    const nowSeconds = Math.floor(s0.time / 1000)
    const stampTx = (stamp: string) =>
      tx(s0, dave, 'register-node', { stamp, cert: null }, { fee: 0n })
    const other = stampFor(s0, erin)
    expect(refused(ledger, s0, stampTx(other))).toMatchObject({
      name: 'BadStampError',
      reason: 'resource',
    })
    const resource = registrationResource(s0.genesis.chainId, dave.publicKey)
    const weak = mintHashcash({ resource, bits: 2, nowSeconds, maxIterations: 1_000_000 })!
    // A 2-bit stamp may by chance have 8 zero bits; it still claims only 2.
    expect(refused(ledger, s0, stampTx(weak))).toMatchObject({
      name: 'BadStampError',
      reason: 'bits',
    })
    const old = mintHashcash({
      resource,
      bits: 8,
      nowSeconds: nowSeconds - 2 * 86_400,
      maxIterations: 1_000_000,
    })!
    expect(refused(ledger, s0, stampTx(old))).toMatchObject({
      name: 'BadStampError',
      reason: 'expired',
    })
    const future = mintHashcash({
      resource,
      bits: 8,
      nowSeconds: nowSeconds + 3_600,
      maxIterations: 1_000_000,
    })!
    expect(refused(ledger, s0, stampTx(future))).toMatchObject({
      name: 'BadStampError',
      reason: 'future',
    })
    expect(refused(ledger, s0, stampTx('not a stamp'))).toMatchObject({
      name: 'BadStampError',
      reason: 'format',
    })
    // Claims 8 bits without the work: try nonces until one lacks them (deterministic).
    let n = 0
    while (
      mintHashcash({ resource, bits: 8, nowSeconds, startNonce: n, maxIterations: 1 }) !== null
    )
      n++
    const lazy = `v1:8:${nowSeconds}:${resource}:${n.toString(16)}`
    expect(refused(ledger, s0, stampTx(lazy))).toMatchObject({
      name: 'BadStampError',
      reason: 'work',
      code: 'ERR_BAD_STAMP',
    })
  })

  it('refuses a fee a new key cannot pay, and a certificate the chain cannot check', () => {
    const ledger = setup()
    const s0 = ledger.genesisState
    expect(refused(ledger, s0, register(dave, s0, null, 1n))).toMatchObject({
      name: 'InsufficientFundsError',
    })
    expect(refused(ledger, s0, register(dave, s0, new Uint8Array(10)))).toMatchObject({
      name: 'BadCertificateError',
      reason: 'unexpected',
    })
  })
})

describe('register-node with a TrustChain root', () => {
  let issuer: CertificateIssuer
  let otherIssuer: CertificateIssuer
  let rootDer: Uint8Array
  let serial = 1

  beforeAll(async () => {
    const key = generateKeyPairSync('ed25519').privateKey
    rootDer = await createRootCertificate(key, { now: T0 - 86_400_000 })
    issuer = new CertificateIssuer({ privateKey: key, certificateDer: rootDer })
    const otherKey = generateKeyPairSync('ed25519').privateKey
    otherIssuer = new CertificateIssuer({
      privateKey: otherKey,
      certificateDer: await createRootCertificate(otherKey, { now: T0 - 86_400_000 }),
    })
  })

  function certFor(w: Who, now = T0, from = issuer, validityMs = 24 * HOUR_MS): Uint8Array {
    return from.issue({
      publicKey: w.publicKey,
      claimedPeerId: peerIdOfPublicKey(w.publicKey),
      serial: Uint8Array.of(serial++ & 0x7f || 1, 7),
      now,
      validityMs,
    })
  }

  function rooted() {
    return setup({ trustchainRoot: issuer.root.subjectPublicKey })
  }

  it('registers with a certificate signed by the root and keeps its expiry', () => {
    const ledger = rooted()
    const s0 = ledger.genesisState
    const cert = certFor(dave)
    const s1 = block(ledger, s0, [register(dave, s0, cert)])
    expect(node(s1, dave.publicKey)).toMatchObject({
      certExpiry: T0 + 24 * HOUR_MS,
      granted: true,
    })
  })

  it('refuses a missing, malformed, foreign, CA or mis-bound certificate', () => {
    const ledger = rooted()
    const s0 = ledger.genesisState
    expect(refused(ledger, s0, register(dave, s0))).toMatchObject({
      name: 'CertificateRequiredError',
      code: 'ERR_CERTIFICATE_REQUIRED',
    })
    expect(refused(ledger, s0, register(dave, s0, Uint8Array.of(0x30, 0x00)))).toMatchObject({
      name: 'BadCertificateError',
      reason: 'format',
    })
    expect(refused(ledger, s0, register(dave, s0, certFor(erin)))).toMatchObject({
      name: 'BadCertificateError',
      reason: 'key',
    })
    expect(refused(ledger, s0, register(dave, s0, certFor(dave, T0, otherIssuer)))).toMatchObject({
      name: 'BadCertificateError',
      reason: 'signature',
    })
    expect(refused(ledger, s0, register(dave, s0, rootDer))).toMatchObject({
      name: 'BadCertificateError',
      reason: 'not-peer',
    })
  })

  it('refuses a certificate not valid at the block time (expired certificate)', () => {
    const ledger = rooted()
    const s0 = ledger.genesisState
    const expired = certFor(dave, T0 - 48 * HOUR_MS)
    expect(refused(ledger, s0, register(dave, s0, expired))).toMatchObject({
      name: 'CertificateExpiredError',
      code: 'ERR_CERTIFICATE_EXPIRED',
      reason: 'expired',
    })
    const later = certFor(dave, T0 + HOUR_MS)
    expect(refused(ledger, s0, register(dave, s0, later))).toMatchObject({
      name: 'CertificateExpiredError',
      reason: 'not-yet-valid',
    })
    expect(thrown(() => ledger.app.checkTx(s0, register(dave, s0, expired)))).toMatchObject({
      name: 'CertificateExpiredError',
    })
  })

  it('requires every sender to hold a current certificate, and renews it on re-registration', () => {
    const ledger = rooted()
    const s0 = ledger.genesisState
    // carol has credits from genesis but no node yet.
    const pay = (s: LedgerState) => tx(s, carol, 'transfer', { to: bob.publicKey, amount: 1n })
    expect(refused(ledger, s0, pay(s0))).toMatchObject({ name: 'CertificateRequiredError' })
    const s1 = block(ledger, s0, [register(carol, s0, certFor(carol, T0, issuer, 2 * HOUR_MS))])
    const s2 = block(ledger, s1, [pay(s1)])
    expect(account(s2, bob.publicKey)?.balance).toBe(10_001n)
    // Three hours on, the certificate has expired: transactions are refused, state unchanged.
    const late = T0 + 3 * HOUR_MS
    expect(refused(ledger, s2, pay(s2), late)).toMatchObject({
      name: 'CertificateExpiredError',
      reason: 'expired',
    })
    // Renewal: a registration with a fresh certificate (exempt from the rule it restores).
    const s3 = block(
      ledger,
      s2,
      [register(carol, { ...s2, time: late - 1_000 }, certFor(carol, late - 60_000))],
      late,
    )
    expect(node(s3, carol.publicKey)?.certExpiry).toBe(late - 60_000 + 24 * HOUR_MS)
    expect(node(s3, carol.publicKey)?.registered).toBe(1)
    const s4 = block(ledger, s3, [pay(s3)])
    expect(account(s4, carol.publicKey)?.nonce).toBe(4)
    // An anchor that never registered cannot send either.
    expect(refused(ledger, s4, tx(s4, alice, 'stake', { amount: 1n }))).toMatchObject({
      name: 'CertificateRequiredError',
    })
  })
})
