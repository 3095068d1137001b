//! The page of one volunteer session, for its coordinators and the volunteers signed up for it:
//! attendance, session notes, hours, and a printable list for places without internet.
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::field_errors;
use crate::web::notice::{Done, see_other_done};
use crate::{
    domain::{
        FieldErrors,
        account::CurrentUser,
        booking::Attendance,
        form::first_value,
        offer::Topic,
        volunteering::{
            HoursForm, SessionReport, WorkedTime, attendance_open, helpers_see_participants,
        },
    },
    policy,
    services::{
        offer_admin::{self, OfferAdminError},
        volunteering::{Access, ShiftRow, VolunteeringError},
    },
    web::{
        errors::WebError,
        handlers::{local, see_other},
        page::Page,
    },
};

/// The session and what the user may do there; anyone without a part in it gets "not found".
async fn session(page: &Page, id: i32) -> Result<(CurrentUser, ShiftRow, Access), WebError> {
    let user = page.require(policy::can_open_sessions)?;
    let desk = page.state().volunteer_session();
    let shift = desk.shift(id, Some(user.id)).await?;
    let access = desk
        .access(
            &shift,
            user.id,
            &policy::managed_organisations(&user),
            policy::can_coordinate_volunteers(Some(&user)),
        )
        .await?;
    Ok((user, shift, access))
}

#[derive(Serialize, Default)]
struct ReportValues {
    head_count: String,
    walk_ins: String,
    questions: String,
    topics: Vec<String>,
    /// The stamp of the stored notes the form was filled from.
    seen: String,
}

async fn render_show(
    page: &Page,
    id: i32,
    errors: &FieldErrors,
    report_form: Option<ReportValues>,
    hours_form: Option<HoursForm>,
    template: &str,
    saved: &str,
) -> Result<HttpResponse, WebError> {
    let (user, shift, access) = session(page, id).await?;
    let desk = page.state().volunteer_session();
    let hours = page.state().volunteer_hours();
    let db = &page.state().db;
    let mut ctx = page.form_context();
    let now = Utc::now();
    let participants_shown =
        access == Access::Coordinator || helpers_see_participants(shift.starts_at, now);
    // A helper session of a course's later date records attendance at that date.
    let participants = match shift.offer_date_id {
        Some(date_id) if participants_shown => offer_admin::participants_of_date(db, date_id)
            .await?
            .into_iter()
            .filter(|p| p.status.holds_places())
            .collect(),
        _ => vec![],
    };
    let report = desk.report(id).await?;
    let report_form = report_form.unwrap_or_else(|| match &report {
        Some(r) => ReportValues {
            head_count: r.head_count.map(|n| n.to_string()).unwrap_or_default(),
            walk_ins: r.walk_ins.to_string(),
            questions: r.questions.clone(),
            topics: r.topics.clone(),
            seen: r.seen.clone(),
        },
        None => ReportValues::default(),
    });
    let own_hours = hours.hours_of(id, user.id).await?;
    let hours_form = hours_form.unwrap_or_else(|| match &own_hours {
        Some(h) => HoursForm {
            from: local(h.started_at, "%H:%M"),
            to: local(h.ended_at, "%H:%M"),
        },
        None => HoursForm {
            from: local(shift.starts_at, "%H:%M"),
            to: local(shift.ends_at, "%H:%M"),
        },
    });
    ctx.insert("access", &access);
    ctx.insert("participants_shown", &participants_shown);
    ctx.insert("attendance_open", &attendance_open(shift.starts_at, now));
    ctx.insert(
        "saved",
        &["bericht", "stunden"].contains(&saved).then_some(saved),
    );
    ctx.insert("helpers", &desk.helpers(id).await?);
    ctx.insert("participants", &participants);
    ctx.insert(
        "present",
        &participants
            .iter()
            .filter(|p| p.attendance == Some(Attendance::Present))
            .map(|p| p.places)
            .sum::<i32>(),
    );
    ctx.insert("report", &report);
    ctx.insert("report_form", &report_form);
    ctx.insert(
        "topics",
        &Topic::ALL.iter().map(|t| t.key()).collect::<Vec<_>>(),
    );
    ctx.insert(
        "own_hours",
        &own_hours.map(|h| (h.status, h.minutes, h.started_at, h.ended_at)),
    );
    ctx.insert("hours_form", &hours_form);
    if access == Access::Coordinator {
        ctx.insert("hours", &hours.hours_at(id).await?);
    }
    ctx.insert("shift", &shift);
    page.render_form(template, ctx, errors)
}

pub(super) async fn show_page(
    page: &Page,
    id: i32,
    errors: &FieldErrors,
) -> Result<HttpResponse, WebError> {
    render_show(page, id, errors, None, None, "volunteering/show.html", "").await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ShowQuery {
    gespeichert: String,
}

pub async fn show(
    page: Page,
    id: web::Path<i32>,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, WebError> {
    render_show(
        &page,
        *id,
        &FieldErrors::default(),
        None,
        None,
        "volunteering/show.html",
        &query.gespeichert,
    )
    .await
}

/// A page to print for places without internet: helpers, participants with boxes to tick, empty
/// lines for walk-ins and the session notes to fill in by hand.
pub async fn print(page: Page, id: web::Path<i32>) -> Result<HttpResponse, WebError> {
    render_show(
        &page,
        *id,
        &FieldErrors::default(),
        None,
        None,
        "volunteering/print.html",
        "",
    )
    .await
}

#[derive(Deserialize)]
pub struct AttendanceForm {
    booking: i64,
    attendance: String,
}

pub async fn attendance(
    page: Page,
    id: web::Path<i32>,
    form: web::Form<AttendanceForm>,
) -> Result<HttpResponse, WebError> {
    let (_, shift, _) = session(&page, *id).await?;
    let date_id = shift.offer_date_id.ok_or(WebError::NotFound)?;
    if shift.status.is_cancelled() {
        return show_page(
            &page,
            *id,
            &FieldErrors::single("einsatz", "error-shift-cancelled"),
        )
        .await;
    }
    if !attendance_open(shift.starts_at, Utc::now()) {
        return show_page(
            &page,
            *id,
            &FieldErrors::single("anwesenheit", "error-attendance-too-early"),
        )
        .await;
    }
    // Anything else clears the mark.
    let value = Attendance::parse(&form.attendance).ok();
    // The session's own organisation is the scope: volunteers act for it here.
    let scope = Some(vec![shift.organisation_id]);
    let marked =
        offer_admin::set_attendance(&page.state().db, &scope, date_id, form.booking, value);
    match marked.await {
        Ok(()) => {}
        Err(OfferAdminError::Refused { message, .. }) => {
            let errors = FieldErrors::single("anwesenheit", message);
            return show_page(&page, *id, &errors).await;
        }
        Err(e) => return Err(e.into()),
    }
    Ok(see_other_done(
        &format!("/verwaltung/einsaetze/{id}#anwesenheit"),
        Done::ShiftAttendanceSaved,
    ))
}

pub async fn report(
    page: Page,
    id: web::Path<i32>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let (user, shift, _) = session(&page, *id).await?;
    let fields = form.into_inner();
    let values = || {
        let value = |name: &str| first_value(&fields, name).unwrap_or_default().to_owned();
        ReportValues {
            head_count: value("head_count"),
            walk_ins: value("walk_ins"),
            questions: value("questions"),
            topics: fields
                .iter()
                .filter(|(k, _)| k == "themen")
                .map(|(_, v)| v.clone())
                .collect(),
            seen: value("seen"),
        }
    };
    // The page shows the notes form only while the session takes notes (it may have changed since
    // this one was opened): then the reason is about the session, not the figures typed in.
    let desk = page.state().volunteer_session();
    if let Err(refused) = desk.may_report(&shift, Utc::now()) {
        return render_show(
            &page,
            *id,
            &field_errors(refused, "einsatz")?,
            Some(values()),
            None,
            "volunteering/show.html",
            "",
        )
        .await;
    }
    let parsed = SessionReport::parse(&fields);
    let outcome = match parsed {
        Ok(report) => {
            desk.save_report(
                &shift,
                report,
                first_value(&fields, "seen").unwrap_or_default(),
                user.id,
                Utc::now(),
            )
            .await
        }
        Err(errors) => {
            return render_show(
                &page,
                *id,
                &errors,
                Some(values()),
                None,
                "volunteering/show.html",
                "",
            )
            .await;
        }
    };
    match outcome {
        Ok(()) => Ok(see_other(format!(
            "/verwaltung/einsaetze/{id}?gespeichert=bericht#bericht"
        ))),
        // Another helper saved meanwhile: the input stays, the stored notes are shown, and the
        // form carries their stamp, so saving again replaces them knowingly.
        Err(VolunteeringError::Changed) => {
            let stored = page.state().volunteer_session().report(*id).await?;
            let kept = ReportValues {
                seen: stored.map(|r| r.seen).unwrap_or_default(),
                ..values()
            };
            render_show(
                &page,
                *id,
                &FieldErrors::single("questions", "error-report-changed"),
                Some(kept),
                None,
                "volunteering/show.html",
                "",
            )
            .await
        }
        Err(e) => {
            render_show(
                &page,
                *id,
                &field_errors(e, "einsatz")?,
                Some(values()),
                None,
                "volunteering/show.html",
                "",
            )
            .await
        }
    }
}

pub async fn hours(
    page: Page,
    id: web::Path<i32>,
    form: web::Form<HoursForm>,
) -> Result<HttpResponse, WebError> {
    let (user, shift, _) = session(&page, *id).await?;
    let form = form.into_inner();
    let hours = page.state().volunteer_hours();
    // The page shows the form only while hours can be logged (it may have changed since): then the
    // reason is about the session, not the times typed in.
    if let Err(refused) = hours.may_log(&shift, user.id, Utc::now()).await {
        let errors = field_errors(refused, "einsatz")?;
        return render_show(
            &page,
            *id,
            &errors,
            None,
            Some(form),
            "volunteering/show.html",
            "",
        )
        .await;
    }
    let errors = match WorkedTime::parse(&form, shift.starts_at, shift.ends_at, Utc::now()) {
        Ok(worked) => match hours.log_hours(&shift, user.id, worked, Utc::now()).await {
            Ok(()) => {
                return Ok(see_other(format!(
                    "/verwaltung/einsaetze/{id}?gespeichert=stunden#stunden"
                )));
            }
            Err(e) => field_errors(e, "einsatz")?,
        },
        Err(errors) => errors,
    };
    render_show(
        &page,
        *id,
        &errors,
        None,
        Some(form),
        "volunteering/show.html",
        "",
    )
    .await
}
