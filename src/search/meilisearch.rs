//! The Meilisearch backend, for installations with several app instances sharing one index.
//!
//! Meilisearch does typo tolerance, prefix search and ranking itself; this module configures the
//! index to match the embedded backend's contract (typo thresholds 5 and 9, filters, sorts,
//! German locale) and translates queries and results.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use meilisearch_sdk::client::Client;
use meilisearch_sdk::errors::{Error as MeiliError, ErrorCode, ErrorType};
use meilisearch_sdk::indexes::Index;
use meilisearch_sdk::search::{MatchingStrategies, SearchResult, Selectors};
use meilisearch_sdk::settings::{
    FacetSortValue, FacetingSettings, LocalizedAttributes, MinWordSizeForTypos, PaginationSetting,
    Settings, TypoToleranceSettings,
};
use meilisearch_sdk::task_info::TaskInfo;
use meilisearch_sdk::tasks::Task;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{
    Facets, ProposalDocument, ProposalIndex, SearchError, SearchHit, SearchQuery, SearchResults,
    SnippetPart, SortOrder,
};

/// Highlight tags that cannot occur in stored text (they are stripped on the way in), so the
/// formatted text can be split on them without any HTML involved.
const PRE: &str = "\u{1}";
const POST: &str = "\u{2}";
/// Words around the match; about 200 characters of German text.
const CROP_WORDS: usize = 28;
const MAX_PER_PAGE: u32 = 100;
/// Meilisearch reads at most 10 words itself; this only bounds the request size.
const MAX_QUERY_CHARS: usize = 1_000;
/// `totalHits` is exact up to this many matches.
const MAX_TOTAL_HITS: usize = 1_000_000;
const TASK_POLL: Duration = Duration::from_millis(25);
const TASK_TIMEOUT: Duration = Duration::from_secs(60);
const FACETS: [&str; 3] = ["category", "district", "status"];

/// The document as Meilisearch stores it: dates as unix seconds so they can be sorted.
#[derive(Debug, Serialize, Deserialize)]
struct MeiliDocument {
    id: i64,
    title: String,
    text: String,
    answer: Option<String>,
    category: String,
    district: String,
    status: String,
    supports: i64,
    created_at: i64,
    /// The exact timestamp, for display; `created_at` loses the sub-second part.
    created_at_exact: DateTime<Utc>,
}

fn strip_markers(text: &str) -> String {
    text.replace(
        [PRE.chars().next().unwrap(), POST.chars().next().unwrap()],
        "",
    )
}

impl From<&ProposalDocument> for MeiliDocument {
    fn from(d: &ProposalDocument) -> Self {
        MeiliDocument {
            id: d.id,
            title: strip_markers(&d.title),
            text: strip_markers(&d.text),
            answer: d.answer.as_deref().map(strip_markers),
            category: d.category.clone(),
            district: d.district.clone(),
            status: d.status.clone(),
            supports: d.supports,
            created_at: d.created_at.timestamp(),
            created_at_exact: d.created_at,
        }
    }
}

fn map_error(e: MeiliError) -> SearchError {
    match e {
        MeiliError::HttpError(_)
        | MeiliError::MeilisearchCommunication(_)
        | MeiliError::Timeout
        | MeiliError::InvalidRequest => SearchError::Unavailable(format!("meilisearch: {e}")),
        MeiliError::Meilisearch(ref m)
            if matches!(m.error_type, ErrorType::Auth | ErrorType::Internal) =>
        {
            SearchError::Unavailable(format!("meilisearch: {e}"))
        }
        other => SearchError::Index(format!("meilisearch: {other}")),
    }
}

/// One Meilisearch index; cheap to clone.
#[derive(Clone)]
pub struct MeilisearchIndex {
    client: Client,
    index: Index,
}

impl std::fmt::Debug for MeilisearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The client holds the API key; only the index name is shown.
        f.debug_struct("MeilisearchIndex")
            .field("index", &self.index.uid)
            .finish()
    }
}

fn settings() -> Settings {
    Settings::new()
        // Order matters: an attribute earlier in the list ranks higher, so title is boosted.
        .with_searchable_attributes(["title", "text", "answer"])
        .with_filterable_attributes(FACETS)
        .with_sortable_attributes(["created_at", "supports"])
        .with_typo_tolerance(TypoToleranceSettings {
            enabled: Some(true),
            min_word_size_for_typos: Some(MinWordSizeForTypos {
                one_typo: Some(5),
                two_typos: Some(9),
            }),
            ..Default::default()
        })
        .with_pagination(PaginationSetting {
            max_total_hits: MAX_TOTAL_HITS,
        })
        .with_faceting(FacetingSettings {
            max_values_per_facet: 100,
            sort_facet_values_by: Some(
                [("*".to_string(), FacetSortValue::Count)]
                    .into_iter()
                    .collect(),
            ),
        })
        // German segmentation and normalization for the text; without it the language is
        // guessed per document, which is unreliable for short titles.
        .with_localized_attributes([LocalizedAttributes {
            locales: vec!["deu".to_string()],
            attribute_patterns: vec!["title".into(), "text".into(), "answer".into()],
        }])
}

impl MeilisearchIndex {
    /// Connects, creates the index when missing and applies the settings (waiting for them).
    pub async fn connect(
        url: &str,
        api_key: Option<&str>,
        index_name: &str,
    ) -> Result<Self, SearchError> {
        let client = Client::new(url, api_key).map_err(map_error)?;
        client.health().await.map_err(map_error)?;
        let created = client
            .create_index(index_name, Some("id"))
            .await
            .map_err(map_error)?;
        match created
            .wait_for_completion(&client, Some(TASK_POLL), Some(TASK_TIMEOUT))
            .await
            .map_err(map_error)?
        {
            Task::Failed { content }
                if content.error.error_code != ErrorCode::IndexAlreadyExists =>
            {
                return Err(SearchError::Index(format!(
                    "meilisearch: cannot create index {index_name}: {}",
                    content.error.error_message
                )));
            }
            _ => {}
        }
        let this = MeilisearchIndex {
            index: client.index(index_name),
            client,
        };
        let task = this
            .index
            .set_settings(&settings())
            .await
            .map_err(map_error)?;
        this.wait(task).await?;
        tracing::info!(index = index_name, "connected to meilisearch");
        Ok(this)
    }

    /// Deletes the whole index (tests use one index each).
    pub async fn delete_index(self) -> Result<(), SearchError> {
        let task = self.index.delete().await.map_err(map_error)?;
        task.wait_for_completion(&self.client, Some(TASK_POLL), Some(TASK_TIMEOUT))
            .await
            .map_err(map_error)?;
        Ok(())
    }

    /// Waits for a task, so writes are visible when the trait methods return.
    async fn wait(&self, task: TaskInfo) -> Result<(), SearchError> {
        match task
            .wait_for_completion(&self.client, Some(TASK_POLL), Some(TASK_TIMEOUT))
            .await
            .map_err(map_error)?
        {
            Task::Failed { content } => Err(SearchError::Index(format!(
                "meilisearch task failed: {}",
                content.error.error_message
            ))),
            _ => Ok(()),
        }
    }
}

fn filter_expression(query: &SearchQuery) -> Option<String> {
    let quote = |v: &str| format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""));
    let parts: Vec<String> = FACETS
        .iter()
        .zip([&query.category, &query.district, &query.status])
        .filter_map(|(name, value)| value.as_deref().map(|v| format!("{name} = {}", quote(v))))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" AND "))
}

/// Splits highlighted text on the marker tags.
fn snippet_parts(formatted: &str) -> Vec<SnippetPart> {
    let mut parts = Vec::new();
    let mut rest = formatted;
    while !rest.is_empty() {
        let (plain, after) = rest.split_once(PRE).unwrap_or((rest, ""));
        if !plain.is_empty() {
            parts.push(SnippetPart {
                text: plain.replace(POST, ""),
                highlighted: false,
            });
        }
        let (marked, after) = after.split_once(POST).unwrap_or((after, ""));
        if !marked.is_empty() {
            parts.push(SnippetPart {
                text: marked.to_string(),
                highlighted: true,
            });
        }
        rest = after;
    }
    parts
}

fn snippet(formatted: Option<&Map<String, Value>>, has_words: bool) -> Vec<SnippetPart> {
    let field = |name: &str| {
        formatted
            .and_then(|f| f.get(name))
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let text = field("text");
    let answer = field("answer");
    let chosen = if has_words && !text.contains(PRE) && answer.contains(PRE) {
        answer
    } else {
        text
    };
    let mut parts = snippet_parts(chosen.trim());
    if !has_words {
        // Without search words nothing is highlighted, whatever Meilisearch reports.
        parts.iter_mut().for_each(|p| p.highlighted = false);
    }
    parts
}

fn facet_values(distribution: Option<&HashMap<String, usize>>) -> Vec<(String, u64)> {
    let mut values: Vec<(String, u64)> = distribution
        .into_iter()
        .flatten()
        .filter(|(_, count)| **count > 0)
        .map(|(key, count)| (key.clone(), *count as u64))
        .collect();
    values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    values
}

fn to_hit(result: SearchResult<MeiliDocument>, has_words: bool) -> SearchHit {
    let snippet = snippet(result.formatted_result.as_ref(), has_words);
    let d = result.result;
    SearchHit {
        id: d.id,
        title: d.title,
        snippet,
        category: d.category,
        district: d.district,
        status: d.status,
        supports: d.supports,
        created_at: d.created_at_exact,
    }
}

#[async_trait::async_trait]
impl ProposalIndex for MeilisearchIndex {
    fn backend(&self) -> &'static str {
        "meilisearch"
    }

    async fn upsert(&self, documents: Vec<ProposalDocument>) -> Result<(), SearchError> {
        if documents.is_empty() {
            return Ok(());
        }
        let documents: Vec<MeiliDocument> = documents.iter().map(MeiliDocument::from).collect();
        let task = self
            .index
            .add_or_replace(&documents, Some("id"))
            .await
            .map_err(map_error)?;
        self.wait(task).await
    }

    async fn remove(&self, ids: Vec<i64>) -> Result<(), SearchError> {
        if ids.is_empty() {
            return Ok(());
        }
        let task = self.index.delete_documents(&ids).await.map_err(map_error)?;
        self.wait(task).await
    }

    async fn clear(&self) -> Result<(), SearchError> {
        let task = self.index.delete_all_documents().await.map_err(map_error)?;
        self.wait(task).await
    }

    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchError> {
        let end = query
            .text
            .char_indices()
            .nth(MAX_QUERY_CHARS)
            .map_or(query.text.len(), |(i, _)| i);
        let text = query.text[..end].trim();
        let has_words = text.chars().any(char::is_alphanumeric);
        let filter = filter_expression(query);
        let sort: &[&str] = match (query.sort, has_words) {
            (SortOrder::Relevance, true) => &[],
            (SortOrder::Relevance, false) | (SortOrder::Newest, _) => &["created_at:desc"],
            (SortOrder::MostSupported, _) => &["supports:desc", "created_at:desc"],
        };
        let per_page = query.per_page.clamp(1, MAX_PER_PAGE) as usize;
        let page = query.page as usize + 1;
        let crop = [("text", None), ("answer", None)];
        let highlight = ["text", "answer"];
        // Same rule as the embedded index: every word, or, when that finds nothing, fewer.
        let run = |strategy: MatchingStrategies| {
            let mut search = self.index.search();
            if has_words {
                search.with_query(text);
            }
            if let Some(filter) = &filter {
                search.with_filter(filter);
            }
            if !sort.is_empty() {
                search.with_sort(sort);
            }
            search
                .with_page(page)
                .with_hits_per_page(per_page)
                .with_facets(Selectors::Some(&FACETS))
                .with_attributes_to_crop(Selectors::Some(&crop))
                .with_crop_length(CROP_WORDS)
                .with_crop_marker("")
                .with_attributes_to_highlight(Selectors::Some(&highlight))
                .with_highlight_pre_tag(PRE)
                .with_highlight_post_tag(POST)
                .with_matching_strategy(strategy);
            async move { search.execute::<MeiliDocument>().await.map_err(map_error) }
        };
        let mut found = run(MatchingStrategies::ALL).await?;
        if found.total_hits == Some(0) && text.split_whitespace().count() > 1 {
            tracing::debug!("no document has every word, dropping words from the end");
            found = run(MatchingStrategies::LAST).await?;
        }
        let distribution = found.facet_distribution.take().unwrap_or_default();
        Ok(SearchResults {
            total: found
                .total_hits
                .or(found.estimated_total_hits)
                .unwrap_or_default() as u64,
            hits: found
                .hits
                .into_iter()
                .map(|hit| to_hit(hit, has_words))
                .collect(),
            facets: Facets {
                category: facet_values(distribution.get("category")),
                district: facet_values(distribution.get("district")),
                status: facet_values(distribution.get("status")),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::allowed_typos;

    /// A change to `allowed_typos` must be mirrored in the Meilisearch settings.
    #[test]
    fn typo_settings_match_the_contract() {
        let typo = settings().typo_tolerance.unwrap();
        let sizes = typo.min_word_size_for_typos.unwrap();
        let one = "a".repeat(sizes.one_typo.unwrap() as usize);
        let two = "a".repeat(sizes.two_typos.unwrap() as usize);
        assert_eq!(allowed_typos(&one[1..]), 0);
        assert_eq!(allowed_typos(&one), 1);
        assert_eq!(allowed_typos(&two[1..]), 1);
        assert_eq!(allowed_typos(&two), 2);
    }

    #[test]
    fn markers_split_into_parts_and_are_stripped_from_input() {
        let parts = snippet_parts("vor \u{1}Glasfaser\u{2} nach");
        let flat: Vec<_> = parts
            .iter()
            .map(|p| (p.text.as_str(), p.highlighted))
            .collect();
        assert_eq!(
            flat,
            [("vor ", false), ("Glasfaser", true), (" nach", false)]
        );
        assert_eq!(strip_markers("a\u{1}b\u{2}c"), "abc");
        // A stray marker must not produce an empty or unbalanced part.
        assert_eq!(snippet_parts("x\u{2}y").len(), 1);
    }

    #[test]
    fn filters_quote_values() {
        let query = SearchQuery {
            category: Some("a\"b".into()),
            district: Some("16051".into()),
            ..Default::default()
        };
        assert_eq!(
            filter_expression(&query).unwrap(),
            r#"category = "a\"b" AND district = "16051""#
        );
        assert_eq!(filter_expression(&SearchQuery::default()), None);
    }
}
