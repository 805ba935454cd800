import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import * as lengthPrefixed from 'it-length-prefixed'

/**
 * The project patches @libp2p/webrtc (patches/, applied by `npm ci` through patch-package). These
 * tests fail if the patch did not apply, and check that the hand-written frame encoder puts on
 * the wire exactly the bytes the library's own encoder would.
 */
const require = createRequire(import.meta.url)
const distDir = dirname(require.resolve('@libp2p/webrtc'))
const streamSource = readFileSync(join(distDir, 'stream.js'), 'utf8')
const initiatorSource = readFileSync(
  join(distDir, 'private-to-private', 'initiate-connection.js'),
  'utf8',
)
/** The library's own protobuf codec of data channel frames (not exported by the package). */
const { Message } = (await import(join(distDir, 'private-to-public', 'pb', 'message.js'))) as {
  Message: { encode: (m: { message?: Uint8Array }) => Uint8Array }
}

function patchedEncoder(): (payload: Uint8Array) => Uint8Array {
  const start = streamSource.indexOf('function varintLength')
  const end = streamSource.indexOf('export class WebRTCStream')
  expect(start).toBeGreaterThan(-1)
  expect(end).toBeGreaterThan(start)
  // The patched functions are plain, dependency-free JavaScript; evaluate them as written.
  return new Function(`${streamSource.slice(start, end)}; return encodeDataFrame`)() as (
    payload: Uint8Array,
  ) => Uint8Array
}

describe('@libp2p/webrtc patch', () => {
  it('is applied: drain at a quarter of the cap, one send per frame, no hang on an early-closed init channel', () => {
    expect(streamSource).toContain(
      'bufferedAmountLowThreshold = Math.floor(this.maxBufferedAmount / 4)',
    )
    expect(streamSource).toContain('this._sendMessage([encodeDataFrame(data.subarray())])')
    expect(initiatorSource).toContain("await pEvent(channel, ['open', 'close']")
    expect(streamSource).toContain('this.receiveFrames(new Uint8Array(data, 0, data.byteLength))')
  })

  it('encodes data frames byte for byte as lengthPrefixed(Message.encode({ message }))', () => {
    const encode = patchedEncoder()
    const sizes = [0, 1, 127, 128, 129, 16_377, 16_384, 2_097_152 + 3]
    for (const n of sizes) {
      const payload = Uint8Array.from({ length: n }, (_, i) => (i * 31) & 0xff)
      const expected = lengthPrefixed.encode.single(Message.encode({ message: payload })).subarray()
      expect(encode(payload)).toEqual(expected)
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20_000 }), (payload) => {
        const expected = lengthPrefixed.encode
          .single(Message.encode({ message: payload }))
          .subarray()
        expect(encode(payload)).toEqual(expected)
      }),
      { numRuns: 200 },
    )
  })
})

/** The library's stream over a stand-in data channel: what the patched receive path sees. */
const { createStream } = (await import(join(distDir, 'stream.js'))) as {
  createStream: (o: Record<string, unknown>) => EventTarget & { status: string }
}

function fakeChannel(): {
  channel: Record<string, unknown> & { onmessage?: (e: { data: ArrayBuffer }) => void }
} {
  const target = new EventTarget()
  const channel = Object.assign(target, {
    id: 7,
    label: '',
    readyState: 'open',
    binaryType: 'arraybuffer',
    bufferedAmount: 0,
    bufferedAmountLowThreshold: 0,
    send: () => undefined,
    close: () => undefined,
  }) as unknown as Record<string, unknown> & { onmessage?: (e: { data: ArrayBuffer }) => void }
  return { channel }
}

const silentLog = Object.assign(() => undefined, {
  error: () => undefined,
  trace: () => undefined,
  enabled: false,
  newScope: () => silentLog,
})

function receiver(): {
  deliver: (bytes: Uint8Array) => void
  received: () => Uint8Array
  stream: EventTarget & { status: string }
} {
  const { channel } = fakeChannel()
  const stream = createStream({ channel, direction: 'inbound', log: silentLog })
  const parts: Uint8Array[] = []
  stream.addEventListener('message', (evt) => {
    parts.push((evt as unknown as { data: { subarray: () => Uint8Array } }).data.subarray())
  })
  return {
    stream,
    deliver: (bytes) => {
      const copy = bytes.slice()
      channel.onmessage?.({ data: copy.buffer })
    },
    received: () => {
      const all = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
      let o = 0
      for (const p of parts) {
        all.set(p, o)
        o += p.byteLength
      }
      return all
    },
  }
}

describe('@libp2p/webrtc patch: synchronous frame decoder', () => {
  const frame = (payload: Uint8Array): Uint8Array =>
    lengthPrefixed.encode.single(Message.encode({ message: payload })).subarray()

  it('delivers payloads in order however the frames are cut into data channel messages', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 3_000 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 5_000 }), { maxLength: 20 }),
        (payloads, cuts) => {
          const r = receiver()
          const wire = Uint8Array.from(payloads.flatMap((p) => [...frame(p)]))
          let offset = 0
          for (const cut of cuts) {
            if (offset >= wire.byteLength) break
            r.deliver(wire.subarray(offset, offset + cut))
            offset += cut
          }
          if (offset < wire.byteLength) r.deliver(wire.subarray(offset))
          expect(r.received()).toEqual(Uint8Array.from(payloads.flatMap((p) => [...p])))
        },
      ),
      { numRuns: 150 },
    )
  })

  it('aborts the stream on a frame over the 4 MiB limit instead of buffering it', () => {
    const r = receiver()
    // varint(4 MiB + 1) = 0x81 0x80 0x80 0x02
    r.deliver(Uint8Array.of(0x81, 0x80, 0x80, 0x02, 0x12))
    expect(r.stream.status).toBe('aborted')
    expect(r.received().byteLength).toBe(0)
  })
})
