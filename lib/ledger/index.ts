/**
 * The HyperMesh ledger (DESIGN.md §4, docs/ledger.md): a pure, deterministic state machine of
 * accounts, nodes, stake and committees, with a sparse Merkle state root so any fact has an
 * inclusion proof. Consensus drives it through {@link createLedgerApp}'s `Application`.
 */
export { createGenesisState, createLedgerApp, type LedgerApp, type LedgerAppInit } from './app'
export {
  assetAddress,
  assetCapacityOf,
  assetShareOf,
  ledgerShareOf,
  measuredCapacityOf,
  type AssetCapacity,
  type AssetGpuCapacity,
  type AssetRecord,
  type LedgerAssetShare,
  type NodeAssets,
  type RegisteredLevel,
} from './assets'
export {
  electCommittee,
  epochOf,
  firstHeightOf,
  lastHeightOf,
  scalePowers,
  type Candidate,
  type ElectedMember,
} from './committee'
export * from './constants'
export * from './errors'
export {
  decodeGenesis,
  encodeGenesis,
  genesisHash,
  validateGenesis,
  type Allocation,
  type AnchorValidator,
  type GenesisConfig,
} from './genesis'
export {
  attestKind,
  DEFAULT_TX_KINDS,
  registerAssetKind,
  registerNodeKind,
  registrationResource,
  retireAssetKind,
  slashKind,
  stakeKind,
  transferKind,
  txKindRegistry,
  unstakeKind,
  updateAssetKind,
  type AttestBody,
  type RegisterAssetBody,
  type RegisterNodeBody,
  type RetireAssetBody,
  type SlashBody,
  type StakeBody,
  type TransferBody,
  type UpdateAssetBody,
} from './kinds'
export {
  account,
  allAssets,
  asset,
  assetLastSeen,
  assetOnline,
  assetsOf,
  checkSupply,
  DEFAULT_ASSET_ONLINE,
  decodeStateProof,
  encodeStateProof,
  node,
  proveAsset,
  proveFact,
  supplyCounters,
  totalSupply,
  verifyFact,
  type AssetEntry,
  type AssetListOptions,
  type AssetOnlineParams,
  type ProvenFact,
  type StateProof,
  type SupplyReport,
} from './queries'
export { EMPTY_HASH } from './smt'
export { addAmount, EMPTY_ACCOUNT, LedgerView, type LedgerState } from './state'
export { buildTx, decodeTx, txId, txSignBytes, type DecodeTxOptions } from './tx'
export type { DecodedTx, TxKind, TxKindRegistry, UnsignedTx } from './types'
export {
  accountKey,
  assetKey,
  committeeKey,
  decodeFactValue,
  GENESIS_KEY,
  GRANTS_KEY,
  HEAD_KEY,
  isStateKey,
  nodeAssetsKey,
  nodeKey,
  slashedKey,
  SUPPLY_KEY,
  UPTIME_KEY,
  type Account,
  type AttestationRecord,
  type FactValue,
  type GenesisRecord,
  type GrantCounter,
  type Head,
  type LedgerCoordinate,
  type NodeRecord,
  type SlashRecord,
  type StoredMember,
  type Supply,
  type UnbondingEntry,
  type UptimeRecord,
} from './values'
