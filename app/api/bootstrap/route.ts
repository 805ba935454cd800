import { getServices } from '@/lib/server/registry'

export const dynamic = 'force-dynamic'

/** GET /api/bootstrap → relay multiaddrs and recently reserved peers a fresh tab can dial at once. */
export function GET(request: Request): Response {
  const services = getServices()
  if (services === null) {
    return Response.json(
      { error: { name: 'BootstrapUnavailable', message: 'The bootstrap relay is not running.' } },
      { status: 503 },
    )
  }
  const url = new URL(request.url)
  const host = request.headers.get('host') ?? url.host
  const hostname = host.startsWith('[')
    ? host.slice(0, host.indexOf(']') + 1)
    : (host.split(':')[0] ?? 'localhost')
  try {
    const info = services.bootstrap.bootstrapInfo(
      hostname,
      url.searchParams.get('peer') ?? undefined,
    )
    return Response.json(info, { headers: { 'cache-control': 'no-store' } })
  } catch {
    return Response.json(
      { error: { name: 'BootstrapUnavailable', message: 'The bootstrap relay is stopped.' } },
      { status: 503 },
    )
  }
}
