//! Volunteer sessions in the back office: coordinators (scoped to their organisations) list their
//! sessions and coverage gaps, and create, change and cancel sessions.
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;

use super::{coordinator, field_errors, session::show_page};
use crate::web::notice::{Done, see_other_done};
use crate::{
    domain::{
        FieldErrors,
        account::CurrentUser,
        volunteering::{ShiftForm, ShiftInput, ShiftKind},
    },
    services::{
        offer_admin,
        volunteering::{Access, SessionDesk, ShiftRow, VolunteeringError},
    },
    web::{
        errors::WebError,
        handlers::{local, offer_admin::organisation_form_context, proposals::district_options},
        page::Page,
    },
};

pub async fn list(page: Page) -> Result<HttpResponse, WebError> {
    let (_, scope) = coordinator(&page)?;
    let desk = page.state().volunteer_planning();
    let now = Utc::now();
    let mut ctx = page.context();
    ctx.insert("gaps", &desk.gaps(&scope, now).await?);
    let (upcoming, past): (Vec<ShiftRow>, Vec<ShiftRow>) = desk
        .for_coordinator(&scope, now)
        .await?
        .into_iter()
        .partition(|s| s.ends_at > now);
    ctx.insert("upcoming", &upcoming);
    ctx.insert("past", &past);
    let pending = page.state().volunteer_hours().pending_hours(&scope).await?;
    ctx.insert("pending_hours", &pending.len());
    page.render("volunteering/list.html", &ctx)
}

async fn form_page(
    page: &Page,
    scope: &Option<Vec<i32>>,
    shift_id: Option<i32>,
    form: &ShiftForm,
    errors: &FieldErrors,
) -> Result<HttpResponse, WebError> {
    form_page_with(page, scope, shift_id, form, errors, None).await
}

/// The form; `stored` is the session as saved now, shown when it changed while the form was open.
async fn form_page_with(
    page: &Page,
    scope: &Option<Vec<i32>>,
    shift_id: Option<i32>,
    form: &ShiftForm,
    errors: &FieldErrors,
    stored: Option<&ShiftRow>,
) -> Result<HttpResponse, WebError> {
    let db = &page.state().db;
    let mut ctx = organisation_form_context(page, scope).await?;
    ctx.insert(
        "kinds",
        &page.choices("shift-kind", ShiftKind::ALL.iter().map(|k| k.key())),
    );
    ctx.insert("districts", &district_options(page).await?);
    let linked_date = match form.date.trim().parse::<i32>() {
        Ok(date_id) => offer_admin::date(db, scope, date_id)
            .await
            .ok()
            .map(|date| (date.id, date.offer_title, date.starts_at)),
        Err(_) => None,
    };
    ctx.insert("linked_date", &linked_date);
    ctx.insert("form", form);
    ctx.insert("shift_id", &shift_id);
    ctx.insert("stored", &stored);
    page.render_form("volunteering/form.html", ctx, errors)
}

#[derive(Deserialize)]
pub struct NewQuery {
    termin: Option<i32>,
}

/// A new session; from a course date (`?termin=`) it is prefilled as course assistance at its time and place.
pub async fn new_form(page: Page, query: web::Query<NewQuery>) -> Result<HttpResponse, WebError> {
    let (_, scope) = coordinator(&page)?;
    let mut form = ShiftForm {
        volunteers_needed: "1".into(),
        ..Default::default()
    };
    if let Some(date_id) = query.termin {
        let date = offer_admin::date(&page.state().db, &scope, date_id).await?;
        form = ShiftForm {
            organisation: date.organisation_id.to_string(),
            title: date.offer_title.clone(),
            kind: ShiftKind::CourseAssistance.key().into(),
            day: local(date.starts_at, "%Y-%m-%d"),
            start: local(date.starts_at, "%H:%M"),
            end: local(date.ends_at, "%H:%M"),
            venue: date.venue_id.map(|v| v.to_string()).unwrap_or_default(),
            date: date.id.to_string(),
            ..form
        };
    }
    form_page(&page, &scope, None, &form, &FieldErrors::default()).await
}

pub async fn create(page: Page, form: web::Form<ShiftForm>) -> Result<HttpResponse, WebError> {
    let (user, scope) = coordinator(&page)?;
    let form = form.into_inner();
    let input = match ShiftInput::parse(&form, Utc::now()) {
        Ok(input) => input,
        Err(errors) => return form_page(&page, &scope, None, &form, &errors).await,
    };
    match page
        .state()
        .volunteer_planning()
        .create(&scope, input, user.id, Utc::now())
        .await
    {
        Ok(id) => Ok(see_other_done(
            &format!("/verwaltung/einsaetze/{id}"),
            Done::ShiftCreated,
        )),
        Err(e) => form_page(&page, &scope, None, &form, &field_errors(e, "title")?).await,
    }
}

pub async fn edit_form(page: Page, id: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let (user, scope) = coordinator(&page)?;
    let sessions = page.state().volunteer_session();
    let shift = coordinated(&sessions, &user, &scope, *id).await?;
    let form = ShiftForm {
        organisation: shift.organisation_id.to_string(),
        title: shift.title.clone(),
        kind: shift.kind.key().into(),
        day: local(shift.starts_at, "%Y-%m-%d"),
        start: local(shift.starts_at, "%H:%M"),
        end: local(shift.ends_at, "%H:%M"),
        venue: shift.venue_id.map(|v| v.to_string()).unwrap_or_default(),
        place: shift.place_detail.clone(),
        district: if shift.venue_id.is_some() {
            String::new()
        } else {
            shift.district_key.clone()
        },
        volunteers_needed: shift.volunteers_needed.to_string(),
        participants_per_helper: shift
            .participants_per_helper
            .map(|n| n.to_string())
            .unwrap_or_default(),
        skills: shift.skills.clone(),
        date: shift
            .offer_date_id
            .map(|d| d.to_string())
            .unwrap_or_default(),
        seen: shift.seen.clone(),
    };
    form_page(&page, &scope, Some(*id), &form, &FieldErrors::default()).await
}

pub async fn update(
    page: Page,
    id: web::Path<i32>,
    form: web::Form<ShiftForm>,
) -> Result<HttpResponse, WebError> {
    let (user, scope) = coordinator(&page)?;
    let sessions = page.state().volunteer_session();
    coordinated(&sessions, &user, &scope, *id).await?;
    let mut form = form.into_inner();
    let input = match ShiftInput::parse(&form, Utc::now()) {
        Ok(input) => input,
        Err(errors) => return form_page(&page, &scope, Some(*id), &form, &errors).await,
    };
    match page
        .state()
        .volunteer_planning()
        .update(*id, &scope, input, &form.seen, user.id, Utc::now())
        .await
    {
        Ok(()) => Ok(see_other_done(
            &format!("/verwaltung/einsaetze/{id}"),
            Done::ShiftSaved,
        )),
        // The person's input stays; the form now carries the new stamp, so saving it again is a
        // decision taken with the stored session in view.
        Err(VolunteeringError::Changed) => {
            let stored = coordinated(&sessions, &user, &scope, *id).await?;
            form.seen = stored.seen.clone();
            let errors = FieldErrors::single("day", "error-shift-changed");
            form_page_with(&page, &scope, Some(*id), &form, &errors, Some(&stored)).await
        }
        Err(e) => form_page(&page, &scope, Some(*id), &form, &field_errors(e, "title")?).await,
    }
}

pub async fn cancel(page: Page, id: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let (user, scope) = coordinator(&page)?;
    match page
        .state()
        .volunteer_planning()
        .cancel(*id, &scope, user.id, Utc::now())
        .await
    {
        Ok(_) => Ok(see_other_done(
            &format!("/verwaltung/einsaetze/{id}"),
            Done::ShiftCancelled,
        )),
        Err(VolunteeringError::Refused(reason)) => {
            show_page(&page, *id, &FieldErrors::single("einsatz", reason)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A session of the coordinator's organisations.
async fn coordinated(
    desk: &SessionDesk,
    user: &CurrentUser,
    scope: &Option<Vec<i32>>,
    id: i32,
) -> Result<ShiftRow, WebError> {
    let shift = desk.shift(id, Some(user.id)).await?;
    match desk.access(&shift, user.id, scope, true).await? {
        Access::Coordinator => Ok(shift),
        Access::Volunteer => Err(WebError::NotFound),
    }
}
