import type { PrivateKey } from '@libp2p/interface'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { putSlotValue, readSlotValue } from '@/lib/adapters/idb-slot'
import { NO_PERSISTENCE, TrustchainClient, type HeldCertificate } from '@/lib/trustchain/client'
import type { Hello } from '@/lib/trustchain/handshake-codec'

/**
 * The tab's TrustChain client, loaded as its own chunk once the node runs: certificate parsing
 * and checking (the certificate parser, Ed25519 in JS, the Merkle proofs) stay out of the code a tab needs to join.
 */
export interface TabTrustchain {
  client: TrustchainClient
  hello(options: { signal?: AbortSignal }): Promise<Hello>
  verifyHello(peerId: string, hello: Hello): Promise<{ logIndex: number }>
}

/**
 * `?trustchain-test=tampered` makes this tab present its certificate with one byte of the signed
 * part changed, `?trustchain-test=foreign` a valid certificate issued to another key: the e2e
 * tests check that every peer refuses such a tab and says why. Only this tab's own standing
 * suffers; it has no other effect.
 */
type TestMode = 'tampered' | 'foreign' | null

function testMode(): TestMode {
  const v = new URLSearchParams(location.search).get('trustchain-test')
  return v === 'tampered' || v === 'foreign' ? v : null
}

function clientFor(slot: number | null, key: PrivateKey, persist: boolean): TrustchainClient {
  const peerId = peerIdFromPrivateKey(key).toString()
  return new TrustchainClient(
    {},
    {
      fetch: (path, init) => fetch(path, init),
      peerId,
      publicKey: key.publicKey.raw,
      sign: (data) => key.sign(data),
      now: () => Date.now(),
      yieldNow: () => new Promise((r) => setTimeout(r, 0)),
      persistence:
        persist && slot !== null
          ? {
              load: async () => {
                const [certificate, checkpoint] = await Promise.all([
                  readSlotValue<HeldCertificate>(slot, 'certificate'),
                  readSlotValue<string>(slot, 'checkpoint'),
                ])
                return {
                  ...(certificate !== undefined ? { certificate } : {}),
                  ...(checkpoint !== undefined ? { checkpoint } : {}),
                }
              },
              saveCertificate: (c) => putSlotValue(slot, 'certificate', c),
              saveCheckpoint: (note) => putSlotValue(slot, 'checkpoint', note),
            }
          : NO_PERSISTENCE,
    },
  )
}

/** Create the tab's client for its slot and identity key. */
export function createTabTrustchain(slot: number | null, key: PrivateKey): TabTrustchain {
  const client = clientFor(slot, key, true)
  const mode = testMode()
  let foreign: Promise<TrustchainClient> | null = null
  return {
    client,
    async hello(options) {
      const hello = await client.hello(options)
      if (mode === 'tampered') {
        const certificate = hello.certificate.slice()
        // The last byte of the serial number (SEQUENCE, SEQUENCE, [0] version, INTEGER serial):
        // still a well-formed certificate, no longer the one the CA signed.
        const serialLength = certificate[14]!
        const i = 15 + serialLength - 1
        certificate[i] = certificate[i]! ^ 0x01
        return { ...hello, certificate }
      }
      if (mode === 'foreign') {
        foreign ??= generateKeyPair('Ed25519').then(async (other) => {
          const c = clientFor(null, other, false)
          await c.start()
          return c
        })
        return (await foreign).hello(options)
      }
      return hello
    },
    verifyHello: (peerId, hello) => client.verifyHello(peerId, hello),
  }
}
