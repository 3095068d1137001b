//! Embedded search index at realistic size: build time, query latency, peak memory.
//!
//! `cargo bench --bench proposal_search` (N proposals from `BENCH_PROPOSALS`, default 100,000).
//! Prints a Markdown table for BENCHMARKS.md. Deterministic: the same seed gives the same data.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use teilhabe::search::embedded::EmbeddedIndex;
use teilhabe::search::{ProposalDocument, ProposalIndex, SearchQuery, SortOrder};

const BATCH: usize = 10_000;
const WARMUP: usize = 50;
const RUNS: usize = 500;

const CATEGORIES: [&str; 6] = [
    "verwaltung-digital",
    "internet-mobilfunk",
    "bildung-kurse",
    "barrierefreiheit",
    "datenschutz-sicherheit",
    "sonstiges",
];
const STATUSES: [&str; 5] = [
    "veroeffentlicht",
    "in-pruefung",
    "angenommen",
    "umgesetzt",
    "abgelehnt",
];

/// Subject nouns by theme, so titles and texts read like proposals about one thing.
const SUBJECTS: [&[&str]; 6] = [
    &[
        "Verwaltung",
        "Bürgeramt",
        "Onlineantrag",
        "Antragsformulare",
        "Terminvergabe",
        "Personalausweis",
        "Bauantrag",
        "Wohngeldantrag",
        "Verwaltungsportal",
        "Serviceportal",
        "E-Akte",
        "Kfz-Zulassung",
        "Gewerbeanmeldung",
        "Meldebescheinigung",
    ],
    &[
        "Glasfaser",
        "Glasfaserausbau",
        "Breitband",
        "Breitbandausbau",
        "Mobilfunk",
        "Mobilfunkmast",
        "Funkloch",
        "Sendemast",
        "Internetanschluss",
        "WLAN",
        "Netzabdeckung",
        "Hausanschluss",
        "Bandbreite",
        "Netzbetreiber",
    ],
    &[
        "Kurs",
        "Kurse",
        "Smartphonekurs",
        "Computerkurs",
        "Volkshochschule",
        "Senioren",
        "Medienkompetenz",
        "Schulung",
        "Workshop",
        "Digitalwerkstatt",
        "Tablet",
        "Lernplattform",
        "Schulen",
        "Fortbildung",
    ],
    &[
        "Barrierefreiheit",
        "Screenreader",
        "Leichte Sprache",
        "Gebärdensprache",
        "Kontrast",
        "Schriftgröße",
        "Vorlesefunktion",
        "Rollstuhl",
        "Untertitel",
        "Tastaturbedienung",
        "Formulare",
        "Webseite",
    ],
    &[
        "Datenschutz",
        "Einwilligung",
        "Passwort",
        "Zwei-Faktor-Anmeldung",
        "Standortdaten",
        "Verschlüsselung",
        "Phishing",
        "Cookies",
        "Sicherheitslücke",
        "Datensparsamkeit",
        "Auskunftsrecht",
        "Virenschutz",
    ],
    &[
        "Bibliothek",
        "Dorfladen",
        "Ehrenamt",
        "Bürgerbus",
        "Marktplatz",
        "Vereinsleben",
        "Gemeinderat",
        "Sprechstunde",
        "Infoabend",
        "Nachbarschaft",
    ],
];
const PLACES: [&str; 12] = [
    "im Dorf",
    "in der Stadt",
    "im Landkreis",
    "im ländlichen Raum",
    "an der Schule",
    "im Rathaus",
    "in der Gemeinde",
    "im Ortsteil",
    "am Bahnhof",
    "im Gewerbegebiet",
    "an der Bundesstraße",
    "im Seniorenheim",
];
const VERBS: [&str; 12] = [
    "fehlt",
    "ist zu langsam",
    "funktioniert nicht zuverlässig",
    "sollte ausgebaut werden",
    "braucht mehr Personal",
    "ist schwer zu finden",
    "kostet zu viel",
    "muss verbessert werden",
    "wird dringend gebraucht",
    "ist seit Monaten gestört",
    "sollte kostenlos sein",
    "ist nicht barrierefrei",
];
const FILLERS: [&str; 16] = [
    "Viele Menschen",
    "Ältere Bürgerinnen und Bürger",
    "Familien mit Kindern",
    "Unternehmen vor Ort",
    "Pendler",
    "Schülerinnen und Schüler",
    "Vereine",
    "Menschen mit Behinderung",
    "Handwerksbetriebe",
    "Landwirte",
    "Pflegedienste",
    "Gäste",
    "Auszubildende",
    "Alleinerziehende",
    "Ehrenamtliche",
    "Neubürger",
];
const NEEDS: [&str; 10] = [
    "sind darauf angewiesen",
    "warten seit Jahren darauf",
    "würden davon profitieren",
    "haben sich beschwert",
    "brauchen Unterstützung",
    "wünschen sich eine Lösung",
    "können sonst nicht teilnehmen",
    "nutzen das täglich",
    "fragen regelmäßig danach",
    "wären bereit mitzuhelfen",
];
const ANSWERS: [&str; 8] = [
    "Der Landkreis prüft den Vorschlag gemeinsam mit der Gemeinde.",
    "Die Förderung ist beantragt, der Ausbau beginnt im Frühjahr.",
    "Der Netzbetreiber errichtet bis Herbst einen neuen Sendemast.",
    "Die Volkshochschule bietet ab Januar zusätzliche Kurse an.",
    "Das Formular wurde überarbeitet und ist jetzt barrierefrei.",
    "Aus Datenschutzgründen ist das leider nicht möglich.",
    "Die Umsetzung ist für das nächste Haushaltsjahr geplant.",
    "Der Vorschlag wurde an das zuständige Ministerium weitergeleitet.",
];

fn districts() -> Vec<String> {
    include_str!("../content/reference/thueringen-kreise.csv")
        .lines()
        .skip(1)
        .filter_map(|line| line.split(',').next())
        .map(str::to_string)
        .collect()
}

fn proposal(rng: &mut StdRng, id: i64, districts: &[String]) -> ProposalDocument {
    let theme = rng.random_range(0..CATEGORIES.len());
    let subjects = SUBJECTS[theme];
    let subject = *subjects.choose(rng).unwrap();
    let title = format!(
        "{subject} {} {}",
        PLACES.choose(rng).unwrap(),
        VERBS.choose(rng).unwrap()
    );
    let sentences = rng.random_range(3..9);
    let mut text = String::new();
    for _ in 0..sentences {
        let s = subjects.choose(rng).unwrap();
        // A tenth of the sentences borrow from another theme, as real proposals do.
        let other = SUBJECTS.choose(rng).unwrap().choose(rng).unwrap();
        let noun = if rng.random_bool(0.1) { other } else { s };
        text.push_str(&format!(
            "{} {} {}. {} {}. ",
            noun,
            PLACES.choose(rng).unwrap(),
            VERBS.choose(rng).unwrap(),
            FILLERS.choose(rng).unwrap(),
            NEEDS.choose(rng).unwrap()
        ));
    }
    let status = *STATUSES.choose(rng).unwrap();
    let answer = matches!(status, "angenommen" | "umgesetzt" | "abgelehnt")
        .then(|| ANSWERS.choose(rng).unwrap().to_string());
    ProposalDocument {
        id,
        title,
        text: text.trim_end().to_string(),
        answer,
        category: CATEGORIES[theme].to_string(),
        district: districts.choose(rng).unwrap().clone(),
        status: status.to_string(),
        // Most proposals gather few supports, some many.
        supports: (rng.random::<f64>().powi(4) * 2_000.0) as i64,
        created_at: Utc.with_ymd_and_hms(2023, 1, 1, 0, 0, 0).unwrap()
            + chrono::Duration::seconds(rng.random_range(0..3 * 365 * 86_400)),
    }
}

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
