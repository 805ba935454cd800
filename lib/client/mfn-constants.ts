/** The globalThis key of the MFN bridge's slot (lib/client/mfn-bridge.ts), read by /mfn. */
export const MFN_SLOT_KEY = '__hypermeshMfn'
