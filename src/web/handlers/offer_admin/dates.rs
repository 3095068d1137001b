//! A date's pages in the back office: adding and changing dates and sessions, the date with its
//! participants, bookings by staff, attendance, cancelling, the participant list as CSV.
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;

use super::{booking_failure, csv_download, refusal, sheet_error, staff, staff_csv};
use crate::web::handlers::{local, see_other};
use crate::web::notice::{Done, see_other_done};
use crate::{
    domain::{
        FieldErrors,
        booking::Attendance,
        booking::{BookingRequest, Channel},
        offer::{DateForm, DateInput},
    },
    export::writers::ColumnType,
    i18n::{DateStyle, format_instant},
    services::{
        booking::BookingError,
        catalogue,
        offer_admin::{self, MoveFollowers, OfferAdminError},
    },
    web::{errors::WebError, page::Page},
};

async fn date_form_page(
    page: &Page,
    offer_id: i32,
    date_id: Option<i32>,
    form: &DateForm,
    errors: &FieldErrors,
) -> Result<HttpResponse, WebError> {
    session_form_page(page, offer_id, date_id, None, form, errors).await
}

async fn session_form_page(
    page: &Page,
    offer_id: i32,
    date_id: Option<i32>,
    session_of: Option<i32>,
    form: &DateForm,
    errors: &FieldErrors,
) -> Result<HttpResponse, WebError> {
    date_form_page_with(page, offer_id, date_id, session_of, form, errors, None).await
}

/// The form; `stored` is the date as saved now, shown when it changed while the form was open.
async fn date_form_page_with(
    page: &Page,
    offer_id: i32,
    date_id: Option<i32>,
    session_of: Option<i32>,
    form: &DateForm,
    errors: &FieldErrors,
    stored: Option<&offer_admin::ManagedDate>,
) -> Result<HttpResponse, WebError> {
    let mut ctx = page.form_context();
    ctx.insert("session_of", &session_of);
    ctx.insert("offer_id", &offer_id);
    ctx.insert("date_id", &date_id);
    ctx.insert("form", form);
    ctx.insert("stored", &stored);
    page.render_form("offer_admin/date_form.html", ctx, errors)
}

/// The edit form again after the date changed while it was open: the person's input stays, the
/// stored date is shown above it, and the form carries the new stamp, so saving it again is a
/// decision taken with the stored date in view.
async fn changed_date_form_page(
    page: &Page,
    stored: &offer_admin::ManagedDate,
    mut form: DateForm,
) -> Result<HttpResponse, WebError> {
    form.seen = stored.seen.clone();
    let errors = FieldErrors::single("day", "error-date-changed");
    let (offer_id, date_id) = (stored.offer_id, Some(stored.id));
    date_form_page_with(page, offer_id, date_id, None, &form, &errors, Some(stored)).await
}

pub async fn new_date_form(page: Page, id: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let (_, scope) = staff(&page)?;
    offer_admin::offer(&page.state().db, &scope, *id).await?;
    let form = DateForm {
        start: "10:00".into(),
        end: "11:30".into(),
        capacity: "10".into(),
        max_places: "2".into(),
        min_participants: "0".into(),
        walk_in_places: "0".into(),
        ..Default::default()
    };
    date_form_page(&page, *id, None, &form, &FieldErrors::default()).await
}

pub async fn add_date(
    page: Page,
    id: web::Path<i32>,
    form: web::Form<DateForm>,
) -> Result<HttpResponse, WebError> {
    let (user, scope) = staff(&page)?;
    offer_admin::offer(&page.state().db, &scope, *id).await?;
    let form = form.into_inner();
    match DateInput::parse(&form, Utc::now()) {
        Ok(input) => {
            let date_id =
                offer_admin::add_date(&page.state().db, &scope, user.id, *id, input).await?;
            Ok(see_other_done(
                &format!("/verwaltung/termine/{date_id}"),
                Done::DateAdded,
            ))
        }
        Err(errors) => date_form_page(&page, *id, None, &form, &errors).await,
    }
}

pub async fn new_session_form(page: Page, id: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let (_, scope) = staff(&page)?;
    let lead = offer_admin::date(&page.state().db, &scope, *id).await?;
    if lead.series_lead_id.is_some() || lead.status.is_cancelled() {
        return Err(WebError::NotFound);
    }
    let form = DateForm {
        day: local(lead.starts_at + chrono::Duration::days(7), "%Y-%m-%d"),
        start: local(lead.starts_at, "%H:%M"),
        end: local(lead.ends_at, "%H:%M"),
        ..Default::default()
    };
    session_form_page(
        &page,
        lead.offer_id,
        None,
        Some(lead.id),
        &form,
        &FieldErrors::default(),
    )
    .await
}

pub async fn add_session(
    page: Page,
    id: web::Path<i32>,
    form: web::Form<DateForm>,
) -> Result<HttpResponse, WebError> {
    let (user, scope) = staff(&page)?;
    let lead = offer_admin::date(&page.state().db, &scope, *id).await?;
    let mut form = form.into_inner();
    // A session shares the first date's places and rules; only its time is entered.
    form.capacity = lead.capacity.to_string();
    form.max_places = lead.max_places_per_booking.to_string();
    form.min_participants = "0".into();
    form.walk_in_places = "0".into();
    let input = match DateInput::parse(&form, Utc::now()) {
        Ok(input) => input,
        Err(errors) => {
            return session_form_page(&page, lead.offer_id, None, Some(lead.id), &form, &errors)
                .await;
        }
    };
    let bookings = page.state().booking_desk();
    match offer_admin::add_session(&page.state().db, &scope, user.id, lead.id, input, &bookings)
        .await
    {
        Ok(_) => Ok(see_other_done(
            &format!("/verwaltung/termine/{}", lead.id),
            Done::SessionAdded,
        )),
        Err(e) => {
            let errors = refusal(e)?;
            session_form_page(&page, lead.offer_id, None, Some(lead.id), &form, &errors).await
        }
    }
}

pub async fn edit_date_form(page: Page, id: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let (_, scope) = staff(&page)?;
    let date = offer_admin::date(&page.state().db, &scope, *id).await?;
    if date.status.is_cancelled() || date.starts_at <= Utc::now() {
        return Ok(see_other(format!("/verwaltung/termine/{id}")));
    }
    let form = DateForm {
        day: local(date.starts_at, "%Y-%m-%d"),
        start: local(date.starts_at, "%H:%M"),
        end: local(date.ends_at, "%H:%M"),
        capacity: date.capacity.to_string(),
        max_places: date.max_places_per_booking.to_string(),
        min_participants: date.min_participants.to_string(),
        walk_in_places: date.walk_in_places.to_string(),
        seen: date.seen.clone(),
    };
    date_form_page(
        &page,
        date.offer_id,
        Some(date.id),
        &form,
        &FieldErrors::default(),
    )
    .await
}

pub async fn change_date(
    page: Page,
    id: web::Path<i32>,
    form: web::Form<DateForm>,
) -> Result<HttpResponse, WebError> {
    let (user, scope) = staff(&page)?;
    let date = offer_admin::date(&page.state().db, &scope, *id).await?;
    let form = form.into_inner();
    let input = match DateInput::parse(&form, Utc::now()) {
        Ok(input) => input,
        Err(errors) => {
            return date_form_page(&page, date.offer_id, Some(*id), &form, &errors).await;
        }
    };
    let desk = page.state().booking_desk();
    let followers = MoveFollowers {
        bookings: &desk,
        helpers: &page.state().volunteer_planning(),
    };
    let changed = offer_admin::change_date(
        &page.state().db,
        &scope,
        user.id,
        *id,
        input,
        &form.seen,
        followers,
    )
    .await;
    match changed {
        Ok(time_changed) => {
            let done = if time_changed {
                Done::DateMoved
            } else {
                Done::DateChanged
            };
            Ok(see_other_done(&format!("/verwaltung/termine/{id}"), done))
        }
        Err(OfferAdminError::Changed) => {
            let stored = offer_admin::date(&page.state().db, &scope, *id).await?;
            changed_date_form_page(&page, &stored, form).await
        }
        Err(e) => {
            let errors = refusal(e)?;
            date_form_page(&page, date.offer_id, Some(*id), &form, &errors).await
        }
    }
}

#[derive(Deserialize, serde::Serialize, Default)]
#[serde(default)]
pub struct StaffBookingForm {
    name: String,
    phone: String,
    email: String,
    places: String,
}

/// Why a date takes no booking by staff, if it does not: it was cancelled, has begun, or is a later
/// session of a course (people book its first date). Its page shows the booking form only otherwise.
fn staff_booking_refused(
    date: &offer_admin::ManagedDate,
    now: chrono::DateTime<Utc>,
) -> Option<&'static str> {
    if date.status.is_cancelled() {
        Some("error-booking-cancelled")
    } else if date.starts_at <= now {
        Some("error-booking-past")
    } else if date.series_lead_id.is_some() {
        Some("error-booking-session")
    } else {
        None
    }
}

async fn date_page(
    page: &Page,
    scope: &Option<Vec<i32>>,
    date_id: i32,
    form: &StaffBookingForm,
    errors: &FieldErrors,
) -> Result<HttpResponse, WebError> {
    let db = &page.state().db;
    let date = offer_admin::date(db, scope, date_id).await?;
    let entry = catalogue::date(db, date.id, Utc::now())
        .await?
        .ok_or(WebError::NotFound)?;
    let mut ctx = page.form_context();
    ctx.insert("entry", &entry);
    ctx.insert("offer_id", &date.offer_id);
    ctx.insert(
        "participants",
        // The sessions of a course booked as a whole share the first date's participants; each
        // session has its own attendance.
        &offer_admin::participants_at(db, &date).await?,
    );
    ctx.insert(
        "attendance_by_session",
        &offer_admin::attendance_by_session(db, &date).await?,
    );
    ctx.insert("series_lead_id", &date.series_lead_id);
    ctx.insert("sessions", &catalogue::sessions_of(db, date.id).await?);
    ctx.insert("past", &(date.starts_at <= Utc::now()));
    ctx.insert(
        "staff_booking_refused",
        &staff_booking_refused(&date, Utc::now()),
    );
    ctx.insert(
        "helper_shifts",
        &page.state().volunteer_planning().for_date(date.id).await?,
    );
    ctx.insert("form", form);
    page.render_form("offer_admin/date.html", ctx, errors)
}

pub async fn show_date(page: Page, id: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let (_, scope) = staff(&page)?;
    let form = StaffBookingForm {
        places: "1".into(),
        ..Default::default()
    };
    date_page(&page, &scope, *id, &form, &FieldErrors::default()).await
}

/// A booking for a person who called or came to the counter; a phone number is enough.
pub async fn staff_booking(
    page: Page,
    id: web::Path<i32>,
    form: web::Form<StaffBookingForm>,
) -> Result<HttpResponse, WebError> {
    let (user, scope) = staff(&page)?;
    let date = offer_admin::date(&page.state().db, &scope, *id).await?;
    let form = form.into_inner();
    // The page shows no booking form then (it may have changed since this one was opened): the
    // reason stands above it, not at a field that is not there.
    if let Some(reason) = staff_booking_refused(&date, Utc::now()) {
        return date_page(&page, &scope, *id, &form, &FieldErrors::single("", reason)).await;
    }
    let mut request = match BookingRequest::parse(
        &form.name,
        &form.email,
        &form.phone,
        &form.places,
        Channel::Staff,
    ) {
        Ok(request) => request,
        Err(errors) => return date_page(&page, &scope, *id, &form, &errors).await,
    };
    request.language = page.language;
    request.taken_by_staff = Some(user.id);
    let mut errors = FieldErrors::default();
    match page
        .state()
        .booking_desk()
        .book(*id, request, Utc::now())
        .await
    {
        Ok(booked) => {
            return Ok(see_other(format!(
                "/verwaltung/buchungen/{}/beleg",
                booked.booking_id
            )));
        }
        Err(BookingError::TooManyPlaces) => errors.add("places", "error-places-over-limit"),
        Err(BookingError::Duplicate) => errors.add("email", "error-booking-duplicate-staff"),
        // About the date, not a field (the offer withdrawn, booking closed meanwhile).
        Err(BookingError::NotBookable(reason)) => errors.add("", reason),
        Err(e) => return Err(booking_failure(e)),
    }
    date_page(&page, &scope, *id, &form, &errors).await
}

#[derive(Deserialize)]
pub struct AttendanceForm {
    booking: i64,
    #[serde(default)]
    attendance: String,
}

pub async fn attendance(
    page: Page,
    id: web::Path<i32>,
    form: web::Form<AttendanceForm>,
) -> Result<HttpResponse, WebError> {
    let (_, scope) = staff(&page)?;
    // Anything else clears the mark.
    let value = Attendance::parse(&form.attendance).ok();
    let marked = offer_admin::set_attendance(&page.state().db, &scope, *id, form.booking, value);
    if let Err(e) = marked.await {
        let errors = refusal(e)?;
        return date_page(&page, &scope, *id, &StaffBookingForm::default(), &errors).await;
    }
    Ok(see_other_done(
        &format!("/verwaltung/termine/{id}#teilnehmende"),
        Done::AttendanceSaved,
    ))
}

pub async fn cancel_date(page: Page, id: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let (user, scope) = staff(&page)?;
    offer_admin::date(&page.state().db, &scope, *id).await?;
    // The date's helper sessions ahead and the audit entry go in the same transaction.
    match page
        .state()
        .booking_desk()
        .cancel_date(*id, Utc::now(), Some(user.id))
        .await
    {
        Ok(_) => {}
        // The button is gone once the date began; a page opened before still shows it.
        Err(BookingError::Begun) => {
            let mut answer = page.message(
                "oa-date-begun-title",
                "oa-date-begun-text",
                &format!("/verwaltung/termine/{id}"),
                "oa-back",
            )?;
            *answer.status_mut() = actix_web::http::StatusCode::CONFLICT;
            return Ok(answer);
        }
        Err(e) => return Err(booking_failure(e)),
    }
    Ok(see_other_done(
        &format!("/verwaltung/termine/{id}"),
        Done::DateCancelled,
    ))
}

/// Participant list as CSV through the shared spreadsheet writer (UTF-8 with BOM, translated headers,
/// names and contacts from public forms kept from being read as formulas).
pub async fn participants_csv(page: Page, id: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let (user, scope) = staff(&page)?;
    let db = &page.state().db;
    let date = offer_admin::date(db, &scope, *id).await?;
    let mut sheet = staff_csv(
        &page,
        [
            ("participants-csv-name", ColumnType::Text),
            ("participants-csv-phone", ColumnType::Text),
            ("participants-csv-email", ColumnType::Text),
            ("participants-csv-places", ColumnType::Integer),
            ("participants-csv-status", ColumnType::Text),
            ("participants-csv-channel", ColumnType::Text),
            ("participants-csv-attendance", ColumnType::Text),
            ("participants-csv-booked-at", ColumnType::Text),
        ],
    )?;
    let participants = offer_admin::participants_at(db, &date).await?;
    let rows = participants.len();
    for p in participants {
        let booked = format!(
            "{} {}",
            format_instant(p.created_at, page.language, DateStyle::Short),
            format_instant(p.created_at, page.language, DateStyle::Time)
        );
        sheet
            .write_row(&[
                p.name.into(),
                p.phone.into(),
                p.email.into(),
                p.places.into(),
                page.t(&format!("booking-status-{}", p.status)).into(),
                page.t(&format!("channel-{}", p.channel)).into(),
                p.attendance
                    .map(|a| page.t(&format!("attendance-{a}")))
                    .into(),
                booked.into(),
            ])
            .map_err(sheet_error)?;
    }
    let body = sheet.into_inner().map_err(sheet_error)?;
    // Names and contacts leave the portal with this file.
    crate::services::audit::record(
        db,
        Some(user.id),
        "participants.downloaded",
        &format!("date:{}", date.id),
        &format!("{rows} rows"),
    )
    .await?;
    let file = format!(
        "teilnehmende-{}-{}.csv",
        date.offer_slug,
        local(date.starts_at, "%Y-%m-%d")
    );
    Ok(csv_download(body, &file))
}
