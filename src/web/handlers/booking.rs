//! Booking a date, and the person's own booking page behind the secret link from the confirmation:
//! details, calendar file, answering an offer of places, cancelling.
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::{
    domain::{
        FieldErrors,
        booking::{BookingRequest, Channel},
    },
    services::{
        booking::{self as engine, BookingError},
        catalogue,
    },
    web::{
        errors::WebError,
        page::Page,
        spam,
        throttling::{self, Refused, Subject},
    },
};

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct BookingForm {
    name: String,
    email: String,
    phone: String,
    places: String,
    /// Honeypot: hidden from people, filled in by bots.
    #[serde(skip_serializing)]
    website: String,
}

/// The date, if it belongs to the offer in the address.
async fn date_of(page: &Page, slug: &str, date_id: i32) -> Result<catalogue::Entry, WebError> {
    catalogue::date(&page.state().db, date_id, Utc::now())
        .await?
        .filter(|e| e.date.offer_slug == slug && e.date.offer_status.is_public())
        // Courses are booked under /kurse, dialogue events under /veranstaltungen.
        .filter(|e| page.path().starts_with(&format!("{}/", e.offer_path)))
        .ok_or(WebError::NotFound)
}

fn render_form(
    page: &Page,
    sessions: &[catalogue::DateSummary],
    entry: &catalogue::Entry,
    form: &BookingForm,
    errors: &FieldErrors,
    refusal: Option<&str>,
) -> Result<HttpResponse, WebError> {
    let mut ctx = page.form_context();
    ctx.insert("entry", entry);
    ctx.insert("form", form);
    ctx.insert("refusal", &refusal);
    ctx.insert(
        "retention_days",
        &(page.state().settings.retention.as_secs() / 86_400),
    );
    ctx.insert("sessions", &sessions);
    ctx.insert(
        "place_choices",
        &(1..=std::cmp::min(entry.date.max_places_per_booking, 10)).collect::<Vec<_>>(),
    );
    page.render_form("booking/form.html", ctx, errors)
}

pub async fn form(page: Page, path: web::Path<(String, i32)>) -> Result<HttpResponse, WebError> {
    let (slug, date_id) = path.into_inner();
    let entry = date_of(&page, &slug, date_id).await?;
    let sessions = catalogue::sessions_of(&page.state().db, date_id).await?;
    let form = BookingForm {
        name: page
            .user()
            .map(|u| u.display_name.clone())
            .unwrap_or_default(),
        email: page.user().map(|u| u.email.clone()).unwrap_or_default(),
        places: "1".into(),
        ..Default::default()
    };
    // A date that cannot be booked says why at once, instead of after the form is filled in.
    let refusal = catalogue::refusal(&entry.date, Utc::now());
    render_form(
        &page,
        &sessions,
        &entry,
        &form,
        &FieldErrors::default(),
        refusal,
    )
}

pub async fn submit(
    req: HttpRequest,
    page: Page,
    path: web::Path<(String, i32)>,
    form: web::Form<BookingForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    // Before any query: a bot's request costs no database work.
    if spam::caught_in_honeypot(&form.website, "booking") {
        return Err(WebError::NotFound);
    }
    let (slug, date_id) = path.into_inner();
    let entry = date_of(&page, &slug, date_id).await?;
    let sessions = catalogue::sessions_of(&page.state().db, date_id).await?;
    book(&req, &page, &entry, &sessions, &form).await
}

async fn book(
    req: &HttpRequest,
    page: &Page,
    entry: &catalogue::Entry,
    sessions: &[catalogue::DateSummary],
    form: &BookingForm,
) -> Result<HttpResponse, WebError> {
    let mut request = match BookingRequest::parse(
        &form.name,
        &form.email,
        &form.phone,
        &form.places,
        Channel::Online,
    ) {
        Ok(request) => request,
        Err(errors) => return render_form(page, sessions, entry, form, &errors, None),
    };
    request.language = page.language;
    // A booking belongs to the account only when it is for the account's own address: one made
    // for someone else (a relative, a caller) would otherwise show in this account and its data
    // download, take the account's mail language, and be cancelled with the account's deletion.
    request.user_id = page
        .user()
        .filter(|u| {
            request
                .email
                .as_ref()
                .is_some_and(|email| u.email.eq_ignore_ascii_case(email.as_str()))
        })
        .map(|u| u.id);
    let email = request.email.clone();
    let counted = match throttling::take(req, page, Subject::default()).await? {
        Ok(counted) => counted,
        Err(refused) => {
            return Refused::answer(render_form(
                page,
                sessions,
                entry,
                form,
                &refused.errors,
                None,
            ));
        }
    };
    match page
        .state()
        .booking_desk()
        .book_seen(&entry.date, Some(sessions), request, Utc::now())
        .await
    {
        Ok(booked) => Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/buchung/{}", booked.cancel_token),
            ))
            .finish()),
        Err(e) => {
            let mut errors = FieldErrors::default();
            match e {
                BookingError::TooManyPlaces => errors.add("places", "error-places-over-limit"),
                BookingError::Duplicate => {
                    let desk = page.state().booking_desk();
                    desk.after_duplicate(entry.date.date_id, email.as_ref(), Utc::now())
                        .await;
                    errors.add("email", "error-booking-duplicate");
                }
                BookingError::NotBookable(reason) => {
                    return render_form(page, sessions, entry, form, &errors, Some(reason));
                }
                BookingError::DateNotFound => return Err(WebError::NotFound),
                BookingError::Db(e) => {
                    counted.failed_on_our_side(&page.state().db).await;
                    return Err(WebError::Database(e));
                }
                other => return Err(WebError::Internal(other.into())),
            }
            render_form(page, sessions, entry, form, &errors, None)
        }
    }
}

async fn live_link(page: &Page, token: &str) -> Result<(), WebError> {
    if engine::link_is_live(&page.state().db, token).await? {
        Ok(())
    } else {
        Err(WebError::NotFound)
    }
}

pub async fn manage(page: Page, token: web::Path<String>) -> Result<HttpResponse, WebError> {
    let db = &page.state().db;
    let now = Utc::now();
    let found = engine::own_booking(db, &token, now)
        .await?
        .ok_or(WebError::NotFound)?;
    let entry = catalogue::date(db, found.date_id, now)
        .await?
        .ok_or(WebError::NotFound)?;
    let mut ctx = page.form_context();
    ctx.insert(
        "sessions",
        &catalogue::sessions_of(db, entry.date.date_id).await?,
    );
    ctx.insert("token", token.as_str());
    ctx.insert("entry", &entry);
    ctx.insert("booking_status", &found.status);
    ctx.insert("booking_name", &found.name);
    ctx.insert("booking_places", &found.places);
    ctx.insert("booking_email", &found.email);
    ctx.insert("booking_phone", &found.phone);
    ctx.insert("waiting_position", &found.waiting_position);
    ctx.insert(
        "offered_places",
        &found.open_offer.map(|(places, _)| places),
    );
    ctx.insert(
        "offer_expires_at",
        &found.open_offer.map(|(_, expires)| expires),
    );
    ctx.insert(
        "cancellable",
        &found
            .status
            .cancellable(entry.date.date_status, entry.date.starts_at, now),
    );
    page.render("booking/manage.html", &ctx)
}

fn back_to(token: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/buchung/{token}")))
        .finish()
}

pub async fn cancel(page: Page, token: web::Path<String>) -> Result<HttpResponse, WebError> {
    live_link(&page, &token).await?;
    match page.state().booking_desk().cancel(&token, Utc::now()).await {
        // The booking page shows the state as it is: cancelled, or no button once the date began.
        Ok(_)
        | Err(BookingError::AlreadyCancelled | BookingError::Begun | BookingError::DateCancelled) => {
            Ok(back_to(&token))
        }
        Err(BookingError::BookingNotFound) => Err(WebError::NotFound),
        Err(e) => Err(WebError::Internal(e.into())),
    }
}

#[derive(Deserialize)]
pub struct OfferAnswer {
    #[serde(default)]
    answer: String,
}

pub async fn answer_offer(
    page: Page,
    token: web::Path<String>,
    form: web::Form<OfferAnswer>,
) -> Result<HttpResponse, WebError> {
    live_link(&page, &token).await?;
    let accept = match form.answer.as_str() {
        "annehmen" => true,
        "ablehnen" => false,
        _ => return Ok(back_to(&token)),
    };
    match page
        .state()
        .booking_desk()
        .answer_offer(&token, accept, Utc::now())
        .await
    {
        // An expired offer simply shows the current state again.
        Ok(_) | Err(BookingError::NoOpenOffer) => Ok(back_to(&token)),
        Err(BookingError::BookingNotFound) => Err(WebError::NotFound),
        Err(e) => Err(WebError::Internal(e.into())),
    }
}

/// The person's own calendar entry, with a reminder; a cancelled booking's file withdraws it.
pub async fn ics(page: Page, token: web::Path<String>) -> Result<HttpResponse, WebError> {
    let base = page.state().settings.base_url.to_string();
    let body = engine::own_calendar(&page.state().db, &token, &base, Utc::now())
        .await?
        .ok_or(WebError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"termin.ics\"",
        ))
        .body(body))
}
