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
fn a_database_server_needs_a_pseudonym_key_of_some_length() {
    let server = (
        "DATABASE_URL",
        "postgres://postgres@127.0.0.1:5432/teilhabe",
    );
    let err = Settings::from_sources(FileConfig::default(), &env(&[server])).unwrap_err();
    assert_eq!(err.setting, "TEILHABE_PSEUDONYM_KEY");
    assert!(err.problem.contains("openssl rand -hex 32"), "{err}");
    let short = ("TEILHABE_PSEUDONYM_KEY", "zu-kurz");
    let err = Settings::from_sources(FileConfig::default(), &env(&[server, short])).unwrap_err();
    assert_eq!(err.setting, "TEILHABE_PSEUDONYM_KEY");
    let key = ("TEILHABE_PSEUDONYM_KEY", "0123456789abcdef0123456789abcdef");
    let one = ("TEILHABE_SINGLE_INSTANCE", "true");
    let s = Settings::from_sources(FileConfig::default(), &env(&[server, key, one])).unwrap();
    assert!(s.pseudonym_key.is_some());
    // The embedded database takes its key from the data directory.
    let s = Settings::from_sources(FileConfig::default(), &env(&[])).unwrap();
    assert!(s.pseudonym_key.is_none());
    let file = ("DATABASE_URL", "sqlite://data/teilhabe.db?mode=rwc");
    assert!(Settings::from_sources(FileConfig::default(), &env(&[file])).is_ok());
}

#[test]
fn a_database_server_needs_meilisearch_unless_one_instance_runs() {
    let server = (
        "DATABASE_URL",
        "postgres://postgres@127.0.0.1:5432/teilhabe",
    );
    let key = ("TEILHABE_PSEUDONYM_KEY", "0123456789abcdef0123456789abcdef");
    let err = Settings::from_sources(FileConfig::default(), &env(&[server, key])).unwrap_err();
    assert_eq!(err.setting, "TEILHABE_MEILISEARCH_URL");
    assert!(
        err.problem.contains("TEILHABE_SINGLE_INSTANCE=true"),
        "{err}"
    );
    let meili = ("TEILHABE_MEILISEARCH_URL", "http://127.0.0.1:7700");
    let smtp = ("TEILHABE_SMTP_URL", "smtp://mail.example:25");
    let s =
        Settings::from_sources(FileConfig::default(), &env(&[server, key, meili, smtp])).unwrap();
    assert!(matches!(s.search, SearchBackend::Meilisearch { .. }));
    let one = ("TEILHABE_SINGLE_INSTANCE", "true");
    let s = Settings::from_sources(FileConfig::default(), &env(&[server, key, one])).unwrap();
    assert!(matches!(s.search, SearchBackend::Embedded));
    let unclear = ("TEILHABE_SINGLE_INSTANCE", "vielleicht");
    let err =
        Settings::from_sources(FileConfig::default(), &env(&[server, key, unclear])).unwrap_err();
    assert_eq!(err.setting, "TEILHABE_SINGLE_INSTANCE");
    // SQLite is one instance by nature.
    assert!(Settings::from_sources(FileConfig::default(), &env(&[])).is_ok());
}

/// Mail written to files stays on the host of the instance that sent it: with several instances
/// it reaches nobody, though each marks it sent.
#[test]
fn a_database_server_needs_a_mail_server_unless_one_instance_runs() {
    let server = (
        "DATABASE_URL",
        "postgres://postgres@127.0.0.1:5432/teilhabe",
    );
    let key = ("TEILHABE_PSEUDONYM_KEY", "0123456789abcdef0123456789abcdef");
    let meili = ("TEILHABE_MEILISEARCH_URL", "http://127.0.0.1:7700");
    let err =
        Settings::from_sources(FileConfig::default(), &env(&[server, key, meili])).unwrap_err();
    assert_eq!(err.setting, "TEILHABE_SMTP_URL");
    assert!(
        err.problem.contains("TEILHABE_SINGLE_INSTANCE=true"),
        "{err}"
    );
    let one = ("TEILHABE_SINGLE_INSTANCE", "true");
    let s =
        Settings::from_sources(FileConfig::default(), &env(&[server, key, meili, one])).unwrap();
    assert!(s.smtp_url.is_none());
    // SQLite is one instance by nature: its mail may go to the outbox folder.
    let s = Settings::from_sources(FileConfig::default(), &env(&[])).unwrap();
    assert!(s.smtp_url.is_none());
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
