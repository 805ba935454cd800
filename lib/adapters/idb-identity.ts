import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { addSlotKey, readSlotKey } from './idb-slot'

export { claimSlot, MAX_SLOTS } from './idb-slot'

/**
 * The Ed25519 identity of a slot, kept in that slot's IndexedDB database (libp2p's handshake needs
 * the key bytes, so it cannot be a non-extractable WebCrypto key). Created on first use.
 *
 * @param stored the slot's stored key if already being read (the early script starts reading it
 *   before this bundle has loaded)
 */
export async function loadSlotIdentity(
  slot: number,
  stored: Promise<Uint8Array | undefined> = readSlotKey(slot),
): Promise<PrivateKey> {
  const bytes = await stored
  if (bytes !== undefined) return privateKeyFromProtobuf(bytes)
  const key = await generateKeyPair('Ed25519')
  // Not awaited: the slot's Web Lock makes this tab the only writer, so the node need not wait
  // for the write (tens of ms on a busy machine) before it starts. A failed write costs the next
  // visit a new identity; it is reported, never silent.
  addSlotKey(slot, privateKeyToProtobuf(key)).catch((err: unknown) => {
    console.error('could not store this tab identity; the next visit gets a new one', err)
  })
  return key
}
