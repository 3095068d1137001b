use crate::helpers::*;

#[tokio::test]
async fn every_content_page_renders_in_both_languages_with_one_h1() {
    let app = spawn_app(
        Backend::Sqlite,
        Options {
            demo: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    for slug in teilhabe::services::content::PAGES {
        for lang in ["de", "en"] {
            let (status, doc) = app.get_html(&format!("/{slug}?lang={lang}")).await;
            assert_eq!(status, 200, "{slug} {lang}");
            assert_eq!(select(&doc, "h1").len(), 1, "{slug} {lang}");
            assert_eq!(select(&doc, "html")[0].value().attr("lang"), Some(lang));
            let title = text_of(&doc, "title");
            assert!(
                title.starts_with(&text_of(&doc, "h1")),
                "{slug}: title {title}"
            );
        }
    }
}

#[tokio::test]
async fn statement_uses_the_configured_contacts_and_status() {
    let app = spawn_app(
        Backend::Sqlite,
        Options {
            demo: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let (_, doc) = app.get_html("/barrierefreiheit").await;
    let text = doc.root_element().text().collect::<String>();
    let contacts = &app.settings.contacts;
    assert!(text.contains(&contacts.operator.email), "operator e-mail");
    assert!(
        text.contains("Landesdurchsetzungsstelle"),
        "enforcement body"
    );
    assert!(
        text.contains(&contacts.statement.prepared_on),
        "date of preparation"
    );
    assert!(
        !select(&doc, "main a[href=\"/barriere-melden\"]").is_empty(),
        "feedback link"
    );
}

#[tokio::test]
async fn the_privacy_pages_give_the_configured_retention_period() {
    let app = spawn_app(
        Backend::Sqlite,
        Options {
            demo: false,
            env: vec![("TEILHABE_RETENTION_DAYS", "45".into())],
        },
    )
    .await
    .unwrap();
    for (page, says) in [
        ("/datenschutz", "45 Tage nach dem Termin"),
        ("/datenschutz?lang=en", "45 days after the date"),
        ("/leichte-sprache?lang=de", "45 Tage nach dem Kurs"),
    ] {
        let (status, doc) = app.get_html(page).await;
        assert_eq!(status, 200, "{page}");
        let text = text_of(&doc, "main");
        assert!(text.contains(says), "{page}: {text}");
        assert!(
            !text.contains("90 Tage") && !text.contains("90 days"),
            "{page}"
        );
    }
}

#[tokio::test]
async fn sign_language_page_has_a_transcript_for_every_video_slot() {
    let app = spawn_app(
        Backend::Sqlite,
        Options {
            demo: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let (_, doc) = app.get_html("/gebaerdensprache").await;
    let slots = select(&doc, ".sign-video");
    assert!(slots.len() >= 5, "{} slots", slots.len());
    // No video files ship yet, so each slot says so honestly and the transcript follows.
    assert_eq!(select(&doc, ".sign-video--pending").len(), slots.len());
    assert!(select(&doc, "h3").len() >= slots.len());
}

/// The privacy page lists every cookie the portal sets. It said "only two cookies" while anonymous
/// form pages set a third, and it did not mention course alerts at all.
#[tokio::test]
async fn the_privacy_page_names_every_cookie_and_the_alerts() {
    use teilhabe::web::{handlers::kiosk::TERMINAL_COOKIE, route_table::TABLE};
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let mut set = std::collections::BTreeSet::new();
    let mut note = |res: &reqwest::Response| {
        for cookie in res.headers().get_all(reqwest::header::SET_COOKIE) {
            let name = cookie.to_str().unwrap().split('=').next().unwrap();
            set.insert(name.to_owned());
        }
    };
    // Every page without a parameter, anonymously, and once with a language chosen.
    for route in TABLE.iter().filter(|r| r.methods.contains(&"get")) {
        if !route.path.contains('{') {
            note(&app.get(route.path).await);
        }
    }
    note(&app.get("/?lang=en").await);
    // Signing in.
    let signed_in = app
        .login("buergerin@demo.teilhabe.example", "Demo-Buergerin-2026")
        .await;
    assert_eq!(signed_in.status(), 303);
    note(&signed_in);
    // A kiosk terminal's cookie comes with its pairing, which needs staff; its name is the code's.
    set.insert(TERMINAL_COOKIE.to_owned());
    assert!(
        ["teilhabe_sitzung", "teilhabe_formular", "lang"]
            .iter()
            .all(|name| set.contains(*name)),
        "{set:?}"
    );

    let confirm_days = teilhabe::domain::course_alert::CONFIRM_DAYS;
    for (page, alerts) in [
        (
            "/datenschutz?lang=de",
            format!("nicht innerhalb von {confirm_days} Tagen bestätigen"),
        ),
        (
            "/datenschutz?lang=en",
            format!("do not confirm within {confirm_days} days"),
        ),
    ] {
        let (status, doc) = app.get_html(page).await;
        assert_eq!(status, 200);
        let text = text_of(&doc, "main");
        for name in &set {
            assert!(
                text.contains(name.as_str()),
                "{page} does not name the cookie {name}"
            );
        }
        assert!(text.contains(&alerts), "{page}: {alerts}");
    }
}
