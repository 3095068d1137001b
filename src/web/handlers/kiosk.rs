//! Kiosk pages for terminals in Probierläden: a simplified, touch-first portal under `/kiosk` with
//! its own layout. Nothing personal stays on the terminal: every answer is `no-store`, the kiosk's
//! session ends after each completed action and on the start page, and a booking receipt is shown once.
use std::{future::Future, pin::Pin};

use actix_web::{
    FromRequest, HttpRequest, HttpResponse,
    body::MessageBody,
    cookie::{Cookie, SameSite, time::Duration as CookieDuration},
    dev::{Payload, ServiceRequest, ServiceResponse},
    error::InternalError,
    http::header,
    middleware::Next,
    web,
};
use chrono::{Days, Utc};
use serde::{Deserialize, Serialize};

use super::see_other;
use crate::{
    domain::{
        DistrictKey, FieldErrors,
        booking::{BookingRequest, Channel},
        feedback::FeedbackInput,
        form::first_value,
        offer::{CatalogueFilter, OfferKind, TargetGroup, Topic},
        proposal::{ProposalEntry, ProposalForm},
    },
    services::{
        booking::BookingError,
        catalogue,
        kiosk::{self, Action, KioskError, Paired, Standing},
        proposals::Submitter,
        reference,
    },
    web::{
        errors::WebError,
        handlers::{
            feedback::qr_svg,
            proposals::{category_options, form_errors},
        },
        language,
        page::Page,
        throttling::{self, Refused, Subject},
    },
};

pub const TERMINAL_COOKIE: &str = "teilhabe_terminal";

/// Whether `path` is one of the kiosk terminal's pages.
pub fn is_kiosk_path(path: &str) -> bool {
    path == "/kiosk" || path.starts_with("/kiosk/")
}

/// `Cache-Control: no-store` on every answer under `/kiosk`, error pages included, so neither the
/// browser cache nor the back button keeps what the previous person saw.
pub async fn no_store(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let kiosk = is_kiosk_path(req.path());
    let mut res = next.call(req).await?;
    if kiosk {
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
    }
    Ok(res)
}

async fn standing(req: &HttpRequest, page: &Page) -> Result<Standing, WebError> {
    let Some(cookie) = req.cookie(TERMINAL_COOKIE) else {
        return Ok(Standing::Unpaired);
    };
    Ok(kiosk::standing(&page.state().db, cookie.value()).await?)
}

/// The paired terminal, or `None` when the page should send the browser to the start page.
async fn paired(req: &HttpRequest, page: &Page) -> Result<Option<Paired>, WebError> {
    Ok(match standing(req, page).await? {
        Standing::Paired(kiosk) => Some(*kiosk),
        _ => None,
    })
}

fn to_start() -> HttpResponse {
    see_other("/kiosk")
}

/// The paired terminal a kiosk page runs on. It is taken after the page's other inputs; any other
/// browser is sent to the start page, where a terminal is paired, before the handler runs.
pub struct Terminal(Paired);

impl FromRequest for Terminal {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let page = Page::from_request(&req)?;
            match paired(&req, &page).await? {
                Some(kiosk) => Ok(Terminal(kiosk)),
                None => Err(InternalError::from_response("no paired terminal", to_start()).into()),
            }
        })
    }
}

/// The context every kiosk page needs: the idle time for the timer and the meta refresh.
fn context(page: &Page, kiosk: Option<&Paired>, with_form: bool) -> tera::Context {
    let mut ctx = if with_form {
        page.form_context()
    } else {
        page.context()
    };
    ctx.insert("idle_seconds", &page.state().settings.kiosk_idle.as_secs());
    if let Some(kiosk) = kiosk {
        ctx.insert("place", &kiosk.place);
        ctx.insert("terminal_name", &kiosk.terminal_name);
    }
    ctx
}

fn render_pairing(page: &Page, code: &str, errors: &FieldErrors) -> Result<HttpResponse, WebError> {
    let mut ctx = context(page, None, true);
    ctx.insert("no_timer", &true);
    ctx.insert("code", code);
    page.render_form("kiosk/pair.html", ctx, errors)
}

/// The start page: big buttons on a paired terminal, the pairing form elsewhere.
pub async fn start(req: HttpRequest, page: Page) -> Result<HttpResponse, WebError> {
    match standing(&req, &page).await? {
        Standing::Unpaired => render_pairing(&page, "", &FieldErrors::default()),
        Standing::Revoked => {
            let mut ctx = context(&page, None, false);
            ctx.insert("no_timer", &true);
            let mut response = page.render("kiosk/revoked.html", &ctx)?;
            *response.status_mut() = actix_web::http::StatusCode::FORBIDDEN;
            Ok(response)
        }
        Standing::Paired(kiosk) => {
            // The language the previous person chose goes too: the next one starts in German
            // (a choice on the start page itself, `?lang=…`, stays for this person).
            let chosen_here = req
                .query_string()
                .split('&')
                .any(|p| p.starts_with("lang="));
            if !chosen_here && req.cookie(language::COOKIE).is_some() {
                let mut back = see_other("/kiosk");
                back.add_removal_cookie(&Cookie::build(language::COOKIE, "").path("/").finish())
                    .map_err(|e| WebError::Internal(e.into()))?;
                return Ok(back);
            }
            let db = &page.state().db;
            // Back at the start the previous person's traces go: the session and any unseen receipt.
            page.session().log_out();
            kiosk::set_receipt(db, kiosk.terminal_id, None).await?;
            kiosk::count(db, kiosk.terminal_id, Action::View, Utc::now()).await?;
            let mut ctx = context(&page, Some(&kiosk), false);
            // The start page is where the timer leads; it needs none itself.
            ctx.insert("no_timer", &true);
            page.render("kiosk/start.html", &ctx)
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PairingForm {
    code: String,
}

pub async fn pair(
    req: HttpRequest,
    page: Page,
    form: web::Form<PairingForm>,
) -> Result<HttpResponse, WebError> {
    let db = &page.state().db;
    if let Err(refused) = throttling::take(&req, &page, Subject::default()).await? {
        return Refused::answer(render_pairing(&page, &form.code, &refused.errors));
    }
    let mut errors = FieldErrors::default();
    match kiosk::pair(db, &form.code, Utc::now()).await {
        Ok((_, secret)) => {
            let cookie = Cookie::build(TERMINAL_COOKIE, secret)
                .path("/kiosk")
                .http_only(true)
                .secure(page.state().settings.secure_cookies())
                .same_site(SameSite::Strict)
                .max_age(CookieDuration::days(5 * 365))
                .finish();
            page.session().log_out();
            let mut response = to_start();
            response
                .add_cookie(&cookie)
                .map_err(|e| WebError::Internal(anyhow::anyhow!("terminal cookie: {e}")))?;
            Ok(response)
        }
        Err(KioskError::Field { field, message }) => {
            errors.add(field, message);
            render_pairing(&page, &form.code, &errors)
        }
        Err(KioskError::NotFound) => Err(WebError::NotFound),
        Err(KioskError::Db(e)) => Err(WebError::Database(e)),
    }
}

/// Courses at this place and in its district in the next 14 days.
pub async fn courses(page: Page, Terminal(kiosk): Terminal) -> Result<HttpResponse, WebError> {
    let now = Utc::now();
    let today = now.with_timezone(&chrono_tz::Europe::Berlin).date_naive();
    let filter = CatalogueFilter {
        district: DistrictKey::parse(&kiosk.place.district_key).ok(),
        from: Some(today),
        to: today.checked_add_days(Days::new(14)),
        page: 1,
        ..Default::default()
    };
    let entries =
        catalogue::all_matching(&page.state().db, OfferKind::Course, &filter, now, 60).await?;
    let (here, nearby): (Vec<_>, Vec<_>) = entries
        .into_iter()
        .partition(|e| e.date.venue_slug.as_deref() == Some(kiosk.place.venue_slug.as_str()));
    let mut ctx = context(&page, Some(&kiosk), false);
    ctx.insert("here", &here);
    ctx.insert("nearby", &nearby);
    page.render("kiosk/courses.html", &ctx)
}

/// A date that can be booked from this kiosk: published, upcoming, in the terminal's district.
async fn bookable_date(
    page: &Page,
    kiosk: &Paired,
    date_id: i32,
) -> Result<catalogue::Entry, WebError> {
    catalogue::date(&page.state().db, date_id, Utc::now())
        .await?
        .filter(|e| e.date.offer_status.is_public() && e.date.kind == OfferKind::Course)
        .filter(|e| e.date.district_key.as_deref() == Some(kiosk.place.district_key.as_str()))
        .ok_or(WebError::NotFound)
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct KioskBookingForm {
    name: String,
    phone: String,
    places: String,
}

fn render_booking(
    page: &Page,
    kiosk: &Paired,
    entry: &catalogue::Entry,
    form: &KioskBookingForm,
    errors: &FieldErrors,
    refusal: Option<&str>,
) -> Result<HttpResponse, WebError> {
    let mut ctx = context(page, Some(kiosk), true);
    ctx.insert("entry", entry);
    ctx.insert("form", form);
    ctx.insert("refusal", &refusal);
    ctx.insert(
        "place_choices",
        &(1..=entry.date.max_places_per_booking.clamp(1, 4)).collect::<Vec<_>>(),
    );
    page.render_form("kiosk/book.html", ctx, errors)
}

pub async fn booking_form(
    page: Page,
    date_id: web::Path<i32>,
    Terminal(kiosk): Terminal,
) -> Result<HttpResponse, WebError> {
    let entry = bookable_date(&page, &kiosk, *date_id).await?;
    let refusal = catalogue::refusal(&entry.date, Utc::now());
    let form = KioskBookingForm {
        places: "1".into(),
        ..Default::default()
    };
    render_booking(
        &page,
        &kiosk,
        &entry,
        &form,
        &FieldErrors::default(),
        refusal,
    )
}

pub async fn book(
    req: HttpRequest,
    page: Page,
    date_id: web::Path<i32>,
    form: web::Form<KioskBookingForm>,
    Terminal(kiosk): Terminal,
) -> Result<HttpResponse, WebError> {
    let entry = bookable_date(&page, &kiosk, *date_id).await?;
    let form = form.into_inner();
    let mut request =
        match BookingRequest::parse(&form.name, "", &form.phone, &form.places, Channel::Kiosk) {
            Ok(request) => request,
            Err(errors) => return render_booking(&page, &kiosk, &entry, &form, &errors, None),
        };
    request.language = page.language;
    request.kiosk_terminal = Some(kiosk.terminal_id);
    let now = Utc::now();
    let counted = match throttling::take(&req, &page, Subject::terminal(kiosk.terminal_id)).await? {
        Ok(counted) => counted,
        Err(refused) => {
            return Refused::answer(render_booking(
                &page,
                &kiosk,
                &entry,
                &form,
                &refused.errors,
                None,
            ));
        }
    };
    match page
        .state()
        .booking_desk()
        .book_seen(&entry.date, None, request, now)
        .await
    {
        Ok(_) => {
            page.session().log_out();
            Ok(see_other("/kiosk/beleg"))
        }
        Err(e) => {
            let mut errors = FieldErrors::default();
            match e {
                BookingError::TooManyPlaces => errors.add("places", "error-places-over-limit"),
                BookingError::Duplicate => errors.add("name", "error-booking-duplicate-staff"),
                BookingError::NotBookable(reason) => {
                    return render_booking(&page, &kiosk, &entry, &form, &errors, Some(reason));
                }
                BookingError::DateNotFound => return Err(WebError::NotFound),
                BookingError::Db(e) => {
                    counted.failed_on_our_side(&page.state().db).await;
                    return Err(WebError::Database(e));
                }
                other => return Err(WebError::Internal(other.into())),
            }
            render_booking(&page, &kiosk, &entry, &form, &errors, None)
        }
    }
}

/// The receipt after a booking, shown once: the code, the details and a QR code of the booking's
/// own page (to cancel or add it to a calendar at home).
pub async fn receipt(page: Page, Terminal(kiosk): Terminal) -> Result<HttpResponse, WebError> {
    let db = &page.state().db;
    let mut ctx = context(&page, Some(&kiosk), false);
    // The receipt is shown once (the next person must not find it); loading the page again in
    // another language would lose the booking code and the link to cancel.
    ctx.insert("shown_once", &true);
    let found = kiosk::take_pending_receipt(db, &page.state().sealer, kiosk.terminal_id).await?;
    let Some(found) = found else {
        ctx.insert("gone", &true);
        return page.render("kiosk/receipt.html", &ctx);
    };
    let entry = catalogue::date(db, found.date_id, Utc::now())
        .await?
        .ok_or(WebError::NotFound)?;
    let link = found
        .link_secret
        .as_deref()
        .map(|t| page.state().composer().booking_link(t));
    let svg = match &link {
        Some(link) => Some(qr_svg(link, &page.t("kiosk-receipt-qr-label"))?),
        None => None,
    };
    ctx.insert("gone", &false);
    ctx.insert("entry", &entry);
    ctx.insert("booking_code", &format!("K-{:06}", found.booking_id));
    ctx.insert("booking_name", &found.name);
    ctx.insert("booking_places", &found.places);
    ctx.insert("booking_status", &found.status);
    ctx.insert("qr_svg", &svg);
    ctx.insert("link", &link);
    page.render("kiosk/receipt.html", &ctx)
}

async fn recent_dates(page: &Page, kiosk: &Paired) -> Result<Vec<catalogue::Entry>, WebError> {
    let now = Utc::now();
    Ok(catalogue::recent_at_venue(
        &page.state().db,
        kiosk.place.venue_id,
        now - chrono::Duration::days(7),
        now,
    )
    .await?)
}

/// Dates at this place in the last 7 days, to give feedback on.
pub async fn feedback_dates(
    page: Page,
    Terminal(kiosk): Terminal,
) -> Result<HttpResponse, WebError> {
    let dates = recent_dates(&page, &kiosk).await?;
    let mut ctx = context(&page, Some(&kiosk), false);
    ctx.insert("dates", &dates);
    page.render("kiosk/feedback_dates.html", &ctx)
}

async fn feedback_date(
    page: &Page,
    kiosk: &Paired,
    date_id: i32,
) -> Result<catalogue::Entry, WebError> {
    recent_dates(page, kiosk)
        .await?
        .into_iter()
        .find(|e| e.date.date_id == date_id)
        .ok_or(WebError::NotFound)
}

fn render_feedback(
    page: &Page,
    kiosk: &Paired,
    entry: &catalogue::Entry,
    answers: &[(String, String)],
    errors: &FieldErrors,
) -> Result<HttpResponse, WebError> {
    let value = |name: &str| first_value(answers, name).unwrap_or_default().to_owned();
    let mut ctx = context(page, Some(kiosk), true);
    ctx.insert("entry", entry);
    ctx.insert("rating", &value("bewertung"));
    ctx.insert("helped", &value("geholfen"));
    ctx.insert("free_text", &value("anmerkungen"));
    page.render_form("kiosk/feedback.html", ctx, errors)
}

pub async fn feedback_form(
    page: Page,
    date_id: web::Path<i32>,
    Terminal(kiosk): Terminal,
) -> Result<HttpResponse, WebError> {
    let entry = feedback_date(&page, &kiosk, *date_id).await?;
    render_feedback(&page, &kiosk, &entry, &[], &FieldErrors::default())
}

pub async fn feedback_submit(
    page: Page,
    date_id: web::Path<i32>,
    form: web::Form<Vec<(String, String)>>,
    Terminal(kiosk): Terminal,
) -> Result<HttpResponse, WebError> {
    let entry = feedback_date(&page, &kiosk, *date_id).await?;
    // The kiosk form asks three questions; only those are taken.
    let answers: Vec<(String, String)> = form
        .into_inner()
        .into_iter()
        .filter(|(k, _)| matches!(k.as_str(), "bewertung" | "geholfen" | "anmerkungen"))
        .collect();
    let input = match FeedbackInput::parse(&answers) {
        Ok(input) => input,
        Err(errors) => return render_feedback(&page, &kiosk, &entry, &answers, &errors),
    };
    let now = Utc::now();
    page.state()
        .feedback_desk()
        .submit_kiosk(*date_id, input, now)
        .await
        .map_err(|e| WebError::Internal(e.into()))?;
    kiosk::count_after_commit(&page.state().db, kiosk.terminal_id, Action::Feedback, now).await;
    page.session().log_out();
    Ok(see_other("/kiosk/danke/rueckmeldung"))
}

#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub struct KioskProposalForm {
    titel: String,
    text: String,
    kategorie: String,
    kreis: String,
    ort: String,
}

async fn render_proposal(
    page: &Page,
    kiosk: &Paired,
    form: &KioskProposalForm,
    errors: &FieldErrors,
) -> Result<HttpResponse, WebError> {
    let mut ctx = context(page, Some(kiosk), true);
    let categories = category_options(page);
    let districts: Vec<(String, String)> = reference::all_districts(&page.state().db)
        .await?
        .into_iter()
        .map(|d| (d.key, d.name))
        .collect();
    ctx.insert("categories", &categories);
    ctx.insert("districts", &districts);
    ctx.insert("form", form);
    page.render_form("kiosk/proposal.html", ctx, errors)
}

pub async fn proposal_form(
    page: Page,
    Terminal(kiosk): Terminal,
) -> Result<HttpResponse, WebError> {
    let form = KioskProposalForm {
        kreis: kiosk.place.district_key.clone(),
        ..Default::default()
    };
    render_proposal(&page, &kiosk, &form, &FieldErrors::default()).await
}

pub async fn proposal_submit(
    req: HttpRequest,
    page: Page,
    form: web::Form<KioskProposalForm>,
    Terminal(kiosk): Terminal,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    let full = ProposalForm {
        titel: form.titel.clone(),
        text: form.text.clone(),
        kategorie: form.kategorie.clone(),
        kreis: form.kreis.clone(),
        ort: form.ort.clone(),
        ..Default::default()
    };
    let draft = match full.parse(ProposalEntry::WithoutAddress) {
        Ok(draft) => draft,
        Err(errors) => return render_proposal(&page, &kiosk, &form, &errors).await,
    };
    if let Err(refused) =
        throttling::take(&req, &page, Subject::terminal(kiosk.terminal_id)).await?
    {
        return Refused::answer(render_proposal(&page, &kiosk, &form, &refused.errors).await);
    }
    match page
        .state()
        .proposal_desk()
        .intake()
        .submit(draft, Submitter::Kiosk, page.language)
        .await
    {
        Ok(_) => {
            kiosk::count_after_commit(
                &page.state().db,
                kiosk.terminal_id,
                Action::Proposal,
                Utc::now(),
            )
            .await;
            page.session().log_out();
            Ok(see_other("/kiosk/danke/vorschlag"))
        }
        Err(error) => {
            let errors = form_errors(error)?;
            render_proposal(&page, &kiosk, &form, &errors).await
        }
    }
}

/// Thanks after feedback or a proposal; nothing of what was written is shown again.
pub async fn thanks(
    page: Page,
    what: web::Path<String>,
    Terminal(kiosk): Terminal,
) -> Result<HttpResponse, WebError> {
    let (title, text) = match what.as_str() {
        "rueckmeldung" => ("kiosk-thanks-feedback-title", "kiosk-thanks-feedback"),
        "vorschlag" => ("kiosk-thanks-proposal-title", "kiosk-thanks-proposal"),
        "benachrichtigung" => ("kiosk-thanks-alert-title", "kiosk-thanks-alert"),
        _ => return Err(WebError::NotFound),
    };
    let mut ctx = context(&page, Some(&kiosk), false);
    ctx.insert("title_key", title);
    ctx.insert("text_key", text);
    page.render("kiosk/thanks.html", &ctx)
}

/// A short page in Leichte Sprache about the terminal. The portal's full Leichte Sprache page is
/// about accounts and signing in, which a kiosk does not offer, so it is not shown here.
pub async fn easy_language(
    page: Page,
    Terminal(kiosk): Terminal,
) -> Result<HttpResponse, WebError> {
    page.render("kiosk/easy.html", &context(&page, Some(&kiosk), false))
}

/// Whom to ask in the shop: the organisation running the place and its phone number.
pub async fn help(page: Page, Terminal(kiosk): Terminal) -> Result<HttpResponse, WebError> {
    page.render("kiosk/help.html", &context(&page, Some(&kiosk), false))
}

#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub struct KioskAlertForm {
    email: String,
    thema: String,
    zielgruppe: String,
    stufenlos: String,
}

async fn render_alert(
    page: &Page,
    kiosk: &Paired,
    form: &KioskAlertForm,
    errors: &FieldErrors,
) -> Result<HttpResponse, WebError> {
    let mut ctx = context(page, Some(kiosk), true);
    let topics = page.choices("topic", Topic::ALL.iter().map(|t| t.key()));
    let groups = page.choices("target-group", TargetGroup::ALL.iter().map(|g| g.key()));
    let district_name = page
        .state()
        .districts()
        .await?
        .iter()
        .find(|d| d.key == kiosk.place.district_key)
        .map(|d| d.name.clone())
        .unwrap_or_default();
    ctx.insert("topics", &topics);
    ctx.insert("target_groups", &groups);
    ctx.insert("district_name", &district_name);
    ctx.insert("form", form);
    page.render_form("kiosk/alert.html", ctx, errors)
}

/// "Tell me when there is a course for me" at the terminal: an e-mail address and what the person
/// is interested in, for courses in the terminal's district. The person confirms by mail at home;
/// nothing of it stays on the terminal.
pub async fn alert_form(page: Page, Terminal(kiosk): Terminal) -> Result<HttpResponse, WebError> {
    render_alert(
        &page,
        &kiosk,
        &KioskAlertForm::default(),
        &FieldErrors::default(),
    )
    .await
}

pub async fn alert_submit(
    req: HttpRequest,
    page: Page,
    form: web::Form<KioskAlertForm>,
    Terminal(kiosk): Terminal,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    let query = crate::domain::offer::CatalogueQuery {
        kreis: kiosk.place.district_key.clone(),
        thema: form.thema.clone(),
        zielgruppe: form.zielgruppe.clone(),
        stufenlos: form.stufenlos.clone(),
        ..Default::default()
    };
    let input = match crate::domain::course_alert::AlertInput::parse(&form.email, "kurse", &query) {
        Ok(input) => input,
        Err(errors) => return render_alert(&page, &kiosk, &form, &errors).await,
    };
    if let Err(refused) =
        throttling::take(&req, &page, Subject::terminal(kiosk.terminal_id)).await?
    {
        return Refused::answer(render_alert(&page, &kiosk, &form, &refused.errors).await);
    }
    let who = crate::services::course_alerts::Subscriber {
        language: page.language,
        user_id: None,
        channel: crate::domain::course_alert::AlertChannel::Kiosk,
        address_confirmed: false,
    };
    page.state()
        .alert_desk()
        .subscribe(&input, who, Utc::now())
        .await
        .map_err(|e| WebError::Internal(e.into()))?;
    page.session().log_out();
    Ok(see_other("/kiosk/danke/benachrichtigung"))
}
