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
