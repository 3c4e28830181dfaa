//! A connected, PIN-verified UKey container as a [`Signer`]: the host computes e, the key
//! signs it (`SKF_ECCSignData`).

use super::{PinType, Token, UkeyError, find_sm2_container};
use crate::crypto::sm2::Signature;
use crate::crypto::{Certificate, Signer, SignerError};
use std::sync::Mutex;

/// A UKey container that signs for its certificate.
pub struct UkeySigner {
    token: Mutex<Box<dyn Token>>,
    app: String,
    container: String,
    cert: Certificate,
}

impl std::fmt::Debug for UkeySigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UkeySigner")
            .field("app", &self.app)
            .field("container", &self.container)
            .field("cert", &self.cert.subject_string())
            .finish()
    }
}

impl From<UkeyError> for SignerError {
    fn from(e: UkeyError) -> Self {
        match e {
            UkeyError::PinIncorrect { retries_left } => SignerError::PinIncorrect { retries_left },
            UkeyError::PinLocked => SignerError::PinLocked,
            UkeyError::NotLoggedIn => SignerError::NotLoggedIn,
            e => SignerError::Device(e.to_string()),
        }
    }
}

impl UkeySigner {
    /// Verifies the user PIN of `app`, picks `container` (or the first SM2 container), reads
    /// its signing certificate and checks that it holds the container's public key.
    pub fn open(
        mut token: Box<dyn Token>,
        app: &str,
        container: Option<&str>,
        pin: &str,
    ) -> Result<UkeySigner, UkeyError> {
        token.verify_pin(app, PinType::User, pin)?;
        let container = match container {
            Some(c) => c.to_string(),
            None => find_sm2_container(token.as_mut(), app)?,
        };
        let der = token.certificate(app, &container, true)?;
        let cert = Certificate::from_der(&der)
            .map_err(|e| UkeyError::BadData(format!("signing certificate: {e}")))?;
        let pk = token.public_key(app, &container)?;
        let cert_pk = cert
            .sm2_public_key()
            .map_err(|e| UkeyError::BadData(format!("signing certificate: {e}")))?;
        if cert_pk.to_sec1_uncompressed() != pk {
            return Err(UkeyError::BadData(
                "the container's certificate is not for its signing key".into(),
            ));
        }
        Ok(UkeySigner {
            token: Mutex::new(token),
            app: app.to_string(),
            container,
            cert,
        })
    }

    pub fn container(&self) -> &str {
        &self.container
    }

    /// The token, e.g. to read or write files while logged in.
    pub fn with_token<T>(&self, f: impl FnOnce(&mut dyn Token) -> T) -> T {
        let mut g = self.token.lock().unwrap_or_else(|e| e.into_inner());
        f(g.as_mut())
    }
}

impl Signer for UkeySigner {
    fn certificate(&self) -> &Certificate {
        &self.cert
    }
    fn sign_digest(&self, e: &[u8; 32]) -> Result<Signature, SignerError> {
        let rs = self.with_token(|t| t.sign_digest(&self.app, &self.container, e))?;
        Ok(Signature::from_raw(&rs)?)
    }
}
