//! Configuration: flags > `GUANXI_*` environment > optional TOML file. Unknown keys in
//! the file are refused. Secrets are redacted from `Debug`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub addr: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database: Option<String>,
    pub log_format: Option<String>,
    pub admin_email: Option<String>,
    /// Outgoing mail (see `mail`): the SMTP server, the sender, and this installation's
    /// public address for links in mail.
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub public_url: Option<String>,
}

impl FileConfig {
    pub fn load(path: &Path) -> Result<FileConfig, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// Where the data lives, resolved from every source.
#[derive(Clone)]
pub struct Storage {
    pub data_dir: PathBuf,
    pub database: Option<String>,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let db = self
            .database
            .as_deref()
            .map(|u| match (u.find("://"), u.rfind('@')) {
                (Some(s), Some(at)) if at > s => format!("{}://***{}", &u[..s], &u[at..]),
                _ => u.to_string(),
            });
        f.debug_struct("Storage")
            .field("data_dir", &self.data_dir)
            .field("database", &db)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_refused() {
        let e = toml::from_str::<FileConfig>("adress = \"x\"");
        assert!(e.is_err());
        let ok =
            toml::from_str::<FileConfig>("addr = \"127.0.0.1:9000\"\ndatabase = \"sqlite://x.db\"").unwrap();
        assert_eq!(ok.addr.as_deref(), Some("127.0.0.1:9000"));
    }

    #[test]
    fn passwords_never_reach_debug_output() {
        let s = Storage {
            data_dir: "d".into(),
            database: Some("postgres://crm:hunter2@db/guanxi".into()),
        };
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("@db/guanxi"));
    }
}
