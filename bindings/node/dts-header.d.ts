/** One check of a verification: what was checked, where, and why it failed (English and Chinese). */
export interface Check {
  /** e.g. "structure", "maker_signature", "signer_signature", "data_digest", "certificate_chain". */
  check: string
  status: 'passed' | 'warning' | 'indeterminate' | 'failed'
  /** The named rule that decided it (PDF byte ranges and changes after signing: docs/pdf-changes.md); absent otherwise. */
  rule?: string
  subject: string
  message: string
  message_zh: string
}
/** `intact_untrusted`: intact, but the signer does not chain to a trust anchor. */
export type Verdict = 'valid' | 'valid_with_warnings' | 'intact_untrusted' | 'invalid'
/** The report on one signature (or a seal verified alone). */
export interface SignatureReport {
  id: string
  verdict: Verdict
  kind: string
  version: string
  signer: Record<string, string> | null
  seal: SealInfo | null
  signing_time: string | null
  signing_time_source: string | null
  checks: Check[]
}
/** A verification report: the `--json` shape of the eseal command line. */
export interface Report {
  file: string
  format: string
  signatures: SignatureReport[]
  document_checks: Check[]
  verdict: Verdict
  /** 0 valid, 1 not (warnings count under `strict`), 3 intact but not trusted. */
  exit_code: number
}
/** A seal described. */
export interface SealInfo {
  version: string
  vendor_id: string
  es_id: string
  name: string
  seal_type: number
  valid_start: string
  valid_end: string
  picture_type: string
  picture_width_mm: number
  picture_height_mm: number
  maker: Record<string, string> | null
  [key: string]: unknown
}
/** The `code` of every error eseal throws or rejects with (C: the `ESEAL_ERR_*` status of the same name). */
export type EsealErrorCode =
  | 'ESEAL_INVALID_INPUT'
  | 'ESEAL_IO'
  | 'ESEAL_SEAL_UNUSABLE'
  | 'ESEAL_PIN_INCORRECT'
  | 'ESEAL_PIN_LOCKED'
  | 'ESEAL_NOT_LOGGED_IN'
  | 'ESEAL_DEVICE'
  | 'ESEAL_NOT_FOUND'
  | 'ESEAL_CRYPTO'
  | 'ESEAL_INTERNAL'
/** An error thrown or rejected by eseal. */
export interface EsealError extends Error {
  code: EsealErrorCode
  /** With `ESEAL_PIN_INCORRECT`: tries left before the PIN locks. */
  retriesLeft?: number
}
/** A document, signature or seal: its bytes, or the path of a file to read. */
export type Doc = Buffer | string
