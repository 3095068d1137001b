//! Public proposal pages: search, handing in (with a look at similar proposals first), a proposal's
//! page with support, follow and report, and the pages behind mailed links.
//!
//! Search and shared helpers here; handing in and the author's link in `hand_in`; a proposal's page
//! with support, follow and report, and their confirmation links, in `participation`.
use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::{
    domain::{
        FieldErrors,
        proposal::{
            ProposalCategory, ProposalFilter, ProposalSearchForm, ProposalSort, ProposalStatus,
        },
    },
    search::{SearchHit, SearchQuery, SearchResults, SortOrder},
    services::proposals::ProposalError,
    web::{errors::WebError, handlers::district_choices, page::Page},
};

mod hand_in;
mod participation;

pub use hand_in::{confirm_own, hand_in, new_form, own, revise, submitted};
pub use participation::{
    follow, follow_confirm, follow_confirm_form, report, report_form, show, support,
    support_confirm, support_confirm_form, unfollow, unfollow_form,
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
        // The back-office forms say so themselves; elsewhere: reload.
        ProposalError::Changed => errors.add("aktion", "error-proposal-step-not-possible"),
        ProposalError::Db(e) => return Err(WebError::Database(e)),
        ProposalError::Mail(e) => return Err(WebError::Internal(e)),
    }
    Ok(errors)
}

pub async fn district_names(page: &Page) -> Result<HashMap<String, String>, WebError> {
    Ok(district_options(page).await?.into_iter().collect())
}

/// Options for the district select: (key, name), sorted by name.
pub async fn district_options(page: &Page) -> Result<Vec<(String, String)>, WebError> {
    Ok(district_choices(&page.state().districts().await?))
}

pub fn category_options(page: &Page) -> Vec<(String, String)> {
    page.choices(
        "proposal-category",
        ProposalCategory::ALL.iter().map(|c| c.key()),
    )
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
    ctx.insert(
        "statuses",
        &page.choices(
            "proposal-status",
            ProposalStatus::PUBLIC.iter().map(|s| s.key()),
        ),
    );
    let sorts = [
        ProposalSort::Relevance,
        ProposalSort::Newest,
        ProposalSort::MostSupported,
    ];
    ctx.insert(
        "sorts",
        &page.choices("proposals-sort", sorts.iter().map(|s| s.key())),
    );
    let mut filter = match form.parse() {
        Ok(filter) => filter,
        Err(errors) => return page.render_form("proposals/list.html", ctx, &errors),
    };
    let search = &page.state().search;
    let mut outcome = search.run(&search_query(&filter, PER_PAGE)).await?;
    let last_page = outcome.results.total.div_ceil(u64::from(PER_PAGE)).max(1) - 1;
    if u64::from(filter.page) > last_page {
        // An old link, or fewer results since: the last page, as the catalogue shows it. The
        // page number is below the form's limit, so the last page fits as well.
        filter.page = last_page as u32;
        outcome = search.run(&search_query(&filter, PER_PAGE)).await?;
    }
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
