import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ed25519 } from '@noble/curves/ed25519.js'
import {
  decodeGenesis,
  encodeGenesis,
  validateGenesis,
  type GenesisConfig,
} from '@/lib/ledger/genesis'
import { UNITS_PER_CREDIT } from '@/lib/chain/units'
import type { ChainConfig } from '../config'

/** The chain as the server knows it: its genesis and the anchor validator's key. */
export interface ServerChain {
  genesis: GenesisConfig
  /** `encodeGenesis(genesis)`: what GET /api/chain/genesis serves. */
  genesisBytes: Uint8Array
  /** The anchor validator's 32-byte Ed25519 secret key. */
  anchorSecret: Uint8Array
  anchorPublicKey: Uint8Array
}

async function readOrNull(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

/**
 * Load the chain of `dataDir`, or create it on first start: a new anchor key
 * (`chain-anchor.key`, mode 0600), a chain ID of its own and the genesis from `config`, stored in
 * `chain-genesis.cbor`. Later starts use the stored genesis whatever the environment says, since
 * every node must agree on it; a new chain needs a new DATA_DIR.
 */
export async function loadOrCreateServerChain(init: {
  dataDir: string
  config: ChainConfig
  /** The TrustChain root key: registrations must carry a certificate it signed. */
  trustchainRoot: Uint8Array
  now: number
}): Promise<ServerChain> {
  await mkdir(init.dataDir, { recursive: true })
  const keyPath = join(init.dataDir, 'chain-anchor.key')
  const genesisPath = join(init.dataDir, 'chain-genesis.cbor')
  let secret = await readOrNull(keyPath)
  if (secret === null) {
    secret = randomBytes(32)
    await writeFile(keyPath, secret, { mode: 0o600, flag: 'wx' })
    await chmod(keyPath, 0o600)
  }
  if (secret.byteLength !== 32) throw new Error(`${keyPath}: expected a 32-byte key`)
  const anchorSecret = new Uint8Array(secret)
  const anchorPublicKey = ed25519.getPublicKey(anchorSecret)
  const stored = await readOrNull(genesisPath)
  let genesis: GenesisConfig
  if (stored !== null) {
    genesis = decodeGenesis(new Uint8Array(stored))
  } else {
    const g = init.config.genesis
    genesis = validateGenesis({
      chainId: `hypermesh-${randomBytes(6).toString('hex')}`,
      genesisTime: init.now,
      anchorValidators: [
        { publicKey: anchorPublicKey, stake: BigInt(g.anchorStake) * UNITS_PER_CREDIT },
      ],
      allocations: [],
      registrationGrant: BigInt(g.registrationGrant) * UNITS_PER_CREDIT,
      maxGrantsPerEpoch: g.maxGrantsPerEpoch,
      hashcashBits: g.hashcashBits,
      epochLength: g.epochBlocks,
      maxValidators: 31,
      slashFractionPerMille: 100,
      trustchainRoot: init.trustchainRoot,
      maxTxBytes: 16 * 1024,
      maxBlockTxs: 5_000,
    })
    await writeFile(genesisPath, encodeGenesis(genesis), { flag: 'wx' })
  }
  return { genesis, genesisBytes: encodeGenesis(genesis), anchorSecret, anchorPublicKey }
}
