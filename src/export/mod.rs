//! The export to the state ministry (TMDI): anonymised files for a period, a manifest with
//! checksums and DCAT-AP.de metadata. Used by `teilhabe export` and `GET /api/v1/export`.
//!
//! Files are written into a hidden temporary directory inside the output directory and renamed into
//! place only when every file is complete, so a failed export leaves nothing behind.
pub mod datasets;
pub mod manifest;
pub mod scrub;
pub mod spreadsheet;
pub mod suppression;
pub mod writers;

use std::{
    fmt,
    io::{Seek, SeekFrom, Write},
    path::{Path, PathBuf},
};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use indicatif::ProgressBar;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use crate::db::entities::export_run;
use datasets::{DATASETS, FillError, Lookups};

/// Version of the file layout described in `content/reference/export-schema.md`.
pub const SCHEMA_VERSION: &str = "1.4";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
    Xlsx,
}

impl ExportFormat {
    pub const ALL: [Self; 3] = [Self::Csv, Self::Json, Self::Xlsx];

    pub fn parse(raw: &str) -> Result<Self, ExportError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(Self::Csv),
            "json" => Ok(Self::Json),
            "xlsx" => Ok(Self::Xlsx),
            _ => Err(ExportError::UnknownFormat(raw.to_owned())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
            Self::Xlsx => "xlsx",
        }
    }

    pub fn extension(self) -> &'static str {
        self.as_str()
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv",
            Self::Json => "application/json",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The input that named a wrong value: the CLI option or the API parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    From,
    To,
    Format,
}

impl Field {
    pub fn parameter(self) -> &'static str {
        match self {
            Self::From => "from",
            Self::To => "to",
            Self::Format => "format",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "--{}", self.parameter())
    }
}

/// Everything that can stop an export. The `Display` text is the one line a person reads; the
/// underlying cause, where there is one, is the `source`.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{field}: '{value}' is not a date; expected the format 2026-03-31")]
    InvalidDate { field: Field, value: String },
    #[error("{0} is missing; expected a date in the format 2026-03-31")]
    MissingDate(Field),
    #[error("--from ({from}) is after --to ({to})")]
    ReversedPeriod { from: NaiveDate, to: NaiveDate },
    #[error("--to: {to} is not over yet; the last day this export can cover is {last}")]
    NotOver { to: NaiveDate, last: NaiveDate },
    #[error("--format: '{0}' is not one of csv, json, xlsx")]
    UnknownFormat(String),
    #[error(
        "--since-last: no earlier export is recorded; give --from (format 2026-03-31) for the first one"
    )]
    NoEarlierExport,
    #[error(
        "--since-last: the last export already covers the days up to {covered}; nothing is new before {to}"
    )]
    NothingNew { covered: NaiveDate, to: NaiveDate },
    #[error("output directory {}: {reason}", path.display())]
    OutputDirectory {
        path: PathBuf,
        reason: &'static str,
        #[source]
        source: Option<std::io::Error>,
    },
    #[error("writing {file} failed")]
    Write {
        file: String,
        #[source]
        source: writers::WriteError,
    },
    #[error("moving the finished files into {} failed", path.display())]
    Publish {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("reading from the database failed")]
    Database(#[from] DbErr),
}

impl ExportError {
    /// Wrong input (exit code 2, HTTP 422) as opposed to a failure while running (exit code 1, 500).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Self::InvalidDate { .. }
                | Self::MissingDate(_)
                | Self::ReversedPeriod { .. }
                | Self::NotOver { .. }
                | Self::UnknownFormat(_)
                | Self::NoEarlierExport
                | Self::NothingNew { .. }
        )
    }

    /// The input a usage error is about, for the API's `fields`.
    pub fn field(&self) -> Option<Field> {
        match self {
            Self::InvalidDate { field, .. } | Self::MissingDate(field) => Some(*field),
            Self::ReversedPeriod { .. } | Self::NotOver { .. } | Self::NothingNew { .. } => {
                Some(Field::To)
            }
            Self::UnknownFormat(_) => Some(Field::Format),
            Self::NoEarlierExport => Some(Field::From),
            _ => None,
        }
    }

    /// The message followed by its causes, for the command line and the log.
    pub fn with_causes(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }
}

/// Calendar days `from..=to` in Europe/Berlin; cannot hold `from > to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExportPeriod {
    from: NaiveDate,
    to: NaiveDate,
}

impl ExportPeriod {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, ExportError> {
        if from > to {
            return Err(ExportError::ReversedPeriod { from, to });
        }
        Ok(Self { from, to })
    }

    pub fn from(&self) -> NaiveDate {
        self.from
    }

    pub fn to(&self) -> NaiveDate {
        self.to
    }

    /// Refuses a period that ends after `last`: days that have not happened cannot be exported, and
    /// a scheduled export that covered them would skip what happens on them later.
    pub fn ending_by(self, last: NaiveDate) -> Result<Self, ExportError> {
        if self.to > last {
            return Err(ExportError::NotOver { to: self.to, last });
        }
        Ok(self)
    }

    /// `[start, end)` in UTC: midnight in Berlin at the start of `from` and after `to`.
    pub fn utc_bounds(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            berlin_midnight(self.from),
            berlin_midnight(self.to + Duration::days(1)),
        )
    }
}

impl fmt::Display for ExportPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.from, self.to)
    }
}

fn berlin_midnight(day: NaiveDate) -> DateTime<Utc> {
    let naive = day.and_time(chrono::NaiveTime::MIN);
    // Berlin changes clocks at 02:00/03:00, so midnight always exists; the fallback is for safety.
    Berlin
        .from_local_datetime(&naive)
        .earliest()
        .map_or_else(|| Utc.from_utc_datetime(&naive), |t| t.with_timezone(&Utc))
}

/// Today's date in Berlin, where the programme runs.
pub fn today_in_berlin(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&Berlin).date_naive()
}

pub fn parse_day(field: Field, raw: &str) -> Result<NaiveDate, ExportError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| ExportError::InvalidDate {
        field,
        value: raw.to_owned(),
    })
}

/// The period as given: `--from`, `--to`, `--since-last`, unparsed.
#[derive(Clone, Debug, Default)]
pub struct PeriodInput {
    pub from: Option<String>,
    pub to: Option<String>,
    pub since_last: bool,
}

impl PeriodInput {
    /// With `--since-last` the period starts the day after the last scheduled export (or at `--from`
    /// for the very first one) and ends at `--to` or yesterday; only whole days are exported then.
    /// Without it, the period may end today at the latest.
    pub async fn resolve(
        &self,
        db: &DatabaseConnection,
        today: NaiveDate,
    ) -> Result<ExportPeriod, ExportError> {
        let from = self
            .from
            .as_deref()
            .map(|raw| parse_day(Field::From, raw))
            .transpose()?;
        let to = self
            .to
            .as_deref()
            .map(|raw| parse_day(Field::To, raw))
            .transpose()?;
        if !self.since_last {
            let from = from.ok_or(ExportError::MissingDate(Field::From))?;
            let to = to.ok_or(ExportError::MissingDate(Field::To))?;
            return ExportPeriod::new(from, to)?.ending_by(today);
        }
        let yesterday = today - Duration::days(1);
        let to = to.unwrap_or(yesterday);
        if to > yesterday {
            return Err(ExportError::NotOver {
                to,
                last: yesterday,
            });
        }
        let last = export_run::Entity::find()
            .filter(export_run::Column::Scheduled.eq(true))
            .order_by_desc(export_run::Column::PeriodTo)
            .one(db)
            .await?;
        match (last, from) {
            (Some(run), _) => {
                let from = run.period_to + Duration::days(1);
                if from > to {
                    return Err(ExportError::NothingNew {
                        covered: run.period_to,
                        to,
                    });
                }
                ExportPeriod::new(from, to)
            }
            (None, Some(from)) => ExportPeriod::new(from, to),
            (None, None) => Err(ExportError::NoEarlierExport),
        }
    }
}

#[derive(Clone, Debug)]
pub struct ExportRequest {
    pub period: ExportPeriod,
    pub format: ExportFormat,
    /// CSV only: start each file with a UTF-8 byte order mark for Excel.
    pub bom: bool,
    /// `cli` or `api:<user id>`, recorded in `export_runs`.
    pub started_by: String,
    /// `teilhabe export --since-last`: the run moves the mark the next scheduled one starts from.
    pub scheduled: bool,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct FileSummary {
    pub name: String,
    /// Data rows, without the header; `None` for the metadata file.
    pub rows: Option<u64>,
    pub bytes: u64,
    pub sha256: String,
    pub aggregated: bool,
}

#[derive(Clone, Debug)]
pub struct ExportSummary {
    pub period: ExportPeriod,
    pub format: ExportFormat,
    pub directory: PathBuf,
    /// Every file written, `manifest.json` last.
    pub files: Vec<FileSummary>,
}

impl ExportSummary {
    pub fn rows(&self) -> u64 {
        self.files.iter().filter_map(|f| f.rows).sum()
    }
}

impl fmt::Display for ExportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "export {} ({}): {} files, {} rows written to {}",
            self.period,
            self.format,
            self.files.len(),
            self.rows(),
            self.directory.display()
        )
    }
}

fn output_dir_error(
    path: &Path,
    reason: &'static str,
    source: Option<std::io::Error>,
) -> ExportError {
    ExportError::OutputDirectory {
        path: path.to_owned(),
        reason,
        source,
    }
}

/// Held by a scheduled run (`--since-last`) from finding its period to recording it, so that two at
/// once do not export the same days.
pub const SCHEDULED_RUN_LOCK: i64 = 7_361_202_614;

/// Writes every file of the export into `out_dir` and records the run. Files of an earlier export in
/// `out_dir` are replaced only once the run is recorded: if that fails, they are put back.
pub async fn run(
    db: &DatabaseConnection,
    request: &ExportRequest,
    out_dir: &Path,
    progress: Option<&ProgressBar>,
) -> Result<ExportSummary, ExportError> {
    let (summary, published) = write(db, request, out_dir, progress).await?;
    if let Err(e) = record_run(db, request).await {
        // Without the record a scheduled run would export the period again; better the files of
        // the export before, which is recorded.
        published.undo();
        return Err(e.into());
    }
    Ok(summary)
}

/// Writes every file of the export into `out_dir` (a fresh folder) without recording the run: an
/// export job records it in the transaction that stores its result ([`record_run`]).
pub async fn run_unrecorded(
    db: &DatabaseConnection,
    request: &ExportRequest,
    out_dir: &Path,
    progress: Option<&ProgressBar>,
) -> Result<ExportSummary, ExportError> {
    Ok(write(db, request, out_dir, progress).await?.0)
}

/// Records a finished run (which the next scheduled run starts after).
pub async fn record_run(
    db: &impl sea_orm::ConnectionTrait,
    request: &ExportRequest,
) -> Result<(), DbErr> {
    export_run::ActiveModel {
        period_from: Set(request.period.from()),
        period_to: Set(request.period.to()),
        format: Set(request.format.as_str().to_owned()),
        started_by: Set(request.started_by.clone()),
        finished_at: Set(Utc::now()),
        scheduled: Set(request.scheduled),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

async fn write(
    db: &DatabaseConnection,
    request: &ExportRequest,
    out_dir: &Path,
    progress: Option<&ProgressBar>,
) -> Result<(ExportSummary, Published), ExportError> {
    match std::fs::metadata(out_dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(output_dir_error(out_dir, "is not a directory", None)),
        Err(_) => std::fs::create_dir_all(out_dir)
            .map_err(|e| output_dir_error(out_dir, "cannot be created", Some(e)))?,
    }
    // What runs into this folder that died left behind.
    let removed = remove_abandoned(out_dir, STAGING_PREFIX, |_| false);
    if removed > 0 {
        tracing::info!(
            folders = removed,
            "removed staging folders of export runs that died"
        );
    }
    let staging = tempfile::Builder::new()
        .prefix(STAGING_PREFIX)
        .tempdir_in(out_dir)
        .map_err(|e| output_dir_error(out_dir, "cannot be written", Some(e)))?;

    let lookups = Lookups::load(db).await?;
    let mut files = Vec::new();
    for dataset in DATASETS {
        let file = format!("{}.{}", dataset.name, request.format.extension());
        let path = staging.path().join(&file);
        if let Some(bar) = progress {
            bar.set_message(file.clone());
        }
        let write_error = |source| ExportError::Write {
            file: file.clone(),
            source,
        };
        let mut sink = writers::open(
            request.format,
            &path,
            dataset.name,
            dataset.columns,
            request.bom && request.format == ExportFormat::Csv,
        )
        .map_err(write_error)?;
        let rows = datasets::fill(
            db,
            &lookups,
            &request.period,
            dataset.id,
            sink.as_mut(),
            progress,
        )
        .await
        .map_err(|e| match e {
            FillError::Database(e) => ExportError::Database(e),
            FillError::Write(e) => write_error(e),
        })?;
        sink.finish().map_err(write_error)?;
        files.push(
            manifest::describe(&path, Some(rows), dataset.aggregated).map_err(|e| {
                ExportError::Write {
                    file: file.clone(),
                    source: e.into(),
                }
            })?,
        );
    }
    let generated_at = Utc::now();
    let metadata = manifest::write_dataset_jsonld(staging.path(), request, &files, generated_at)
        .map_err(|e| ExportError::Write {
            file: manifest::DATASET_FILE.into(),
            source: e.into(),
        })?;
    files.push(metadata);
    let manifest = manifest::write_manifest(staging.path(), request, &files, generated_at)
        .map_err(|e| ExportError::Write {
            file: manifest::MANIFEST_FILE.into(),
            source: e.into(),
        })?;
    files.push(manifest);

    let published = publish(staging, out_dir, &files)?;
    Ok((
        ExportSummary {
            period: request.period,
            format: request.format,
            directory: out_dir.to_owned(),
            files,
        },
        published,
    ))
}

/// How the staging folder of a run in the output folder is named; what a run that died left is
/// found by it.
pub const STAGING_PREFIX: &str = ".teilhabe-export-";

/// A working folder nothing was written to for this long belongs to a run that died.
pub const ABANDONED_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

/// When anything in `dir` (or in a folder in it) was last written, `dir` itself included.
fn last_write(dir: &Path, depth: usize) -> Option<std::time::SystemTime> {
    let own = std::fs::metadata(dir).and_then(|m| m.modified()).ok();
    let inside = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let meta = entry.metadata().ok()?;
            if meta.is_dir() && depth > 0 {
                last_write(&entry.path(), depth - 1)
            } else {
                meta.modified().ok()
            }
        })
        .max();
    own.max(inside)
}

/// Removes the working folders in `dir` named `prefix…` that runs which died left behind: nothing
/// written in them for [`ABANDONED_AFTER`], and not `in_use` (by name). Exported data, anonymised
/// but nothing to keep lying about. Returns how many it removed.
pub fn remove_abandoned(dir: &Path, prefix: &str, in_use: impl Fn(&str) -> bool) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            name.starts_with(prefix) && !in_use(&name)
        })
        .filter(|entry| {
            last_write(&entry.path(), 2)
                .is_some_and(|at| at.elapsed().is_ok_and(|idle| idle > ABANDONED_AFTER))
        })
        .filter(|entry| std::fs::remove_dir_all(entry.path()).is_ok())
        .count()
}

/// Packs the files of a finished export into an anonymous temporary file (gone once closed),
/// deflated, read from its start.
pub fn zip_archive(dir: &Path, files: &[FileSummary]) -> std::io::Result<std::fs::File> {
    let mut zip = zip::ZipWriter::new(tempfile::tempfile()?);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for file in files {
        zip.start_file(file.name.as_str(), options)
            .map_err(std::io::Error::other)?;
        let mut source = std::fs::File::open(dir.join(&file.name))?;
        std::io::copy(&mut source, &mut zip)?;
    }
    let mut out = zip.finish().map_err(std::io::Error::other)?;
    out.flush()?;
    out.seek(SeekFrom::Start(0))?;
    Ok(out)
}

/// The files of a run in place, and those of the export before that they replaced, kept aside in
/// the staging folder until the run is recorded (the folder goes when this is dropped).
struct Published {
    staging: tempfile::TempDir,
    out_dir: PathBuf,
    placed: Vec<String>,
    replaced: Vec<String>,
}

impl Published {
    fn aside(&self) -> PathBuf {
        self.staging.path().join(PREVIOUS_FOLDER)
    }

    /// Removes the files placed and puts back those they replaced.
    fn undo(self) {
        for name in &self.placed {
            let _ = std::fs::remove_file(self.out_dir.join(name));
        }
        for name in &self.replaced {
            if let Err(e) = std::fs::rename(self.aside().join(name), self.out_dir.join(name)) {
                tracing::error!(file = %name, error = %e, "a file of the export before could not be put back");
            }
        }
    }
}

/// Inside the staging folder: the files a run replaced, until it is recorded.
const PREVIOUS_FOLDER: &str = ".previous";

/// Renames the finished files from the staging directory into place, moving files of an earlier
/// export aside first; undoes it all on the first failure.
fn publish(
    staging: tempfile::TempDir,
    out_dir: &Path,
    files: &[FileSummary],
) -> Result<Published, ExportError> {
    let mut published = Published {
        staging,
        out_dir: out_dir.to_owned(),
        placed: Vec::new(),
        replaced: Vec::new(),
    };
    let failed = |published: Published, source| {
        published.undo();
        Err(ExportError::Publish {
            path: out_dir.to_owned(),
            source,
        })
    };
    if let Err(source) = std::fs::create_dir(published.aside()) {
        return failed(published, source);
    }
    for file in files {
        let target = out_dir.join(&file.name);
        // A file (or link) of the export before; a folder in the way stays, and fails the rename.
        if target
            .symlink_metadata()
            .is_ok_and(|m| m.is_file() || m.file_type().is_symlink())
        {
            if let Err(source) = std::fs::rename(&target, published.aside().join(&file.name)) {
                return failed(published, source);
            }
            published.replaced.push(file.name.clone());
        }
        if let Err(source) = std::fs::rename(published.staging.path().join(&file.name), &target) {
            return failed(published, source);
        }
        published.placed.push(file.name.clone());
    }
    Ok(published)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_period_cannot_run_backwards() {
        assert!(ExportPeriod::new(day("2026-03-31"), day("2026-03-31")).is_ok());
        let e = ExportPeriod::new(day("2026-04-01"), day("2026-03-31")).unwrap_err();
        assert!(e.is_usage());
        assert_eq!(
            e.to_string(),
            "--from (2026-04-01) is after --to (2026-03-31)"
        );
    }

    #[test]
    fn days_are_berlin_days_also_across_the_clock_change() {
        // Summer time starts on 2026-03-29: that day has 23 hours.
        let period = ExportPeriod::new(day("2026-03-29"), day("2026-03-29")).unwrap();
        let (start, end) = period.utc_bounds();
        assert_eq!(start.to_rfc3339(), "2026-03-28T23:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2026-03-29T22:00:00+00:00");
    }

    #[test]
    fn a_period_may_not_end_after_the_last_day_given() {
        let period = ExportPeriod::new(day("2026-03-01"), day("2026-03-31")).unwrap();
        assert_eq!(period.ending_by(day("2026-03-31")).unwrap(), period);
        let e = period.ending_by(day("2026-03-30")).unwrap_err();
        assert!(e.is_usage());
        assert_eq!(e.field(), Some(Field::To));
        assert_eq!(
            e.to_string(),
            "--to: 2026-03-31 is not over yet; the last day this export can cover is 2026-03-30"
        );
    }

    #[test]
    fn bad_dates_and_formats_name_the_option_and_the_expected_form() {
        let e = parse_day(Field::From, "31.03.2026").unwrap_err();
        assert_eq!(
            e.to_string(),
            "--from: '31.03.2026' is not a date; expected the format 2026-03-31"
        );
        let e = ExportFormat::parse("pdf").unwrap_err();
        assert_eq!(e.field(), Some(Field::Format));
        assert_eq!(ExportFormat::parse("XLSX").unwrap(), ExportFormat::Xlsx);
    }
}
