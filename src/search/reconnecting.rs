//! A Meilisearch index that connects on first use and again after a failed connection attempt, so
//! the portal starts and serves (with the database search) while the search server is down.
use std::{future::Future, time::Duration};

use tokio::sync::OnceCell;

use super::{
    ProposalDocument, ProposalIndex, SearchError, SearchQuery, SearchResults,
    meilisearch::MeilisearchIndex,
};

/// A search must answer quickly or the page falls back to the database search.
const SEARCH_TIMEOUT: Duration = Duration::from_secs(2);
/// Index updates wait for Meilisearch's task queue; the outbox retries after a timeout.
const WRITE_TIMEOUT: Duration = Duration::from_secs(60);

/// Bounds a call, so a server that accepts connections but never answers cannot hold a request.
async fn within<T>(
    limit: Duration,
    call: impl Future<Output = Result<T, SearchError>>,
) -> Result<T, SearchError> {
    tokio::time::timeout(limit, call).await.unwrap_or_else(|_| {
        Err(SearchError::Unavailable(format!(
            "meilisearch did not answer within {} s",
            limit.as_secs()
        )))
    })
}

pub struct ReconnectingMeilisearch {
    url: String,
    api_key: Option<String>,
    index_name: String,
    connection: OnceCell<MeilisearchIndex>,
}

impl ReconnectingMeilisearch {
    pub fn new(url: &str, api_key: Option<&str>, index_name: &str) -> Self {
        Self {
            url: url.to_owned(),
            api_key: api_key.map(str::to_owned),
            index_name: index_name.to_owned(),
            connection: OnceCell::new(),
        }
    }

    /// The connected index; a failed attempt is not remembered, the next call tries again.
    async fn index(&self) -> Result<&MeilisearchIndex, SearchError> {
        self.connection
            .get_or_try_init(|| {
                MeilisearchIndex::connect(&self.url, self.api_key.as_deref(), &self.index_name)
            })
            .await
    }
}

#[async_trait::async_trait]
impl ProposalIndex for ReconnectingMeilisearch {
    fn backend(&self) -> &'static str {
        "meilisearch"
    }
    async fn upsert(&self, documents: Vec<ProposalDocument>) -> Result<(), SearchError> {
        within(WRITE_TIMEOUT, async {
            self.index().await?.upsert(documents).await
        })
        .await
    }
    async fn remove(&self, ids: Vec<i64>) -> Result<(), SearchError> {
        within(WRITE_TIMEOUT, async {
            self.index().await?.remove(ids).await
        })
        .await
    }
    async fn clear(&self) -> Result<(), SearchError> {
        within(WRITE_TIMEOUT, async { self.index().await?.clear().await }).await
    }
    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchError> {
        within(SEARCH_TIMEOUT, async {
            self.index().await?.search(query).await
        })
        .await
    }
}
