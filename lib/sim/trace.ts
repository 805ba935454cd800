/**
 * The trace hash: SHA-256 over every processed event (type, virtual time, host, sender, id and the
 * message bytes). Two runs with the same hash processed the same events in the same order with the
 * same payloads; that is what "the same seed replays byte for byte" means. The header goes through
 * one reused buffer, so hashing costs no allocation per event.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'

const HEADER_BYTES = 21

/** Incremental hash of a run's events. */
export class TraceHasher {
  private readonly hash = sha256.create()
  private readonly header = new Uint8Array(HEADER_BYTES)
  private readonly view = new DataView(this.header.buffer)

  /**
   * Adds one event.
   *
   * @param type - event type code
   * @param time - virtual time, ms
   * @param host - handling host, or -1
   * @param from - sender NodeId, or -1
   * @param id - timer id, fault index, or 0
   * @param bytes - message payload, if any
   */
  event(
    type: number,
    time: number,
    host: number,
    from: number,
    id: number,
    bytes?: Uint8Array,
  ): void {
    const v = this.view
    v.setUint8(0, type)
    v.setFloat64(1, time)
    v.setInt32(9, host)
    v.setInt32(13, from)
    v.setUint32(17, bytes === undefined ? id >>> 0 : bytes.length)
    this.hash.update(this.header)
    if (bytes !== undefined && bytes.length > 0) this.hash.update(bytes)
  }

  /** The hash as lowercase hex. Ends the hasher. */
  digestHex(): string {
    return bytesToHex(this.hash.digest())
  }
}
