//! `GET /api/v1/proposals`: the portal's proposal search (same backend, fallback and rules as the
//! page `/vorschlaege`).
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ErrorCode, ErrorResponse, ServerErrors};
use crate::{
    domain::{Language, proposal::ProposalSearchForm},
    search::{Facets, SearchHit},
    web::{handlers::proposals::search_query, state::AppState},
};

pub const PER_PAGE: u32 = 20;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProposalsQuery {
    q: String,
    category: String,
    district: String,
    status: String,
    sort: String,
    page: String,
}

/// The API's parameter names for the fields of the German search form.
const PARAMETERS: [(&str, &str); 6] = [
    ("q", "q"),
    ("kategorie", "category"),
    ("kreis", "district"),
    ("status", "status"),
    ("sortierung", "sort"),
    ("seite", "page"),
];

#[derive(Serialize, ToSchema)]
pub struct SnippetPart {
    pub text: String,
    /// This part matched the search words.
    pub highlighted: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ProposalHit {
    pub id: i64,
    pub title: String,
    /// `published`, `under-review`, `accepted`, `implemented` or `declined`.
    pub status: String,
    pub supports: i64,
    /// About 200 characters of the text around the matches, as plain text.
    pub snippet: String,
    /// The same snippet in parts, with the matching parts marked.
    pub snippet_parts: Vec<SnippetPart>,
    pub category: String,
    /// Kreisschlüssel, e.g. `16051`.
    pub district: String,
    pub created_at: DateTime<Utc>,
    pub url: String,
}

#[derive(Serialize, ToSchema)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

#[derive(Serialize, ToSchema)]
pub struct ProposalFacets {
    pub category: Vec<FacetCount>,
    pub district: Vec<FacetCount>,
    pub status: Vec<FacetCount>,
}

#[derive(Serialize, ToSchema)]
pub struct ProposalPage {
    pub items: Vec<ProposalHit>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    pub per_page: u32,
    /// Counts over all matches, for filters.
    pub facets: ProposalFacets,
    /// True when the search backend failed and a plain database search answered (no typo
    /// tolerance, no stemming, newest first).
    pub degraded: bool,
}

fn facet_counts(counts: &[(String, u64)]) -> Vec<FacetCount> {
    counts
        .iter()
        .map(|(value, count)| FacetCount {
            value: value.clone(),
            count: *count,
        })
        .collect()
}

fn hit(hit: &SearchHit, base: &str) -> ProposalHit {
    ProposalHit {
        id: hit.id,
        title: hit.title.clone(),
        status: hit.status.clone(),
        supports: hit.supports,
        snippet: hit.snippet.iter().map(|p| p.text.as_str()).collect(),
        snippet_parts: hit
            .snippet
            .iter()
            .map(|p| SnippetPart {
                text: p.text.clone(),
                highlighted: p.highlighted,
            })
            .collect(),
        category: hit.category.clone(),
        district: hit.district.clone(),
        created_at: hit.created_at,
        url: format!("{base}/vorschlaege/{}", hit.id),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/proposals",
    operation_id = "searchProposals",
    tag = "proposals",
    summary = "Search published proposals",
    description = "Full-text search over title, text and official answer of published proposals: German \
        stemming, typo tolerance (one typo from 5 letters, two from 9), prefix matching. Without `q` every \
        proposal matches (newest first). Filters combine; wrong values give 422 with one entry per parameter \
        in `fields`. When the search backend fails, a plain database search answers and `degraded` is true.",
    params(
        ("q" = Option<String>, Query, description = "Search words (at most 200 characters); quotes and operators are plain characters."),
        ("category" = Option<String>, Query, description = "Category key, e.g. `internet-mobilfunk`."),
        ("district" = Option<String>, Query, description = "District key (Kreisschlüssel), e.g. `16068`."),
        ("status" = Option<String>, Query, description = "`published`, `under-review`, `accepted`, `implemented` or `declined` (the German keys of earlier versions, such as `veroeffentlicht`, are still accepted)."),
        ("sort" = Option<String>, Query, description = "`relevance` (default), `newest` or `supports`."),
        ("page" = Option<u32>, Query, description = "Page from 1 to 500, 20 hits per page."),
    ),
    responses(
        (status = 200, description = "One page of hits", body = ProposalPage),
        (status = 400, description = "Unreadable query string (`bad_request`)", body = ErrorResponse),
        (status = 422, description = "A parameter is wrong (`validation_failed`)", body = ErrorResponse),
        ServerErrors,
    )
)]
pub async fn search(
    state: web::Data<AppState>,
    query: web::Query<ProposalsQuery>,
) -> Result<HttpResponse, ApiError> {
    let form = ProposalSearchForm {
        q: query.q.clone(),
        kategorie: query.category.clone(),
        kreis: query.district.clone(),
        status: query.status.clone(),
        sortierung: query.sort.clone(),
        seite: query.page.clone(),
    };
    let filter = form.parse().map_err(|errors| {
        errors
            .iter()
            .fold(ApiError::new(ErrorCode::ValidationFailed), |e, problem| {
                let name = PARAMETERS
                    .iter()
                    .find(|(form, _)| *form == problem.field)
                    .map_or(problem.field, |(_, api)| api);
                e.with_field(
                    name,
                    problem.message,
                    state.translations.text(Language::De, problem.message),
                )
            })
    })?;
    let outcome = state.search.run(&search_query(&filter, PER_PAGE)).await?;
    let base = state.settings.base_url.as_str().trim_end_matches('/');
    let Facets {
        category,
        district,
        status,
    } = &outcome.results.facets;
    let total = outcome.results.total;
    Ok(HttpResponse::Ok().json(ProposalPage {
        items: outcome.results.hits.iter().map(|h| hit(h, base)).collect(),
        total,
        page: u64::from(filter.page) + 1,
        pages: total.div_ceil(u64::from(PER_PAGE)).max(1),
        per_page: PER_PAGE,
        facets: ProposalFacets {
            category: facet_counts(category),
            district: facet_counts(district),
            status: facet_counts(status),
        },
        degraded: outcome.degraded,
    }))
}
