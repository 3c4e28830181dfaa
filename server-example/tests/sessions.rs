//! Sessions over HTTP: the cookie (HttpOnly, SameSite=Strict), the CSRF token that
//! state-changing requests with the cookie need, bearer tokens, expiry, sign-out — and two
//! server processes on one PostgreSQL sharing sessions (a session made on one works on the
//! other; signing out on one ends it on both).

mod common;

use common::*;
use serde_json::json;

fn cookie_of(r: &Resp) -> String {
    let c = r.header("set-cookie").expect("Set-Cookie");
    assert!(
        c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Path=/"),
        "{c}"
    );
    assert!(!c.contains("Secure"), "no TLS here: {c}");
    c.split(';').next().unwrap().to_owned()
}

#[test]
fn cookie_csrf_bearer_expiry_and_sign_out() {
    let srv = Server::start(&Db::Sqlite, &[("ESEAL_SESSION_TTL", "3")]);
    let api = srv.api();
    let r = api.post(
        "/api/v1/auth/login/password",
        json!({"phone": SEAL_USER, "password": DEMO_PASSWORD}),
    );
    let login = expect(&r, 200);
    let cookie = cookie_of(&r);
    let csrf = login["session"]["csrf"].as_str().unwrap().to_owned();
    let mut with_cookie = api.clone();
    with_cookie.headers.push(("Cookie".into(), cookie.clone()));
    // Reading with the cookie needs no CSRF token.
    assert_eq!(
        expect(&with_cookie.get("/api/v1/session"), 200)["csrf"],
        csrf
    );
    // Changing with the cookie does: missing or wrong → 403, right → done.
    let sig = json!({"text": "孙职员", "source": "square"});
    assert_eq!(
        expect(&with_cookie.put("/api/v1/me/signature", sig.clone()), 403)["code"],
        "csrf"
    );
    let mut wrong = with_cookie.clone();
    wrong.headers.push(("X-CSRF-Token".into(), "0".repeat(32)));
    assert_eq!(
        expect(&wrong.put("/api/v1/me/signature", sig.clone()), 403)["code"],
        "csrf"
    );
    let mut right = with_cookie.clone();
    right.headers.push(("X-CSRF-Token".into(), csrf.clone()));
    expect(&right.put("/api/v1/me/signature", sig.clone()), 200);
    // The bearer token needs none (no ambient credential to forge).
    let bearer = api.with_token(login["token"].as_str().unwrap());
    expect(&bearer.put("/api/v1/me/signature", sig), 200);
    // A forged or malformed token is refused.
    assert_eq!(
        expect(
            &api.with_token(&"ab".repeat(32)).get("/api/v1/session"),
            401
        )["code"],
        "unauthenticated"
    );
    assert_eq!(
        expect(&api.with_token("x").get("/api/v1/session"), 401)["code"],
        "unauthenticated"
    );
    // Sign-out clears the cookie and ends the session.
    let other = api.login(SEAL_USER, DEMO_PASSWORD);
    let out = right.post("/api/v1/auth/logout", json!({}));
    assert_eq!(out.status, 204);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(
        expect(&with_cookie.get("/api/v1/session"), 401)["code"],
        "unauthenticated"
    );
    assert_eq!(
        expect(&bearer.get("/api/v1/session"), 401)["code"],
        "unauthenticated"
    );
    // Another session of the same person lives on until it expires (ttl 3 s here).
    let expires = expect(&other.get("/api/v1/session"), 200)["expires"]
        .as_i64()
        .unwrap();
    // Wait until the clock is past the expiry (seconds, inclusive).
    loop {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        if now > expires {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(
        expect(&other.get("/api/v1/session"), 401)["code"],
        "unauthenticated"
    );
}

#[test]
fn two_servers_on_one_postgres_share_sessions() {
    let Some((url, cluster)) = postgres("two_servers_on_one_postgres_share_sessions") else {
        return;
    };
    let db = Db::Postgres {
        url: pg_server_url(&cluster, &url),
        schema: unique_schema("two"),
    };
    let a = Server::start(&db, &[]);
    let b = Server::start(&db, &[]);
    let on_a = a.api().login(SEAL_USER, DEMO_PASSWORD);
    let token = on_a.token.clone().unwrap();
    let on_b = b.api().with_token(&token);
    assert_eq!(expect(&on_b.get("/api/v1/session"), 200)["name"], "孙职员");
    // What one server stores, the other serves (the demo was seeded once).
    assert_eq!(
        expect(&on_b.get("/api/v1/documents"), 200)
            .as_array()
            .unwrap()
            .len(),
        2
    );
    expect(&on_b.post("/api/v1/auth/logout", json!({})), 204);
    assert_eq!(
        expect(&on_a.get("/api/v1/session"), 401)["code"],
        "unauthenticated"
    );
    drop((a, b, cluster));
}
