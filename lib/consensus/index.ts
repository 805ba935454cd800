/**
 * The consensus system's public surface (docs/consensus.md): the protocol core, the wire formats,
 * commit certificate and block verification for light clients and late joiners, and the errors.
 */
export type { Application, BlockContext, CommitteeMember } from './application'
export {
  type ChainParams,
  type ChainTip,
  type ValidateBlockOptions,
  type ValidatedBlock,
  chainParams,
  genesisTip,
  validateBlock,
} from './chain'
export {
  type VerifiedCertificate,
  type VerifyCertificateOptions,
  verifyCommitCertificate,
  weightedMedianTime,
} from './certificate'
export {
  type Block,
  type BlockHeader,
  type CommitCertificate,
  type CommitPrecommit,
  type Proposal,
  type SignedProposal,
  blockCid,
  blockHash,
  certificateHash,
  decodeBlock,
  decodeCertificate,
  decodeHeader,
  decodeProposal,
  encodeBlock,
  encodeCertificate,
  encodeHeader,
  encodeProposal,
  proposalSignBytes,
} from './codec'
export {
  type Committee,
  committeeHash,
  makeCommittee,
  proposerOf,
  proposerOrder,
} from './committee'
export * from './constants'
export {
  type ConsensusComponents,
  type ConsensusCore,
  type ConsensusInit,
  type ConsensusInput,
  type ConsensusOutput,
  type ConsensusStatus,
  type PersistRecord,
  type SignStep,
  type Step,
  type Timeout,
  type TimeoutConfig,
  type TimeoutKind,
  type Topic,
  consensusCore,
} from './core'
export * from './errors'
export { merkleRoot, merkleRootOfHashes, txHash, txsRoot } from './merkle'
export { type SyncOptions, syncBlock, syncBlocks } from './sync'
export {
  type SignedVote,
  type Vote,
  type VoteType,
  MAX_VOTE_BYTES,
  VOTE_DOMAIN,
  decodeVote,
  encodeVote,
  isEquivocation,
  voteSignBytes,
} from './vote'
export { verifyProposal, verifyVote } from './verify'
