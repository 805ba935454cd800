/**
 * `register-node`: make the sender's key a node of the ledger (creating its account if needed).
 * Body `{ stamp: string, cert: bytes | null }`.
 *
 * - `stamp`: a hashcash stamp (lib/trustchain/hashcash.ts) bound to
 *   `hypermesh-register/<chain ID>/<key hex>`, with at least the genesis `hashcashBits`, minted
 *   at most 24 h before and 5 min after the block time — the Sybil cost of an identity.
 * - `cert`: the node's TrustChain certificate (DER). Required when the genesis sets a
 *   `trustchainRoot`, refused when it does not. It must be a peer certificate for this very key,
 *   signed by the root, and valid at the block time; its `notAfter` is kept as the node's
 *   certificate expiry. Registering again renews it.
 *
 * The first registration of a key receives the genesis `registrationGrant`, minted, while fewer
 * than `maxGrantsPerEpoch` grants were paid this epoch; a node registered when the epoch's grants
 * were exhausted gets its grant on a later re-registration. Never twice.
 */
import {
  parseCertificate,
  peerIdOfPublicKey,
  type ParsedCertificate,
} from '../../trustchain/certificate'
import { checkHashcash, HASHCASH_MAX_LENGTH, HashcashError } from '../../trustchain/hashcash'
import { equalBytes, readBytes, readMap, readNullable, readString, toHex } from '../codec'
import {
  MAX_AMOUNT,
  REGISTRATION_RESOURCE_PREFIX,
  REGISTRATION_STAMP_MAX_AGE_S,
  REGISTRATION_STAMP_MAX_FUTURE_S,
  TX_MAX_BYTES_LIMIT,
} from '../constants'
import {
  BadCertificateError,
  BadStampError,
  CertificateExpiredError,
  CertificateRequiredError,
} from '../errors'
import { EMPTY_ACCOUNT, type LedgerView } from '../state'
import type { DecodedTx, TxKind } from '../types'
import { GRANTS_KEY, type GrantCounter } from '../values'
import { credit } from './common'

/** Body of a `register-node`. */
export interface RegisterNodeBody {
  /** Hashcash stamp bound to {@link registrationResource}. */
  stamp: string
  /** TrustChain certificate (DER), or null. */
  cert: Uint8Array | null
}

/**
 * The resource a registration stamp binds: `hypermesh-register/<chain ID>/<key hex>`, so a stamp
 * is good for one key on one chain.
 *
 * @example
 * ```ts
 * const stamp = mintHashcash({ resource: registrationResource(chainId, key), bits, nowSeconds })
 * ```
 */
export function registrationResource(chainId: string, publicKey: Uint8Array): string {
  return `${REGISTRATION_RESOURCE_PREFIX}/${chainId}/${toHex(publicKey)}`
}

function checkStamp(view: LedgerView, tx: DecodedTx<RegisterNodeBody>): void {
  try {
    checkHashcash(tx.body.stamp, {
      resource: registrationResource(view.genesis.chainId, tx.from),
      bits: view.genesis.hashcashBits,
      nowSeconds: Math.floor(view.time / 1000),
      maxAgeSeconds: REGISTRATION_STAMP_MAX_AGE_S,
      maxFutureSeconds: REGISTRATION_STAMP_MAX_FUTURE_S,
    })
  } catch (err) {
    if (err instanceof HashcashError) throw new BadStampError(err.reason)
    throw new BadStampError('format')
  }
}

/** The checked certificate, or null on a chain without a TrustChain root. */
function checkCertificate(
  view: LedgerView,
  tx: DecodedTx<RegisterNodeBody>,
): ParsedCertificate | null {
  const root = view.genesis.trustchainRoot
  const der = tx.body.cert
  if (root === undefined) {
    if (der !== null) throw new BadCertificateError('unexpected')
    return null
  }
  if (der === null) throw new CertificateRequiredError()
  let cert: ParsedCertificate
  try {
    cert = parseCertificate(der)
  } catch {
    throw new BadCertificateError('format')
  }
  if (cert.isCa || cert.peerId === null) throw new BadCertificateError('not-peer')
  if (!equalBytes(cert.subjectPublicKey, tx.from)) throw new BadCertificateError('key')
  if (cert.peerId !== peerIdOfPublicKey(tx.from)) throw new BadCertificateError('peer-id')
  // Through the injected verifier, as every other signature of the ledger: one rule everywhere.
  if (!view.verifier.verify(root, cert.tbs, cert.signature)) {
    throw new BadCertificateError('signature')
  }
  if (view.time < cert.notBefore) throw new CertificateExpiredError('not-yet-valid', view.time)
  if (view.time > cert.notAfter) throw new CertificateExpiredError('expired', view.time)
  return cert
}

/** The `register-node` kind. */
export const registerNodeKind: TxKind<RegisterNodeBody> = {
  kind: 'register-node',
  createsAccount: true,
  needsCertificate: false,
  decodeBody(raw) {
    const m = readMap(raw, 'body', ['stamp', 'cert'])
    return {
      stamp: readString(m.stamp, 'body.stamp', HASHCASH_MAX_LENGTH),
      cert: readNullable(m.cert, 'body.cert', (x, f) =>
        readBytes(x, f, { min: 1, max: TX_MAX_BYTES_LIMIT }),
      ),
    }
  },
  check(view, tx) {
    checkStamp(view, tx)
    checkCertificate(view, tx)
  },
  apply(view, tx) {
    const cert = checkCertificate(view, tx)
    const certExpiry = cert === null ? null : cert.notAfter
    const existing = view.node(tx.from)
    const g = view.genesis
    const stored = view.get(GRANTS_KEY) as GrantCounter
    const grants = stored.epoch === view.epoch ? stored : { epoch: view.epoch, count: 0 }
    const s = view.supply()
    const grant =
      existing?.granted !== true &&
      g.registrationGrant > 0n &&
      grants.count < g.maxGrantsPerEpoch &&
      // Minting stops short of 2^64 - 1 in circulation, so no balance can ever overflow.
      s.genesis + s.minted - s.burned <= MAX_AMOUNT - g.registrationGrant
    view.putNode(tx.from, {
      registered: existing?.registered ?? view.height,
      certExpiry,
      granted: existing?.granted === true || grant,
      coord: existing?.coord ?? null,
      coordHeight: existing?.coordHeight ?? null,
      attestation: existing?.attestation ?? null,
    })
    if (view.account(tx.from) === undefined) view.putAccount(tx.from, EMPTY_ACCOUNT)
    if (grant) {
      credit(view, tx.from, g.registrationGrant)
      view.mint(g.registrationGrant)
      view.put(GRANTS_KEY, { epoch: view.epoch, count: grants.count + 1 })
    }
  },
}
