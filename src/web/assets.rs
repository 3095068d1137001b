//! Static files under versioned addresses. Templates link `{{ asset(path="css/main.css") }}`, which
//! gives `/static/css/main.css?v=<hash of the file>`; an answer to an address with the current hash
//! may be kept by browsers and proxies for a year, because a changed file gets a new address.
//! Anything else under `/static` (an old hash, no hash, video files) is revalidated every time.
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, RwLock},
};

use actix_web::{
    Error,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderValue},
    middleware::Next,
    web,
};
use sha2::{Digest, Sha256};

use super::state::AppState;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";
/// Hex digits of the SHA-256 in the address: enough to tell releases apart.
const VERSION_CHARS: usize = 12;

/// The versions of the files the templates have linked so far. Files change only with a release,
/// which restarts the process, so a version once computed stays valid.
#[derive(Clone)]
pub struct Assets {
    dir: PathBuf,
    versions: Arc<RwLock<HashMap<String, String>>>,
}

impl Assets {
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            versions: Arc::default(),
        }
    }

    /// The content hash of `path` (relative to the static directory), computed on first use;
    /// `None` when the file cannot be read.
    fn version(&self, path: &str) -> Option<String> {
        if let Some(known) = self.versions.read().ok()?.get(path) {
            return Some(known.clone());
        }
        let bytes = std::fs::read(self.dir.join(path)).ok()?;
        let mut version = hex::encode(Sha256::digest(&bytes));
        version.truncate(VERSION_CHARS);
        self.versions
            .write()
            .ok()?
            .insert(path.to_owned(), version.clone());
        Some(version)
    }

    /// The address of a static file with its version; without one if the file is missing.
    pub fn url(&self, path: &str) -> String {
        let path = path.trim_start_matches('/');
        match self.version(path) {
            Some(version) => format!("/static/{path}?v={version}"),
            None => {
                tracing::warn!(path, "static file linked by a template is missing");
                format!("/static/{path}")
            }
        }
    }

    /// Whether `version` is the current one of a file the templates link. Request paths are only
    /// looked up, never hashed, so arbitrary addresses cost no file reads and no memory.
    fn is_current(&self, path: &str, version: &str) -> bool {
        self.versions
            .read()
            .is_ok_and(|known| known.get(path).is_some_and(|v| v == version))
    }

    /// `asset(path="css/main.css")` in templates.
    pub fn register(&self, tera: &mut tera::Tera) {
        let assets = self.clone();
        tera.register_function(
            "asset",
            move |args: &HashMap<String, tera::Value>| match args
                .get("path")
                .and_then(|v| v.as_str())
            {
                Some(path) => Ok(tera::Value::String(assets.url(path))),
                None => Err(tera::Error::msg("asset() needs path=\"…\"")),
            },
        );
    }
}

/// `Cache-Control` for `/static`: a year for the current version of a file, revalidation otherwise.
pub async fn cache_control(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let current = req.app_data::<web::Data<AppState>>().is_some_and(|state| {
        let path = req.path().trim_start_matches("/static/");
        web::Query::<HashMap<String, String>>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.get("v").map(|v| state.assets.is_current(path, v)))
            .unwrap_or(false)
    });
    let mut res = next.call(req).await?;
    if res.status().is_success() || res.status() == actix_web::http::StatusCode::NOT_MODIFIED {
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(if current { IMMUTABLE } else { REVALIDATE }),
        );
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_changes_with_the_content_and_only_known_versions_are_current() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("css")).unwrap();
        std::fs::write(dir.path().join("css/a.css"), "body{}").unwrap();
        let url = Assets::new(dir.path()).url("css/a.css");
        let version = url.strip_prefix("/static/css/a.css?v=").unwrap();
        assert_eq!(version.len(), VERSION_CHARS);

        std::fs::write(dir.path().join("css/a.css"), "body{color:red}").unwrap();
        let assets = Assets::new(dir.path());
        assert!(!assets.is_current("css/a.css", version), "not linked yet");
        let changed = assets.url("/css/a.css");
        assert_ne!(changed, url);
        assert!(assets.is_current("css/a.css", changed.rsplit('=').next().unwrap()));
        assert!(!assets.is_current("css/a.css", version));
        assert_eq!(assets.url("css/missing.css"), "/static/css/missing.css");
    }
}
