/**
 * Tunable numbers of the mesh. Wire limits live here so the encoder, the decoder, the docs and the
 * tests agree on one value; changing a wire limit is a protocol change (see docs/heartbeat.md).
 */

/** Gossipsub topic every node publishes its signed heartbeat on. The suffix is the wire version. */
export const HEARTBEAT_TOPIC = 'hypermesh/heartbeat/1'

/** Wire version in every heartbeat body. A new field or rule means a new version and topic. */
export const HEARTBEAT_VERSION = 1

/**
 * Prepended (as UTF-8) to the body bytes before signing. Domain separation: the node signs other
 * messages with the same Ed25519 key, and without a distinct prefix a heartbeat signature could be
 * replayed as the signature of some other message whose bytes happen to equal a heartbeat body.
 */
export const HEARTBEAT_DOMAIN_PREFIX = 'hypermesh/heartbeat/1\n'

/** How often a node publishes a heartbeat, in milliseconds. */
export const HEARTBEAT_INTERVAL_MS = 5_000

/**
 * Largest heartbeat accepted on the wire, in bytes. Checked before any parsing so a flood of large
 * messages costs a length comparison, not a CBOR decode.
 */
export const MAX_HEARTBEAT_BYTES = 4_096

/** Default oldest accepted heartbeat timestamp, relative to the receiver's clock, in ms. */
export const HEARTBEAT_MAX_AGE_MS = 30_000

/** Default largest accepted clock lead of the sender over the receiver, in ms. */
export const HEARTBEAT_MAX_FUTURE_MS = 10_000

/**
 * Default time after which the validator forgets a silent peer's replay state, in ms. Must be at
 * least max age + max future, or an old heartbeat could be accepted again after being forgotten.
 */
export const HEARTBEAT_PEER_TTL_MS = 10 * 60_000

/** Default number of peers whose replay state the validator keeps; the oldest is evicted beyond. */
export const HEARTBEAT_MAX_TRACKED_PEERS = 10_000

/**
 * Sequence numbers are `clock ms × HEARTBEAT_SEQ_PER_MS + counter`: a restarted tab that keeps its
 * identity never reuses a sequence number, and up to this many heartbeats per ms stay ordered.
 */
export const HEARTBEAT_SEQ_PER_MS = 1_000

/** Most neighbours a heartbeat may report. */
export const HEARTBEAT_MAX_NEIGHBOURS = 64

/** Largest neighbour RTT on the wire, in ms; the encoder clamps longer measurements to it. */
export const HEARTBEAT_MAX_RTT_MS = 60_000

/** Most listen multiaddrs a heartbeat may carry. */
export const HEARTBEAT_MAX_MULTIADDRS = 8

/** Length of an Ed25519 signature, the only signature a heartbeat carries, in bytes. */
export const HEARTBEAT_SIGNATURE_BYTES = 64

/** Longest multiaddr string a heartbeat may carry, in characters. */
export const HEARTBEAT_MAX_MULTIADDR_LENGTH = 256

/** Longest app version string a heartbeat may carry, in characters (printable ASCII). */
export const HEARTBEAT_MAX_APP_VERSION_LENGTH = 32

/**
 * Longest peer ID string accepted before parsing. Base58 decoding is quadratic, so the length is
 * bounded before the parser sees it; Ed25519 peer IDs are 52 characters.
 */
export const HEARTBEAT_MAX_PEER_ID_LENGTH = 128

/** Longest neighbour peer ID multihash accepted before parsing, in bytes (Ed25519: 38). */
export const HEARTBEAT_MAX_PEER_ID_BYTES = 64

/** Largest core count a capability summary may report. */
export const HEARTBEAT_MAX_CORES = 1_024

/** Largest memory a capability summary may report, in GiB. */
export const HEARTBEAT_MAX_MEMORY_GIB = 65_536

/** Dimensions of the Euclidean part of a Vivaldi coordinate, as carried in heartbeats. */
export const HEARTBEAT_COORDINATE_DIMENSIONS = 8

/** Largest magnitude of a coordinate component, height or adjustment, in ms (as vivaldi.ts). */
export const HEARTBEAT_MAX_COORDINATE_COMPONENT = 1e6

/** Largest relative error of a coordinate. */
export const HEARTBEAT_MAX_COORDINATE_ERROR = 1.5

/**
 * Gossipsub's peer score, as the mesh needs it: without the IP-colocation penalty. Its default
 * (−5 × (peers on one IP − 10)², remembered for an hour after they leave) graylists every peer
 * once more than about 13 share an address, and browser tabs do share one: every tab behind the
 * same NAT as seen by the relay, every tab of one machine as seen by each other. Observed here:
 * after 14 tabs had come and gone, the relay ignored every newcomer's subscriptions and messages.
 * Sybil resistance is the job of certified identities (TrustChain), not of source addresses.
 */
export const MESH_GOSSIP_SCORE_PARAMS = { IPColocationFactorWeight: 0 }

/**
 * Gossipsub mesh degree for the heartbeat topic: D = 4 (3…8) instead of 6 (4…12), gossip to 3
 * peers outside the mesh instead of 6. A tab keeps about 4–8 direct links, so the default degree
 * made every link a mesh link and every heartbeat arrive up to a dozen times; each copy costs a
 * send, a receive and a duplicate check on a machine that also has to run the tab's jobs. Four
 * mesh links still give every heartbeat several independent paths (docs/heartbeat.md).
 */
export const MESH_GOSSIP_DEGREE = { D: 4, Dlo: 3, Dhi: 8, Dscore: 2, Dout: 1, Dlazy: 3 }
