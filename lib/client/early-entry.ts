/**
 * Entry of the tab's early script (scripts/build-node.mjs → public/node/early.js, a few KiB),
 * loaded `async` from the root layout's <head> beside the node's bundle. While that bundle (about
 * 600 KiB) downloads and compiles, this one takes the tab slot, starts reading the slot's key from
 * IndexedDB and asks the server where the relay is; the node picks the three results up
 * (takeEarlyStart) instead of starting them itself, which takes them off the join's critical path.
 */
import { claimSlot, readSlotKey } from '@/lib/adapters/idb-slot'
import { nodeStarted } from './boot-state'
import { offerEarlyStart } from './early-start'
import { fetchBootstrapJson } from './bootstrap-fetch'

// Too late: the node's bundle ran first and does all three itself.
if (!nodeStarted()) {
  const slot = claimSlot()
  offerEarlyStart({
    slot,
    key: slot.then(readSlotKey),
    bootstrap: fetchBootstrapJson(null, { signal: AbortSignal.timeout(10_000) }),
  })
}
