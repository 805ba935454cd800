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
