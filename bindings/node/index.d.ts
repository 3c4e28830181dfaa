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

/**
 * Which binding artifact the generated loader actually loaded: `'native'` for
 * a native addon, otherwise the `platformArchABI` of the WASI flavor. Every
 * flavor napi-rs can build is listed, because `NAPI_RS_NATIVE_LIBRARY_PATH`
 * can point the loader at a WASI artifact this package does not build itself.
 */
export declare const __napiBindingTarget: 'native' | 'wasm32-wasi' | 'wasm32-wasip1'

/** A seal (SESeal v1, v4 or v5). */
export declare class Seal {
  /** Parses a seal from its DER bytes (a Buffer) or a file path. */
  constructor(data: Buffer | string)
  /** Makes a GB/T 38540 (v4) seal off the main thread; `maker` (制章者) signs it. */
  static create(maker: Signer, options: SealOptions): Promise<Seal>
  /** As `create`, blocking the event loop (scripts). */
  static createSync(maker: Signer, options: SealOptions): Seal
  /** The seal's DER bytes. */
  toBuffer(): Buffer
  /** The seal described (version, es_id, name, validity, picture, maker, size). */
  info(): SealInfo
  get name(): string
  get esId(): string
  /** "v1", "v4" or "v5". */
  get version(): string
  get sealType(): number
  get validStart(): string
  get validEnd(): string
  get picture(): Buffer
}

/** Something that makes SM2 signatures for one certificate: a software key or a UKey. */
export declare class Signer {
  /**
   * A software signer from an SM2 private key (PKCS#8 or SEC1, PEM or DER) and its
   * certificate (PEM or DER): Buffers, PEM strings or file paths.
   */
  static fromPem(key: Buffer | string, cert: Buffer | string): Signer
  /**
   * A UKey container as a signer: loads the SKF library, connects and verifies the user
   * PIN off the main thread. Rejects with `ESEAL_PIN_INCORRECT` (and `retriesLeft`),
   * `ESEAL_PIN_LOCKED`, `ESEAL_NOT_FOUND`, `ESEAL_DEVICE`.
   */
  static fromUkey(options: UkeyOptions): Promise<Signer>
  /** As `fromUkey`, blocking the event loop (scripts). */
  static fromUkeySync(options: UkeyOptions): Signer
  /** The signer's certificate, PEM. */
  get certificatePem(): string
  /** The certificate's subject. */
  get subject(): string
  /**
   * Signs a prepared digest e (`preparePdf` / `prepareOfd`) as a UKey's `SKF_ECCSignData`
   * does; resolves to the DER SM2 signature for `finishPdf` / `finishOfd`.
   */
  signPrepared(digest: Buffer): Promise<Buffer>
}

/**
 * The deterministic test CA (tests and demos only). Identities: "root", "unit" (makes
 * seals), "person" (signs documents), "server".
 */
export declare class TestCa {
  constructor(seed: string)
  /** A software signer for one identity. */
  signer(who: string): Signer
  /** The identity's certificate, PEM. */
  certPem(who: string): string
  /** The identity's private key, PKCS#8 PEM. */
  keyPem(who: string): string
  /** The root certificate, PEM: pass it as `trust` when verifying. */
  get rootCertPem(): string
}

/**
 * A cross-page seal (骑缝章): pages (`all`, `odd`, `even`, `2-5`, `1,3`; default all), edge
 * (default right), position along the edge in mm (from the top for left/right, from the left
 * for top/bottom; centred when absent), the narrowest slice in mm (more pages are split into
 * groups, each with a whole seal) and the seal's size in mm (the picture's when absent).
 */
export interface CrossPageOptions {
  pages?: string
  edge?: 'right' | 'left' | 'top' | 'bottom'
  alongMm?: number
  minSliceMm?: number
  widthMm?: number
  heightMm?: number
}

/** Deferred signing of an OFD, step 2: as `finishPdf`. */
export declare function finishOfd(ofd: Doc, seal: Seal, state: Buffer, signature: Buffer, options?: SignDocumentOptions | undefined | null): Promise<Buffer>

/**
 * Deferred signing of a PDF, step 2: the same PDF, seal and options, the state and the SM2
 * signature (DER or raw r‖s) of the digest; checked before the signed PDF is returned.
 */
export declare function finishPdf(pdf: Doc, seal: Seal, state: Buffer, signature: Buffer, options?: SignDocumentOptions | undefined | null): Promise<Buffer>

/**
 * A picture (JPEG, PNG, GIF; Buffer or path) as a seal picture (`eseal stamp import`): cut
 * to `widthMm` × `heightMm` (42), `fit` cover (default) or contain, white made transparent.
 */
export interface ImportStampOptions {
  widthMm?: number
  heightMm?: number
  fit?: 'cover' | 'contain'
  dpi?: number
}

/**
 * A stamp over a text on the page (`甲方（盖章）`): which occurrences (default all), on which
 * pages, centred on the text or on its end, moved by `offsetMm` [x right, y down], of
 * `sizeMm` [w, h] (the seal picture's when absent). Not found: `ESEAL_KEYWORD_NOT_FOUND`.
 */
export interface KeywordOptions {
  text: string
  occurrence?: 'all' | 'first' | 'last' | number
  pages?: string
  anchor?: 'centre' | 'center' | 'end'
  offsetMm?: [number, number]
  sizeMm?: [number, number]
}

/**
 * A personal seal: `shape` square (方形章), rect (长方形章) or legal (法人章); `border`
 * (default true); `sizeMm` the square's side or the rectangle's height.
 */
export interface PersonalStampOptions {
  name: string
  shape?: 'square' | 'rect' | 'legal'
  border?: boolean
  sizeMm?: number
  font?: string
  dpi?: number
}

/**
 * Deferred signing, step 1: the digest e = SM3(Z‖M) the holder of the certificate's key
 * signs (a UKey, an HSM) and the opaque state for `finish*`.
 */
export interface Prepared {
  digest: Buffer
  state: Buffer
}

/** Deferred signing of an OFD, step 1: as `preparePdf`. */
export declare function prepareOfd(ofd: Doc, seal: Seal, certificate: Doc, options?: SignDocumentOptions | undefined | null): Promise<Prepared>

/**
 * Deferred signing of a PDF, step 1 (one signature, no TSA): resolves to the digest to sign
 * with the key of `certificate` (PEM/DER Buffer or path) and the state for `finishPdf`.
 */
export declare function preparePdf(pdf: Doc, seal: Seal, certificate: Doc, options?: SignDocumentOptions | undefined | null): Promise<Prepared>

/**
 * An anti-forgery QR code picture (PNG, e.g. from `stampQr`) drawn with the first
 * signature; position and size in the stamp's units (PDF points, OFD mm).
 */
export interface QrOptions {
  png: Buffer
  page?: number
  x: number
  y: number
  size: number
}

/**
 * An anti-forgery QR code: `template` a URL with `{doc_id}` and `{digest}`, the document id,
 * the digest (hex in the URL), `sizeMm` (15).
 */
export interface QrStampOptions {
  template: string
  docId: string
  digest: Buffer
  sizeMm?: number
  dpi?: number
}

/** What a new seal holds. */
export interface SealOptions {
  name: string
  /** The seal code (esID, ASCII). */
  esId: string
  /** PNG, GIF, JPEG, BMP, SVG or OFD: bytes or a file path. */
  picture: Buffer | string
  /**
   * Certificates (DER Buffers or PEM strings) allowed to sign with the seal (certList),
   * e.g. `signer.certificatePem`.
   */
  signerCerts?: Array<Buffer | string>
  widthMm?: number
  heightMm?: number
  /** 1 unit seal (default), 2 personal seal. */
  sealType?: number
  /** Validity (RFC 3339); now .. +3 years by default. */
  validFrom?: string
  validTo?: string
  vendorId?: string
}

/**
 * Signs `data` with `seal` (GB/T 38540 §7.1, dataHash = SM3(data)); resolves to the DER
 * SES_Signature. Rejects with `ESEAL_SEAL_UNUSABLE` when the signer is not in the seal's
 * certList or the time is outside its validity.
 */
export declare function signData(seal: Seal, signer: Signer, data: Buffer, options?: SignOptions | undefined | null): Promise<Buffer>

/** As `signData`, over a digest the caller computed (it becomes dataHash as is). */
export declare function signDigest(seal: Seal, signer: Signer, digest: Buffer, options?: SignOptions | undefined | null): Promise<Buffer>

/** Options of `signOfd` / `signPdf` (and of the deferred `prepare*` / `finish*`). */
export interface SignDocumentOptions {
  /** One stamp (the default stamp when nothing places the seal). */
  stamp?: StampOptions
  /** Several stamps: PDF one signature each, OFD all in the one signature. */
  stamps?: Array<StampOptions>
  crossPage?: CrossPageOptions
  keyword?: KeywordOptions
  qr?: QrOptions
  /**
   * PDF: `ses` (GB/T 38540 seal signature, default), `sm2-cms` or `sm2-cms-gm` (SM2 CMS
   * SignedData with PKCS#7 or GM/T 0010 identifiers, the seal's picture as the stamp).
   */
  shape?: 'ses' | 'sm2-cms' | 'sm2-cms-gm'
  /**
   * PDF: `/Reason`, `/Location`, `/ContactInfo` of every signature; `fieldName` the new
   * field's name (one signature only).
   */
  reason?: string
  location?: string
  contact?: string
  fieldName?: string
  /** PDF: certify with DocMDP level 1 (no changes), 2 (form filling) or 3 (annotations). */
  certify?: 1 | 2 | 3
  /** An RFC 3161 time-stamp authority URL: the SES_Signature gets a timeStamp. */
  tsa?: string
  /** Signing time (RFC 3339); now when absent. */
  time?: string
}

/**
 * Signs an OFD (a Buffer or a path) with `seal`; resolves to the signed OFD. One signature
 * shows every stamp, the cross-page seal and the keyword stamps.
 */
export declare function signOfd(ofd: Doc, seal: Seal, signer: Signer, options?: SignDocumentOptions | undefined | null): Promise<Buffer>

/** Options of `signData` / `signDigest`. */
export interface SignOptions {
  /** propertyInfo (ASCII), e.g. the signed file's path. */
  propertyInfo?: string
  /** Signing time (RFC 3339); now when absent. */
  time?: string
}

/**
 * Signs a PDF (a Buffer or a path) with `seal` (incremental update); resolves to the whole
 * signed PDF. One signature per stamp, cross-page seal and keyword occurrence; the first
 * certifies (`certify`) and draws the QR code.
 */
export declare function signPdf(pdf: Doc, seal: Seal, signer: Signer, options?: SignDocumentOptions | undefined | null): Promise<Buffer>

/** The installed font families that can draw a seal (for `font`). */
export declare function stampFonts(): Array<string>

/** Imports a picture as a seal picture. */
export declare function stampImport(image: Doc, options?: ImportStampOptions | undefined | null): Promise<StampPicture>

/**
 * Where a stamp shows, as in every binding: `page` from 1 (default 1); OFD: millimetres
 * from the page's top-left corner; PDF: points from the lower-left corner (default 20 mm
 * from the corner: 20 / 56.69); width and height absent or 0: the seal picture's size.
 * `invisible` (PDF only): no stamp. The seal picture of a PDF stamp is drawn as is (PNG) or
 * converted (JPEG, GIF).
 */
export interface StampOptions {
  /** Page from 1. */
  page?: number
  x?: number
  y?: number
  width?: number
  height?: number
  invisible?: boolean
}

/** Draws a personal seal (`eseal stamp personal`). */
export declare function stampPersonal(options: PersonalStampOptions): Promise<StampPicture>

/**
 * A seal picture as `eseal stamp …` writes it: PNG (transparent background), the SVG when
 * drawn from vectors, the physical size.
 */
export interface StampPicture {
  png: Buffer
  svg?: string
  widthMm: number
  heightMm: number
}

/** Draws an anti-forgery QR code (`eseal stamp qr`). */
export declare function stampQr(options: QrStampOptions): Promise<StampPicture>

/** Draws a unit seal (`eseal stamp official|oval|square`). */
export declare function stampUnit(options: UnitStampOptions): Promise<StampPicture>

/** Where a UKey signer lives. */
export interface UkeyOptions {
  /** Path of the vendor's SKF library (GM/T 0016). */
  library: string
  pin: string
  application: string
  /** The device; the first one the library lists when absent. */
  device?: string
  /** The container; the application's first SM2 container when absent. */
  container?: string
  /** The library uses a 64-bit `ULONG` (some vendor LP64 builds). */
  ulong64?: boolean
}

/**
 * A generated unit seal: `style` a key (common, party, union, youth: round 公章; invoice:
 * 发票专用章 oval 40×30 with the 纳税人识别号 as `code`; oval: 45×30 财务/合同 oval;
 * square-finance: 方形财务专用章), `bottom` text, `code` (印章编码), `sizeMm` (round diameter
 * or square side), `font` (installed family or file), `dpi` (300).
 */
export interface UnitStampOptions {
  style: 'common' | 'party' | 'union' | 'youth' | 'invoice' | 'oval' | 'square-finance'
  name: string
  bottom?: string
  code?: string
  sizeMm?: number
  font?: string
  dpi?: number
}

/**
 * Verifies every signature of an OFD (a Buffer or a path); rejects with
 * `ESEAL_INVALID_INPUT` when it is not one. The report's `file` is the path given.
 */
export declare function verifyOfd(ofd: Doc, options?: VerifyOptions | undefined | null): Promise<Report>

/** Options of the verifiers. */
export interface VerifyOptions {
  /** Trust anchors: one or an array of PEM bundles, DER certificates (Buffers) or paths. */
  trust?: Buffer | string | Array<Buffer | string>
  /**
   * A directory of trust anchors (`*.pem`, `*.crt`, `*.cer`, `*.der`). Default: the
   * command line's (`$ESEAL_TRUST_DIR`, else `~/.config/eseal/trust`); `false`: none.
   */
  trustDir?: string | false
  /** Verify as of this time (RFC 3339) instead of now. */
  at?: string
  /** Warnings (expired now, non-standard encodings) make `exit_code` 1. */
  strict?: boolean
  /** The signed data (`verifySignature`): its SM3 is checked against dataHash. */
  data?: Buffer
  /** Or the digest the caller computed. */
  digest?: Buffer
}

/**
 * Verifies every signature of a PDF (a Buffer or a path); rejects with
 * `ESEAL_INVALID_INPUT` when it is not one, as for OFD. The report's `file` is the path given.
 */
export declare function verifyPdf(pdf: Doc, options?: VerifyOptions | undefined | null): Promise<Report>

/**
 * Verifies a seal on its own (maker signature, header, validity, maker certificate).
 * Resolves to the report (the `--json` shape of the command line, with `verdict` and
 * `exit_code`); an unreadable seal is an invalid report, not a rejection.
 */
export declare function verifySeal(seal: Seal | Doc, options?: VerifyOptions | undefined | null): Promise<Report>

/**
 * Verifies an SES_Signature (a Buffer or a path) against `options.data` (SM3) or
 * `options.digest`.
 */
export declare function verifySignature(signature: Doc, options?: VerifyOptions | undefined | null): Promise<Report>

/** The library version. */
export declare function version(): string
