//! A form sent twice (double click, slow connection, back button) books once and hands in once; the
//! second submission leads where the first did. Checked with both sent at the same moment.
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use teilhabe::db::entities::{booking, proposal};

use crate::{helpers::TestApp, on_both_backends};

fn pairs(form: &[(String, String)]) -> Vec<(&str, &str)> {
    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn location_of(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
}

/// The hidden fields of `page` plus `fields`.
async fn filled(app: &TestApp, page: &str, fields: &[(&str, &str)]) -> Vec<(String, String)> {
    let fields = fields.to_vec();
    let mut all: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    for (k, v) in app.hidden_fields(page).await {
        if !all.iter().any(|(name, _)| *name == k) {
            all.push((k, v));
        }
    }
    assert!(
        all.iter().any(|(k, _)| k == "einreichung"),
        "{page} carries a form key"
    );
    all
}

on_both_backends!(a_form_sent_twice_creates_one_record, |app| {
    // The first demo course's first date, which has room.
    let date_id = 1;
    let page = "/kurse/smartphone-grundlagen-fuer-einsteiger-erfurt/termine/1/buchen".to_owned();
    let before = booking::Entity::find()
        .filter(booking::Column::DateId.eq(date_id))
        .count(&app.db)
        .await
        .unwrap();
    // Only a phone number: nothing else would tell the two apart.
    let form = filled(
        &app,
        &page,
        &[
            ("name", "Paula Doppelt"),
            ("phone", "0361 555555"),
            ("places", "1"),
        ],
    )
    .await;
    let sent = pairs(&form);
    let (a, b) = tokio::join!(app.post_form(&page, &sent), app.post_form(&page, &sent));
    let (la, lb) = (location_of(&a), location_of(&b));
    assert!(la.is_some(), "{:?}", a.status());
    assert_eq!(la, lb, "both lead to the one booking");
    // Later, with the back button: the same.
    let again = app.post_form(&page, &pairs(&form)).await;
    assert_eq!(location_of(&again), la);
    let after = booking::Entity::find()
        .filter(booking::Column::DateId.eq(date_id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(after, before + 1, "one booking");

    // A proposal sent twice from its last step, signed in.
    assert_eq!(
        app.login("buergerin@demo.teilhabe.example", "Demo-Buergerin-2026")
            .await
            .status(),
        303
    );
    let before = proposal::Entity::find().count(&app.db).await.unwrap();
    let form = filled(
        &app,
        "/vorschlaege/neu",
        &[
            ("titel", "Ladesäulen am Bahnhof Arnstadt"),
            (
                "text",
                "Am Bahnhof gibt es keine Möglichkeit, ein Elektroauto oder ein Pedelec zu laden.",
            ),
            ("kategorie", "sonstiges"),
            ("kreis", "16070"),
            ("schritt", "absenden"),
        ],
    )
    .await;
    let sent = pairs(&form);
    let (a, b) = tokio::join!(
        app.post_form("/vorschlaege/neu", &sent),
        app.post_form("/vorschlaege/neu", &sent)
    );
    assert!(location_of(&a).is_some(), "{:?}", a.status());
    assert_eq!(location_of(&a), location_of(&b));
    assert_eq!(
        proposal::Entity::find().count(&app.db).await.unwrap(),
        before + 1,
        "one proposal"
    );

    // A refused form frees its key: corrected, the same form goes through.
    let form = filled(
        &app,
        "/vorschlaege/neu",
        &[("titel", ""), ("schritt", "absenden")],
    )
    .await;
    let refused = app.post_form("/vorschlaege/neu", &pairs(&form)).await;
    assert_eq!(refused.status(), 422);
    let key = form
        .iter()
        .find(|(k, _)| k == "einreichung")
        .unwrap()
        .1
        .clone();
    let corrected = filled(
        &app,
        "/vorschlaege/neu",
        &[
            ("titel", "Sitzbänke am Bahnhof Arnstadt"),
            (
                "text",
                "Wer auf den Zug wartet, muss stehen. Ein paar Bänke würden Älteren sehr helfen.",
            ),
            ("kategorie", "sonstiges"),
            ("kreis", "16070"),
            ("schritt", "absenden"),
            ("einreichung", &key),
        ],
    )
    .await;
    let res = app.post_form("/vorschlaege/neu", &pairs(&corrected)).await;
    assert_eq!(res.status(), 303);
});
