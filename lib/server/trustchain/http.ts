import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  encodeEntryBundle,
  isTileAvailable,
  parseTilePath,
  readTile,
  TILE_WIDTH,
} from '../../trustchain/tiles'
import { ApiError } from './api-error'
import type { TrustchainService } from './service'

/** Largest request body the API reads (an issuance request is ~500 bytes). */
export const MAX_BODY_BYTES = 16 * 1024

/** Full tiles and entry bundles never change: cache them for a year (tlog-tiles). */
const IMMUTABLE = 'public, max-age=31536000, immutable'
/** Partial tiles and the checkpoint move with the log. */
const MOVING = 'no-cache'

/**
 * Answer a TrustChain request (`/api/trustchain/*` and the tlog-tiles tree under `/log/`) if the
 * path is one of ours; returns false otherwise so the caller hands it to Next.js. These routes run
 * on the plain Node.js server, not through Next.js, because issuance is on the hot path (DESIGN.md
 * §10: ≥ 2,000 certificates/s).
 *
 * @param clientKey - the client's address, for rate limiting
 */
export async function handleTrustchainRequest(
  req: IncomingMessage,
  res: ServerResponse,
  service: TrustchainService,
  clientKey: string,
): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost')
  const path = url.pathname
  if (!path.startsWith('/api/trustchain/') && !path.startsWith('/log/')) return false
  try {
    await route(req, res, service, url, clientKey)
  } catch (err) {
    if (res.headersSent) {
      res.destroy()
      return true
    }
    const e =
      err instanceof ApiError
        ? err
        : new ApiError(500, 'InternalError', 'ERR_INTERNAL', 'The server failed to answer.')
    if (!(err instanceof ApiError)) console.error('TrustChain API:', err)
    const headers: Record<string, string> = {}
    const retry = (err as { retryAfterS?: number }).retryAfterS
    if (retry !== undefined) headers['retry-after'] = String(retry)
    json(res, e.status, e.toJSON(), headers)
  }
  return true
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  service: TrustchainService,
  url: URL,
  clientKey: string,
): Promise<void> {
  const path = url.pathname
  const method = req.method ?? 'GET'
  const q = url.searchParams
  if (path.startsWith('/log/')) {
    allow(method, ['GET', 'HEAD'])
    return serveLog(res, service, path.slice('/log/'.length))
  }
  switch (path) {
    case '/api/trustchain/challenge':
      allow(method, ['GET'])
      service.limit(`challenge:${clientKey}`)
      return json(res, 200, service.challenge())
    case '/api/trustchain/certificates':
      if (method === 'POST') {
        service.limit(clientKey)
        return json(res, 201, await service.issue(await readJson(req)))
      }
      allow(method, ['GET', 'POST'])
      return json(res, 200, {
        certificates: await service.certificates({
          ...(q.has('peer') ? { peer: textParam(q, 'peer', /^[1-9A-HJ-NP-Za-km-z]{1,100}$/) } : {}),
          ...(q.has('serial') ? { serial: textParam(q, 'serial', /^[0-9a-f]{2,40}$/) } : {}),
          ...(q.has('recent') ? { recent: intParam(q, 'recent', 1, 100) } : {}),
        }),
      })
    case '/api/trustchain/certificate': {
      allow(method, ['GET'])
      const pem = await service.certificateAt(intParam(q, 'index', 0, Number.MAX_SAFE_INTEGER))
      if (pem === null)
        throw new ApiError(404, 'NotFound', 'ERR_NOT_FOUND', 'No certificate at this log index.')
      return text(res, 200, pem, 'application/x-pem-file', IMMUTABLE)
    }
    case '/api/trustchain/revocations':
      if (method === 'POST') {
        service.limit(clientKey)
        return json(res, 201, await service.revoke(await readJson(req)))
      }
      allow(method, ['GET', 'POST'])
      return json(res, 200, {
        revocations: await service.revocations(
          q.has('after') ? intParam(q, 'after', -1, Number.MAX_SAFE_INTEGER) : -1,
          q.has('limit') ? intParam(q, 'limit', 1, 10_000) : 1_000,
        ),
      })
    case '/api/trustchain/root':
      allow(method, ['GET'])
      return text(res, 200, service.rootPem, 'application/x-pem-file', 'public, max-age=3600')
    case '/api/trustchain/log-key':
      allow(method, ['GET'])
      return text(
        res,
        200,
        `${service.logKey}\n`,
        'text/plain; charset=utf-8',
        'public, max-age=3600',
      )
    case '/api/trustchain/status': {
      allow(method, ['GET'])
      const head = service.sequencer.head()
      return json(res, 200, {
        origin: service.origin,
        logKey: service.logKey,
        rootCertificate: service.rootPem,
        size: head.size,
        rootHash: Buffer.from(head.rootHash).toString('base64'),
        checkpoint: head.checkpoint,
        hashcashBits: service.hashcashBits,
      })
    }
    case '/api/trustchain/consistency': {
      allow(method, ['GET'])
      const size = service.sequencer.head().size
      const from = intParam(q, 'from', 0, size)
      const to = intParam(q, 'to', from, size)
      // RFC 9162 defines no proof from the empty tree: every tree extends it.
      const proof =
        from === 0 || from === to ? [] : await service.sequencer.proveConsistency(to, from)
      return json(res, 200, {
        from,
        to,
        proof: proof.map((h) => Buffer.from(h).toString('base64')),
        checkpoint: await service.store.checkpointAt(to),
      })
    }
    case '/api/trustchain/proof': {
      allow(method, ['GET'])
      const headSize = service.sequencer.head().size
      const size = intParam(q, 'size', 1, headSize)
      const index = intParam(q, 'index', 0, size - 1)
      const proof = await service.sequencer.proveInclusion(size, index)
      return json(res, 200, {
        index,
        size,
        proof: proof.map((h) => Buffer.from(h).toString('base64')),
        checkpoint: await service.store.checkpointAt(size),
      })
    }
    default:
      throw new ApiError(404, 'NotFound', 'ERR_NOT_FOUND', `No TrustChain route ${path}.`)
  }
}

/** tlog-tiles: `checkpoint`, `tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]`. */
async function serveLog(
  res: ServerResponse,
  service: TrustchainService,
  rest: string,
): Promise<void> {
  const head = service.sequencer.head()
  if (rest === 'checkpoint') {
    return text(res, 200, head.checkpoint, 'text/plain; charset=utf-8', MOVING)
  }
  let tile
  try {
    tile = parseTilePath(rest)
  } catch (err) {
    throw new ApiError(404, 'NotFound', 'ERR_TILE_PATH', (err as Error).message)
  }
  // An entry bundle exists exactly when the level-0 hash tile of the same index and width does.
  const asHashTile = {
    level: tile.kind === 'entries' ? 0 : tile.level,
    index: tile.index,
    width: tile.width,
  }
  if (!isTileAvailable(asHashTile, head.size)) {
    throw new ApiError(404, 'NotFound', 'ERR_TILE_MISSING', 'This tile does not exist (yet).')
  }
  const cache = tile.width === TILE_WIDTH ? IMMUTABLE : MOVING
  if (tile.kind === 'entries') {
    const start = tile.index * TILE_WIDTH
    const entries = await service.store.entries(start, start + tile.width)
    return bytes(res, encodeEntryBundle(entries), cache)
  }
  const data = await readTile(
    { level: tile.level, index: tile.index, width: tile.width },
    service.sequencer.reader,
  )
  return bytes(res, data, cache)
}

function allow(method: string, methods: string[]): void {
  if (!methods.includes(method)) {
    throw new ApiError(405, 'MethodNotAllowed', 'ERR_METHOD', `Use ${methods.join(' or ')}.`)
  }
}

function intParam(q: URLSearchParams, name: string, min: number, max: number): number {
  const raw = q.get(name)
  const n = raw === null || !/^-?\d{1,16}$/.test(raw) ? NaN : Number(raw)
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ApiError(
      400,
      'BadRequest',
      'ERR_BAD_REQUEST',
      `${name} must be an integer in [${min}, ${max}].`,
    )
  }
  return n
}

function textParam(q: URLSearchParams, name: string, pattern: RegExp): string {
  const v = q.get(name) ?? ''
  if (!pattern.test(v)) {
    throw new ApiError(400, 'BadRequest', 'ERR_BAD_REQUEST', `${name} is not well formed.`)
  }
  return v
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? ''
  if (!type.startsWith('application/json')) {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      'ERR_CONTENT_TYPE',
      'Send the body as application/json.',
    )
  }
  const declared = Number(req.headers['content-length'] ?? '0')
  if (declared > MAX_BODY_BYTES) {
    throw new ApiError(
      413,
      'TooLarge',
      'ERR_TOO_LARGE',
      `The body is over ${MAX_BODY_BYTES} bytes.`,
    )
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength
    if (size > MAX_BODY_BYTES) {
      throw new ApiError(
        413,
        'TooLarge',
        'ERR_TOO_LARGE',
        `The body is over ${MAX_BODY_BYTES} bytes.`,
      )
    }
    chunks.push(chunk as Buffer)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown
  } catch {
    throw new ApiError(400, 'BadRequest', 'ERR_JSON', 'The body is not valid JSON.')
  }
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const data = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(data),
    'cache-control': 'no-store',
    'access-control-allow-origin': '*',
    ...headers,
  })
  res.end(data)
}

function text(
  res: ServerResponse,
  status: number,
  body: string,
  type: string,
  cache: string,
): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': cache,
    'access-control-allow-origin': '*',
  })
  res.end(body)
}

function bytes(res: ServerResponse, body: Uint8Array, cache: string): void {
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': body.byteLength,
    'cache-control': cache,
    'access-control-allow-origin': '*',
  })
  res.end(body)
}
