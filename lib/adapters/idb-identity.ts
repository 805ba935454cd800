import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { openDB } from 'idb'

/** Highest number of tabs of one browser profile that each keep their own identity. */
export const MAX_SLOTS = 64

/**
 * Take the lowest free tab slot with the Web Locks API and hold it for the tab's lifetime. Two
 * tabs of one profile therefore never share an identity, and a reopened tab takes the slot (and
 * the identity) a closed one left. The lock is released by the browser when the tab goes away.
 */
export async function claimSlot(locks: LockManager = navigator.locks): Promise<number> {
  for (let slot = 0; slot < MAX_SLOTS; slot++) {
    const taken = await new Promise<boolean>((resolve, reject) => {
      locks
        .request(`hypermesh-slot-${slot}`, { ifAvailable: true }, async (lock) => {
          if (lock === null) {
            resolve(false)
            return
          }
          resolve(true)
          // Never settles: the lock is held until the tab closes.
          await new Promise<never>(() => undefined)
        })
        .catch(reject)
    })
    if (taken) return slot
  }
  throw new Error(`claimSlot: all ${MAX_SLOTS} tab slots of this browser profile are in use`)
}

/**
 * The Ed25519 identity of a slot, kept in that slot's IndexedDB database (libp2p's handshake needs
 * the key bytes, so it cannot be a non-extractable WebCrypto key). Created on first use.
 */
export async function loadSlotIdentity(slot: number): Promise<PrivateKey> {
  const db = await openDB(`hypermesh-slot-${slot}`, 1, {
    upgrade(database) {
      database.createObjectStore('identity')
    },
  })
  try {
    const stored = (await db.get('identity', 'privateKey')) as Uint8Array | undefined
    if (stored !== undefined) return privateKeyFromProtobuf(new Uint8Array(stored))
    const key = await generateKeyPair('Ed25519')
    // `add`, not `put`: if another context raced us to create it, keep theirs.
    try {
      await db.add('identity', privateKeyToProtobuf(key), 'privateKey')
      return key
    } catch {
      const winner = (await db.get('identity', 'privateKey')) as Uint8Array
      return privateKeyFromProtobuf(new Uint8Array(winner))
    }
  } finally {
    db.close()
  }
}
