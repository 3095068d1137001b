//! The embedded backend: a tantivy index in a directory of its own.
//!
//! User text never reaches tantivy's `QueryParser` (its syntax would turn quotes, `-`, `:` or
//! brackets into errors or surprises). The words are cut and stemmed with the same analyzer the
//! index uses, and each word becomes an exact, a prefix and a fuzzy clause over title, text and
//! answer. All words are required; when that finds nothing, any word suffices (see
//! [`MatchMode`]).
//!
//! German specifics: umlauts and ß are written out before anything else ("Thüringen" and
//! "Thueringen" are one word), and the stems are also indexed back to front, so a word finds the
//! compounds it ends ("Ausbau" finds "Glasfaserausbau") with a prefix match on the reversed stem.

mod analysis;
mod automata;
mod bonus;
mod query;
mod snippets;
mod store_reads;
mod threads;

pub use analysis::german_stems;
use analysis::{STEMMED, WORDS, stem_analyzer, tails, word_analyzer};
use query::{MatchMode, build_query, query_words};
use snippets::{Highlighter, leading_snippet};
use store_reads::StoreByRead;
use threads::SearchThreads;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tantivy::collector::sort_key::SortByStaticFastValue;
use tantivy::collector::{Collector, Count, TopDocs};
use tantivy::directory::error::LockError;
use tantivy::directory::{Directory, INDEX_WRITER_LOCK};
use tantivy::indexer::{LogMergePolicy, NoMergePolicy};
use tantivy::query::Query;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Searcher, TantivyDocument,
    TantivyError, Term,
};

use super::term_counts::{Counts, TermCounts};
use super::{
    Facets, ProposalDocument, ProposalIndex, SearchError, SearchHit, SearchQuery, SearchResults,
    SortOrder,
};
/// Writer memory budget, shared by the writer threads (tantivy needs at least 15 MB per thread).
const WRITER_MEMORY: usize = 50_000_000;
/// How often `finish_refill` merges again when a merge running beside it took some of its segments.
const MERGE_ATTEMPTS: u32 = 3;
/// Written into the index directory when a rebuild has filled it completely, and removed when one
/// starts. An index without it (a rebuild cut short by a crash) or of another format (tokenisation
/// or schema) is deleted and rebuilt from the database in the background instead of failing the start.
const FORMAT_FILE: &str = "teilhabe-format";
const FORMAT: &str = "2: folded umlauts, reversed stems";
/// Stored documents are compressed in blocks, and a hit decompresses its whole block: 4 KB holds
/// a few proposals. With tantivy's default of 16 KB, decompressing a page of 20 hits was about 7 %
/// of a search (perf); the smaller blocks compress worse (22 → 33 MB for 100,000 proposals).
const STORE_BLOCK_BYTES: usize = 4_096;
const MAX_PER_PAGE: u32 = 100;
/// Deeper pages are not offered by the UI; this bounds the top-k heap a request can ask for.
const MAX_OFFSET: usize = 10_000;
/// How often, at most, `maintain` rewrites the segments that still hold removed proposals. A
/// removal only marks a document deleted: until its segment is rewritten, the text of a hidden
/// proposal or of a deleted account's stays in the index files (and in their backups). A rewrite
/// copies the segments concerned (after a rebuild, the whole index), so it follows removals only,
/// not the frequent replacements of a document whose support count changed, and not more often
/// than this.
const EXPUNGE_EVERY: Duration = Duration::from_secs(600);

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    title: Field,
    text: Field,
    answer: Field,
    /// Unstemmed words for prefix and typo matching: a typo or a cut-off word changes what the
    /// stemmer makes of it ("Verwaltun" vs "verwalt"), so these compare what was typed.
    title_words: Field,
    body_words: Field,
    /// Stems of title, text and answer written back to front, for compound parts.
    tails: Field,
    category: Field,
    district: Field,
    status: Field,
    supports: Field,
    created_at: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    // Positions are not needed: there are no phrase queries, and snippets re-tokenize the text.
    let searchable = TextOptions::default().set_stored().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(STEMMED)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    // Matched by automata only, which read neither frequencies nor stored values.
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(WORDS)
            .set_index_option(IndexRecordOption::Basic),
    );
    let fields = Fields {
        id: builder.add_i64_field("id", INDEXED | STORED | FAST),
        title: builder.add_text_field("title", searchable.clone()),
        text: builder.add_text_field("text", searchable.clone()),
        answer: builder.add_text_field("answer", searchable),
        title_words: builder.add_text_field("title_words", words.clone()),
        body_words: builder.add_text_field("body_words", words.clone()),
        tails: builder.add_text_field("tails", words),
        category: builder.add_text_field("category", STRING | STORED | FAST),
        district: builder.add_text_field("district", STRING | STORED | FAST),
        status: builder.add_text_field("status", STRING | STORED | FAST),
        supports: builder.add_i64_field("supports", STORED | FAST),
        // Microseconds since the epoch; an i64 fast field sorts cheaply.
        created_at: builder.add_i64_field("created_at", STORED | FAST),
    };
    (builder.build(), fields)
}

/// The keyword fields whose values the search page offers as filters, with a count each.
const FACETS: TermCounts = TermCounts::new(&["category", "district", "status"]);

/// One facet's values with their counts, most matches first.
fn facet_values(counts: &mut Counts, index: usize) -> Vec<(String, u64)> {
    let mut values: Vec<(String, u64)> = std::mem::take(&mut counts[index]).into_iter().collect();
    values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    values
}

/// Matches stored-text words against the query words the way the index did, so the snippet
/// highlights what actually matched (same stem, a word starting with the typed word, or one
struct Inner {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    location: Option<PathBuf>,
    /// One search per core at a time.
    search_threads: SearchThreads,
    /// Created or replaced at start; the indexer fills it (see `maintain`).
    needs_rebuild: AtomicBool,
    /// When `maintain` last rewrote the segments holding deleted documents; `None`: not yet.
    last_expunge: Mutex<Option<Instant>>,
    /// A proposal was removed since then (hidden, withdrawn, merged, deleted with its account).
    removed_since_expunge: AtomicBool,
}

impl Inner {
    fn marker(&self) -> Option<PathBuf> {
        self.location.as_ref().map(|dir| dir.join(FORMAT_FILE))
    }

    fn write_completeness_marker(&self) -> Result<(), SearchError> {
        let Some(marker) = self.marker() else {
            return Ok(());
        };
        std::fs::write(&marker, FORMAT)
            .map_err(|e| SearchError::Index(format!("cannot write {}: {e}", marker.display())))
    }

    fn remove_completeness_marker(&self) -> Result<(), SearchError> {
        let Some(marker) = self.marker() else {
            return Ok(());
        };
        match std::fs::remove_file(&marker) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(SearchError::Index(format!(
                "cannot remove {}: {e}",
                marker.display()
            ))),
            _ => Ok(()),
        }
    }
}

/// Merges every searchable segment into one, so each search walks one term dictionary.
fn merge_all(writer: &mut IndexWriter) -> Result<(), SearchError> {
    writer.set_merge_policy(Box::new(NoMergePolicy));
    let mut attempt = 1;
    loop {
        let segments = writer
            .index()
            .searchable_segment_ids()
            .map_err(index_error)?;
        if segments.len() < 2 {
            return Ok(());
        }
        match writer.merge(&segments).wait() {
            Ok(_) => return Ok(()),
            // A merge started before the rebuild replaced some of these segments while this one
            // ran; the result was dropped, so merge what is there now.
            Err(TantivyError::InvalidArgument(reason)) if attempt < MERGE_ATTEMPTS => {
                tracing::debug!(%reason, attempt, "search index merge repeated");
                attempt += 1;
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            Err(e) => return Err(index_error(e)),
        }
    }
}

/// A tantivy index; cheap to clone, all clones share the writer and the reader.
#[derive(Clone)]
pub struct EmbeddedIndex {
    inner: Arc<Inner>,
}

fn index_error(e: TantivyError) -> SearchError {
    SearchError::Index(e.to_string())
}

impl EmbeddedIndex {
    /// Opens the index in `dir`, creating the directory and the index when missing.
    pub fn open(dir: &Path) -> Result<Self, SearchError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            SearchError::Index(format!(
                "cannot create search index directory {}: {e}",
                dir.display()
            ))
        })?;
        let directory = StoreByRead::open(dir).map_err(|e| {
            SearchError::Index(format!(
                "cannot open search index directory {}: {e}",
                dir.display()
            ))
        })?;
        let busy = || {
            SearchError::Unavailable(format!(
                "the search index in {} is in use by another process",
                dir.display()
            ))
        };
        let marker = dir.join(FORMAT_FILE);
        let has_index = dir.join("meta.json").exists();
        let rebuild =
            !has_index || std::fs::read_to_string(&marker).ok().as_deref() != Some(FORMAT);
        if has_index && rebuild {
            // Only with the writer lock: a running portal's index is never deleted under it.
            let lock = directory
                .acquire_lock(&INDEX_WRITER_LOCK)
                .map_err(|_| busy())?;
            tracing::warn!(
                location = %dir.display(),
                "the search index has an older format or its last rebuild did not finish; it is \
                 deleted and rebuilt from the database"
            );
            let lock_name = INDEX_WRITER_LOCK.filepath.as_os_str();
            for entry in std::fs::read_dir(dir)
                .map_err(|e| SearchError::Index(format!("cannot read {}: {e}", dir.display())))?
            {
                let path = entry
                    .map_err(|e| SearchError::Index(format!("cannot read {}: {e}", dir.display())))?
                    .path();
                if path.file_name() == Some(lock_name) {
                    continue;
                }
                let removed = if path.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
                removed.map_err(|e| {
                    SearchError::Index(format!("cannot delete {}: {e}", path.display()))
                })?;
            }
            drop(lock);
        }
        let (schema, fields) = schema();
        let index = Index::open_or_create(directory, schema).map_err(|e| match e {
            TantivyError::SchemaError(msg) => SearchError::Index(format!(
                "the search index in {} was built with another schema ({msg}); delete the \
                 directory and run `teilhabe reindex`",
                dir.display()
            )),
            other => index_error(other),
        })?;
        let this = Self::from_index(index, fields, Some(dir.to_path_buf()))?;
        if rebuild {
            // A new index is filled from the database by the indexer's next round; the marker is
            // written when that fill is complete (`finish_refill`).
            this.inner.needs_rebuild.store(true, Ordering::SeqCst);
        }
        Ok(this)
    }

    /// An index in memory, for tests.
    pub fn in_memory() -> Result<Self, SearchError> {
        let (schema, fields) = schema();
        Self::from_index(Index::create_in_ram(schema), fields, None)
    }

    fn from_index(
        mut index: Index,
        fields: Fields,
        location: Option<PathBuf>,
    ) -> Result<Self, SearchError> {
        // Applies to segments written from now on (a rebuild or a merge rewrites them all).
        index.settings_mut().docstore_blocksize = STORE_BLOCK_BYTES;
        index.tokenizers().register(STEMMED, stem_analyzer());
        index.tokenizers().register(WORDS, word_analyzer());
        let writer = index.writer(WRITER_MEMORY).map_err(|e| match e {
            TantivyError::LockFailure(LockError::LockBusy, _) => {
                let dir = location
                    .as_deref()
                    .map_or_else(|| "memory".to_string(), |d| d.display().to_string());
                SearchError::Unavailable(format!(
                    "the search index in {dir} is in use by another process"
                ))
            }
            other => index_error(other),
        })?;
        let reader = index
            .reader_builder()
            // Reloaded explicitly after each commit, so an upsert is visible when it returns.
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(index_error)?;
        tracing::info!(
            location = %location.as_deref().map_or_else(|| "memory".into(), |d| d.display().to_string()),
            documents = reader.searcher().num_docs(),
            "opened embedded search index"
        );
        Ok(EmbeddedIndex {
            inner: Arc::new(Inner {
                reader,
                writer: Mutex::new(writer),
                fields,
                location,
                search_threads: SearchThreads::start(
                    std::thread::available_parallelism().map_or(2, |n| n.get()),
                )?,
                needs_rebuild: AtomicBool::new(false),
                last_expunge: Mutex::new(None),
                // Removals of an earlier run may still be in the files.
                removed_since_expunge: AtomicBool::new(true),
            }),
        })
    }

    /// How many documents the index files still hold although they were removed or replaced (as
    /// of the last write).
    pub fn deleted_documents(&self) -> u64 {
        self.inner
            .reader
            .searcher()
            .segment_readers()
            .iter()
            .map(|s| u64::from(s.num_deleted_docs()))
            .sum()
    }

    /// Rewrites the segments that hold deleted documents without them, so their text leaves the
    /// disk (tantivy removes the old files when the merge ends). With `wait` it returns when that
    /// is done; otherwise the merge runs on tantivy's merge thread. Returns how many segments it
    /// rewrote or started to.
    pub async fn expunge_deleted(&self, wait: bool) -> Result<usize, SearchError> {
        self.with_writer(move |writer, inner| {
            let segments: Vec<_> = writer
                .index()
                .searchable_segment_metas()
                .map_err(index_error)?
                .into_iter()
                .filter(|s| s.has_deletes())
                .map(|s| s.id())
                .collect();
            if segments.is_empty() {
                return Ok(0);
            }
            let merging = writer.merge(&segments);
            if wait {
                merging.wait().map_err(index_error)?;
                inner.reader.reload().map_err(index_error)?;
            }
            Ok(segments.len())
        })
        .await
    }

    /// Whether a proposal was removed and [`EXPUNGE_EVERY`] has passed since the last rewrite
    /// (marking the rewrite as done now).
    fn expunge_due(&self) -> bool {
        if !self.inner.removed_since_expunge.load(Ordering::SeqCst) {
            return false;
        }
        let Ok(mut last) = self.inner.last_expunge.lock() else {
            return false;
        };
        let due = last.is_none_or(|at| at.elapsed() >= EXPUNGE_EVERY);
        if due {
            *last = Some(Instant::now());
            // A removal from here on is in the next rewrite, if this one does not take it.
            self.inner
                .removed_since_expunge
                .store(false, Ordering::SeqCst);
        }
        due
    }

    /// Runs `work` with the writer locked, off the async workers (tantivy's writer calls block).
    async fn with_writer<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut IndexWriter, &Inner) -> Result<T, SearchError> + Send + 'static,
    ) -> Result<T, SearchError> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let mut writer = inner
                .writer
                .lock()
                .map_err(|_| SearchError::Index("search index writer poisoned".into()))?;
            work(&mut writer, &inner)
        })
        .await
        .map_err(|e| SearchError::Index(format!("search index task failed: {e}")))?
    }

    /// Runs `change` on the writer, commits and reloads the reader.
    async fn write(
        &self,
        change: impl FnOnce(&IndexWriter, &Inner) -> Result<(), SearchError> + Send + 'static,
    ) -> Result<(), SearchError> {
        self.with_writer(move |writer, inner| {
            if let Err(e) = change(writer, inner) {
                // Drop the half-applied batch so the next commit does not publish it.
                writer.rollback().map_err(index_error)?;
                return Err(e);
            }
            writer.commit().map_err(index_error)?;
            inner.reader.reload().map_err(index_error)
        })
        .await
    }

    fn to_tantivy(fields: &Fields, d: &ProposalDocument) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_i64(fields.id, d.id);
        doc.add_text(fields.title, &d.title);
        doc.add_text(fields.title_words, &d.title);
        doc.add_text(fields.text, &d.text);
        doc.add_text(fields.body_words, &d.text);
        if let Some(answer) = &d.answer {
            doc.add_text(fields.answer, answer);
            doc.add_text(fields.body_words, answer);
        }
        let mut stemmer = stem_analyzer();
        let mut all_tails = tails(&mut stemmer, &d.title);
        all_tails.push(' ');
        all_tails.push_str(&tails(&mut stemmer, &d.text));
        if let Some(answer) = &d.answer {
            all_tails.push(' ');
            all_tails.push_str(&tails(&mut stemmer, answer));
        }
        doc.add_text(fields.tails, &all_tails);
        doc.add_text(fields.category, &d.category);
        doc.add_text(fields.district, &d.district);
        doc.add_text(fields.status, &d.status);
        doc.add_i64(fields.supports, d.supports);
        doc.add_i64(fields.created_at, d.created_at.timestamp_micros());
        doc
    }
}

/// A stored document, read back for a hit.
fn read_hit(
    searcher: &Searcher,
    fields: &Fields,
    address: DocAddress,
    highlighter: Option<&Highlighter<'_>>,
) -> Result<SearchHit, SearchError> {
    let doc: TantivyDocument = searcher.doc(address).map_err(index_error)?;
    let text = |field| {
        doc.get_first(field)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let number = |field| doc.get_first(field).and_then(|v| v.as_i64()).unwrap_or(0);
    let body = text(fields.text);
    let answer = text(fields.answer);
    let snippet = highlighter
        .and_then(|h| {
            h.snippet(fields.text, &body)
                .or_else(|| h.snippet(fields.answer, &answer))
        })
        // Only the title matched, or no words were given.
        .unwrap_or_else(|| leading_snippet(&body));
    Ok(SearchHit {
        id: number(fields.id),
        title: text(fields.title),
        snippet,
        category: text(fields.category),
        district: text(fields.district),
        status: text(fields.status),
        supports: number(fields.supports),
        created_at: DateTime::<Utc>::from_timestamp_micros(number(fields.created_at))
            .unwrap_or_default(),
    })
}

/// Runs one query with the count, the page of addresses and the facet counts together.
fn collect<C, K>(
    searcher: &Searcher,
    query: &dyn Query,
    top: Option<C>,
) -> Result<(usize, Vec<DocAddress>, Counts), SearchError>
where
    C: Collector<Fruit = Vec<(K, DocAddress)>>,
{
    let (count, (page, aggs)) = searcher
        .search(query, &(Count, (top, FACETS)))
        .map_err(index_error)?;
    let page = page
        .unwrap_or_default()
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    Ok((count, page, aggs))
}

fn run_search(inner: &Inner, query: &SearchQuery) -> Result<SearchResults, SearchError> {
    let searcher = inner.reader.searcher();
    let fields = &inner.fields;
    let words = query_words(&query.text);
    let per_page = query.per_page.clamp(1, MAX_PER_PAGE) as usize;
    let offset = (query.page as usize).saturating_mul(per_page);
    let want_page = offset <= MAX_OFFSET;
    let sort = match (query.sort, words.is_empty()) {
        (SortOrder::Relevance, true) => SortOrder::Newest,
        (sort, _) => sort,
    };

    let search_once = |mode| {
        let q = build_query(fields, query, &words, mode);
        let top = TopDocs::with_limit(per_page).and_offset(offset);
        let newest = || SortByStaticFastValue::<i64>::for_field("created_at");
        match sort {
            SortOrder::Relevance => {
                collect(&searcher, &*q, want_page.then(|| top.order_by_score()))
            }
            SortOrder::Newest => collect(
                &searcher,
                &*q,
                want_page.then(|| top.order_by((newest(), Order::Desc))),
            ),
            SortOrder::MostSupported => collect(
                &searcher,
                &*q,
                want_page.then(|| {
                    top.order_by((
                        (
                            SortByStaticFastValue::<i64>::for_field("supports"),
                            Order::Desc,
                        ),
                        (newest(), Order::Desc),
                    ))
                }),
            ),
        }
    };
    let mut found = search_once(MatchMode::All)?;
    if found.0 == 0 && words.len() > 1 {
        tracing::debug!(
            words = words.len(),
            "no document has every word, matching any word"
        );
        found = search_once(MatchMode::Any)?;
    }
    let (total, page, mut counts) = found;

    let highlighter = (!words.is_empty()).then(|| Highlighter::new(&words));
    let hits = page
        .into_iter()
        .map(|address| read_hit(&searcher, fields, address, highlighter.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SearchResults {
        hits,
        total: total as u64,
        facets: Facets {
            category: facet_values(&mut counts, 0),
            district: facet_values(&mut counts, 1),
            status: facet_values(&mut counts, 2),
        },
    })
}

#[async_trait::async_trait]
impl ProposalIndex for EmbeddedIndex {
    fn backend(&self) -> &'static str {
        "embedded"
    }

    async fn upsert(&self, documents: Vec<ProposalDocument>) -> Result<(), SearchError> {
        if documents.is_empty() {
            return Ok(());
        }
        let count = documents.len();
        self.write(move |writer, inner| {
            let fields = &inner.fields;
            for d in &documents {
                // A delete only affects documents added before it, so the new version survives.
                writer.delete_term(Term::from_field_i64(fields.id, d.id));
                writer
                    .add_document(Self::to_tantivy(fields, d))
                    .map_err(index_error)?;
            }
            Ok(())
        })
        .await?;
        tracing::debug!(count, "upserted proposals into the embedded index");
        Ok(())
    }

    async fn remove(&self, ids: Vec<i64>) -> Result<(), SearchError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.write(move |writer, inner| {
            for id in ids {
                writer.delete_term(Term::from_field_i64(inner.fields.id, id));
            }
            Ok(())
        })
        .await?;
        self.inner
            .removed_since_expunge
            .store(true, Ordering::SeqCst);
        Ok(())
    }

    async fn clear(&self) -> Result<(), SearchError> {
        self.write(|writer, inner| {
            // From here until `finish_refill` the index is incomplete: a start in between finds
            // no marker and rebuilds it.
            inner.remove_completeness_marker()?;
            // A rebuild follows: its many small segments are merged once, by `finish_refill` at
            // the end. Background merges meanwhile would only redo that work, and one still
            // running when the final merge starts would merge some of the same segments and make
            // it fail.
            writer.set_merge_policy(Box::new(NoMergePolicy));
            writer
                .delete_all_documents()
                .map(|_| ())
                .map_err(index_error)
        })
        .await
    }

    async fn maintain(&self) -> Result<bool, SearchError> {
        let rebuild = self.inner.needs_rebuild.swap(false, Ordering::SeqCst);
        // A rebuild writes everything anew anyway.
        if !rebuild && self.expunge_due() {
            match self.expunge_deleted(false).await {
                Ok(0) => {}
                Ok(segments) => tracing::debug!(
                    segments,
                    "rewriting index segments without deleted documents"
                ),
                // The segments could not be listed. (A merge that fails later, because a
                // background merge took the same segments, is only logged by tantivy.)
                Err(error) => {
                    tracing::warn!(%error, "index segments could not be rewritten without deleted documents")
                }
            }
        }
        Ok(rebuild)
    }

    async fn finish_refill(&self) -> Result<(), SearchError> {
        self.with_writer(|writer, inner| {
            let merged = merge_all(writer);
            // Background merges come back whether or not the final one worked.
            writer.set_merge_policy(Box::new(LogMergePolicy::default()));
            merged?;
            writer.garbage_collect_files().wait().map_err(index_error)?;
            inner.reader.reload().map_err(index_error)?;
            inner.write_completeness_marker()
        })
        .await
    }

    async fn abandon_refill(&self) {
        let restored = self
            .with_writer(|writer, _| {
                writer.set_merge_policy(Box::new(LogMergePolicy::default()));
                Ok(())
            })
            .await;
        if let Err(error) = restored {
            tracing::warn!(%error, "search index merges could not be switched back on");
        }
        // The index holds only part of the proposals: the indexer's next round fills it again.
        self.inner.needs_rebuild.store(true, Ordering::SeqCst);
    }

    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchError> {
        let inner = Arc::clone(&self.inner);
        let query = query.clone();
        self.inner
            .search_threads
            .run(move || run_search(&inner, &query))
            .await?
    }
}

impl std::fmt::Debug for EmbeddedIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedIndex")
            .field("location", &self.inner.location)
            .field("documents", &self.inner.reader.searcher().num_docs())
            .finish()
    }
}

/// An index in memory with one text field holding `texts`, one document each: for the query
/// types' tests.
#[cfg(test)]
fn searcher_over(texts: &[&str]) -> (tantivy::Searcher, Field) {
    let mut schema = Schema::builder();
    let text = schema.add_text_field("text", tantivy::schema::TEXT);
    let index = Index::create_in_ram(schema.build());
    let mut writer: IndexWriter = index.writer(15_000_000).unwrap();
    for body in texts {
        writer.add_document(tantivy::doc!(text => *body)).unwrap();
    }
    writer.commit().unwrap();
    (index.reader().unwrap().searcher(), text)
}
