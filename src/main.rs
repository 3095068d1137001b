use std::process::ExitCode;

use clap::Parser;
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

    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = match Application::build(settings).await {
                Ok(app) => app,
                Err(e) => return startup_failure(e),
            };
            tracing::info!(port = app.port(), "Teilhabe is listening");
            match app.run_until_stopped().await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(e, 1),
            }
        }
        Command::Migrate => match startup::prepare_database(&settings).await {
            Ok(_) => {
                println!("database is up to date");
                ExitCode::SUCCESS
            }
            Err(e) => startup_failure(e),
        },
        Command::SeedDemo => {
            let db = match startup::prepare_database(&settings).await {
                Ok(db) => db,
                Err(e) => return startup_failure(e),
            };
            match startup::seed_demo(&db, &settings.content_dir(), true).await {
                Ok(summary) => {
                    println!("{summary}");
                    ExitCode::SUCCESS
                }
                Err(e) => startup_failure(e),
            }
        }
        Command::SeedBulk {
            courses,
            dates,
            proposals,
        } => {
            let db = match startup::prepare_database(&settings).await {
                Ok(db) => db,
                Err(e) => return startup_failure(e),
            };
            match teilhabe::seed::bulk_data::seed(&db, courses, dates, proposals, true).await {
                Ok(summary) => {
                    println!("{summary}");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e, 1),
            }
        }
        Command::Import(ImportCommand::Proposals { file, skip_invalid }) => {
            let db = match startup::prepare_database(&settings).await {
                Ok(db) => db,
                Err(e) => return startup_failure(e),
            };
            let bar = progress_bar("import");
            let summary = match proposal_import::import(&db, &file, skip_invalid, Some(&bar)).await
            {
                Ok(summary) => summary,
                Err(e) => {
                    bar.finish_and_clear();
                    return fail(e, 1);
                }
            };
            bar.finish_and_clear();
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
            ExitCode::SUCCESS
        }
        Command::Reindex => {
            let db = match startup::prepare_database(&settings).await {
                Ok(db) => db,
                Err(e) => return startup_failure(e),
            };
            let index = match startup::open_search_index(&settings, None).await {
                Ok(index) => index,
                Err(e) => return startup_failure(e),
            };
            let bar = progress_bar("reindex");
            let result = indexer::rebuild(&db, &index, Some(&bar)).await;
            bar.finish_and_clear();
            match result {
                Ok(n) => {
                    println!(
                        "search index ({}) rebuilt: {n} proposals searchable",
                        index.backend()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e, 1),
            }
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
            .await
        }
        Command::Token(command) => {
            let db = match startup::prepare_database(&settings).await {
                Ok(db) => db,
                Err(e) => return startup_failure(e),
            };
            match command {
                TokenCommand::Add { email, name } => {
                    let email = match Email::parse(&email) {
                        Ok(email) => email,
                        Err(_) => {
                            return fail(
                                format_args!("--email: '{email}' is not a valid e-mail address"),
                                USAGE_ERROR,
                            );
                        }
                    };
                    match api_tokens::create(&db, &email, &name).await {
                        Ok(created) => {
                            println!("API token {} for {email} ({name}):", created.id);
                            println!("{}", created.token);
                            println!(
                                "shown once; send it as 'Authorization: Bearer <token>', revoke it with \
                                 'teilhabe token revoke --id {}'",
                                created.id
                            );
                            ExitCode::SUCCESS
                        }
                        Err(e) => fail(e, 1),
                    }
                }
                TokenCommand::Revoke { id } => match api_tokens::revoke(&db, id).await {
                    Ok(()) => {
                        println!("API token {id} revoked");
                        ExitCode::SUCCESS
                    }
                    Err(e) => fail(e, 1),
                },
            }
        }
        Command::Terminal(TerminalCommand::Add { name, venue }) => {
            let db = match startup::prepare_database(&settings).await {
                Ok(db) => db,
                Err(e) => return startup_failure(e),
            };
            match kiosk::register(&db, &name, &venue, None, chrono::Utc::now()).await {
                Ok(registered) => {
                    println!(
                        "terminal {} registered (id {}); pairing code (shown once, valid until {}):",
                        name.trim(),
                        registered.terminal_id,
                        registered.expires_at.format("%Y-%m-%d %H:%M UTC")
                    );
                    println!("{}", registered.code);
                    ExitCode::SUCCESS
                }
                Err(kiosk::KioskError::Field { field, message }) => {
                    let problem = match message {
                        "error-terminal-venue-unknown" => "there is no venue with this slug",
                        "error-terminal-name-too-long" => "at most 80 characters",
                        _ => "must not be empty",
                    };
                    fail(format!("--{field}: {problem}"), USAGE_ERROR)
                }
                Err(e) => fail(e, 1),
            }
        }
        Command::User(UserCommand::Add {
            email,
            role,
            org,
            district,
        }) => {
            let grant = match parse_grant(&email, &role, org.as_deref(), district.as_deref()) {
                Ok(grant) => grant,
                Err(message) => return fail(message, USAGE_ERROR),
            };
            let db = match startup::prepare_database(&settings).await {
                Ok(db) => db,
                Err(e) => return startup_failure(e),
            };
            let (email, role) = (grant.email.clone(), grant.role);
            match users::add_user_with_role(&db, grant).await {
                Ok(added) => {
                    println!(
                        "user {email} (id {}) now has the role {role}",
                        added.user_id
                    );
                    if let Some(password) = added.initial_password {
                        println!(
                            "initial password (shown once, change it after the first login): {password}"
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e, 1),
            }
        }
    }
}

fn export_failure(e: &ExportError) -> ExitCode {
    fail(e.with_causes(), if e.is_usage() { USAGE_ERROR } else { 1 })
}

async fn run_export(
    settings: &Settings,
    period: PeriodInput,
    format: &str,
    bom: bool,
    out: &std::path::Path,
) -> ExitCode {
    let format = match ExportFormat::parse(format) {
        Ok(format) => format,
        Err(e) => return export_failure(&e),
    };
    if bom && format != ExportFormat::Csv {
        return fail("--bom: only CSV files have a byte order mark", USAGE_ERROR);
    }
    // Date syntax is checked before the database is opened, so a typo fails at once.
    for (field, raw) in [
        (export::Field::From, &period.from),
        (export::Field::To, &period.to),
    ] {
        if let Some(raw) = raw
            && let Err(e) = export::parse_day(field, raw)
        {
            return export_failure(&e);
        }
    }
    let db = match startup::prepare_database(settings).await {
        Ok(db) => db,
        Err(e) => return startup_failure(e),
    };
    let today = export::today_in_berlin(chrono::Utc::now());
    let since_last = period.since_last;
    let period = match period.resolve(&db, today).await {
        Ok(period) => period,
        Err(e) => return export_failure(&e),
    };
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
    match result {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => export_failure(&e),
    }
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
