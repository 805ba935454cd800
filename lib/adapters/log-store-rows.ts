import type { CertificateRecord, RevocationRecord } from '../trustchain/log-store'

/**
 * Row shapes and mappers shared by the SQL log stores (node:sqlite and PostgreSQL use the same
 * table layout and column names).
 */
export interface CertificateRow {
  log_index: number
  serial_hex: string
  peer_id: string
  not_before: number
  not_after: number
}

export interface RevocationRow {
  log_index: number
  serial_hex: string
  peer_id: string
  revoked_at: number
  reason: string
}

export function toCertificate(row: CertificateRow): CertificateRecord {
  return {
    serialHex: row.serial_hex,
    peerId: row.peer_id,
    logIndex: row.log_index,
    notBefore: row.not_before,
    notAfter: row.not_after,
  }
}

export function toRevocation(row: RevocationRow): RevocationRecord {
  return {
    serialHex: row.serial_hex,
    peerId: row.peer_id,
    logIndex: row.log_index,
    revokedAt: row.revoked_at,
    reason: row.reason,
  }
}
