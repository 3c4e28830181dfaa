//! `GET /crl/root.crl` and `POST /ocsp`: the platform CA's revocation list (from
//! `{data_dir}/revoked.txt`) as a CRL and OCSP answers signed by the CA root, accepted by
//! eseal's revocation checks; 404 for other CRLs, 415 for other content types, and
//! malformedRequest for a broken request.

mod common;

use common::{Db, Server};
use eseal::crypto::testca::TestCa;
use eseal::crypto::time::Time;
use eseal::revocation::{
    CertStatus, Crl, MEDIA_REQUEST, MEDIA_RESPONSE, OcspRequest, OcspResponse, Reason,
    RevokedEntry, format_revoked_list,
};

#[test]
fn crl_and_ocsp_of_the_platform_ca() {
    let srv = Server::start(&Db::Sqlite, &[]);
    let ca = TestCa::new("eseal-server-dev").unwrap();
    let when = Time::from_ymd_hms(2026, 2, 1, 0, 0, 0).unwrap();
    std::fs::write(
        srv.data_dir.join("revoked.txt"),
        format_revoked_list(&[RevokedEntry::for_certificate(
            &ca.person.cert,
            when,
            Some(Reason::KeyCompromise),
        )]),
    )
    .unwrap();
    let api = srv.api();

    let r = api.get("/crl/root.crl");
    assert_eq!(r.status, 200, "{}", r.text());
    let crl = Crl::parse(&r.body).unwrap();
    crl.verify_signer(&ca.root.cert, &[]).unwrap();
    let e = crl.entry_for(&ca.person.cert).unwrap();
    assert_eq!((e.date, e.reason), (when, Some(Reason::KeyCompromise)));
    assert!(crl.entry_for(&ca.unit.cert).is_none());
    assert_eq!(api.get("/crl/other.crl").status, 404);

    for (cert, revoked) in [(&ca.person.cert, true), (&ca.unit.cert, false)] {
        let req = OcspRequest::for_certificate(cert, &ca.root.cert).unwrap();
        let r = api.upload("/ocsp", MEDIA_REQUEST, req.to_der());
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.content_type, MEDIA_RESPONSE);
        let resp = OcspResponse::parse(&r.body).unwrap();
        resp.verify_signer(&ca.root.cert, &[]).unwrap();
        assert_eq!(resp.nonce, req.nonce);
        let single = resp.response_for(cert, &ca.root.cert).unwrap();
        assert_eq!(
            matches!(single.status, CertStatus::Revoked { .. }),
            revoked,
            "{single:?}"
        );
    }
    let r = api.upload("/ocsp", "application/octet-stream", b"x".to_vec());
    assert_eq!(r.status, 415, "{}", r.text());
    let r = api.upload("/ocsp", MEDIA_REQUEST, b"not a request".to_vec());
    assert_eq!(r.status, 200);
    assert_eq!(r.body, vec![0x30, 3, 0x0A, 1, 1], "malformedRequest");
}
