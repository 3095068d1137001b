//! Booking a date and cancelling a booking. The rules are the booking engine's, as for the HTML form.
use actix_web::{HttpMessage, HttpRequest, HttpResponse, http::header, web};
use chrono::Utc;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{
    error::{ApiError, ErrorCode, ErrorResponse, ServerErrors},
    views::{BookingCancelled, BookingCreated, BookingState, Links},
};
use crate::{
    domain::{
        Language,
        booking::{BookingRequest, Channel, IdempotencyKey},
    },
    i18n::Translations,
    services::{
        booking::{self as engine, Booked, BookingError, Earlier},
        catalogue::published_course_date,
    },
    web::{
        errors::WebError,
        route_table,
        state::AppState,
        throttling::{self, Subject},
    },
};

/// Language of the mails about the booking.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MailLanguage {
    De,
    En,
}

impl From<MailLanguage> for Language {
    fn from(l: MailLanguage) -> Self {
        match l {
            MailLanguage::De => Language::De,
            MailLanguage::En => Language::En,
        }
    }
}

/// A booking request. E-mail or phone is needed; with an e-mail address the person gets the
/// confirmation and the link to the booking by mail.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BookingBody {
    /// Name of the person (at most 100 characters).
    #[schema(value_type = String, required = true, example = "Erika Mustermann")]
    pub name: Option<String>,
    #[schema(example = "erika@example.de")]
    pub email: Option<String>,
    #[schema(example = "0361 123456")]
    pub phone: Option<String>,
    /// Places, the person and companions: 1 to 10, and at most the date's `max_places_per_booking`.
    #[schema(required = true, value_type = u32, minimum = 1, maximum = 10, example = 1)]
    pub places: Option<serde_json::Value>,
    /// Language of the mails: `de` (default: the request's `Accept-Language`, else German) or `en`.
    pub language: Option<MailLanguage>,
}

/// The number of places as the form field would carry it; anything but a whole number is invalid.
fn places_text(places: Option<&serde_json::Value>) -> String {
    match places {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(_) => "?".into(),
    }
}

/// The request's `Idempotency-Key` header, if it sent one.
fn idempotency_key(
    req: &HttpRequest,
    translations: &Translations,
) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(value) = req.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    value
        .to_str()
        .map_err(|_| "error-idempotency-key-invalid")
        .and_then(IdempotencyKey::parse)
        .map(Some)
        .map_err(|key| ApiError::translated(ErrorCode::BadRequest, translations, key))
}

const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// The answer to a booking made now, or to a repeat of the request that made it earlier.
fn created(state: &AppState, booked: Booked, replayed: bool) -> HttpResponse {
    let manage_url = Links::new(state).manage(&booked.cancel_token);
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, manage_url.clone()));
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.json(BookingCreated {
        status: booked.status.into(),
        booking_id: booked.booking_id,
        cancel_token: booked.cancel_token,
        waiting_position: booked.waiting_position,
        manage_url,
    })
}

fn repeated(state: &AppState, earlier: Earlier) -> Result<HttpResponse, ApiError> {
    match earlier {
        Earlier::Same(booked) => Ok(created(state, booked, true)),
        Earlier::Reused => Err(ApiError::new(ErrorCode::IdempotencyKeyReused)),
    }
}

/// Why the engine did not book, in the API's terms.
fn refusal(e: BookingError, t: &Translations, max_places: i32) -> ApiError {
    match e {
        BookingError::DateNotFound => ApiError::not_found(),
        BookingError::NotBookable(reason) => {
            ApiError::translated(ErrorCode::NotBookable, t, reason)
        }
        BookingError::TooManyPlaces => ApiError::too_many_places(t, max_places),
        BookingError::Duplicate => {
            let key = "error-booking-duplicate";
            ApiError::translated(ErrorCode::Duplicate, t, key).with_field(
                "email",
                key,
                t.text(Language::De, key),
            )
        }
        BookingError::Db(e) => e.into(),
        other => ApiError::internal(&other),
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/dates/{id}/bookings",
    operation_id = "createBooking",
    tag = "bookings",
    summary = "Book a date",
    description = "Books places on a date, through the same engine as the booking form: places are \
        never oversold, and when none are free the booking joins the waiting list in arrival order \
        (`status: waitlisted` with `waiting_position`). A date that cannot be booked now (past, \
        cancelled, booking not yet open or closed) gives **409** with code `not_bookable`; the \
        message says why. Responses carry `Cache-Control: no-store`.",
    params(
        ("id" = i32, Path, description = "Id of the date"),
        ("Idempotency-Key" = Option<String>, Header, pattern = r"^[!-~]{16,255}$", description = "A key of your own for this \
            request: 16 to 255 visible ASCII characters, a random UUID say. Send the same request \
            again with the same key when you got no answer, and you get the booking the first one \
            made, as it stands now (`Idempotent-Replayed: true`; its `status` may be `cancelled` by \
            then), instead of a second booking. Keep the key secret: with the person's details it \
            gives the booking's `cancel_token`. A key is kept for 24 hours, for one date and one \
            person; repeats count against the rate limit."),
    ),
    request_body(content = BookingBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Booked: confirmed or on the waiting list; or, for a repeated `Idempotency-Key`, the booking the first request made, as it stands now", body = BookingCreated,
            headers(("Location" = String, description = "The person's booking page (`manage_url`)"),
                ("Idempotent-Replayed" = String, description = "`true` when the answer is the booking an earlier request with the same `Idempotency-Key` made"))),
        (status = 400, description = "Body not JSON, not sent as `application/json`, a value of the wrong type, or an `Idempotency-Key` that is empty, too long or not visible ASCII (`bad_request`)", body = ErrorResponse),
        (status = 404, description = "No such date, or its course is not published (`not_found`)", body = ErrorResponse),
        (status = 409, description = "The date cannot be booked now (`not_bookable`), or this e-mail address already booked it (`duplicate`; that booking's link is mailed to the address once more, at most once an hour)", body = ErrorResponse,
            example = json!({"error": {"code": "not_bookable", "message": "Dieser Termin hat schon begonnen oder ist vorbei. Er kann nicht mehr gebucht werden.", "fields": []}})),
        (status = 413, description = "Body too large (`payload_too_large`)", body = ErrorResponse),
        (status = 422, description = "Wrong inputs (`validation_failed`), more places than this date allows per booking (`too_many_places`), or an `Idempotency-Key` sent before with other details (another person or number of places) or more than 24 hours ago (`idempotency_key_reused`); `fields` names each input", body = ErrorResponse,
            example = json!({"error": {"code": "validation_failed", "message": "Einige Angaben fehlen oder sind fehlerhaft.",
                "fields": [{"field": "places", "code": "error-places-zero", "message": "Buchen Sie mindestens einen Platz."}]}})),
        (status = 429, description = "Too many bookings from this address (`rate_limited`)", body = ErrorResponse,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        ServerErrors,
    )
)]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<i32>,
    body: web::Json<BookingBody>,
) -> Result<HttpResponse, ApiError> {
    let date_id = id.into_inner();
    let now = Utc::now();
    let db = &state.db;
    let entry = published_course_date(db, date_id, now)
        .await?
        .ok_or_else(ApiError::not_found)?;

    let body = body.into_inner();
    let mut request = BookingRequest::parse(
        body.name.as_deref().unwrap_or_default(),
        body.email.as_deref().unwrap_or_default(),
        body.phone.as_deref().unwrap_or_default(),
        &places_text(body.places.as_ref()),
        Channel::Api,
    )
    .map_err(|errors| ApiError::validation(&state.translations, &errors))?;
    request.idempotency_key = idempotency_key(&req, &state.translations)?;
    request.language = match body.language {
        Some(chosen) => chosen.into(),
        None => req
            .extensions()
            .get::<Language>()
            .copied()
            .unwrap_or_default(),
    };
    let desk = state.booking_desk();
    let max_places = entry.date.max_places_per_booking;
    let refused = |e: BookingError| refusal(e, &state.translations, max_places);
    let taken = throttling::take_declared(
        &req,
        &state,
        None,
        &route_table::BOOKING,
        Subject::default(),
    )
    .await
    .map_err(|e| match e {
        WebError::Database(e) => ApiError::from(e),
        other => ApiError::internal(&other),
    })?;
    let counted = taken.map_err(|refused| ApiError::rate_limited(refused.minutes))?;
    // After the rate limit: a repeat with the person's details gets the booking's secret back, so
    // trying keys counts as trying bookings.
    if let Some(earlier) = desk
        .booked_with_key(date_id, &request, now)
        .await
        .map_err(refused)?
    {
        return repeated(&state, earlier);
    }

    let keyed = request.idempotency_key.is_some().then(|| request.clone());
    let email = request.email.clone();
    match desk.book_seen(&entry.date, None, request, now).await {
        Ok(booked) => Ok(created(&state, booked, false)),
        Err(e) => {
            // The same request sent twice at once: the other one stored its booking first (the
            // key's unique index, or the address's duplicate check, stopped this one).
            if let Some(request) = &keyed
                && matches!(e, BookingError::Duplicate | BookingError::Db(_))
                && let Some(earlier) = desk
                    .booked_with_key(date_id, request, now)
                    .await
                    .map_err(refused)?
            {
                return repeated(&state, earlier);
            }
            if matches!(e, BookingError::Db(_)) {
                counted.failed_on_our_side(&state.db).await;
            }
            if matches!(e, BookingError::Duplicate) {
                desk.after_duplicate(date_id, email.as_ref(), now).await;
            }
            Err(refused(e))
        }
    }
}

#[utoipa::path(
    delete,
    path = "/api/v1/bookings/{cancel_token}",
    operation_id = "cancelBooking",
    tag = "bookings",
    summary = "Cancel a booking",
    description = "Cancels the booking with the secret from its creation (or from the link in the \
        confirmation mail). Freed places go to the waiting list in arrival order. Responses carry \
        `Cache-Control: no-store`.",
    params(("cancel_token" = String, Path, description = "The booking's `cancel_token`")),
    responses(
        (status = 200, description = "Cancelled", body = BookingCancelled),
        (status = 404, description = "No booking for this token (`not_found`)", body = ErrorResponse),
        (status = 409, description = "The booking was already cancelled (`already_cancelled`), its date (course) has begun (`already_begun`), or its provider cancelled the date (`date_cancelled`: the booking holds no place and needs no cancelling)", body = ErrorResponse),
        ServerErrors,
    )
)]
pub async fn cancel(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::not_found().with_message("Zu diesem Link gibt es keine Buchung.");
    // Anonymised bookings are gone for the person, as on the booking page.
    if !engine::link_is_live(&state.db, &token).await? {
        return Err(not_found());
    }
    match state.booking_desk().cancel(&token, Utc::now()).await {
        Ok(cancelled) => Ok(HttpResponse::Ok().json(BookingCancelled {
            status: BookingState::Cancelled,
            promoted: cancelled.promoted.len(),
        })),
        Err(BookingError::BookingNotFound) => Err(not_found()),
        Err(BookingError::AlreadyCancelled) => Err(ApiError::new(ErrorCode::AlreadyCancelled)),
        Err(BookingError::Begun) => Err(ApiError::new(ErrorCode::AlreadyBegun)),
        Err(BookingError::DateCancelled) => Err(ApiError::new(ErrorCode::DateCancelled)),
        Err(BookingError::Db(e)) => Err(e.into()),
        Err(e) => Err(ApiError::internal(&e)),
    }
}
