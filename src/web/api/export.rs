//! `GET /api/v1/export`: the TMDI export as one ZIP file, for API tokens of admins.
use actix_files::NamedFile;
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{ApiError, ErrorCode, ErrorResponse, ServerErrors};
use crate::{
    domain::Language,
    export::{self, ExportError, ExportFormat, ExportPeriod, ExportRequest, Field},
    i18n::Translations,
    services::{
        api_tokens::{self, Bearer},
        audit,
    },
    web::state::AppState,
};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// First day, inclusive (Europe/Berlin), e.g. `2026-03-01`.
    from: String,
    /// Last day, inclusive (Europe/Berlin), e.g. `2026-03-31`; today at the latest.
    to: String,
    /// `csv`, `json` or `xlsx`.
    format: String,
}

/// The token from `Authorization: Bearer <token>`.
fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Message id (in `content/locales`) of the rule a parameter broke.
fn field_code(error: &ExportError) -> &'static str {
    match error {
        ExportError::MissingDate(_) => "error-export-date-missing",
        ExportError::ReversedPeriod { .. } => "error-export-date-range",
        ExportError::NotOver { .. } => "error-export-date-future",
        ExportError::UnknownFormat(_) => "error-export-format-invalid",
        _ => "error-export-date-invalid",
    }
}

/// Every wrong parameter at once, as the API does elsewhere. The period may end `today` at the latest.
fn parse(
    query: &ExportQuery,
    today: NaiveDate,
) -> Result<(ExportPeriod, ExportFormat), Vec<ExportError>> {
    let mut problems = Vec::new();
    let mut day = |field: Field, raw: &str| {
        let parsed = if raw.trim().is_empty() {
            Err(ExportError::MissingDate(field))
        } else {
            export::parse_day(field, raw)
        };
        parsed.map_err(|e| problems.push(e)).ok()
    };
    let (from, to) = (day(Field::From, &query.from), day(Field::To, &query.to));
    let format = ExportFormat::parse(&query.format)
        .map_err(|e| problems.push(e))
        .ok();
    let period = match (from, to) {
        (Some(from), Some(to)) => ExportPeriod::new(from, to)
            .and_then(|period| period.ending_by(today))
            .map_err(|e| problems.push(e))
            .ok(),
        _ => None,
    };
    match (period, format) {
        (Some(period), Some(format)) => Ok((period, format)),
        _ => Err(problems),
    }
}

fn validation_error(translations: &Translations, problems: &[ExportError]) -> ApiError {
    problems
        .iter()
        .fold(ApiError::new(ErrorCode::ValidationFailed), |e, problem| {
            let code = field_code(problem);
            let field = problem.field().map_or("from", Field::parameter);
            e.with_field(field, code, translations.text(Language::De, code))
        })
}

/// How a download's working folder in the data folder is named.
const DOWNLOAD_FOLDER_PREFIX: &str = ".export-download-";

#[utoipa::path(
    get,
    path = "/api/v1/export",
    operation_id = "exportForMinistry",
    tag = "export",
    summary = "Anonymised export for the state ministry (admins only)",
    description = "All export files for the period (courses, dates, dialogue events, feedback, public \
        proposals, statistics per district and month) with `manifest.json` and `dataset.jsonld`, as one \
        ZIP file. The file layout is described in `content/reference/export-schema.md`. Needs an API \
        token of an admin (`teilhabe token add`) as `Authorization: Bearer <token>`; every download is \
        recorded in the audit log.",
    params(ExportQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "ZIP file with the export", content_type = "application/zip"),
        (status = 401, description = "Missing, unknown or revoked token (`unauthorized`)", body = ErrorResponse),
        (status = 403, description = "The token's user is no admin (`forbidden`)", body = ErrorResponse),
        (status = 422, description = "A parameter is wrong (`validation_failed`), see `fields`; a period ending after today is refused", body = ErrorResponse),
        ServerErrors,
    )
)]
pub async fn download(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let token = bearer_token(&req).ok_or_else(|| ApiError::new(ErrorCode::Unauthorized))?;
    let user_id = match api_tokens::authenticate(&state.db, token, Utc::now()).await? {
        Bearer::Unknown => return Err(ApiError::new(ErrorCode::Unauthorized)),
        Bearer::NotAdmin { .. } => return Err(ApiError::new(ErrorCode::Forbidden)),
        Bearer::Admin { user_id, .. } => user_id,
    };
    let today = export::today_in_berlin(Utc::now());
    let (period, format) = parse(&query, today)
        .map_err(|problems| validation_error(&state.translations, &problems))?;
    let request = ExportRequest {
        period,
        format,
        bom: false,
        started_by: format!("api:{user_id}"),
        // Downloads are recorded but leave the scheduled export's mark alone.
        scheduled: false,
    };
    // The data folder is known to be writable and, unlike /tmp, usually not a small RAM disk. What
    // downloads whose process died left there goes first.
    let data_dir = state.settings.data_dir.clone();
    let _ =
        web::block(move || export::remove_abandoned(&data_dir, DOWNLOAD_FOLDER_PREFIX, |_| false))
            .await;
    let dir = tempfile::Builder::new()
        .prefix(DOWNLOAD_FOLDER_PREFIX)
        .tempdir_in(&state.settings.data_dir)
        .map_err(|e| ApiError::internal(&e))?;
    let summary = export::run(&state.db, &request, dir.path(), None)
        .await
        .map_err(|e| ApiError::internal(&e.with_causes()))?;
    let zip = web::block(move || export::zip_archive(dir.path(), &summary.files))
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(|e| ApiError::internal(&e))?;
    audit::record(
        &state.db,
        Some(user_id),
        "export.downloaded",
        &format!("export:{period}"),
        format.as_str(),
    )
    .await?;
    let name = format!(
        "teilhabe-export-{}-{}-{}.zip",
        period.from(),
        period.to(),
        format
    );
    let file = NamedFile::from_file(zip, &name)
        .map_err(|e| ApiError::internal(&e))?
        .use_etag(false)
        .use_last_modified(false);
    let mut response = file.into_response(&req);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(from: &str, to: &str, format: &str) -> ExportQuery {
        ExportQuery {
            from: from.into(),
            to: to.into(),
            format: format.into(),
        }
    }

    fn fields(problems: Vec<ExportError>) -> Vec<String> {
        problems
            .iter()
            .map(|p| format!("{}:{}", p.field().unwrap().parameter(), field_code(p)))
            .collect()
    }

    #[test]
    fn every_wrong_parameter_is_named() {
        let today = NaiveDate::from_ymd_opt(2026, 4, 1).unwrap();
        assert!(parse(&query("2026-03-01", "2026-03-31", "csv"), today).is_ok());
        assert!(parse(&query("2026-03-01", "2026-04-01", "csv"), today).is_ok());
        assert_eq!(
            fields(parse(&query("", "31.03.2026", "pdf"), today).unwrap_err()),
            [
                "from:error-export-date-missing",
                "to:error-export-date-invalid",
                "format:error-export-format-invalid"
            ]
        );
        assert_eq!(
            fields(parse(&query("2026-04-01", "2026-03-31", "json"), today).unwrap_err()),
            ["to:error-export-date-range"]
        );
        assert_eq!(
            fields(parse(&query("1900-01-01", "2100-12-31", "csv"), today).unwrap_err()),
            ["to:error-export-date-future"]
        );
    }
}
