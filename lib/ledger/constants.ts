/**
 * Fixed numbers of the ledger. Wire limits and domain tags live here so the encoder, the decoder,
 * docs/ledger.md and the tests agree on one value: changing any of them is a protocol change.
 * Per-chain parameters (epoch length, grant, hashcash bits, …) are in the genesis configuration.
 */

/** Domain separation tag of transaction signatures: signed bytes are `tag ‖ 0x00 ‖ body`. */
export const TX_DOMAIN = 'hypermesh/tx/v1'

/** Largest amount: amounts are unsigned 64-bit integers (bigint in memory, CBOR integers). */
export const MAX_AMOUNT = 2n ** 64n - 1n

/**
 * Largest encoded transaction any decoder accepts, whatever the genesis says: a bound on the work
 * a hostile byte string can cause before the chain's own (smaller) `maxTxBytes` applies.
 */
export const TX_MAX_BYTES_LIMIT = 65_536

/** Smallest `maxTxBytes` a genesis may set: a registration with a certificate must fit. */
export const TX_MIN_BYTES_LIMIT = 1_024

/** Length of a raw Ed25519 public key (an account). */
export const PUBLIC_KEY_BYTES = 32

/** Length of an Ed25519 signature. */
export const SIGNATURE_BYTES = 64

/** Transaction kind names: lowercase words joined by `-`, at most this long. */
export const MAX_KIND_LENGTH = 32

/** Chain IDs: 1–64 characters of `[A-Za-z0-9._-]` (they are bound into hashcash resources). */
export const CHAIN_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/

/** Most validators a genesis may allow in a committee (DESIGN.md §4 plans 31). */
export const MAX_VALIDATORS_LIMIT = 128

/** Most genesis allocations (and anchor validators) accepted. */
export const MAX_GENESIS_ENTRIES = 100_000

/** Largest encoded genesis configuration {@link decodeGenesis} accepts. */
export const MAX_GENESIS_BYTES = 16 * 1024 * 1024

/** Most hashcash bits a genesis may ask for registrations (each bit doubles the work). */
export const MAX_REGISTRATION_BITS = 40

/** Most transactions per block a genesis may allow. */
export const MAX_BLOCK_TXS_LIMIT = 100_000

/** Longest epoch a genesis may set, in blocks. */
export const MAX_EPOCH_LENGTH = 1_000_000_000

/**
 * Total committee power is scaled down to at most this (plus one per member): it must stay a safe
 * integer, and consensus sums powers in plain numbers.
 */
export const MAX_TOTAL_POWER = 2 ** 50

/** Prefix of the hashcash resource of a registration: `hypermesh-register/<chain>/<key hex>`. */
export const REGISTRATION_RESOURCE_PREFIX = 'hypermesh-register'

/** Oldest registration stamp accepted, in seconds before the block time. */
export const REGISTRATION_STAMP_MAX_AGE_S = 86_400

/** Furthest registration stamp accepted after the block time, in seconds (clock skew). */
export const REGISTRATION_STAMP_MAX_FUTURE_S = 300

/** Largest RTT an attestation may state, in ms (as heartbeats: anything above is a broken link). */
export const MAX_ATTESTED_RTT_MS = 60_000

/** Dimensions of a Vivaldi coordinate (Serf). */
export const COORDINATE_DIMENSIONS = 8

/** Largest magnitude of a coordinate component or height, in ms (as lib/mesh/vivaldi.ts). */
export const MAX_COORDINATE_COMPONENT_MS = 1e6

/** Largest Vivaldi error estimate (Serf's `VivaldiErrorMax`). */
export const MAX_COORDINATE_ERROR = 1.5

/**
 * Epochs after the request that unstaked credits stay bonded (and slashable): the validator may
 * still sit in the committee of the next epoch (elected two epochs ahead), and evidence of that
 * epoch is accepted for two more (EVIDENCE_MAX_AGE_EPOCHS), so release comes after both.
 */
export const UNBONDING_EPOCHS = 4

/** Stake changes take effect this many epochs later: the committee of `e + 2` is elected at the end of `e`. */
export const COMMITTEE_DELAY_EPOCHS = 2

/**
 * Evidence of an equivocation at a height of epoch `e` is accepted until the end of epoch
 * `e + EVIDENCE_MAX_AGE_EPOCHS`; committees older than that are pruned from the state.
 */
export const EVIDENCE_MAX_AGE_EPOCHS = 2

/** Longest state proof: one sibling per bit of a SHA-256 key hash. */
export const MAX_PROOF_DEPTH = 256

/** Largest encoded state proof {@link decodeStateProof} accepts. */
export const MAX_PROOF_BYTES = 16 * 1024

/** Largest state value {@link decodeFactValue} accepts. */
export const MAX_FACT_VALUE_BYTES = 64 * 1024

/** How many nonces ahead of an account's next one the mempool admits (`checkTx`). */
export const MEMPOOL_NONCE_WINDOW = 64

/** Most live (not retired) assets one node may have registered at once. */
export const MAX_LIVE_ASSETS_PER_NODE = 16

/**
 * Most assets one node may ever register, retired ones included. Retired records stay in the
 * state for history, so this bounds what a node can add to the state by registering and retiring
 * in a loop (fees may be zero).
 */
export const MAX_ASSET_REGISTRATIONS_PER_NODE = 256

/** Longest GPU label an asset's capacity may carry, in UTF-16 units (longer ones are cut). */
export const MAX_ASSET_GPU_LABEL_LENGTH = 128

/**
 * How far a registration's `createdUs` may be after the block time, in µs (clock skew, as for
 * registration stamps: 300 s).
 */
export const MAX_ASSET_CREATED_FUTURE_US = REGISTRATION_STAMP_MAX_FUTURE_S * 1_000_000

/**
 * Default freshness window of `assetOnline` (queries.ts), in blocks: the asset counts as
 * online on-chain when its registration or update, its node's latest attestation as a witness, or
 * the latest attestation about its node is at most this many blocks old. Tabs attest one peer a
 * minute (lib/client/chain-bridge.ts); at the default 1 s block interval under load this is two
 * minutes, at the 10 s empty-block interval twenty.
 */
export const ASSET_ONLINE_WINDOW_BLOCKS = 120
