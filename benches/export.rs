//! Export benchmark: a temporary SQLite database with the demo data and 1,000,000 feedback forms,
//! exported to CSV, JSON and XLSX by the release binary in a child process. Prints a Markdown table
//! with wall time and the child's peak resident memory (from `wait4`).
//!
//!     CARGO_TARGET_DIR=target cargo bench --bench export
//!
//! Target: CSV in under 10 s and under 100 MB.
use std::{
    io::Read,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Instant,
};

use sea_orm::{ConnectionTrait, Database, TransactionTrait};

const FEEDBACK_ROWS: usize = 1_000_000;
const ROWS_PER_INSERT: usize = 500;
const ROWS_PER_TRANSACTION: usize = 100_000;

fn binary() -> PathBuf {
    if let Some(path) = option_env!("CARGO_BIN_EXE_teilhabe") {
        return PathBuf::from(path);
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/target").to_owned());
    Path::new(&target).join("release/teilhabe")
}

fn teilhabe(bin: &Path, data: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.env("TEILHABE_DATA_DIR", data)
        .env("TEILHABE_DEMO", "false")
        .env("RUST_LOG", "warn")
        .env_remove("DATABASE_URL")
        .current_dir(data);
    cmd
}

/// Multi-row inserts in large transactions: the fastest way to SQLite through sea-orm.
async fn fill_feedback(data: &Path) -> Result<(), sea_orm::DbErr> {
    let url = format!("sqlite://{}?mode=rwc", data.join("teilhabe.db").display());
    let db = Database::connect(url).await?;
    db.execute_unprepared("PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF")
        .await?;
    let dates: Vec<i64> = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM offer_dates ORDER BY id",
        ))
        .await?
        .iter()
        .filter_map(|row| row.try_get::<i32>("", "id").ok().map(i64::from))
        .collect();
    assert!(!dates.is_empty(), "seed-demo created no dates");
    let channels = ["online", "qr", "kiosk", "paper"];
    let mut row = 0usize;
    while row < FEEDBACK_ROWS {
        let txn = db.begin().await?;
        let end = (row + ROWS_PER_TRANSACTION).min(FEEDBACK_ROWS);
        while row < end {
            let mut sql = String::with_capacity(ROWS_PER_INSERT * 200);
            sql.push_str(
                "INSERT INTO feedback (date_id, channel, rating, helped, missing, topics_wanted, \
                 free_text, before_information, before_communication, before_content, before_safety, \
                 before_problem_solving, after_information, after_communication, after_content, \
                 after_safety, after_problem_solving, submitted_on) VALUES ",
            );
            let stop = (row + ROWS_PER_INSERT).min(end);
            for n in row..stop {
                if n > row {
                    sql.push(',');
                }
                let free_text = if n % 10 == 0 {
                    "'Danke! Erreichbar unter 0361 1234567 oder name@example.org'"
                } else {
                    "NULL"
                };
                let day = 1 + n % 28;
                let month = 1 + (n / 28) % 10;
                sql.push_str(&format!(
                    "({},'{}',{},'Die Geduld und die Beispiele','Mehr Zeit für Fragen','videotelefonie',{free_text},{},{},NULL,2,NULL,{},{},NULL,4,NULL,'2026-{month:02}-{day:02}')",
                    dates[n % dates.len()],
                    channels[n % channels.len()],
                    1 + n % 5,
                    1 + n % 3,
                    1 + n % 4,
                    3 + n % 3,
                    2 + n % 4,
                ));
            }
            txn.execute_unprepared(&sql).await?;
            row = stop;
        }
        txn.commit().await?;
    }
    Ok(())
}

struct Measured {
    seconds: f64,
    peak_rss_mb: f64,
    stdout: String,
}

/// Runs the child and reads its peak RSS from the kernel's accounting of exactly that process.
// The child is reaped by `wait4`, which clippy does not know about.
#[allow(clippy::zombie_processes)]
fn measure(mut cmd: Command) -> Measured {
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start teilhabe");
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_string(&mut stdout);
    }
    let mut status = 0;
    // SAFETY: `rusage` is plain data; wait4 fills it for our own child, which is not waited for elsewhere.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let seconds = started.elapsed().as_secs_f64();
    assert!(waited > 0, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "teilhabe failed: {stdout}"
    );
    Measured {
        seconds,
        // Linux reports ru_maxrss in kilobytes.
        peak_rss_mb: usage.ru_maxrss as f64 / 1024.0,
        stdout,
    }
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn main() {
    let bin = binary();
    if !bin.is_file() {
        eprintln!(
            "{} not found; build it first: cargo build --release --bin teilhabe",
            bin.display()
        );
        std::process::exit(1);
    }
    let data = tempfile::tempdir().expect("temp dir");
    let seeded = teilhabe(&bin, data.path())
        .arg("seed-demo")
        .output()
        .expect("seed-demo");
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let started = Instant::now();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(fill_feedback(data.path()))
        .expect("insert feedback");
    eprintln!(
        "inserted {FEEDBACK_ROWS} feedback rows in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    println!("| format | feedback rows | wall time | peak memory (RSS) | output size |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for format in ["csv", "json", "xlsx"] {
        let out = tempfile::tempdir().expect("out dir");
        let mut cmd = teilhabe(&bin, data.path());
        cmd.args([
            "export",
            "--from",
            "2026-01-01",
            "--to",
            "2026-10-31",
            "--format",
            format,
            "--out",
        ])
        .arg(out.path());
        let m = measure(cmd);
        assert!(m.stdout.contains("rows"), "{}", m.stdout);
        println!(
            "| {format} | {FEEDBACK_ROWS} | {:.1} s | {:.0} MB | {:.0} MB |",
            m.seconds,
            m.peak_rss_mb,
            dir_size(out.path()) as f64 / 1_048_576.0
        );
    }
}
