import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import type { TrustchainService } from '@/lib/server/trustchain/service'
import { startTestTrustchain, type TestTrustchain } from '@/lib/server/trustchain/test-server'
import { NO_PERSISTENCE, TrustchainClient, type HeldCertificate } from '@/lib/trustchain/client'
import { parseCertificate } from '@/lib/trustchain/certificate'
import { revocationMessage } from '@/lib/trustchain/log-entry'
import { signNote } from '@/lib/trustchain/note'
import { formatCheckpoint } from '@/lib/trustchain/checkpoint'
import { parseTlogProof } from '@/lib/trustchain/tlog-proof'
import { ed25519 } from '@noble/curves/ed25519.js'
import {
  CHECK_ORDER,
  LogWatcher,
  verifyCertificate,
  type TrustchainViewComponents,
  type VerificationReport,
} from './trustchain-view'

/**
 * The /trustchain page's verifier and log watcher against the real TrustChain API (CA, SQLite
 * log, HTTP routes) over a socket, as the browser reaches it.
 */
let fixture: TestTrustchain
let service: TrustchainService
let components: TrustchainViewComponents

beforeAll(async () => {
  fixture = await startTestTrustchain('trustchain-view-')
  service = fixture.service
  const base = fixture.base
  components = { fetch: (path, init) => fetch(base + path, init), now: () => Date.now() }
})

afterAll(async () => {
  await fixture?.close()
})

async function issue(key?: PrivateKey): Promise<{ held: HeldCertificate; peerId: string }> {
  const k = key ?? (await generateKeyPair('Ed25519'))
  const peerId = peerIdFromPrivateKey(k).toString()
  const client = new TrustchainClient(
    {},
    {
      fetch: components.fetch,
      peerId,
      publicKey: k.publicKey.raw,
      sign: (d) => k.sign(d),
      now: () => Date.now(),
      persistence: NO_PERSISTENCE,
    },
  )
  return { held: await client.start(), peerId }
}

function states(report: VerificationReport): Record<string, string> {
  return Object.fromEntries(report.checks.map((c) => [c.check, c.state]))
}

async function currentCheckpoint(): Promise<string> {
  const r = await components.fetch('/api/trustchain/status')
  return ((await r.json()) as { checkpoint: string }).checkpoint
}

describe('verifyCertificate', () => {
  it('passes a certificate the log issued, draws its path to the checkpoint root, and reports progress', async () => {
    const before = await currentCheckpoint()
    const { held, peerId } = await issue()
    await issue()
    const progress: VerificationReport[] = []
    const report = await verifyCertificate(
      { pem: held.pem, expectedPeerId: peerId, knownCheckpoints: [before] },
      components,
      { onProgress: (r) => progress.push(r) },
    )
    expect(report.problem).toBeNull()
    expect(report.checks.map((c) => c.check)).toEqual(CHECK_ORDER)
    expect(report.checks.filter((c) => c.state !== 'pass')).toEqual([])
    expect(report.state).toBe('valid')
    expect(report.logIndex).toBe(held.logIndex)
    expect(report.certificate?.peerId).toBe(peerId)
    expect(report.picture?.matches).toBe(true)
    expect(report.picture?.index).toBe(held.logIndex)
    expect(report.picture?.size).toBe(service.sequencer.head().size)
    expect(parseTlogProof(report.tlogProof!).index).toBe(held.logIndex)
    // Checks are reported as they finish, and each progress report is its own copy.
    expect(progress.length).toBeGreaterThan(3)
    expect(progress[0]!.checks.every((c) => c.state === 'pending')).toBe(true)
    expect(progress[0]!.checks).not.toBe(report.checks)
  })

  it('has nothing to compare consistency with in a browser that saw no checkpoint', async () => {
    const { held } = await issue()
    const report = await verifyCertificate({ pem: held.pem }, components)
    expect(states(report).consistency).toBe('not-applicable')
    expect(report.state).toBe('valid')
  })

  it('ignores checkpoints of another log rather than calling the log inconsistent', async () => {
    const { held } = await issue()
    const other = ed25519.keygen()
    const foreign = await signNote(
      formatCheckpoint({
        origin: 'elsewhere.example/log',
        size: 3,
        rootHash: new Uint8Array(32),
        extensions: [],
      }),
      [
        {
          name: 'elsewhere.example/log',
          publicKey: other.publicKey,
          sign: (m) => ed25519.sign(m, other.secretKey),
        },
      ],
    )
    const report = await verifyCertificate(
      { pem: held.pem, knownCheckpoints: [foreign] },
      components,
    )
    expect(states(report).consistency).toBe('not-applicable')
  })

  it('fails the peer-id check for a certificate presented by another peer', async () => {
    const { held } = await issue()
    const { peerId: bob } = await issue()
    const report = await verifyCertificate({ pem: held.pem, expectedPeerId: bob }, components)
    expect(report.state).toBe('invalid')
    expect(states(report)).toMatchObject({ 'peer-id': 'fail', chain: 'pass', inclusion: 'pass' })
    expect(report.checks.find((c) => c.check === 'peer-id')?.message).toContain(bob)
  })

  it('fails chain and inclusion for an altered certificate, and shows the path missing the root', async () => {
    const { held } = await issue()
    const der = parseCertificate(held.pem).der.slice()
    der[der.length - 1]! ^= 0x01 // inside the signature: still parses
    const report = await verifyCertificate({ pem: toPem(der) }, components)
    expect(states(report)).toMatchObject({
      format: 'pass',
      chain: 'fail',
      validity: 'pass',
      'peer-id': 'pass',
      'checkpoint-signature': 'pass',
      inclusion: 'fail',
    })
    expect(report.checks.find((c) => c.check === 'chain')?.error?.code).toBe(
      'ERR_CERTIFICATE_CHAIN',
    )
    expect(report.picture?.matches).toBe(false)
    expect(report.tlogProof).toBeNull()
  })

  it('fails the revocation check once the certificate is revoked', async () => {
    const key = await generateKeyPair('Ed25519')
    const { held, peerId } = await issue(key)
    const fields = {
      serialHex: held.serial,
      peerId,
      revokedAt: Date.now(),
      reason: 'key compromised',
      authority: 'key' as const,
    }
    const signature = Buffer.from(await key.sign(revocationMessage(fields))).toString('base64')
    const res = await components.fetch('/api/trustchain/revocations', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        serial: held.serial,
        reason: fields.reason,
        revokedAt: fields.revokedAt,
        authority: 'key',
        signature,
      }),
    })
    expect(res.status).toBe(201)
    const report = await verifyCertificate({ pem: held.pem }, components)
    expect(states(report).revocation).toBe('fail')
    expect(report.checks.find((c) => c.check === 'revocation')?.message).toContain(
      'key compromised',
    )
    expect(states(report).inclusion).toBe('pass')
  })

  it('fails the validity check on a clock past the end of the window', async () => {
    const { held } = await issue()
    const report = await verifyCertificate(
      { pem: held.pem },
      { ...components, now: () => held.notAfter + 1_000 },
    )
    expect(states(report)).toMatchObject({ validity: 'fail', chain: 'pass', inclusion: 'pass' })
  })

  it('stops at the format check for text that is not a certificate', async () => {
    const report = await verifyCertificate({ pem: 'hello' }, components)
    expect(report.state).toBe('invalid')
    expect(report.checks[0]).toMatchObject({ check: 'format', state: 'fail' })
    expect(report.checks.slice(1).every((c) => c.state === 'skipped')).toBe(true)
    expect(report.certificate).toBeNull()
  })

  it('says the log could not be reached rather than failing a check', async () => {
    const { held } = await issue()
    const report = await verifyCertificate(
      { pem: held.pem },
      { fetch: () => Promise.reject(new TypeError('fetch failed')), now: () => Date.now() },
    )
    expect(report.state).toBe('error')
    expect(report.problem).toMatch(/could not be reached/)
    expect(report.checks.some((c) => c.state === 'fail')).toBe(false)
  })
})

describe('LogWatcher', () => {
  it('checks each new checkpoint’s signature and that it extends the one before', async () => {
    const watcher = new LogWatcher({ recent: 5 }, components)
    let changes = 0
    watcher.subscribe(() => changes++)
    await watcher.refresh()
    const first = watcher.getSnapshot()
    expect(first.problem).toBeNull()
    expect(first.signature?.state).toBe('verified')
    expect(first.checkpoint?.size).toBe(service.sequencer.head().size)
    expect(first.firstSeen?.size).toBe(first.checkpoint?.size)
    expect(first.consistency).toBeNull()
    // The revocation test above logged one.
    expect(first.revocations.map((r) => r.reason)).toContain('key compromised')

    const { held } = await issue()
    await watcher.refresh()
    const second = watcher.getSnapshot()
    expect(second.consistency).toMatchObject({
      state: 'verified',
      from: first.checkpoint!.size,
      to: second.checkpoint!.size,
    })
    expect(second.firstSeen).toEqual(first.firstSeen)
    expect(second.certificates[0]?.serialHex).toBe(held.serial)
    expect(second.certificates).toHaveLength(5)
    expect(changes).toBe(2)
  })

  it('keeps what it had and says why when the log cannot be reached', async () => {
    let up = true
    const watcher = new LogWatcher(
      {},
      {
        fetch: (path, init) =>
          up ? components.fetch(path, init) : Promise.reject(new TypeError('down')),
        now: () => Date.now(),
      },
    )
    await watcher.refresh()
    const size = watcher.getSnapshot().checkpoint?.size
    up = false
    await watcher.refresh()
    expect(watcher.getSnapshot().problem).toMatch(/could not be reached/)
    expect(watcher.getSnapshot().checkpoint?.size).toBe(size)
  })
})

function toPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64')
  return `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`
}
