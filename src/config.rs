//! One typed configuration, read once from `teilhabe.toml` (optional) and environment variables.
//! Environment variables win over the file, so containers can override single values.

use std::{
    collections::HashMap,
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use url::Url;

#[derive(Debug, thiserror::Error)]
#[error("{setting}: {problem}")]
pub struct ConfigError {
    pub setting: String,
    pub problem: String,
}

impl ConfigError {
    fn new(setting: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            setting: setting.into(),
            problem: problem.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub enum DatabaseTarget {
    /// The embedded default: one SQLite file.
    Sqlite(PathBuf),
    /// Any URL sea-orm understands (`postgres://…`, `sqlite://…`).
    Url(SecretString),
}

/// Who runs this installation; shown on the legal pages. Each municipality or ministry names its own.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Contact {
    pub name: String,
    pub street: String,
    pub postal_code: String,
    pub town: String,
    pub email: String,
    pub phone: String,
    pub url: String,
    pub representative: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct AccessibilityStatement {
    /// "vollständig", "teilweise" or "nicht" (EU model statement); without it the status follows from
    /// the findings: none from the accessibility suite's last run and none below means "vollständig".
    pub status: Option<String>,
    pub prepared_on: String,
    /// Shown as the last review only while no result of the accessibility suite is at hand.
    pub reviewed_on: String,
    /// How the operator assesses the portal; the automated checks of the last run are described after it.
    pub method: String,
    /// The operator's own findings that no automated check can make, listed with the suite's findings.
    pub findings: Vec<StatementFinding>,
}

/// One item of the statement's list of content that is not (yet) accessible, in Markdown.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatementFinding {
    pub de: String,
    /// The English page shows the German text when this is missing.
    #[serde(default)]
    pub en: Option<String>,
}

impl Default for AccessibilityStatement {
    fn default() -> Self {
        Self {
            status: None,
            prepared_on: "29.11.2026".into(),
            reviewed_on: "29.11.2026".into(),
            method: "Selbstbewertung".into(),
            findings: vec![StatementFinding {
                de: "**Videos in Deutscher Gebärdensprache:** Die Videos, die den Inhalt des Portals, \
                     die Bedienung und diese Erklärung in Deutscher Gebärdensprache erklären, werden noch \
                     produziert. Bis sie fertig sind, steht auf der Seite [Gebärdensprache](/gebaerdensprache) \
                     der vollständige Text jedes Videos. Dieselben Informationen gibt es auch in \
                     [Leichter Sprache](/leichte-sprache)."
                    .into(),
                en: Some(
                    "**Videos in German Sign Language:** the videos that explain the portal, how to use it \
                     and this statement in German Sign Language are still being produced. Until they are \
                     ready, the page [Sign language](/gebaerdensprache) has the full text of every video. \
                     The same information is available in [easy-to-read language](/leichte-sprache)."
                        .into(),
                ),
            }],
        }
    }
}

/// Legal and contact texts used by the content pages.
#[derive(Debug, Clone, Serialize)]
pub struct SiteContacts {
    pub operator: Contact,
    pub dpo: Contact,
    pub enforcement: Contact,
    pub statement: AccessibilityStatement,
}

impl Default for SiteContacts {
    fn default() -> Self {
        Self {
            operator: Contact {
                name: "Teilhabe-Demonstrationsbetrieb".into(),
                street: "Musterstraße 1".into(),
                postal_code: "99084".into(),
                town: "Erfurt".into(),
                email: "kontakt@teilhabe.example".into(),
                phone: "0361 000000".into(),
                url: String::new(),
                representative: "Die Leitung des Demonstrationsbetriebs".into(),
            },
            dpo: Contact {
                name: "Datenschutzbeauftragte Person des Betreibers".into(),
                email: "datenschutz@teilhabe.example".into(),
                ..Contact::default()
            },
            enforcement: Contact {
                name: "Landesdurchsetzungsstelle für digitale Barrierefreiheit beim Beauftragten für Menschen mit Behinderungen des Freistaats Thüringen".into(),
                street: "Werner-Seelenbinder-Straße 6".into(),
                postal_code: "99096".into(),
                town: "Erfurt".into(),
                url: "https://www.tlmb-thueringen.de/".into(),
                ..Contact::default()
            },
            statement: AccessibilityStatement::default(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub database: DatabaseTarget,
    pub base_url: Url,
    pub log_format: LogFormat,
    /// Load the demo organisations, venues and accounts on first start.
    pub demo: bool,
    /// Folder holding `templates/`, `static/` and `content/`.
    pub assets_dir: PathBuf,
    pub contacts: SiteContacts,
    pub shutdown_timeout: Duration,
    /// `smtp://…` or `smtps://…`; without it mail is written to `<data dir>/outbox/`.
    pub smtp_url: Option<SecretString>,
    pub mail_from: String,
    pub session_idle: Duration,
    /// How long places offered to a waiting entry are held for it.
    pub offer_hold: Duration,
    /// When the reminder mail goes out before a date.
    pub reminder_before: Duration,
    /// Volunteers withdrawing later than this before a session notify its coordinators.
    pub volunteer_min_notice: Duration,
    /// After this long past a date, participants' names and contacts are removed.
    pub retention: Duration,
    /// A date's printed feedback code takes forms until this long after the date ends.
    pub feedback_code_valid: Duration,
    /// How long anonymous catalogue pages are served from memory; zero turns the cache off.
    pub page_cache_ttl: Duration,
    /// A kiosk terminal returns to its start page after this long without a touch.
    pub kiosk_idle: Duration,
    pub session_absolute: Duration,
    /// Throttling of logins, registrations and resets; `off` only for load tests.
    pub rate_limits: bool,
    /// The proposal search: the embedded index in the data directory, or a Meilisearch server.
    pub search: SearchBackend,
    /// Whether this instance delivers mail and runs the scheduled jobs (reminders, retention,
    /// exports, housekeeping). They are safe on every instance; turning them off leaves an instance
    /// to serve pages only, and lets tests drive each job themselves.
    pub background_jobs: bool,
    /// How often the scheduled booking jobs run (place offers, reminders, feedback links, course
    /// alerts, retention); the first run comes one period after start.
    pub job_interval: Duration,
    /// Load balancers and reverse proxies whose `X-Forwarded-For` / `Forwarded` headers are believed.
    pub trusted_proxies: Vec<Network>,
}

#[derive(Debug, Clone)]
pub enum SearchBackend {
    Embedded,
    Meilisearch {
        url: Url,
        api_key: Option<SecretString>,
        index: String,
    },
}

impl Settings {
    pub fn templates_dir(&self) -> PathBuf {
        self.assets_dir.join("templates")
    }
    pub fn static_dir(&self) -> PathBuf {
        self.assets_dir.join("static")
    }
    pub fn content_dir(&self) -> PathBuf {
        self.assets_dir.join("content")
    }
    pub fn search_index_dir(&self) -> PathBuf {
        self.data_dir.join("search")
    }
    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }
    pub fn secure_cookies(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    /// Reads `TEILHABE_CONFIG` (default `./teilhabe.toml`, optional) and the process environment.
    pub fn load() -> Result<Self, ConfigError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        let file = match env.get("TEILHABE_CONFIG") {
            Some(path) => Some(read_file(Path::new(path), true)?),
            None => read_file(Path::new("teilhabe.toml"), false)?.into(),
        }
        .flatten();
        Self::from_sources(file.unwrap_or_default(), &env)
    }

    pub fn from_sources(
        file: FileConfig,
        env: &HashMap<String, String>,
    ) -> Result<Self, ConfigError> {
        let get = |name: &str, from_file: Option<String>| -> Option<String> {
            env.get(name)
                .cloned()
                .or(from_file)
                .filter(|v| !v.trim().is_empty())
        };

        let bind: SocketAddr = match get("TEILHABE_BIND", file.bind) {
            Some(raw) => raw.trim().parse().map_err(|_| {
                ConfigError::new(
                    "TEILHABE_BIND",
                    format!("'{raw}' is not an address with port, such as 127.0.0.1:8080"),
                )
            })?,
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        };

        let data_dir =
            PathBuf::from(get("TEILHABE_DATA_DIR", file.data_dir).unwrap_or_else(|| "data".into()));

        let database = match get("DATABASE_URL", file.database_url) {
            Some(url) => {
                let url = url.trim().to_owned();
                if !(url.starts_with("postgres://")
                    || url.starts_with("postgresql://")
                    || url.starts_with("sqlite:"))
                {
                    return Err(ConfigError::new(
                        "DATABASE_URL",
                        "must start with postgres://, postgresql:// or sqlite:",
                    ));
                }
                DatabaseTarget::Url(SecretString::from(url))
            }
            None => DatabaseTarget::Sqlite(data_dir.join("teilhabe.db")),
        };

        let base_url = match get("TEILHABE_BASE_URL", file.base_url) {
            Some(raw) => {
                let url = Url::parse(raw.trim()).map_err(|e| {
                    ConfigError::new("TEILHABE_BASE_URL", format!("'{raw}' is not a URL ({e})"))
                })?;
                if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                    return Err(ConfigError::new(
                        "TEILHABE_BASE_URL",
                        "must be an http:// or https:// address with a host",
                    ));
                }
                url
            }
            None => Url::parse(&format!("http://{bind}")).map_err(|e| {
                ConfigError::new("TEILHABE_BIND", format!("cannot derive a base URL: {e}"))
            })?,
        };

        let log_format = match get("TEILHABE_LOG_FORMAT", file.log_format).as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::new(
                    "TEILHABE_LOG_FORMAT",
                    format!("'{other}' is neither 'text' nor 'json'"),
                ));
            }
        };

        let demo = match get("TEILHABE_DEMO", file.demo.map(|b| b.to_string())) {
            None => true,
            Some(raw) => parse_bool("TEILHABE_DEMO", &raw)?,
        };

        let assets_dir = PathBuf::from(
            get("TEILHABE_ASSETS_DIR", file.assets_dir)
                .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").to_owned()),
        );
        for sub in ["templates", "static", "content"] {
            if !assets_dir.join(sub).is_dir() {
                return Err(ConfigError::new(
                    "TEILHABE_ASSETS_DIR",
                    format!("'{}' has no {sub}/ folder", assets_dir.display()),
                ));
            }
        }

        let defaults = SiteContacts::default();
        let contacts = SiteContacts {
            operator: file.operator.unwrap_or(defaults.operator),
            dpo: file.dpo.unwrap_or(defaults.dpo),
            enforcement: file.enforcement.unwrap_or(defaults.enforcement),
            statement: file.statement.unwrap_or(defaults.statement),
        };
        if let Some(status) = &contacts.statement.status
            && !matches!(status.as_str(), "vollständig" | "teilweise" | "nicht")
        {
            return Err(ConfigError::new(
                "statement.status",
                "must be 'vollständig', 'teilweise' or 'nicht'",
            ));
        }

        let smtp_url = get("TEILHABE_SMTP_URL", file.smtp_url).map(|url| url.trim().to_owned());
        if let Some(url) = &smtp_url
            && !(url.starts_with("smtp://") || url.starts_with("smtps://"))
        {
            return Err(ConfigError::new(
                "TEILHABE_SMTP_URL",
                "must start with smtp:// or smtps://",
            ));
        }
        // A plain smtp:// URL never encrypts (lettre); a password must not travel in clear.
        if let Some(url) = &smtp_url
            && url.starts_with("smtp://")
            && url::Url::parse(url).is_ok_and(|u| u.password().is_some())
            && !url.contains("tls=required")
            && !url.contains("tls=opportunistic")
        {
            return Err(ConfigError::new(
                "TEILHABE_SMTP_URL",
                "holds a password but no encryption: use smtps://… or add ?tls=required",
            ));
        }
        let mail_from = get("TEILHABE_MAIL_FROM", file.mail_from)
            .unwrap_or_else(|| "Teilhabe Thüringen <noreply@teilhabe.example>".into());
        if mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::new(
                "TEILHABE_MAIL_FROM",
                format!(
                    "'{mail_from}' is not a mail address such as Teilhabe <noreply@example.org>"
                ),
            ));
        }
        // A positive whole number of `unit` (minutes, hours or days, as the setting's name says).
        let span = |name: &str,
                    raw: Option<String>,
                    default: u64,
                    (unit, seconds_per_unit): (&str, u64)|
         -> Result<Duration, ConfigError> {
            match raw {
                None => Ok(Duration::from_secs(default * seconds_per_unit)),
                Some(raw) => match raw.trim().parse::<u64>() {
                    Ok(n) if n > 0 && n < 1_000_000 => {
                        Ok(Duration::from_secs(n * seconds_per_unit))
                    }
                    _ => Err(ConfigError::new(
                        name,
                        format!("'{raw}' is not a positive number of {unit}"),
                    )),
                },
            }
        };
        const MINUTES: (&str, u64) = ("minutes", 60);
        const HOURS: (&str, u64) = ("hours", 3600);
        const DAYS: (&str, u64) = ("days", 86_400);
        let session_idle = span(
            "TEILHABE_SESSION_IDLE_MINUTES",
            get(
                "TEILHABE_SESSION_IDLE_MINUTES",
                file.session_idle_minutes.map(|n| n.to_string()),
            ),
            30,
            MINUTES,
        )?;
        let session_absolute = span(
            "TEILHABE_SESSION_MAX_MINUTES",
            get(
                "TEILHABE_SESSION_MAX_MINUTES",
                file.session_max_minutes.map(|n| n.to_string()),
            ),
            12 * 60,
            MINUTES,
        )?;
        let offer_hold = span(
            "TEILHABE_OFFER_HOLD_HOURS",
            get(
                "TEILHABE_OFFER_HOLD_HOURS",
                file.offer_hold_hours.map(|n| n.to_string()),
            ),
            24,
            HOURS,
        )?;
        let reminder_before = span(
            "TEILHABE_REMINDER_HOURS",
            get(
                "TEILHABE_REMINDER_HOURS",
                file.reminder_hours.map(|n| n.to_string()),
            ),
            48,
            HOURS,
        )?;
        let volunteer_min_notice = span(
            "TEILHABE_VOLUNTEER_NOTICE_HOURS",
            get(
                "TEILHABE_VOLUNTEER_NOTICE_HOURS",
                file.volunteer_notice_hours.map(|n| n.to_string()),
            ),
            48,
            HOURS,
        )?;
        let retention = span(
            "TEILHABE_RETENTION_DAYS",
            get(
                "TEILHABE_RETENTION_DAYS",
                file.retention_days.map(|n| n.to_string()),
            ),
            90,
            DAYS,
        )?;
        let feedback_code_valid = span(
            "TEILHABE_FEEDBACK_CODE_DAYS",
            get(
                "TEILHABE_FEEDBACK_CODE_DAYS",
                file.feedback_code_days.map(|n| n.to_string()),
            ),
            14,
            DAYS,
        )?;
        let page_cache_ttl = seconds_within(
            "TEILHABE_PAGE_CACHE_SECONDS",
            get(
                "TEILHABE_PAGE_CACHE_SECONDS",
                file.page_cache_seconds.map(|n| n.to_string()),
            ),
            5,
            0..=3600,
            "0 (off) to 3600",
        )?;
        // The warning shows 20 seconds before the reset, so shorter spans make no sense.
        let kiosk_idle = seconds_within(
            "TEILHABE_KIOSK_IDLE_SECONDS",
            get(
                "TEILHABE_KIOSK_IDLE_SECONDS",
                file.kiosk_idle_seconds.map(|n| n.to_string()),
            ),
            120,
            30..=3600,
            "30 to 3600",
        )?;
        let rate_limits = match get("TEILHABE_RATE_LIMITS", file.rate_limits) {
            None => true,
            Some(raw) => parse_bool("TEILHABE_RATE_LIMITS", &raw)?,
        };
        let background_jobs = match get("TEILHABE_BACKGROUND_JOBS", file.background_jobs) {
            None => true,
            Some(raw) => parse_bool("TEILHABE_BACKGROUND_JOBS", &raw)?,
        };
        let job_interval = seconds_within(
            "TEILHABE_JOB_INTERVAL_SECONDS",
            get(
                "TEILHABE_JOB_INTERVAL_SECONDS",
                file.job_interval_seconds.map(|n| n.to_string()),
            ),
            60,
            1..=3600,
            "1 to 3600",
        )?;

        let search = match get("TEILHABE_MEILISEARCH_URL", file.meilisearch_url) {
            None => SearchBackend::Embedded,
            Some(raw) => {
                let url = Url::parse(raw.trim())
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .ok_or_else(|| {
                        ConfigError::new(
                            "TEILHABE_MEILISEARCH_URL",
                            format!(
                                "'{raw}' is not an http(s) address such as http://127.0.0.1:7700"
                            ),
                        )
                    })?;
                let index = get("TEILHABE_MEILISEARCH_INDEX", file.meilisearch_index)
                    .unwrap_or_else(|| "proposals".into());
                if !index
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    return Err(ConfigError::new(
                        "TEILHABE_MEILISEARCH_INDEX",
                        "may hold only letters, digits, '-' and '_'",
                    ));
                }
                SearchBackend::Meilisearch {
                    url,
                    api_key: get("TEILHABE_MEILISEARCH_KEY", None).map(SecretString::from),
                    index,
                }
            }
        };

        // --- trusted proxies (issue 14) ---
        let trusted_proxies = match get(
            "TEILHABE_TRUSTED_PROXIES",
            file.trusted_proxies.map(|list| list.join(",")),
        ) {
            None => Vec::new(),
            Some(raw) => raw
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| {
                    Network::parse(item).ok_or_else(|| {
                        ConfigError::new(
                            "TEILHABE_TRUSTED_PROXIES",
                            format!(
                                "'{item}' is not an address or network such as 10.0.0.5 or 10.0.0.0/8"
                            ),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
        };

        Ok(Self {
            bind,
            data_dir,
            database,
            base_url,
            log_format,
            demo,
            assets_dir,
            contacts,
            // With a second for the background jobs, a stop signal ends the process within 5 s.
            shutdown_timeout: Duration::from_secs(3),
            smtp_url: smtp_url.map(SecretString::from),
            mail_from,
            session_idle,
            offer_hold,
            volunteer_min_notice,
            reminder_before,
            retention,
            feedback_code_valid,
            page_cache_ttl,
            kiosk_idle,
            session_absolute,
            rate_limits,
            search,
            background_jobs,
            job_interval,
            trusted_proxies,
        })
    }
}

/// An address or a network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    base: std::net::IpAddr,
    prefix: u8,
}

impl Network {
    pub fn parse(raw: &str) -> Option<Self> {
        let (addr, prefix) = match raw.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix.parse::<u8>().ok()?)),
            None => (raw, None),
        };
        let base = addr.parse::<std::net::IpAddr>().ok()?.to_canonical();
        let bits = if base.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(bits);
        (prefix <= bits).then_some(Self { base, prefix })
    }

    pub fn contains(&self, addr: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        let masked = |value: u128, bits: u32| {
            let host_bits = bits - u32::from(self.prefix);
            value.checked_shr(host_bits).unwrap_or(0)
        };
        match (self.base, addr.to_canonical()) {
            (IpAddr::V4(base), IpAddr::V4(addr)) => {
                masked(u32::from(base).into(), 32) == masked(u32::from(addr).into(), 32)
            }
            (IpAddr::V6(base), IpAddr::V6(addr)) => {
                masked(u128::from(base), 128) == masked(u128::from(addr), 128)
            }
            _ => false,
        }
    }
}

/// The optional `teilhabe.toml`; every key mirrors an environment variable or a contact block.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub bind: Option<String>,
    pub data_dir: Option<String>,
    pub database_url: Option<String>,
    pub base_url: Option<String>,
    pub log_format: Option<String>,
    pub demo: Option<bool>,
    pub assets_dir: Option<String>,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub session_idle_minutes: Option<u64>,
    pub kiosk_idle_seconds: Option<u64>,
    pub offer_hold_hours: Option<u64>,
    pub reminder_hours: Option<u64>,
    pub volunteer_notice_hours: Option<u64>,
    pub retention_days: Option<u64>,
    pub feedback_code_days: Option<u64>,
    pub page_cache_seconds: Option<u64>,
    pub session_max_minutes: Option<u64>,
    pub rate_limits: Option<String>,
    pub background_jobs: Option<String>,
    pub job_interval_seconds: Option<u64>,
    pub meilisearch_url: Option<String>,
    pub meilisearch_index: Option<String>,
    pub trusted_proxies: Option<Vec<String>>,
    pub operator: Option<Contact>,
    pub dpo: Option<Contact>,
    pub enforcement: Option<Contact>,
    pub statement: Option<AccessibilityStatement>,
}

fn read_file(path: &Path, required: bool) -> Result<Option<FileConfig>, ConfigError> {
    let setting = || format!("config file {}", path.display());
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(None),
        Err(e) => return Err(ConfigError::new(setting(), format!("cannot be read ({e})"))),
    };
    toml::from_str(&text)
        .map(Some)
        .map_err(|e| ConfigError::new(setting(), e.message().to_owned()))
}

/// A number of seconds within `allowed` (`range` says it in words), or `default` when not set.
fn seconds_within(
    setting: &str,
    raw: Option<String>,
    default: u64,
    allowed: std::ops::RangeInclusive<u64>,
    range: &str,
) -> Result<Duration, ConfigError> {
    let Some(raw) = raw else {
        return Ok(Duration::from_secs(default));
    };
    match raw.trim().parse::<u64>() {
        Ok(n) if allowed.contains(&n) => Ok(Duration::from_secs(n)),
        _ => Err(ConfigError::new(
            setting,
            format!("'{raw}' is not a number of seconds from {range}"),
        )),
    }
}

fn parse_bool(setting: &str, raw: &str) -> Result<bool, ConfigError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        other => Err(ConfigError::new(
            setting,
            format!("'{other}' is not true or false"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_use_sqlite_in_the_data_dir() {
        let s = Settings::from_sources(FileConfig::default(), &env(&[])).unwrap();
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert!(
            matches!(s.database, DatabaseTarget::Sqlite(ref p) if p == Path::new("data/teilhabe.db"))
        );
        assert_eq!(s.base_url.as_str(), "http://127.0.0.1:8080/");
        assert!(s.demo);
    }

    #[test]
    fn data_dir_moves_the_database() {
        let s = Settings::from_sources(
            FileConfig::default(),
            &env(&[("TEILHABE_DATA_DIR", "/srv/t")]),
        )
        .unwrap();
        assert!(
            matches!(s.database, DatabaseTarget::Sqlite(ref p) if p == Path::new("/srv/t/teilhabe.db"))
        );
    }

    #[test]
    fn invalid_values_name_the_setting() {
        for (name, value) in [
            ("TEILHABE_BIND", "localhost"),
            ("TEILHABE_BASE_URL", "ftp://x"),
            ("DATABASE_URL", "mysql://x"),
            ("TEILHABE_LOG_FORMAT", "xml"),
            ("TEILHABE_DEMO", "vielleicht"),
            ("TEILHABE_SMTP_URL", "http://mail"),
            ("TEILHABE_SMTP_URL", "smtp://user:geheim@mail.example:587"),
            ("TEILHABE_OFFER_HOLD_HOURS", "0"),
            ("TEILHABE_RETENTION_DAYS", "neunzig"),
            ("TEILHABE_PAGE_CACHE_SECONDS", "-1"),
            ("TEILHABE_MAIL_FROM", "kein absender"),
            ("TEILHABE_SESSION_IDLE_MINUTES", "0"),
            ("TEILHABE_RATE_LIMITS", "manchmal"),
            ("TEILHABE_BACKGROUND_JOBS", "selten"),
            ("TEILHABE_JOB_INTERVAL_SECONDS", "0"),
            ("TEILHABE_JOB_INTERVAL_SECONDS", "eine Minute"),
            ("TEILHABE_TRUSTED_PROXIES", "10.0.0.0/33"),
            ("TEILHABE_TRUSTED_PROXIES", "load-balancer"),
        ] {
            let err =
                Settings::from_sources(FileConfig::default(), &env(&[(name, value)])).unwrap_err();
            assert_eq!(err.setting, name);
        }
    }

    #[test]
    fn booking_settings_have_defaults_and_units() {
        let s = Settings::from_sources(FileConfig::default(), &env(&[])).unwrap();
        assert_eq!(s.offer_hold, Duration::from_secs(24 * 3600));
        assert_eq!(s.reminder_before, Duration::from_secs(48 * 3600));
        assert_eq!(s.retention, Duration::from_secs(90 * 86_400));
        assert_eq!(s.feedback_code_valid, Duration::from_secs(14 * 86_400));
        assert_eq!(s.page_cache_ttl, Duration::from_secs(5));
        assert_eq!(s.job_interval, Duration::from_secs(60));
        let s = Settings::from_sources(
            FileConfig::default(),
            &env(&[
                ("TEILHABE_RETENTION_DAYS", "30"),
                ("TEILHABE_PAGE_CACHE_SECONDS", "0"),
                ("TEILHABE_JOB_INTERVAL_SECONDS", "2"),
                (
                    "TEILHABE_SMTP_URL",
                    "smtp://user:geheim@mail.example:587?tls=required",
                ),
            ]),
        )
        .unwrap();
        assert_eq!(s.retention, Duration::from_secs(30 * 86_400));
        assert!(s.page_cache_ttl.is_zero());
        assert_eq!(s.job_interval, Duration::from_secs(2));
    }

    #[test]
    fn trusted_proxies_are_addresses_and_networks() {
        let s = Settings::from_sources(FileConfig::default(), &env(&[])).unwrap();
        assert!(s.trusted_proxies.is_empty());
        let file = FileConfig {
            trusted_proxies: Some(vec!["10.0.0.0/8".into(), "2001:db8::1".into()]),
            ..FileConfig::default()
        };
        let s = Settings::from_sources(file, &env(&[])).unwrap();
        let trusted = |addr: &str| {
            let addr = addr.parse().unwrap();
            s.trusted_proxies.iter().any(|n| n.contains(addr))
        };
        assert!(trusted("10.20.30.40"));
        assert!(trusted("::ffff:10.0.0.1"));
        assert!(trusted("2001:db8::1"));
        assert!(!trusted("2001:db8::2"));
        assert!(!trusted("11.0.0.1"));
        let s = Settings::from_sources(
            FileConfig::default(),
            &env(&[("TEILHABE_TRUSTED_PROXIES", "0.0.0.0/0, 192.168.1.5")]),
        )
        .unwrap();
        assert_eq!(s.trusted_proxies.len(), 2);
        assert!(s.trusted_proxies[0].contains("8.8.8.8".parse().unwrap()));
        assert!(!s.trusted_proxies[0].contains("::1".parse().unwrap()));
    }

    #[test]
    fn environment_wins_over_file() {
        let file = FileConfig {
            bind: Some("127.0.0.1:9000".into()),
            ..FileConfig::default()
        };
        let s = Settings::from_sources(file, &env(&[("TEILHABE_BIND", "127.0.0.1:9001")])).unwrap();
        assert_eq!(s.bind.port(), 9001);
    }
}
