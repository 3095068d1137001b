//! The contract every search backend keeps. Each check is written once against
//! `&dyn ProposalIndex` and run for the embedded index (always) and for Meilisearch when
//! `TEILHABE_TEST_MEILISEARCH_URL` is set (optional key in `TEILHABE_TEST_MEILISEARCH_KEY`).

use chrono::{DateTime, TimeZone, Utc};
use teilhabe::search::{
    ProposalDocument, ProposalIndex, SearchError, SearchHit, SearchQuery, SearchResults, SortOrder,
};

fn at(month: u32) -> DateTime<Utc> {
    // Whole seconds: Meilisearch sorts by unix seconds.
    Utc.with_ymd_and_hms(2026, month, 1, 12, 0, 0).unwrap()
}

#[allow(clippy::too_many_arguments)]
fn doc(
    id: i64,
    title: &str,
    text: &str,
    answer: Option<&str>,
    category: &str,
    district: &str,
    status: &str,
    supports: i64,
    month: u32,
) -> ProposalDocument {
    ProposalDocument {
        id,
        title: title.into(),
        text: text.into(),
        answer: answer.map(Into::into),
        category: category.into(),
        district: district.into(),
        status: status.into(),
        supports,
        created_at: at(month),
    }
}

const HTML_TITLE: &str = "Barrierefreie Formulare <script>alert(1)</script>";
const HTML_TEXT: &str =
    "Die Formulare der Verwaltung sollen für Screenreader lesbar sein. <b>Wichtig</b> & dringend.";

fn fixture() -> Vec<ProposalDocument> {
    vec![
        doc(
            1,
            "Mehr Kurs für Senioren",
            "Ein Kurs zur digitalen Verwaltung in der Volkshochschule, jeden Dienstag.",
            None,
            "bildung-kurse",
            "16051",
            "published",
            10,
            1,
        ),
        doc(
            2,
            "Glasfaserausbau im ländlichen Raum",
            "Der Glasfaserausbau in den Dörfern geht zu langsam voran. Wir brauchen schnelles Internet.",
            None,
            "internet-mobilfunk",
            "16061",
            "under-review",
            50,
            2,
        ),
        doc(
            3,
            "Funkloch an der Bundesstraße",
            "Zwischen den Orten gibt es kein Mobilfunknetz. Notrufe sind kaum möglich.",
            Some("Der Netzbetreiber errichtet bis Herbst einen neuen Sendemast."),
            "internet-mobilfunk",
            "16061",
            "accepted",
            30,
            3,
        ),
        doc(
            4,
            HTML_TITLE,
            HTML_TEXT,
            None,
            "barrierefreiheit",
            "16051",
            "implemented",
            30,
            4,
        ),
        doc(
            5,
            "Datenschutz bei Apps",
            "Die Stadt-App überträgt Standortdaten ohne Einwilligung.",
            None,
            "datenschutz-sicherheit",
            "16053",
            "declined",
            5,
            5,
        ),
        doc(
            6,
            "Kurz notiert: Schulen",
            "Die Schulen brauchen Tablets und WLAN.",
            None,
            "bildung-kurse",
            "16053",
            "published",
            0,
            6,
        ),
    ]
}

async fn seeded(index: &dyn ProposalIndex) {
    index.clear().await.expect("clear");
    index.upsert(fixture()).await.expect("upsert");
}

fn query(text: &str) -> SearchQuery {
    SearchQuery {
        text: text.into(),
        per_page: 20,
        ..Default::default()
    }
}

async fn search(index: &dyn ProposalIndex, q: &SearchQuery) -> SearchResults {
    index
        .search(q)
        .await
        .unwrap_or_else(|e| panic!("{} search for {q:?} failed: {e}", index.backend()))
}

async fn ids(index: &dyn ProposalIndex, text: &str) -> Vec<i64> {
    ids_of(&search(index, &query(text)).await)
}

fn ids_of(results: &SearchResults) -> Vec<i64> {
    results.hits.iter().map(|h| h.id).collect()
}

fn highlighted(hit: &SearchHit) -> Vec<String> {
    hit.snippet
        .iter()
        .filter(|p| p.highlighted)
        .map(|p| p.text.to_lowercase())
        .collect()
}

fn snippet_text(hit: &SearchHit) -> String {
    hit.snippet.iter().map(|p| p.text.as_str()).collect()
}

fn facet(values: &[(&str, u64)]) -> Vec<(String, u64)> {
    values.iter().map(|(k, n)| (k.to_string(), *n)).collect()
}

/// The checks, each on a fresh or cleared index.
mod checks {
    use super::*;

    pub async fn stemming(index: &dyn ProposalIndex) {
        seeded(index).await;
        assert_eq!(ids(index, "Kurse").await, [1], "Kurse finds Kurs");
    }

    pub async fn one_typo_from_five_letters(index: &dyn ProposalIndex) {
        seeded(index).await;
        assert_eq!(ids(index, "Funklich").await, [3], "one typo in Funkloch");
        assert!(
            ids(index, "Fankluch").await.is_empty(),
            "two typos are too many for eight letters"
        );
    }

    pub async fn two_typos_from_nine_letters(index: &dyn ProposalIndex) {
        seeded(index).await;
        assert_eq!(ids(index, "Standortdatan").await, [5], "one typo");
        assert_eq!(ids(index, "Stendortdatan").await, [5], "two typos");
    }

    pub async fn no_typo_below_five_letters(index: &dyn ProposalIndex) {
        seeded(index).await;
        assert!(
            ids(index, "Kyrs").await.is_empty(),
            "Kyrs must not find Kurs"
        );
        assert!(
            ids(index, "WLAM").await.is_empty(),
            "WLAM must not find WLAN"
        );
    }

    pub async fn prefix(index: &dyn ProposalIndex) {
        seeded(index).await;
        let results = search(index, &query("Glasfa")).await;
        assert_eq!(ids_of(&results), [2]);
        assert!(
            highlighted(&results.hits[0])
                .iter()
                .any(|w| w.starts_with("glasfa")),
            "the prefix is highlighted: {:?}",
            results.hits[0].snippet
        );
        assert_eq!(ids(index, "Mobilfu").await, [3]);
    }

    pub async fn compound_part(index: &dyn ProposalIndex) {
        seeded(index).await;
        assert_eq!(
            ids(index, "Glasfaser").await,
            [2],
            "Glasfaser finds Glasfaserausbau"
        );
    }

    pub async fn all_words_required(index: &dyn ProposalIndex) {
        seeded(index).await;
        // Doc 1 mentions Verwaltung only, doc 4 both words.
        assert_eq!(ids(index, "Verwaltung").await.len(), 2);
        assert_eq!(ids(index, "Formulare Verwaltung").await, [4]);
        // When no document has every word, documents with some of them are better than nothing.
        assert!(ids(index, "Formulare Xylophonorchester").await.contains(&4));
    }

    pub async fn answer_is_searchable_and_highlighted(index: &dyn ProposalIndex) {
        seeded(index).await;
        let results = search(index, &query("Sendemast")).await;
        assert_eq!(ids_of(&results), [3]);
        assert_eq!(highlighted(&results.hits[0]), ["sendemast"]);
        assert!(snippet_text(&results.hits[0]).contains("Netzbetreiber"));
    }

    pub async fn highlight_on_matched_word(index: &dyn ProposalIndex) {
        seeded(index).await;
        let results = search(index, &query("Mobilfunknetz")).await;
        assert_eq!(ids_of(&results), [3]);
        let hit = &results.hits[0];
        assert_eq!(highlighted(hit), ["mobilfunknetz"], "{:?}", hit.snippet);
        assert!(
            fixture()[2].text.contains(&snippet_text(hit)),
            "the snippet is a piece of the text: {:?}",
            snippet_text(hit)
        );
        let stemmed = search(index, &query("Kurse")).await;
        assert!(
            highlighted(&stemmed.hits[0])
                .iter()
                .any(|w| w.starts_with("kurs")),
            "{:?}",
            stemmed.hits[0].snippet
        );
        // Without words, the snippet is the start of the text, unhighlighted.
        let all = search(index, &query("")).await;
        let six = all.hits.iter().find(|h| h.id == 6).unwrap();
        assert_eq!(snippet_text(six), "Die Schulen brauchen Tablets und WLAN.");
        assert!(highlighted(six).is_empty());
    }

    pub async fn facets(index: &dyn ProposalIndex) {
        seeded(index).await;
        let all = search(index, &query("")).await;
        assert_eq!(all.total, 6);
        assert_eq!(
            all.facets.category,
            facet(&[
                ("bildung-kurse", 2),
                ("internet-mobilfunk", 2),
                ("barrierefreiheit", 1),
                ("datenschutz-sicherheit", 1),
            ])
        );
        assert_eq!(
            all.facets.district,
            facet(&[("16051", 2), ("16053", 2), ("16061", 2)])
        );
        assert_eq!(
            all.facets.status,
            facet(&[
                ("published", 2),
                ("accepted", 1),
                ("declined", 1),
                ("implemented", 1),
                ("under-review", 1),
            ])
        );

        let district = search(
            index,
            &SearchQuery {
                district: Some("16061".into()),
                ..query("")
            },
        )
        .await;
        assert_eq!(district.total, 2);
        assert_eq!(
            district.facets.category,
            facet(&[("internet-mobilfunk", 2)])
        );
        assert_eq!(district.facets.district, facet(&[("16061", 2)]));
        assert_eq!(
            district.facets.status,
            facet(&[("accepted", 1), ("under-review", 1)])
        );

        let text_and_filters = search(
            index,
            &SearchQuery {
                category: Some("barrierefreiheit".into()),
                status: Some("implemented".into()),
                ..query("Verwaltung")
            },
        )
        .await;
        assert_eq!(ids_of(&text_and_filters), [4]);
        assert_eq!(
            text_and_filters.facets.category,
            facet(&[("barrierefreiheit", 1)])
        );

        let unknown = search(
            index,
            &SearchQuery {
                category: Some("gibt-es-nicht".into()),
                ..query("")
            },
        )
        .await;
        assert_eq!(unknown.total, 0);
        assert!(unknown.facets.category.is_empty());
    }

    pub async fn sort_orders(index: &dyn ProposalIndex) {
        seeded(index).await;
        let sorted = |sort| SearchQuery { sort, ..query("") };
        assert_eq!(
            ids_of(&search(index, &sorted(SortOrder::Relevance)).await),
            [6, 5, 4, 3, 2, 1],
            "relevance without words is newest first"
        );
        assert_eq!(
            ids_of(&search(index, &sorted(SortOrder::Newest)).await),
            [6, 5, 4, 3, 2, 1]
        );
        assert_eq!(
            ids_of(&search(index, &sorted(SortOrder::MostSupported)).await),
            [2, 4, 3, 1, 5, 6],
            "most supported, ties newest first"
        );
        let with_words = |sort| SearchQuery {
            sort,
            ..query("Verwaltung")
        };
        assert_eq!(
            ids_of(&search(index, &with_words(SortOrder::Newest)).await),
            [4, 1]
        );
        assert_eq!(
            ids_of(&search(index, &with_words(SortOrder::MostSupported)).await),
            [4, 1]
        );
    }

    pub async fn relevance_ranks_exact_prefix_fuzzy(index: &dyn ProposalIndex) {
        index.clear().await.expect("clear");
        let plain = |id, text: &str| {
            doc(
                id,
                "Vorschlag",
                text,
                None,
                "sonstiges",
                "16051",
                "published",
                0,
                1,
            )
        };
        index
            .upsert(vec![
                plain(11, "Der Antrak liegt im Rathaus."),
                plain(12, "Die Antragsformulare liegen im Rathaus."),
                plain(13, "Der Antrag liegt im Rathaus."),
            ])
            .await
            .expect("upsert");
        assert_eq!(ids(index, "Antrag").await, [13, 12, 11]);
    }

    pub async fn title_ranks_above_text(index: &dyn ProposalIndex) {
        index.clear().await.expect("clear");
        index
            .upsert(vec![
                doc(
                    21,
                    "Neue Sitzbänke",
                    "Im Park fehlen Sitzbänke, auch am Spielplatz.",
                    None,
                    "sonstiges",
                    "16051",
                    "published",
                    0,
                    1,
                ),
                doc(
                    22,
                    "Spielplatz sanieren",
                    "Die Geräte sind alt und teilweise kaputt.",
                    None,
                    "sonstiges",
                    "16051",
                    "published",
                    0,
                    1,
                ),
            ])
            .await
            .expect("upsert");
        assert_eq!(ids(index, "Spielplatz").await, [22, 21]);
    }

    pub async fn pagination(index: &dyn ProposalIndex) {
        seeded(index).await;
        let page = |page| SearchQuery {
            page,
            per_page: 4,
            ..query("")
        };
        let first = search(index, &page(0)).await;
        let second = search(index, &page(1)).await;
        let third = search(index, &page(2)).await;
        assert_eq!(ids_of(&first), [6, 5, 4, 3]);
        assert_eq!(ids_of(&second), [2, 1]);
        assert!(third.hits.is_empty());
        for results in [&first, &second, &third] {
            assert_eq!(results.total, 6);
        }
        // Absurd pages and page sizes are clamped, not errors.
        let far = SearchQuery {
            page: u32::MAX,
            per_page: u32::MAX,
            ..query("")
        };
        let far = search(index, &far).await;
        assert!(far.hits.is_empty());
        assert_eq!(far.total, 6);
        let zero = search(
            index,
            &SearchQuery {
                per_page: 0,
                ..query("")
            },
        )
        .await;
        assert_eq!(zero.total, 6);
    }

    pub async fn upsert_replaces(index: &dyn ProposalIndex) {
        seeded(index).await;
        let mut changed = fixture().remove(0);
        changed.title = "Mehr Seniorenkurse im Landkreis".into();
        changed.supports = 99;
        index.upsert(vec![changed.clone()]).await.expect("upsert");
        let all = search(index, &query("")).await;
        assert_eq!(all.total, 6, "replaced, not added");
        assert_eq!(ids(index, "Landkreis").await, [1]);
        let hit = &search(index, &query("Landkreis")).await.hits[0];
        assert_eq!(hit.title, changed.title);
        assert_eq!(hit.supports, 99);
        assert_eq!(hit.created_at, changed.created_at);
        assert_eq!(hit.category, "bildung-kurse");
        assert_eq!(hit.district, "16051");
        assert_eq!(hit.status, "published");
        // The same id twice in one batch: the later version wins.
        let mut twice = changed.clone();
        twice.title = "Digitalsprechstunde".into();
        index.upsert(vec![changed, twice]).await.expect("upsert");
        assert_eq!(search(index, &query("")).await.total, 6);
        assert_eq!(ids(index, "Digitalsprechstunde").await, [1]);
        assert!(ids(index, "Landkreis").await.is_empty());
    }

    pub async fn remove(index: &dyn ProposalIndex) {
        seeded(index).await;
        index.remove(vec![2, 999]).await.expect("remove");
        assert!(ids(index, "Glasfaser").await.is_empty());
        let all = search(index, &query("")).await;
        assert_eq!(all.total, 5);
        assert_eq!(
            all.facets
                .district
                .iter()
                .find(|(k, _)| k == "16061")
                .map(|v| v.1),
            Some(1)
        );
        index.remove(vec![]).await.expect("remove nothing");
    }

    pub async fn clear(index: &dyn ProposalIndex) {
        seeded(index).await;
        index.clear().await.expect("clear");
        let all = search(index, &query("")).await;
        assert_eq!(all.total, 0);
        assert!(all.hits.is_empty());
        assert_eq!(all.facets, Default::default());
        index.upsert(fixture()).await.expect("upsert after clear");
        assert_eq!(search(index, &query("")).await.total, 6);
    }

    /// The embedded index leaves words of 40 bytes or more out; a search for one must find nothing,
    /// not everything.
    pub async fn words_too_long_to_index(index: &dyn ProposalIndex) {
        seeded(index).await;
        for text in [
            "Glasfaserausbaubeschleunigungsgesetzesnovellierungen",
            &"x".repeat(40),
            "Glasfaserausbaubeschleunigungsgesetzesänderungen",
        ] {
            let found = search(index, &query(text)).await;
            assert_eq!(found.total, 0, "{text}: {:?}", ids_of(&found));
        }
        assert_eq!(
            ids(
                index,
                "Glasfaser Glasfaserausbaubeschleunigungsgesetzesnovellierungen"
            )
            .await,
            [2],
            "with another word, the other word finds"
        );
    }

    pub async fn hostile_queries(index: &dyn ProposalIndex) {
        seeded(index).await;
        let long = "Glasfaser ".repeat(1_000);
        let long_word = "a".repeat(10_000);
        let hostile = [
            "",
            "   \t\n ",
            "\"Glasfaser",
            "\"Glasfaser Ausbau\"",
            "Glasfaser AND Kurs",
            "Glasfaser OR",
            "-Glasfaser",
            "+Glasfaser",
            "Glas*",
            "*",
            "title:Glasfaser",
            "(Glasfaser",
            ")",
            "[1 TO 2]",
            "Glasfaser~2",
            "\\",
            "🎉🚀 Glasfaser 🇩🇪",
            "e\u{301}\u{301}\u{301}",
            "שלום עולם مرحبا",
            "Glas\u{200b}faser\u{200d}\u{feff}",
            "\u{0}\u{1}\u{2}",
            "<script>alert(1)</script>",
            "'; DROP TABLE proposals; --",
            long.as_str(),
            long_word.as_str(),
        ];
        for text in hostile {
            for sort in [
                SortOrder::Relevance,
                SortOrder::Newest,
                SortOrder::MostSupported,
            ] {
                let q = SearchQuery {
                    sort,
                    district: Some("16061\"".into()),
                    ..query(text)
                };
                search(index, &q).await;
                search(
                    index,
                    &SearchQuery {
                        sort,
                        ..query(text)
                    },
                )
                .await;
            }
        }
        // Operators are words, not syntax: a leading minus does not exclude.
        assert_eq!(ids(index, "-Glasfaser").await, [2]);
    }

    pub async fn html_stays_plain_text(index: &dyn ProposalIndex) {
        seeded(index).await;
        let results = search(index, &query("Wichtig")).await;
        assert_eq!(ids_of(&results), [4]);
        let hit = &results.hits[0];
        assert_eq!(hit.title, HTML_TITLE);
        let snippet = snippet_text(hit);
        assert!(HTML_TEXT.contains(&snippet), "{snippet:?}");
        assert!(snippet.contains("<b>") && snippet.contains("& dringend"));
        assert!(!snippet.contains("&amp;") && !snippet.contains("&lt;"));
        assert_eq!(highlighted(hit), ["wichtig"]);
    }

    fn plain(id: i64, title: &str, text: &str) -> ProposalDocument {
        doc(
            id,
            title,
            text,
            None,
            "sonstiges",
            "16051",
            "published",
            0,
            1,
        )
    }

    /// Keyboards without umlauts or ß: "ue" finds "ü", "ss" finds "ß", and the other way round.
    pub async fn german_spellings(index: &dyn ProposalIndex) {
        index.clear().await.expect("clear");
        index
            .upsert(vec![
                plain(
                    31,
                    "Förderportale für Thüringen",
                    "Die Bürgerbeauftragte fordert ein gemeinsames Portal.",
                ),
                plain(
                    32,
                    "Ampel an der Bundesstraße",
                    "Die Straße ist für Schulkinder gefährlich.",
                ),
                plain(33, "Müll im Park", "Der Müll wird zu selten abgeholt."),
                plain(
                    34,
                    "Grosse Pause",
                    "Die Strasse vor der Schule ist zu laut.",
                ),
            ])
            .await
            .expect("upsert");
        assert_eq!(ids(index, "Thueringen").await, [31]);
        assert_eq!(ids(index, "Thüringen").await, [31]);
        assert_eq!(ids(index, "Foerderportale").await, [31]);
        assert_eq!(ids(index, "Buergerbeauftragte").await, [31]);
        assert_eq!(ids(index, "Muell").await, [33], "five letters");
        assert_eq!(ids(index, "gefaehrlich").await, [32]);
        let strasse = ids(index, "Strasse").await;
        assert!(
            strasse.contains(&32) && strasse.contains(&34),
            "{strasse:?}"
        );
        assert!(ids(index, "Große").await.contains(&34), "ß finds ss");
        let marked = search(index, &query("Muell")).await;
        assert_eq!(
            highlighted(&marked.hits[0]),
            ["müll"],
            "the word as written is marked: {:?}",
            marked.hits[0].snippet
        );
    }

    /// German word forms: plural and case endings find the base form and the other way round.
    pub async fn inflections(index: &dyn ProposalIndex) {
        seeded(index).await;
        let schule = ids(index, "Schule").await;
        assert_eq!(
            schule.first(),
            Some(&6),
            "Schule finds Schulen first: {schule:?}"
        );
        assert_eq!(ids(index, "Dörfer").await, [2], "Dörfer finds Dörfern");
        assert_eq!(ids(index, "Notruf").await, [3], "Notruf finds Notrufe");
        assert_eq!(
            ids(index, "Formular").await,
            [4],
            "Formular finds Formulare"
        );
    }

    /// Every form of a word finds every other: base form, plural with umlaut, genitive, and the
    /// plural written without the umlaut, alone and with a second word.
    pub async fn word_forms(index: &dyn ProposalIndex) {
        index.clear().await.expect("clear");
        index
            .upsert(vec![
                plain(
                    51,
                    "Rufbus für die Dörfer",
                    "Am Wochenende fährt kein Bus hinaus.",
                ),
                plain(
                    52,
                    "Die Mitte des Dorfes",
                    "Ein Platz mit Bänken für alle, die hier wohnen.",
                ),
                plain(53, "Unser Dorf ohne Netz", "Kein Handyempfang, kein Bus."),
                plain(54, "Stadtpark", "Mehr Bänke und Schatten im Park."),
            ])
            .await
            .expect("upsert");
        for form in ["Dorf", "Dörfer", "Dorfes", "Doerfer", "Dörfern"] {
            let mut found = ids(index, form).await;
            found.sort_unstable();
            assert_eq!(found, [51, 52, 53], "{form} finds every form");
        }
        let mut bus = ids(index, "Dorf Bus").await;
        bus.sort_unstable();
        assert_eq!(bus, [51, 53], "Dorf (not the last word) finds Dörfer");
        assert_eq!(ids(index, "Dorfes Rufbus").await, [51]);
        let mut bank = ids(index, "Bank").await;
        bank.sort_unstable();
        assert_eq!(bank, [52, 54], "Bank finds Bänken, Bänke");
    }

    /// A word finds the compounds it is part of.
    pub async fn compound_parts(index: &dyn ProposalIndex) {
        seeded(index).await;
        assert_eq!(
            ids(index, "Ausbau").await,
            [2],
            "Ausbau finds Glasfaserausbau"
        );
        assert_eq!(ids(index, "Faserausbau").await, [2]);
        assert_eq!(ids(index, "Netz").await, [3], "Netz finds Mobilfunknetz");
        let schule = ids(index, "Hochschule").await;
        assert_eq!(schule, [1], "Hochschule finds Volkshochschule");
    }

    /// Quotes are plain characters: a quoted phrase finds what its words find, and needs all of
    /// them when some document has all.
    pub async fn phrases(index: &dyn ProposalIndex) {
        seeded(index).await;
        assert_eq!(ids(index, "\"schnelles Internet\"").await, [2]);
        assert_eq!(
            ids(index, "\"kein Mobilfunknetz\"").await,
            ids(index, "kein Mobilfunknetz").await
        );
        assert_eq!(ids(index, "\"Glasfaser Internet\"").await, [2]);
        assert_eq!(ids(index, "\"Tablets und WLAN\"").await, [6]);
    }

    /// Most relevant first: a title match over a text match, all words over some, the exact
    /// word over a typo.
    pub async fn ranking_by_relevance(index: &dyn ProposalIndex) {
        index.clear().await.expect("clear");
        index
            .upsert(vec![
                plain(
                    41,
                    "Radweg nach Erfurt",
                    "Ein sicherer Radweg entlang der Landstraße.",
                ),
                plain(
                    42,
                    "Beleuchtung am Bahnhof",
                    "Der Radweg zum Bahnhof ist nachts dunkel.",
                ),
                plain(43, "Sitzbänke", "Am Radwek fehlen Bänke."),
                plain(44, "Bahnhof Apolda", "Mehr Fahrradständer am Bahnhof."),
            ])
            .await
            .expect("upsert");
        let radweg = ids(index, "Radweg").await;
        assert_eq!(radweg, [41, 42, 43], "title, then text, then the typo");
        let both = ids(index, "Radweg Bahnhof").await;
        assert_eq!(both, [42], "only 42 has both words");
        let some = ids(index, "Bahnhof Xylophon").await;
        assert!(some.contains(&42) && some.contains(&44), "{some:?}");
    }
}

/// Runs every check for one backend; `$make` yields `Option<(index, cleanup)>`.
macro_rules! contract {
    ($backend:ident, $make:path, [$($check:ident),* $(,)?]) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let Some(backend) = $make(stringify!($check)).await else {
                        return;
                    };
                    backend.run(|index| Box::pin(async move {
                        super::checks::$check(index).await
                    })).await;
                }
            )*
        }
    };
}

type Check = for<'a> fn(
    &'a dyn ProposalIndex,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>;

/// The embedded index in a temporary directory, removed when the test ends.
struct Embedded {
    index: teilhabe::search::embedded::EmbeddedIndex,
    _dir: tempfile::TempDir,
}

impl Embedded {
    async fn make(_name: &str) -> Option<Self> {
        let dir = tempfile::tempdir().expect("temp dir");
        let index = teilhabe::search::embedded::EmbeddedIndex::open(&dir.path().join("index"))
            .expect("open embedded index");
        Some(Embedded { index, _dir: dir })
    }

    async fn run(self, check: Check) {
        check(&self.index).await;
    }
}

/// A Meilisearch index of its own, deleted afterwards even when the check fails.
struct Meili {
    index: teilhabe::search::meilisearch::MeilisearchIndex,
}

impl Meili {
    async fn make(name: &str) -> Option<Self> {
        let Ok(url) = std::env::var("TEILHABE_TEST_MEILISEARCH_URL") else {
            println!("SKIPPED: meilisearch contract – TEILHABE_TEST_MEILISEARCH_URL is not set");
            return None;
        };
        let key = std::env::var("TEILHABE_TEST_MEILISEARCH_KEY").ok();
        let unique = format!(
            "teilhabe_contract_{name}_{}_{}",
            std::process::id(),
            Utc::now().timestamp_micros()
        );
        let index =
            teilhabe::search::meilisearch::MeilisearchIndex::connect(&url, key.as_deref(), &unique)
                .await
                .unwrap_or_else(|e| panic!("cannot reach Meilisearch at {url}: {e}"));
        Some(Meili { index })
    }

    async fn run(self, check: Check) {
        let index = self.index.clone();
        // A spawned task catches the panic of a failed assertion, so the index is deleted first.
        let outcome = tokio::spawn(async move { check(&index).await }).await;
        self.index.delete_index().await.expect("delete test index");
        if let Err(e) = outcome {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}

macro_rules! all_checks {
    ($backend:ident, $make:path) => {
        contract!(
            $backend,
            $make,
            [
                stemming,
                one_typo_from_five_letters,
                two_typos_from_nine_letters,
                no_typo_below_five_letters,
                prefix,
                compound_part,
                german_spellings,
                inflections,
                word_forms,
                compound_parts,
                phrases,
                ranking_by_relevance,
                all_words_required,
                answer_is_searchable_and_highlighted,
                highlight_on_matched_word,
                facets,
                sort_orders,
                relevance_ranks_exact_prefix_fuzzy,
                title_ranks_above_text,
                pagination,
                upsert_replaces,
                remove,
                clear,
                hostile_queries,
                words_too_long_to_index,
                html_stays_plain_text,
            ]
        );
    };
}

all_checks!(embedded, super::Embedded::make);
all_checks!(meilisearch, super::Meili::make);

/// Embedded only: the directory lock and persistence across reopening.
mod embedded_only {
    use super::*;
    use teilhabe::search::embedded::EmbeddedIndex;

    #[tokio::test]
    async fn a_locked_directory_is_unavailable() {
        let dir = tempfile::tempdir().unwrap();
        let _first = EmbeddedIndex::open(dir.path()).unwrap();
        match EmbeddedIndex::open(dir.path()) {
            Err(SearchError::Unavailable(msg)) => {
                assert!(msg.contains("in use by another process"), "{msg}");
                assert!(msg.contains(&dir.path().display().to_string()), "{msg}");
            }
            other => panic!("expected Unavailable, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn documents_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let index = EmbeddedIndex::open(dir.path()).unwrap();
            index.upsert(fixture()).await.unwrap();
            index.finish_refill().await.unwrap();
        }
        let index = EmbeddedIndex::open(dir.path()).unwrap();
        assert!(!index.maintain().await.unwrap(), "a complete index is kept");
        assert_eq!(ids(&index, "Glasfaser").await, [2]);
        assert_eq!(search(&index, &query("")).await.total, 6);
    }

    /// Whether any file of the index directory holds `word` (as written or in lower case).
    fn on_disk(dir: &std::path::Path, word: &str) -> bool {
        let wanted = [word.as_bytes().to_vec(), word.to_lowercase().into_bytes()];
        std::fs::read_dir(dir).unwrap().any(|entry| {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap_or_default();
            wanted
                .iter()
                .any(|w| bytes.windows(w.len()).any(|window| window == w.as_slice()))
        })
    }

    fn with_a_name(id: i64) -> ProposalDocument {
        doc(
            id,
            "Lärm im Hof",
            "Frau Zwetschgenbaumer aus dem Hinterhaus grillt jeden Abend.",
            None,
            "sonstiges",
            "16051",
            "published",
            0,
            1,
        )
    }

    /// A removal only marks a document deleted: the text of a proposal hidden because it names a
    /// neighbour stayed in the index files, and in their backups, until the next rebuild.
    #[tokio::test]
    async fn a_removed_text_leaves_the_index_files() {
        let dir = tempfile::tempdir().unwrap();
        let index = EmbeddedIndex::open(dir.path()).unwrap();
        let mut documents = fixture();
        documents.push(with_a_name(40));
        index.upsert(documents).await.unwrap();
        index.finish_refill().await.unwrap();
        assert!(on_disk(dir.path(), "Zwetschgenbaumer"));

        index.remove(vec![40]).await.unwrap();
        assert_eq!(ids(&index, "Zwetschgenbaumer").await, Vec::<i64>::new());
        assert_eq!(index.deleted_documents(), 1);
        assert!(
            on_disk(dir.path(), "Zwetschgenbaumer"),
            "a removal alone leaves the text"
        );
        assert_eq!(index.expunge_deleted(true).await.unwrap(), 1);
        assert_eq!(index.deleted_documents(), 0);
        assert!(!on_disk(dir.path(), "Zwetschgenbaumer"));
        assert_eq!(search(&index, &query("")).await.total, 6, "the others stay");
        assert_eq!(ids(&index, "Glasfaser").await, [2]);
        assert_eq!(
            index.expunge_deleted(true).await.unwrap(),
            0,
            "nothing left"
        );
    }

    /// The indexer's rounds call `maintain`, which does the same by itself from time to time.
    #[tokio::test]
    async fn maintenance_rewrites_segments_with_removed_texts() {
        let dir = tempfile::tempdir().unwrap();
        let index = EmbeddedIndex::open(dir.path()).unwrap();
        assert!(index.maintain().await.unwrap(), "a new index is filled");
        index.upsert(vec![with_a_name(40)]).await.unwrap();
        index.upsert(fixture()).await.unwrap();
        index.finish_refill().await.unwrap();
        index.remove(vec![40]).await.unwrap();
        assert_eq!(index.deleted_documents(), 1);
        assert!(!index.maintain().await.unwrap());
        let started = std::time::Instant::now();
        while on_disk(dir.path(), "Zwetschgenbaumer") {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(20),
                "the removed text is still in the index files"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        // The searches see the rewritten segment once the reader is reloaded (the next write).
        index.upsert(vec![with_a_name(41)]).await.unwrap();
        assert_eq!(ids(&index, "Zwetschgenbaumer").await, [41]);
    }

    #[tokio::test]
    async fn in_memory_index_keeps_the_contract() {
        let index = EmbeddedIndex::in_memory().unwrap();
        checks::stemming(&index).await;
        checks::facets(&index).await;
    }
}

/// Embedded only: an index of an older format is replaced, not fatal.
mod embedded_format {
    use super::*;
    use teilhabe::search::embedded::EmbeddedIndex;

    #[tokio::test]
    async fn an_index_of_an_older_format_is_replaced_and_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        {
            let index = EmbeddedIndex::open(dir.path()).unwrap();
            assert!(index.maintain().await.unwrap(), "a new index is filled");
            assert!(!index.maintain().await.unwrap(), "once");
            index.upsert(fixture()).await.unwrap();
            index.finish_refill().await.unwrap();
        }
        {
            let index = EmbeddedIndex::open(dir.path()).unwrap();
            assert!(!index.maintain().await.unwrap(), "same format: kept");
            assert_eq!(search(&index, &query("")).await.total, 6);
        }
        std::fs::write(dir.path().join("teilhabe-format"), "1").unwrap();
        let index = EmbeddedIndex::open(dir.path()).unwrap();
        assert!(index.maintain().await.unwrap(), "older format: rebuilt");
        assert_eq!(search(&index, &query("")).await.total, 0);
        index.upsert(fixture()).await.unwrap();
        assert_eq!(ids(&index, "Ausbau").await, [2]);
    }

    /// A start after a rebuild that a crash cut short must not take the half-filled index for
    /// the whole: it would leave proposals unfindable until someone runs `teilhabe reindex`.
    #[tokio::test]
    async fn a_rebuild_cut_short_is_done_again_at_the_next_start() {
        let dir = tempfile::tempdir().unwrap();
        {
            let index = EmbeddedIndex::open(dir.path()).unwrap();
            index.upsert(fixture()).await.unwrap();
            index.finish_refill().await.unwrap();
        }
        {
            let index = EmbeddedIndex::open(dir.path()).unwrap();
            assert!(!index.maintain().await.unwrap(), "complete: kept");
            index.clear().await.unwrap();
            index.upsert(fixture()[..2].to_vec()).await.unwrap();
            // The process ends here, before the rebuild's last batch.
        }
        let index = EmbeddedIndex::open(dir.path()).unwrap();
        assert!(index.maintain().await.unwrap(), "cut short: rebuilt");
        assert_eq!(search(&index, &query("")).await.total, 0);
    }

    /// A rebuild that fails half-way (the database gone during the fill) is tried again by the
    /// indexer's next round.
    #[tokio::test]
    async fn a_failed_rebuild_asks_for_another() {
        let dir = tempfile::tempdir().unwrap();
        let index = EmbeddedIndex::open(dir.path()).unwrap();
        assert!(index.maintain().await.unwrap(), "a new index is filled");
        index.clear().await.unwrap();
        index.upsert(fixture()[..2].to_vec()).await.unwrap();
        index.abandon_refill().await;
        assert!(index.maintain().await.unwrap(), "failed: rebuilt again");
        assert!(!index.maintain().await.unwrap(), "once");
    }
}

/// Meilisearch only: what happens when the server or the index misbehaves.
mod meilisearch_resilience {
    use super::*;
    use std::sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    };
    use std::time::{Duration, Instant};
    use teilhabe::search::{meilisearch::MeilisearchIndex, reconnecting::ReconnectingMeilisearch};

    fn server(test: &str) -> Option<(String, Option<String>, String)> {
        let Ok(url) = std::env::var("TEILHABE_TEST_MEILISEARCH_URL") else {
            println!("SKIPPED: meilisearch {test} – TEILHABE_TEST_MEILISEARCH_URL is not set");
            return None;
        };
        let key = std::env::var("TEILHABE_TEST_MEILISEARCH_KEY").ok();
        let uid = format!(
            "teilhabe_{test}_{}_{}",
            std::process::id(),
            Utc::now().timestamp_micros()
        );
        Some((url, key, uid))
    }

    async fn delete(url: &str, key: Option<&str>, uid: &str) {
        MeilisearchIndex::new(url, key, uid)
            .unwrap()
            .delete_index()
            .await
            .unwrap();
    }

    /// How many settings updates Meilisearch has queued or run for the index.
    async fn settings_tasks(url: &str, key: Option<&str>, uid: &str) -> usize {
        let mut request = reqwest::Client::new()
            .get(format!("{url}/tasks"))
            .query(&[("indexUids", uid), ("types", "settingsUpdate")]);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        let body: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
        body["results"].as_array().unwrap().len()
    }

    /// What the indexer does after `maintain` asked for a rebuild: fill a new index, swap it in.
    async fn rebuild_with(index: &ReconnectingMeilisearch, documents: Vec<ProposalDocument>) {
        let rebuild = index
            .begin_rebuild()
            .await
            .unwrap()
            .expect("a staging index");
        rebuild.target.upsert(documents).await.unwrap();
        index.finish_rebuild(rebuild).await.unwrap();
    }

    fn district(d: &str) -> SearchQuery {
        SearchQuery {
            district: Some(d.into()),
            ..query("")
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lost_index_is_found_set_up_again_and_rebuilt() {
        let Some((url, key, uid)) = server("lost_index") else {
            return;
        };
        let key = key.as_deref();
        let index = ReconnectingMeilisearch::new(&url, key, &uid, None).unwrap();
        assert!(
            index.maintain().await.unwrap(),
            "a new index must be filled"
        );
        // Until it is, searches use the database instead of finding nothing.
        assert!(matches!(
            index.search(&query("")).await,
            Err(SearchError::Lost(_))
        ));
        rebuild_with(&index, fixture()).await;
        assert!(!index.maintain().await.unwrap(), "set up and filled");
        assert_eq!(search(&index, &district("16061")).await.total, 2);

        // Deleted behind the portal's back: searches fail (the page falls back), the next
        // round sets it up again and asks for a rebuild.
        delete(&url, key, &uid).await;
        assert!(matches!(
            index.search(&query("Glasfaser")).await,
            Err(SearchError::Lost(_))
        ));
        assert!(index.maintain().await.unwrap(), "lost: rebuild");
        rebuild_with(&index, fixture()).await;
        checks::facets(&index).await;

        // A write after the deletion makes Meilisearch create the index with its defaults
        // (nothing filterable): found by the next search or round, settings applied again.
        delete(&url, key, &uid).await;
        index.upsert(fixture()).await.unwrap();
        assert!(matches!(
            index.search(&district("16061")).await,
            Err(SearchError::Lost(_))
        ));
        assert!(index.maintain().await.unwrap(), "default settings: rebuild");
        rebuild_with(&index, fixture()).await;
        assert_eq!(search(&index, &district("16061")).await.total, 2);
        checks::facets(&index).await;
        delete(&url, key, &uid).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_second_instance_sends_no_settings_and_searches_at_once() {
        let Some((url, key, uid)) = server("second_instance") else {
            return;
        };
        let key = key.as_deref();
        let first = ReconnectingMeilisearch::new(&url, key, &uid, None).unwrap();
        // Set up and filled as the indexer does (an index only set up waits for its rebuild, which
        // any instance would take on).
        assert!(first.maintain().await.unwrap());
        rebuild_with(&first, fixture()).await;
        let queued = settings_tasks(&url, key, &uid).await;
        assert_eq!(queued, 1, "the first instance applied the settings once");

        let second = ReconnectingMeilisearch::new(&url, key, &uid, None).unwrap();
        // Searching needs no set-up: the first search already uses the index.
        assert_eq!(ids(&second, "Glasfaser").await, [2]);
        assert!(
            !second.maintain().await.unwrap(),
            "settings match: nothing to do"
        );
        assert_eq!(settings_tasks(&url, key, &uid).await, queued);
        delete(&url, key, &uid).await;
    }

    /// During a rolling update the old and the new release each applied their own settings and
    /// asked for a rebuild, round after round. Settings of a newer release are left alone; those of
    /// an older one are replaced.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_newer_releases_settings_are_left_alone_and_an_older_ones_replaced() {
        use meilisearch_sdk::settings::{MinWordSizeForTypos, Settings, TypoToleranceSettings};
        let Some((url, key, uid)) = server("settings_version") else {
            return;
        };
        let key = key.as_deref();
        let ours = ReconnectingMeilisearch::new(&url, key, &uid, None).unwrap();
        assert!(ours.maintain().await.unwrap(), "a new index is filled");
        rebuild_with(&ours, fixture()).await;
        assert!(!ours.maintain().await.unwrap());
        let client = meilisearch_sdk::client::Client::new(&url, key).unwrap();
        let index = client.index(&uid);
        let release = |version: &str, one_typo: u8| {
            Settings::new()
                .with_synonyms(std::collections::HashMap::from([(
                    "teilhabesettingsversion".to_string(),
                    vec![version.to_string()],
                )]))
                .with_typo_tolerance(TypoToleranceSettings {
                    enabled: Some(true),
                    min_word_size_for_typos: Some(MinWordSizeForTypos {
                        one_typo: Some(one_typo),
                        two_typos: Some(9),
                    }),
                    ..Default::default()
                })
        };
        let one_typo = || async {
            index
                .get_typo_tolerance()
                .await
                .unwrap()
                .min_word_size_for_typos
                .unwrap()
                .one_typo
                .unwrap()
        };
        index
            .set_settings(&release("999", 6))
            .await
            .unwrap()
            .wait_for_completion(&client, None, None)
            .await
            .unwrap();
        let queued = settings_tasks(&url, key, &uid).await;
        assert!(
            !ours.maintain().await.unwrap(),
            "a newer release's settings: no rebuild"
        );
        assert_eq!(
            settings_tasks(&url, key, &uid).await,
            queued,
            "nothing sent"
        );
        assert_eq!(one_typo().await, 6);

        index
            .set_settings(&release("1", 6))
            .await
            .unwrap()
            .wait_for_completion(&client, None, None)
            .await
            .unwrap();
        assert!(
            ours.maintain().await.unwrap(),
            "an older release's settings are replaced, and the index rebuilt"
        );
        assert_eq!(one_typo().await, 5);
        delete(&url, key, &uid).await;
    }

    /// What the portal's API key may do (the README lists the same actions).
    const PORTAL_ACTIONS: [&str; 10] = [
        "search",
        "documents.add",
        "documents.delete",
        "indexes.create",
        "indexes.get",
        "indexes.delete",
        "indexes.swap",
        "settings.get",
        "settings.update",
        "tasks.get",
    ];

    fn with_key(request: reqwest::RequestBuilder, key: &str) -> reqwest::RequestBuilder {
        request.bearer_auth(key)
    }

    /// A key for `indexes` (patterns), made with the master key: its secret and its uid; `None`
    /// when the test key is no master key.
    async fn create_key(
        url: &str,
        master: &str,
        actions: &[&str],
        indexes: &str,
    ) -> Option<(String, String)> {
        let response = with_key(reqwest::Client::new().post(format!("{url}/keys")), master)
            .json(&serde_json::json!({
                "description": "teilhabe test: the portal's actions only",
                "actions": actions,
                "indexes": [indexes],
                "expiresAt": null,
            }))
            .send()
            .await
            .unwrap();
        if !response.status().is_success() {
            return None;
        }
        let body: serde_json::Value = response.json().await.unwrap();
        Some((
            body["key"].as_str().unwrap().to_owned(),
            body["uid"].as_str().unwrap().to_owned(),
        ))
    }

    /// Deletes the key and the indexes starting with `prefix` (live and staging).
    async fn remove_all(url: &str, master: &str, key_uid: &str, prefix: &str) {
        let client = reqwest::Client::new();
        with_key(client.delete(format!("{url}/keys/{key_uid}")), master)
            .send()
            .await
            .unwrap();
        let indexes: serde_json::Value =
            with_key(client.get(format!("{url}/indexes?limit=1000")), master)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
        for uid in indexes["results"].as_array().unwrap() {
            let uid = uid["uid"].as_str().unwrap();
            if uid.starts_with(prefix) {
                delete(url, Some(master), uid).await;
            }
        }
    }

    /// Everything the portal does with its index: set-up, a rebuild swapped in, writes, removals,
    /// plain, filtered and federated (word forms) searches, and emptying it.
    async fn portal_lifecycle(url: &str, key: &str, uid: &str) -> Result<(), SearchError> {
        let index = ReconnectingMeilisearch::new(url, Some(key), uid, None)?;
        index.maintain().await?;
        let rebuild = index.begin_rebuild().await?.expect("a staging index");
        rebuild.target.upsert(fixture()).await?;
        index.finish_rebuild(rebuild).await?;
        index.upsert(fixture()).await?;
        index.remove(vec![1]).await?;
        assert_eq!(index.search(&district("16061")).await?.total, 2);
        assert_eq!(ids_of(&index.search(&query("Dörfern")).await?), [2]);
        index.clear().await?;
        assert!(!index.maintain().await?, "nothing more to set up");
        Ok(())
    }

    /// The README's key (the portal's actions, on all indexes) is enough, and each of its actions
    /// is needed: without any one of them something the portal does fails. A key limited to the
    /// portal's indexes is not enough: Meilisearch shows an index swap's task (which has no index
    /// of its own) only to keys for all indexes, so a rebuild cannot wait for its swap.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_key_with_the_portals_actions_suffices_and_each_is_needed() {
        let Some((url, Some(master), uid)) = server("limited_key") else {
            println!("SKIPPED: meilisearch limited key – needs the master key");
            return;
        };
        let Some((key, key_uid)) = create_key(&url, &master, &PORTAL_ACTIONS, "*").await else {
            println!("SKIPPED: meilisearch limited key – the test key cannot create keys");
            return;
        };
        let outcome = portal_lifecycle(&url, &key, &uid).await;
        remove_all(&url, &master, &key_uid, &uid).await;
        outcome.expect("the portal's actions are enough");

        let (key, key_uid) = create_key(&url, &master, &PORTAL_ACTIONS, &format!("{uid}*"))
            .await
            .unwrap();
        let outcome = portal_lifecycle(&url, &key, &uid).await;
        remove_all(&url, &master, &key_uid, &uid).await;
        match outcome {
            Err(SearchError::Index(e)) => assert!(e.contains("task_not_found"), "{e}"),
            other => panic!("a key for the portal's indexes only: {other:?}"),
        }

        for missing in PORTAL_ACTIONS {
            let fewer: Vec<&str> = PORTAL_ACTIONS
                .into_iter()
                .filter(|a| *a != missing)
                .collect();
            let uid = format!("{uid}_without_{}", missing.replace('.', "_"));
            let (key, key_uid) = create_key(&url, &master, &fewer, "*").await.unwrap();
            let outcome = portal_lifecycle(&url, &key, &uid).await;
            remove_all(&url, &master, &key_uid, &uid).await;
            assert!(outcome.is_err(), "the portal works without {missing}");
        }
    }

    /// A proxy in front of the server that can stop answering (holding every request).
    async fn hanging_proxy(target: &str) -> (String, Arc<AtomicBool>) {
        let target = target
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let hang = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&hang);
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let flag = Arc::clone(&flag);
                let target = target.clone();
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let Ok(server) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    let (mut from_server, mut to_server) = server.into_split();
                    let (mut from_client, mut to_client) = client.split();
                    let upstream = async {
                        let mut buf = vec![0; 64 * 1024];
                        loop {
                            let n = from_client.read(&mut buf).await?;
                            if n == 0 {
                                return Ok::<_, std::io::Error>(());
                            }
                            while flag.load(Ordering::SeqCst) {
                                tokio::time::sleep(Duration::from_millis(20)).await;
                            }
                            to_server.write_all(&buf[..n]).await?;
                        }
                    };
                    let downstream = tokio::io::copy(&mut from_server, &mut to_client);
                    let _ = tokio::join!(upstream, downstream);
                });
            }
        });
        (address, hang)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_hung_server_trips_the_breaker_until_a_probe_succeeds() {
        let Some((url, key, uid)) = server("breaker") else {
            return;
        };
        let key = key.as_deref();
        let (proxy, hang) = hanging_proxy(&url).await;
        let index = ReconnectingMeilisearch::new(&proxy, key, &uid, None).unwrap();
        index.maintain().await.unwrap();
        rebuild_with(&index, fixture()).await;
        assert_eq!(ids(&index, "Glasfaser").await, [2]);

        hang.store(true, Ordering::SeqCst);
        // Each search gives up after the timeout, never later. In about one full-suite run in ten
        // a search failed after a fraction of a second instead (most likely a connection failing
        // outright on the loaded machine); that counts towards the breaker too, so only one of the
        // three must have waited out the hang.
        let mut waited_out = 0;
        for attempt in 1..=3 {
            let started = Instant::now();
            let outcome = index.search(&query("Glasfaser")).await;
            let took = started.elapsed();
            assert!(
                matches!(outcome, Err(SearchError::Unavailable(_))),
                "attempt {attempt}: {outcome:?}"
            );
            assert!(
                took < Duration::from_millis(2_500),
                "attempt {attempt}: {took:?}"
            );
            if took >= Duration::from_millis(1_900) {
                waited_out += 1;
            } else {
                println!("attempt {attempt} failed after {took:?}: {outcome:?}");
            }
        }
        assert!(waited_out >= 1, "no search waited for the hung server");
        // Open: no more waiting for the server.
        let started = Instant::now();
        assert!(matches!(
            index.search(&query("Glasfaser")).await,
            Err(SearchError::Unavailable(_))
        ));
        assert!(
            started.elapsed() < Duration::from_millis(200),
            "{:?}",
            started.elapsed()
        );
        assert!(index.problem().unwrap().contains("does not answer"));

        hang.store(false, Ordering::SeqCst);
        let recovered = Instant::now();
        while index.search(&query("Glasfaser")).await.is_err() {
            assert!(
                recovered.elapsed() < Duration::from_secs(15),
                "the probe never closed the breaker"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(index.problem().is_none());
        assert_eq!(ids(&index, "Glasfaser").await, [2]);
        delete(&url, key, &uid).await;
    }
}
