//! The key vault of cloud seals ([`eseal::platform::KeyVault`]) in the server's database:
//! each SM2 private key is encrypted with AES-256-GCM under the master key from the
//! configuration (the key id is the associated data, so a ciphertext cannot be moved to
//! another id). The database alone does not reveal a key; the master key stays outside it
//! (configuration or `ESEAL_VAULT_MASTER_KEY`). Several servers sharing one database and
//! master key share the vault.

use std::sync::Arc;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use eseal::crypto::sm2;
use eseal::platform::{Clock, KeyVault};
use serde::{Deserialize, Serialize};

use crate::kv::{KvEntry, ServerStore, ns};

pub struct DbKeyVault {
    db: Arc<dyn ServerStore>,
    master: [u8; 32],
    clock: Arc<dyn Clock>,
}

#[derive(Serialize, Deserialize)]
struct Sealed {
    nonce: String,
    ciphertext: String,
    public_key: String,
    created: i64,
}

impl DbKeyVault {
    pub fn new(db: Arc<dyn ServerStore>, master: [u8; 32], clock: Arc<dyn Clock>) -> Self {
        DbKeyVault { db, master, clock }
    }

    fn cipher(&self) -> Result<Aes256Gcm, String> {
        Aes256Gcm::new_from_slice(&self.master).map_err(|e| format!("vault key: {e}"))
    }

    fn load(&self, key_id: &str) -> Result<sm2::PrivateKey, String> {
        let e = self
            .db
            .kv_get(ns::VAULT, key_id, self.clock.now())
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no key {key_id} in the vault"))?;
        let s: Sealed = serde_json::from_str(&e.body).map_err(|e| e.to_string())?;
        let nonce: [u8; 12] = hex::decode(&s.nonce)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or("vault entry: bad nonce")?;
        let ct = hex::decode(&s.ciphertext).map_err(|_| "vault entry: bad ciphertext")?;
        let d = self
            .cipher()?
            .decrypt(
                &nonce.into(),
                Payload {
                    msg: &ct,
                    aad: key_id.as_bytes(),
                },
            )
            .map_err(|_| format!("vault entry {key_id} does not decrypt (wrong master key?)"))?;
        sm2::PrivateKey::from_bytes(&d).map_err(|e| e.to_string())
    }
}

impl KeyVault for DbKeyVault {
    fn create(&self, key_id: &str) -> Result<sm2::PublicKey, String> {
        let k = sm2::PrivateKey::generate().map_err(|e| e.to_string())?;
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| format!("CSPRNG: {e}"))?;
        let ct = self
            .cipher()?
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: &k.to_bytes(),
                    aad: key_id.as_bytes(),
                },
            )
            .map_err(|e| format!("vault encryption: {e}"))?;
        let pk = k.public_key();
        let body = serde_json::to_string(&Sealed {
            nonce: hex::encode(nonce),
            ciphertext: hex::encode(ct),
            public_key: hex::encode(pk.to_sec1_uncompressed()),
            created: self.clock.now(),
        })
        .map_err(|e| e.to_string())?;
        let fresh = self
            .db
            .kv_insert(
                ns::VAULT,
                &KvEntry {
                    id: key_id.to_owned(),
                    owner: String::new(),
                    body,
                    expires: None,
                },
                self.clock.now(),
            )
            .map_err(|e| e.to_string())?;
        if !fresh {
            return Err(format!("key {key_id} exists already"));
        }
        Ok(pk)
    }

    fn sign_digest(&self, key_id: &str, e: &[u8; 32]) -> Result<sm2::Signature, String> {
        self.load(key_id)?.sign_digest(e).map_err(|e| e.to_string())
    }

    fn destroy(&self, key_id: &str) -> Result<(), String> {
        self.db
            .kv_delete(ns::VAULT, key_id)
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eseal::platform::FixedClock;

    #[test]
    fn keys_are_encrypted_bound_to_their_id_and_destroyed() {
        let db: Arc<dyn ServerStore> =
            Arc::new(crate::SqliteStore::open_in_memory().expect("sqlite"));
        let clock = Arc::new(FixedClock::new(1_700_000_000));
        let v = DbKeyVault::new(db.clone(), [7; 32], clock.clone());
        let pk = v.create("seal-1").unwrap();
        let e = [9u8; 32];
        let sig = v.sign_digest("seal-1", &e).unwrap();
        assert!(sm2::verify_digest(&pk, &e, &sig).is_ok());
        let stored = db.kv_get(ns::VAULT, "seal-1", 0).unwrap().unwrap();
        let raw = serde_json::from_str::<serde_json::Value>(&stored.body).unwrap();
        assert!(
            !stored
                .body
                .contains(&hex::encode(v.load("seal-1").unwrap().to_bytes()))
        );
        // Another master key cannot use it; the ciphertext moved to another id does not decrypt.
        assert!(
            DbKeyVault::new(db.clone(), [8; 32], clock.clone())
                .sign_digest("seal-1", &e)
                .is_err()
        );
        db.kv_put(
            ns::VAULT,
            &KvEntry {
                id: "seal-2".into(),
                owner: String::new(),
                body: raw.to_string(),
                expires: None,
            },
        )
        .unwrap();
        assert!(v.sign_digest("seal-2", &e).is_err());
        assert!(v.create("seal-1").is_err(), "ids are not reused");
        v.destroy("seal-1").unwrap();
        assert!(v.sign_digest("seal-1", &e).is_err());
    }
}
