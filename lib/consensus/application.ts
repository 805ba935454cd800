/**
 * The boundary between consensus and the state machine it replicates (the ledger), in the manner
 * of CometBFT's ABCI but synchronous and pure: consensus orders blocks of opaque transactions, the
 * application checks and executes them. The ledger implements this interface (lib/ledger/app.ts);
 * the simulator may plug in a smaller one. Nothing here does I/O.
 *
 * Blocks are executed before they are voted on: a proposal's header carries the state root *after*
 * its transactions, so a commit certificate covers the resulting state and a proof of state needs
 * no later block (docs/consensus.md).
 */

/** A validator of the committee for one height. */
export interface CommitteeMember {
  /** Raw 32-byte Ed25519 public key (also the account and the libp2p identity). */
  publicKey: Uint8Array
  /** Voting power (> 0). The committee's total power fits in a safe integer. */
  power: number
}

/** What consensus tells the application about the block being executed. */
export interface BlockContext {
  chainId: string
  height: number
  /** BFT time of this block, ms since the epoch (stake-weighted median of the parent's precommits). */
  time: number
  /** Public key of the proposer. */
  proposer: Uint8Array
  /** Public keys whose precommits are in the parent block's commit certificate (uptime). */
  lastCommitSigners: readonly Uint8Array[]
}

/** A replicated, deterministic state machine. `S` is an immutable state value. */
export interface Application<S> {
  /**
   * Cheap admission check for the mempool: decode the transaction and check it against `state`
   * (signature, nonce, balance). Throws a typed error saying why it is refused.
   */
  checkTx(state: S, tx: Uint8Array): void
  /**
   * Execute a block's transactions in order on top of `state` and return the new state; `state`
   * itself is unchanged. Throws a typed error if any transaction is invalid (the block is then
   * invalid and a validator prevotes nil).
   */
  executeBlock(state: S, context: BlockContext, txs: readonly Uint8Array[]): S
  /** Merkle root of `state` (32 bytes): what block headers commit to. */
  stateRoot(state: S): Uint8Array
  /** The committee that validates `height` (chosen at epoch boundaries from stake × uptime). */
  committee(state: S, height: number): readonly CommitteeMember[]
  /**
   * Optional: the sender and sequence number of a transaction, when the application orders each
   * sender's transactions (account nonces). The proposer then puts each sender's pooled
   * transactions in sequence order, whatever order gossip delivered them in. `null`: no order.
   */
  txSequence?(tx: Uint8Array): { sender: string; sequence: number } | null
}
