//! Course alerts on the web ("tell me when there is a course for me"): the sign-up form reached
//! from any catalogue filter, the confirmation and unsubscribe links (with the one-click POST of
//! mail programs, RFC 8058), removal from the account page, staff setting one up for a caller,
//! and the filter's calendar feed.
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::{offer_vocabulary, see_other};
use crate::{
    domain::{
        FieldErrors, Language,
        course_alert::{self, AlertChannel, AlertInput, section_key},
        offer::{CatalogueFilter, CatalogueQuery, OfferKind},
    },
    policy,
    services::{
        audit,
        course_alerts::{
            self, AlertError, Subscribed, Subscriber, catalogue_href, describe, feed_href,
        },
    },
    web::{
        errors::WebError,
        notice::{Done, see_other_done},
        page::Page,
        spam,
        throttling::{self, Refused, Subject},
    },
};

/// Addresses of unsubscribe links; a POST there with the body `List-Unsubscribe=One-Click` (RFC
/// 8058) comes from a mail program, without cookies: the secret in the address is its authority,
/// so the form token is not asked for (`web::session`).
pub const UNSUBSCRIBE_PREFIX: &str = "/benachrichtigung/abmelden/";

/// Whether a request is a mail program's one-click unsubscribe.
pub fn is_one_click_unsubscribe(path: &str, form: &[(String, String)]) -> bool {
    path.starts_with(UNSUBSCRIBE_PREFIX)
        && form
            .iter()
            .any(|(k, v)| k == "List-Unsubscribe" && v == "One-Click")
}

#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub struct AlertForm {
    email: String,
    /// `kurse` or `veranstaltungen`.
    bereich: String,
    #[serde(flatten)]
    filter: CatalogueQuery,
    /// Honeypot: hidden from people, filled in by bots.
    #[serde(skip_serializing)]
    website: String,
}

/// The filter's fields that are set, for hidden inputs and links.
fn filter_pairs(query: &CatalogueQuery) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(&course_alert::query_string(query))
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| k != "seite")
        .collect()
}

fn absolute(page: &Page, path: &str) -> String {
    format!(
        "{}{path}",
        page.state()
            .settings
            .base_url
            .as_str()
            .trim_end_matches('/')
    )
}

/// The filter in words, its catalogue and its calendar feed, for the pages that show an alert's filter.
async fn filter_context(
    page: &Page,
    ctx: &mut tera::Context,
    kind: OfferKind,
    filter: &CatalogueFilter,
) -> Result<(), WebError> {
    let districts = page.state().districts().await?;
    let query = course_alerts::filter_query(filter);
    ctx.insert(
        "description",
        &describe(
            &page.state().composer(),
            page.language,
            kind,
            filter,
            &districts,
        ),
    );
    ctx.insert("catalogue_href", &catalogue_href(kind, &query));
    let feed = feed_href(kind, &query);
    ctx.insert("feed_href", &feed);
    ctx.insert("feed_url", &absolute(page, &feed));
    ctx.insert("section", section_key(kind));
    Ok(())
}

/// A filter that does not parse (a changed or hand-made address): the page says so and leads back
/// to the catalogue, where the filter's own fields show what is wrong.
fn invalid_filter(page: &Page, kind: OfferKind) -> Result<HttpResponse, WebError> {
    let mut response = page.message(
        "alert-title",
        "error-alert-filter-invalid",
        kind.path(),
        "alert-back-to-search",
    )?;
    *response.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

async fn render_signup(
    page: &Page,
    form: &AlertForm,
    errors: &FieldErrors,
) -> Result<HttpResponse, WebError> {
    let kind = course_alert::section(&form.bereich).unwrap_or(OfferKind::Course);
    let (Ok(_), Ok(filter)) = (
        course_alert::section(&form.bereich),
        CatalogueFilter::parse(&form.filter),
    ) else {
        return invalid_filter(page, kind);
    };
    let mut ctx = page.form_context();
    filter_context(page, &mut ctx, kind, &filter).await?;
    ctx.insert(
        "hidden",
        &filter_pairs(&course_alert::canonical_query(&filter)),
    );
    ctx.insert("form", form);
    ctx.insert(
        "bereich",
        match kind {
            OfferKind::Course => "kurse",
            OfferKind::Dialogue => "veranstaltungen",
        },
    );
    page.render_form("alerts/signup.html", ctx, errors)
}

/// The sign-up page, opened from the catalogue with its filter in the address.
pub async fn signup_form(
    page: Page,
    query: web::Query<AlertForm>,
) -> Result<HttpResponse, WebError> {
    let mut form = query.into_inner();
    form.email = page.user().map(|u| u.email.clone()).unwrap_or_default();
    render_signup(&page, &form, &FieldErrors::default()).await
}

pub async fn signup(
    req: HttpRequest,
    page: Page,
    form: web::Form<AlertForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    if spam::caught_in_honeypot(&form.website, "course alert") {
        return Err(WebError::NotFound);
    }
    create(&req, &page, &form).await
}

async fn create(
    req: &HttpRequest,
    page: &Page,
    form: &AlertForm,
) -> Result<HttpResponse, WebError> {
    let input = match AlertInput::parse(&form.email, &form.bereich, &form.filter) {
        Ok(input) => input,
        Err(errors) => return render_signup(page, form, &errors).await,
    };
    let own = page
        .user()
        .is_some_and(|u| u.email.eq_ignore_ascii_case(input.email.as_str()));
    // Sign-ups and the mails they send count per client address and per recipient; one's own
    // address needs no confirmation mail.
    if !own
        && let Err(refused) =
            throttling::take(req, page, Subject::email(input.email.as_str())).await?
    {
        return Refused::answer(render_signup(page, form, &refused.errors).await);
    }
    // An alert belongs to an account only for the account's own address: someone else's alert
    // would otherwise show in this account, its data download, and go with its deletion.
    let who = Subscriber {
        language: page.language,
        user_id: page.user().filter(|_| own).map(|u| u.id),
        channel: AlertChannel::Online,
        address_confirmed: own,
    };
    match page
        .state()
        .alert_desk()
        .subscribe(&input, who, Utc::now())
        .await
    {
        Ok(Subscribed::ConfirmationSent) => Ok(see_other("/benachrichtigung/gesendet")),
        Ok(Subscribed::Active) => Ok(see_other_done(
            "/konto#benachrichtigungen",
            Done::AlertCreated,
        )),
        Err(e) => Err(internal(e)),
    }
}

fn internal(e: AlertError) -> WebError {
    match e {
        AlertError::NotFound => WebError::NotFound,
        AlertError::Db(e) => WebError::Database(e),
        other => WebError::Internal(other.into()),
    }
}

pub async fn sent(page: Page) -> Result<HttpResponse, WebError> {
    page.message(
        "alert-sent-title",
        "alert-sent-text",
        "/kurse",
        "alert-back-to-courses",
    )
}

/// Behind the mailed confirmation link: a button first, as mail scanners open links.
pub async fn confirm_form(page: Page, _token: web::Path<String>) -> Result<HttpResponse, WebError> {
    let mut ctx = page.form_context();
    ctx.insert("title_key", "alert-confirm-title");
    ctx.insert("text_key", "alert-confirm-text");
    ctx.insert("button_key", "alert-confirm-button");
    page.render("alerts/link.html", &ctx)
}

pub async fn confirm(page: Page, token: web::Path<String>) -> Result<HttpResponse, WebError> {
    match page.state().alert_desk().confirm(&token, Utc::now()).await {
        Ok(alert) => {
            let kind = alert.kind;
            let mut ctx = page.context();
            if let Some(filter) = course_alert::stored_filter(&alert.filter_query) {
                filter_context(&page, &mut ctx, kind, &filter).await?;
            }
            page.render("alerts/confirmed.html", &ctx)
        }
        Err(AlertError::Expired) => page.message(
            "alert-expired-title",
            "alert-expired-text",
            "/kurse",
            "alert-back-to-courses",
        ),
        Err(e) => Err(internal(e)),
    }
}

/// Behind the unsubscribe link of every alert mail: what ends, and a button.
pub async fn unsubscribe_form(
    page: Page,
    token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let alert = page
        .state()
        .alert_desk()
        .by_unsubscribe_token(&token)
        .await
        .map_err(internal)?;
    let mut ctx = page.form_context();
    ctx.insert("title_key", "alert-unsubscribe-title");
    ctx.insert("text_key", "alert-unsubscribe-text");
    ctx.insert("button_key", "alert-unsubscribe-button");
    if let Some(filter) = course_alert::stored_filter(&alert.filter_query) {
        let kind = alert.kind;
        filter_context(&page, &mut ctx, kind, &filter).await?;
    }
    page.render("alerts/link.html", &ctx)
}

/// Ends the alert: the button on the page, or a mail program's one-click POST.
pub async fn unsubscribe(page: Page, token: web::Path<String>) -> Result<HttpResponse, WebError> {
    page.state()
        .alert_desk()
        .unsubscribe(&token)
        .await
        .map_err(internal)?;
    page.message(
        "alert-unsubscribed-title",
        "alert-unsubscribed-text",
        "/kurse",
        "alert-back-to-courses",
    )
}

/// Removes one of the signed-in person's alerts (account page).
pub async fn remove_own(page: Page, id: web::Path<i64>) -> Result<HttpResponse, WebError> {
    let user = page.require(policy::can_use_account)?;
    if !page
        .state()
        .alert_desk()
        .remove_own(user.id, &user.email, *id)
        .await?
    {
        return Err(WebError::NotFound);
    }
    Ok(see_other_done(
        "/konto#benachrichtigungen",
        Done::AlertRemoved,
    ))
}

/// The calendar feed of a catalogue filter: the filter's dates (with every session and cancelled
/// dates, as the other feeds) as an `.ics` subscription.
pub async fn feed(
    page: Page,
    section: web::Path<String>,
    query: web::Query<CatalogueQuery>,
) -> Result<HttpResponse, WebError> {
    let kind = match section.as_str() {
        "kurse" => OfferKind::Course,
        "veranstaltungen" => OfferKind::Dialogue,
        _ => return Err(WebError::NotFound),
    };
    let filter = CatalogueFilter::parse(&query).map_err(|_| WebError::NotFound)?;
    let filter = CatalogueFilter {
        include_cancelled: true,
        include_sessions: true,
        page: 1,
        ..filter
    };
    let districts = page.state().districts().await?;
    let name = describe(
        &page.state().composer(),
        page.language,
        kind,
        &filter,
        &districts,
    )
    .join(", ");
    super::courses::filter_feed(&page, kind, &filter, &name).await
}

#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub struct StaffAlertForm {
    email: String,
    /// Language of the person's mails.
    sprache: String,
    #[serde(flatten)]
    filter: CatalogueQuery,
}

async fn render_staff(
    page: &Page,
    form: &StaffAlertForm,
    errors: &FieldErrors,
) -> Result<HttpResponse, WebError> {
    let mut ctx = page.form_context();
    offer_vocabulary(&mut ctx);
    ctx.insert(
        "districts",
        &super::proposals::district_options(page).await?,
    );
    ctx.insert("languages", &[("de", "Deutsch"), ("en", "English")]);
    ctx.insert("form", form);
    page.render_form("alerts/staff.html", ctx, errors)
}

/// Staff set up an alert for a person on the phone (the person still confirms by mail).
pub async fn staff_form(page: Page) -> Result<HttpResponse, WebError> {
    page.require(policy::can_manage_offers)?;
    let form = StaffAlertForm {
        sprache: "de".into(),
        ..Default::default()
    };
    render_staff(&page, &form, &FieldErrors::default()).await
}

pub async fn staff_create(
    page: Page,
    form: web::Form<StaffAlertForm>,
) -> Result<HttpResponse, WebError> {
    let user = page.require(policy::can_manage_offers)?;
    let form = form.into_inner();
    {
        let mut errors = FieldErrors::default();
        let language = errors.check(
            "sprache",
            Language::from_code(form.sprache.trim()).ok_or("error-language-invalid"),
        );
        // Only what the page asks: a search text, a period or "free places only" are no fields
        // of it (an error about one would point at nothing), and a period would soon be past.
        let filter = CatalogueQuery {
            q: String::new(),
            von: String::new(),
            bis: String::new(),
            frei: String::new(),
            seite: String::new(),
            ..form.filter.clone()
        };
        let input = match AlertInput::parse(&form.email, "kurse", &filter) {
            Ok(input) => Some(input),
            Err(e) => {
                for e in e.iter() {
                    errors.add(e.field, e.message);
                }
                None
            }
        };
        let (Some(language), Some(input)) = (language, input) else {
            return render_staff(&page, &form, &errors).await;
        };
        let who = Subscriber {
            language,
            user_id: None,
            channel: AlertChannel::Staff,
            address_confirmed: false,
        };
        page.state()
            .alert_desk()
            .subscribe(&input, who, Utc::now())
            .await
            .map_err(internal)?;
        audit::record(
            &page.state().db,
            Some(user.id),
            "course_alert.staff",
            "course_alert",
            input.email.domain(),
        )
        .await?;
        Ok(see_other_done(
            "/verwaltung/benachrichtigung",
            Done::AlertRequested,
        ))
    }
}
