/**
 * Constants of the consensus protocol: signing domains, codec limits (hard caps on what a decoder
 * accepts from the network) and the defaults of the chain parameters and timeouts
 * (docs/consensus.md).
 */

/** Domain separation tag of proposal signatures. */
export const PROPOSAL_DOMAIN = 'hypermesh/proposal/v1'

/** Domain separation tag of the proposer-order seed (not a signature: a hash input). */
export const PROPOSER_DOMAIN = 'hypermesh/proposer/v1'

/** Length of every hash (SHA-256) and of a validator key (raw Ed25519). */
export const HASH_BYTES = 32

/** Length of an Ed25519 signature. */
export const SIGNATURE_BYTES = 64

/** Longest chain ID (UTF-16 code units), as in votes. */
export const MAX_CHAIN_ID_LENGTH = 64

/** Hard cap of an encoded proposal (block included) accepted from the network. */
export const MAX_PROPOSAL_BYTES = 8 * 1024 * 1024

/** Hard cap of an encoded block, same as a proposal's. */
export const MAX_BLOCK_ENCODED_BYTES = MAX_PROPOSAL_BYTES

/** Hard cap of transactions in one block, whatever the chain parameters say. */
export const MAX_BLOCK_TXS_HARD = 65_536

/** Hard cap of one transaction's size, whatever the chain parameters say. */
export const MAX_TX_BYTES_HARD = 1024 * 1024

/** Hard cap of precommits in a commit certificate (committees have at most 31 members today). */
export const MAX_CERTIFICATE_PRECOMMITS = 256

/** Hard cap of an encoded commit certificate. */
export const MAX_CERTIFICATE_BYTES = 64 * 1024

/** Largest round number accepted (a round lasts at least a second: this is years). */
export const MAX_ROUND = 1_000_000

/** Default chain parameter: most transactions in a block. */
export const DEFAULT_MAX_BLOCK_TXS = 4_096

/** Default chain parameter: most transaction bytes in a block (sum of transaction lengths). */
export const DEFAULT_MAX_BLOCK_BYTES = 1024 * 1024

/** Default chain parameter: largest single transaction. */
export const DEFAULT_MAX_TX_BYTES = 64 * 1024

/** Default: how far ahead of the local clock a block's time may be (ms). */
export const DEFAULT_MAX_FUTURE_MS = 30_000

/** Default mempool cap in transactions. */
export const DEFAULT_MAX_MEMPOOL_TXS = 20_000

/** Default mempool cap in bytes. */
export const DEFAULT_MAX_MEMPOOL_BYTES = 64 * 1024 * 1024

/** Default timeouts (ms). Round r waits `base + r × delta`. */
export const DEFAULT_TIMEOUTS = {
  proposeBase: 1_000,
  proposeDelta: 500,
  prevoteBase: 500,
  prevoteDelta: 250,
  precommitBase: 500,
  precommitDelta: 250,
  /** Wait after a commit before round 0 of the next height: the shortest block interval. */
  commit: 300,
  /**
   * Longest wait after a commit when there is nothing to decide (no transaction in the mempool, no
   * proposal or vote of the next height heard): the empty-block interval. At most `commit` (the
   * default, 0) turns the wait off: a block every `commit` ms, empty or not.
   */
  idle: 0,
  /** Period at which a validator sends its latest signed messages of the round again (0: never). */
  rebroadcast: 1_000,
  /** Least time between two `request-sync` outputs. */
  syncRetry: 1_000,
} as const

/** How many rounds ahead of the current one votes and proposals are kept. */
export const MAX_ROUNDS_AHEAD = 64

/** Most messages of the next height kept while this node finishes the current one. */
export const MAX_BUFFERED_MESSAGES = 2_048

/** Most failed transactions the proposer evicts or leaves out while building one block before giving up on the rest. */
export const MAX_BLOCK_BUILD_EVICTIONS = 16
