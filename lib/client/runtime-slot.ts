/**
 * Pages reach parts of the node's runtime that live in other bundles (boot.js, assets.js) through
 * slots on globalThis: an object with `subscribe` and `get`, registered once the part has started.
 */

/** What a runtime part registers on globalThis. */
export interface RuntimeSlot<V> {
  subscribe(listener: () => void): () => void
  get(): V
}

/** The slot registered under `key`, if the part has started. */
export function runtimeSlot<V>(key: string): RuntimeSlot<V> | undefined {
  return (globalThis as unknown as Record<string, RuntimeSlot<V> | undefined>)[key]
}

/**
 * A `subscribe` for useSyncExternalStore over the slot under `key`. The node's script may still be
 * loading when the page mounts: until the slot is registered this polls for it every 200 ms.
 */
export function subscribeToSlot(key: string): (listener: () => void) => () => void {
  return (listener) => {
    let unsubscribe: (() => void) | null = null
    let timer: ReturnType<typeof setTimeout> | null = null
    const attach = (): void => {
      const s = runtimeSlot<unknown>(key)
      if (s === undefined) {
        timer = setTimeout(attach, 200)
        return
      }
      unsubscribe = s.subscribe(listener)
      listener()
    }
    attach()
    return () => {
      if (timer !== null) clearTimeout(timer)
      unsubscribe?.()
    }
  }
}
