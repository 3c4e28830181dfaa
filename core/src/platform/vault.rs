//! Server-held keys: the key vault kept in the platform's store, encrypted at rest, and the
//! [`VaultSigner`] that makes a vault key a [`crate::crypto::Signer`].
//!
//! Threat model (docs/platform-rules.md, "Key vault"): the database (and its backups) may
//! be read by someone who must not be able to sign. Every private key is stored encrypted
//! with SM4-GCM (GB/T 32907 block cipher in GCM, as RFC 8998 uses it) under a 128-bit master
//! key that comes from the platform's configuration, never from the database; the key's id is
//! the associated data, so a ciphertext moved to another id does not decrypt. A key is
//! decrypted in memory only for one signature. Someone who holds both the database and the
//! master key can sign; rotate the master key by re-wrapping (not automated here) and keep it
//! in an HSM or a secrets manager in production (an HSM vault implements [`KeyVault`]).

use std::sync::Arc;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use serde::{Deserialize, Serialize};

use super::store::{Batch, Index, Kind, Store, Write};
use super::{KeyVault, VaultError};
use crate::crypto::sm2;
use crate::crypto::{Certificate, Signer, SignerError};

type Sm4Gcm = aes_gcm::AesGcm<sm4::Sm4, aes_gcm::aead::consts::U12>;

/// Length of the vault master key (SM4: 128 bits).
pub const MASTER_KEY_LEN: usize = 16;

/// One stored key: the SM4-GCM ciphertext of the 32-byte private scalar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct StoredKey {
    id: String,
    alg: String,
    /// 12 random bytes, hex.
    nonce: String,
    /// Ciphertext and tag, hex.
    sealed: String,
    /// SEC1 uncompressed public key, hex.
    public_key: String,
}

/// The key vault in the platform's store, private keys encrypted with the master key.
pub struct StoreKeyVault {
    store: Arc<dyn Store>,
    cipher: Sm4Gcm,
}

impl StoreKeyVault {
    /// A vault over `store` with the 16-byte `master_key` (from configuration).
    pub fn new(store: Arc<dyn Store>, master_key: &[u8]) -> Result<StoreKeyVault, VaultError> {
        let cipher = Sm4Gcm::new_from_slice(master_key)
            .map_err(|_| VaultError::BadMasterKey(MASTER_KEY_LEN))?;
        Ok(StoreKeyVault { store, cipher })
    }

    fn load(&self, key_id: &str) -> Result<(StoredKey, u64), VaultError> {
        let r = self
            .store
            .get(Kind::VaultKey, key_id)?
            .ok_or_else(|| VaultError::UnknownKey(key_id.to_owned()))?;
        let k = serde_json::from_str(&r.body).map_err(|_| VaultError::Decrypt(key_id.into()))?;
        Ok((k, r.version))
    }

    fn private_key(&self, key_id: &str) -> Result<sm2::PrivateKey, VaultError> {
        let (k, _) = self.load(key_id)?;
        let bad = || VaultError::Decrypt(key_id.to_owned());
        let nonce = hex::decode(&k.nonce).map_err(|_| bad())?;
        let sealed = hex::decode(&k.sealed).map_err(|_| bad())?;
        if k.alg != "SM4-GCM" || nonce.len() != 12 {
            return Err(bad());
        }
        let nonce =
            aes_gcm::aead::Nonce::<Sm4Gcm>::try_from(nonce.as_slice()).map_err(|_| bad())?;
        let mut plain = self
            .cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: &sealed,
                    aad: key_id.as_bytes(),
                },
            )
            .map_err(|_| bad())?;
        let key = sm2::PrivateKey::from_bytes(&plain);
        plain.iter_mut().for_each(|b| *b = 0);
        let key = key.map_err(|_| bad())?;
        if hex::encode(key.public_key().to_sec1_uncompressed()) != k.public_key {
            return Err(bad());
        }
        Ok(key)
    }
}

fn commit(store: &dyn Store, w: Write) -> Result<(), VaultError> {
    // Vault writes carry no audit entry of their own: the platform operation that asks for
    // them is audited.
    let mac = super::audit::AuditMac::new(&[0u8; 16]).map_err(|_| VaultError::Unavailable)?;
    Ok(store.commit(
        &Batch {
            writes: vec![w],
            audit: vec![],
        },
        &mac,
    )?)
}

impl KeyVault for StoreKeyVault {
    fn create(&self, key_id: &str) -> Result<sm2::PublicKey, VaultError> {
        let key = sm2::PrivateKey::generate()?;
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(VaultError::Random)?;
        let mut scalar = key.to_bytes();
        let sealed = self
            .cipher
            .encrypt(
                &aes_gcm::aead::Nonce::<Sm4Gcm>::from(nonce),
                Payload {
                    msg: &scalar,
                    aad: key_id.as_bytes(),
                },
            )
            .map_err(|_| VaultError::Unavailable);
        scalar.iter_mut().for_each(|b| *b = 0);
        let pk = key.public_key();
        let k = StoredKey {
            id: key_id.to_owned(),
            alg: "SM4-GCM".into(),
            nonce: hex::encode(nonce),
            sealed: hex::encode(sealed?),
            public_key: hex::encode(pk.to_sec1_uncompressed()),
        };
        let body = serde_json::to_string(&k).map_err(|_| VaultError::Unavailable)?;
        commit(
            self.store.as_ref(),
            Write::Insert {
                kind: Kind::VaultKey,
                id: key_id.to_owned(),
                body,
                unique: vec![],
                index: Index::default(),
            },
        )?;
        Ok(pk)
    }

    fn sign_digest(&self, key_id: &str, e: &[u8; 32]) -> Result<sm2::Signature, VaultError> {
        Ok(self.private_key(key_id)?.sign_digest(e)?)
    }

    fn destroy(&self, key_id: &str) -> Result<(), VaultError> {
        match self.load(key_id) {
            Err(VaultError::UnknownKey(_)) => Ok(()),
            Err(e) => Err(e),
            Ok((_, v)) => commit(
                self.store.as_ref(),
                Write::Delete {
                    kind: Kind::VaultKey,
                    id: key_id.to_owned(),
                    expected: v,
                },
            ),
        }
    }
}

/// A vault key with its certificate: a [`Signer`] whose private key never leaves the vault.
pub struct VaultSigner {
    vault: Arc<dyn KeyVault>,
    key_id: String,
    cert: Certificate,
}

impl VaultSigner {
    /// The vault's id of the key.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn new(vault: Arc<dyn KeyVault>, key_id: &str, cert: Certificate) -> VaultSigner {
        VaultSigner {
            vault,
            key_id: key_id.to_owned(),
            cert,
        }
    }
}

impl Signer for VaultSigner {
    fn certificate(&self) -> &Certificate {
        &self.cert
    }
    fn sign_digest(&self, e: &[u8; 32]) -> Result<sm2::Signature, SignerError> {
        self.vault
            .sign_digest(&self.key_id, e)
            .map_err(|e| SignerError::Device(e.to_string()))
    }
}
