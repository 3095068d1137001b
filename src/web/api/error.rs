//! The one error shape of the API: `{"error": {"code", "message", "fields"}}`. `code` is stable and meant
//! for programs; `message` is German plain text for people; `fields` names each input that was wrong,
//! with the message id the HTML forms use. Internal causes go to the log, never into a response.
use std::{borrow::Cow, collections::HashMap, fmt};

use actix_web::{
    HttpRequest, HttpResponse, ResponseError,
    error::{JsonPayloadError, PathError, QueryPayloadError},
    http::{StatusCode, header},
};
use fluent_templates::fluent_bundle::FluentValue;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    domain::{FieldErrors, Language},
    i18n::Translations,
    web::errors::retry_after_seconds,
};

/// What went wrong, for programs. New codes may be added; existing ones keep their meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 422: one or more inputs are wrong; see `fields`.
    ValidationFailed,
    /// 404: no such course, date, booking or path (or the offer is not published).
    NotFound,
    /// 409: the date cannot be booked now (past, cancelled, booking not open or closed).
    NotBookable,
    /// 409: this e-mail address already booked this date.
    Duplicate,
    /// 422: the `Idempotency-Key` was sent before with other details (person, places), or more than 24
    /// hours ago; use a new key for a new request.
    IdempotencyKeyReused,
    /// 422: more places than one booking of this date may take; see `fields`.
    TooManyPlaces,
    /// 429: too many bookings from this address; wait `Retry-After` seconds.
    RateLimited,
    /// 409: the booking was already cancelled.
    AlreadyCancelled,
    /// 409: the date (or the course) has begun; the booking can no longer be cancelled.
    AlreadyBegun,
    /// 409: the provider cancelled the date; the booking holds no place and needs no cancelling.
    DateCancelled,
    /// 400: the body is not JSON, not sent as `application/json`, or a value has the wrong type.
    BadRequest,
    /// 405: the path exists, the method does not; see the `Allow` header.
    MethodNotAllowed,
    /// 413: the body is larger than the API accepts.
    PayloadTooLarge,
    /// 401: no API token, or an unknown or revoked one (`Authorization: Bearer <token>`).
    Unauthorized,
    /// 403: the token is valid, but its user may not do this (the export needs the admin role).
    Forbidden,
    /// 503: the database cannot be reached right now; nothing was stored. Try again after
    /// `Retry-After` seconds.
    Unavailable,
    /// 503: the same records are held by another change for longer than a request waits (a long
    /// import, a stuck job); nothing was stored. Try again after `Retry-After` seconds.
    Busy,
    /// 409: someone changed the same record at the same moment; nothing was stored. Reload and try again.
    Conflict,
    /// 500: our fault; nothing was stored.
    Internal,
}

impl ErrorCode {
    pub fn status(self) -> StatusCode {
        match self {
            Self::ValidationFailed | Self::TooManyPlaces | Self::IdempotencyKeyReused => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::NotBookable
            | Self::Duplicate
            | Self::AlreadyCancelled
            | Self::AlreadyBegun
            | Self::DateCancelled
            | Self::Conflict => StatusCode::CONFLICT,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::Unavailable | Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The German text used when nothing more specific is known.
    fn default_message(self) -> &'static str {
        match self {
            Self::ValidationFailed => "Einige Angaben fehlen oder sind fehlerhaft.",
            Self::NotFound => "Das Gesuchte gibt es nicht oder es ist nicht öffentlich.",
            Self::NotBookable => "Dieser Termin kann gerade nicht gebucht werden.",
            Self::Duplicate => {
                "Mit dieser E-Mail-Adresse ist dieser Termin schon gebucht. Den Link zu dieser \
                 Buchung finden Sie in Ihrem E-Mail-Postfach."
            }
            Self::IdempotencyKeyReused => {
                "Dieser Idempotency-Key gehört zu einer anderen Anfrage. Verwenden Sie für jede \
                 neue Anfrage einen neuen Schlüssel."
            }
            Self::TooManyPlaces => {
                "Für diesen Termin sind so viele Plätze auf einmal nicht möglich."
            }
            Self::RateLimited => "Zu viele Versuche. Bitte warten Sie einige Minuten.",
            Self::AlreadyCancelled => "Diese Buchung ist bereits storniert.",
            Self::AlreadyBegun => {
                "Der Termin hat schon begonnen. Die Buchung kann nicht mehr storniert werden."
            }
            Self::DateCancelled => {
                "Der Anbieter hat diesen Termin abgesagt. Die Buchung muss nicht storniert werden."
            }
            Self::BadRequest => "Die Anfrage konnte nicht gelesen werden.",
            Self::MethodNotAllowed => "Diese Methode ist für diese Adresse nicht erlaubt.",
            Self::PayloadTooLarge => "Die gesendeten Daten sind zu groß.",
            Self::Unauthorized => {
                "Dafür ist ein gültiger API-Schlüssel nötig (Kopfzeile Authorization: Bearer …)."
            }
            Self::Forbidden => "Dieser API-Schlüssel gehört zu keinem Konto mit der Rolle admin.",
            Self::Unavailable => {
                "Wegen Wartungsarbeiten ist das gerade nicht möglich. Ihre Angaben wurden nicht \
                 gespeichert. Versuchen Sie es bitte in einigen Minuten noch einmal."
            }
            Self::Busy => {
                "Dieselben Daten werden gerade anderweitig geändert. Ihre Angaben wurden nicht \
                 gespeichert. Versuchen Sie es bitte in einer Minute noch einmal."
            }
            Self::Conflict => {
                "Jemand hat das gerade gleichzeitig geändert. Ihre Angaben wurden nicht gespeichert. \
                 Laden Sie die Seite neu und versuchen Sie es noch einmal."
            }
            Self::Internal => {
                "Es ist ein Fehler aufgetreten. Versuchen Sie es bitte später noch einmal. \
                 Ihre Angaben wurden nicht gespeichert."
            }
        }
    }
}

/// One input that was wrong.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The JSON property or query parameter, e.g. `email` or `von`.
    #[schema(example = "email")]
    pub field: String,
    /// Message id of the rule that failed; stable, the same as in the HTML forms.
    #[schema(example = "error-email-invalid")]
    pub code: String,
    /// German plain text for people.
    #[schema(
        example = "Geben Sie eine E-Mail-Adresse im richtigen Format ein, zum Beispiel name@beispiel.de."
    )]
    pub message: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// German plain text for people.
    #[schema(example = "Einige Angaben fehlen oder sind fehlerhaft.")]
    pub message: String,
    /// The wrong inputs; empty unless the error is about particular fields.
    pub fields: Vec<FieldProblem>,
}

/// Every error response of the API has this shape, whatever the status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorResponse {
    pub error: ErrorDetail,
}

/// The answers any endpoint can give when the fault is not the caller's; listed in each
/// endpoint's `responses(...)` after its own.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // only its description in the OpenAPI document is used
pub enum ServerErrors {
    /// The database cannot be reached right now (`unavailable`), or the same records are held by
    /// another change for longer than a request waits (`busy`); nothing was stored, try again after
    /// `Retry-After` seconds
    #[response(status = 503, headers(("Retry-After" = u64, description = "Seconds to wait")))]
    Unavailable(ErrorResponse),
    /// Internal error (`internal`); nothing was stored
    #[response(status = 500)]
    Internal(ErrorResponse),
}

#[derive(Debug)]
pub struct ApiError {
    body: ErrorResponse,
    retry_after_seconds: Option<i64>,
    allow: Option<&'static str>,
}

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        Self {
            body: ErrorResponse {
                error: ErrorDetail {
                    code,
                    message: code.default_message().to_owned(),
                    fields: Vec::new(),
                },
            },
            retry_after_seconds: None,
            allow: None,
        }
    }

    pub fn code(&self) -> ErrorCode {
        self.body.error.code
    }

    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.body.error.message = message.into();
        self
    }

    pub fn with_field(mut self, field: &str, code: &str, message: String) -> Self {
        self.body.error.fields.push(FieldProblem {
            field: field.to_owned(),
            code: code.to_owned(),
            message,
        });
        self
    }

    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound)
    }

    /// Each wrong field with its German message.
    pub fn validation(translations: &Translations, errors: &FieldErrors) -> Self {
        errors
            .iter()
            .fold(Self::new(ErrorCode::ValidationFailed), |e, problem| {
                e.with_field(
                    problem.field,
                    problem.message,
                    translations.text(Language::De, problem.message),
                )
            })
    }

    /// A message id of the translation catalogue as the message, e.g. why a date cannot be booked.
    pub fn translated(code: ErrorCode, translations: &Translations, key: &str) -> Self {
        Self::new(code).with_message(translations.text(Language::De, key))
    }

    pub fn too_many_places(translations: &Translations, max: i32) -> Self {
        let key = "error-places-over-limit";
        let args: HashMap<Cow<'static, str>, FluentValue> =
            HashMap::from([(Cow::Borrowed("max"), FluentValue::from(max))]);
        let text = translations.text_with(Language::De, key, &args);
        Self::new(ErrorCode::TooManyPlaces)
            .with_message(text.clone())
            .with_field("places", key, text)
    }

    pub fn rate_limited(retry_after_minutes: i64) -> Self {
        let mut e = Self::new(ErrorCode::RateLimited);
        e.retry_after_seconds = Some(retry_after_minutes.max(1) * 60);
        e
    }

    pub fn method_not_allowed(allow: &'static str) -> Self {
        let mut e = Self::new(ErrorCode::MethodNotAllowed);
        e.allow = Some(allow);
        e
    }

    /// Logs the cause and answers with nothing but "internal".
    pub fn internal(cause: &dyn fmt::Display) -> Self {
        tracing::error!(error = %cause, "API request failed");
        Self::new(ErrorCode::Internal)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "API error {:?}", self.body.error.code)
    }
}

/// An outage (connection lost, pool timed out, server restarting) and a change held elsewhere for
/// longer than a request waits tell the client when to retry; a change refused by a constraint is a
/// conflict; anything else is our fault. Nothing was stored in any case,
/// because every change is one transaction.
impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        use crate::db::{DbFailure, classify};
        let class = classify(&e);
        let api = match class {
            DbFailure::Unavailable => {
                tracing::warn!(error = %e, "API request failed: database unavailable");
                Self::new(ErrorCode::Unavailable)
            }
            DbFailure::Busy => {
                tracing::warn!(error = %e, "API request gave up waiting for a change held elsewhere");
                Self::new(ErrorCode::Busy)
            }
            DbFailure::Conflict => {
                tracing::warn!(error = %e, "API request refused by a constraint");
                Self::new(ErrorCode::Conflict)
            }
            DbFailure::Fault => {
                tracing::error!(error = %e, "API request failed: database");
                Self::new(ErrorCode::Internal)
            }
        };
        Self {
            retry_after_seconds: retry_after_seconds(class).map(i64::from),
            ..api
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.body.error.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if let Some(seconds) = self.retry_after_seconds {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        if let Some(allow) = self.allow {
            response.insert_header((header::ALLOW, allow));
        }
        if self.body.error.code == ErrorCode::Unauthorized {
            // RFC 6750: tell the client which scheme is expected.
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.json(&self.body)
    }
}

/// What was wrong with a refused body, for the log; never serde's message, which quotes the value
/// (a phone number sent as a JSON number, say), while the log keeps no personal data.
fn body_fault(err: &JsonPayloadError) -> String {
    match err {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            "too large".into()
        }
        JsonPayloadError::ContentType => "not declared as application/json".into(),
        JsonPayloadError::Deserialize(e) => format!(
            "{:?} at line {}, column {}",
            e.classify(),
            e.line(),
            e.column()
        ),
        _ => "unreadable".into(),
    }
}

/// Bodies that are not JSON, not declared as JSON, too large, or of the wrong shape: 400 (413).
pub fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    tracing::info!(fault = %body_fault(&err), "API request body refused");
    let api = match &err {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::new(ErrorCode::PayloadTooLarge)
        }
        JsonPayloadError::ContentType => ApiError::new(ErrorCode::BadRequest)
            .with_message("Senden Sie die Angaben als JSON mit dem Content-Type application/json."),
        JsonPayloadError::Deserialize(e) => {
            let at = format!("Zeile {}, Spalte {}", e.line(), e.column());
            let message = match e.classify() {
                serde_json::error::Category::Data => format!(
                    "Eine Angabe hat einen unzulässigen Typ oder Wert ({at}). \
                     Die erlaubten Werte beschreibt /api/openapi.json."
                ),
                _ => format!("Der Inhalt ist kein gültiges JSON ({at})."),
            };
            ApiError::new(ErrorCode::BadRequest).with_message(message)
        }
        _ => ApiError::new(ErrorCode::BadRequest),
    };
    api.into()
}

/// Query strings that cannot be read at all (for example a parameter given twice): 400.
pub fn query_error(_err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    // Not the error: it quotes the value, and the log keeps no personal data.
    tracing::info!("API query string refused");
    ApiError::new(ErrorCode::BadRequest)
        .with_message(
            "Die Parameter in der Adresse sind fehlerhaft, zum Beispiel doppelt angegeben.",
        )
        .into()
}

/// Path segments of the wrong type (`/api/v1/dates/abc`) name nothing: 404.
pub fn path_error(_err: PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::not_found().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    #[test]
    fn every_code_has_its_status_and_the_shape_is_stable() {
        let e = ApiError::rate_limited(2);
        let res = e.error_response();
        assert_eq!(res.status(), 429);
        assert_eq!(res.headers().get(header::RETRY_AFTER).unwrap(), "120");
        let body = res.into_body().try_into_bytes().unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["error"]["code"], "rate_limited");
        assert!(json["error"]["fields"].as_array().unwrap().is_empty());
        assert_eq!(
            ApiError::method_not_allowed("GET").status_code(),
            StatusCode::METHOD_NOT_ALLOWED
        );
        assert_eq!(
            ApiError::from(sea_orm::DbErr::ConnectionAcquire(
                sea_orm::ConnAcquireErr::Timeout
            ))
            .status_code(),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    /// A partner app sending a phone number as a JSON number: serde's message quotes it, and the
    /// log (kept 7 days, said to hold no personal data) got it.
    #[test]
    fn a_refused_body_leaves_its_values_out_of_the_log() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Body {
            phone: Option<String>,
        }
        let captured = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || Writer(sink.clone()))
            .with_ansi(false)
            .finish();
        let refused = serde_json::from_str::<Body>(r#"{"phone": 4936112345678}"#).unwrap_err();
        assert!(refused.to_string().contains("4936112345678"));
        tracing::subscriber::with_default(subscriber, || {
            let req = actix_web::test::TestRequest::default().to_http_request();
            let answer = json_error(JsonPayloadError::Deserialize(refused), &req);
            assert_eq!(answer.as_response_error().status_code(), 400);
        });
        let log = String::from_utf8(captured.lock().unwrap().clone()).unwrap();
        assert!(log.contains("API request body refused"), "{log}");
        assert!(log.contains("Data at line 1"), "{log}");
        assert!(!log.contains("4936112345678"), "{log}");
    }

    struct Writer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Writer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}
