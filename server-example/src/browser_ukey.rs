//! The user's UKey as the platform sees it when it writes a seal (2.2.2 写入 UKey): the key
//! is in the browser's machine, reached through `eseal agent`, not on the server. This
//! [`Token`] presents the UKey's signing certificate the page got from the agent and keeps
//! the seal file the platform writes; the server hands that file back to the page, which
//! has the agent write it into the key (`POST /v1/write-seal`). It signs nothing and holds no
//! key: everything else is refused.

use std::collections::BTreeMap;

use eseal::ukey::{
    ContainerInfo, ContainerKind, DeviceInfo, FileInfo, FileRights, PinInfo, PinType, Result,
    Token, UkeyError,
};

pub const APPLICATION: &str = "ESEAL";
const CONTAINER: &str = "SM2-SIGN";

pub struct BrowserUkey {
    cert: Vec<u8>,
    files: BTreeMap<String, Vec<u8>>,
}

impl BrowserUkey {
    /// A UKey whose signing certificate is `cert_der`.
    pub fn new(cert_der: Vec<u8>) -> Self {
        BrowserUkey {
            cert: cert_der,
            files: BTreeMap::new(),
        }
    }

    /// The files written (name, content).
    pub fn written(&self) -> impl Iterator<Item = (&String, &Vec<u8>)> {
        self.files.iter()
    }
}

fn not_here(what: &'static str) -> UkeyError {
    UkeyError::NotSupported(what)
}

impl Token for BrowserUkey {
    fn name(&self) -> &str {
        "browser UKey (through eseal agent)"
    }
    fn info(&self) -> Result<DeviceInfo> {
        Ok(DeviceInfo {
            version: (1, 0),
            manufacturer: "eseal agent".into(),
            issuer: String::new(),
            label: self.name().into(),
            serial: String::new(),
            hw_version: (0, 0),
            firmware_version: (0, 0),
            alg_sym_cap: 0,
            alg_asym_cap: 0,
            alg_hash_cap: 0,
            dev_auth_alg_id: 0,
            total_space: 1 << 20,
            free_space: 1 << 20,
            max_ecc_buffer_size: 0,
            max_buffer_size: 1 << 20,
            sm2: true,
        })
    }
    fn applications(&self) -> Result<Vec<String>> {
        Ok(vec![APPLICATION.into()])
    }
    fn pin_info(&mut self, _: &str, _: PinType) -> Result<PinInfo> {
        Err(not_here(
            "PIN information on the server (the agent checks the PIN)",
        ))
    }
    fn verify_pin(&mut self, _: &str, _: PinType, _: &str) -> Result<()> {
        Err(not_here("PINs on the server (the agent checks the PIN)"))
    }
    fn change_pin(&mut self, _: &str, _: PinType, _: &str, _: &str) -> Result<()> {
        Err(not_here("PIN changes on the server"))
    }
    fn unblock_pin(&mut self, _: &str, _: &str, _: &str) -> Result<()> {
        Err(not_here("PIN unblocking on the server"))
    }
    fn logout(&mut self, _: &str) -> Result<()> {
        Ok(())
    }
    fn containers(&mut self, _: &str) -> Result<Vec<ContainerInfo>> {
        Ok(vec![ContainerInfo {
            name: CONTAINER.into(),
            kind: ContainerKind::Sm2,
        }])
    }
    fn certificate(&mut self, _: &str, _: &str, sign: bool) -> Result<Vec<u8>> {
        if sign {
            Ok(self.cert.clone())
        } else {
            Err(UkeyError::NotFound("the encryption certificate".into()))
        }
    }
    fn public_key(&mut self, _: &str, _: &str) -> Result<[u8; 65]> {
        Err(not_here("public keys on the server"))
    }
    fn sign_digest(&mut self, _: &str, _: &str, _: &[u8; 32]) -> Result<[u8; 64]> {
        Err(not_here(
            "signing on the server (the UKey signs through the agent)",
        ))
    }
    fn create_container(&mut self, _: &str, _: &str) -> Result<()> {
        Err(not_here("containers on the server"))
    }
    fn generate_sm2_key(&mut self, _: &str, _: &str) -> Result<[u8; 65]> {
        Err(not_here("key generation on the server"))
    }
    fn import_certificate(&mut self, _: &str, _: &str, _: bool, _: &[u8]) -> Result<()> {
        Err(not_here("certificate import on the server"))
    }
    fn files(&mut self, _: &str) -> Result<Vec<FileInfo>> {
        Ok(self
            .files
            .iter()
            .map(|(n, d)| FileInfo {
                name: n.clone(),
                size: u32::try_from(d.len()).unwrap_or(u32::MAX),
                read_rights: FileRights::ANYONE,
                write_rights: FileRights::USER,
            })
            .collect())
    }
    fn read_file(&mut self, _: &str, name: &str) -> Result<Vec<u8>> {
        self.files
            .get(name)
            .cloned()
            .ok_or_else(|| UkeyError::NotFound(name.into()))
    }
    fn write_file(
        &mut self,
        _: &str,
        name: &str,
        data: &[u8],
        _: FileRights,
        _: FileRights,
    ) -> Result<()> {
        self.files.insert(name.to_owned(), data.to_vec());
        Ok(())
    }
    fn delete_file(&mut self, _: &str, name: &str) -> Result<()> {
        self.files.remove(name);
        Ok(())
    }
    fn random(&self, len: usize) -> Result<Vec<u8>> {
        let mut b = vec![0u8; len];
        getrandom::fill(&mut b).map_err(UkeyError::Random)?;
        Ok(b)
    }
}
