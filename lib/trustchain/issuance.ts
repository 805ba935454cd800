/**
 * The client half of certificate issuance (docs/trustchain.md, "Issuance"): the bytes a node signs
 * to prove it holds its key, the resource its hashcash stamp binds, and the request flow.
 */

/** Context line of the proof of possession: a signature made for anything else cannot be reused. */
const POP_CONTEXT = 'hypermesh-trustchain-pop-v1'

/** The bytes a node signs with its identity key to answer challenge `nonce`. */
export function popMessage(nonce: string, peerId: string): Uint8Array {
  return new TextEncoder().encode(`${POP_CONTEXT}\n${nonce}\n${peerId}`)
}

/**
 * The resource a hashcash stamp binds: the peer ID and the challenge, so a stamp is good for one
 * request only and cannot be computed before the challenge exists.
 */
export function stampResource(peerId: string, nonce: string): string {
  return `${peerId}/${nonce}`
}
