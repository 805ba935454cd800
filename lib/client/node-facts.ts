/**
 * What the ledger holds about one node, read from the proof-of-state bundle its consensus worker
 * exports for the node's account (`proof {account}`: the `account/<key>` and `node/<key>` facts
 * of the latest block). The explorer's node and asset pages show these figures; the same bundle
 * is what their "Verify" checks, so what is shown is what can be proven.
 *
 * The pages load this module with `import()`: it carries the dag-cbor and ledger decoders, which
 * the explorer's other pages do not need.
 */
import { decodeProofOfState } from '@/lib/chain/proof-of-state'
import { toHex } from '@/lib/consensus/bytes'
import { decodeHeader } from '@/lib/consensus/codec'
import { accountKey, decodeFactValue, nodeKey, type LedgerCoordinate } from '@/lib/ledger/values'

/** A node's ledger facts as the pages show them (amounts as decimal text of base units). */
export interface NodeLedgerFacts {
  /** Height of the block the facts are of; null when there was no bundle. */
  height: number | null
  /** Its account; null when the ledger has none for the key. */
  account: {
    balance: string
    stake: string
    /** Sum of its unbonding entries. */
    unbonding: string
    nonce: number
    /** Last epoch in which it sent a transaction. */
    activeEpoch: number | null
  } | null
  /** Its node record; null when the key never registered as a node. */
  node: {
    /** Height of its first registration. */
    registered: number
    /** `notAfter` of the TrustChain certificate it registered with (ms), or null. */
    certExpiry: number | null
    /** Whether it received the registration grant. */
    granted: boolean
    /** Its own latest coordinate (sent with its latest attestation as a witness). */
    coord: LedgerCoordinate | null
    coordHeight: number | null
    /** The latest attestation about it: a witness measured `rttMs` to it at `height`. */
    attestation: { witness: string; rttMs: number; height: number; coord: LedgerCoordinate } | null
  } | null
}

/** No bundle: the ledger has nothing on the key (or no block yet). */
export const NO_NODE_FACTS: NodeLedgerFacts = Object.freeze({
  height: null,
  account: null,
  node: null,
}) as NodeLedgerFacts

function keyBytes(keyHex: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(keyHex)) throw new RangeError('nodeFactsOf: key must be 64 hex digits')
  return Uint8Array.from(keyHex.match(/../g)!, (h) => parseInt(h, 16))
}

/**
 * The account and node facts of `keyHex` in a bundle (`null`: the worker had none to export).
 * It does not verify the bundle (the pages' Verify does, in the worker); it decodes what this
 * tab's own worker built from its verified chain.
 *
 * @throws {@link ProofOfStateDecodeError} or a ledger decode error for bytes that are no bundle
 */
export function nodeFactsOf(bundle: Uint8Array | null, keyHex: string): NodeLedgerFacts {
  const key = keyBytes(keyHex)
  if (bundle === null) return NO_NODE_FACTS
  const p = decodeProofOfState(bundle)
  const height = decodeHeader(p.header).height
  let account: NodeLedgerFacts['account'] = null
  let node: NodeLedgerFacts['node'] = null
  const aKey = accountKey(key)
  const nKey = nodeKey(key)
  for (const f of p.facts) {
    if (f.key === aKey) {
      const v = decodeFactValue(f.key, f.value)
      if (v.type !== 'account') continue
      account = {
        balance: v.value.balance.toString(),
        stake: v.value.stake.toString(),
        unbonding: v.value.unbonding.reduce((a, u) => a + u.amount, 0n).toString(),
        nonce: v.value.nonce,
        activeEpoch: v.value.active,
      }
    } else if (f.key === nKey) {
      const v = decodeFactValue(f.key, f.value)
      if (v.type !== 'node') continue
      const a = v.value.attestation
      node = {
        registered: v.value.registered,
        certExpiry: v.value.certExpiry,
        granted: v.value.granted,
        coord: v.value.coord,
        coordHeight: v.value.coordHeight,
        attestation:
          a === null
            ? null
            : { witness: toHex(a.witness), rttMs: a.rttMs, height: a.height, coord: a.coord },
      }
    }
  }
  return { height, account, node }
}
