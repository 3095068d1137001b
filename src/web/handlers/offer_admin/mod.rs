//! Back office for providers: offers, dates, participants, attendance, bookings by phone or at the
//! counter, and tasks. Scoped to the organisations the signed-in user manages.
//!
//! Offers and tasks here; a date's pages (forms, participants, attendance, bookings by staff) in
//! `dates`; a single booking's receipt, address and cancellation in `bookings`.
use actix_web::{HttpResponse, http::header, web};
use chrono::Utc;
use serde::Deserialize;

use super::{offer_vocabulary, see_other};
use crate::web::notice::{Done, see_other_done};
use crate::{
    domain::{
        FieldErrors, Role,
        account::CurrentUser,
        offer::{Level, OfferForm, OfferInput, OfferKind, OfferStatus},
    },
    export::{
        spreadsheet::{CsvSheet, Numbers},
        writers::{ColumnType, WriteError},
    },
    policy,
    services::{
        booking::BookingError,
        offer_admin::{self, OfferAdminError},
    },
    web::{errors::WebError, page::Page},
};

mod bookings;
mod dates;

pub use bookings::{address_form, cancel_booking, correct_address, receipt};
pub use dates::{
    add_date, add_session, attendance, cancel_date, change_date, edit_date_form, new_date_form,
    new_session_form, participants_csv, show_date, staff_booking,
};

impl From<OfferAdminError> for WebError {
    fn from(e: OfferAdminError) -> Self {
        match e {
            OfferAdminError::NotFound => WebError::NotFound,
            OfferAdminError::Db(e) => WebError::Database(e),
            other @ (OfferAdminError::Refused { .. }
            | OfferAdminError::Telling(_)
            | OfferAdminError::Changed) => WebError::Internal(other.into()),
        }
    }
}

/// A refusal to show next to its field; any other error is the page's.
fn refusal(e: OfferAdminError) -> Result<FieldErrors, WebError> {
    match e {
        OfferAdminError::Refused { field, message } => Ok(FieldErrors::single(field, message)),
        other => Err(other.into()),
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

/// A form's context with the organisations the user may create offers and sessions for, and
/// their venues.
pub(super) async fn organisation_form_context(
    page: &Page,
    scope: &Option<Vec<i32>>,
) -> Result<tera::Context, WebError> {
    let choices = offer_admin::organisations(&page.state().db, scope).await?;
    let mut ctx = page.form_context();
    ctx.insert("organisations", &choices.organisations);
    ctx.insert("venues", &choices.venues);
    Ok(ctx)
}

async fn offer_form_page(
    page: &Page,
    scope: &Option<Vec<i32>>,
    offer_id: Option<i32>,
    form: &OfferForm,
    organisation: &str,
    errors: &FieldErrors,
) -> Result<HttpResponse, WebError> {
    offer_form_page_with(page, scope, offer_id, form, organisation, errors, None).await
}

/// The offer's page with its form; `stored` is the offer as saved now, shown when it changed while
/// the form was open.
async fn offer_form_page_with(
    page: &Page,
    scope: &Option<Vec<i32>>,
    offer_id: Option<i32>,
    form: &OfferForm,
    organisation: &str,
    errors: &FieldErrors,
    stored: Option<&OfferForm>,
) -> Result<HttpResponse, WebError> {
    let db = &page.state().db;
    let mut ctx = organisation_form_context(page, scope).await?;
    ctx.insert("stored", &stored);
    offer_vocabulary(&mut ctx);
    ctx.insert(
        "kinds",
        &page.choices("offer-kind", OfferKind::ALL.iter().map(|k| k.key())),
    );
    ctx.insert(
        "levels",
        &Level::ALL.iter().map(|l| l.key()).collect::<Vec<_>>(),
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
    // With one organisation there is nothing to choose.
    let organisation_id = offer_admin::organisations(&page.state().db, &scope)
        .await?
        .chosen(&form.organisation);
    let errors = match (OfferInput::parse(&form.offer), organisation_id) {
        (Ok(input), Some(organisation_id)) => {
            let db = &page.state().db;
            match offer_admin::create(db, &scope, user.id, organisation_id, input).await {
                Ok(id) => {
                    let created = format!("/verwaltung/angebote/{id}");
                    return Ok(see_other_done(&created, Done::OfferCreated));
                }
                Err(e) => refusal(e)?,
            }
        }
        (parsed, organisation_id) => {
            let mut errors = parsed.err().unwrap_or_default();
            if organisation_id.is_none() {
                errors.add("organisation", "error-organisation-missing");
            }
            errors
        }
    };
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
    let mut form = form.into_inner();
    let input = match OfferInput::parse(&form) {
        Ok(input) => input,
        Err(errors) => return offer_form_page(&page, &scope, Some(*id), &form, "", &errors).await,
    };
    let bookings = page.state().booking_desk();
    let db = &page.state().db;
    match offer_admin::update(db, &scope, user.id, *id, input, &form.seen, &bookings).await {
        Ok(_) => Ok(see_other_done(
            &format!("/verwaltung/angebote/{id}"),
            Done::OfferSaved,
        )),
        // The person's input stays and the form carries the new stamp: saving it again is a
        // decision taken after looking at the stored offer.
        Err(OfferAdminError::Changed) => {
            let stored = offer_admin::offer_form(db, &scope, *id).await?;
            form.seen = stored.seen.clone();
            let errors = FieldErrors::single("title", "error-offer-changed");
            offer_form_page_with(&page, &scope, Some(*id), &form, "", &errors, Some(&stored)).await
        }
        Err(e) => {
            let errors = refusal(e)?;
            offer_form_page(&page, &scope, Some(*id), &form, "", &errors).await
        }
    }
}

/// A booking error staff cannot act on at a field: a database fault keeps its own page (busy,
/// maintenance), anything else is our fault.
fn booking_failure(e: BookingError) -> WebError {
    match e {
        BookingError::Db(e) => WebError::Database(e),
        e => WebError::Internal(e.into()),
    }
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
    // Each button names the state the page showed it in.
    let (shown, status, done) = match form.action.as_str() {
        "veroeffentlichen" => (
            OfferStatus::Draft,
            OfferStatus::Published,
            Done::OfferPublished,
        ),
        "zurueckziehen" => (
            OfferStatus::Published,
            OfferStatus::Draft,
            Done::OfferWithdrawn,
        ),
        "wieder-oeffnen" => (
            OfferStatus::Cancelled,
            OfferStatus::Draft,
            Done::OfferWithdrawn,
        ),
        _ => return Ok(see_other(format!("/verwaltung/angebote/{id}"))),
    };
    let db = &page.state().db;
    match offer_admin::set_status(db, &scope, user.id, *id, Some(shown), status).await {
        Ok(()) => Ok(see_other_done(&format!("/verwaltung/angebote/{id}"), done)),
        Err(e) => {
            let errors = refusal(e)?;
            let form = offer_admin::offer_form(&page.state().db, &scope, *id).await?;
            offer_form_page(&page, &scope, Some(*id), &form, "", &errors).await
        }
    }
}

/// Cancels the whole offer (see [`offer_admin::cancel_offer`]).
pub async fn cancel_offer(page: Page, id: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let (user, scope) = staff(&page)?;
    let db = &page.state().db;
    let bookings = page.state().booking_desk();
    match offer_admin::cancel_offer(db, &bookings, &scope, user.id, *id, Utc::now()).await {
        Ok(()) => Ok(see_other_done(
            &format!("/verwaltung/angebote/{id}"),
            Done::OfferCancelled,
        )),
        // The offer changed meanwhile (or dates kept being added): the page shows it as it is now.
        Err(e) => {
            let errors = refusal(e)?;
            let form = offer_admin::offer_form(db, &scope, *id).await?;
            offer_form_page(&page, &scope, Some(*id), &form, "", &errors).await
        }
    }
}

pub async fn copy(page: Page, id: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let (user, scope) = staff(&page)?;
    let copy = offer_admin::copy(&page.state().db, &scope, user.id, *id).await?;
    Ok(see_other_done(
        &format!("/verwaltung/angebote/{copy}"),
        Done::OfferCopied,
    ))
}

/// A spreadsheet download that cannot be written is the portal's fault, not the person's.
pub(crate) fn sheet_error(e: WriteError) -> WebError {
    WebError::Internal(e.into())
}

/// A CSV list for staff with these columns (message ids of their headers), in the page's language
/// and number format, with the byte order mark Excel needs to read it as UTF-8.
pub(crate) fn staff_csv<const N: usize>(
    page: &Page,
    columns: [(&str, ColumnType); N],
) -> Result<CsvSheet<Vec<u8>>, WebError> {
    CsvSheet::new(
        Vec::new(),
        true,
        Numbers::Local(page.language),
        columns.map(|(key, kind)| (page.t(key), kind)),
    )
    .map_err(sheet_error)
}

/// A finished staff CSV as a download; it holds names, so no cache keeps it.
pub(crate) fn csv_download(body: Vec<u8>, file_name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
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
