/**
 * `attest`: an RTT attestation (PoSpace). The sender, a registered node, is the witness: it states
 * it measured round trip `rttMs` to node `subject` at chain height `height`, while its own Vivaldi
 * coordinate was `coord`. Body `{ subject: bytes(32), rttMs, height, coord: { vec[8], height,
 * error } }`.
 *
 * The subject's record keeps this latest attestation (witness, RTT, height, witness coordinate):
 * an upper bound on its network distance from a known point. The witness's record keeps `coord`
 * as its own latest coordinate. Refused: attesting oneself, an unregistered witness or subject, a
 * height above the block's, or one below the subject's latest attestation.
 */
import { readMap, readNumber, readPublicKey, readUint, equalBytes, toHex } from '../codec'
import { MAX_ATTESTED_RTT_MS } from '../constants'
import { BadAttestationError, SelfAttestationError, UnknownNodeError } from '../errors'
import type { TxKind } from '../types'
import { readCoordinate, type LedgerCoordinate } from '../values'

/** Body of an `attest`. */
export interface AttestBody {
  /** The node measured. */
  subject: Uint8Array
  /** Round-trip time measured, ms (0 to 60,000). */
  rttMs: number
  /** Chain height the witness measured at (≤ the block's). */
  height: number
  /** The witness's Vivaldi coordinate at the time. */
  coord: LedgerCoordinate
}

/** The `attest` kind. */
export const attestKind: TxKind<AttestBody> = {
  kind: 'attest',
  decodeBody(raw) {
    const m = readMap(raw, 'body', ['subject', 'rttMs', 'height', 'coord'])
    return {
      subject: readPublicKey(m.subject, 'body.subject'),
      rttMs: readNumber(m.rttMs, 'body.rttMs', 0, MAX_ATTESTED_RTT_MS),
      height: readUint(m.height, 'body.height'),
      coord: readCoordinate(m.coord, 'body.coord'),
    }
  },
  check(view, tx) {
    const { subject, height } = tx.body
    if (equalBytes(subject, tx.from)) throw new SelfAttestationError()
    if (view.node(tx.from) === undefined) throw new UnknownNodeError(toHex(tx.from))
    const node = view.node(subject)
    if (node === undefined) throw new UnknownNodeError(toHex(subject))
    if (height > view.height) throw new BadAttestationError('future')
    if (node.attestation !== null && height < node.attestation.height) {
      throw new BadAttestationError('stale')
    }
  },
  apply(view, tx) {
    const { subject, rttMs, height, coord } = tx.body
    const witness = view.node(tx.from)!
    view.putNode(tx.from, { ...witness, coord, coordHeight: view.height })
    const node = view.node(subject)!
    view.putNode(subject, {
      ...node,
      attestation: { witness: tx.from, rttMs, height, coord },
    })
  },
}
