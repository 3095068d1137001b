use sea_orm::{EntityTrait, PaginatorTrait};
use teilhabe::{db::entities::barrier_report, domain::barrier_report::BarrierReportStatus};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(a_valid_report_is_stored_and_confirmed, |app| {
    let (status, doc) = app.get_html("/barriere-melden?seite=%2Forte").await;
    assert_eq!(status, 200);
    assert_eq!(
        select(&doc, "input#page")[0].value().attr("value"),
        Some("/orte")
    );

    let res = app
        .submit(
            "/barriere-melden",
            "/barriere-melden",
            &[
                ("page", "/orte"),
                (
                    "description",
                    "Die Schrift im Filter ist zu klein für mich.",
                ),
                ("contact_name", "Erika Muster"),
                ("contact_email", "Erika@Example.de"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/barriere-melden/danke");
    let (status, doc) = app.get_html("/barriere-melden/danke").await;
    assert_eq!(status, 200);
    assert_eq!(text_of(&doc, "h1"), "Vielen Dank für Ihre Meldung");

    let stored = barrier_report::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].page_url, "/orte");
    assert_eq!(stored[0].contact_email.as_deref(), Some("erika@example.de"));
    assert_eq!(stored[0].status, BarrierReportStatus::Open);
});

on_both_backends!(bad_input_is_explained_next_to_each_field_and_kept, |app| {
    let script = "<script>alert('x')</script>";
    let res = app
        .submit(
            "/barriere-melden",
            "/barriere-melden",
            &[
                ("page", "javascript:alert(1)"),
                ("description", "kurz"),
                ("contact_name", script),
                ("contact_email", "keine-adresse"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(!html.contains(script), "input must come back escaped");
    let doc = scraper::Html::parse_document(&html);
    assert!(text_of(&doc, "title").starts_with("Fehler:"));
    let summary_links: Vec<_> = select(&doc, ".error-summary a")
        .iter()
        .map(|a| a.value().attr("href").unwrap().to_owned())
        .collect();
    assert_eq!(summary_links, ["#page", "#description", "#contact_email"]);
    assert_eq!(
        text_of(&doc, "#description-error"),
        "Fehler: Die Beschreibung muss mindestens 10 Zeichen lang sein."
    );
    let description = select(&doc, "textarea#description")[0];
    assert_eq!(
        description.value().attr("aria-describedby"),
        Some("description-hint description-error")
    );
    assert_eq!(description.text().collect::<String>(), "kurz");
    assert_eq!(
        select(&doc, "input#contact_name")[0].value().attr("value"),
        Some(script)
    );
    assert_eq!(
        barrier_report::Entity::find().count(&app.db).await.unwrap(),
        0,
        "nothing stored"
    );
});

#[tokio::test]
async fn overlong_unicode_and_empty_values_never_fail() {
    let app = spawn_app(
        Backend::Sqlite,
        Options {
            demo: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let hidden = app.hidden_fields("/barriere-melden").await;
    let long = "ä".repeat(5001);
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        vec![("description", "")],
        vec![("description", &long)],
        vec![
            (
                "description",
                "Gebärdensprache 👋🏽 funktioniert nicht richtig",
            ),
            ("contact_name", "Zoë Łukasiewicz"),
        ],
        vec![
            ("description", "Zeile\u{0}mit Nullbyte ist seltsam"),
            ("contact_name", "a\u{7}b"),
        ],
    ];
    for mut form in cases {
        form.extend(hidden.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let status = app.post_form("/barriere-melden", &form).await.status();
        assert!(status == 303 || status == 422, "{form:?}: {status}");
    }
    let (_, doc) = app.get_html("/barriere-melden").await;
    assert!(select(&doc, ".error-summary").is_empty());
}

#[tokio::test]
async fn spam_is_turned_away_without_a_captcha() {
    let app = spawn_app(
        Backend::Sqlite,
        Options {
            demo: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let hidden = app.hidden_fields("/barriere-melden").await;
    let mut form: Vec<(&str, &str)> = vec![(
        "description",
        "Ein ausreichend langer Text über eine Barriere",
    )];
    form.extend(hidden.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let mut with_honeypot = form.clone();
    with_honeypot.push(("website", "http://spam.example"));
    assert_eq!(
        app.post_form("/barriere-melden", &with_honeypot)
            .await
            .status(),
        303
    );
    assert_eq!(
        barrier_report::Entity::find().count(&app.db).await.unwrap(),
        0,
        "nothing stored"
    );
    // A person, even one sending at once after the page opened (autofill): stored; the eleventh report from one address within an hour is refused.
    // Each report from the form opened anew (its own key; a form sent twice counts once).
    let fresh = || async {
        let mut form = vec![(
            "description".to_owned(),
            "Ein ausreichend langer Text über eine Barriere".to_owned(),
        )];
        form.extend(app.hidden_fields("/barriere-melden").await);
        form
    };
    for _ in 0..10 {
        let form = fresh().await;
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(app.post_form("/barriere-melden", &form).await.status(), 303);
    }
    let form = fresh().await;
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(app.post_form("/barriere-melden", &form).await.status(), 429);
    assert_eq!(
        barrier_report::Entity::find().count(&app.db).await.unwrap(),
        10
    );
}

// The privacy page promises to delete a reporter's name and address at any time on request: an
// administrator does it from the list of reports; the description stays, and the step is audited
// once even when two admins press the button.
on_both_backends!(an_admin_deletes_the_reporters_contact_on_request, |app| {
    use sea_orm::{ColumnTrait, QueryFilter};
    use teilhabe::db::entities::audit_log;
    let description = "Die Schrift im Filter ist zu klein für mich.";
    let res = app
        .submit(
            "/barriere-melden",
            "/barriere-melden",
            &[
                ("page", "/orte"),
                ("description", description),
                ("contact_name", "Erika Muster"),
                ("contact_email", "erika@example.de"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (admin, password) = DEMO_PASSWORD_ADMIN;
    assert_eq!(app.login(admin, password).await.status(), 303);
    let (status, doc) = app.get_html("/verwaltung/barrieren").await;
    assert_eq!(status, 200);
    assert!(text_of(&doc, ".result-list").contains("Erika Muster"));
    assert!(
        text_of(&doc, ".result__meta").contains(" · offen · "),
        "the state in words: {}",
        text_of(&doc, ".result__meta")
    );
    let action = select(&doc, ".result-list form")[0]
        .value()
        .attr("action")
        .unwrap()
        .to_owned();
    let res = app.submit("/verwaltung/barrieren", &action, &[]).await;
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, "/verwaltung/barrieren?erledigt=kontakt-geloescht");
    let (_, doc) = app.get_html(&location).await;
    let list = text_of(&doc, ".result-list");
    assert!(!list.contains("Erika"), "{list}");
    assert!(list.contains(description), "{list}");
    assert!(select(&doc, ".result-list form").is_empty());

    let stored = barrier_report::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(
        (
            stored[0].contact_name.as_deref(),
            stored[0].contact_email.as_deref()
        ),
        (None, None)
    );
    assert_eq!(stored[0].description, description);
    // Pressed again (a second admin's tab): nothing more to delete, nothing more recorded.
    let res = app.submit("/verwaltung/barrieren", &action, &[]).await;
    assert_eq!(res.status(), 303);
    let recorded = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("barrier_report.contact_erased"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(recorded, 1);
});
