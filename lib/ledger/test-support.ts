/**
 * Test fixtures of the ledger: named keys (alice, bob, …), a small genesis, block contexts,
 * transaction builders and verifiers. Imported by the tests only, never by the ledger itself.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import {
  createPrivateKey,
  createPublicKey,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto'
import { expect } from 'vitest'
import { encodeAssetId, newAssetId, type AssetId, type AssetType } from '../assets/asset-id'
import type { BlockContext } from '../consensus/application'
import type { SignatureVerifier } from '../ports'
import { mintHashcash } from '../trustchain/hashcash'
import { verifyEd25519 } from '../trustchain/ed25519'
import type { AssetCapacity, LedgerAssetShare } from './assets'
import type { GenesisConfig } from './genesis'
import { registrationResource } from './kinds'
import { account } from './queries'
import type { LedgerState } from './state'
import { buildTx } from './tx'

/** A test identity. */
export interface Who {
  name: string
  secretKey: Uint8Array
  publicKey: Uint8Array
  sign: (bytes: Uint8Array) => Uint8Array
}

const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
])
const SPKI_PREFIX = Uint8Array.from([
  0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
])

/** A deterministic identity named `name`; signs with node:crypto (same bytes as noble). */
export function who(name: string): Who {
  const secretKey = sha256(new TextEncoder().encode(`ledger-test/${name}`))
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, secretKey]),
    format: 'der',
    type: 'pkcs8',
  })
  // node:crypto derives the same key as noble's ed25519.getPublicKey, several times faster.
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' })
  const publicKey = new Uint8Array(spki.subarray(spki.length - 32))
  return {
    name,
    secretKey,
    publicKey,
    sign: (bytes) => new Uint8Array(nodeSign(null, bytes, key)),
  }
}

/** Anchor validator of {@link testGenesis}, funded. */
export const alice = who('alice')
/** Anchor validator of {@link testGenesis}, funded. */
export const bob = who('bob')
/** Funded, not a validator. */
export const carol = who('carol')
/** Unknown to the genesis. */
export const dave = who('dave')
/** Unknown to the genesis. */
export const erin = who('erin')
/** Unknown to the genesis. */
export const frank = who('frank')

/** The strict noble verifier of TrustChain, as the consensus rule. */
export const nobleVerifier: SignatureVerifier = { verify: verifyEd25519 }

const publicKeys = new Map<string, KeyObject>()

/** A fast verifier through node:crypto, for large blocks in tests. */
export const nodeVerifier: SignatureVerifier = {
  verify(publicKey, message, signature) {
    if (publicKey.length !== 32 || signature.length !== 64) return false
    const id = Buffer.from(publicKey).toString('hex')
    let key = publicKeys.get(id)
    if (key === undefined) {
      try {
        key = createPublicKey({
          key: Buffer.concat([SPKI_PREFIX, publicKey]),
          format: 'der',
          type: 'spki',
        })
      } catch {
        return false
      }
      publicKeys.set(id, key)
    }
    return nodeVerify(null, message, key, signature)
  },
}

/** A fixed genesis time: nothing here reads the clock. */
export const T0 = Date.UTC(2026, 4, 20, 9, 30, 0)

/** A small genesis: alice and bob anchors, alice/bob/carol funded, 8-bit stamps, epochs of 4. */
export function testGenesis(overrides: Partial<GenesisConfig> = {}): GenesisConfig {
  return {
    chainId: 'hypermesh-test',
    genesisTime: T0,
    anchorValidators: [
      { publicKey: alice.publicKey, stake: 1_000n },
      { publicKey: bob.publicKey, stake: 500n },
    ],
    allocations: [
      { publicKey: alice.publicKey, amount: 10_000n },
      { publicKey: bob.publicKey, amount: 10_000n },
      { publicKey: carol.publicKey, amount: 10_000n },
    ],
    registrationGrant: 100n,
    maxGrantsPerEpoch: 2,
    hashcashBits: 8,
    epochLength: 4,
    maxValidators: 31,
    slashFractionPerMille: 100,
    maxTxBytes: 4_096,
    maxBlockTxs: 5_000,
    ...overrides,
  }
}

/** The context of the block after `state`, one second later, signed by `signers`. */
export function nextContext(state: LedgerState, signers: readonly Who[] = []): BlockContext {
  return {
    chainId: state.genesis.chainId,
    height: state.height + 1,
    time: state.time + 1_000,
    proposer: alice.publicKey,
    lastCommitSigners: signers.map((s) => s.publicKey),
  }
}

/** Options of {@link tx}. */
export interface TxOptions {
  nonce?: number
  fee?: bigint
  chain?: string
}

/** A signed transaction from `from`, with its next nonce in `state` unless given. */
export function tx(
  state: LedgerState,
  from: Who,
  kind: string,
  body: unknown,
  options: TxOptions = {},
): Uint8Array {
  return buildTx(
    {
      chain: options.chain ?? state.genesis.chainId,
      kind,
      from: from.publicKey,
      nonce: options.nonce ?? account(state, from.publicKey)?.nonce ?? 0,
      fee: options.fee ?? 1n,
      body,
    },
    from.sign,
  )
}

/** A registration stamp for `w` on the chain of `state`, minted at the state's time. */
export function stampFor(state: LedgerState, w: Who, bits = state.genesis.hashcashBits): string {
  const resource = registrationResource(state.genesis.chainId, w.publicKey)
  const nowSeconds = Math.floor(state.time / 1000)
  for (let start = 0; ; start += 65_536) {
    const stamp = mintHashcash({ resource, bits, nowSeconds, startNonce: start })
    if (stamp !== null) return stamp
  }
}

/** The error `fn` throws (fails the test when it does not throw). */
export function thrown(fn: () => unknown): Error {
  try {
    fn()
  } catch (err) {
    return err as Error
  }
  expect.fail('expected a throw')
}

/** A measured capacity of a well-equipped browser: every figure known, a GPU. */
export const CAPACITY: AssetCapacity = Object.freeze({
  platform: 'browser',
  cores: 8,
  cpuScore: 1_234.5,
  memoryBytes: 8 * 2 ** 30,
  storageBytes: 10 ** 9,
  writeBytesPerSecond: 5e7,
  goodputBytesPerSecond: 1.25e6,
  gpu: Object.freeze({
    label: 'Apple M2',
    fallback: false,
    maxBufferSize: 2 ** 28,
    maxStorageBufferBindingSize: 2 ** 27,
    maxComputeWorkgroupsPerDimension: 65_535,
    maxComputeInvocationsPerWorkgroup: 256,
  }),
})

/** A capacity of which nothing was measured. */
export const UNMEASURED: AssetCapacity = Object.freeze({
  platform: 'browser',
  cores: null,
  cpuScore: null,
  memoryBytes: null,
  storageBytes: null,
  writeBytesPerSecond: null,
  goodputBytesPerSecond: null,
  gpu: null,
})

/** A deterministic asset ID of `type`, its UUID derived from `seed`. */
export function testAssetId(type: AssetType, seed: string): AssetId {
  return newAssetId(type, sha256(new TextEncoder().encode(`asset-test/${seed}`)).slice(0, 16))
}

/** A valid share of each type, within {@link CAPACITY}. */
export const SHARES: Readonly<Record<AssetType, LedgerAssetShare>> = Object.freeze({
  cpu: { amount: 2, hours: null },
  gpu: { amount: 0.5, hours: 8 },
  memory: { amount: 2 ** 29, hours: null },
  storage: { amount: 10 ** 8, hours: 23.5 },
  network: { amount: 10 ** 6, hours: null },
  container: { amount: null, hours: 12 },
  economic: { amount: null, hours: null },
})

/** A wire-shaped `register-asset` body for `id`, with what may be overridden. */
export function registerAssetBody(
  id: AssetId,
  overrides: Partial<{
    port: number
    level: string
    share: unknown
    capacity: unknown
    createdUs: number
  }> = {},
): Record<string, unknown> {
  return {
    id: encodeAssetId(id),
    port: 7,
    level: 'public-network',
    share: SHARES[id.type],
    capacity: CAPACITY,
    createdUs: T0 * 1000 - 5_000_000,
    ...overrides,
  }
}
