//! The Meilisearch backend, for installations with several app instances sharing one index.
//!
//! Meilisearch does typo tolerance, prefix search and ranking itself; this module configures the
//! index to match the embedded backend's contract (typo thresholds 5 and 9, filters, sorts,
//! German compounds and spellings without umlauts) and translates queries and results.
//!
//! Why three copies of the text: Meilisearch's German locale splits compounds ("Glasfaserausbau"
//! into "glasfaser" and "ausbau"), but a query read as German is split too, into dictionary pieces
//! that leave no room for typos ("Datenshutz", "Landesregirung" then find nothing). So the query is
//! read without German segmentation (`QUERY_LOCALES`), `title`, `text` and `answer` are indexed
//! the same way (whole words, typos), `parts` holds the same text segmented as German (compound
//! parts), and `folded` holds it with umlauts and ß written out ("Thueringen", "Strasse").
//!
//! Meilisearch does not stem. `stems` holds the text as the embedded index stores it (German
//! Snowball stems of the folded words, `embedded::german_stems`). A query whose words are their
//! own stems ("Dorf") finds the other forms there as it is; a query with other forms ("Dörfer",
//! "Dorfes") is searched twice in one federated request, as typed (typos, prefixes, compound
//! parts, exact forms first) and as stems, and Meilisearch merges the two by ranking score, with
//! the total and the facets over both. So "Dorf", "Dörfer" and "Dorfes" find each other.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use meilisearch_sdk::DefaultHttpClient;
use meilisearch_sdk::client::{Client, SwapIndexes};
use meilisearch_sdk::errors::{Error as MeiliError, ErrorCode, ErrorType};
use meilisearch_sdk::indexes::{Index, IndexesQuery};
use meilisearch_sdk::search::{
    FederationOptions, MatchingStrategies, MergeFacets, SearchQuery as MeiliSearchQuery,
    SearchResult, Selectors,
};
use meilisearch_sdk::task_info::TaskInfo;
use meilisearch_sdk::tasks::Task;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

mod settings;

use settings::{
    FACETS, MAX_TOTAL_HITS, SETTINGS_VERSION, WORD_LOCALES, marked_incomplete, settings,
    settings_marked_incomplete, settings_match, version_of,
};

use super::{
    Facets, ProposalDocument, ProposalIndex, SearchError, SearchHit, SearchQuery, SearchResults,
    SnippetPart, SortOrder, embedded::german_stems, fold_german,
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
const TASK_POLL: Duration = Duration::from_millis(25);
/// Document writes: a batch of 2,000 proposals takes well under a second.
const TASK_TIMEOUT: Duration = Duration::from_secs(60);
/// Changed settings make Meilisearch re-index every document; 100,000 proposals take minutes.
const SETTINGS_TIMEOUT: Duration = Duration::from_secs(600);
/// What a hit needs besides the formatted snippet.
const RETRIEVE: [&str; 7] = [
    "id",
    "title",
    "category",
    "district",
    "status",
    "supports",
    "created_at_exact",
];

/// The snippet comes from the text or the answer, whichever matched.
const CROP: [(&str, Option<usize>); 2] = [("text", None), ("answer", None)];
const HIGHLIGHT: [&str; 2] = ["text", "answer"];

/// The document as Meilisearch stores it: dates as unix seconds so they can be sorted.
#[derive(Debug, Serialize, Deserialize)]
struct MeiliDocument {
    id: i64,
    title: String,
    text: String,
    answer: Option<String>,
    /// Title, text and answer, segmented as German.
    parts: Vec<String>,
    /// Title, text and answer with umlauts and ß written out.
    folded: Vec<String>,
    /// Title, text and answer as German stems (see the module comment).
    stems: Vec<String>,
    category: String,
    district: String,
    status: String,
    supports: i64,
    created_at: i64,
    /// The exact timestamp, for display; `created_at` loses the sub-second part.
    created_at_exact: DateTime<Utc>,
}

/// The fields of a hit (see `RETRIEVE`).
#[derive(Debug, Deserialize)]
struct MeiliHit {
    id: i64,
    title: String,
    category: String,
    district: String,
    status: String,
    supports: i64,
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
        let title = strip_markers(&d.title);
        let text = strip_markers(&d.text);
        let answer = d.answer.as_deref().map(strip_markers);
        let parts: Vec<String> = [Some(&title), Some(&text), answer.as_ref()]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        MeiliDocument {
            folded: parts.iter().map(|p| fold_german(p)).collect(),
            stems: parts.iter().map(|p| german_stems(p).join(" ")).collect(),
            parts,
            id: d.id,
            title,
            text,
            answer,
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
        // A search on a missing index, or one that lost its filterable and sortable fields.
        MeiliError::Meilisearch(ref m)
            if matches!(
                m.error_code,
                ErrorCode::IndexNotFound
                    | ErrorCode::InvalidSearchFilter
                    | ErrorCode::InvalidSearchSort
                    | ErrorCode::InvalidSearchFacets
            ) =>
        {
            SearchError::Lost(format!("meilisearch: {e}"))
        }
        other => SearchError::Index(format!("meilisearch: {other}")),
    }
}

/// What `prepare` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prepared {
    /// The index exists with the portal's settings.
    Unchanged,
    /// The index was missing and was created empty.
    Created,
    /// The index had other settings (an older portal, or re-created by a write after it was
    /// deleted); its documents may be incomplete.
    SettingsApplied,
    /// The index carries the mark of a repair that was not finished: its instance stopped before
    /// the rebuilt index was swapped in (see [`MeilisearchIndex::prepare_live`]).
    Incomplete,
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

impl MeilisearchIndex {
    /// A handle on the index; nothing is sent yet (see `prepare`).
    pub fn new(url: &str, api_key: Option<&str>, index_name: &str) -> Result<Self, SearchError> {
        let client = Client::new(url, api_key).map_err(map_error)?;
        Ok(MeilisearchIndex {
            index: client.index(index_name),
            client,
        })
    }

    /// Connects and prepares the index (tests, and `teilhabe reindex`).
    pub async fn connect(
        url: &str,
        api_key: Option<&str>,
        index_name: &str,
    ) -> Result<Self, SearchError> {
        let this = Self::new(url, api_key, index_name)?;
        this.prepare().await?;
        Ok(this)
    }

    pub fn uid(&self) -> &str {
        &self.index.uid
    }

    /// Another index on the same server.
    pub fn sibling(&self, index_name: &str) -> Self {
        MeilisearchIndex {
            index: self.client.index(index_name),
            client: self.client.clone(),
        }
    }

    pub async fn health(&self) -> Result<(), SearchError> {
        self.client.health().await.map_err(map_error).map(|_| ())
    }

    /// Creates the index when missing and applies the settings when they differ, waiting until
    /// Meilisearch has applied them. Settings that already match are not sent again, so instances
    /// starting later queue nothing. For indexes filled right after (a rebuild's staging index,
    /// tests); the live index is prepared with [`Self::prepare_live`].
    pub async fn prepare(&self) -> Result<Prepared, SearchError> {
        self.prepare_marking(false).await
    }

    /// [`Self::prepare`] for the live index, which a rebuild fills later: an index created or set up
    /// anew carries the mark of an unfinished repair until the rebuilt index is swapped in, and an
    /// index found with that mark is [`Prepared::Incomplete`], whichever instance set it.
    pub async fn prepare_live(&self) -> Result<Prepared, SearchError> {
        self.prepare_marking(true).await
    }

    async fn prepare_marking(&self, live: bool) -> Result<Prepared, SearchError> {
        let wanted = serde_json::to_value(settings())
            .map_err(|e| SearchError::Index(format!("meilisearch settings: {e}")))?;
        let mut outcome = Prepared::SettingsApplied;
        let current = match self.index.get_settings().await {
            Ok(current) => current,
            Err(MeiliError::Meilisearch(m)) if m.error_code == ErrorCode::IndexNotFound => {
                let created = self
                    .client
                    .create_index(&self.index.uid, Some("id"))
                    .await
                    .map_err(map_error)?
                    .wait_for_completion(&self.client, Some(TASK_POLL), Some(TASK_TIMEOUT))
                    .await
                    .map_err(map_error)?;
                match created {
                    // Another instance was quicker; its settings may still be on their way.
                    Task::Failed { content }
                        if content.error.error_code != ErrorCode::IndexAlreadyExists =>
                    {
                        return Err(SearchError::Index(format!(
                            "meilisearch: cannot create index {}: {}",
                            self.index.uid, content.error.error_message
                        )));
                    }
                    Task::Failed { .. } => {}
                    _ => outcome = Prepared::Created,
                }
                self.index.get_settings().await.map_err(map_error)?
            }
            Err(e) => return Err(map_error(e)),
        };
        let current = serde_json::to_value(current)
            .map_err(|e| SearchError::Index(format!("meilisearch settings: {e}")))?;
        if settings_match(&wanted, &current, "") {
            return Ok(if outcome == Prepared::Created {
                outcome
            } else if live && marked_incomplete(&current) {
                Prepared::Incomplete
            } else {
                Prepared::Unchanged
            });
        }
        // A newer release set these; this instance is one of the last of an older release.
        if let Some(newer) = version_of(&current).filter(|v| *v > SETTINGS_VERSION) {
            tracing::debug!(
                index = %self.index.uid,
                newer,
                ours = SETTINGS_VERSION,
                "the search settings are a newer release's; left as they are"
            );
            return Ok(Prepared::Unchanged);
        }
        tracing::info!(index = %self.index.uid, "applying the search settings to meilisearch");
        let applied = if live {
            settings_marked_incomplete()
        } else {
            settings()
        };
        let task = self.index.set_settings(&applied).await.map_err(map_error)?;
        self.wait_for(task, SETTINGS_TIMEOUT).await?;
        Ok(outcome)
    }

    /// Deletes the whole index (tests use one index each).
    pub async fn delete_index(self) -> Result<(), SearchError> {
        let task = self.index.delete().await.map_err(map_error)?;
        task.wait_for_completion(&self.client, Some(TASK_POLL), Some(TASK_TIMEOUT))
            .await
            .map_err(map_error)?;
        Ok(())
    }

    /// The staging indexes of this index's rebuilds (`<uid>_rebuild_<ms>`) that began before
    /// `before_ms` (unix milliseconds).
    pub async fn rebuilds_begun_before(&self, before_ms: i64) -> Result<Vec<String>, SearchError> {
        const PAGE: usize = 100;
        let prefix = format!("{}_rebuild_", self.index.uid);
        let mut found = Vec::new();
        let mut offset = 0;
        loop {
            let page = IndexesQuery::new(&self.client)
                .with_offset(offset)
                .with_limit(PAGE)
                .execute()
                .await
                .map_err(map_error)?;
            let listed = page.results.len();
            for index in page.results {
                let began = index
                    .uid
                    .strip_prefix(&prefix)
                    .filter(|ms| !ms.is_empty() && ms.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|ms| ms.parse::<i64>().ok());
                if began.is_some_and(|ms| ms < before_ms) {
                    found.push(index.uid);
                }
            }
            offset += listed;
            if listed == 0 || offset >= page.total as usize {
                return Ok(found);
            }
        }
    }

    /// Puts `staging` in this index's place in one step (the old documents end up in
    /// `staging`, which is deleted). Searches see either the old or the new documents, never
    /// an empty index.
    pub async fn swap_in(&self, staging: &MeilisearchIndex) -> Result<(), SearchError> {
        let exists = match self.client.get_raw_index(&self.index.uid).await {
            Ok(_) => true,
            Err(MeiliError::Meilisearch(m)) if m.error_code == ErrorCode::IndexNotFound => false,
            Err(e) => return Err(map_error(e)),
        };
        let swap = SwapIndexes {
            indexes: (self.index.uid.clone(), staging.index.uid.clone()),
            // Without a live index, the staging index is renamed instead.
            rename: (!exists).then_some(true),
        };
        let task = self.client.swap_indexes([&swap]).await.map_err(map_error)?;
        self.wait_for(task, TASK_TIMEOUT).await?;
        if exists {
            staging.clone().delete_index().await?;
        }
        Ok(())
    }

    /// Waits for a task, so writes are visible when the trait methods return.
    async fn wait_for(&self, task: TaskInfo, limit: Duration) -> Result<(), SearchError> {
        match task
            .wait_for_completion(&self.client, Some(TASK_POLL), Some(limit))
            .await
            .map_err(map_error)?
        {
            Task::Failed { content } => Err(map_error(MeiliError::Meilisearch(content.error))),
            _ => Ok(()),
        }
    }

    async fn wait(&self, task: TaskInfo) -> Result<(), SearchError> {
        self.wait_for(task, TASK_TIMEOUT).await
    }
}

/// What Meilisearch reads of the typed text: quotes (phrase search) and a leading minus
/// (exclusion) are its syntax, but the portal treats them as plain characters, like the
/// embedded index does. ß is written as ss: Meilisearch keeps ß as a letter of its own, so
/// "Große" would not find "Grosse" (while "Grosse" finds "Große" through `folded`).
fn plain_query(text: &str) -> String {
    text.replace('ß', "ss")
        .replace('ẞ', "SS")
        .split(|c: char| c.is_whitespace() || c == '"')
        .map(|word| word.trim_start_matches('-'))
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The query's second form: every word whose German stem differs from the word itself ("Dörfer",
/// "Dorfes", "Schulen") as that stem ("dorf", "schul"), which matches every form of it in
/// `stems`. Words that are their own stem, and words the stemmer splits or drops, stay as typed.
/// It is searched next to the words as typed, never instead of them: a stem alone would lose the
/// typo budget of the longer word and the compound parts ("Sprechstunde" in "Videosprechstunde").
fn stemmed_query(plain: &str) -> String {
    plain
        .split_whitespace()
        .map(|word| match german_stems(word).as_slice() {
            [stem] if *stem != fold_german(&word.to_lowercase()) => stem.clone(),
            _ => word.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One search request without pagination and facets (which a federated search sets for all).
fn one_query<'a>(
    index: &'a Index,
    text: Option<&'a str>,
    filter: Option<&'a str>,
    sort: &'a [&'a str],
    strategy: MatchingStrategies,
) -> MeiliSearchQuery<'a, DefaultHttpClient> {
    let mut search = index.search();
    if let Some(text) = text {
        search.with_query(text).with_locales(&WORD_LOCALES);
    }
    if let Some(filter) = filter {
        search.with_filter(filter);
    }
    if !sort.is_empty() {
        search.with_sort(sort);
    }
    search
        .with_attributes_to_retrieve(Selectors::Some(&RETRIEVE))
        .with_attributes_to_crop(Selectors::Some(&CROP))
        .with_crop_length(CROP_WORDS)
        .with_crop_marker("")
        .with_attributes_to_highlight(Selectors::Some(&HIGHLIGHT))
        .with_highlight_pre_tag(PRE)
        .with_highlight_post_tag(POST)
        .with_matching_strategy(strategy);
    search
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

fn to_hit(result: SearchResult<MeiliHit>, has_words: bool) -> SearchHit {
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

    async fn document_count(&self) -> Result<Option<u64>, SearchError> {
        let stats = self.index.get_stats().await.map_err(map_error)?;
        Ok(Some(stats.number_of_documents as u64))
    }

    async fn maintain(&self) -> Result<bool, SearchError> {
        Ok(self.prepare().await? != Prepared::Unchanged)
    }

    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchError> {
        let end = query
            .text
            .char_indices()
            .nth(MAX_QUERY_CHARS)
            .map_or(query.text.len(), |(i, _)| i);
        let typed = plain_query(&query.text[..end]);
        let text = typed.as_str();
        let has_words = text.chars().any(char::is_alphanumeric);
        let filter = filter_expression(query);
        let sort: &[&str] = match (query.sort, has_words) {
            (SortOrder::Relevance, true) => &[],
            (SortOrder::Relevance, false) | (SortOrder::Newest, _) => &["created_at:desc"],
            (SortOrder::MostSupported, _) => &["supports:desc", "created_at:desc"],
        };
        let per_page = query.per_page.clamp(1, MAX_PER_PAGE) as usize;
        let page = query.page as usize + 1;
        let query_of = |text, strategy| {
            one_query(
                &self.index,
                has_words.then_some(text),
                filter.as_deref(),
                sort,
                strategy,
            )
        };
        // Same rule as the embedded index: every word, or, when that finds nothing, fewer. When
        // stems differ from the words, the words as typed and their stems are searched together.
        let stemmed = stemmed_query(text);
        let federated = has_words && stemmed != text;
        let (total, hits, mut distribution) = if federated {
            let mut both = self.client.multi_search();
            both.with_search_query(query_of(text, MatchingStrategies::ALL))
                .with_search_query(query_of(&stemmed, MatchingStrategies::ALL));
            let found = both
                .with_federation(FederationOptions {
                    offset: Some((page - 1).saturating_mul(per_page).min(MAX_TOTAL_HITS)),
                    limit: Some(per_page),
                    facets_by_index: Some(HashMap::from([(
                        self.index.uid.clone(),
                        FACETS.iter().map(|f| f.to_string()).collect(),
                    )])),
                    merge_facets: Some(MergeFacets::default()),
                    ..Default::default()
                })
                .execute::<MeiliHit>()
                .await
                .map_err(map_error)?;
            (
                found.estimated_total_hits,
                found.hits,
                found.facet_distribution.unwrap_or_default(),
            )
        } else {
            (0, Vec::new(), HashMap::new())
        };
        let several_words = text.split_whitespace().count() > 1;
        let (total, hits) = if total > 0 || (federated && !several_words) {
            (total, hits)
        } else {
            let run = |strategy| {
                let mut search = query_of(text, strategy);
                search
                    .with_page(page)
                    .with_hits_per_page(per_page)
                    .with_facets(Selectors::Some(&FACETS));
                async move { search.execute::<MeiliHit>().await.map_err(map_error) }
            };
            // After a federated search found nothing, every word as typed finds nothing either.
            let mut found = if federated {
                run(MatchingStrategies::LAST).await?
            } else {
                run(MatchingStrategies::ALL).await?
            };
            if found.total_hits == Some(0) && several_words && !federated {
                tracing::debug!("no document has every word, dropping words from the end");
                found = run(MatchingStrategies::LAST).await?;
            }
            distribution = found.facet_distribution.take().unwrap_or_default();
            (
                found
                    .total_hits
                    .or(found.estimated_total_hits)
                    .unwrap_or_default(),
                found.hits,
            )
        };
        Ok(SearchResults {
            total: total as u64,
            hits: hits.into_iter().map(|hit| to_hit(hit, has_words)).collect(),
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
    fn query_syntax_is_plain_text() {
        assert_eq!(plain_query("\"Glasfaser Ausbau\""), "Glasfaser Ausbau");
        assert_eq!(plain_query("-Glasfaser --x - y"), "Glasfaser x y");
        assert_eq!(plain_query("Große Straße"), "Grosse Strasse");
        assert_eq!(plain_query("  \" - \" "), "");
    }

    #[test]
    fn inflected_query_words_are_sent_as_their_stems() {
        assert_eq!(stemmed_query("Dörfer"), "dorf");
        assert_eq!(stemmed_query("Doerfer Dorfes"), "dorf dorf");
        // Own stems stay as typed (typo budget, exact matches); `stems` finds the other forms.
        assert_eq!(stemmed_query("Dorf Bus"), "Dorf Bus");
        assert_eq!(stemmed_query("Datenshutz"), "Datenshutz");
        // Words the stemmer splits stay whole.
        assert_eq!(stemmed_query("Stadt-App"), "Stadt-App");
        assert_eq!(stemmed_query(""), "");
    }

    #[test]
    fn documents_carry_the_stems_of_the_embedded_index() {
        let document = MeiliDocument::from(&ProposalDocument {
            id: 1,
            title: "Rufbus für die Dörfer".into(),
            text: "Am Rand des Dorfes".into(),
            answer: None,
            category: "sonstiges".into(),
            district: "16051".into(),
            status: "veroeffentlicht".into(),
            supports: 0,
            created_at: Utc::now(),
        });
        assert_eq!(document.stems.len(), 2);
        assert!(document.stems[0].ends_with(" dorf"), "{:?}", document.stems);
        assert!(document.stems[1].ends_with(" dorf"), "{:?}", document.stems);
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
