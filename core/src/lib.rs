//! eseal — electronic seals (电子印章) for PDF and OFD documents.
//!
//! Rooms (see `DESIGN.md`), each depending only on those above it:
//!
//! 1. [`crypto`] — SM3, SM2 with the signer ID (GM/T 0009), certificates, the [`crypto::Signer`] trait.
//! 2. [`validation`] — what a verifier trusts and when: `VerifyOptions`, the trust store and
//!    trust directory, certificate chains and checks; the one place that decides trust.
//! 3. [`ses`] — GB/T 38540 (v4), GM/T 0031-2014 (v1) and GM/T 0031-2025 (v5) seals and signatures.
//!    [`cms`] — CMS SignedData (RFC 5652, GB/T 35275) shared by `ofd` and `pdf`.
//! 4. [`stamp`] — seal pictures: generated official and personal seals, imports, QR codes, slices.
//! 5. [`ofd`], [`pdf`] — signing and verifying documents.
//! 6. [`ukey`] — UKeys: the `Token` trait, the GM/T 0016 (SKF) loader, whitelist identity, seals on a key.
#![deny(unsafe_code)] // the exceptions: ukey::skf, the SKF loader (FFI); fs::MappedFile (memory map)

pub mod asn1;
pub mod cms;
pub mod crypto;
pub mod deferred;
pub mod fs;
mod http;
pub mod ofd;
pub mod pdf;
pub mod placement;
pub mod platform;
pub mod report;
pub mod revocation;
pub mod samples;
pub mod seal_status;
pub mod ses;
pub mod stamp;
pub mod tsp;
pub mod ukey;
pub mod validation;
