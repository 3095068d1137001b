//! One booking in the back office: the printable receipt, correcting its address, cancelling it.
use actix_web::{HttpResponse, http::StatusCode, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::{booking_failure, staff};
use crate::web::notice::{Done, see_other_done};
use crate::{
    domain::{Email, FieldErrors},
    services::{
        booking::BookingError,
        catalogue,
        offer_admin::{self},
        undeliverable_mail::{self, CorrectionError},
    },
    web::{errors::WebError, handlers::see_other, page::Page},
};

/// A printable confirmation for a person without e-mail.
pub async fn receipt(page: Page, id: web::Path<i64>) -> Result<HttpResponse, WebError> {
    let (_, scope) = staff(&page)?;
    let db = &page.state().db;
    let booking = offer_admin::booking(db, &page.state().sealer, &scope, *id).await?;
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
            .receipt_token
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
    let booking = offer_admin::booking(&page.state().db, &page.state().sealer, &scope, *id).await?;
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
    let booking = offer_admin::booking(db, &page.state().sealer, &scope, *id).await?;
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
    let back = format!("/verwaltung/termine/{}#teilnehmende", booking.date_id);
    let sealer = &page.state().sealer;
    match undeliverable_mail::correct_booking_address(
        db, sealer, &scope, user.id, booking.id, &email,
    )
    .await
    {
        Ok(_) => {}
        // Anonymised since the page was opened: said plainly, nothing stored.
        Err(CorrectionError::Anonymised) => {
            let mut answer = page.message(
                "address-anonymised-title",
                "address-anonymised-text",
                &back,
                "oa-back",
            )?;
            *answer.status_mut() = StatusCode::CONFLICT;
            return Ok(answer);
        }
        Err(CorrectionError::OfferAdmin(e)) => return Err(e.into()),
        Err(CorrectionError::Db(e)) => return Err(WebError::Database(e)),
    }
    Ok(see_other_done(&back, Done::AddressCorrected))
}

pub async fn cancel_booking(page: Page, id: web::Path<i64>) -> Result<HttpResponse, WebError> {
    let (user, scope) = staff(&page)?;
    let booking = offer_admin::booking(&page.state().db, &page.state().sealer, &scope, *id).await?;
    match page
        .state()
        .booking_desk()
        .cancel_by_staff(booking.id, user.id, Utc::now())
        .await
    {
        // A second click changed nothing.
        Ok(_) | Err(BookingError::AlreadyCancelled) => {}
        // The whole date was cancelled meanwhile: its page shows that.
        Err(BookingError::DateCancelled) => {
            return Ok(see_other(format!(
                "/verwaltung/termine/{}#teilnehmende",
                booking.date_id
            )));
        }
        Err(e) => return Err(booking_failure(e)),
    }
    Ok(see_other_done(
        &format!("/verwaltung/termine/{}#teilnehmende", booking.date_id),
        Done::BookingCancelled,
    ))
}
