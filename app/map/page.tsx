import type { Metadata } from 'next'
import { SYNTHETIC_MAX_NODES } from '@/lib/client/map-constants'
import { MapView, type MapViewProps } from './map-view'

export const metadata: Metadata = {
  title: 'Network map · HyperMesh',
  description:
    'Live map of the HyperMesh nodes this tab has heard from, placed by network latency.',
}

/** Seed of `?synthetic=N` when `?seed=` is absent. */
const DEFAULT_SYNTHETIC_SEED = 1

/**
 * The network map. `?synthetic=N` (1 ≤ N ≤ 1000, optional `&seed=S`) draws a seeded made-up mesh
 * instead of the live one, under a banner saying so: it exists for the render test and the bench.
 */
export default async function MapPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>
}): Promise<React.ReactNode> {
  const params = await searchParams
  const props = parseSynthetic(params.synthetic, params.seed)
  return (
    <div className="space-y-4">
      <section>
        <h1 className="text-2xl font-semibold tracking-tight">Network map</h1>
        <p className="mt-1 max-w-2xl text-sm text-slate-400">
          Every node this tab has heard from in the last 20 seconds, and who is connected to whom.
        </p>
      </section>
      <MapView {...props} />
    </div>
  )
}

function parseSynthetic(
  raw: string | string[] | undefined,
  rawSeed: string | string[] | undefined,
): MapViewProps {
  if (raw === undefined) return { synthetic: null, syntheticProblem: null }
  const value = Array.isArray(raw) ? raw[0] : raw
  const nodes = Number(value)
  if (!/^\d+$/.test(value ?? '') || nodes < 1 || nodes > SYNTHETIC_MAX_NODES) {
    return {
      synthetic: null,
      syntheticProblem: `Showing the live network: ?synthetic must be a whole number from 1 to ${SYNTHETIC_MAX_NODES}.`,
    }
  }
  const seedValue = Array.isArray(rawSeed) ? rawSeed[0] : rawSeed
  const seed =
    seedValue !== undefined && /^\d{1,9}$/.test(seedValue)
      ? Number(seedValue)
      : DEFAULT_SYNTHETIC_SEED
  return { synthetic: { nodes, seed }, syntheticProblem: null }
}
