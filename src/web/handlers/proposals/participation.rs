//! A proposal's public page with support, follow and report, and the pages behind the mailed links
//! that confirm a support or a follow or end a follow.
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::form_errors;
use crate::{
    domain::{Email, FieldErrors},
    services::proposals::{self, FollowOutcome, Lookup, ProposalError, SupportOutcome},
    web::{
        errors::WebError,
        handlers::see_other,
        page::Page,
        throttling::{self, Refused, Subject},
    },
};

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct ContactForm {
    email: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FollowForm {
    #[serde(rename = "follow-email")]
    email: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ShowQuery {
    /// A short note after an action: `unterstuetzt`, `bestaetigen`, `schon`, `folgen`, `gemeldet` …
    hinweis: String,
}

async fn render_show(
    page: &Page,
    id: i64,
    errors: &FieldErrors,
    email: &str,
    notice: &str,
) -> Result<HttpResponse, WebError> {
    let found = match proposals::public(&page.state().db, id).await {
        Ok(Lookup::Found(found)) => found,
        Ok(Lookup::MergedInto(kept)) => return Ok(see_other(format!("/vorschlaege/{kept}"))),
        Err(ProposalError::NotFound) => return Err(WebError::NotFound),
        Err(e) => return Err(WebError::Internal(e.into())),
    };
    let mut ctx = page.form_context();
    if let Some(event_id) = found.event_offer_id
        && let Some(event) = proposals::event_link(&page.state().db, event_id).await?
    {
        ctx.insert("event_title", &event.title);
        ctx.insert("event_path", &event.path);
    }
    ctx.insert("proposal", &found.proposal);
    ctx.insert("history", &found.history);
    ctx.insert("email", email);
    let known_notices = [
        "unterstuetzt",
        "bestaetigen",
        "schon-unterstuetzt",
        "folgen",
        "folgen-bestaetigen",
        "schon-folgen",
        "gemeldet",
    ];
    ctx.insert(
        "notice",
        &known_notices
            .contains(&notice)
            .then(|| format!("proposal-notice-{notice}")),
    );
    page.render_form("proposals/show.html", ctx, errors)
}

pub async fn show(
    page: Page,
    id: web::Path<i64>,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, WebError> {
    let email = page.user().map(|u| u.email.clone()).unwrap_or_default();
    render_show(&page, *id, &FieldErrors::default(), &email, &query.hinweis).await
}

fn back_with(id: i64, notice: &str) -> HttpResponse {
    see_other(format!("/vorschlaege/{id}?hinweis={notice}#aktionen"))
}

pub async fn support(
    req: HttpRequest,
    page: Page,
    id: web::Path<i64>,
    form: web::Form<ContactForm>,
) -> Result<HttpResponse, WebError> {
    let id = *id;
    let user_id = page.user().map(|u| u.id);
    let email = if user_id.is_some() {
        None
    } else {
        match Email::parse(&form.email) {
            Ok(email) => Some(email),
            Err(message) => {
                let mut errors = FieldErrors::default();
                errors.add("email", message);
                return render_show(&page, id, &errors, &form.email, "").await;
            }
        }
    };
    if let Some(email) = &email
        && let Err(refused) = throttling::take(&req, &page, Subject::email(email.as_str())).await?
    {
        return Refused::answer(render_show(&page, id, &refused.errors, &form.email, "").await);
    }
    match page
        .state()
        .proposal_desk()
        .supports()
        .support(id, user_id, email.as_ref(), page.language)
        .await
    {
        Ok(SupportOutcome::Counted) => Ok(back_with(id, "unterstuetzt")),
        // A typed-in address is answered as any address is: whoever typed it must not learn that
        // its owner supports this proposal (the owner's mailbox is told).
        Ok(SupportOutcome::ConfirmationSent) => Ok(back_with(id, "bestaetigen")),
        Ok(SupportOutcome::AlreadySupported) if email.is_some() => Ok(back_with(id, "bestaetigen")),
        Ok(SupportOutcome::AlreadySupported) => Ok(back_with(id, "schon-unterstuetzt")),
        Err(error) => {
            let errors = form_errors(error)?;
            render_show(&page, id, &errors, &form.email, "").await
        }
    }
}

pub async fn follow(
    req: HttpRequest,
    page: Page,
    id: web::Path<i64>,
    form: web::Form<FollowForm>,
) -> Result<HttpResponse, WebError> {
    let id = *id;
    let own = page.user().map(|u| u.email.clone());
    let raw = own.unwrap_or_else(|| form.email.clone());
    let email = match Email::parse(&raw) {
        Ok(email) => email,
        Err(message) => {
            let mut errors = FieldErrors::default();
            errors.add("follow-email", message);
            return render_show(&page, id, &errors, &form.email, "").await;
        }
    };
    let signed_in = page
        .user()
        .filter(|user| user.email.eq_ignore_ascii_case(email.as_str()))
        .map(|user| user.id);
    let confirmed = signed_in.is_some();
    if !confirmed
        && let Err(refused) = throttling::take(&req, &page, Subject::email(email.as_str())).await?
    {
        return Refused::answer(render_show(&page, id, &refused.errors, &form.email, "").await);
    }
    match page
        .state()
        .proposal_desk()
        .supports()
        .follow(id, &email, signed_in, page.language)
        .await
    {
        Ok(FollowOutcome::Following) => Ok(back_with(id, "folgen")),
        Ok(FollowOutcome::ConfirmationSent) => Ok(back_with(id, "folgen-bestaetigen")),
        // As for supports: an author follows their own proposal, which a typed-in address must
        // not reveal.
        Ok(FollowOutcome::AlreadyFollowing) if !confirmed => {
            Ok(back_with(id, "folgen-bestaetigen"))
        }
        Ok(FollowOutcome::AlreadyFollowing) => Ok(back_with(id, "schon-folgen")),
        Err(error) => {
            let errors = form_errors(error)?;
            render_show(&page, id, &errors, &form.email, "").await
        }
    }
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct ReportForm {
    grund: String,
}

async fn render_report(
    page: &Page,
    id: i64,
    form: &ReportForm,
    errors: &FieldErrors,
) -> Result<HttpResponse, WebError> {
    let found = match proposals::public(&page.state().db, id).await {
        Ok(Lookup::Found(found)) => found,
        Ok(Lookup::MergedInto(_)) | Err(ProposalError::NotFound) => {
            return Err(WebError::NotFound);
        }
        Err(e) => return Err(WebError::Internal(e.into())),
    };
    let mut ctx = page.form_context();
    ctx.insert("proposal", &found.proposal);
    ctx.insert("form", form);
    page.render_form("proposals/report.html", ctx, errors)
}

pub async fn report_form(page: Page, id: web::Path<i64>) -> Result<HttpResponse, WebError> {
    render_report(&page, *id, &ReportForm::default(), &FieldErrors::default()).await
}

pub async fn report(
    req: HttpRequest,
    page: Page,
    id: web::Path<i64>,
    form: web::Form<ReportForm>,
) -> Result<HttpResponse, WebError> {
    let id = *id;
    if let Err(refused) = throttling::take(&req, &page, Subject::default()).await? {
        return Refused::answer(render_report(&page, id, &form, &refused.errors).await);
    }
    match page
        .state()
        .proposal_desk()
        .moderation()
        .report(id, &form.grund)
        .await
    {
        Ok(()) => Ok(back_with(id, "gemeldet")),
        Err(error) => {
            let errors = form_errors(error)?;
            render_report(&page, id, &form, &errors).await
        }
    }
}

/// Pages behind mailed links show a button first: mail scanners open links, people press buttons.
/// The texts are `<keys>-title`, `<keys>-text` and `<keys>-button`.
fn confirm_page(page: &Page, keys: &str) -> Result<HttpResponse, WebError> {
    let mut ctx = page.form_context();
    ctx.insert("title_key", &format!("{keys}-title"));
    ctx.insert("text_key", &format!("{keys}-text"));
    ctx.insert("button_key", &format!("{keys}-button"));
    page.render("proposals/confirm.html", &ctx)
}

/// Where a confirmed link leads: back to the proposal with the notice `done`.
fn after_link(confirmed: Result<i64, ProposalError>, done: &str) -> Result<HttpResponse, WebError> {
    match confirmed {
        Ok(id) => Ok(back_with(id, done)),
        Err(ProposalError::NotFound) => Err(WebError::NotFound),
        Err(e) => Err(WebError::Internal(e.into())),
    }
}

pub async fn support_confirm_form(
    page: Page,
    _token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    confirm_page(&page, "proposal-support-confirm")
}

pub async fn support_confirm(
    page: Page,
    token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let supports = page.state().proposal_desk().supports();
    after_link(supports.confirm_support(&token).await, "unterstuetzt")
}

pub async fn follow_confirm_form(
    page: Page,
    _token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    confirm_page(&page, "proposal-follow-confirm")
}

pub async fn follow_confirm(
    page: Page,
    token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let supports = page.state().proposal_desk().supports();
    after_link(supports.confirm_follow(&token).await, "folgen")
}

pub async fn unfollow_form(
    page: Page,
    _token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    confirm_page(&page, "proposal-unfollow")
}

pub async fn unfollow(page: Page, token: web::Path<String>) -> Result<HttpResponse, WebError> {
    let supports = page.state().proposal_desk().supports();
    match supports.unfollow(&token).await {
        Ok(_) => page.message(
            "proposal-unfollowed-title",
            "proposal-unfollowed-text",
            "/vorschlaege",
            "proposal-back-to-list",
        ),
        Err(ProposalError::NotFound) => Err(WebError::NotFound),
        Err(e) => Err(WebError::Internal(e.into())),
    }
}
