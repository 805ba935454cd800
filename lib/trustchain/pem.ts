/**
 * PEM → DER for certificates, in a module of its own so the boot bundle can turn the tab's held
 * certificate into DER (for its ledger registration) without loading the certificate parser.
 */

/**
 * The DER bytes of a single PEM `CERTIFICATE` block, or `null` when `text` is not exactly one
 * such block with a base64 body.
 */
export function certificatePemToDer(text: string): Uint8Array<ArrayBuffer> | null {
  const match =
    /^\s*-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END CERTIFICATE-----\s*$/.exec(
      text,
    )
  if (!match) return null
  const base64 = match[1]!.replace(/[\r\n]/g, '')
  if (base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return null
  const binary = atob(base64)
  const der = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) der[i] = binary.charCodeAt(i)
  return der
}
