use std::process::ExitCode;

use clap::Parser;
use sea_orm::DatabaseConnection;
use teilhabe::{
    cli::{Cli, Command, ImportCommand, TerminalCommand, TokenCommand, UserCommand},
    config::Settings,
    domain::{DistrictKey, Email, Role, Slug},
    export::{self, ExportError, ExportFormat, ExportRequest, PeriodInput},
    search::indexer,
    services::{
        api_tokens, kiosk, proposal_import,
        users::{self, NewRoleGrant},
    },
    startup::{self, Application, StartupError},
    telemetry,
};

/// glibc's allocator took about a fifth of the CPU time of an uncached page (many small, short-lived
/// allocations in templates and rows); mimalloc serves them faster (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (v3). By default freed memory stays with each thread for
/// 10 ms, and with some forty threads (database connections, workers) that kept the resident set
/// 70 MB above glibc's under load; purged at once it matches glibc and keeps most of the speed.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Exit code for wrong settings or arguments, as clap uses for usage errors.
const USAGE_ERROR: u8 = 2;

fn fail(message: impl std::fmt::Display, code: u8) -> ExitCode {
    eprintln!("teilhabe: {message}");
    ExitCode::from(code)
}

fn startup_failure(e: StartupError) -> ExitCode {
    let code = if matches!(e, StartupError::Config(_)) {
        USAGE_ERROR
    } else {
        1
    };
    fail(e, code)
}

#[tokio::main]
async fn main() -> ExitCode {
    // SAFETY: sets a plain integer option; mimalloc reads it on its next purge.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    if !teilhabe::db::sqlite_memory::use_mimalloc() {
        eprintln!("teilhabe: SQLite keeps its own allocator (it was already in use)");
    }
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(e) => return fail(format_args!("configuration error: {e}"), USAGE_ERROR),
    };
    telemetry::init(settings.log_format);

    match run(cli.command.unwrap_or(Command::Serve), settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

/// The database, up to date; or the exit code that says why it cannot be used.
async fn open_database(settings: &Settings) -> Result<DatabaseConnection, ExitCode> {
    startup::prepare_database(settings)
        .await
        .map_err(startup_failure)
}

/// Runs the command; `Err` carries the exit code of a command that failed.
async fn run(command: Command, settings: Settings) -> Result<(), ExitCode> {
    match command {
        Command::Serve => {
            let app = Application::build(settings)
                .await
                .map_err(startup_failure)?;
            tracing::info!(port = app.port(), "Teilhabe is listening");
            app.run_until_stopped().await.map_err(|e| fail(e, 1))?;
        }
        Command::Migrate => {
            open_database(&settings).await?;
            println!("database is up to date");
        }
        Command::SeedDemo => {
            let db = open_database(&settings).await?;
            let summary = startup::seed_demo(&db, &settings, true)
                .await
                .map_err(startup_failure)?;
            println!("{summary}");
        }
        Command::SeedBulk {
            courses,
            dates,
            proposals,
        } => {
            let db = open_database(&settings).await?;
            let summary = teilhabe::seed::bulk_data::seed(&db, courses, dates, proposals, true)
                .await
                .map_err(|e| fail(e, 1))?;
            println!("{summary}");
        }
        Command::Import(ImportCommand::Proposals { file, skip_invalid }) => {
            let db = open_database(&settings).await?;
            let bar = progress_bar("import");
            let imported = proposal_import::import(&db, &file, skip_invalid, Some(&bar)).await;
            bar.finish_and_clear();
            let summary = imported.map_err(|e| fail(e, 1))?;
            for problem in &summary.skipped {
                eprintln!("skipped: {}, {problem}", file.display());
            }
            // Indexed at once when this process can open the index; otherwise the running portal's
            // worker picks the queued updates up within seconds.
            let indexed = match startup::open_search_index(&settings, None).await {
                Ok(index) => match indexer::drain(&db, &index).await {
                    Ok(n) => format!("{n} made searchable"),
                    Err(e) => format!("search index not updated yet ({e}); the portal will retry"),
                },
                Err(e) => format!("indexing left to the running portal ({e})"),
            };
            if !summary.already_imported.is_empty() {
                eprintln!(
                    "already imported, not stored again: {}, lines {}",
                    file.display(),
                    summary
                        .already_imported
                        .iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            let already = match summary.already_imported.len() {
                0 => String::new(),
                n => format!(", {n} already there"),
            };
            println!(
                "{}: {} proposals imported{already}, {} invalid rows skipped, {indexed}",
                file.display(),
                summary.imported,
                summary
                    .skipped
                    .iter()
                    .map(|p| p.line)
                    .collect::<std::collections::BTreeSet<_>>()
                    .len()
            );
        }
        Command::Reindex => {
            let db = open_database(&settings).await?;
            let index = startup::open_search_index(&settings, None)
                .await
                .map_err(startup_failure)?;
            let bar = progress_bar("reindex");
            let rebuilt = indexer::rebuild(&db, &index, Some(&bar)).await;
            bar.finish_and_clear();
            let n = rebuilt.map_err(|e| fail(e, 1))?;
            println!(
                "search index ({}) rebuilt: {n} proposals searchable",
                index.backend()
            );
        }
        Command::Export {
            from,
            to,
            since_last,
            format,
            bom,
            out,
        } => {
            run_export(
                &settings,
                PeriodInput {
                    from,
                    to,
                    since_last,
                },
                &format,
                bom,
                &out,
            )
            .await?;
        }
        Command::Token(TokenCommand::Add { email, name }) => {
            let db = open_database(&settings).await?;
            let email = Email::parse(&email).map_err(|_| {
                fail(
                    format_args!("--email: '{email}' is not a valid e-mail address"),
                    USAGE_ERROR,
                )
            })?;
            let created = api_tokens::create(&db, &email, &name)
                .await
                .map_err(|e| fail(e, 1))?;
            println!("API token {} for {email} ({name}):", created.id);
            println!("{}", created.token);
            println!(
                "shown once; send it as 'Authorization: Bearer <token>', revoke it with \
                 'teilhabe token revoke --id {}'",
                created.id
            );
        }
        Command::Token(TokenCommand::Revoke { id }) => {
            let db = open_database(&settings).await?;
            api_tokens::revoke(&db, id).await.map_err(|e| fail(e, 1))?;
            println!("API token {id} revoked");
        }
        Command::Terminal(TerminalCommand::Add { name, venue }) => {
            let db = open_database(&settings).await?;
            let registered = kiosk::register(&db, &name, &venue, None, chrono::Utc::now())
                .await
                .map_err(|e| match e {
                    kiosk::KioskError::Field { field, message } => {
                        let problem = match message {
                            "error-terminal-venue-unknown" => "there is no venue with this slug",
                            "error-terminal-name-too-long" => "at most 80 characters",
                            _ => "must not be empty",
                        };
                        fail(format!("--{field}: {problem}"), USAGE_ERROR)
                    }
                    e => fail(e, 1),
                })?;
            println!(
                "terminal {} registered (id {}); pairing code (shown once, valid until {}):",
                name.trim(),
                registered.terminal_id,
                registered.expires_at.format("%Y-%m-%d %H:%M UTC")
            );
            println!("{}", registered.code);
        }
        Command::User(UserCommand::Add {
            email,
            role,
            org,
            district,
        }) => {
            let grant = parse_grant(&email, &role, org.as_deref(), district.as_deref())
                .map_err(|message| fail(message, USAGE_ERROR))?;
            let db = open_database(&settings).await?;
            let (email, role) = (grant.email.clone(), grant.role);
            let added = users::add_user_with_role(&db, grant)
                .await
                .map_err(|e| fail(e, 1))?;
            println!(
                "user {email} (id {}) now has the role {role}",
                added.user_id
            );
            if let Some(password) = added.initial_password {
                println!(
                    "initial password (shown once, change it after the first login): {password}"
                );
            }
        }
    }
    Ok(())
}

fn export_failure(e: ExportError) -> ExitCode {
    fail(e.with_causes(), if e.is_usage() { USAGE_ERROR } else { 1 })
}

async fn run_export(
    settings: &Settings,
    period: PeriodInput,
    format: &str,
    bom: bool,
    out: &std::path::Path,
) -> Result<(), ExitCode> {
    let format = ExportFormat::parse(format).map_err(export_failure)?;
    if bom && format != ExportFormat::Csv {
        return Err(fail(
            "--bom: only CSV files have a byte order mark",
            USAGE_ERROR,
        ));
    }
    // Date syntax is checked before the database is opened, so a typo fails at once.
    for (field, raw) in [
        (export::Field::From, &period.from),
        (export::Field::To, &period.to),
    ] {
        if let Some(raw) = raw {
            export::parse_day(field, raw).map_err(export_failure)?;
        }
    }
    let db = open_database(settings).await?;
    let today = export::today_in_berlin(chrono::Utc::now());
    let since_last = period.since_last;
    // Two scheduled runs at once (cron on two hosts, a retry over a slow run) would both find the
    // same last run and export its following days twice: the second waits, then finds nothing new.
    let scheduled = if since_last {
        Some(
            teilhabe::db::InstanceLock::acquire(&db, export::SCHEDULED_RUN_LOCK)
                .await
                .map_err(|e| export_failure(e.into()))?,
        )
    } else {
        None
    };
    let period = period.resolve(&db, today).await.map_err(export_failure)?;
    let request = ExportRequest {
        period,
        format,
        bom,
        started_by: "cli".into(),
        scheduled: since_last,
    };
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg}: {human_pos} rows ({per_sec})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let result = export::run(&db, &request, out, Some(&bar)).await;
    bar.finish_and_clear();
    let summary = result.map_err(export_failure)?;
    if let Some(lock) = scheduled
        && let Err(error) = lock.release().await
    {
        // The run is recorded; only a run that started meanwhile could have overlapped it.
        tracing::warn!(%error, "the scheduled export's lock was gone at its end");
    }
    println!("{summary}");
    Ok(())
}

fn progress_bar(message: &'static str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(message);
    bar
}

fn parse_grant(
    email: &str,
    role: &str,
    org: Option<&str>,
    district: Option<&str>,
) -> Result<NewRoleGrant, String> {
    Ok(NewRoleGrant {
        email: Email::parse(email)
            .map_err(|_| format!("--email: '{email}' is not a valid e-mail address"))?,
        role: Role::parse(role).map_err(|_| {
            let all: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
            format!("--role: '{role}' is not one of {}", all.join(", "))
        })?,
        organisation: org
            .map(|o| {
                Slug::parse(o).map_err(|_| format!("--org: '{o}' is not an organisation slug"))
            })
            .transpose()?,
        district: district
            .map(|d| {
                DistrictKey::parse(d)
                    .map_err(|_| format!("--district: '{d}' is not a Kreisschlüssel such as 16051"))
            })
            .transpose()?,
    })
}
