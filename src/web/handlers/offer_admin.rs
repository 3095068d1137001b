//! Back office for providers: offers, dates, participants, attendance, bookings by phone or at the
//! counter, and tasks. Scoped to the organisations the signed-in user manages.
use actix_web::{HttpResponse, http::header, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::{local, see_other};
use crate::web::notice::{Done, see_other_done};
use crate::{
    domain::{
        Email, FieldErrors, Role,
        account::CurrentUser,
        booking::{BookingRequest, Channel},
        offer::{
            DateForm, DateInput, Level, OfferForm, OfferInput, OfferKind, OfferStatus, TargetGroup,
            Topic,
        },
    },
    export::{
        spreadsheet::{CsvSheet, Numbers},
        writers::{ColumnType, WriteError},
    },
    i18n::{DateStyle, format_instant},
    policy,
    services::{
        booking::BookingError,
        catalogue,
        offer_admin::{self, OfferAdminError},
        undeliverable_mail,
    },
    web::{errors::WebError, page::Page},
};

impl From<OfferAdminError> for WebError {
    fn from(e: OfferAdminError) -> Self {
        match e {
            OfferAdminError::NotFound => WebError::NotFound,
            OfferAdminError::Db(e) => WebError::Database(e),
            refused @ OfferAdminError::Refused { .. } => WebError::Internal(refused.into()),
        }
    }
}

fn staff(page: &Page) -> Result<(CurrentUser, Option<Vec<i32>>), WebError> {
    let user = page.require(policy::can_manage_offers)?;
    let scope = policy::managed_organisations(&user);
    Ok((user, scope))
}

pub async fn list(page: Page) -> Result<HttpResponse, WebError> {
    let (_, scope) = staff(&page)?;
    let db = &page.state().db;
    let mut ctx = page.context();
    ctx.insert("offers", &offer_admin::list(db, &scope).await?);
    ctx.insert(
        "open_tasks",
        &offer_admin::open_tasks(db, &scope).await?.len(),
    );
    page.render("offer_admin/list.html", &ctx)
}

async fn offer_form_page(
    page: &Page,
    scope: &Option<Vec<i32>>,
    offer_id: Option<i32>,
    form: &OfferForm,
    organisation: &str,
    errors: &FieldErrors,
) -> Result<HttpResponse, WebError> {
    let db = &page.state().db;
    let mut ctx = page.form_context();
    let organisations = offer_admin::organisations(db, scope).await?;
    ctx.insert(
        "organisations",
        &organisations
            .iter()
            .map(|(o, _)| (o.id, o.name.clone()))
            .collect::<Vec<_>>(),
    );
    ctx.insert(
        "venues",
        &organisations
            .iter()
            .flat_map(|(o, venues)| {
                venues
                    .iter()
                    .map(move |v| (v.id, format!("{}, {} ({})", v.name, v.town, o.name)))
            })
            .collect::<Vec<_>>(),
    );
    ctx.insert(
        "topics",
        &Topic::ALL.iter().map(|t| t.key()).collect::<Vec<_>>(),
    );
    ctx.insert(
        "kinds",
        &OfferKind::ALL
            .iter()
            .map(|k| (k.key(), page.t(&format!("offer-kind-{}", k.key()))))
            .collect::<Vec<_>>(),
    );
    ctx.insert(
        "levels",
        &Level::ALL.iter().map(|l| l.key()).collect::<Vec<_>>(),
    );
    ctx.insert(
        "target_groups",
        &TargetGroup::ALL.iter().map(|g| g.key()).collect::<Vec<_>>(),
    );
    ctx.insert("form", form);
    ctx.insert("organisation", organisation);
    ctx.insert("offer_id", &offer_id);
    if let Some(id) = offer_id {
        let offer = offer_admin::offer(db, scope, id).await?;
        ctx.insert("offer_status", &offer.status);
        ctx.insert("offer_slug", &offer.slug);
        ctx.insert("offer_path", &offer.kind.page_of(&offer.slug));
        ctx.insert("offer_title", &offer.title);
        ctx.insert("dates", &offer_admin::dates(db, id).await?);
    }
    page.render_form("offer_admin/offer.html", ctx, errors)
}

pub async fn new_form(page: Page) -> Result<HttpResponse, WebError> {
    let (_, scope) = staff(&page)?;
    // Municipalities hold dialogue events, providers run courses; both can choose.
    let form = OfferForm {
        kind: if user_holds(&page, Role::MunicipalityEditor)
            && !user_holds(&page, Role::ProviderStaff)
        {
            OfferKind::Dialogue
        } else {
            OfferKind::Course
        }
        .key()
        .into(),
        level: "einsteiger".into(),
        target_group: "alle".into(),
        price: "0".into(),
        ..Default::default()
    };
    offer_form_page(&page, &scope, None, &form, "", &FieldErrors::default()).await
}

#[derive(Deserialize)]
pub struct NewOfferForm {
    #[serde(flatten)]
    offer: OfferForm,
    #[serde(default)]
    organisation: String,
}

fn user_holds(page: &Page, role: Role) -> bool {
    page.user().is_some_and(|u| u.has_role(role))
}

pub async fn create(page: Page, form: web::Form<NewOfferForm>) -> Result<HttpResponse, WebError> {
    let (user, scope) = staff(&page)?;
    let form = form.into_inner();
    let organisations = offer_admin::organisations(&page.state().db, &scope).await?;
    // With one organisation there is nothing to choose.
    let organisation_id = match organisations.as_slice() {
        [(only, _)] => Some(only.id),
        _ => form
            .organisation
            .parse::<i32>()
            .ok()
            .filter(|id| organisations.iter().any(|(o, _)| o.id == *id)),
    };
    let parsed = OfferInput::parse(&form.offer);
    let mut errors = parsed.as_ref().err().cloned().unwrap_or_default();
    if organisation_id.is_none() {
        errors.add("organisation", "error-organisation-missing");
    }
    let (Ok(input), Some(organisation_id)) = (parsed, organisation_id) else {
        return offer_form_page(
            &page,
            &scope,
            None,
            &form.offer,
            &form.organisation,
            &errors,
        )
        .await;
    };
    match offer_admin::create(&page.state().db, &scope, user.id, organisation_id, input).await {
        Ok(id) => Ok(see_other_done(
            &format!("/verwaltung/angebote/{id}"),
            Done::OfferCreated,
        )),
        Err(OfferAdminError::Refused { field, message }) => {
            let mut errors = FieldErrors::default();
            errors.add(field, message);
            offer_form_page(
                &page,
                &scope,
                None,
                &form.offer,
                &form.organisation,
                &errors,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_form(page: Page, id: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let (_, scope) = staff(&page)?;
    let form = offer_admin::offer_form(&page.state().db, &scope, *id).await?;
    offer_form_page(&page, &scope, Some(*id), &form, "", &FieldErrors::default()).await
}

pub async fn update(
    page: Page,
    id: web::Path<i32>,
    form: web::Form<OfferForm>,
) -> Result<HttpResponse, WebError> {
    let (user, scope) = staff(&page)?;
    let form = form.into_inner();
    let input = match OfferInput::parse(&form) {
        Ok(input) => input,
        Err(errors) => return offer_form_page(&page, &scope, Some(*id), &form, "", &errors).await,
    };
    match offer_admin::update(&page.state().db, &scope, user.id, *id, input).await {
        Ok(place_changed) => {
            if place_changed {
                let now = Utc::now();
                for date in offer_admin::dates(&page.state().db, *id).await? {
                    if date.starts_at > now && !date.status.is_cancelled() {
                        page.state()
                            .booking_desk()
                            .announce_change(date.id, now)
                            .await
                            .map_err(internal)?;
                    }
                }
            }
            Ok(see_other_done(
                &format!("/verwaltung/angebote/{id}"),
                Done::OfferSaved,
            ))
        }
        Err(OfferAdminError::Refused { field, message }) => {
            let mut errors = FieldErrors::default();
            errors.add(field, message);
            offer_form_page(&page, &scope, Some(*id), &form, "", &errors).await
        }
        Err(e) => Err(e.into()),
    }
}

fn internal(e: BookingError) -> WebError {
    WebError::Internal(e.into())
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    action: String,
}

pub async fn set_status(
    page: Page,
    id: web::Path<i32>,
    form: web::Form<StatusForm>,
) -> Result<HttpResponse, WebError> {
    let (user, scope) = staff(&page)?;
    let (status, done) = match form.action.as_str() {
        "veroeffentlichen" => (OfferStatus::Published, Done::OfferPublished),
        "zurueckziehen" => (OfferStatus::Draft, Done::OfferWithdrawn),
        _ => return Ok(see_other(format!("/verwaltung/angebote/{id}"))),
    };
    offer_admin::set_status(&page.state().db, &scope, user.id, *id, status).await?;
    Ok(see_other_done(&format!("/verwaltung/angebote/{id}"), done))
}

/// Cancels the whole offer: every upcoming date is cancelled (everyone booked is told) and the offer
/// leaves the catalogue.
pub async fn cancel_offer(page: Page, id: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let (user, scope) = staff(&page)?;
    let db = &page.state().db;
    offer_admin::offer(db, &scope, *id).await?;
    let now = Utc::now();
    let desk = page.state().booking_desk();
    for date in offer_admin::dates(db, *id).await? {
        if date.starts_at > now && !date.status.is_cancelled() && date.series_lead_id.is_none() {
            desk.cancel_date(date.id, now).await.map_err(internal)?;
        }
    }
    follow_dates(&page, *id).await?;
    offer_admin::set_status(db, &scope, user.id, *id, OfferStatus::Cancelled).await?;
    Ok(see_other_done(
        &format!("/verwaltung/angebote/{id}"),
        Done::OfferCancelled,
    ))
}

/// Helper sessions follow their course dates: cancelled with them, moved with them.
async fn follow_dates(page: &Page, offer_id: i32) -> Result<(), WebError> {
    let ids: Vec<i32> = offer_admin::dates(&page.state().db, offer_id)
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect();
    page.state().volunteer_desk().follow_dates(&ids).await?;
    Ok(())
}

pub async fn copy(page: Page, id: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let (user, scope) = staff(&page)?;
    let copy = offer_admin::copy(&page.state().db, &scope, user.id, *id).await?;
    Ok(see_other_done(
        &format!("/verwaltung/angebote/{copy}"),
        Done::OfferCopied,
    ))
}

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
    let mut ctx = page.form_context();
    ctx.insert("session_of", &session_of);
    ctx.insert("offer_id", &offer_id);
    ctx.insert("date_id", &date_id);
    ctx.insert("form", form);
    page.render_form("offer_admin/date_form.html", ctx, errors)
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
    let (lead, offer) = offer_admin::date(&page.state().db, &scope, *id).await?;
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
        offer.id,
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
    let (lead, offer) = offer_admin::date(&page.state().db, &scope, *id).await?;
    let mut form = form.into_inner();
    // A session shares the first date's places and rules; only its time is entered.
    form.capacity = lead.capacity.to_string();
    form.max_places = lead.max_places_per_booking.to_string();
    form.min_participants = "0".into();
    form.walk_in_places = "0".into();
    let input = match DateInput::parse(&form, Utc::now()) {
        Ok(input) => input,
        Err(errors) => {
            return session_form_page(&page, offer.id, None, Some(lead.id), &form, &errors).await;
        }
    };
    match offer_admin::add_session(&page.state().db, &scope, user.id, lead.id, input).await {
        Ok(session_id) => {
            page.state()
                .booking_desk()
                .announce_change(session_id, Utc::now())
                .await
                .map_err(internal)?;
            Ok(see_other_done(
                &format!("/verwaltung/termine/{}", lead.id),
                Done::SessionAdded,
            ))
        }
        Err(OfferAdminError::Refused { field, message }) => {
            let mut errors = FieldErrors::default();
            errors.add(field, message);
            session_form_page(&page, offer.id, None, Some(lead.id), &form, &errors).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_date_form(page: Page, id: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let (_, scope) = staff(&page)?;
    let (date, offer) = offer_admin::date(&page.state().db, &scope, *id).await?;
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
    };
    date_form_page(
        &page,
        offer.id,
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
    let (_, offer) = offer_admin::date(&page.state().db, &scope, *id).await?;
    let form = form.into_inner();
    let input = match DateInput::parse(&form, Utc::now()) {
        Ok(input) => input,
        Err(errors) => return date_form_page(&page, offer.id, Some(*id), &form, &errors).await,
    };
    match offer_admin::change_date(&page.state().db, &scope, user.id, *id, input).await {
        Ok(time_changed) => {
            let desk = page.state().booking_desk();
            if time_changed {
                desk.announce_change(*id, Utc::now())
                    .await
                    .map_err(internal)?;
                follow_dates(&page, offer.id).await?;
            }
            // More places (or fewer held for walk-ins) go to the waiting list at once.
            desk.refill(*id, Utc::now()).await.map_err(internal)?;
            let done = if time_changed {
                Done::DateMoved
            } else {
                Done::DateChanged
            };
            Ok(see_other_done(&format!("/verwaltung/termine/{id}"), done))
        }
        Err(OfferAdminError::Refused { field, message }) => {
            let mut errors = FieldErrors::default();
            errors.add(field, message);
            date_form_page(&page, offer.id, Some(*id), &form, &errors).await
        }
        Err(e) => Err(e.into()),
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

async fn date_page(
    page: &Page,
    scope: &Option<Vec<i32>>,
    date_id: i32,
    form: &StaffBookingForm,
    errors: &FieldErrors,
) -> Result<HttpResponse, WebError> {
    let db = &page.state().db;
    let (date, offer) = offer_admin::date(db, scope, date_id).await?;
    let entry = catalogue::date(db, date.id, Utc::now())
        .await?
        .ok_or(WebError::NotFound)?;
    let mut ctx = page.form_context();
    ctx.insert("entry", &entry);
    ctx.insert("offer_id", &offer.id);
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
        "helper_shifts",
        &page.state().volunteer_desk().for_date(date.id).await?,
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
    offer_admin::date(&page.state().db, &scope, *id).await?;
    let form = form.into_inner();
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
    let mut errors = FieldErrors::default();
    match page
        .state()
        .booking_desk()
        .book(*id, request, Utc::now())
        .await
    {
        Ok(booked) => {
            crate::services::audit::record(
                &page.state().db,
                Some(user.id),
                "booking.staff",
                &format!("booking:{}", booked.booking_id),
                "",
            )
            .await?;
            return Ok(see_other(format!(
                "/verwaltung/buchungen/{}/beleg",
                booked.booking_id
            )));
        }
        Err(BookingError::TooManyPlaces) => errors.add("places", "error-places-over-limit"),
        Err(BookingError::Duplicate) => errors.add("email", "error-booking-duplicate"),
        Err(BookingError::NotBookable(reason)) => errors.add("name", reason),
        Err(e) => return Err(internal(e)),
    }
    date_page(&page, &scope, *id, &form, &errors).await
}

/// A printable confirmation for a person without e-mail.
pub async fn receipt(page: Page, id: web::Path<i64>) -> Result<HttpResponse, WebError> {
    let (_, scope) = staff(&page)?;
    let db = &page.state().db;
    let booking = offer_admin::booking(db, &scope, *id).await?;
    let entry = catalogue::date(db, booking.date_id, Utc::now())
        .await?
        .ok_or(WebError::NotFound)?;
    let mut ctx = page.context();
    ctx.insert("entry", &entry);
    ctx.insert("booking_id", &booking.id);
    ctx.insert("booking_name", &booking.name);
    ctx.insert("booking_places", &booking.places);
    ctx.insert("booking_status", &booking.status);
    ctx.insert(
        "manage_url",
        &booking
            .manage_token
            .as_deref()
            .map(|t| page.state().composer().booking_link(t)),
    );
    page.render("offer_admin/receipt.html", &ctx)
}

#[derive(Deserialize, Serialize, Default)]
pub struct AddressForm {
    #[serde(default)]
    email: String,
}

async fn address_page(
    page: &Page,
    booking: &offer_admin::StaffBooking,
    form: &AddressForm,
    errors: &FieldErrors,
) -> Result<HttpResponse, WebError> {
    let db = &page.state().db;
    let undeliverable = match &booking.email {
        Some(email) => undeliverable_mail::undeliverable_among(db, vec![email.clone()])
            .await?
            .contains(email),
        None => false,
    };
    let mut ctx = page.form_context();
    ctx.insert("booking_id", &booking.id);
    ctx.insert("booking_name", &booking.name);
    ctx.insert("date_id", &booking.date_id);
    ctx.insert("current_email", &booking.email);
    ctx.insert("undeliverable", &undeliverable);
    ctx.insert("form", form);
    page.render_form("offer_admin/address.html", ctx, errors)
}

/// Correcting the e-mail address of a booking, e.g. after mail to it could not be delivered.
pub async fn address_form(page: Page, id: web::Path<i64>) -> Result<HttpResponse, WebError> {
    let (_, scope) = staff(&page)?;
    let booking = offer_admin::booking(&page.state().db, &scope, *id).await?;
    if booking.anonymised {
        return Err(WebError::NotFound);
    }
    let form = AddressForm {
        email: booking.email.clone().unwrap_or_default(),
    };
    address_page(&page, &booking, &form, &FieldErrors::default()).await
}

pub async fn correct_address(
    page: Page,
    id: web::Path<i64>,
    form: web::Form<AddressForm>,
) -> Result<HttpResponse, WebError> {
    let (user, scope) = staff(&page)?;
    let db = &page.state().db;
    let booking = offer_admin::booking(db, &scope, *id).await?;
    let form = form.into_inner();
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(message) => {
            return address_page(
                &page,
                &booking,
                &form,
                &FieldErrors::single("email", message),
            )
            .await;
        }
    };
    undeliverable_mail::correct_booking_address(db, &scope, user.id, booking.id, &email).await?;
    Ok(see_other_done(
        &format!("/verwaltung/termine/{}#teilnehmende", booking.date_id),
        Done::AddressCorrected,
    ))
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
    let value = match form.attendance.as_str() {
        "present" => Some("present"),
        "absent" => Some("absent"),
        _ => None,
    };
    offer_admin::set_attendance(&page.state().db, &scope, *id, form.booking, value).await?;
    Ok(see_other_done(
        &format!("/verwaltung/termine/{id}#teilnehmende"),
        Done::AttendanceSaved,
    ))
}

pub async fn cancel_booking(page: Page, id: web::Path<i64>) -> Result<HttpResponse, WebError> {
    let (user, scope) = staff(&page)?;
    let booking = offer_admin::booking(&page.state().db, &scope, *id).await?;
    match page
        .state()
        .booking_desk()
        .cancel_by_staff(booking.id, Utc::now())
        .await
    {
        // Only the request that cancelled is recorded; a second click changed nothing.
        Ok(_) => {
            crate::services::audit::record(
                &page.state().db,
                Some(user.id),
                "booking.cancel",
                &format!("booking:{id}"),
                "",
            )
            .await?
        }
        Err(BookingError::AlreadyCancelled) => {}
        Err(e) => return Err(internal(e)),
    }
    Ok(see_other_done(
        &format!("/verwaltung/termine/{}#teilnehmende", booking.date_id),
        Done::BookingCancelled,
    ))
}

pub async fn cancel_date(page: Page, id: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let (user, scope) = staff(&page)?;
    let (_, offer) = offer_admin::date(&page.state().db, &scope, *id).await?;
    let told = page
        .state()
        .booking_desk()
        .cancel_date(*id, Utc::now())
        .await
        .map_err(internal)?;
    follow_dates(&page, offer.id).await?;
    crate::services::audit::record(
        &page.state().db,
        Some(user.id),
        "date.cancel",
        &format!("date:{id}"),
        &format!("{told} bookings informed"),
    )
    .await?;
    Ok(see_other_done(
        &format!("/verwaltung/termine/{id}"),
        Done::DateCancelled,
    ))
}

/// A spreadsheet download that cannot be written is the portal's fault, not the person's.
pub(crate) fn sheet_error(e: WriteError) -> WebError {
    WebError::Internal(e.into())
}

/// Participant list as CSV through the shared spreadsheet writer (UTF-8 with BOM, translated headers,
/// names and contacts from public forms kept from being read as formulas).
pub async fn participants_csv(page: Page, id: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let (user, scope) = staff(&page)?;
    let db = &page.state().db;
    let (date, offer) = offer_admin::date(db, &scope, *id).await?;
    let header = [
        ("participants-csv-name", ColumnType::Text),
        ("participants-csv-phone", ColumnType::Text),
        ("participants-csv-email", ColumnType::Text),
        ("participants-csv-places", ColumnType::Integer),
        ("participants-csv-status", ColumnType::Text),
        ("participants-csv-channel", ColumnType::Text),
        ("participants-csv-attendance", ColumnType::Text),
        ("participants-csv-booked-at", ColumnType::Text),
    ];
    let mut sheet = CsvSheet::new(
        Vec::new(),
        true,
        Numbers::Local(page.language),
        header.map(|(key, kind)| (page.t(key), kind)),
    )
    .map_err(sheet_error)?;
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
        offer.slug,
        local(date.starts_at, "%Y-%m-%d")
    );
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

pub async fn tasks(page: Page) -> Result<HttpResponse, WebError> {
    let (_, scope) = staff(&page)?;
    let mut ctx = page.form_context();
    ctx.insert(
        "tasks",
        &offer_admin::open_tasks(&page.state().db, &scope).await?,
    );
    page.render("offer_admin/tasks.html", &ctx)
}

pub async fn complete_task(page: Page, id: web::Path<i64>) -> Result<HttpResponse, WebError> {
    let (user, scope) = staff(&page)?;
    offer_admin::complete_task(&page.state().db, &scope, user.id, *id).await?;
    Ok(see_other_done("/verwaltung/aufgaben", Done::TaskCompleted))
}
