import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import type { TrustchainService } from './service'
import { startTestTrustchain, type TestTrustchain } from './test-server'
import { NO_PERSISTENCE, TrustchainClient } from '../../trustchain/client'
import { mintHashcash } from '../../trustchain/hashcash'
import { popMessage, stampResource } from '../../trustchain/issuance'
import { revocationMessage } from '../../trustchain/log-entry'
import { openNote, parseVerifierKey } from '../../trustchain/note'
import { parseCheckpoint } from '../../trustchain/checkpoint'
import { decodeEntryBundle, tileHashReader, tilePath, entriesPath } from '../../trustchain/tiles'
import { leafHash, storedHashIndex, treeHash, verifyConsistency } from '../../trustchain/merkle'
import { parseTlogProof } from '../../trustchain/tlog-proof'
import { verifyBundle } from '../../trustchain/verify'
import { parseCertificate } from '../../trustchain/certificate'

/**
 * The TrustChain HTTP API end to end over a real socket and a real SQLite file: issuance as a
 * browser does it, openssl's verdict on the result, the tlog-tiles tree as an auditor reads it,
 * revocation, and refusal of bad requests without any change to the log.
 */
let fixture: TestTrustchain
let service: TrustchainService
let base: string

beforeAll(async () => {
  fixture = await startTestTrustchain('trustchain-api-')
  service = fixture.service
  base = fixture.base
})

afterAll(async () => {
  await fixture?.close()
})

function clientFor(key: PrivateKey): TrustchainClient {
  return new TrustchainClient(
    {},
    {
      fetch: (path, init) => fetch(base + path, init),
      peerId: peerIdFromPrivateKey(key).toString(),
      publicKey: key.publicKey.raw,
      sign: (d) => key.sign(d),
      now: () => Date.now(),
      persistence: NO_PERSISTENCE,
    },
  )
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers read field by field
async function post(path: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return { status: res.status, body: await res.json() }
}

async function request(
  key: PrivateKey,
  patch: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const peerId = peerIdFromPrivateKey(key).toString()
  const ch = (await (await fetch(`${base}/api/trustchain/challenge`)).json()) as {
    nonce: string
    hashcashBits: number
  }
  const stamp = mintHashcash({
    resource: stampResource(peerId, ch.nonce),
    bits: ch.hashcashBits,
    nowSeconds: Math.floor(Date.now() / 1000),
    maxIterations: 1 << 20,
  })
  return {
    peerId,
    publicKey: Buffer.from(key.publicKey.raw).toString('base64'),
    nonce: ch.nonce,
    signature: Buffer.from(await key.sign(popMessage(ch.nonce, peerId))).toString('base64'),
    stamp,
    ...patch,
  }
}

const logSize = (): number => service.sequencer.head().size

describe('TrustChain HTTP API', () => {
  it('issues a certificate that the client, the verification library and openssl accept', async () => {
    const key = await generateKeyPair('Ed25519')
    const client = clientFor(key)
    const held = await client.start()
    expect(held.logIndex).toBeGreaterThanOrEqual(0)
    const cert = parseCertificate(held.pem)
    expect(cert.peerId).toBe(peerIdFromPrivateKey(key).toString())

    const dir = await mkdtemp(join(tmpdir(), 'trustchain-openssl-'))
    await writeFile(join(dir, 'root.pem'), service.rootPem)
    await writeFile(join(dir, 'cert.pem'), held.pem)
    const r = spawnSync(
      'openssl',
      ['verify', '-x509_strict', '-purpose', 'sslclient', '-CAfile', 'root.pem', 'cert.pem'],
      { cwd: dir, encoding: 'utf8' },
    )
    await rm(dir, { recursive: true, force: true })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout.trim()).toBe('cert.pem: OK')
  })

  it('never issues a certificate whose claimed peer ID is not its key’s, and logs nothing', async () => {
    const key = await generateKeyPair('Ed25519')
    const other = await generateKeyPair('Ed25519')
    const before = logSize()
    // Claim another peer ID with a stamp and signature made for that claim.
    const body = await request(key)
    const otherId = peerIdFromPrivateKey(other).toString()
    const ch = (await (await fetch(`${base}/api/trustchain/challenge`)).json()) as {
      nonce: string
      hashcashBits: number
    }
    const forged = {
      ...body,
      peerId: otherId,
      nonce: ch.nonce,
      stamp: mintHashcash({
        resource: stampResource(otherId, ch.nonce),
        bits: ch.hashcashBits,
        nowSeconds: Math.floor(Date.now() / 1000),
        maxIterations: 1 << 20,
      }),
      signature: Buffer.from(await key.sign(popMessage(ch.nonce, otherId))).toString('base64'),
    }
    const r = await post('/api/trustchain/certificates', forged)
    expect(r.status).toBe(400)
    expect(r.body.error.code).toBe('ERR_PEER_ID_MISMATCH')
    expect(logSize()).toBe(before)
  })

  it('refuses replayed challenges, bad signatures, bad stamps and malformed bodies with a JSON error', async () => {
    const key = await generateKeyPair('Ed25519')
    const good = await request(key)
    expect((await post('/api/trustchain/certificates', good)).status).toBe(201)
    const before = logSize()
    const replay = await post('/api/trustchain/certificates', good)
    expect(replay.status).toBe(409)
    expect(replay.body.error.code).toBe('ERR_CHALLENGE_REPLAYED')

    const badSig = await request(key)
    const sig = Buffer.from(badSig.signature as string, 'base64')
    sig[0] = sig[0]! ^ 1
    const r1 = await post('/api/trustchain/certificates', {
      ...badSig,
      signature: sig.toString('base64'),
    })
    expect(r1.status).toBe(403)
    expect(r1.body.error.code).toBe('ERR_PROOF_OF_POSSESSION')

    const r2 = await post('/api/trustchain/certificates', {
      ...(await request(key)),
      stamp: 'v1:8:1:x:0',
    })
    expect(r2.status).toBe(403)
    expect(r2.body.error.code).toBe('ERR_HASHCASH')

    const r3 = await post('/api/trustchain/certificates', '{"peerId":')
    expect(r3.status).toBe(400)
    expect(r3.body.error.code).toBe('ERR_JSON')

    const r4 = await post('/api/trustchain/certificates', { ...(await request(key)), extra: 1 })
    expect(r4.status).toBe(400)

    const r5 = await post('/api/trustchain/certificates', { pad: 'x'.repeat(20_000) })
    expect(r5.status).toBe(413)
    expect(logSize()).toBe(before)
  })

  it('answers every fuzzed body with a 4xx JSON error and leaves the log unchanged', async () => {
    const before = logSize()
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue(),
          fc.record({
            peerId: fc.string(),
            publicKey: fc.base64String(),
            nonce: fc.string(),
            signature: fc.base64String(),
            stamp: fc.string(),
          }),
        ),
        fc.constantFrom('/api/trustchain/certificates', '/api/trustchain/revocations'),
        async (body, path) => {
          const r = await post(path, body)
          expect(r.status).toBeGreaterThanOrEqual(400)
          expect(r.status).toBeLessThan(500)
          expect(typeof r.body.error.code).toBe('string')
          expect(typeof r.body.error.message).toBe('string')
        },
      ),
      { numRuns: 150 },
    )
    expect(logSize()).toBe(before)
  })

  it('serves a checkpoint and tlog-tiles that rebuild the signed root and every entry', async () => {
    for (let i = 0; i < 3; i++) await clientFor(await generateKeyPair('Ed25519')).start()
    const note = await (await fetch(`${base}/log/checkpoint`)).text()
    const logKey = (await (await fetch(`${base}/api/trustchain/log-key`)).text()).trim()
    const opened = openNote(note, [parseVerifierKey(logKey)])
    const cp = parseCheckpoint(opened.text)
    expect(cp.origin).toBe(service.origin)
    expect(cp.size).toBe(logSize())

    const fetchTile = async (t: {
      level: number
      index: number
      width: number
    }): Promise<Uint8Array> => {
      const res = await fetch(`${base}/log/${tilePath(t)}`)
      expect(res.status).toBe(200)
      return new Uint8Array(await res.arrayBuffer())
    }
    const root = await treeHash(cp.size, tileHashReader(cp.size, fetchTile))
    expect(Buffer.from(root).equals(Buffer.from(cp.rootHash))).toBe(true)

    const bundleRes = await fetch(`${base}/log/${entriesPath(0, cp.size)}`)
    expect(bundleRes.headers.get('cache-control')).toBe('no-cache')
    const entries = decodeEntryBundle(new Uint8Array(await bundleRes.arrayBuffer()), cp.size)
    const leaves = await tileHashReader(cp.size, fetchTile).readHashes(
      entries.map((_, i) => storedHashIndex(0, i)),
    )
    entries.forEach((e, i) =>
      expect(Buffer.from(leafHash(e)).equals(Buffer.from(leaves[i]!))).toBe(true),
    )

    expect((await fetch(`${base}/log/${entriesPath(0, cp.size + 1)}`)).status).toBe(404)
    expect((await fetch(`${base}/log/tile/0/x000`)).status).toBe(404)
  })

  it('proves consistency between two checkpoints', async () => {
    const first = parseCheckpoint(
      openNote(await (await fetch(`${base}/log/checkpoint`)).text(), [
        parseVerifierKey(service.logKey),
      ]).text,
    )
    await clientFor(await generateKeyPair('Ed25519')).start()
    const second = parseCheckpoint(
      openNote(await (await fetch(`${base}/log/checkpoint`)).text(), [
        parseVerifierKey(service.logKey),
      ]).text,
    )
    const r = (await (
      await fetch(`${base}/api/trustchain/consistency?from=${first.size}&to=${second.size}`)
    ).json()) as { proof: string[] }
    verifyConsistency(
      first.size,
      second.size,
      r.proof.map((p) => new Uint8Array(Buffer.from(p, 'base64'))),
      first.rootHash,
      second.rootHash,
    )
  })

  it('logs a revocation signed by the certificate key, and verifiers then refuse the certificate', async () => {
    const key = await generateKeyPair('Ed25519')
    const held = await clientFor(key).start()
    const fields = {
      serialHex: held.serial,
      peerId: peerIdFromPrivateKey(key).toString(),
      revokedAt: Date.now(),
      reason: 'key compromised',
      authority: 'key' as const,
    }
    const signature = Buffer.from(await key.sign(revocationMessage(fields))).toString('base64')
    const body = {
      serial: held.serial,
      reason: fields.reason,
      revokedAt: fields.revokedAt,
      authority: 'key',
      signature,
    }
    const r = await post('/api/trustchain/revocations', body)
    expect(r.status).toBe(201)
    expect(parseTlogProof(r.body.proof).index).toBe(r.body.logIndex)
    expect((await post('/api/trustchain/revocations', body)).status).toBe(409)

    // A verifier that follows the log now refuses the certificate, naming the check.
    const verifier = clientFor(await generateKeyPair('Ed25519'))
    await verifier.start()
    await expect(
      verifier.verifyHello(fields.peerId, {
        certificate: parseCertificate(held.pem).der,
        proof: held.proof,
        checkpoint: parseTlogProof(held.proof).checkpoint,
      }),
    ).rejects.toMatchObject({ code: 'ERR_CERTIFICATE_REVOKED', check: 'revocation' })

    // A revocation signed by another key is refused and not logged.
    const other = await generateKeyPair('Ed25519')
    const held2 = await clientFor(other).start()
    const forged = {
      serial: held2.serial,
      reason: 'x',
      revokedAt: Date.now(),
      authority: 'key',
      signature: Buffer.from(
        await key.sign(
          revocationMessage({
            serialHex: held2.serial,
            peerId: peerIdFromPrivateKey(other).toString(),
            revokedAt: Date.now(),
            reason: 'x',
            authority: 'key',
          }),
        ),
      ).toString('base64'),
    }
    const before = logSize()
    const f = await post('/api/trustchain/revocations', forged)
    expect(f.status).toBe(403)
    expect(logSize()).toBe(before)
  })

  it('refuses a certificate presented for another peer, naming the peer-id check', async () => {
    const alice = await generateKeyPair('Ed25519')
    const bob = await generateKeyPair('Ed25519')
    const held = await clientFor(alice).start()
    const status = (await (await fetch(`${base}/api/trustchain/status`)).json()) as {
      rootCertificate: string
      origin: string
      logKey: string
    }
    await expect(
      verifyBundle(
        { certificate: held.pem, proof: held.proof },
        {
          root: parseCertificate(status.rootCertificate),
          origin: status.origin,
          logVerifier: parseVerifierKey(status.logKey),
        },
        { now: Date.now(), expectedPeerId: peerIdFromPrivateKey(bob).toString() },
      ),
    ).rejects.toMatchObject({ check: 'peer-id' })
  })
})
