//! Volunteer sessions in the back office. Coordinators (scoped to their organisations) plan sessions,
//! see coverage gaps and approve hours; the session page serves them and the volunteers signed up for
//! it: attendance, session notes, hours, and a printable list for places without internet.
use actix_web::{HttpResponse, http::header, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::{local, see_other};
use super::{offer_admin::sheet_error, proposals::district_options};
use crate::web::notice::{Done, see_other_done};
use crate::{
    domain::{
        FieldErrors,
        account::CurrentUser,
        booking::Attendance,
        offer::Topic,
        volunteering::{
            HoursForm, Month, SessionReport, ShiftForm, ShiftInput, ShiftKind, WorkedTime,
        },
    },
    export::{
        spreadsheet::{CsvSheet, Numbers},
        writers::{Cell, ColumnType},
    },
    i18n::{DateStyle, format_instant},
    policy,
    services::{
        offer_admin,
        volunteering::{Access, ShiftRow, VolunteerDesk, VolunteeringError},
    },
    web::{errors::WebError, page::Page},
};

impl From<VolunteeringError> for WebError {
    fn from(e: VolunteeringError) -> Self {
        match e {
            VolunteeringError::NotFound => WebError::NotFound,
            VolunteeringError::Db(e) => WebError::Database(e),
            other => WebError::Internal(other.into()),
        }
    }
}

fn coordinator(page: &Page) -> Result<(CurrentUser, Option<Vec<i32>>), WebError> {
    let user = page.require(policy::can_coordinate_volunteers)?;
    let scope = policy::managed_organisations(&user);
    Ok((user, scope))
}

pub async fn list(page: Page) -> Result<HttpResponse, WebError> {
    let (_, scope) = coordinator(&page)?;
    let desk = page.state().volunteer_desk();
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
    ctx.insert("pending_hours", &desk.pending_hours(&scope).await?.len());
    page.render("shifts/list.html", &ctx)
}

async fn form_page(
    page: &Page,
    scope: &Option<Vec<i32>>,
    shift_id: Option<i32>,
    form: &ShiftForm,
    errors: &FieldErrors,
) -> Result<HttpResponse, WebError> {
    let db = &page.state().db;
    let mut ctx = page.form_context();
    let organisations = offer_admin::organisations(db, scope).await?;
    ctx.insert(
        "organisations",
        &organisations
            .iter()
            .map(|(o, _)| (o.id.to_string(), o.name.clone()))
            .collect::<Vec<_>>(),
    );
    ctx.insert(
        "venues",
        &organisations
            .iter()
            .flat_map(|(o, venues)| {
                venues.iter().map(move |v| {
                    (
                        v.id.to_string(),
                        format!("{}, {} ({})", v.name, v.town, o.name),
                    )
                })
            })
            .collect::<Vec<_>>(),
    );
    ctx.insert(
        "kinds",
        &ShiftKind::ALL
            .iter()
            .map(|k| (k.key(), page.t(&format!("shift-kind-{}", k.key()))))
            .collect::<Vec<_>>(),
    );
    ctx.insert("districts", &district_options(page).await?);
    let linked_date = match form.date.trim().parse::<i32>() {
        Ok(date_id) => offer_admin::date(db, scope, date_id)
            .await
            .ok()
            .map(|(date, offer)| (date.id, offer.title, date.starts_at)),
        Err(_) => None,
    };
    ctx.insert("linked_date", &linked_date);
    ctx.insert("form", form);
    ctx.insert("shift_id", &shift_id);
    page.render_form("shifts/form.html", ctx, errors)
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
        let (date, offer) = offer_admin::date(&page.state().db, &scope, date_id).await?;
        form = ShiftForm {
            organisation: offer.organisation_id.to_string(),
            title: offer.title.clone(),
            kind: ShiftKind::CourseAssistance.key().into(),
            day: local(date.starts_at, "%Y-%m-%d"),
            start: local(date.starts_at, "%H:%M"),
            end: local(date.ends_at, "%H:%M"),
            venue: offer.venue_id.map(|v| v.to_string()).unwrap_or_default(),
            date: date.id.to_string(),
            ..form
        };
    }
    form_page(&page, &scope, None, &form, &FieldErrors::default()).await
}

/// A refusal as a message next to a field (or, for a refusal of the whole action, next to `whole`).
fn field_errors(e: VolunteeringError, whole: &'static str) -> Result<FieldErrors, WebError> {
    match e {
        VolunteeringError::Field { field, message } => Ok(FieldErrors::single(field, message)),
        VolunteeringError::Refused(message) => Ok(FieldErrors::single(whole, message)),
        other => Err(other.into()),
    }
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
        .volunteer_desk()
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
    let desk = page.state().volunteer_desk();
    let shift = coordinated(&desk, &user, &scope, *id).await?;
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
    };
    form_page(&page, &scope, Some(*id), &form, &FieldErrors::default()).await
}

pub async fn update(
    page: Page,
    id: web::Path<i32>,
    form: web::Form<ShiftForm>,
) -> Result<HttpResponse, WebError> {
    let (user, scope) = coordinator(&page)?;
    let desk = page.state().volunteer_desk();
    coordinated(&desk, &user, &scope, *id).await?;
    let form = form.into_inner();
    let input = match ShiftInput::parse(&form, Utc::now()) {
        Ok(input) => input,
        Err(errors) => return form_page(&page, &scope, Some(*id), &form, &errors).await,
    };
    match desk.update(*id, &scope, input, user.id, Utc::now()).await {
        Ok(()) => Ok(see_other_done(
            &format!("/verwaltung/einsaetze/{id}"),
            Done::ShiftSaved,
        )),
        Err(e) => form_page(&page, &scope, Some(*id), &form, &field_errors(e, "title")?).await,
    }
}

pub async fn cancel(page: Page, id: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let (user, scope) = coordinator(&page)?;
    match page
        .state()
        .volunteer_desk()
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
    desk: &VolunteerDesk,
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

/// The session and what the user may do there; anyone without a part in it gets "not found".
async fn session(page: &Page, id: i32) -> Result<(CurrentUser, ShiftRow, Access), WebError> {
    let user = page.require(policy::can_open_sessions)?;
    let desk = page.state().volunteer_desk();
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
    let desk = page.state().volunteer_desk();
    let db = &page.state().db;
    let mut ctx = page.form_context();
    // A helper session of a course's later date records attendance at that date.
    let participants = match shift.offer_date_id {
        Some(date_id) => offer_admin::participants_of_date(db, date_id)
            .await?
            .into_iter()
            .filter(|p| p.status.holds_places())
            .collect(),
        None => vec![],
    };
    let report = desk.report(id).await?;
    let report_form = report_form.unwrap_or_else(|| match &report {
        Some(r) => ReportValues {
            head_count: r.head_count.map(|n| n.to_string()).unwrap_or_default(),
            walk_ins: r.walk_ins.to_string(),
            questions: r.questions.clone(),
            topics: r.topics.clone(),
        },
        None => ReportValues::default(),
    });
    let own_hours = desk.hours_of(id, user.id).await?;
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
            .filter(|p| p.attendance.as_deref() == Some(Attendance::Present.key()))
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
        ctx.insert("hours", &desk.hours_at(id).await?);
    }
    ctx.insert("shift", &shift);
    page.render_form(template, ctx, errors)
}

async fn show_page(page: &Page, id: i32, errors: &FieldErrors) -> Result<HttpResponse, WebError> {
    render_show(page, id, errors, None, None, "shifts/show.html", "").await
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
        "shifts/show.html",
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
        "shifts/print.html",
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
    // Anything else clears the mark.
    let value = Attendance::parse(&form.attendance)
        .ok()
        .map(Attendance::key);
    // The session's own organisation is the scope: volunteers act for it here.
    offer_admin::set_attendance(
        &page.state().db,
        &Some(vec![shift.organisation_id]),
        date_id,
        form.booking,
        value,
    )
    .await?;
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
        let value = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        ReportValues {
            head_count: value("head_count"),
            walk_ins: value("walk_ins"),
            questions: value("questions"),
            topics: fields
                .iter()
                .filter(|(k, _)| k == "themen")
                .map(|(_, v)| v.clone())
                .collect(),
        }
    };
    let parsed = SessionReport::parse(&fields);
    let outcome = match parsed {
        Ok(report) => {
            page.state()
                .volunteer_desk()
                .save_report(&shift, report, user.id, Utc::now())
                .await
        }
        Err(errors) => {
            return render_show(
                &page,
                *id,
                &errors,
                Some(values()),
                None,
                "shifts/show.html",
                "",
            )
            .await;
        }
    };
    match outcome {
        Ok(()) => Ok(see_other(format!(
            "/verwaltung/einsaetze/{id}?gespeichert=bericht#bericht"
        ))),
        Err(e) => {
            render_show(
                &page,
                *id,
                &field_errors(e, "einsatz")?,
                Some(values()),
                None,
                "shifts/show.html",
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
    let errors = match WorkedTime::parse(&form, shift.starts_at, shift.ends_at, Utc::now()) {
        Ok(worked) => match page
            .state()
            .volunteer_desk()
            .log_hours(&shift, user.id, worked, Utc::now())
            .await
        {
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
        "shifts/show.html",
        "",
    )
    .await
}

#[derive(Deserialize)]
pub struct MonthQuery {
    monat: Option<String>,
}

/// The month asked for, or the current one; a malformed value is reported next to the field.
pub fn month_of(query: &MonthQuery) -> (Month, FieldErrors) {
    let mut errors = FieldErrors::default();
    let month = match query.monat.as_deref().map(str::trim) {
        None | Some("") => Month::of(Utc::now()),
        Some(raw) => errors
            .check("monat", Month::parse(raw))
            .unwrap_or_else(|| Month::of(Utc::now())),
    };
    (month, errors)
}

/// Hours waiting for approval and the month's approved hours per volunteer.
pub async fn hours_overview(
    page: Page,
    query: web::Query<MonthQuery>,
) -> Result<HttpResponse, WebError> {
    let (_, scope) = coordinator(&page)?;
    render_hours_overview(&page, &scope, &query, FieldErrors::default()).await
}

async fn render_hours_overview(
    page: &Page,
    scope: &Option<Vec<i32>>,
    query: &MonthQuery,
    mut errors: FieldErrors,
) -> Result<HttpResponse, WebError> {
    let desk = page.state().volunteer_desk();
    let (month, month_errors) = month_of(query);
    for e in month_errors.iter() {
        errors.add(e.field, e.message);
    }
    let mut ctx = page.form_context();
    ctx.insert("pending", &desk.pending_hours(scope).await?);
    ctx.insert("summaries", &desk.month(month, scope, None).await?);
    ctx.insert("month", &month.key());
    ctx.insert(
        "monat_value",
        &query.monat.clone().unwrap_or_else(|| month.key()),
    );
    page.render_form("shifts/hours.html", ctx, &errors)
}

#[derive(Deserialize)]
pub struct DecisionForm {
    decision: String,
}

pub async fn decide_hours(
    page: Page,
    id: web::Path<i64>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, WebError> {
    let (user, scope) = coordinator(&page)?;
    let approve = match form.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(WebError::NotFound),
    };
    match page
        .state()
        .volunteer_desk()
        .decide_hours(*id, &scope, approve, user.id, Utc::now())
        .await
    {
        Ok(_) => Ok(see_other_done("/verwaltung/stunden", Done::HoursDecided)),
        Err(VolunteeringError::Refused(reason)) => {
            let query = MonthQuery { monat: None };
            render_hours_overview(&page, &scope, &query, FieldErrors::single("offen", reason)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Printable monthly summary of one volunteer's approved hours at the coordinator's organisations.
pub async fn month_sheet(
    page: Page,
    person: web::Path<i32>,
    query: web::Query<MonthQuery>,
) -> Result<HttpResponse, WebError> {
    let (_, scope) = coordinator(&page)?;
    render_month_sheet(&page, &scope, *person, &query, false).await
}

pub async fn render_month_sheet(
    page: &Page,
    scope: &Option<Vec<i32>>,
    person: i32,
    query: &MonthQuery,
    own: bool,
) -> Result<HttpResponse, WebError> {
    let (month, errors) = month_of(query);
    let summary = page
        .state()
        .volunteer_desk()
        .month(month, scope, Some(person))
        .await?
        .pop();
    let mut ctx = page.form_context();
    ctx.insert("summary", &summary);
    ctx.insert("month", &month.key());
    ctx.insert(
        "monat_value",
        &query.monat.clone().unwrap_or_else(|| month.key()),
    );
    ctx.insert("person", &person);
    ctx.insert("own", &own);
    page.render_form("shifts/month.html", ctx, &errors)
}

/// The month's approved hours as CSV: one line per session, for the volunteer year's paperwork.
pub async fn hours_csv(
    page: Page,
    query: web::Query<MonthQuery>,
) -> Result<HttpResponse, WebError> {
    let (_, scope) = coordinator(&page)?;
    month_csv(&page, &scope, None, &query).await
}

pub async fn month_csv(
    page: &Page,
    scope: &Option<Vec<i32>>,
    only: Option<i32>,
    query: &MonthQuery,
) -> Result<HttpResponse, WebError> {
    let (month, errors) = month_of(query);
    if !errors.is_empty() {
        return Err(WebError::NotFound);
    }
    let summaries = page
        .state()
        .volunteer_desk()
        .month(month, scope, only)
        .await?;
    let header = [
        ("hours-csv-volunteer", ColumnType::Text),
        ("hours-csv-day", ColumnType::Text),
        ("hours-csv-from", ColumnType::Text),
        ("hours-csv-to", ColumnType::Text),
        ("hours-csv-hours", ColumnType::Decimal(2)),
        ("hours-csv-session", ColumnType::Text),
        ("hours-csv-organisation", ColumnType::Text),
    ];
    let mut sheet = CsvSheet::new(
        Vec::new(),
        true,
        Numbers::Local(page.language),
        header.map(|(key, kind)| (page.t(key), kind)),
    )
    .map_err(sheet_error)?;
    for summary in &summaries {
        for line in &summary.lines {
            sheet
                .write_row(&[
                    line.volunteer.as_str().into(),
                    format_instant(line.started_at, page.language, DateStyle::Short).into(),
                    format_instant(line.started_at, page.language, DateStyle::Time).into(),
                    format_instant(line.ended_at, page.language, DateStyle::Time).into(),
                    Cell::Decimal(line.hours),
                    line.shift_title.as_str().into(),
                    line.organisation_name.as_str().into(),
                ])
                .map_err(sheet_error)?;
        }
    }
    let body = sheet.into_inner().map_err(sheet_error)?;
    // Volunteers' names and hours leave the portal with this file.
    crate::services::audit::record(
        &page.state().db,
        page.user().map(|u| u.id),
        "hours.downloaded",
        &format!("hours:{}", month.key()),
        &only.map_or_else(|| "all".to_owned(), |id| format!("user:{id}")),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"stunden-{}.csv\"", month.key()),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}
