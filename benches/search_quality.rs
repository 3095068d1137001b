//! Search quality of both backends on a German corpus and queries written for this project:
//! found in the top 5, recall@10 (share of the relevant proposals in the first ten) and MRR
//! (mean reciprocal rank of the first relevant hit), overall and per kind of query.
//!
//! `cargo bench --bench search_quality`; the Meilisearch backend is measured when
//! `TEILHABE_TEST_MEILISEARCH_URL` (and `_KEY`) name a server (tests/all.sh starts one; see the
//! README). Exits non-zero when a backend misses the targets: 95 % found in the top 5, 90 %
//! recall@10, and Meilisearch not more than 2 points below the embedded index on any measure.

use chrono::{TimeZone, Utc};
use teilhabe::search::{ProposalDocument, ProposalIndex, SearchQuery, embedded::EmbeddedIndex};

/// Proposals as people write them: several sentences, everyday words, compounds, place names.
const CORPUS: &[(i64, &str, &str)] = &[
    (
        1,
        "Glasfaserausbau in Buttstädt beschleunigen",
        "Seit drei Jahren wird uns der Anschluss an das Glasfasernetz versprochen. In den Ortsteilen liegen die Leerrohre, aber niemand schließt die Häuser an. Wer von zu Hause arbeitet, braucht eine stabile Leitung.",
    ),
    (
        2,
        "Funkloch zwischen Gotha und Ohrdruf schließen",
        "Auf der Landstraße bricht jedes Telefonat ab. Bei einem Unfall kann man keinen Notruf absetzen. Ein zusätzlicher Sendemast würde das Mobilfunknetz schließen.",
    ),
    (
        3,
        "Datenschutz bei der Stadt-App",
        "Die App der Stadt fragt bei jedem Start nach dem Standort und gibt Daten an Werbefirmen weiter. Bitte die Datenschutzerklärung verständlich machen und die Weitergabe abstellen.",
    ),
    (
        4,
        "Digitalisierung der Bauanträge im Landratsamt",
        "Bauanträge müssen immer noch in dreifacher Ausfertigung auf Papier eingereicht werden. Eine digitale Einreichung mit Statusanzeige würde Wochen sparen.",
    ),
    (
        5,
        "Verwaltung soll Termine online vergeben",
        "Im Bürgerbüro wartet man stundenlang. Eine Terminvergabe im Internet, auch für Ummeldungen und Reisepässe, würde die Verwaltung entlasten.",
    ),
    (
        6,
        "Thüringen-App für alle Behördengänge",
        "Statt zehn verschiedener Portale sollte es eine Thüringen-App geben, mit der man Anträge stellt, Bescheide empfängt und Termine bucht.",
    ),
    (
        7,
        "Förderportale des Landes zusammenlegen",
        "Vereine müssen für jedes Förderprogramm ein anderes Portal nutzen. Die Förderportale sollten eine gemeinsame Anmeldung und ein gemeinsames Postfach bekommen.",
    ),
    (
        8,
        "Bürgerbeauftragte auch per Videosprechstunde",
        "Die Bürgerbeauftragte des Landes ist für viele Menschen auf dem Land schwer erreichbar. Eine Videosprechstunde am Abend würde helfen.",
    ),
    (
        9,
        "Landesregierung soll Open Data veröffentlichen",
        "Haushaltsdaten, Fahrpläne und Umweltmessungen sollten als offene Daten maschinenlesbar veröffentlicht werden, damit Schulen und Initiativen damit arbeiten können.",
    ),
    (
        10,
        "WLAN in den Bussen des Kreises",
        "Schülerinnen und Pendler sitzen täglich eine Stunde im Bus. Kostenloses WLAN in den Regionalbussen würde die Zeit nutzbar machen.",
    ),
    (
        11,
        "Tablets für die Grundschule in Schmölln",
        "Die Grundschule hat nur einen Klassensatz alter Laptops. Für den digitalen Unterricht fehlen Tablets und eine Fortbildung für die Lehrkräfte.",
    ),
    (
        12,
        "Computerkurse für Senioren in der Volkshochschule",
        "Viele ältere Menschen möchten Online-Banking und Videotelefonie lernen. Die Volkshochschule sollte mehr Kurse am Vormittag anbieten, in kleinen Gruppen.",
    ),
    (
        13,
        "Barrierefreie Formulare der Stadtverwaltung",
        "Die Formulare im Internet lassen sich mit einem Screenreader nicht ausfüllen. Blinde Menschen brauchen barrierefreie Formulare und Leichte Sprache.",
    ),
    (
        14,
        "Straßenbeleuchtung in der Bahnhofstraße reparieren",
        "Seit Monaten sind drei Laternen kaputt. Auf dem Heimweg vom Bahnhof ist es abends stockdunkel und gefährlich.",
    ),
    (
        15,
        "Radweg entlang der Bundesstraße 7",
        "Zwischen Erfurt und Weimar fehlt ein sicherer Radweg. Radfahrer müssen auf der Bundesstraße fahren, wo Lastwagen sehr schnell überholen.",
    ),
    (
        16,
        "Müllabfuhr in Gößnitz öfter",
        "Die gelben Säcke werden nur alle vier Wochen abgeholt. Im Sommer stinkt der Müll, und Tiere reißen die Säcke auf.",
    ),
    (
        17,
        "Öffnungszeiten der Stadtbibliothek verlängern",
        "Berufstätige schaffen es unter der Woche nicht in die Bibliothek. Längere Öffnungszeiten am Donnerstag und am Samstag wären schön.",
    ),
    (
        18,
        "Schwimmbad im Winter offen halten",
        "Das Hallenbad schließt im Winter für zwei Monate. Schulen und Vereine haben dann keinen Schwimmunterricht mehr.",
    ),
    (
        19,
        "Mobilfunkmast am Rennsteig",
        "Wanderer am Rennsteig haben kaum Empfang. Im Notfall ist Hilfe schwer zu rufen. Ein Mobilfunkmast an der Schutzhütte würde helfen.",
    ),
    (
        20,
        "Glasfaser für Gewerbegebiet Apolda",
        "Die Firmen im Gewerbegebiet haben nur langsames Internet über Kupferkabel. Ohne Glasfaser ziehen Betriebe weg.",
    ),
    (
        21,
        "Online-Bürgerhaushalt einführen",
        "Die Bürgerinnen und Bürger sollen im Internet mitentscheiden, wofür ein Teil des Haushalts ausgegeben wird. Vorschläge, Abstimmung und Rechenschaft auf einer Seite.",
    ),
    (
        22,
        "Sitzungen des Stadtrats im Livestream",
        "Die Sitzungen des Stadtrats finden nachmittags statt. Ein Livestream mit Aufzeichnung würde mehr Menschen beteiligen.",
    ),
    (
        23,
        "Digitale Sprechstunde beim Jobcenter",
        "Für kurze Fragen muss man persönlich ins Jobcenter kommen. Eine digitale Sprechstunde per Video oder Chat würde Wege sparen.",
    ),
    (
        24,
        "Elektronische Patientenakte erklären",
        "Viele Patienten wissen nicht, was in der elektronischen Patientenakte steht und wer sie lesen darf. Die Krankenkassen sollten Informationsabende anbieten.",
    ),
    (
        25,
        "Kita-Platz online anmelden",
        "Eltern müssen bei jeder Kita einzeln vorsprechen. Ein gemeinsames Anmeldeportal für alle Kitas im Kreis würde die Suche nach einem Kita-Platz erleichtern.",
    ),
    (
        26,
        "Ladesäulen für Elektroautos am Marktplatz",
        "In der Innenstadt gibt es keine einzige Ladesäule. Besucher mit Elektroautos fahren deshalb in die Nachbarstadt.",
    ),
    (
        27,
        "Rufbus für die Dörfer",
        "Am Wochenende fährt kein Bus in die Dörfer. Ein Rufbus, den man per App oder Telefon bestellt, würde ältere Menschen mobil halten.",
    ),
    (
        28,
        "Hochwasserschutz an der Saale",
        "Bei Starkregen läuft die Saale über die Ufer und überflutet Keller. Der Deich muss erhöht und eine Warn-App eingerichtet werden.",
    ),
    (
        29,
        "Schulweg sicherer machen",
        "Kinder müssen auf dem Schulweg eine breite Straße ohne Ampel überqueren. Ein Zebrastreifen und Tempo 30 vor der Schule sind dringend nötig.",
    ),
    (
        30,
        "Digitalisierung der Schulen beschleunigen",
        "Der Digitalpakt ist in vielen Schulen nicht angekommen. Es fehlen Geräte, schnelles Internet und Menschen, die die Technik betreuen.",
    ),
    (
        31,
        "Notrufsäulen im Funkloch",
        "Wo es keinen Handyempfang gibt, sollten Notrufsäulen aufgestellt werden, bis der Netzausbau fertig ist.",
    ),
    (
        32,
        "Wohngeld online beantragen",
        "Der Antrag auf Wohngeld umfasst zwölf Seiten Papier. Ein Online-Antrag mit Hochladen der Nachweise würde Alleinerziehenden viel Zeit sparen.",
    ),
    (
        33,
        "Personalausweis beim Bürgerbüro abholen ohne Termin",
        "Für die Abholung des Personalausweises braucht man einen eigenen Termin. Eine Abholstation oder feste Abholzeiten würden helfen.",
    ),
    (
        34,
        "Bänke und Schatten auf dem Friedhof",
        "Ältere Besucher finden auf dem Friedhof kaum eine Bank. Im Sommer fehlt Schatten. Mehr Bänke und Bäume wären ein Segen.",
    ),
    (
        35,
        "Hundewiese im Stadtpark",
        "Hundebesitzer wünschen sich eine eingezäunte Wiese, auf der Hunde frei laufen dürfen, getrennt vom Spielplatz.",
    ),
    (
        36,
        "Spielplatz sanieren",
        "Die Geräte auf dem Spielplatz an der Goethestraße sind morsch und teilweise gesperrt. Die Kinder aus dem Viertel haben keinen anderen Platz.",
    ),
    (
        37,
        "Sprachkurse für Zugewanderte am Abend",
        "Wer tagsüber arbeitet, kann keinen Integrationskurs besuchen. Abendkurse und Online-Kurse würden vielen den Einstieg erleichtern.",
    ),
    (
        38,
        "Cybersicherheit in der Kommunalverwaltung",
        "Nach dem Hackerangriff auf den Nachbarkreis war die Verwaltung wochenlang offline. Die Kommunen brauchen Notfallpläne, Schulungen und Sicherungskopien.",
    ),
    (
        39,
        "Breitbandausbau in Heldrungen",
        "Im ganzen Ort gibt es höchstens sechzehn Megabit. Der Breitbandausbau ist seit Jahren angekündigt, aber nicht begonnen.",
    ),
    (
        40,
        "Gebärdensprachdolmetscher bei Bürgerversammlungen",
        "Gehörlose Menschen können Bürgerversammlungen nicht folgen. Bei öffentlichen Versammlungen sollten Gebärdensprachdolmetscher oder Untertitel bereitstehen.",
    ),
];

/// (kind, query, relevant proposals)
const QUERIES: &[(&str, &str, &[i64])] = &[
    ("typo", "Datenshutz", &[3]),
    ("typo", "Digitalisirung", &[4, 30]),
    ("typo", "Verwaltnug", &[5, 13, 38]),
    ("typo", "Landesregirung", &[9]),
    ("typo", "Glasfasr", &[1, 20]),
    ("typo", "Bibliotek", &[17]),
    ("umlaut", "Thueringen App", &[6]),
    ("umlaut", "Foerderportale", &[7]),
    ("umlaut", "Buergerbeauftragte", &[8]),
    ("umlaut", "Muellabfuhr Goessnitz", &[16]),
    ("umlaut", "Oeffnungszeiten", &[17]),
    ("umlaut", "Strassenbeleuchtung", &[14]),
    ("inflection", "Schulen Tablets", &[11, 30]),
    ("inflection", "Dorf Bus", &[27]),
    ("inflection", "Formular barrierefrei", &[13]),
    ("inflection", "Kurs Senioren", &[12]),
    ("compound", "Ausbau Glasfaser", &[1]),
    ("compound", "Beleuchtung", &[14]),
    ("compound", "Mast", &[2, 19]),
    ("compound", "Haushalt", &[21]),
    ("words", "Notruf Funkloch", &[2, 31]),
    ("words", "Termin Bürgerbüro online", &[5, 33]),
    ("words", "Radweg Bundesstraße", &[15]),
    ("words", "Wohngeld Antrag", &[32]),
    ("words", "Sprechstunde Video", &[8, 23]),
    ("words", "Kita Anmeldung", &[25]),
];

fn documents() -> Vec<ProposalDocument> {
    CORPUS
        .iter()
        .map(|&(id, title, text)| ProposalDocument {
            id,
            title: title.into(),
            text: text.into(),
            answer: None,
            category: "sonstiges".into(),
            district: "16051".into(),
            status: "published".into(),
            supports: 0,
            created_at: Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap()
                + chrono::Duration::days(id),
        })
        .collect()
}

#[derive(Default, Clone, Copy)]
struct Score {
    queries: f64,
    top5: f64,
    recall10: f64,
    mrr: f64,
}

impl Score {
    fn add(&mut self, ranked: &[i64], relevant: &[i64]) {
        self.queries += 1.0;
        let rank = ranked.iter().position(|id| relevant.contains(id));
        if rank.is_some_and(|r| r < 5) {
            self.top5 += 1.0;
        }
        self.mrr += rank.map_or(0.0, |r| 1.0 / (r as f64 + 1.0));
        let found = ranked
            .iter()
            .take(10)
            .filter(|id| relevant.contains(id))
            .count();
        self.recall10 += found as f64 / relevant.len() as f64;
    }

    fn percent(self) -> (f64, f64, f64) {
        (
            100.0 * self.top5 / self.queries,
            100.0 * self.recall10 / self.queries,
            self.mrr / self.queries,
        )
    }
}

async fn measure(index: &dyn ProposalIndex) -> Vec<(&'static str, Score)> {
    index.clear().await.expect("clear");
    index.upsert(documents()).await.expect("upsert");
    let mut all = Score::default();
    let mut kinds: Vec<(&'static str, Score)> = Vec::new();
    for &(kind, text, relevant) in QUERIES {
        let results = index
            .search(&SearchQuery {
                text: text.into(),
                per_page: 10,
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("{}: {text}: {e}", index.backend()));
        let ranked: Vec<i64> = results.hits.iter().map(|h| h.id).collect();
        if !relevant.iter().all(|id| ranked.contains(id))
            || ranked.first().is_some_and(|id| !relevant.contains(id))
        {
            eprintln!(
                "{:>12} {text:?}: {ranked:?}, wanted {relevant:?}",
                index.backend()
            );
        }
        all.add(&ranked, relevant);
        match kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, score)) => score.add(&ranked, relevant),
            None => {
                let mut score = Score::default();
                score.add(&ranked, relevant);
                kinds.push((kind, score));
            }
        }
    }
    kinds.insert(0, ("all", all));
    kinds
}

#[tokio::main]
async fn main() {
    let embedded = EmbeddedIndex::in_memory().expect("embedded index");
    let mut results = vec![("embedded", measure(&embedded).await)];
    match std::env::var("TEILHABE_TEST_MEILISEARCH_URL") {
        Ok(url) => {
            let key = std::env::var("TEILHABE_TEST_MEILISEARCH_KEY").ok();
            let uid = format!("teilhabe_quality_{}", std::process::id());
            let meili = teilhabe::search::meilisearch::MeilisearchIndex::connect(
                &url,
                key.as_deref(),
                &uid,
            )
            .await
            .expect("meilisearch");
            let measured = measure(&meili).await;
            meili.delete_index().await.expect("delete quality index");
            results.push(("meilisearch", measured));
        }
        Err(_) => println!(
            "SKIPPED: meilisearch – TEILHABE_TEST_MEILISEARCH_URL is not set; embedded only"
        ),
    }

    println!("{} proposals, {} queries\n", CORPUS.len(), QUERIES.len());
    println!("| backend | queries | found in top 5 | recall@10 | MRR |");
    println!("|---|---|---|---|---|");
    for (backend, kinds) in &results {
        for (kind, score) in kinds {
            let (top5, recall, mrr) = score.percent();
            println!(
                "| {backend} | {kind} ({}) | {top5:.0} % | {recall:.0} % | {mrr:.2} |",
                score.queries
            );
        }
    }

    let mut failed = Vec::new();
    for (backend, kinds) in &results {
        let (top5, recall, _) = kinds[0].1.percent();
        if top5 < 95.0 {
            failed.push(format!("{backend}: found in top 5 {top5:.1} % < 95 %"));
        }
        if recall < 90.0 {
            failed.push(format!("{backend}: recall@10 {recall:.1} % < 90 %"));
        }
    }
    if let [(_, embedded), (_, meili)] = results.as_slice() {
        let (e, m) = (embedded[0].1.percent(), meili[0].1.percent());
        for (name, e, m) in [
            ("found in top 5", e.0, m.0),
            ("recall@10", e.1, m.1),
            ("MRR (points of 100)", e.2 * 100.0, m.2 * 100.0),
        ] {
            if m < e - 2.0 {
                failed.push(format!(
                    "meilisearch {name} {m:.1} more than 2 points below embedded {e:.1}"
                ));
            }
        }
    }
    if !failed.is_empty() {
        eprintln!("\nTargets missed:\n  {}", failed.join("\n  "));
        std::process::exit(1);
    }
    println!("\nTargets met: ≥ 95 % in the top 5, ≥ 90 % recall@10, Meilisearch within 2 points.");
}
