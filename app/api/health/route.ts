import { getServices } from '@/lib/server/registry'

export const dynamic = 'force-dynamic'

/** GET /api/health → server and relay status. 200 when the relay runs, 503 otherwise. */
export function GET(): Response {
  const services = getServices()
  if (services === null) {
    return Response.json({ status: 'degraded', relay: null }, { status: 503 })
  }
  const relay = services.bootstrap.health()
  const ok = relay.status === 'ok'
  return Response.json(
    {
      status: ok ? 'ok' : 'degraded',
      version: services.version,
      uptimeS: Math.round((Date.now() - services.startedAt) / 1000),
      relay,
    },
    { status: ok ? 200 : 503, headers: { 'cache-control': 'no-store' } },
  )
}
