dts-header.d.ts
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
  /** Makes a GB/T 38540 (v4) seal; `maker` (制章者) signs it. */
  static create(maker: Signer, options: SealOptions): Seal
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
   * A UKey container as a signer (verifies the user PIN). Errors: `ESEAL_PIN_INCORRECT`,
   * `ESEAL_PIN_LOCKED`, `ESEAL_NOT_FOUND`, `ESEAL_DEVICE`.
   */
  static fromUkey(options: UkeyOptions): Signer
  /** The signer's certificate, PEM. */
  get certificatePem(): string
  /** The certificate's subject. */
  get subject(): string
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

/** What a new seal holds. */
export interface SealOptions {
  name: string
  /** The seal code (esID, ASCII). */
  esId: string
  /** PNG, GIF, JPEG, BMP, SVG or OFD bytes. */
  picture: Buffer
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

/** Options of `signOfd` / `signPdf`. */
export interface SignDocumentOptions {
  stamp?: StampOptions
  /** Signing time (RFC 3339); now when absent. */
  time?: string
}

/** Signs an OFD with `seal`; resolves to the signed OFD. */
export declare function signOfd(ofd: Buffer, seal: Seal, signer: Signer, options?: SignDocumentOptions | undefined | null): Promise<Buffer>

/** Options of `signData` / `signDigest`. */
export interface SignOptions {
  /** propertyInfo (ASCII), e.g. the signed file's path. */
  propertyInfo?: string
  /** Signing time (RFC 3339); now when absent. */
  time?: string
}

/** Signs a PDF with `seal` (incremental update); resolves to the whole signed PDF. */
export declare function signPdf(pdf: Buffer, seal: Seal, signer: Signer, options?: SignDocumentOptions | undefined | null): Promise<Buffer>

/**
 * Where a stamp shows. OFD: millimetres from the page's top-left corner (width/height 0 or
 * absent: the seal picture's size). PDF: points from the lower-left corner (no size:
 * invisible; a visible PDF stamp needs a PNG seal picture).
 */
export interface StampOptions {
  /** Page from 1. */
  page: number
  x: number
  y: number
  width?: number
  height?: number
}

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

/** Verifies every signature of an OFD; rejects with `ESEAL_INVALID_INPUT` when it is not one. */
export declare function verifyOfd(ofd: Buffer, options?: VerifyOptions | undefined | null): Promise<Report>

/** Options of `verifySeal` / `verifySignature`. */
export interface VerifyOptions {
  /** Trust anchors: PEM bundles or DER certificates (Buffers or PEM strings). */
  trust?: Array<Buffer | string>
  /** Verify as of this time (RFC 3339) instead of now. */
  at?: string
  /** Warnings (expired now, non-standard encodings) make `exit_code` 1. */
  strict?: boolean
  /** The signed data (`verifySignature`): its SM3 is checked against dataHash. */
  data?: Buffer
  /** Or the digest the caller computed. */
  digest?: Buffer
}

/** Verifies every signature of a PDF. */
export declare function verifyPdf(pdf: Buffer, options?: VerifyOptions | undefined | null): Promise<Report>

/**
 * Verifies a seal on its own (maker signature, header, validity, maker certificate).
 * Resolves to the report (the `--json` shape of the command line, with `verdict` and
 * `exit_code`); an unreadable seal is an invalid report, not a rejection.
 */
export declare function verifySeal(seal: Buffer | Seal, options?: VerifyOptions | undefined | null): Promise<Report>

/** Verifies an SES_Signature against `options.data` (SM3) or `options.digest`. */
export declare function verifySignature(signature: Buffer, options?: VerifyOptions | undefined | null): Promise<Report>

/** The library version. */
export declare function version(): string
