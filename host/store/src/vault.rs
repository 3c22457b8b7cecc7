//! The secrets vault: config secrets sealed with ChaCha20-Poly1305 under the data
//! directory's key (a 0600 file, `store.key`), each bound to its connection and field name
//! (the associated data), so a sealed value copied to another connection or field does not
//! open, and a shared PostgreSQL store never holds a secret in clear.

use crate::{Error, Result};
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use std::path::Path;

/// Seals and opens secret values with the data directory's key.
pub(crate) struct Vault {
    cipher: ChaCha20Poly1305,
}

impl Vault {
    /// The vault of the key at `key_path` (made, 0600, when missing).
    pub(crate) fn open(key_path: &Path) -> Result<Vault> {
        let key = load_key(key_path)?;
        Ok(Vault {
            cipher: ChaCha20Poly1305::new(Key::from_slice(&key)),
        })
    }

    pub(crate) fn seal(&self, id: &str, name: &str, value: &str) -> Result<String> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
        let aad = format!("{id}\0{name}");
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: value.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| Error::Config("encrypting a secret failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(base64::engine::general_purpose::STANDARD.encode(out))
    }

    pub(crate) fn unseal(&self, id: &str, name: &str, sealed: &str) -> Result<String> {
        let fail = || {
            Error::Config(format!(
                "the secret `{name}` of `{id}` cannot be decrypted with this data directory's key (`store.key`): restore the key the secrets were stored with, or set the secrets again with `connector-agent setup {id}`"
            ))
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .map_err(|_| fail())?;
        if bytes.len() < 12 {
            return Err(fail());
        }
        let (nonce, body) = bytes.split_at(12);
        let aad = format!("{id}\0{name}");
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| fail())?;
        String::from_utf8(plain).map_err(|_| fail())
    }
}

/// Reads (or makes, 0600) the data directory's 32-byte secret key.
fn load_key(path: &Path) -> Result<[u8; 32]> {
    let read = |text: String| -> Result<[u8; 32]> {
        let bytes = hex::decode(text.trim()).map_err(|_| {
            Error::Config(format!(
                "`{}` is not a 64-digit hex key; restore it from a backup (the secrets in the metadata store cannot be read without it)",
                path.display()
            ))
        })?;
        bytes
            .try_into()
            .map_err(|_| Error::Config(format!("`{}` must hold 32 bytes in hex", path.display())))
    };
    match std::fs::read_to_string(path) {
        Ok(text) => return read(text),
        // Only a missing key is made anew: any other failure (permissions, I/O) must not
        // replace the key the stored secrets were sealed with.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(Error::Config(format!(
                "reading the secret key `{}`: {e}",
                path.display()
            )))
        }
    }
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
    if let Some(dir) = path.parent() {
        crate::files::private_dir(dir)?;
    }
    // Written whole to a private temporary file, then linked into place: the link fails if
    // the key exists, so of two processes making it at once one wins and the other reads the
    // winner's complete key; a crash never leaves an empty key file.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(hex::encode(key).as_bytes())?;
        f.sync_all()?;
    }
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(key),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            read(std::fs::read_to_string(path)?)
        }
        Err(e) => Err(Error::Io(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::Vault;

    #[test]
    fn a_sealed_secret_opens_only_for_its_connection_and_field_and_key() {
        let dir = std::env::temp_dir().join(format!("ca-vault-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let vault = Vault::open(&dir.join("store.key")).unwrap();
        let sealed = vault.seal("billing", "api_key", "sk_live_1").unwrap();
        assert!(!sealed.contains("sk_live_1"));
        assert_eq!(
            vault.unseal("billing", "api_key", &sealed).unwrap(),
            "sk_live_1"
        );
        // Copied to another connection or another field, or read with another key: refused,
        // with the way out named and nothing of the value shown.
        for (id, name) in [("other", "api_key"), ("billing", "password")] {
            let err = vault.unseal(id, name, &sealed).unwrap_err().to_string();
            assert!(
                err.contains("cannot be decrypted") && err.contains("setup"),
                "{err}"
            );
        }
        let reopened = Vault::open(&dir.join("store.key")).unwrap();
        assert_eq!(
            reopened.unseal("billing", "api_key", &sealed).unwrap(),
            "sk_live_1"
        );
        let other = Vault::open(&dir.join("other.key")).unwrap();
        assert!(other.unseal("billing", "api_key", &sealed).is_err());
        assert!(vault.unseal("billing", "api_key", "not base64!").is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("store.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
