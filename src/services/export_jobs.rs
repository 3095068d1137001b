//! Exports asked for in the back office run as jobs, not on the request's worker: the request
//! queues one, any instance's worker claims it (a conditional update, so only one runs it), its
//! progress is written to the job as it goes, and the finished ZIP is stored with the job so every
//! instance can hand it out. A job whose instance died is taken up again.
use std::{path::Path, time::Duration};

use chrono::{DateTime, NaiveDate, Utc};
use indicatif::ProgressBar;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait},
};
use serde::Serialize;

use super::audit;
use crate::{
    db::entities::{export_job, export_job_zip, export_run},
    domain::export_job::ExportJobStatus,
    export::{self, ExportFormat, ExportPeriod, ExportRequest, datasets::DATASETS},
};

/// A running job that has not reported for this long belongs to an instance that stopped.
const STALE_AFTER: chrono::Duration = chrono::Duration::minutes(2);
/// Runs a job gets; one that none of them finished is given up.
const MAX_ATTEMPTS: i32 = 3;
/// A run that failed (a database fault during the export's queries, a full disk) is tried again
/// this long after, while attempts are left: at once, a passing fault would use them all up.
const RETRY_AFTER: chrono::Duration = chrono::Duration::minutes(1);
/// How often a running job writes its progress (and so shows it is alive).
const HEARTBEAT: Duration = Duration::from_secs(1);
/// The data files plus `dataset.jsonld` and `manifest.json`.
const FILES_TOTAL: i32 = DATASETS.len() as i32 + 2;

/// Queues an export of `period` in `format`; returns the job's id.
pub async fn enqueue(
    db: &DatabaseConnection,
    requested_by: i32,
    period: ExportPeriod,
    format: ExportFormat,
    bom: bool,
) -> Result<i32, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let now = Utc::now();
    let job = export_job::ActiveModel {
        requested_by: Set(requested_by),
        period_from: Set(period.from()),
        period_to: Set(period.to()),
        format: Set(format.as_str().to_owned()),
        bom: Set(bom && format == ExportFormat::Csv),
        status: Set(ExportJobStatus::Queued),
        files_done: Set(0),
        files_total: Set(FILES_TOTAL),
        rows_done: Set(0),
        manifest: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        attempts: Set(0),
        finished_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Some(requested_by),
        "export.requested",
        &format!("export_job:{}", job.id),
        &format!("{period} {}", format.as_str()),
    )
    .await?;
    txn.commit().await?;
    Ok(job.id)
}

/// Claims the oldest waiting (or abandoned) job, if any; `None` when there is nothing to do or
/// another instance was quicker. An abandoned job that has had its runs is given up instead. The job
/// comes as claimed: its `attempts` is this run's number, which no other run has, so the run can
/// tell whether the job is still its own ([`still_mine`]).
async fn claim(db: &DatabaseConnection) -> Result<Option<export_job::Model>, DbErr> {
    loop {
        let now = Utc::now();
        let Some(job) = due(db, now).await? else {
            return Ok(None);
        };
        if job.attempts >= MAX_ATTEMPTS {
            give_up(db, &job, now).await?;
            continue;
        }
        let claimed = export_job::Entity::update_many()
            .col_expr(
                export_job::Column::Status,
                Expr::value(ExportJobStatus::Running),
            )
            .col_expr(export_job::Column::UpdatedAt, Expr::value(now))
            .col_expr(export_job::Column::FilesDone, Expr::value(0))
            .col_expr(export_job::Column::RowsDone, Expr::value(0i64))
            .col_expr(
                export_job::Column::Attempts,
                Expr::col(export_job::Column::Attempts).add(1),
            )
            .filter(unchanged_since_read(&job))
            .exec(db)
            .await?;
        return Ok((claimed.rows_affected == 1).then(|| export_job::Model {
            status: ExportJobStatus::Running,
            updated_at: now,
            attempts: job.attempts + 1,
            ..job
        }));
    }
}

/// The job as this run claimed it: running, and not claimed again since (by another instance that
/// took it for abandoned while this one was slow to report).
fn still_mine(job: &export_job::Model) -> Condition {
    Condition::all()
        .add(export_job::Column::Id.eq(job.id))
        .add(export_job::Column::Status.eq(ExportJobStatus::Running))
        .add(export_job::Column::Attempts.eq(job.attempts))
}

/// The job as `job` read it: an update with this condition changes one row only if no other
/// instance claimed or gave up the job in the meantime.
fn unchanged_since_read(job: &export_job::Model) -> Condition {
    Condition::all()
        .add(export_job::Column::Id.eq(job.id))
        .add(export_job::Column::Status.eq(job.status))
        .add(export_job::Column::UpdatedAt.eq(job.updated_at))
}

/// Marks a job failed whose runs all ended without a result (the process died each time, or the
/// result could not be stored), so it is not started again for ever and its page says so.
async fn give_up(
    db: &DatabaseConnection,
    job: &export_job::Model,
    now: chrono::DateTime<Utc>,
) -> Result<(), DbErr> {
    let given_up = export_job::Entity::update_many()
        .col_expr(
            export_job::Column::Status,
            Expr::value(ExportJobStatus::Failed),
        )
        .col_expr(export_job::Column::UpdatedAt, Expr::value(now))
        .col_expr(export_job::Column::FinishedAt, Expr::value(now))
        .filter(unchanged_since_read(job))
        .exec(db)
        .await?;
    if given_up.rows_affected == 1 {
        tracing::error!(
            job = job.id,
            attempts = job.attempts,
            "export job given up: none of its runs ended with a result"
        );
    }
    Ok(())
}

/// The oldest job waiting (a failed run's job after its pause), or running on an instance that
/// stopped sending its heartbeat.
async fn due(
    db: &DatabaseConnection,
    now: chrono::DateTime<Utc>,
) -> Result<Option<export_job::Model>, DbErr> {
    export_job::Entity::find()
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(export_job::Column::Status.eq(ExportJobStatus::Queued))
                        .add(
                            Condition::any()
                                .add(export_job::Column::Attempts.eq(0))
                                .add(export_job::Column::UpdatedAt.lt(now - RETRY_AFTER)),
                        ),
                )
                .add(
                    Condition::all()
                        .add(export_job::Column::Status.eq(ExportJobStatus::Running))
                        .add(export_job::Column::UpdatedAt.lt(now - STALE_AFTER)),
                ),
        )
        .order_by_asc(export_job::Column::Id)
        .one(db)
        .await
}

/// Runs waiting jobs until none is left; returns how many this call ran. The worker calls it, and
/// tests call it directly instead of waiting.
pub async fn run_queued(db: &DatabaseConnection, work_dir: &Path) -> Result<usize, DbErr> {
    let mut ran = 0;
    while let Some(job) = claim(db).await? {
        run_claimed(db, &job, work_dir).await?;
        ran += 1;
    }
    Ok(ran)
}

/// Runs a job as this instance claimed it (`job.attempts` is the claim's number). Should another
/// instance claim it again meanwhile, the run stops as soon as its heartbeat finds out, and in any
/// case stores nothing: the result, the job's end and the export's record are written in one
/// transaction, and only while the claim holds. Public for tests that play a slow instance.
pub async fn run_claimed(
    db: &DatabaseConnection,
    job: &export_job::Model,
    work_dir: &Path,
) -> Result<(), DbErr> {
    let bar = ProgressBar::hidden();
    let (lost_tx, lost_rx) = tokio::sync::oneshot::channel();
    let heartbeat = tokio::spawn(report_progress(
        db.clone(),
        job.clone(),
        bar.clone(),
        lost_tx,
    ));
    let outcome = tokio::select! {
        outcome = produce(db, job, work_dir, &bar) => outcome,
        Ok(()) = lost_rx => {
            tracing::warn!(job = job.id, attempt = job.attempts, "export job taken over by another run; this one stops");
            return Ok(());
        }
    };
    heartbeat.abort();
    let txn = crate::db::begin_write(db).await?;
    let now = Utc::now();
    let mut update = export_job::Entity::update_many()
        .col_expr(export_job::Column::UpdatedAt, Expr::value(now))
        .filter(still_mine(job));
    let retry = outcome.is_err() && job.attempts < MAX_ATTEMPTS;
    match &outcome {
        Ok((_, manifest, rows, _)) => {
            update = update
                .col_expr(
                    export_job::Column::Status,
                    Expr::value(ExportJobStatus::Done),
                )
                .col_expr(export_job::Column::FilesDone, Expr::value(FILES_TOTAL))
                .col_expr(export_job::Column::RowsDone, Expr::value(*rows as i64))
                .col_expr(
                    export_job::Column::Manifest,
                    Expr::value(Some(manifest.clone())),
                )
                .col_expr(export_job::Column::FinishedAt, Expr::value(now));
        }
        Err(_) if retry => {
            update = update
                .col_expr(
                    export_job::Column::Status,
                    Expr::value(ExportJobStatus::Queued),
                )
                .col_expr(export_job::Column::FilesDone, Expr::value(0))
                .col_expr(export_job::Column::RowsDone, Expr::value(0i64));
        }
        Err(_) => {
            update = update
                .col_expr(
                    export_job::Column::Status,
                    Expr::value(ExportJobStatus::Failed),
                )
                .col_expr(export_job::Column::FinishedAt, Expr::value(now));
        }
    }
    if update.exec(&txn).await?.rows_affected != 1 {
        txn.rollback().await?;
        tracing::warn!(
            job = job.id,
            attempt = job.attempts,
            "export job taken over by another run; this one's result is dropped"
        );
        return Ok(());
    }
    match outcome {
        Ok((zip, _, rows, request)) => {
            export_job_zip::ActiveModel {
                job_id: Set(job.id),
                bytes: Set(zip),
            }
            .insert(&txn)
            .await?;
            export::record_run(&txn, &request).await?;
            tracing::info!(job = job.id, rows, "export job done");
        }
        Err(e) if retry => {
            tracing::warn!(job = job.id, attempt = job.attempts, error = %e, "export job run failed; tried again in a minute");
        }
        Err(e) => {
            tracing::error!(job = job.id, error = %e, "export job failed");
        }
    }
    txn.commit().await
}

/// The export as a ZIP, its manifest, the number of data rows and the request to record.
async fn produce(
    db: &DatabaseConnection,
    job: &export_job::Model,
    work_dir: &Path,
    bar: &ProgressBar,
) -> Result<(Vec<u8>, String, u64, ExportRequest), String> {
    let period = ExportPeriod::new(job.period_from, job.period_to).map_err(|e| e.to_string())?;
    let format = ExportFormat::parse(&job.format).map_err(|e| e.to_string())?;
    let request = ExportRequest {
        period,
        format,
        bom: job.bom,
        started_by: format!("web:{}", job.requested_by),
        // Like downloads: recorded, but the scheduled export's mark stays where it is.
        scheduled: false,
    };
    std::fs::create_dir_all(work_dir).map_err(|e| e.to_string())?;
    let dir = tempfile::Builder::new()
        .prefix(&format!("{WORK_FOLDER_PREFIX}{}-", job.id))
        .tempdir_in(work_dir)
        .map_err(|e| e.to_string())?;
    let summary = export::run_unrecorded(db, &request, dir.path(), Some(bar))
        .await
        .map_err(|e| e.with_causes())?;
    let rows = summary.rows();
    let (zip, manifest) = tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let manifest = std::fs::read_to_string(dir.path().join(export::manifest::MANIFEST_FILE))?;
        let mut zip = Vec::new();
        export::zip_archive(dir.path(), &summary.files)?.read_to_end(&mut zip)?;
        Ok::<_, std::io::Error>((zip, manifest))
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())?;
    Ok((zip, manifest, rows, request))
}

/// Writes how far the export is (the file being written, rows so far) every second, while the job
/// is this run's; tells `lost` and ends once it is not.
async fn report_progress(
    db: DatabaseConnection,
    job: export_job::Model,
    bar: ProgressBar,
    lost: tokio::sync::oneshot::Sender<()>,
) {
    let mut tick = tokio::time::interval(HEARTBEAT);
    loop {
        tick.tick().await;
        let message = bar.message();
        let files_done = DATASETS
            .iter()
            .position(|d| message.starts_with(d.name))
            .unwrap_or(0) as i32;
        let written = export_job::Entity::update_many()
            .col_expr(export_job::Column::FilesDone, Expr::value(files_done))
            .col_expr(
                export_job::Column::RowsDone,
                Expr::value(bar.position() as i64),
            )
            .col_expr(export_job::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(still_mine(&job))
            .exec(&db)
            .await;
        match written {
            Ok(r) if r.rows_affected == 0 => {
                let _ = lost.send(());
                return;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(job = job.id, error = %e, "export progress could not be written")
            }
        }
    }
}

/// The newest jobs, for the back office's list.
pub async fn recent(db: &DatabaseConnection, limit: u64) -> Result<Vec<export_job::Model>, DbErr> {
    export_job::Entity::find()
        .order_by_desc(export_job::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// A recorded export run, as the back office lists it.
#[derive(Serialize)]
pub struct RunSummary {
    pub finished_at: DateTime<Utc>,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub format: String,
    /// Message id naming how the run was started.
    pub started_through: &'static str,
}

fn started_through(run: &export_run::Model) -> &'static str {
    match run.started_by.split(':').next() {
        _ if run.scheduled => "export-by-schedule",
        Some("web") => "export-by-web",
        Some("api") => "export-by-api",
        _ => "export-by-cli",
    }
}

/// The newest recorded runs of every kind (command line, API, back office).
pub async fn recent_runs(db: &DatabaseConnection, limit: u64) -> Result<Vec<RunSummary>, DbErr> {
    Ok(export_run::Entity::find()
        .order_by_desc(export_run::Column::FinishedAt)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|r| RunSummary {
            started_through: started_through(&r),
            finished_at: r.finished_at,
            period_from: r.period_from,
            period_to: r.period_to,
            format: r.format,
        })
        .collect())
}

pub async fn find(db: &DatabaseConnection, id: i32) -> Result<Option<export_job::Model>, DbErr> {
    export_job::Entity::find_by_id(id).one(db).await
}

/// The finished ZIP; the download is written to the audit log.
pub async fn download(
    db: &DatabaseConnection,
    id: i32,
    by: i32,
) -> Result<Option<(export_job::Model, Vec<u8>)>, DbErr> {
    let Some(job) = find(db, id).await? else {
        return Ok(None);
    };
    let Some(zip) = export_job_zip::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    audit::record(
        db,
        Some(by),
        "export.downloaded",
        &format!("export_job:{id}"),
        &job.format,
    )
    .await?;
    Ok(Some((job, zip.bytes)))
}

/// Removes the ZIPs of jobs finished longer ago than `age`; the jobs stay listed.
pub async fn delete_zips_older_than(
    db: &DatabaseConnection,
    age: chrono::Duration,
) -> Result<u64, DbErr> {
    let old: Vec<i32> = export_job::Entity::find()
        .select_only()
        .column(export_job::Column::Id)
        .filter(export_job::Column::FinishedAt.lt(Utc::now() - age))
        .into_tuple()
        .all(db)
        .await?;
    if old.is_empty() {
        return Ok(0);
    }
    Ok(export_job_zip::Entity::delete_many()
        .filter(export_job_zip::Column::JobId.is_in(old))
        .exec(db)
        .await?
        .rows_affected)
}

/// Runs queued jobs every few seconds until the process ends, and once an hour (and at the start)
/// removes the working folders that runs which died left behind.
/// A job cut short by a stopping server is taken up again by another instance (or this one after a
/// restart) once its heartbeat is stale.
pub fn spawn_worker(
    db: DatabaseConnection,
    work_dir: std::path::PathBuf,
    every: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut swept: Option<std::time::Instant> = None;
        let mut tick = crate::background::every(every, Duration::ZERO);
        while crate::background::next_run(&mut tick, &mut stop).await {
            if swept.is_none_or(|at| at.elapsed() >= SWEEP_EVERY) {
                swept = Some(std::time::Instant::now());
                match sweep_leftovers(&db, &work_dir).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(
                        folders = n,
                        "removed what export runs that died left behind"
                    ),
                    Err(e) => {
                        tracing::warn!(error = %e, "leftover export folders could not be swept")
                    }
                }
            }
            if let Err(e) = run_queued(&db, &work_dir).await {
                tracing::warn!(error = %e, "export jobs could not be run");
            }
        }
    })
}

/// How a run's working folder in the work directory is named, followed by the job's id and `-`;
/// `remove_leftovers` finds them by it.
const WORK_FOLDER_PREFIX: &str = ".export-job-";
/// How often the worker looks for working folders left behind.
const SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// Removes the working folders that runs left behind when their process died: the export's files
/// before they were packed (anonymised data, but nothing to keep), once nothing was written in them
/// for an hour ([`export::ABANDONED_AFTER`]) and their job is not running. Returns how many it
/// removed.
pub async fn sweep_leftovers(db: &DatabaseConnection, work_dir: &Path) -> Result<usize, DbErr> {
    let running: std::collections::HashSet<i32> = export_job::Entity::find()
        .select_only()
        .column(export_job::Column::Id)
        .filter(export_job::Column::Status.eq(ExportJobStatus::Running))
        .into_tuple::<i32>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let work_dir = work_dir.to_owned();
    tokio::task::spawn_blocking(move || {
        export::remove_abandoned(&work_dir, WORK_FOLDER_PREFIX, |name| {
            job_of_folder(name).is_some_and(|id| running.contains(&id))
        })
    })
    .await
    .map_err(|e| DbErr::Custom(e.to_string()))
}

/// The job a working folder `.export-job-<id>-…` belongs to.
fn job_of_folder(name: &str) -> Option<i32> {
    name.strip_prefix(WORK_FOLDER_PREFIX)?
        .split_once('-')?
        .0
        .parse()
        .ok()
}

/// [`sweep_leftovers`] without asking which jobs run: for a work directory no job uses.
pub fn remove_leftovers(work_dir: &Path) -> usize {
    export::remove_abandoned(work_dir, WORK_FOLDER_PREFIX, |_| false)
}
