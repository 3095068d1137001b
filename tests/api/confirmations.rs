//! Every back-office action confirms what happened on the page it leads to (GOV.UK success
//! notification banner), says how to undo it where it can be undone, and shows it only once.
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use teilhabe::db::entities::proposal;
use teilhabe::domain::proposal::ProposalStatus;

use crate::helpers::{Backend, DEMO_PASSWORD_ADMIN, TestApp, select, spawn_app, text_of};

fn location(res: &reqwest::Response) -> String {
    assert_eq!(res.status(), 303, "{}", res.url());
    res.headers()["location"].to_str().unwrap().to_owned()
}

/// The banner's text after following `res`'s redirect, or `None` when the page shows none.
async fn banner_after(app: &TestApp, res: reqwest::Response) -> (String, Option<String>) {
    let to = location(&res);
    let (status, doc) = app.get_html(&to).await;
    assert_eq!(status, 200, "{to}");
    let banners = select(&doc, "main .notification-banner");
    assert!(banners.len() <= 1);
    let text = banners.first().map(|b| {
        assert_eq!(b.value().attr("role"), Some("alert"), "announced");
        b.text().collect::<Vec<_>>().join(" ")
    });
    if text.is_some() {
        // The banner comes first in the main content, before the page's heading.
        assert!(
            select(&doc, "main > .notification-banner:first-child").len() == 1,
            "{to}: banner first"
        );
        assert!(text_of(&doc, "#notification-banner-title").contains("Erledigt"));
    }
    (to, text)
}

#[tokio::test]
async fn back_office_actions_confirm_what_happened_and_how_to_undo_it() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let (admin, password) = DEMO_PASSWORD_ADMIN;
    assert_eq!(app.login(admin, password).await.status(), 303);

    // Copy an offer: the copy's page says it is a copy and not yet public.
    let res = app
        .submit(
            "/verwaltung/angebote/1",
            "/verwaltung/angebote/1/kopieren",
            &[],
        )
        .await;
    let (copy, text) = banner_after(&app, res).await;
    assert!(
        text.unwrap().contains("Das Angebot ist kopiert."),
        "copy confirmed"
    );
    let copy = copy.split('?').next().unwrap().to_owned();

    // Publish it: confirmed, with how to take it back.
    let res = app
        .submit(
            &copy,
            &format!("{copy}/status"),
            &[("action", "veroeffentlichen")],
        )
        .await;
    let (_, text) = banner_after(&app, res).await;
    let text = text.unwrap();
    assert!(text.contains("Das Angebot ist veröffentlicht"), "{text}");
    assert!(text.contains("„Zurückziehen“"), "says how to undo: {text}");

    // Withdraw it again: a different message.
    let res = app
        .submit(
            &copy,
            &format!("{copy}/status"),
            &[("action", "zurueckziehen")],
        )
        .await;
    let (shown, text) = banner_after(&app, res).await;
    assert!(text.unwrap().contains("nicht mehr öffentlich"));

    // Once: the page itself, its language switch and its other links carry no banner.
    let (_, doc) = app.get_html(&copy).await;
    assert!(select(&doc, ".notification-banner").is_empty());
    let (_, doc) = app.get_html(&shown).await;
    for link in select(&doc, ".language-switch a, a[href^=\"/barriere-melden\"]") {
        let href = link.value().attr("href").unwrap();
        assert!(!href.contains("erledigt"), "{href}");
    }

    // A moderator's decision lands on the queue with what was decided.
    let submitted = proposal::Entity::find()
        .filter(proposal::Column::Status.eq(ProposalStatus::Submitted))
        .one(&app.db)
        .await
        .unwrap()
        .expect("a demo proposal waits for moderation");
    let page = format!("/verwaltung/vorschlaege/{}", submitted.id);
    let res = app
        .submit(
            &page,
            &format!("{page}/moderation"),
            &[("aktion", "veroeffentlichen")],
        )
        .await;
    let (queue, text) = banner_after(&app, res).await;
    assert!(queue.starts_with("/verwaltung/vorschlaege?"), "{queue}");
    // The title says it first, as "Fehler:" does for errors.
    let (_, doc) = app.get_html(&queue).await;
    assert!(text_of(&doc, "title").starts_with("Erledigt: "));
    let text = text.unwrap();
    assert!(text.contains("Der Vorschlag ist veröffentlicht."), "{text}");
    assert!(text.contains("wieder verbergen"), "{text}");

    // In English too.
    let (_, doc) = app.get_html(&format!("{queue}&lang=en")).await;
    assert!(text_of(&doc, ".notification-banner").contains("The proposal has been published."));

    // Only the actions' own names are shown; anything else in the address shows nothing.
    for forged in [
        "<script>alert(1)</script>",
        "done-banner-title",
        "",
        "veroeffentlicht-undo",
    ] {
        let (_, doc) = app
            .get_html(&format!(
                "/verwaltung/vorschlaege?{}",
                serde_urlencoded::to_string([("erledigt", forged)]).unwrap()
            ))
            .await;
        assert!(select(&doc, ".notification-banner").is_empty(), "{forged}");
    }
}
