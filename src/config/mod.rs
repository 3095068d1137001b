//! One typed configuration, read once from `teilhabe.toml` (optional) and environment variables.
//! Environment variables win over the file, so containers can override single values.

use std::{
    collections::HashMap,
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

mod contacts;
mod network;

pub use contacts::{AccessibilityStatement, Contact, SiteContacts, StatementFinding};
pub use network::{ForwardedHeader, Network};

#[derive(Debug, thiserror::Error)]
#[error("{setting}: {problem}")]
pub struct ConfigError {
    pub setting: String,
    pub problem: String,
}

impl ConfigError {
    pub(crate) fn new(setting: impl Into<String>, problem: impl Into<String>) -> Self {
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

impl DatabaseTarget {
    /// A database server, which several instances may share.
    pub fn is_server(&self) -> bool {
        match self {
            Self::Sqlite(_) => false,
            Self::Url(url) => !url.expose_secret().starts_with("sqlite:"),
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
    /// How often the mail sender looks for mail to send; the first look comes one period after
    /// start. The tests make it long and deliver mail themselves, to see it queued as it was.
    pub mail_interval: Duration,
    /// Load balancers and reverse proxies whose forwarding header is believed.
    pub trusted_proxies: Vec<Network>,
    /// Which header those proxies write the client's address into.
    pub forwarded_header: ForwardedHeader,
    /// The key of the stored addresses' pseudonyms (`services::pseudonyms`); without it, a key file
    /// in the data directory (embedded SQLite only: instances sharing a server need one key).
    pub pseudonym_key: Option<SecretString>,
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

        // On unless the setting says otherwise.
        let flag = |name: &str, from_file: Option<String>| match get(name, from_file) {
            None => Ok(true),
            Some(raw) => parse_bool(name, &raw),
        };
        let demo = flag("TEILHABE_DEMO", file.demo.map(|b| b.to_string()))?;

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
        // A whole number within `allowed` (`expected` says the rule in words), `default` when
        // unset; numbers in the file are read like the text of an environment variable.
        let whole = |name: &str,
                     from_file: Option<u64>,
                     default: u64,
                     allowed: std::ops::RangeInclusive<u64>,
                     expected: &str| {
            match get(name, from_file.map(|n| n.to_string())) {
                None => Ok(default),
                Some(raw) => raw
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| allowed.contains(n))
                    .ok_or_else(|| ConfigError::new(name, format!("'{raw}' is not {expected}"))),
            }
        };
        // A positive number of the unit the setting's name ends with.
        let span = |name: &str, from_file: Option<u64>, default: u64| {
            const UNITS: [(&str, &str, u64); 3] = [
                ("_MINUTES", "minutes", 60),
                ("_HOURS", "hours", 3600),
                ("_DAYS", "days", 86_400),
            ];
            let (_, unit, seconds_per_unit) = UNITS
                .into_iter()
                .find(|(suffix, _, _)| name.ends_with(suffix))
                .expect("the name of a span setting ends with its unit");
            let expected = format!("a positive number of {unit}");
            whole(name, from_file, default, 1..=999_999, &expected)
                .map(|n| Duration::from_secs(n * seconds_per_unit))
        };
        let session_idle = span(
            "TEILHABE_SESSION_IDLE_MINUTES",
            file.session_idle_minutes,
            30,
        )?;
        let session_absolute = span(
            "TEILHABE_SESSION_MAX_MINUTES",
            file.session_max_minutes,
            12 * 60,
        )?;
        let offer_hold = span("TEILHABE_OFFER_HOLD_HOURS", file.offer_hold_hours, 24)?;
        let reminder_before = span("TEILHABE_REMINDER_HOURS", file.reminder_hours, 48)?;
        let volunteer_min_notice = span(
            "TEILHABE_VOLUNTEER_NOTICE_HOURS",
            file.volunteer_notice_hours,
            48,
        )?;
        let retention = span("TEILHABE_RETENTION_DAYS", file.retention_days, 90)?;
        let feedback_code_valid = span("TEILHABE_FEEDBACK_CODE_DAYS", file.feedback_code_days, 14)?;
        // Seconds within `allowed` (`range` says it in words).
        let seconds = |name: &str,
                       from_file: Option<u64>,
                       default: u64,
                       allowed: std::ops::RangeInclusive<u64>,
                       range: &str| {
            let expected = format!("a number of seconds from {range}");
            whole(name, from_file, default, allowed, &expected).map(Duration::from_secs)
        };
        let page_cache_ttl = seconds(
            "TEILHABE_PAGE_CACHE_SECONDS",
            file.page_cache_seconds,
            5,
            0..=3600,
            "0 (off) to 3600",
        )?;
        // The warning shows 20 seconds before the reset, so shorter spans make no sense.
        let kiosk_idle = seconds(
            "TEILHABE_KIOSK_IDLE_SECONDS",
            file.kiosk_idle_seconds,
            120,
            30..=3600,
            "30 to 3600",
        )?;
        let rate_limits = flag("TEILHABE_RATE_LIMITS", file.rate_limits)?;
        let background_jobs = flag("TEILHABE_BACKGROUND_JOBS", file.background_jobs)?;
        let job_interval = seconds(
            "TEILHABE_JOB_INTERVAL_SECONDS",
            file.job_interval_seconds,
            60,
            1..=3600,
            "1 to 3600",
        )?;
        let mail_interval = seconds(
            "TEILHABE_MAIL_INTERVAL_SECONDS",
            file.mail_interval_seconds,
            5,
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

        let forwarded_header = match get("TEILHABE_FORWARDED_HEADER", file.forwarded_header) {
            None => ForwardedHeader::default(),
            Some(raw) => ForwardedHeader::parse(&raw).ok_or_else(|| {
                ConfigError::new(
                    "TEILHABE_FORWARDED_HEADER",
                    format!("'{raw}' is neither x-forwarded-for nor forwarded"),
                )
            })?,
        };

        let pseudonym_key = get("TEILHABE_PSEUDONYM_KEY", file.pseudonym_key);
        if let Some(key) = &pseudonym_key
            && key.trim().chars().count() < MIN_PSEUDONYM_KEY_CHARS
        {
            return Err(ConfigError::new(
                "TEILHABE_PSEUDONYM_KEY",
                format!(
                    "is shorter than {MIN_PSEUDONYM_KEY_CHARS} characters; make one with `openssl rand -hex 32`"
                ),
            ));
        }
        if pseudonym_key.is_none() && database.is_server() {
            return Err(ConfigError::new(
                "TEILHABE_PSEUDONYM_KEY",
                "is needed with a PostgreSQL database: every instance must hash stored addresses \
                 with the same secret key. Make one with `openssl rand -hex 32` and set it on every \
                 instance",
            ));
        }

        // Each instance keeps an embedded index of its own, but they share one queue of index
        // changes: each change would reach only the index of the instance that took it, and a
        // hidden proposal would stay findable on the others.
        let single_instance = match get(
            "TEILHABE_SINGLE_INSTANCE",
            file.single_instance.map(|b| b.to_string()),
        ) {
            None => false,
            Some(raw) => parse_bool("TEILHABE_SINGLE_INSTANCE", &raw)?,
        };
        if database.is_server() && matches!(search, SearchBackend::Embedded) && !single_instance {
            return Err(ConfigError::new(
                "TEILHABE_MEILISEARCH_URL",
                "is needed with a PostgreSQL database, which several instances share: each would \
                 keep an embedded search index of its own and miss the changes the others take. \
                 Set it to the Meilisearch server every instance uses, or set \
                 TEILHABE_SINGLE_INSTANCE=true where exactly one instance runs",
            ));
        }
        // Without a mail server, each instance writes the mail it claims into its own data directory
        // and marks it sent: spread over the hosts, none of it reaches anybody.
        if database.is_server() && smtp_url.is_none() && !single_instance {
            return Err(ConfigError::new(
                "TEILHABE_SMTP_URL",
                "is needed with a PostgreSQL database, which several instances share: without it \
                 each instance writes the mail it sends as files into its own data directory and \
                 marks it sent, so nobody receives it. Set it to the mail server every instance \
                 uses, or set TEILHABE_SINGLE_INSTANCE=true where exactly one instance runs",
            ));
        }

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
            mail_interval,
            trusted_proxies,
            forwarded_header,
            pseudonym_key: pseudonym_key.map(|key| SecretString::from(key.trim().to_owned())),
        })
    }
}

/// 32 characters: 128 bits from `openssl rand -hex 32` at half its length.
pub const MIN_PSEUDONYM_KEY_CHARS: usize = 32;

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
    pub pseudonym_key: Option<String>,
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
    pub mail_interval_seconds: Option<u64>,
    pub meilisearch_url: Option<String>,
    pub meilisearch_index: Option<String>,
    pub single_instance: Option<bool>,
    pub trusted_proxies: Option<Vec<String>>,
    pub forwarded_header: Option<String>,
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
mod tests;
