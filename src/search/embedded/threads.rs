//! The threads searches run on.
use super::SearchError;

/// Searches are CPU-bound: more at once than there are cores only adds memory (each holds its
/// collectors and snippets), so they run on one thread per core and the rest wait in the queue
/// without allocating anything. A pool of its own rather than tokio's blocking pool: that pool
/// started a new thread whenever none was idle at that instant, about a dozen under load, and each
/// kept allocator pages of its own (14 MB of the peak). The threads end when the index is dropped.
pub(super) struct SearchThreads {
    pool: rayon::ThreadPool,
}

impl SearchThreads {
    pub(super) fn start(threads: usize) -> Result<Self, SearchError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|n| format!("search-{n}"))
            // A panicking search fails its request (its result channel closes), not the process.
            .panic_handler(|_| tracing::error!("a search panicked"))
            .build()
            .map_err(|e| SearchError::Index(format!("cannot start the search threads: {e}")))?;
        Ok(Self { pool })
    }

    /// Runs `search` on a search thread.
    pub(super) async fn run<T: Send + 'static>(
        &self,
        search: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, SearchError> {
        let (done, result) = tokio::sync::oneshot::channel();
        self.pool.spawn(move || {
            // Its request is gone (the client or the proxy gave up): no search for nobody.
            if done.is_closed() {
                return;
            }
            let _ = done.send(search());
        });
        result
            .await
            .map_err(|_| SearchError::Index("the search failed (its thread panicked)".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::SearchThreads;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// Under overload clients and the proxy give up; their queued searches must not run for
    /// nobody, or the queue grows without end.
    #[tokio::test]
    async fn a_search_whose_request_is_gone_does_not_run() {
        let threads = Arc::new(SearchThreads::start(1).unwrap());
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let busy = tokio::spawn({
            let threads = Arc::clone(&threads);
            async move {
                threads
                    .run(move || {
                        let _ = wait.recv();
                    })
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let ran = Arc::new(AtomicUsize::new(0));
        for _ in 0..5 {
            let ran = Arc::clone(&ran);
            let given_up = tokio::time::timeout(
                Duration::from_millis(5),
                threads.run(move || ran.fetch_add(1, Ordering::SeqCst)),
            )
            .await;
            assert!(given_up.is_err(), "the only thread is busy");
        }
        release.send(()).unwrap();
        busy.await.unwrap().unwrap();
        assert_eq!(threads.run(|| 42).await.unwrap(), 42);
        assert_eq!(ran.load(Ordering::SeqCst), 0);
    }
}
