//! A Meilisearch index that connects on first use and again after a failed connection attempt, so
//! the portal starts and serves (with the database search) while the search server is down.
use tokio::sync::OnceCell;

use super::{
    ProposalDocument, ProposalIndex, SearchError, SearchQuery, SearchResults,
    meilisearch::MeilisearchIndex,
};

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
        self.index().await?.upsert(documents).await
    }
    async fn remove(&self, ids: Vec<i64>) -> Result<(), SearchError> {
        self.index().await?.remove(ids).await
    }
    async fn clear(&self) -> Result<(), SearchError> {
        self.index().await?.clear().await
    }
    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchError> {
        self.index().await?.search(query).await
    }
}
