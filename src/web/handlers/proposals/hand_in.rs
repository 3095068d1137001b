//! Handing a proposal in (with a look at similar proposals first) and the author's page behind the
//! secret link: state, history, confirming the address, revising.
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{HitView, SIMILAR, category_options, district_names, district_options, form_errors};
use crate::{
    domain::{
        Email, FieldErrors,
        proposal::{ProposalEntry, ProposalForm, ProposalStatus},
    },
    search::SearchQuery,
    services::proposals::{ProposalError, Submitter},
    web::{
        errors::WebError,
        handlers::see_other,
        page::Page,
        spam,
        throttling::{self, Refused, Subject},
    },
};

/// The hand-in form as posted: the proposal plus the flow's step and the spam fields.
#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub struct HandInForm {
    #[serde(flatten)]
    pub proposal: ProposalForm,
    /// Empty on the first submit; `absenden` after the similar proposals were shown.
    pub schritt: String,
    #[serde(skip_serializing)]
    pub website: String,
}

/// The value of `schritt` once the similar proposals were shown.
const FINAL_STEP: &str = "absenden";

async fn render_hand_in(
    page: &Page,
    form: &HandInForm,
    errors: &FieldErrors,
    similar: Option<Vec<HitView<'_>>>,
) -> Result<HttpResponse, WebError> {
    let mut ctx = page.form_context();
    ctx.insert("form", &form.proposal);
    ctx.insert("districts", &district_options(page).await?);
    ctx.insert("categories", &category_options(page));
    ctx.insert(
        "email_mode",
        if page.user().is_none() {
            "required"
        } else {
            ""
        },
    );
    ctx.insert("similar", &similar);
    // A refusal on the last step keeps people on it, so they need not see the similar ones again.
    ctx.insert(
        "final_step",
        &(similar.is_some() || form.schritt == FINAL_STEP),
    );
    page.render_form("proposals/new.html", ctx, errors)
}

pub async fn new_form(page: Page) -> Result<HttpResponse, WebError> {
    let form = HandInForm {
        proposal: ProposalForm {
            email: page.user().map(|u| u.email.clone()).unwrap_or_default(),
            ..ProposalForm::default()
        },
        ..HandInForm::default()
    };
    render_hand_in(&page, &form, &FieldErrors::default(), None).await
}

pub async fn hand_in(
    req: HttpRequest,
    page: Page,
    form: web::Form<HandInForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    if spam::caught_in_honeypot(&form.website, "proposal") {
        return Err(WebError::NotFound);
    }
    process_hand_in(&req, &page, &form).await
}

async fn process_hand_in(
    req: &HttpRequest,
    page: &Page,
    form: &HandInForm,
) -> Result<HttpResponse, WebError> {
    let entry = match page.user() {
        Some(_) => ProposalEntry::WithoutAddress,
        None => ProposalEntry::AskingAddress,
    };
    let draft = match form.proposal.parse(entry) {
        Ok(draft) => draft,
        Err(errors) => return render_hand_in(page, form, &errors, None).await,
    };
    // First submit: show similar published proposals, so people can support one instead.
    if form.schritt != FINAL_STEP {
        let query = SearchQuery {
            text: draft.title.as_str().to_owned(),
            per_page: SIMILAR,
            ..SearchQuery::default()
        };
        let outcome = page.state().search.run(&query).await?;
        if !outcome.results.hits.is_empty() {
            let names = district_names(page).await?;
            let similar = outcome
                .results
                .hits
                .iter()
                .map(|hit| HitView {
                    district_name: names.get(&hit.district).cloned().unwrap_or_default(),
                    hit,
                })
                .collect();
            return render_hand_in(page, form, &FieldErrors::default(), Some(similar)).await;
        }
    }
    let submitter = match page.user() {
        Some(user) => Submitter::Account {
            user_id: user.id,
            email: Email::parse(&user.email).map_err(|_| WebError::Forbidden)?,
        },
        None => Submitter::Unregistered(draft.email.clone().ok_or(WebError::Forbidden)?),
    };
    if let Err(refused) = throttling::take(req, page, Subject::default()).await? {
        return Refused::answer(render_hand_in(page, form, &refused.errors, None).await);
    }
    match page
        .state()
        .proposal_desk()
        .intake()
        .submit(draft, submitter, page.language)
        .await
    {
        Ok(receipt) => Ok(see_other(format!(
            "/vorschlaege/eingereicht?bestaetigen={}",
            receipt.status == ProposalStatus::Unconfirmed
        ))),
        Err(error) => {
            let errors = form_errors(error)?;
            render_hand_in(page, form, &errors, None).await
        }
    }
}

#[derive(Deserialize)]
pub struct SubmittedQuery {
    #[serde(default)]
    bestaetigen: bool,
}

pub async fn submitted(
    page: Page,
    query: web::Query<SubmittedQuery>,
) -> Result<HttpResponse, WebError> {
    let text_key = if query.bestaetigen {
        "proposal-submitted-confirm-text"
    } else {
        "proposal-submitted-text"
    };
    page.message(
        "proposal-submitted-title",
        text_key,
        "/vorschlaege",
        "proposal-back-to-list",
    )
}

/// The author's page behind the secret link: status, history, moderators' notes, and the form to
/// revise when changes were asked for.
async fn render_own(
    page: &Page,
    token: &str,
    form: Option<ProposalForm>,
    errors: &FieldErrors,
) -> Result<HttpResponse, WebError> {
    let districts = page.state().districts().await?;
    let found = match page
        .state()
        .proposal_desk()
        .intake()
        .open_by_author(token, &districts)
        .await
    {
        Ok(found) => found,
        Err(ProposalError::NotFound) => return Err(WebError::NotFound),
        Err(e) => return Err(WebError::Internal(e.into())),
    };
    let mut ctx = page.form_context();
    ctx.insert("token", token);
    ctx.insert("proposal", &found.proposal);
    ctx.insert("moderation_note", &found.moderation_note);
    ctx.insert("history", &found.history);
    let status = found.proposal.status;
    ctx.insert("unconfirmed", &(status == ProposalStatus::Unconfirmed));
    ctx.insert("public", &status.is_public());
    let editable = status == ProposalStatus::ChangesRequested;
    ctx.insert("editable", &editable);
    if editable {
        let form = form.unwrap_or_else(|| ProposalForm {
            titel: found.proposal.title.clone(),
            text: found.proposal.body.clone(),
            kategorie: found.proposal.category.clone(),
            kreis: found.proposal.district_key.clone(),
            ort: found.proposal.town.clone().unwrap_or_default(),
            kontakt: found.contact.clone().unwrap_or_default(),
            email: String::new(),
            veranstaltung: String::new(),
        });
        ctx.insert("form", &form);
        ctx.insert("districts", &district_options(page).await?);
        ctx.insert("categories", &category_options(page));
    }
    page.render_form("proposals/own.html", ctx, errors)
}

pub async fn own(page: Page, token: web::Path<String>) -> Result<HttpResponse, WebError> {
    render_own(&page, &token, None, &FieldErrors::default()).await
}

pub async fn confirm_own(page: Page, token: web::Path<String>) -> Result<HttpResponse, WebError> {
    match page
        .state()
        .proposal_desk()
        .intake()
        .confirm_author(&token)
        .await
    {
        Ok(()) => Ok(see_other(format!("/vorschlaege/eigene/{token}"))),
        Err(ProposalError::NotFound) => Err(WebError::NotFound),
        Err(e) => Err(WebError::Internal(e.into())),
    }
}

pub async fn revise(
    page: Page,
    token: web::Path<String>,
    form: web::Form<ProposalForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    let draft = match form.parse(ProposalEntry::WithoutAddress) {
        Ok(draft) => draft,
        Err(errors) => return render_own(&page, &token, Some(form), &errors).await,
    };
    match page
        .state()
        .proposal_desk()
        .intake()
        .revise(&token, draft)
        .await
    {
        Ok(()) => Ok(see_other(format!("/vorschlaege/eigene/{token}"))),
        Err(error) => {
            let errors = form_errors(error)?;
            render_own(&page, &token, Some(form), &errors).await
        }
    }
}
