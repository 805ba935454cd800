/**
 * Server configuration, read once from the environment. Every setting has a documented variable
 * (README "Configuration"); defaults run a complete single-machine mesh.
 */
export interface ServerConfig {
  /** HTTP port of the site and API. `PORT`, default 3000. */
  port: number
  /** Interface the HTTP server binds. `HOST`, default 0.0.0.0. */
  host: string
  /** WebSockets port of the bootstrap relay. `RELAY_PORT`, default 3001 (PORT + 1). */
  relayPort: number
  /** Folder for the relay's key and later the embedded database. `DATA_DIR`, default ./data. */
  dataDir: string
  /** Relay multiaddrs to hand to browsers instead of ones derived from the request's host. `RELAY_ANNOUNCE`, comma-separated. */
  relayAnnounce: string[]
  /** Relay reservations accepted at once. `RELAY_MAX_RESERVATIONS`, default 1024. */
  maxReservations: number
  /** How many recently reserved peers /api/bootstrap hands a fresh tab. `BOOTSTRAP_PEERS`, default 8. */
  bootstrapPeers: number
  /**
   * STUN/TURN servers handed to nodes for WebRTC (`ICE_SERVERS`, comma-separated URLs such as
   * `stun:stun.example.org:3478`). Default none: host candidates only, enough on one machine or LAN.
   */
  iceServers: string[]
  /** Run `next dev` instead of the production build. */
  dev: boolean
  /** PostgreSQL for the TrustChain log (`DATABASE_URL`); null = node:sqlite in DATA_DIR. */
  databaseUrl: string | null
  trustchain: TrustchainConfig
  chain: ChainConfig
}

/** Ledger and consensus settings (README "Configuration", docs/consensus.md). */
export interface ChainConfig {
  /** Run the server's anchor validator. `HYPERMESH_ANCHOR`, default 1 (0 turns it off). */
  anchor: boolean
  /**
   * Genesis parameters, used only when the chain is created (first start with an empty DATA_DIR);
   * afterwards the stored genesis (DATA_DIR/chain-genesis.cbor) rules.
   */
  genesis: {
    /** Blocks per epoch. `CHAIN_EPOCH_BLOCKS`, default 60 (about a minute when idle). */
    epochBlocks: number
    /** Credits granted to a node on its first registration. `CHAIN_REGISTRATION_GRANT`, default 1000. */
    registrationGrant: number
    /** Most grants per epoch. `CHAIN_MAX_GRANTS_PER_EPOCH`, default 1000. */
    maxGrantsPerEpoch: number
    /** Leading zero bits of a registration's hashcash stamp. `CHAIN_HASHCASH_BITS`, default 12. */
    hashcashBits: number
    /**
     * The anchor validator's stake at genesis, in credits. `CHAIN_ANCHOR_STAKE`, default 100000:
     * far above a tab's registration grant, so tabs that stake and then close cannot take more
     * than a third of the power with them and halt the chain (docs/consensus.md, "Liveness").
     */
    anchorStake: number
  }
  /** Wait after a commit before the next height, ms (the shortest block interval). `CHAIN_BLOCK_INTERVAL_MS`, default 1000. */
  blockIntervalMs: number
  /**
   * Longest wait after a commit while there is nothing to decide, ms: the empty-block interval
   * (docs/consensus.md, "Timeouts"). `CHAIN_IDLE_BLOCK_INTERVAL_MS`, default 10000; at most
   * `blockIntervalMs` (e.g. 0) gives a block every `blockIntervalMs`, empty or not.
   */
  idleBlockIntervalMs: number
}

/** TrustChain settings (README "Configuration", docs/trustchain.md). */
export interface TrustchainConfig {
  /** Certificate lifetime, hours. `CERT_VALIDITY_HOURS`, default 24. */
  validityHours: number
  /** Leading zero bits of the issuance stamp. `HASHCASH_BITS`, default 14 (≈ 50 ms in a browser). */
  hashcashBits: number
  /** Issuance and revocation requests per minute per client address. `ISSUE_RATE_PER_MINUTE`, default 30. */
  issuePerMinute: number
  /** …and at once after a quiet period. `ISSUE_BURST`, default 20. */
  issueBurst: number
  /** Checkpoint origin (the log's name). `LOG_ORIGIN`, default `hypermesh/trustchain/<key hash>`. */
  origin: string | null
  /** Operator key allowed to revoke any certificate: base64 raw Ed25519 public key. `TRUSTCHAIN_ADMIN_KEY`. */
  adminKey: Uint8Array | null
}

function intFrom(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined || value === '') return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`config: ${name} must be an integer in [${min}, ${max}], got "${value}"`)
  }
  return n
}

/** Read the configuration from an environment (defaults to `process.env`). */
export function readServerConfig(
  env: Record<string, string | undefined> = process.env,
  dev = false,
): ServerConfig {
  const port = intFrom('PORT', env.PORT, 3000, 1, 65535)
  return {
    port,
    host: env.HOST ?? '0.0.0.0',
    relayPort: intFrom('RELAY_PORT', env.RELAY_PORT, port + 1, 0, 65535),
    dataDir: env.DATA_DIR ?? './data',
    relayAnnounce: (env.RELAY_ANNOUNCE ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    maxReservations: intFrom(
      'RELAY_MAX_RESERVATIONS',
      env.RELAY_MAX_RESERVATIONS,
      1024,
      1,
      1_000_000,
    ),
    iceServers: (env.ICE_SERVERS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    bootstrapPeers: intFrom('BOOTSTRAP_PEERS', env.BOOTSTRAP_PEERS, 8, 0, 64),
    dev,
    databaseUrl:
      env.DATABASE_URL === undefined || env.DATABASE_URL === '' ? null : env.DATABASE_URL,
    trustchain: {
      validityHours: intFrom('CERT_VALIDITY_HOURS', env.CERT_VALIDITY_HOURS, 24, 1, 24 * 365),
      hashcashBits: intFrom('HASHCASH_BITS', env.HASHCASH_BITS, 14, 0, 32),
      issuePerMinute: intFrom(
        'ISSUE_RATE_PER_MINUTE',
        env.ISSUE_RATE_PER_MINUTE,
        30,
        1,
        10_000_000,
      ),
      issueBurst: intFrom('ISSUE_BURST', env.ISSUE_BURST, 20, 1, 10_000_000),
      origin: env.LOG_ORIGIN === undefined || env.LOG_ORIGIN === '' ? null : env.LOG_ORIGIN,
      adminKey: adminKeyFrom(env.TRUSTCHAIN_ADMIN_KEY),
    },
    chain: {
      anchor: intFrom('HYPERMESH_ANCHOR', env.HYPERMESH_ANCHOR, 1, 0, 1) === 1,
      genesis: {
        epochBlocks: intFrom('CHAIN_EPOCH_BLOCKS', env.CHAIN_EPOCH_BLOCKS, 60, 2, 1_000_000),
        registrationGrant: intFrom(
          'CHAIN_REGISTRATION_GRANT',
          env.CHAIN_REGISTRATION_GRANT,
          1000,
          0,
          1_000_000_000,
        ),
        maxGrantsPerEpoch: intFrom(
          'CHAIN_MAX_GRANTS_PER_EPOCH',
          env.CHAIN_MAX_GRANTS_PER_EPOCH,
          1000,
          0,
          1_000_000,
        ),
        hashcashBits: intFrom('CHAIN_HASHCASH_BITS', env.CHAIN_HASHCASH_BITS, 12, 0, 32),
        anchorStake: intFrom(
          'CHAIN_ANCHOR_STAKE',
          env.CHAIN_ANCHOR_STAKE,
          100_000,
          1,
          1_000_000_000,
        ),
      },
      blockIntervalMs: intFrom(
        'CHAIN_BLOCK_INTERVAL_MS',
        env.CHAIN_BLOCK_INTERVAL_MS,
        1000,
        0,
        60_000,
      ),
      idleBlockIntervalMs: intFrom(
        'CHAIN_IDLE_BLOCK_INTERVAL_MS',
        env.CHAIN_IDLE_BLOCK_INTERVAL_MS,
        10_000,
        0,
        600_000,
      ),
    },
  }
}

function adminKeyFrom(value: string | undefined): Uint8Array | null {
  if (value === undefined || value === '') return null
  const key = Buffer.from(value, 'base64')
  if (key.byteLength !== 32 || key.toString('base64') !== value) {
    throw new Error('config: TRUSTCHAIN_ADMIN_KEY must be a base64 raw 32-byte Ed25519 public key')
  }
  return new Uint8Array(key)
}
