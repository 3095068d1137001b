//! Public proposal pages: search, handing in (with a look at similar proposals first), a proposal's
//! page with support, follow and report, and the pages behind mailed links.
use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::{
    domain::{
        Email, FieldErrors,
        proposal::{
            ProposalCategory, ProposalFilter, ProposalForm, ProposalSearchForm, ProposalSort,
            ProposalStatus,
        },
    },
    search::{SearchHit, SearchQuery, SearchResults, SortOrder},
    services::proposals::{self, FollowOutcome, Lookup, ProposalError, Submitter, SupportOutcome},
    web::{
        errors::WebError,
        handlers::see_other,
        page::Page,
        throttling::{self, Refused, Subject},
    },
};

pub const PER_PAGE: u32 = 20;
/// How many similar proposals the hand-in form shows before submitting.
const SIMILAR: u32 = 5;

/// Field errors for the form, or the error page for everything else.
pub fn form_errors(error: ProposalError) -> Result<FieldErrors, WebError> {
    let mut errors = FieldErrors::default();
    match error {
        ProposalError::Field { field, message } => errors.add(field, message),
        ProposalError::NotFound => return Err(WebError::NotFound),
        ProposalError::Refused(message) => errors.add("aktion", message),
        ProposalError::Db(e) => return Err(WebError::Database(e)),
        ProposalError::Mail(e) => return Err(WebError::Internal(e)),
    }
    Ok(errors)
}

pub async fn district_names(page: &Page) -> Result<HashMap<String, String>, WebError> {
    Ok(page
        .state()
        .districts()
        .await?
        .iter()
        .map(|d| (d.key.clone(), d.name.clone()))
        .collect())
}

/// Options for the district select: (key, name), sorted by name.
pub async fn district_options(page: &Page) -> Result<Vec<(String, String)>, WebError> {
    Ok(page
        .state()
        .districts()
        .await?
        .iter()
        .map(|d| (d.key.clone(), d.name.clone()))
        .collect())
}

pub fn category_options(page: &Page) -> Vec<(String, String)> {
    ProposalCategory::ALL
        .iter()
        .map(|c| {
            (
                c.key().to_owned(),
                page.t(&format!("proposal-category-{}", c.key())),
            )
        })
        .collect()
}

fn public_status_options(page: &Page) -> Vec<(String, String)> {
    ProposalStatus::PUBLIC
        .iter()
        .map(|s| {
            (
                s.key().to_owned(),
                page.t(&format!("proposal-status-{}", s.key())),
            )
        })
        .collect()
}

pub fn search_query(filter: &ProposalFilter, per_page: u32) -> SearchQuery {
    SearchQuery {
        text: filter.text.clone(),
        category: filter.category.map(|c| c.key().to_owned()),
        district: filter.district.as_ref().map(|d| d.as_str().to_owned()),
        status: filter.status.map(|s| s.key().to_owned()),
        sort: match filter.sort {
            ProposalSort::Relevance => SortOrder::Relevance,
            ProposalSort::Newest => SortOrder::Newest,
            ProposalSort::MostSupported => SortOrder::MostSupported,
        },
        page: filter.page,
        per_page,
    }
}

/// A facet value with its count and the address that applies it (or removes it when active).
#[derive(Serialize)]
struct FacetLink {
    label: String,
    count: u64,
    href: String,
    active: bool,
}

fn address(form: &ProposalSearchForm) -> String {
    let pairs: Vec<(&str, &str)> = [
        ("q", form.q.as_str()),
        ("kategorie", form.kategorie.as_str()),
        ("kreis", form.kreis.as_str()),
        ("status", form.status.as_str()),
        ("sortierung", form.sortierung.as_str()),
        ("seite", form.seite.as_str()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .collect();
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    if query.is_empty() {
        "/vorschlaege".into()
    } else {
        format!("/vorschlaege?{query}")
    }
}

fn facet_links(
    counts: &[(String, u64)],
    form: &ProposalSearchForm,
    field: fn(&mut ProposalSearchForm) -> &mut String,
    label: impl Fn(&str) -> String,
) -> Vec<FacetLink> {
    counts
        .iter()
        .map(|(key, count)| {
            let mut target = form.clone();
            target.seite.clear();
            let slot = field(&mut target);
            let active = slot == key;
            *slot = if active { String::new() } else { key.clone() };
            FacetLink {
                label: label(key),
                count: *count,
                href: address(&target),
                active,
            }
        })
        .collect()
}

#[derive(Serialize)]
struct FacetGroup {
    title_key: &'static str,
    links: Vec<FacetLink>,
}

#[derive(Serialize)]
struct HitView<'a> {
    #[serde(flatten)]
    hit: &'a SearchHit,
    district_name: String,
}

pub async fn list(
    page: Page,
    form: web::Query<ProposalSearchForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    let districts = district_options(&page).await?;
    let names: HashMap<String, String> = districts.iter().cloned().collect();
    let mut ctx = page.context();
    ctx.insert("query", &form);
    ctx.insert("districts", &districts);
    ctx.insert("categories", &category_options(&page));
    ctx.insert("statuses", &public_status_options(&page));
    ctx.insert(
        "sorts",
        &[
            ProposalSort::Relevance,
            ProposalSort::Newest,
            ProposalSort::MostSupported,
        ]
        .iter()
        .map(|s| (s.key(), page.t(&format!("proposals-sort-{}", s.key()))))
        .collect::<Vec<_>>(),
    );
    let filter = match form.parse() {
        Ok(filter) => filter,
        Err(errors) => return page.render_form("proposals/list.html", ctx, &errors),
    };
    let outcome = page
        .state()
        .search
        .run(&search_query(&filter, PER_PAGE))
        .await?;
    let SearchResults {
        hits,
        total,
        facets,
    } = &outcome.results;
    let pages = total.div_ceil(u64::from(PER_PAGE)).max(1);
    let hits: Vec<HitView> = hits
        .iter()
        .map(|hit| HitView {
            district_name: names.get(&hit.district).cloned().unwrap_or_default(),
            hit,
        })
        .collect();
    ctx.insert("hits", &hits);
    ctx.insert("total", total);
    ctx.insert("degraded", &outcome.degraded);
    ctx.insert("current_page", &(filter.page + 1));
    ctx.insert("pages", &pages);
    let page_href = |n: u64| {
        let mut target = form.clone();
        target.seite = n.to_string();
        address(&target)
    };
    ctx.insert(
        "previous_href",
        &(u64::from(filter.page) > 0).then(|| page_href(u64::from(filter.page))),
    );
    ctx.insert(
        "next_href",
        &(u64::from(filter.page) + 1 < pages).then(|| page_href(u64::from(filter.page) + 2)),
    );
    ctx.insert(
        "facets",
        &[
            FacetGroup {
                title_key: "proposal-field-category",
                links: facet_links(
                    &facets.category,
                    &form,
                    |f| &mut f.kategorie,
                    |k| page.t(&format!("proposal-category-{k}")),
                ),
            },
            FacetGroup {
                title_key: "proposal-field-district",
                links: facet_links(
                    &facets.district,
                    &form,
                    |f| &mut f.kreis,
                    |k| names.get(k).cloned().unwrap_or_else(|| k.to_owned()),
                ),
            },
            FacetGroup {
                title_key: "proposals-status",
                links: facet_links(
                    &facets.status,
                    &form,
                    |f| &mut f.status,
                    |k| page.t(&format!("proposal-status-{k}")),
                ),
            },
        ],
    );
    page.render_form("proposals/list.html", ctx, &FieldErrors::default())
}

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
    if !form.website.is_empty() {
        tracing::info!("proposal honeypot filled; ignored");
        return Err(WebError::NotFound);
    }
    process_hand_in(&req, &page, &form).await
}

async fn process_hand_in(
    req: &HttpRequest,
    page: &Page,
    form: &HandInForm,
) -> Result<HttpResponse, WebError> {
    let draft = match form.proposal.parse(page.user().is_none()) {
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
    let mut ctx = page.context();
    ctx.insert("title_key", "proposal-submitted-title");
    ctx.insert(
        "text_key",
        if query.bestaetigen {
            "proposal-submitted-confirm-text"
        } else {
            "proposal-submitted-text"
        },
    );
    ctx.insert("link_href", "/vorschlaege");
    ctx.insert("link_key", "proposal-back-to-list");
    page.render("message.html", &ctx)
}

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
    if email.is_some()
        && let Err(refused) = throttling::take(&req, &page, Subject::default()).await?
    {
        return render_show(&page, id, &refused.errors, &form.email, "").await;
    }
    match page
        .state()
        .proposal_desk()
        .supports()
        .support(id, user_id, email.as_ref(), page.language)
        .await
    {
        Ok(SupportOutcome::Counted) => Ok(back_with(id, "unterstuetzt")),
        Ok(SupportOutcome::ConfirmationSent) => Ok(back_with(id, "bestaetigen")),
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
    let raw = own.clone().unwrap_or_else(|| form.email.clone());
    let email = match Email::parse(&raw) {
        Ok(email) => email,
        Err(message) => {
            let mut errors = FieldErrors::default();
            errors.add("follow-email", message);
            return render_show(&page, id, &errors, &form.email, "").await;
        }
    };
    let confirmed = own.is_some_and(|own| own.eq_ignore_ascii_case(email.as_str()));
    if !confirmed && let Err(refused) = throttling::take(&req, &page, Subject::default()).await? {
        return render_show(&page, id, &refused.errors, &form.email, "").await;
    }
    match page
        .state()
        .proposal_desk()
        .supports()
        .follow(id, &email, confirmed, page.language)
        .await
    {
        Ok(FollowOutcome::Following) => Ok(back_with(id, "folgen")),
        Ok(FollowOutcome::ConfirmationSent) => Ok(back_with(id, "folgen-bestaetigen")),
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
        return render_report(&page, id, &form, &refused.errors).await;
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
fn confirm_page(
    page: &Page,
    title_key: &str,
    text_key: &str,
    button_key: &str,
) -> Result<HttpResponse, WebError> {
    let mut ctx = page.form_context();
    ctx.insert("title_key", title_key);
    ctx.insert("text_key", text_key);
    ctx.insert("button_key", button_key);
    page.render("proposals/confirm.html", &ctx)
}

pub async fn support_confirm_form(
    page: Page,
    _token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    confirm_page(
        &page,
        "proposal-support-confirm-title",
        "proposal-support-confirm-text",
        "proposal-support-confirm-button",
    )
}

pub async fn support_confirm(
    page: Page,
    token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    match page
        .state()
        .proposal_desk()
        .supports()
        .confirm_support(&token)
        .await
    {
        Ok(id) => Ok(back_with(id, "unterstuetzt")),
        Err(ProposalError::NotFound) => Err(WebError::NotFound),
        Err(e) => Err(WebError::Internal(e.into())),
    }
}

pub async fn follow_confirm_form(
    page: Page,
    _token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    confirm_page(
        &page,
        "proposal-follow-confirm-title",
        "proposal-follow-confirm-text",
        "proposal-follow-confirm-button",
    )
}

pub async fn follow_confirm(
    page: Page,
    token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    match page
        .state()
        .proposal_desk()
        .supports()
        .confirm_follow(&token)
        .await
    {
        Ok(id) => Ok(back_with(id, "folgen")),
        Err(ProposalError::NotFound) => Err(WebError::NotFound),
        Err(e) => Err(WebError::Internal(e.into())),
    }
}

pub async fn unfollow_form(
    page: Page,
    _token: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    confirm_page(
        &page,
        "proposal-unfollow-title",
        "proposal-unfollow-text",
        "proposal-unfollow-button",
    )
}

pub async fn unfollow(page: Page, token: web::Path<String>) -> Result<HttpResponse, WebError> {
    match page
        .state()
        .proposal_desk()
        .supports()
        .unfollow(&token)
        .await
    {
        Ok(_) => {
            let mut ctx = page.context();
            ctx.insert("title_key", "proposal-unfollowed-title");
            ctx.insert("text_key", "proposal-unfollowed-text");
            ctx.insert("link_href", "/vorschlaege");
            ctx.insert("link_key", "proposal-back-to-list");
            page.render("message.html", &ctx)
        }
        Err(ProposalError::NotFound) => Err(WebError::NotFound),
        Err(e) => Err(WebError::Internal(e.into())),
    }
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
    let draft = match form.parse(false) {
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
