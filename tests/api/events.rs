//! Dialogue events of the municipalities: their own catalogue under /veranstaltungen, the same booking
//! flow as courses, and the back office for municipality editors.
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use teilhabe::db::entities::{booking, offer, offer_date};
use teilhabe::domain::booking::BookingStatus;
use teilhabe::domain::offer::OfferKind;

use crate::helpers::{Backend, TestApp, select, spawn_app, text_of};

const EDITOR: (&str, &str) = ("gemeinde@demo.teilhabe.example", "Demo-Gemeinde-2026");
const DIALOGUE: &str = "buergerdialog-digitales-rathaus-soemmerda";
const OPEN_DOOR: &str = "digitale-sprechstunde-arnstadt";

async fn first_date(app: &TestApp, slug: &str) -> offer_date::Model {
    use sea_orm::QueryOrder;
    let offer = offer::Entity::find()
        .filter(offer::Column::Slug.eq(slug))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    offer_date::Entity::find()
        .filter(offer_date::Column::OfferId.eq(offer.id))
        .order_by_asc(offer_date::Column::StartsAt)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn events_have_their_own_catalogue_pages_and_booking() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let (status, list) = app.get_html("/veranstaltungen").await;
    assert_eq!(status, 200);
    assert_eq!(text_of(&list, "h1"), "Veranstaltungen in Ihrer Gemeinde");
    let links: Vec<String> = select(&list, ".result__title a")
        .iter()
        .map(|a| a.value().attr("href").unwrap().to_owned())
        .collect();
    assert_eq!(links.len(), 5, "five demo event dates: {links:?}");
    assert!(links.iter().all(|l| l.starts_with("/veranstaltungen/")));
    let (_, courses) = app.get_html("/kurse?q=Bürgerdialog").await;
    assert!(
        select(&courses, ".result").is_empty(),
        "events are not courses"
    );
    let (_, filtered) = app.get_html("/veranstaltungen?kreis=16068").await;
    assert_eq!(select(&filtered, ".result").len(), 2);

    // The event page shows agenda, audience and support; the course address does not know it.
    let (status, page) = app.get_html(&format!("/veranstaltungen/{DIALOGUE}")).await;
    assert_eq!(status, 200);
    let html = page.html();
    for expected in [
        "Ablauf und Themen",
        "Begrüßung durch den Bürgermeister",
        "Gebärdensprachdolmetschung auf Wunsch",
        "Besonders eingeladen",
    ] {
        assert!(html.contains(expected), "{expected}");
    }
    assert_eq!(app.get(&format!("/kurse/{DIALOGUE}")).await.status(), 404);

    // Booking follows the course flow under the event's address.
    let date = first_date(&app, DIALOGUE).await;
    let form = format!("/veranstaltungen/{DIALOGUE}/termine/{}/buchen", date.id);
    assert!(html.contains(&form), "booking link");
    let res = app
        .submit(
            &form,
            &form,
            &[
                ("name", "Olga Muster"),
                ("email", "olga@example.de"),
                ("places", "2"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/buchung/")
    );
    let booked = booking::Entity::find()
        .filter(booking::Column::DateId.eq(date.id))
        .filter(booking::Column::Email.eq("olga@example.de"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(booked.status, BookingStatus::Confirmed);
    let wrong = format!("/kurse/{DIALOGUE}/termine/{}/buchen", date.id);
    assert_eq!(app.get(&wrong).await.status(), 404);

    // An open event needs no registration and offers no booking.
    let (_, open) = app.get_html(&format!("/veranstaltungen/{OPEN_DOOR}")).await;
    assert!(
        open.html()
            .contains("Nicht nötig, kommen Sie einfach vorbei.")
    );
    assert!(select(&open, "a[href$=\"/buchen\"]").is_empty());

    // Feeds and the sitemap carry events too.
    let sitemap = app.get("/sitemap.xml").await.text().await.unwrap();
    assert!(sitemap.contains(&format!("/veranstaltungen/{DIALOGUE}")));
    let feed = app
        .get("/kalender/kreis/16068.ics")
        .await
        .text()
        .await
        .unwrap();
    assert!(feed.contains("Bürgerdialog"), "{feed}");
}

#[tokio::test]
async fn municipality_editors_create_dialogue_events_for_their_town() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    app.login(EDITOR.0, EDITOR.1).await;
    let (status, form) = app.get_html("/verwaltung/angebote/neu").await;
    assert_eq!(status, 200);
    let selected = select(&form, "#kind option[selected]");
    assert_eq!(selected[0].value().attr("value"), Some("dialogue"));
    let venue = select(&form, "#venue option")
        .iter()
        .filter_map(|o| o.value().attr("value"))
        .find(|v| !v.is_empty())
        .expect("the town hall")
        .to_owned();
    let res = app
        .submit(
            "/verwaltung/angebote/neu",
            "/verwaltung/angebote/neu",
            &[
                ("kind", "dialog"),
                ("title", "Runder Tisch: Digitale Schule in Sömmerda"),
                (
                    "description",
                    "Eltern, Lehrkräfte und Verwaltung sprechen über Tablets und Lernplattformen.",
                ),
                ("topic", "beteiligung-vor-ort"),
                ("level", "einsteiger"),
                ("target_group", "alle"),
                ("venue", &venue),
                ("agenda", "Kurzer Bericht, dann Fragen aus der Runde."),
                ("audience", "Eltern von Schulkindern"),
                ("no_registration", "1"),
                ("support_hoerschleife", "1"),
                ("price", "0"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let created = offer::Entity::find()
        .filter(offer::Column::Title.eq("Runder Tisch: Digitale Schule in Sömmerda"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(created.kind, OfferKind::Dialogue);
    assert!(!created.registration_required);
    assert_eq!(created.support_offered.as_deref(), Some("hoerschleife"));
    assert_eq!(created.audience.as_deref(), Some("Eltern von Schulkindern"));
    // Another organisation's offers stay out of reach.
    assert_eq!(app.get("/verwaltung/angebote/1").await.status(), 404);
}

#[tokio::test]
async fn ideas_collected_at_an_event_are_linked_to_it() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let event_id = |slug: &'static str| {
        let db = app.db.clone();
        async move {
            offer::Entity::find()
                .filter(offer::Column::Slug.eq(slug))
                .one(&db)
                .await
                .unwrap()
                .unwrap()
                .id
                .to_string()
        }
    };
    let ours = event_id(DIALOGUE).await;
    let theirs = event_id(OPEN_DOOR).await;
    app.login(EDITOR.0, EDITOR.1).await;
    let page = "/verwaltung/vorschlaege/erfassen";
    let fields = |event: &str| {
        vec![
            ("titel", "Sprechstunde für Formulare im Rathaus".to_owned()),
            (
                "text",
                "Von einer Karte beim Bürgerdialog: Hilfe beim Ausfüllen von Online-Formularen."
                    .to_owned(),
            ),
            ("kategorie", "verwaltung-digital".to_owned()),
            ("kreis", "16068".to_owned()),
            ("veranstaltung", event.to_owned()),
        ]
    };
    let other = fields(&theirs);
    let other: Vec<(&str, &str)> = other.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = app.submit(page, page, &other).await;
    assert_eq!(res.status(), 422, "another town's event is not offered");
    let mine = fields(&ours);
    let mine: Vec<(&str, &str)> = mine.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = app.submit(page, page, &mine).await;
    assert_eq!(res.status(), 303);
    let stored = teilhabe::db::entities::proposal::Entity::find()
        .filter(
            teilhabe::db::entities::proposal::Column::Title
                .eq("Sprechstunde für Formulare im Rathaus"),
        )
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.event_offer_id.map(|id| id.to_string()), Some(ours));
    assert_eq!(stored.channel, "assisted");

    // Once published, the event and the proposal point at each other.
    let token = app.csrf_token("/konto").await;
    app.post_form("/abmelden", &[("csrf_token", &token)]).await;
    app.login("moderation@demo.teilhabe.example", "Demo-Moderation-2026")
        .await;
    let admin_page = format!("/verwaltung/vorschlaege/{}", stored.id);
    let res = app
        .submit(
            &admin_page,
            &format!("{admin_page}/moderation"),
            &[("aktion", "veroeffentlichen")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, event) = app.get_html(&format!("/veranstaltungen/{DIALOGUE}")).await;
    assert!(
        event
            .html()
            .contains(&format!("/vorschlaege/{}", stored.id))
    );
    let (_, proposal) = app.get_html(&format!("/vorschlaege/{}", stored.id)).await;
    assert!(
        proposal
            .html()
            .contains(&format!("/veranstaltungen/{DIALOGUE}"))
    );
}
