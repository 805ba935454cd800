/**
 * The chain one run of the consensus scenario replicates: a ledger genesis whose anchors are the
 * run's validators (equal stake, no TrustChain root), allocations for every node and workload
 * client, the real ledger application (lib/ledger) behind the real consensus core
 * (lib/consensus), and one Ed25519 verifier (node:crypto, the consensus rule) whose verdict cache
 * every process of the run shares: verdicts are deterministic, so sharing only saves time.
 */
import { nodeEd25519Verifier, type CachingVerifier } from '@/lib/adapters/ed25519-node'
import type { Application } from '@/lib/consensus/application'
import { type ChainParams, chainParams } from '@/lib/consensus/chain'
import type { TimeoutConfig } from '@/lib/consensus/core'
import { toHex } from '@/lib/consensus/bytes'
import { SignatureCache } from '@/lib/crypto/ed25519-rule'
import { createLedgerApp } from '@/lib/ledger/app'
import type { GenesisConfig } from '@/lib/ledger/genesis'
import type { LedgerState } from '@/lib/ledger/state'
import type { TxKindRegistry } from '@/lib/ledger/types'
import { SIM_EPOCH_MS } from '../../constants'
import { clientKey, identityKey, type SimKey } from './keys'

/** Chain ID of every simulated chain. */
export const SIM_CHAIN_ID = 'hypermesh-sim'

/** Bonded stake of each anchor validator at genesis. */
export const VALIDATOR_STAKE = 1_000_000n
/** Balance of each validator and plain node at genesis (pays evidence fees). */
export const NODE_BALANCE = 1_000_000_000n
/** Balance of each workload client at genesis. */
export const CLIENT_BALANCE = 1_000_000_000_000n
/** Fee of every transaction the scenario builds (burned: supply conservation sees it). */
export const TX_FEE = 1n
/** Share of stake burned per equivocation, ‰. */
export const SLASH_PER_MILLE = 50

/** What {@link buildSimChain} needs. */
export interface SimChainInit {
  validators: number
  nodes: number
  clients: number
  /** Blocks per epoch (committee elections by stake × uptime at epoch ends). */
  epochLength: number
  maxBlockTxs: number
  timeouts: Partial<TimeoutConfig>
}

/** Everything the processes, checks and workload of one run share. */
export interface SimChain {
  readonly genesis: GenesisConfig
  readonly app: Application<LedgerState>
  readonly genesisState: LedgerState
  readonly kinds: TxKindRegistry
  readonly params: ChainParams
  readonly timeouts: Partial<TimeoutConfig>
  readonly verifier: CachingVerifier
  /** Keys of identities 0..V+M-1 (twins share theirs). */
  readonly nodeKeys: readonly SimKey[]
  readonly clientKeys: readonly SimKey[]
  /** Identity of a validator or node key (hex), for naming equivocators. */
  readonly nodeOfKey: ReadonlyMap<string, number>
  readonly validators: number
}

/** Builds the genesis, the ledger application and the shared verifier of a run. */
export function buildSimChain(init: SimChainInit): SimChain {
  const total = init.validators + init.nodes
  const nodeKeys = Array.from({ length: total }, (_, i) => identityKey(i))
  const clientKeys = Array.from({ length: init.clients }, (_, i) => clientKey(i))
  const genesis: GenesisConfig = {
    chainId: SIM_CHAIN_ID,
    genesisTime: SIM_EPOCH_MS,
    anchorValidators: nodeKeys
      .slice(0, init.validators)
      .map((k) => ({ publicKey: k.publicKey, stake: VALIDATOR_STAKE })),
    allocations: [
      ...nodeKeys.map((k) => ({ publicKey: k.publicKey, amount: NODE_BALANCE })),
      ...clientKeys.map((k) => ({ publicKey: k.publicKey, amount: CLIENT_BALANCE })),
    ],
    registrationGrant: 0n,
    maxGrantsPerEpoch: 0,
    hashcashBits: 0,
    epochLength: init.epochLength,
    maxValidators: Math.max(31, init.validators),
    slashFractionPerMille: SLASH_PER_MILLE,
    maxTxBytes: 4_096,
    maxBlockTxs: init.maxBlockTxs,
  }
  // One verifier, one cache for the whole run (a run of 31 validators checks each signature
  // once instead of 31 times); large enough for a few seconds of 2,000 transfers/s.
  const verifier = nodeEd25519Verifier({ cache: new SignatureCache(1 << 17) })
  const ledger = createLedgerApp({ genesis, verifier })
  const params = chainParams({
    chainId: genesis.chainId,
    genesisTime: genesis.genesisTime,
    maxBlockTxs: genesis.maxBlockTxs,
    maxTxBytes: genesis.maxTxBytes,
  })
  return {
    genesis,
    app: ledger.app,
    genesisState: ledger.genesisState,
    kinds: ledger.kinds,
    params,
    timeouts: init.timeouts,
    verifier,
    nodeKeys,
    clientKeys,
    nodeOfKey: new Map(nodeKeys.map((k, i) => [toHex(k.publicKey), i])),
    validators: init.validators,
  }
}
