import { openDB } from 'idb'

/**
 * The tab slot and its stored key bytes: Web Locks and IndexedDB only, no libp2p, so the early
 * script (lib/client/early-entry.ts) can run it while the node's own bundle is still loading.
 */

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

function openSlotDb(slot: number): ReturnType<typeof openDB> {
  return openDB(`hypermesh-slot-${slot}`, 1, {
    upgrade(database) {
      database.createObjectStore('identity')
    },
  })
}

/** The slot's stored private key (libp2p protobuf bytes), or undefined before its first use. */
export async function readSlotKey(slot: number): Promise<Uint8Array | undefined> {
  const db = await openSlotDb(slot)
  try {
    const stored = (await db.get('identity', 'privateKey')) as Uint8Array | undefined
    return stored === undefined ? undefined : new Uint8Array(stored)
  } finally {
    db.close()
  }
}

/**
 * Store the slot's first key. `add`, not `put`: a key already there is never overwritten (the
 * slot's Web Lock makes its holder the only writer, so that would be a bug elsewhere, and the
 * write then fails rather than replace an identity).
 */
export async function addSlotKey(slot: number, key: Uint8Array): Promise<void> {
  const db = await openSlotDb(slot)
  try {
    await db.add('identity', key, 'privateKey')
  } finally {
    db.close()
  }
}

/** A value kept beside the slot's key (its certificate, the newest log checkpoint it has seen). */
export async function readSlotValue<T>(slot: number, key: string): Promise<T | undefined> {
  const db = await openSlotDb(slot)
  try {
    return (await db.get('identity', key)) as T | undefined
  } finally {
    db.close()
  }
}

/** Store a value beside the slot's key (never under the key's own name). */
export async function putSlotValue(slot: number, key: string, value: unknown): Promise<void> {
  if (key === 'privateKey')
    throw new Error('putSlotValue: the identity key is written by addSlotKey only')
  const db = await openSlotDb(slot)
  try {
    await db.put('identity', value, key)
  } finally {
    db.close()
  }
}
