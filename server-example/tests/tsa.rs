//! `POST /tsa`: the platform's RFC 3161 time-stamp authority answers eseal's client with SM2
//! tokens that verify against the development CA, refuses other content types (415), and
//! answers a broken request with a rejection (RFC 3161 §3.4: HTTP 200, status rejection).

mod common;

use common::{Db, Server};
use eseal::cms;
use eseal::crypto::testca::TestCa;
use eseal::tsp::{self, FailureInfo, TimeStampResp};
use eseal::validation::{TrustStore, VerifyOptions};

#[test]
fn tsa_answers_time_stamp_queries() {
    let srv = Server::start(&Db::Sqlite, &[]);
    let api = srv.api();
    let url = format!("{}/tsa", api.base);
    let token = tsp::request(&url, cms::OID_SM3, b"signature value").unwrap();
    let root = TestCa::new("eseal-server-dev").unwrap().root.cert;
    let v = token
        .verify(
            b"signature value",
            &VerifyOptions::trusting(TrustStore::new().with(root)),
        )
        .unwrap();
    assert!(v.trusted(), "{:?}", v.chain);
    assert_eq!(v.tsa.subject().get("CN"), Some("eseal Test TSA"));

    let r = api.upload("/tsa", "application/octet-stream", b"x".to_vec());
    assert_eq!(r.status, 415, "{}", r.text());
    let r = api.upload("/tsa", tsp::MEDIA_QUERY, b"not a request".to_vec());
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type, tsp::MEDIA_REPLY);
    let resp = TimeStampResp::from_der(&r.body).unwrap();
    assert_eq!(resp.status, tsp::status::REJECTION);
    assert_eq!(resp.fail_info, Some(FailureInfo::BAD_DATA_FORMAT));
}
