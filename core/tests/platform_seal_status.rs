//! The platform's seal status (docs/seal-status.md) end to end: a cloud seal made by the
//! platform signs documents; it is then frozen, unfrozen and revoked on the platform, and a
//! holder of the seal and key (exported before) keeps signing. The platform's signed list and
//! single answers make the documents signed while the seal was frozen or after it was revoked
//! fail, naming the esID and the date; the ones signed before stay valid with the dates in the
//! report. A changed list, or one signed by someone else, is refused.

use std::sync::Arc;

use eseal::crypto::Certificate;
use eseal::crypto::testca::TestCa;
use eseal::crypto::time::Time;
use eseal::platform::conformance::{T0, credit_code, id_number, picture_png, unit_ukey_login};
use eseal::platform::vault::VaultSigner;
use eseal::platform::*;
use eseal::report::{CheckKind, Status, Verdict, VerificationReport};
use eseal::seal_status::{SealState, SealStatusError, SealStatusList, SignedSealStatus};
use eseal::ses::Seal;
use eseal::validation::{TrustStore, VerifyOptions};
use eseal::{ofd, pdf, samples};

const SEED: &str = "seal-status-tests";
const HOUR: i64 = 3600;

struct World {
    p: Platform,
    clock: Arc<FixedClock>,
    admin: Session,
    seal: Seal,
    signer: VaultSigner,
    es_id: String,
    record: SealRecord,
    trust: TrustStore,
}

fn world() -> World {
    let clock = Arc::new(FixedClock::new(T0));
    let vault = Arc::new(MemoryKeyVault::new());
    let mut services = Services::development(
        Arc::new(MemoryStore::new()),
        clock.clone(),
        Arc::new(DevSmsSender::new()),
        SEED,
    )
    .unwrap();
    services.vault = vault.clone();
    let p = Platform::new(services);
    let ca = TestCa::new(SEED).unwrap();
    let admin = unit_ukey_login(
        &p,
        &ca,
        "测试单位S",
        &credit_code(7),
        "S1",
        "devS1",
        "10.0.0.1",
    )
    .unwrap();
    p.apply_unit_cert(
        &admin,
        "经办人",
        &id_number(7),
        "13900000007",
        "s@b.cn",
        true,
    )
    .unwrap();
    let record = p
        .apply_seal(
            &admin,
            SealApplication {
                kind: SealKind::Cloud,
                name: "测试单位S合同专用章".into(),
                seal_type: 1,
                handler_name: "经办人".into(),
                handler_phone: "13900000001".into(),
                handler_id_number: id_number(1),
                picture: picture_png(),
                picture_format: "png".into(),
                generate: None,
                width_mm: 40,
                height_mm: 40,
            },
        )
        .unwrap();
    p.ca_review(&Session::operator("ops", "10.0.0.9"), &record.id, true, "")
        .unwrap();
    let record = p.receipt_seal(&admin, &record.id).unwrap();
    // The seal and its key as a holder keeps them (exported before any revocation).
    let seal = Seal::from_der(&p.seal_der(&admin, &record.id).unwrap()).unwrap();
    let key = record
        .public_key
        .as_deref()
        .unwrap()
        .split_once('|')
        .unwrap()
        .0;
    let unit_cert = p.unit(&admin).unwrap().certificate.unwrap();
    let der = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        &unit_cert.der_b64,
    )
    .unwrap();
    let signer = VaultSigner::new(vault, key, Certificate::from_der(&der).unwrap());
    let es_id = seal.summary().es_id;
    World {
        p,
        clock,
        admin,
        seal,
        signer,
        es_id,
        record,
        trust: TrustStore::new().with(ca.root.cert.clone()),
    }
}

impl World {
    fn opts(&self) -> VerifyOptions {
        VerifyOptions {
            trust: self.trust.clone(),
            at: Time::from_unix(self.p.now()),
            ..Default::default()
        }
    }

    /// An OFD sealed now (the platform's clock) with the held seal and key.
    fn ofd_now(&self, tag: &str) -> Vec<u8> {
        let when = Time::from_unix(self.p.now());
        let mut req = ofd::SignRequest::new(ofd::SignKind::Seal(&self.seal), when);
        req.placements.push(ofd::Placement::Stamp {
            page: 1,
            x_mm: 120.0,
            y_mm: 200.0,
            width_mm: None,
            height_mm: None,
        });
        let doc = ofd::Package::from_bytes(samples::sample_ofd(1, tag)).unwrap();
        ofd::sign(&doc, &self.signer, &req).unwrap()
    }

    /// A PDF sealed now (GB/T 38540 SES in CMS) with the held seal and key.
    fn pdf_now(&self, tag: &str) -> Vec<u8> {
        let req = pdf::SignRequest::new(
            pdf::Credential::Seal {
                seal: &self.seal,
                signer: &self.signer,
            },
            pdf::Placement::Stamp {
                page: 1,
                x: 380.0,
                y: 200.0,
                width: 119.0,
                height: 119.0,
            },
            Time::from_unix(self.p.now()),
        );
        pdf::sign(&samples::sample_pdf(1, tag), &[req]).unwrap()
    }

    fn verify_ofd(&self, bytes: &[u8], list: &SealStatusList) -> VerificationReport {
        let mut r = ofd::verify(
            &ofd::Package::from_bytes(bytes.to_vec()).unwrap(),
            "doc.ofd",
            &self.opts(),
        )
        .unwrap();
        assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());
        list.apply(&mut r, Time::from_unix(self.p.now()));
        r
    }

    fn verify_pdf(&self, bytes: &[u8], list: &SealStatusList) -> VerificationReport {
        let mut r = pdf::verify(bytes, "doc.pdf", &self.opts()).unwrap();
        assert_eq!(r.verdict(), Verdict::Valid, "{}", r.to_text());
        list.apply(&mut r, Time::from_unix(self.p.now()));
        r
    }

    fn list(&self) -> SealStatusList {
        self.p
            .seal_status_list()
            .unwrap()
            .open(&self.trust)
            .unwrap()
    }
}

fn status_check(r: &VerificationReport) -> &eseal::report::Check {
    r.signatures
        .iter()
        .flat_map(|s| &s.checks)
        .find(|c| c.check == CheckKind::SealStatus)
        .unwrap_or_else(|| panic!("no seal status check: {}", r.to_text()))
}

#[test]
fn documents_sealed_while_frozen_or_after_revocation_fail_the_others_keep_the_dates() {
    let w = world();
    // t0+1h: sealed while good.
    w.clock.advance(HOUR);
    let (ofd_before, pdf_before) = (w.ofd_now("before"), w.pdf_now("before"));
    let good = w.list();
    assert!(good.entries.is_empty(), "{good:?}");
    let r = w.verify_ofd(&ofd_before, &good);
    assert_eq!(status_check(&r).status, Status::Passed, "{}", r.to_text());
    assert_eq!(r.verdict(), Verdict::Valid);

    // t0+2h frozen, t0+3h sealed anyway, t0+4h unfrozen, t0+5h sealed again.
    w.clock.advance(HOUR);
    let frozen_at = w.p.now();
    w.p.freeze_seal(&w.admin, &w.record.id).unwrap();
    let l = w.list();
    assert_eq!(l.entries.len(), 1);
    assert_eq!(l.entries[0].state, SealState::Frozen);
    assert_eq!(l.entries[0].es_id, w.es_id);
    w.clock.advance(HOUR);
    let ofd_frozen = w.ofd_now("frozen");
    w.clock.advance(HOUR);
    w.p.unfreeze_seal(&w.admin, &w.record.id).unwrap();
    w.clock.advance(HOUR);
    let ofd_thawed = w.ofd_now("thawed");

    // t0+6h revoked (二次确认), t0+7h sealed with the held seal and key.
    w.clock.advance(HOUR);
    let revoked_at = w.p.now();
    let token = w.p.request_revocation(&w.admin, &w.record.id).unwrap();
    w.p.revoke_seal(&w.admin, &w.record.id, &token).unwrap();
    w.clock.advance(HOUR);
    let (ofd_after, pdf_after) = (w.ofd_now("after"), w.pdf_now("after"));

    let list = w.list();
    assert_eq!(list.entries.len(), 1, "{list:?}");
    let e = &list.entries[0];
    assert_eq!(e.state, SealState::Revoked);
    assert_eq!(e.revoked_at, Some(revoked_at));
    assert_eq!(e.frozen.len(), 1);
    assert_eq!(e.frozen[0].from, frozen_at);

    let revoked_iso = Time::from_unix(revoked_at).to_iso();
    let frozen_iso = Time::from_unix(frozen_at).to_iso();
    // After the revocation: failed, naming the esID and the date (OFD and PDF).
    for r in [
        w.verify_ofd(&ofd_after, &list),
        w.verify_pdf(&pdf_after, &list),
    ] {
        let c = status_check(&r);
        assert_eq!(c.status, Status::Failed, "{}", r.to_text());
        assert!(c.message.contains(&w.es_id), "{}", c.message);
        assert!(c.message.contains(&revoked_iso), "{}", c.message);
        assert_eq!(r.verdict(), Verdict::Invalid);
        assert_eq!(r.exit_code(), 1);
    }
    // While frozen: failed with the freezing date.
    let r = w.verify_ofd(&ofd_frozen, &list);
    let c = status_check(&r);
    assert_eq!(c.status, Status::Failed, "{}", r.to_text());
    assert!(c.message.contains(&frozen_iso), "{}", c.message);
    // Before, and between unfreezing and revocation: valid (exit 0) with the later dates;
    // the time is only the signer's claim, which the check says.
    for r in [
        w.verify_ofd(&ofd_before, &list),
        w.verify_pdf(&pdf_before, &list),
        w.verify_ofd(&ofd_thawed, &list),
    ] {
        let c = status_check(&r);
        assert_eq!(c.status, Status::Warning, "{}", r.to_text());
        assert!(c.message.contains(&revoked_iso), "{}", c.message);
        assert_eq!(r.exit_code(), 0, "{}", r.to_text());
    }
    assert!(
        status_check(&w.verify_ofd(&ofd_before, &list))
            .message
            .contains(&frozen_iso)
    );

    // The single answer (OCSP-like) says the same; an unknown esID is unknown.
    let one =
        w.p.seal_status_of(&w.es_id)
            .unwrap()
            .open(&w.trust)
            .unwrap();
    assert_eq!(one.query.as_deref(), Some(w.es_id.as_str()));
    assert_eq!(one.entries[0].state, SealState::Revoked);
    let r = w.verify_ofd(&ofd_after, &one);
    assert_eq!(status_check(&r).status, Status::Failed);
    let unknown =
        w.p.seal_status_of("NOSUCHSEAL")
            .unwrap()
            .open(&w.trust)
            .unwrap();
    assert_eq!(unknown.entries[0].state, SealState::Unknown);
    // An answer about another seal does not judge this one.
    let mut r = ofd::verify(
        &ofd::Package::from_bytes(ofd_after.clone()).unwrap(),
        "doc.ofd",
        &w.opts(),
    )
    .unwrap();
    unknown.apply(&mut r, Time::from_unix(w.p.now()));
    assert!(
        r.signatures[0]
            .checks
            .iter()
            .all(|c| c.check != CheckKind::SealStatus)
    );

    // Stale: past nextUpdate the list still judges, with a warning on the document.
    let mut r = w.verify_ofd(&ofd_before, &list);
    r.document_checks.clear();
    let mut stale = r.clone();
    for s in &mut stale.signatures {
        s.checks.retain(|c| c.check != CheckKind::SealStatus);
    }
    list.apply(&mut stale, Time::from_unix(list.next_update + 1));
    assert!(
        stale
            .document_checks
            .iter()
            .any(|c| c.check == CheckKind::SealStatus
                && c.status == Status::Warning
                && c.message.contains("stale")),
        "{}",
        stale.to_text()
    );
}

#[test]
fn a_changed_or_foreign_status_is_refused() {
    let w = world();
    w.clock.advance(HOUR);
    let token = w.p.request_revocation(&w.admin, &w.record.id).unwrap();
    w.p.revoke_seal(&w.admin, &w.record.id, &token).unwrap();
    let signed = w.p.seal_status_list().unwrap();
    assert!(signed.open(&w.trust).is_ok());
    // Through its JSON form, as published.
    let again = SignedSealStatus::from_json(signed.to_json().as_bytes()).unwrap();
    assert_eq!(
        again.open(&w.trust).unwrap(),
        signed.open(&w.trust).unwrap()
    );

    // The revocation taken out of the content.
    let mut cut = signed.clone();
    let mut content: serde_json::Value = serde_json::from_str(&cut.content).unwrap();
    content["entries"] = serde_json::json!([]);
    cut.content = content.to_string();
    assert!(matches!(
        cut.open(&w.trust),
        Err(SealStatusError::BadSignature)
    ));
    // One byte of the signature.
    let mut sig = signed.clone();
    let mut raw =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &sig.signature).unwrap();
    let n = raw.len() - 3;
    raw[n] ^= 1;
    sig.signature = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, raw);
    assert!(matches!(
        sig.open(&w.trust),
        Err(SealStatusError::BadSignature)
    ));
    // Re-signed by a key whose certificate does not chain to the anchors.
    let other = TestCa::new("not-the-platform").unwrap();
    let mut list: SealStatusList = serde_json::from_str(&signed.content).unwrap();
    list.entries.clear();
    let forged = SignedSealStatus::sign(&list, &other.server.signer(), &[]).unwrap();
    assert!(matches!(
        forged.open(&w.trust),
        Err(SealStatusError::Untrusted(_))
    ));
    // And not JSON at all.
    assert!(matches!(
        SignedSealStatus::from_json(b"<html>"),
        Err(SealStatusError::Malformed(_))
    ));
}
