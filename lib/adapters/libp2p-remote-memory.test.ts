/**
 * Remote memory between two real libp2p nodes in Node.js: WebSockets on loopback, Noise, yamux.
 * The capability check is a stub here (the token is the JSON of what it allows); the real one is
 * wired with lib/assets/capability.ts.
 */
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { webSockets } from '@libp2p/websockets'
import type { Libp2p, Stream } from '@libp2p/interface'
import { createLibp2p } from 'libp2p'
import { Uint8ArrayList } from 'uint8arraylist'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ADDRESS_BYTES,
  FRAME_PREFIX_BYTES,
  MAX_REQUEST_FRAME_BYTES,
  RemoteMemoryError,
  createRemoteMemoryServer,
  decodeResponse,
  encodeRead,
  encodeResponse,
  type AuthorizeRequest,
  type AuthorizeVerdict,
  type RemoteMemoryRight,
} from '@/lib/assets/remote-memory'
import {
  CHUNK_BYTES,
  MAX_CHALLENGE_CHUNKS,
  createChallenge,
  createRetrievabilityProver,
  verifyRetrievability,
  type RetrievabilityResponse,
} from '@/lib/assets/retrievability'
import { openStoredBytes, type StoredBytes } from '@/lib/assets/stored-bytes'
import { seededRandom, type Clock } from '@/lib/ports'
import { MemoryKvState, createMemoryKvStore } from './memory-kv-store'
import {
  REMOTE_MEMORY_PROTOCOL,
  handleRemoteMemory,
  remoteMemoryClient,
  type RemoteMemoryClient,
} from './libp2p-remote-memory'

/** The server's clock is fixed: expiry is decided by the token, not by when the test runs. */
const T0 = 1_750_000_000_000
const clock: Clock = { now: () => T0 }
const SIZE = 1024 * 1024

const address = new Uint8Array(ADDRESS_BYTES).fill(0xaa)
const elsewhere = new Uint8Array(ADDRESS_BYTES).fill(0xbb)
/** A storage asset: durable bytes (a memory KvStore here, IndexedDB in a tab) that answer proofs. */
const storageAddress = new Uint8Array(ADDRESS_BYTES).fill(0xcc)
const STORAGE_SIZE = 2 * 1024 * 1024

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/** The commitment (root, size) to `content`, as its writer computes it. */
async function commit(content: Uint8Array): Promise<{ root: Uint8Array; size: number }> {
  const { root, size } = await createRetrievabilityProver({
    size: content.length,
    read: (o, l) => content.subarray(o, o + l),
  })
  return { root, size }
}

interface StubCapability {
  peer?: string
  rights: RemoteMemoryRight[]
  offset: number
  length: number
  expires: number
}

function token(c: Partial<StubCapability> = {}): Uint8Array {
  const full = { rights: ['read', 'write'], offset: 0, length: SIZE, expires: T0 + 60_000, ...c }
  return new TextEncoder().encode(JSON.stringify(full))
}

function stubAuthorize(bytes: Uint8Array, req: AuthorizeRequest, now: number): AuthorizeVerdict {
  let c: StubCapability
  try {
    c = JSON.parse(new TextDecoder().decode(bytes)) as StubCapability
  } catch {
    return { ok: false, code: 'CAPABILITY_INVALID', message: 'not a stub token' }
  }
  if (c.peer !== undefined && c.peer !== req.peer) {
    return { ok: false, code: 'CAPABILITY_WRONG_PEER', message: 'issued to another peer' }
  }
  if (now >= c.expires) return { ok: false, code: 'CAPABILITY_EXPIRED', message: 'expired' }
  if (!c.rights.includes(req.right)) {
    return { ok: false, code: 'CAPABILITY_NO_RIGHT', message: `no ${req.right} right` }
  }
  if (req.offset < c.offset || req.offset + req.length > c.offset + c.length) {
    return { ok: false, code: 'CAPABILITY_OUT_OF_RANGE', message: 'outside the granted range' }
  }
  return { ok: true }
}

async function startNode(): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0/ws'] },
    transports: [webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // Loopback addresses are private; the default gater would refuse to dial them.
    connectionGater: { denyDialMultiaddr: () => false },
  })
}

/** Read one response frame from a raw stream. */
function nextResponse(stream: Stream): Promise<Uint8Array> {
  const buffer = new Uint8ArrayList()
  return new Promise((resolve, reject) => {
    stream.addEventListener('message', (evt) => {
      buffer.append(evt.data)
      if (buffer.byteLength < FRAME_PREFIX_BYTES) return
      const total = FRAME_PREFIX_BYTES + buffer.getUint32(0)
      if (buffer.byteLength >= total) resolve(buffer.subarray(0, total))
    })
    stream.addEventListener('close', () => reject(new Error('closed before an answer')))
  })
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; !check(); i++) {
    if (i > 200) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

function expectCode(code: string) {
  return expect.objectContaining({ name: 'RemoteMemoryError', code })
}

describe('remote memory over real libp2p', () => {
  let alice: Libp2p
  let bob: Libp2p
  let client: RemoteMemoryClient
  let served: { stop(): Promise<void> }
  const memory = new Uint8Array(SIZE)
  let writes = 0
  const storageState = new MemoryKvState()
  let storage: StoredBytes

  beforeAll(async () => {
    ;[alice, bob] = await Promise.all([startNode(), startNode()])
    storage = await openStoredBytes(createMemoryKvStore(storageState), { maxBytes: STORAGE_SIZE })
    const server = createRemoteMemoryServer({
      assets: (a) =>
        sameBytes(a, address)
          ? {
              size: SIZE,
              read: (offset, length) => memory.subarray(offset, offset + length),
              write: (offset, bytes) => {
                writes++
                memory.set(bytes, offset)
              },
            }
          : sameBytes(a, storageAddress)
            ? {
                size: STORAGE_SIZE,
                read: (offset, length) => storage.read(offset, length),
                write: (offset, bytes) => storage.write(offset, bytes),
                prove: (offset, length, challenge) => storage.prove(offset, length, challenge),
              }
            : null,
      authorize: stubAuthorize,
      clock,
    })
    served = await handleRemoteMemory(bob, server)
    await alice.dial(bob.getMultiaddrs()[0]!)
    client = remoteMemoryClient(alice)
  })

  afterAll(async () => {
    client?.stop()
    await served?.stop()
    await Promise.all([alice?.stop(), bob?.stop()])
  })

  it('writes then reads back, the largest payload included', async () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff)
    await client.write(bob.peerId, address, 500, bytes, token())
    expect(await client.read(bob.peerId, address, 500, 1000, token())).toEqual(bytes)
    expect(memory.subarray(500, 1500)).toEqual(bytes)

    const big = Uint8Array.from({ length: SIZE }, (_, i) => (i * 13) & 0xff)
    await client.write(bob.peerId.toString(), address, 0, big, token())
    expect(await client.read(bob.peerId.toString(), address, 0, SIZE, token())).toEqual(big)
  })

  it('queues concurrent requests on one stream and answers each', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const bytes = new Uint8Array(100).fill(i + 1)
        await client.write(bob.peerId, address, i * 100, bytes, token())
        return client.read(bob.peerId, address, i * 100, 100, token())
      }),
    )
    results.forEach((r, i) => expect(r).toEqual(new Uint8Array(100).fill(i + 1)))
    // One stream per peer: only the client's stream to bob is open.
    const streams = alice
      .getConnections(bob.peerId)
      .flatMap((c) => c.streams)
      .filter((s) => s.protocol === REMOTE_MEMORY_PROTOCOL)
    expect(streams.length).toBe(1)
  })

  it('refusals come back as RemoteMemoryError with the server code, and change nothing', async () => {
    memory.fill(0x5a)
    const before = memory.slice()
    const writesBefore = writes
    const one = new Uint8Array([1, 2, 3])
    await expect(client.write(bob.peerId, address, 0, one, new Uint8Array(0))).rejects.toEqual(
      expectCode('NO_CAPABILITY'),
    )
    await expect(
      client.write(bob.peerId, address, 0, one, token({ expires: T0 - 1 })),
    ).rejects.toEqual(expectCode('CAPABILITY_EXPIRED'))
    await expect(
      client.write(bob.peerId, address, 10, one, token({ offset: 0, length: 11 })),
    ).rejects.toEqual(expectCode('CAPABILITY_OUT_OF_RANGE'))
    await expect(
      client.write(bob.peerId, address, 0, one, token({ rights: ['read'] })),
    ).rejects.toEqual(expectCode('CAPABILITY_NO_RIGHT'))
    await expect(
      client.write(bob.peerId, address, 0, one, token({ peer: bob.peerId.toString() })),
    ).rejects.toEqual(expectCode('CAPABILITY_WRONG_PEER'))
    await expect(client.write(bob.peerId, elsewhere, 0, one, token())).rejects.toEqual(
      expectCode('NOT_FOUND'),
    )
    await expect(
      client.write(bob.peerId, address, SIZE - 1, one, token({ length: 10 * SIZE })),
    ).rejects.toEqual(expectCode('OUT_OF_RANGE'))
    await expect(
      client.read(bob.peerId, address, SIZE, 1, token({ length: 10 * SIZE })),
    ).rejects.toEqual(expectCode('OUT_OF_RANGE'))
    expect(memory).toEqual(before)
    expect(writes).toBe(writesBefore)
    // The stream survives refusals: the next request on it succeeds.
    expect(await client.read(bob.peerId, address, 0, 3, token())).toEqual(before.subarray(0, 3))
  })

  it('the caller may bind the token to itself: the server sees the authenticated peer ID', async () => {
    const mine = token({ peer: alice.peerId.toString() })
    await client.write(bob.peerId, address, 7, new Uint8Array([42]), mine)
    expect(await client.read(bob.peerId, address, 7, 1, mine)).toEqual(new Uint8Array([42]))
  })

  it('an aborted request rejects with the signal reason and the next one works', async () => {
    const controller = new AbortController()
    controller.abort(new Error('user left'))
    await expect(
      client.read(bob.peerId, address, 0, 1, token(), { signal: controller.signal }),
    ).rejects.toThrow('user left')
    const inFlight = new AbortController()
    const pending = client.read(bob.peerId, address, 0, 1, token(), { signal: inFlight.signal })
    inFlight.abort(new Error('changed my mind'))
    // Whether the answer beat the abort or not, the next request gets a working stream.
    await pending.catch(() => undefined)
    memory[0] = 99
    expect(await client.read(bob.peerId, address, 0, 1, token())).toEqual(new Uint8Array([99]))
  })

  it('refuses a frame over the limit from its length prefix and closes the stream', async () => {
    const stream = await alice.dialProtocol(bob.peerId, REMOTE_MEMORY_PROTOCOL)
    const answer = nextResponse(stream)
    const closed = new Promise<void>((resolve) => stream.addEventListener('end', () => resolve()))
    const head = encodeRead({ requestId: 77, address, offset: 0, length: 1, token: token() })
    // Claim one byte more than the largest frame: only the prefix and header are ever sent.
    new DataView(head.buffer).setUint32(0, MAX_REQUEST_FRAME_BYTES - FRAME_PREFIX_BYTES + 1)
    stream.send(head)
    const response = decodeResponse(await answer)
    expect(response).toMatchObject({ requestId: 77, ok: false, code: 'FRAME_TOO_LARGE' })
    await closed
    expect(stream.remoteWriteStatus).toBe('closed')
    await stream.close()
  })

  it('an idle stream is closed, by the client or by the server, and the next request opens one', async () => {
    const carol = await startNode()
    const carolServed = await handleRemoteMemory(
      carol,
      createRemoteMemoryServer({
        assets: () => ({
          size: 4,
          read: (offset, length) => new Uint8Array([1, 2, 3, 4]).subarray(offset, offset + length),
          write: () => {},
        }),
        authorize: () => ({ ok: true }),
        clock,
      }),
      { idleTimeoutMs: 50 },
    )
    const patient = remoteMemoryClient(alice, { idleTimeoutMs: 60_000 })
    const eager = remoteMemoryClient(alice, { idleTimeoutMs: 10 })
    const openStreams = () =>
      alice
        .getConnections(carol.peerId)
        .flatMap((c) => c.streams)
        .filter((s) => s.protocol === REMOTE_MEMORY_PROTOCOL && s.status === 'open').length
    try {
      await alice.dial(carol.getMultiaddrs()[0]!)
      for (const c of [patient, eager]) {
        expect(await c.read(carol.peerId, address, 0, 4, token())).toEqual(
          new Uint8Array([1, 2, 3, 4]),
        )
        await waitFor(() => openStreams() === 0, 'the idle stream to close')
        expect(await c.read(carol.peerId, address, 1, 2, token())).toEqual(new Uint8Array([2, 3]))
      }
    } finally {
      patient.stop()
      eager.stop()
      await carolServed.stop()
      await carol.stop()
    }
  })

  it('a request without an answer times out, and the client goes on with a new stream', async () => {
    const carol = await startNode()
    // Carol takes requests and never answers the first one on a stream.
    let streams = 0
    await carol.handle(REMOTE_MEMORY_PROTOCOL, (stream) => {
      const first = streams++ === 0
      const buffer = new Uint8ArrayList()
      stream.addEventListener('message', (evt) => {
        buffer.append(evt.data)
        if (first || buffer.byteLength < FRAME_PREFIX_BYTES) return
        const frame = buffer.subarray(0, FRAME_PREFIX_BYTES + buffer.getUint32(0))
        buffer.consume(frame.length)
        const id = new DataView(frame.buffer, frame.byteOffset).getUint32(6)
        stream.send(encodeResponse({ requestId: id, ok: true, payload: new Uint8Array(2) }))
      })
    })
    const quick = remoteMemoryClient(alice, { timeoutMs: 200 })
    try {
      await alice.dial(carol.getMultiaddrs()[0]!)
      await expect(quick.read(carol.peerId, address, 0, 2, token())).rejects.toMatchObject({
        name: 'TimeoutError',
      })
      expect(await quick.read(carol.peerId, address, 0, 2, token())).toEqual(new Uint8Array(2))
      expect(streams).toBe(2)
      // Its other lines are not affected.
      expect(await quick.read(bob.peerId, address, 0, 2, token())).toHaveLength(2)
    } finally {
      quick.stop()
      await carol.stop()
    }
  })

  it('a peer that does not serve the protocol is UNREACHABLE', async () => {
    const carol = await startNode()
    try {
      await alice.dial(carol.getMultiaddrs()[0]!)
      await expect(client.read(carol.peerId, address, 0, 1, token())).rejects.toEqual(
        expectCode('UNREACHABLE'),
      )
    } finally {
      await carol.stop()
    }
  })

  it('refuses requests over the limits locally, before any I/O', async () => {
    await expect(
      client.write(bob.peerId, address, 0, new Uint8Array(1024 * 1024 + 1), token()),
    ).rejects.toEqual(
      expect.objectContaining({ name: 'RemoteMemoryFrameError', code: 'PAYLOAD_TOO_LARGE' }),
    )
    await expect(client.read(bob.peerId, address, 0, 1, new Uint8Array(4097))).rejects.toEqual(
      expect.objectContaining({ code: 'TOKEN_TOO_LARGE' }),
    )
  })

  it('storage: a durable write, read back, proved against the writer’s commitment', async () => {
    const offset = 100_000
    const content = Uint8Array.from({ length: 300 * 1024 + 5 }, (_, i) => (i * 31 + 7) & 0xff)
    const wide = token({ length: STORAGE_SIZE })
    await client.write(bob.peerId, storageAddress, offset, content, wide)
    expect(
      sameBytes(
        await client.read(bob.peerId, storageAddress, offset, content.length, wide),
        content,
      ),
    ).toBe(true)
    // Stored, not only in RAM: the same store opened again has the bytes.
    const reopened = await openStoredBytes(createMemoryKvStore(storageState), {
      maxBytes: STORAGE_SIZE,
    })
    expect(sameBytes(reopened.read(offset, content.length), content)).toBe(true)

    const { root, size } = await commit(content)
    const random = seededRandom(11)
    for (const k of [1, 32, MAX_CHALLENGE_CHUNKS]) {
      const challenge = createChallenge(size, k, random)
      const answer = await client.prove(bob.peerId, storageAddress, offset, size, challenge, wide)
      expect(answer.chunks.map((c) => c.index)).toEqual(challenge.indices)
      expect(verifyRetrievability(root, size, challenge, answer)).toEqual({ ok: true })
    }

    // The owner changes one byte in every chunk: every audit fails from then on.
    for (let i = 0; i < size; i += CHUNK_BYTES) {
      await storage.write(offset + i, Uint8Array.of(content[i]! ^ 0x80))
    }
    const challenge = createChallenge(size, 8, random)
    const answer = await client.prove(bob.peerId, storageAddress, offset, size, challenge, wide)
    expect(verifyRetrievability(root, size, challenge, answer)).toMatchObject({
      ok: false,
      code: 'BAD_PROOF',
    })
    // …and so does an audit against a commitment to other content.
    const other = await commit(content.map((x) => x ^ 1))
    const fresh = createChallenge(size, 8, random)
    const again = await client.prove(bob.peerId, storageAddress, offset, size, fresh, wide)
    expect(verifyRetrievability(other.root, size, fresh, again)).toMatchObject({ ok: false })
  })

  it('proofs need the read right on the range; the memory asset answers none', async () => {
    const challenge = { indices: [0] }
    const prove = (at: Uint8Array, length: number, tok: Uint8Array) =>
      client.prove(bob.peerId, at, 0, length, challenge, tok)
    await expect(prove(storageAddress, 10, new Uint8Array(0))).rejects.toEqual(
      expectCode('NO_CAPABILITY'),
    )
    await expect(prove(storageAddress, 10, token({ rights: ['write'] }))).rejects.toEqual(
      expectCode('CAPABILITY_NO_RIGHT'),
    )
    await expect(prove(storageAddress, SIZE + 1, token({ length: SIZE }))).rejects.toEqual(
      expectCode('CAPABILITY_OUT_OF_RANGE'),
    )
    await expect(
      prove(storageAddress, STORAGE_SIZE + 1, token({ length: 2 * STORAGE_SIZE })),
    ).rejects.toEqual(expectCode('OUT_OF_RANGE'))
    await expect(prove(address, 10, token())).rejects.toEqual(expectCode('PROOF_NOT_SUPPORTED'))
    // A challenge past the range is refused before any I/O.
    await expect(
      client.prove(bob.peerId, storageAddress, 0, 10, { indices: [1] }, token()),
    ).rejects.toEqual(
      expect.objectContaining({ name: 'RemoteMemoryFrameError', code: 'BAD_CHALLENGE' }),
    )
  })

  it('proofs, durable writes and reads queue on one stream, each answered in turn', async () => {
    const wide = token({ length: STORAGE_SIZE })
    const content = Uint8Array.from({ length: 64 * 1024 }, (_, i) => (i * 5) & 0xff)
    await client.write(bob.peerId, storageAddress, 0, content, wide)
    const { root, size } = await commit(content)
    const random = seededRandom(12)
    const challenges = Array.from({ length: 4 }, () => createChallenge(size, 4, random))
    const results = await Promise.all([
      ...challenges.map((c) => client.prove(bob.peerId, storageAddress, 0, size, c, wide)),
      client.write(bob.peerId, storageAddress, size, Uint8Array.of(1, 2, 3), wide),
      client.read(bob.peerId, address, 0, 4, token()),
    ])
    challenges.forEach((c, i) => {
      expect(verifyRetrievability(root, size, c, results[i] as RetrievabilityResponse)).toEqual({
        ok: true,
      })
    })
    expect(storage.read(size, 3)).toEqual(Uint8Array.of(1, 2, 3))
  })

  it('RemoteMemoryError shows a sentence for the code', async () => {
    const err = await client
      .read(bob.peerId, elsewhere, 0, 1, token())
      .catch((e: unknown) => e as RemoteMemoryError)
    expect(err).toBeInstanceOf(RemoteMemoryError)
    expect((err as RemoteMemoryError).code).toBe('NOT_FOUND')
    expect((err as RemoteMemoryError).serverMessage.length).toBeGreaterThan(0)
  })
})
