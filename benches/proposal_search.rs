//! Embedded search index at realistic size: build time, query latency, peak memory.
//!
//! `cargo bench --bench proposal_search` (N proposals from `BENCH_PROPOSALS`, default 100,000).
//! Prints a Markdown table for BENCHMARKS.md. Deterministic: the same seed gives the same data.

use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use teilhabe::search::embedded::EmbeddedIndex;
use teilhabe::search::{ProposalDocument, ProposalIndex, SearchQuery, SortOrder};
use teilhabe::seed::bulk_proposals::{CATEGORIES, districts, proposal};

const BATCH: usize = 10_000;
const WARMUP: usize = 50;
const RUNS: usize = 500;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[at]
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

struct Row {
    name: &'static str,
    p50: Duration,
    p99: Duration,
    mean_total: f64,
}

async fn measure(index: &EmbeddedIndex, name: &'static str, queries: &[SearchQuery]) -> Row {
    for q in queries.iter().cycle().take(WARMUP) {
        index.search(q).await.expect("search");
    }
    let mut times = Vec::with_capacity(RUNS);
    let mut totals = 0u64;
    for q in queries.iter().cycle().take(RUNS) {
        let start = Instant::now();
        let results = index.search(q).await.expect("search");
        times.push(start.elapsed());
        totals += results.total;
    }
    times.sort();
    // A latency for queries that find nothing would flatter the index.
    assert!(totals > 0, "{name}: no query matched anything");
    Row {
        name,
        p50: percentile(&times, 0.50),
        p99: percentile(&times, 0.99),
        mean_total: totals as f64 / RUNS as f64,
    }
}

fn text_queries(words: &[&str]) -> Vec<SearchQuery> {
    words
        .iter()
        .map(|w| SearchQuery {
            text: w.to_string(),
            per_page: 20,
            ..Default::default()
        })
        .collect()
}

fn main() {
    let n: usize = std::env::var("BENCH_PROPOSALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let index = EmbeddedIndex::open(dir.path()).expect("open index");
    let districts = districts();
    let mut rng = StdRng::seed_from_u64(0x7e11_4abe);

    let build_start = Instant::now();
    let mut id = 0i64;
    while (id as usize) < n {
        let batch: Vec<ProposalDocument> = (0..BATCH.min(n - id as usize))
            .map(|_| {
                id += 1;
                proposal(&mut rng, id, &districts)
            })
            .collect();
        runtime.block_on(index.upsert(batch)).expect("upsert");
    }
    let build = build_start.elapsed();
    let rss_after_build = peak_rss_mb();

    let single = text_queries(&[
        "Glasfaser",
        "Kurse",
        "Datenschutz",
        "Mobilfunk",
        "Barrierefreiheit",
        "Verwaltung",
        "Screenreader",
        "Bürgeramt",
        "Senioren",
        "Sendemast",
    ]);
    let multi = text_queries(&[
        "Glasfaser Ausbau Dorf",
        "Kurs Senioren Smartphone",
        "Formulare barrierefrei Rathaus",
        "Funkloch Bundesstraße",
        "Datenschutz Standortdaten Einwilligung",
        "Terminvergabe Bürgeramt online",
        "schnelles Internet Gewerbegebiet",
        "Volkshochschule Computerkurs Gemeinde",
    ]);
    let typo = text_queries(&[
        "Glasfasre",
        "Mobilfunkmsat",
        "Datenschuts",
        "Barrierefreiheti",
        "Volkshochshule",
        "Verwaltnug",
        "Sendemats",
        "Breitbnad",
        "Glasfa",
        "Smartphonek",
    ]);
    let mut filter_rng = StdRng::seed_from_u64(7);
    let filtered: Vec<SearchQuery> = (0..50)
        .map(|i| SearchQuery {
            text: ["Glasfaser", "Kurse", "Formulare", "Datenschutz", "Antrag"][i % 5].into(),
            district: Some(districts.choose(&mut filter_rng).unwrap().clone()),
            category: Some(CATEGORIES.choose(&mut filter_rng).unwrap().to_string()),
            per_page: 20,
            ..Default::default()
        })
        .collect();
    let browse: Vec<SearchQuery> = [SortOrder::Newest, SortOrder::MostSupported]
        .into_iter()
        .map(|sort| SearchQuery {
            sort,
            per_page: 20,
            ..Default::default()
        })
        .collect();

    let rows = runtime.block_on(async {
        vec![
            measure(&index, "single word", &single).await,
            measure(&index, "multi-word (AND)", &multi).await,
            measure(&index, "typo / prefix", &typo).await,
            measure(&index, "word + district + category filter", &filtered).await,
            measure(&index, "no words, newest / most supported", &browse).await,
        ]
    });
    let peak = peak_rss_mb();

    println!();
    println!("Command: `cargo bench --bench proposal_search` (BENCH_PROPOSALS={n})");
    println!(
        "Machine: {} cores; {RUNS} queries per row after {WARMUP} warm-up queries, \
         page size 20, facets and snippets included",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!("| Embedded index, {n} proposals | p50 | p99 | mean matches |");
    println!("| --- | ---: | ---: | ---: |");
    for row in &rows {
        println!(
            "| {} | {:.2} ms | {:.2} ms | {:.0} |",
            row.name,
            row.p50.as_secs_f64() * 1e3,
            row.p99.as_secs_f64() * 1e3,
            row.mean_total
        );
    }
    println!(
        "| index build ({} batches of {BATCH}) | {:.1} s total | | |",
        n.div_ceil(BATCH),
        build.as_secs_f64()
    );
    println!("| peak RSS after build | {rss_after_build:.0} MB | | |");
    println!("| peak RSS (VmHWM) | {peak:.0} MB | | |");
}
