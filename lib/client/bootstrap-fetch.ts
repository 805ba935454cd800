/**
 * GET /api/bootstrap, unchecked. Imports nothing, so the early script (early-entry.ts) can use it
 * as well as the node (node-runtime.ts, which checks the answer with parseBootstrapAnswer).
 */
export async function fetchBootstrapJson(
  peerId: string | null,
  options?: { signal?: AbortSignal },
): Promise<unknown> {
  const query = peerId === null ? '' : `?peer=${encodeURIComponent(peerId)}`
  const res = await fetch(`/api/bootstrap${query}`, { cache: 'no-store', signal: options?.signal })
  if (!res.ok) throw new Error(`bootstrap answered ${res.status}`)
  return res.json()
}
