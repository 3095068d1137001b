//! Generated German proposals for benchmarks and load tests: Thuringian districts, the six categories,
//! public statuses, realistic vocabulary and support counts. Deterministic for a given seed.
use chrono::{TimeZone, Utc};
use rand::{Rng, rngs::StdRng, seq::IndexedRandom};

use crate::{domain::proposal::ProposalStatus, search::ProposalDocument};

pub const CATEGORIES: [&str; 6] = [
    "verwaltung-digital",
    "internet-mobilfunk",
    "bildung-kurse",
    "barrierefreiheit",
    "datenschutz-sicherheit",
    "sonstiges",
];
const STATUSES: [ProposalStatus; 5] = [
    ProposalStatus::Published,
    ProposalStatus::UnderReview,
    ProposalStatus::Accepted,
    ProposalStatus::Implemented,
    ProposalStatus::Declined,
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

/// The keys of the 22 Thuringian districts.
pub fn districts() -> Vec<String> {
    include_str!("../../content/reference/thueringen-kreise.csv")
        .lines()
        .skip(1)
        .filter_map(|line| line.split(',').next())
        .map(str::to_string)
        .collect()
}

/// One generated proposal as the search index stores it.
pub fn proposal(rng: &mut StdRng, id: i64, districts: &[String]) -> ProposalDocument {
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
    let answer = matches!(
        status,
        ProposalStatus::Accepted | ProposalStatus::Implemented | ProposalStatus::Declined
    )
    .then(|| ANSWERS.choose(rng).unwrap().to_string());
    ProposalDocument {
        id,
        title,
        text: text.trim_end().to_string(),
        answer,
        category: CATEGORIES[theme].to_string(),
        district: districts.choose(rng).unwrap().clone(),
        status: status.key().to_owned(),
        // Most proposals gather few supports, some many.
        supports: (rng.random::<f64>().powi(4) * 2_000.0) as i64,
        created_at: Utc.with_ymd_and_hms(2023, 1, 1, 0, 0, 0).unwrap()
            + chrono::Duration::seconds(rng.random_range(0..3 * 365 * 86_400)),
    }
}
