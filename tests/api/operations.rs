use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(health_and_ready_answer, |app| {
    let res = app.get("/health").await;
    assert_eq!(res.status(), 200);
    let res = app.get("/ready").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ready");
});

on_both_backends!(sitemap_lists_every_public_page_and_each_answers, |app| {
    let res = app.get("/sitemap.xml").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xml")
    );
    let xml = res.text().await.unwrap();
    let locs: Vec<&str> = xml
        .split("<loc>")
        .skip(1)
        .map(|s| s.split("</loc>").next().unwrap())
        .collect();
    for expected in [
        "/",
        "/orte",
        "/barriere-melden",
        "/barrierefreiheit",
        "/leichte-sprache",
        "/gebaerdensprache",
        "/datenschutz",
        "/impressum",
        "/hilfe",
        "/kontakt",
    ] {
        assert!(
            locs.contains(&format!("http://teilhabe.test{expected}").as_str()),
            "{expected} missing"
        );
    }
    assert!(
        locs.iter().any(|l| l.contains("/orte/")),
        "venue pages missing"
    );
    for loc in locs {
        let path = loc.strip_prefix("http://teilhabe.test").unwrap();
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
    }
});

#[tokio::test]
async fn ready_fails_when_migrations_are_missing() {
    let app = spawn_app(
        Backend::Sqlite,
        Options {
            demo: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    use migration::MigratorTrait;
    migration::Migrator::down(&app.db, None).await.unwrap();
    let res = app.get("/ready").await;
    assert_eq!(res.status(), 503);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["status"],
        "migrations pending"
    );
}

#[tokio::test]
async fn robots_points_to_the_sitemap() {
    let app = spawn_app(
        Backend::Sqlite,
        Options {
            demo: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let body = app.get("/robots.txt").await.text().await.unwrap();
    assert!(body.contains("Sitemap: http://teilhabe.test/sitemap.xml"));
    // Pages behind secret links stay out of search engines; the public ones around them do not.
    for kept_out in [
        "Disallow: /buchung/\n",
        "Disallow: /vorschlaege/eigene/\n",
        "Disallow: /rueckmeldung/\n",
        "Disallow: /passwort-neu\n",
        "Disallow: /freiwillige/kalender/\n",
    ] {
        assert!(body.contains(kept_out), "{kept_out}: {body}");
    }
    assert!(
        !body.contains("/rueckmeldung/termin/"),
        "covered by /rueckmeldung/: {body}"
    );
    for public in ["/kurse", "/vorschlaege\n", "/vorschlaege/neu"] {
        assert!(!body.contains(&format!("Disallow: {public}")), "{body}");
    }
    // No page of the sitemap is kept out (a new secret link under a public path would be).
    let with_demo = spawn_app(Backend::Sqlite, Options::default())
        .await
        .unwrap();
    let pages = with_demo.sitemap_pages().await;
    assert!(pages.len() > 20, "{pages:?}");
    for line in body.lines() {
        if let Some(prefix) = line.strip_prefix("Disallow: ") {
            assert!(
                !pages.iter().any(|page| page.starts_with(prefix)),
                "{prefix} keeps a page of the sitemap out"
            );
        }
    }
}

/// `/ready` is public: it says what is wrong with the search, not where its server is or what the
/// connection failed with (that goes to the log).
#[tokio::test]
async fn ready_names_a_search_problem_without_internal_details() {
    let app = app_without_a_search_server(Backend::Sqlite).await.unwrap();
    let mut body = serde_json::Value::Null;
    // The indexer's first round finds the server unreachable.
    for _ in 0..100 {
        body = app.get("/ready").await.json().await.unwrap();
        if body["status"] == "degraded" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(body["status"], "degraded", "{body}");
    let problem = body["search"]["problem"].as_str().unwrap();
    assert!(problem.contains("unreachable"), "{problem}");
    assert!(!problem.contains("127.0.0.1"), "{problem}");
}
