//! `teilhabe import proposals`: proposals collected elsewhere (paper campaigns, an earlier platform)
//! from CSV or JSON. Every row is checked first; by default nothing is stored when any row is wrong.
//! The file format is documented in `content/demo/README.md`.
use std::{
    collections::HashSet,
    path::{Path, PathBuf},
};

use chrono::{DateTime, NaiveTime, Utc};
use indicatif::ProgressBar;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    QuerySelect, Set, TransactionTrait,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::{
    db::entities::{district, proposal, proposal_event},
    domain::proposal::{
        ANSWER_MAX, Channel, ProposalBody, ProposalCategory, ProposalStatus, ProposalTitle,
        search_text, statement, town,
    },
    search::indexer,
    services::csv_rows::{self, CsvError},
    services::sessions::{hash_token, random_token},
};

/// One row as written in the file; every field is text so that each problem can be named (a JSON
/// `null`, number or boolean is read as text, and the checks name the field if it is wrong).
/// Unknown fields are refused: a misspelt `Status` would otherwise publish rows meant for
/// moderation, and a misspelt `created` would date them to the import.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImportRow {
    #[serde(deserialize_with = "text_or_number")]
    pub title: String,
    #[serde(deserialize_with = "text_or_number")]
    pub text: String,
    #[serde(deserialize_with = "text_or_number")]
    pub category: String,
    #[serde(deserialize_with = "text_or_number")]
    pub district: String,
    #[serde(deserialize_with = "text_or_number")]
    pub status: String,
    #[serde(deserialize_with = "text_or_number")]
    pub official_answer: String,
    #[serde(deserialize_with = "text_or_number")]
    pub supports: String,
    #[serde(deserialize_with = "text_or_number")]
    pub created: String,
    #[serde(deserialize_with = "text_or_number")]
    pub with_assistance: String,
    #[serde(deserialize_with = "text_or_number")]
    pub town: String,
}

/// The fields of [`ImportRow`], as they are named in a file.
const COLUMNS: &[&str] = &[
    "title",
    "text",
    "category",
    "district",
    "status",
    "official_answer",
    "supports",
    "created",
    "with_assistance",
    "town",
];

/// JSON files may carry numbers, booleans and `null` where CSV has text.
fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => s,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    })
}

/// A checked row, ready to store.
#[derive(Debug, Clone)]
pub struct ValidProposal {
    pub title: String,
    pub body: String,
    pub category: ProposalCategory,
    pub district: String,
    pub town: Option<String>,
    pub status: ProposalStatus,
    pub answer: Option<String>,
    pub supports: i32,
    pub created: DateTime<Utc>,
    /// Whether the file gave the date (`created` is the import's time otherwise).
    pub dated: bool,
    pub with_assistance: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub line: u64,
    pub field: String,
    pub problem: String,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, field '{}': {}",
            self.line, self.field, self.problem
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Csv(#[from] CsvError),
    #[error("{}: cannot be read: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}, line {line}: {problem}", path.display())]
    Json {
        path: PathBuf,
        line: u64,
        problem: String,
    },
    #[error("{}: the file name must end in .csv or .json", path.display())]
    UnknownFormat { path: PathBuf },
    #[error("{}: {invalid_rows} of {total} rows are invalid; nothing was imported (use --skip-invalid to import the valid rows):\n{}",
        path.display(), problems.iter().map(|p| format!("  {}, {p}", path.display())).collect::<Vec<_>>().join("\n"))]
    Invalid {
        path: PathBuf,
        total: usize,
        invalid_rows: usize,
        problems: Vec<RowProblem>,
    },
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub imported: usize,
    pub skipped: Vec<RowProblem>,
    /// Lines of rows stored by an earlier run of the file (or twice in it), not stored again.
    pub already_imported: Vec<u64>,
}

/// Reads the rows with their line numbers.
pub fn read(path: &Path) -> Result<Vec<(u64, ImportRow)>, ImportError> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_lowercase)
        .as_deref()
    {
        Some("csv") => Ok(csv_rows::read_known_columns::<ImportRow>(path, COLUMNS)?
            .into_iter()
            .map(|row| (row.line, row.value))
            .collect()),
        Some("json") => {
            let text = std::fs::read_to_string(path).map_err(|source| ImportError::Io {
                path: path.to_owned(),
                source,
            })?;
            // Notepad and PowerShell write a byte order mark, which JSON does not allow.
            read_json(path, text.strip_prefix('\u{feff}').unwrap_or(&text))
        }
        _ => Err(ImportError::UnknownFormat {
            path: path.to_owned(),
        }),
    }
}

fn read_json(path: &Path, text: &str) -> Result<Vec<(u64, ImportRow)>, ImportError> {
    let values: Vec<serde_json::Value> =
        serde_json::from_str(text).map_err(|e| ImportError::Json {
            path: path.to_owned(),
            line: e.line() as u64,
            problem: format!("{e} (expected an array of objects)"),
        })?;
    let lines = object_lines(text);
    values
        .into_iter()
        .enumerate()
        .map(|(i, value)| {
            let line = lines.get(i).copied().unwrap_or(0);
            serde_json::from_value::<ImportRow>(value)
                .map(|row| (line, row))
                .map_err(|e| ImportError::Json {
                    path: path.to_owned(),
                    line,
                    problem: e.to_string(),
                })
        })
        .collect()
}

/// The line on which each element of the top-level array starts (an object, or anything else that
/// stands there, `null` say), so errors can point there.
fn object_lines(text: &str) -> Vec<u64> {
    let (mut depth, mut line, mut in_string, mut escaped) = (0usize, 1u64, false, false);
    // At the top level, after `[` or a `,`: the next character that is not blank starts an element.
    let mut expecting = false;
    let mut starts = Vec::new();
    for c in text.chars() {
        if c == '\n' {
            line += 1;
        }
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        if expecting && depth == 1 && !c.is_whitespace() && c != ']' {
            starts.push(line);
            expecting = false;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' => {
                expecting = depth == 0 && c == '[';
                depth += 1;
            }
            '}' | ']' => depth = depth.saturating_sub(1),
            ',' if depth == 1 => expecting = true,
            _ => {}
        }
    }
    starts
}

/// Checks one row; `districts` are the known Kreisschlüssel with their names.
pub fn validate(
    row: &ImportRow,
    line: u64,
    districts: &[(String, String)],
    now: DateTime<Utc>,
) -> Result<ValidProposal, Vec<RowProblem>> {
    let mut problems = Vec::new();
    let mut problem = |field: &str, text: &str| {
        problems.push(RowProblem {
            line,
            field: field.into(),
            problem: text.into(),
        })
    };
    let title = ProposalTitle::parse(&row.title)
        .map_err(|_| problem("title", "must be 5 to 120 characters"))
        .ok();
    let body = ProposalBody::parse(&row.text)
        .map_err(|_| problem("text", "must be 20 to 5000 characters"))
        .ok();
    let category = ProposalCategory::parse(&row.category)
        .map_err(|_| {
            let keys: Vec<&str> = ProposalCategory::ALL.iter().map(|c| c.key()).collect();
            problem("category", &format!("must be one of {}", keys.join(", ")))
        })
        .ok();
    // Cleaned like typed text: a name written in decomposed Unicode (as some systems export it)
    // looks the same as the stored one and must match it.
    let wanted = crate::domain::text::line(&row.district);
    let district = districts
        .iter()
        .find(|(key, name)| *key == wanted || name.to_lowercase() == wanted.to_lowercase())
        .map(|(key, _)| key.clone());
    if district.is_none() {
        problem(
            "district",
            &format!("'{wanted}' is neither a Kreisschlüssel such as 16051 nor a district name"),
        );
    }
    let status = match row.status.trim() {
        "" => Some(ProposalStatus::Published),
        raw => ProposalStatus::parse(raw)
            .ok()
            .filter(|s| s.is_public() || *s == ProposalStatus::Submitted)
            .or_else(|| {
                problem(
                    "status",
                    "must be one of submitted, published, under-review, accepted, implemented, declined",
                );
                None
            }),
    };
    let answer = match row.official_answer.trim() {
        "" => None,
        raw => statement(raw, ANSWER_MAX)
            .map_err(|_| problem("official_answer", "must be at most 5000 characters"))
            .ok(),
    };
    if status == Some(ProposalStatus::Declined) && answer.is_none() {
        problem(
            "official_answer",
            "a declined proposal needs the public justification",
        );
    }
    let supports = match row.supports.trim() {
        "" => Some(0),
        raw => raw
            .parse::<i32>()
            .ok()
            .filter(|n| (0..=10_000_000).contains(n))
            .or_else(|| {
                problem("supports", "must be a whole number from 0");
                None
            }),
    };
    let created = match row.created.trim() {
        "" => Some(now),
        raw => DateTime::parse_from_rfc3339(raw)
            .map(|d| d.with_timezone(&Utc))
            .ok()
            .or_else(|| {
                crate::domain::offer::date(raw).ok().map(|d| {
                    d.and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default())
                        .and_utc()
                })
            })
            .filter(|d| *d <= now)
            .or_else(|| {
                problem("created", "must be a past date like 2026-03-31");
                None
            }),
    };
    let with_assistance = match row.with_assistance.trim().to_lowercase().as_str() {
        "" | "false" | "nein" | "0" => Some(false),
        "true" | "ja" | "1" => Some(true),
        _ => {
            problem("with_assistance", "must be true or false");
            None
        }
    };
    let town = town(&row.town)
        .map_err(|_| problem("town", "must be at most 80 characters on one line"))
        .ok();
    match (
        title,
        body,
        category,
        district,
        status,
        supports,
        created,
        with_assistance,
        town,
    ) {
        (
            Some(title),
            Some(body),
            Some(category),
            Some(district),
            Some(status),
            Some(supports),
            Some(created),
            Some(with_assistance),
            Some(town),
        ) if problems.is_empty() => Ok(ValidProposal {
            title: title.as_str().to_owned(),
            body: body.as_str().to_owned(),
            category,
            district,
            town,
            status,
            answer,
            supports,
            created,
            dated: !row.created.trim().is_empty(),
            with_assistance,
        }),
        _ => Err(problems),
    }
}

/// Checks every row, then stores the valid ones in one transaction together with their search
/// index updates. With `skip_invalid` false, any invalid row stops the import before anything is stored.
pub async fn import(
    db: &DatabaseConnection,
    path: &Path,
    skip_invalid: bool,
    progress: Option<&ProgressBar>,
) -> Result<ImportSummary, ImportError> {
    let checked = check(db, path, skip_invalid).await?;
    import_checked(db, checked, progress).await
}

/// A file read and checked, with nothing stored yet: the rows to store and those skipped.
pub struct Checked {
    valid: Vec<(u64, String, ValidProposal)>,
    skipped: Vec<RowProblem>,
}

/// Reads and checks every row of `path`, storing nothing: a file with a wrong row is refused whole
/// (unless `skip_invalid`), before anything of it (or of a caller's own work) is stored.
pub async fn check(
    db: &DatabaseConnection,
    path: &Path,
    skip_invalid: bool,
) -> Result<Checked, ImportError> {
    let rows = read(path)?;
    let districts: Vec<(String, String)> = district::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.key, d.name))
        .collect();
    let now = Utc::now();
    let mut valid = Vec::with_capacity(rows.len());
    let mut problems = Vec::new();
    for (line, row) in &rows {
        match validate(row, *line, &districts, now) {
            Ok(proposal) => valid.push((*line, import_key(&proposal), proposal)),
            Err(found) => problems.extend(found),
        }
    }
    if !problems.is_empty() && !skip_invalid {
        let mut lines: Vec<u64> = problems.iter().map(|p| p.line).collect();
        lines.dedup();
        return Err(ImportError::Invalid {
            path: path.to_owned(),
            total: rows.len(),
            invalid_rows: lines.len(),
            problems,
        });
    }
    Ok(Checked {
        valid,
        skipped: problems,
    })
}

/// Stores the rows of a checked file in one transaction; rows an earlier run stored are skipped.
pub async fn import_checked(
    db: &DatabaseConnection,
    checked: Checked,
    progress: Option<&ProgressBar>,
) -> Result<ImportSummary, ImportError> {
    let Checked {
        valid,
        skipped: problems,
    } = checked;
    if let Some(bar) = progress {
        bar.set_length(valid.len() as u64);
    }
    // The unique fingerprint is the guard; reading the known ones first lets a second run skip them
    // instead of failing on the first.
    let mut known: HashSet<String> = HashSet::new();
    for keys in valid
        .iter()
        .map(|(_, key, _)| key.clone())
        .collect::<Vec<_>>()
        .chunks(500)
    {
        known.extend(
            proposal::Entity::find()
                .select_only()
                .column(proposal::Column::ImportKey)
                .filter(proposal::Column::ImportKey.is_in(keys.to_vec()))
                .into_tuple::<Option<String>>()
                .all(db)
                .await?
                .into_iter()
                .flatten(),
        );
    }
    let mut summary = ImportSummary {
        skipped: problems,
        ..ImportSummary::default()
    };
    let txn = db.begin().await?;
    for (line, key, proposal) in &valid {
        if known.insert(key.clone()) {
            store(&txn, proposal, key.clone()).await?;
            summary.imported += 1;
        } else {
            summary.already_imported.push(*line);
        }
        if let Some(bar) = progress {
            bar.inc(1);
        }
    }
    txn.commit().await?;
    // The rows are stored: statistics that cannot be refreshed now (a busy database) are the
    // hourly housekeeping's, not a reason to report the import as failed.
    if summary.imported > 0
        && let Err(error) = crate::db::refresh_statistics_after_bulk_load(db).await
    {
        tracing::warn!(%error, "query planner statistics not refreshed after the import; the hourly housekeeping will");
    }
    Ok(summary)
}

/// What identifies an imported proposal: its district, the date the file gives, title and text.
fn import_key(p: &ValidProposal) -> String {
    let created = if p.dated {
        p.created.to_rfc3339()
    } else {
        String::new()
    };
    let mut hash = Sha256::new();
    for part in [p.district.as_str(), &created, &p.title, &p.body] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hex::encode(hash.finalize())
}

async fn store(
    conn: &impl sea_orm::ConnectionTrait,
    p: &ValidProposal,
    import_key: String,
) -> Result<(), DbErr> {
    let public = p.status.is_public();
    let model = proposal::ActiveModel {
        import_key: Set(Some(import_key)),
        title: Set(p.title.clone()),
        body: Set(p.body.clone()),
        category: Set(p.category.key().to_owned()),
        district_key: Set(p.district.clone()),
        town: Set(p.town.clone()),
        status: Set(p.status),
        moderation_note: Set(None),
        official_answer: Set(p.answer.clone()),
        answered_at: Set(p.answer.as_ref().map(|_| p.created)),
        channel: Set(if p.with_assistance {
            Channel::Assisted
        } else {
            Channel::Import
        }
        .key()
        .to_owned()),
        author_user_id: Set(None),
        author_email: Set(None),
        contact: Set(None),
        language: Set("de".into()),
        // Imported proposals have no author link; a random secret keeps the column unique.
        author_token_hash: Set(hash_token(&random_token())),
        confirmed_at: Set(Some(p.created)),
        merged_into_id: Set(None),
        event_offer_id: Set(None),
        imported_supports: Set(p.supports),
        supports_count: Set(p.supports),
        search_text: Set(search_text(&p.title, &p.body, p.answer.as_deref())),
        created_at: Set(p.created),
        published_at: Set(public.then_some(p.created)),
        updated_at: Set(p.created),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    proposal_event::ActiveModel {
        proposal_id: Set(model.id),
        status: Set(p.status),
        note: Set(p.answer.clone()),
        public: Set(public),
        actor_user_id: Set(None),
        created_at: Set(p.created),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    indexer::enqueue(conn, model.id).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn districts() -> Vec<(String, String)> {
        vec![("16068".into(), "Sömmerda".into())]
    }

    fn row() -> ImportRow {
        ImportRow {
            title: "Funkloch an der B4 schließen".into(),
            text: "Zwischen Straußfurt und Greußen bricht jedes Gespräch ab.".into(),
            category: "internet-mobilfunk".into(),
            district: "Sömmerda".into(),
            status: "in-pruefung".into(),
            supports: "12".into(),
            created: "2026-03-01".into(),
            ..ImportRow::default()
        }
    }

    #[test]
    fn a_good_row_passes_and_names_may_replace_keys() {
        let valid = validate(&row(), 2, &districts(), Utc::now()).unwrap();
        assert_eq!(valid.district, "16068");
        assert_eq!(valid.supports, 12);
        assert_eq!(valid.status, ProposalStatus::UnderReview);
    }

    #[test]
    fn every_problem_names_line_and_field() {
        let bad = ImportRow {
            title: "x".into(),
            category: "wlan".into(),
            district: "Atlantis".into(),
            status: "abgelehnt".into(),
            supports: "-3".into(),
            created: "2999-01-01".into(),
            with_assistance: "vielleicht".into(),
            ..row()
        };
        let problems = validate(&bad, 7, &districts(), Utc::now()).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "title",
                "category",
                "district",
                "official_answer",
                "supports",
                "created",
                "with_assistance"
            ]
        );
        assert!(problems.iter().all(|p| p.line == 7));
    }

    #[test]
    fn district_names_match_in_any_case_and_unicode_form() {
        for written in ["SÖMMERDA", "So\u{308}mmerda", " sömmerda "] {
            let valid = validate(
                &ImportRow {
                    district: written.into(),
                    ..row()
                },
                2,
                &districts(),
                Utc::now(),
            )
            .unwrap_or_else(|p| panic!("{written:?}: {p:?}"));
            assert_eq!(valid.district, "16068");
        }
    }

    #[test]
    fn towns_are_cleaned_and_bounded_like_the_form() {
        let with = |town: &str| {
            validate(
                &ImportRow {
                    town: town.into(),
                    ..row()
                },
                4,
                &districts(),
                Utc::now(),
            )
        };
        assert_eq!(
            with("Erfurt\u{0}\u{202E}").unwrap().town.as_deref(),
            Some("Erfurt")
        );
        let problems = with(&"Weimar ".repeat(20)).unwrap_err();
        assert_eq!(problems[0].field, "town");
        assert_eq!(problems[0].line, 4);
    }

    #[test]
    fn a_misspelt_json_field_is_refused_with_its_line() {
        let text = "[\n  {\"title\": \"Funkloch\",\n   \"Status\": \"submitted\"}\n]";
        let error = read_json(Path::new("x.json"), text)
            .unwrap_err()
            .to_string();
        assert!(error.contains("x.json, line 2"), "{error}");
        assert!(error.contains("unknown field `Status`"), "{error}");
    }

    #[test]
    fn a_json_file_with_a_byte_order_mark_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.json");
        std::fs::write(&path, "\u{feff}[\n {\"title\": \"a\"}\n]").unwrap();
        let rows = read(&path).unwrap();
        assert_eq!((rows.len(), rows[0].0), (1, 2));
    }

    #[test]
    fn json_rows_know_their_lines() {
        let text = "[\n  {\"title\": \"a {\\\" b\"},\n  {\n    \"title\": \"c\"\n  }\n]";
        assert_eq!(object_lines(text), [2, 3]);
        let rows = read_json(Path::new("x.json"), text).unwrap();
        assert_eq!(rows[1].0, 3);
        // An element that is not an object is counted where it stands.
        assert_eq!(object_lines("[\n null,\n \"x\",\n {}\n]"), [2, 3, 4]);
        let error = read_json(Path::new("x.json"), "[\n null,\n {\"title\": \"a\"}\n]")
            .unwrap_err()
            .to_string();
        assert!(error.contains("x.json, line 2"), "{error}");
    }
}

#[cfg(test)]
mod line_tests {
    use super::*;

    /// The line an editor shows: the header is line 1, the first row line 2, and a row after a
    /// text with a line break in quotes starts further down.
    #[test]
    fn csv_rows_know_the_line_the_file_shows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.csv");
        let lines = |text: &str| -> Vec<u64> {
            std::fs::write(&path, text).unwrap();
            read(&path).unwrap().into_iter().map(|(l, _)| l).collect()
        };
        let multiline = "title,text\nErste Zeile,kurz\nZweite,\"zwei\nZeilen\"\nDritte,kurz\n";
        assert_eq!(lines(multiline), [2, 3, 5]);
        // Windows line ends (Excel's CSV export): the csv crate counted one line too few.
        assert_eq!(lines(&multiline.replace('\n', "\r\n")), [2, 3, 5]);
        assert_eq!(
            lines("\u{feff}title,text\r\nErste,kurz\r\nZweite,kurz"),
            [2, 3]
        );
    }

    #[test]
    fn a_misspelt_csv_column_is_refused_before_any_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.csv");
        std::fs::write(
            &path,
            "title,text,Status,Created\nA,b,submitted,2026-03-01\n",
        )
        .unwrap();
        let error = read(&path).unwrap_err().to_string();
        assert!(
            error.ends_with(
                "p.csv, line 1, field 'Status': unknown column; did you mean 'status'? the columns are \
                 title, text, category, district, status, official_answer, supports, created, \
                 with_assistance, town"
            ),
            "{error}"
        );
    }
}
