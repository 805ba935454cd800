/** Display formats shared by the pages. */

/** An RTT for people: one decimal under 10 ms, whole milliseconds above; 'unknown' when null. */
export function formatRtt(rttMs: number | null): string {
  if (rttMs === null || !Number.isFinite(rttMs)) return 'unknown'
  return rttMs < 10 ? `${rttMs.toFixed(1)} ms` : `${Math.round(rttMs)} ms`
}
