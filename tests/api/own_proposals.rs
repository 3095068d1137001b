//! "Meine Vorschläge": the account page lists the proposals handed in with the account, with their
//! status, moderation's note, the answer and the public link once there is one.
use sea_orm::{EntityTrait, QueryOrder};
use teilhabe::db::entities::proposal;

use crate::helpers::{Backend, DEMO_PASSWORD_ADMIN, TestApp, select, spawn_app, text_of};

use crate::helpers::CITIZEN;
const TITLE: &str = "Sitzbänke vor dem Bürgerbüro in Apolda";

async fn my_proposals(app: &TestApp) -> scraper::Html {
    let (status, doc) = app.get_html("/konto").await;
    assert_eq!(status, 200);
    doc
}

fn entry_of(doc: &scraper::Html) -> String {
    select(doc, "#vorschlaege + ul li")
        .iter()
        .map(|li| li.text().collect::<String>())
        .find(|t| t.contains(TITLE))
        .unwrap_or_else(|| panic!("{TITLE} not listed"))
}

async fn log_out(app: &TestApp) {
    let token = app.csrf_token("/konto").await;
    app.post_form("/abmelden", &[("csrf_token", &token)]).await;
}

/// Moderation (the demo admin, signed in and out again) sends `stored` back to its author with
/// [`CHANGES_ASKED`].
async fn ask_for_changes(app: &TestApp, stored: &proposal::Model) {
    let (admin, password) = DEMO_PASSWORD_ADMIN;
    assert_eq!(app.login(admin, password).await.status(), 303);
    let page = format!("/verwaltung/vorschlaege/{}", stored.id);
    let res = app
        .submit(
            &page,
            &format!("{page}/moderation"),
            &[("aktion", "aenderung"), ("begruendung", CHANGES_ASKED)],
        )
        .await;
    assert_eq!(res.status(), 303);
    log_out(app).await;
}

const CHANGES_ASKED: &str = "Bitte nennen Sie die Stadt.";

/// Hands in the proposal [`TITLE`] as the signed-in person and returns it as stored.
async fn hand_in(app: &TestApp) -> proposal::Model {
    let res = app
        .submit(
            "/vorschlaege/neu",
            "/vorschlaege/neu",
            &[
                ("titel", TITLE),
                (
                    "text",
                    "Wer auf einen Termin wartet, muss draußen stehen. Zwei Bänke würden vielen helfen.",
                ),
                ("kategorie", "sonstiges"),
                ("kreis", "16071"),
                ("schritt", "absenden"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    proposal::Entity::find()
        .order_by_desc(proposal::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn the_account_page_lists_my_proposals_with_status_and_answer() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    assert_eq!(app.login(CITIZEN.0, CITIZEN.1).await.status(), 303);
    let before = my_proposals(&app).await;
    assert!(!before.html().contains(TITLE));

    let stored = hand_in(&app).await;

    // Handed in: listed with its status, no public link yet.
    let doc = my_proposals(&app).await;
    let entry = entry_of(&doc);
    assert!(entry.contains("Eingereicht"), "{entry}");
    assert!(select(&doc, &format!("a[href=\"/vorschlaege/{}\"]", stored.id)).is_empty());
    log_out(&app).await;

    // Published and answered by the back office.
    let (admin, password) = DEMO_PASSWORD_ADMIN;
    assert_eq!(app.login(admin, password).await.status(), 303);
    let page = format!("/verwaltung/vorschlaege/{}", stored.id);
    let res = app
        .submit(
            &page,
            &format!("{page}/moderation"),
            &[("aktion", "veroeffentlichen")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = app
        .submit(
            &page,
            &format!("{page}/antwort"),
            &[
                ("status", "under-review"),
                ("antwort", "Das Bauamt prüft zwei Standorte."),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    log_out(&app).await;

    // The author sees where it stands, the answer and the public link.
    assert_eq!(app.login(CITIZEN.0, CITIZEN.1).await.status(), 303);
    let doc = my_proposals(&app).await;
    let entry = entry_of(&doc);
    assert!(entry.contains("In Prüfung"), "{entry}");
    assert!(
        entry.contains("Das Bauamt prüft zwei Standorte."),
        "{entry}"
    );
    assert_eq!(
        text_of(
            &doc,
            &format!("#vorschlaege + ul a[href=\"/vorschlaege/{}\"]", stored.id)
        ),
        TITLE
    );
    log_out(&app).await;

    // Nobody else sees it on their account page.
    assert_eq!(app.login(admin, password).await.status(), 303);
    assert!(!my_proposals(&app).await.html().contains(TITLE));
}

#[tokio::test]
async fn the_account_page_says_how_to_revise_when_moderation_asks_for_changes() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    assert_eq!(app.login(CITIZEN.0, CITIZEN.1).await.status(), 303);
    let stored = hand_in(&app).await;
    let revise_hint = "Zum Überarbeiten nutzen Sie bitte den Link aus der E-Mail";
    assert!(!entry_of(&my_proposals(&app).await).contains(revise_hint));
    log_out(&app).await;

    ask_for_changes(&app, &stored).await;

    assert_eq!(app.login(CITIZEN.0, CITIZEN.1).await.status(), 303);
    let entry = entry_of(&my_proposals(&app).await);
    assert!(entry.contains("Änderung erbeten"), "{entry}");
    assert!(entry.contains(revise_hint), "{entry}");
}

// A proposal still waiting for moderation goes with its author's account: nobody may publish it
// after the person asked for erasure. Published ones stay, without the author's address.
crate::on_both_backends!(an_unpublished_proposal_goes_with_the_account, |app| {
    use sea_orm::{ColumnTrait, QueryFilter};
    assert_eq!(app.login(CITIZEN.0, CITIZEN.1).await.status(), 303);
    let waiting = hand_in(&app).await;
    assert_eq!(
        waiting.status,
        teilhabe::domain::proposal::ProposalStatus::Submitted
    );
    let res = app.submit("/konto/loeschen", "/konto/loeschen", &[]).await;
    assert_eq!(res.headers()["location"], "/konto/geloescht");
    assert!(
        proposal::Entity::find_by_id(waiting.id)
            .one(&app.db)
            .await
            .unwrap()
            .is_none(),
        "the waiting proposal is gone"
    );
    let left = proposal::Entity::find()
        .filter(proposal::Column::AuthorEmail.eq(CITIZEN.0))
        .all(&app.db)
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");

    let (admin, password) = DEMO_PASSWORD_ADMIN;
    assert_eq!(app.login(admin, password).await.status(), 303);
    let moderation = format!("/verwaltung/vorschlaege/{}", waiting.id);
    assert_eq!(app.get(&moderation).await.status(), 404);
});

// A hidden proposal that another person's proposal was merged into keeps that person's supports
// and is where the merged one leads: it stays when its author deletes the account (without the
// author's address), instead of taking the others' supports with it and leaving the merged one
// leading nowhere. The author's own merged proposal, which the public sees only as the way to
// another, goes with the account.
crate::on_both_backends!(
    a_hidden_proposal_others_were_merged_into_stays_without_its_author,
    |app| {
        use sea_orm::{ActiveModelTrait, ColumnTrait, PaginatorTrait, QueryFilter, Set};
        use teilhabe::db::entities::proposal_support;
        use teilhabe::domain::proposal::ProposalStatus;
        assert_eq!(app.login(CITIZEN.0, CITIZEN.1).await.status(), 303);
        let target = hand_in(&app).await;
        let own_merged = hand_in(&app).await;
        // Two published proposals of other people; two people support the first.
        let others = proposal::Entity::find()
            .filter(proposal::Column::Status.eq(ProposalStatus::Published))
            .filter(proposal::Column::Id.ne(target.id))
            .filter(proposal::Column::Id.ne(own_merged.id))
            .all(&app.db)
            .await
            .unwrap();
        let (other, elsewhere) = (&others[0], &others[1]);
        for n in 0..2 {
            proposal_support::ActiveModel {
                proposal_id: Set(other.id),
                email_hash: Set(Some(format!("hash-of-supporter-{n}"))),
                confirmed_at: Set(Some(chrono::Utc::now())),
                created_at: Set(chrono::Utc::now()),
                ..Default::default()
            }
            .insert(&app.db)
            .await
            .unwrap();
        }
        let supports_before = 2;
        // As moderation leaves it: the other's supports on the target, the other merged into it,
        // then the target hidden; and the author's second proposal merged into a third one.
        proposal_support::Entity::update_many()
            .col_expr(
                proposal_support::Column::ProposalId,
                sea_orm::sea_query::Expr::value(target.id),
            )
            .filter(proposal_support::Column::ProposalId.eq(other.id))
            .exec(&app.db)
            .await
            .unwrap();
        for (row, status, into) in [
            (other, ProposalStatus::Merged, Some(target.id)),
            (&target, ProposalStatus::Hidden, None),
            (&own_merged, ProposalStatus::Merged, Some(elsewhere.id)),
        ] {
            let mut change: proposal::ActiveModel = row.clone().into();
            change.status = Set(status);
            change.merged_into_id = Set(into);
            change.update(&app.db).await.unwrap();
        }

        let res = app.submit("/konto/loeschen", "/konto/loeschen", &[]).await;
        assert_eq!(res.headers()["location"], "/konto/geloescht");

        let kept = proposal::Entity::find_by_id(target.id)
            .one(&app.db)
            .await
            .unwrap()
            .expect("the proposal others were merged into stays");
        assert_eq!(kept.status, ProposalStatus::Hidden);
        assert_eq!((kept.author_user_id, kept.author_email), (None, None));
        assert_eq!(
            proposal_support::Entity::find()
                .filter(proposal_support::Column::ProposalId.eq(target.id))
                .count(&app.db)
                .await
                .unwrap(),
            supports_before,
            "the others' supports are kept"
        );
        let merged = proposal::Entity::find_by_id(other.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(merged.merged_into_id, Some(target.id));
        assert!(
            proposal::Entity::find_by_id(own_merged.id)
                .one(&app.db)
                .await
                .unwrap()
                .is_none(),
            "the author's merged proposal is gone"
        );
    }
);

// The download holds the history of the person's proposals, with moderation's reasons (they were
// mailed to the author), not who moderated.
#[tokio::test]
async fn the_download_holds_the_history_of_my_proposals() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    assert_eq!(app.login(CITIZEN.0, CITIZEN.1).await.status(), 303);
    let stored = hand_in(&app).await;
    log_out(&app).await;
    ask_for_changes(&app, &stored).await;

    assert_eq!(app.login(CITIZEN.0, CITIZEN.1).await.status(), 303);
    let data: serde_json::Value = app.get("/konto/daten").await.json().await.unwrap();
    let history: Vec<&serde_json::Value> = data["proposal_history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["proposal_id"] == stored.id)
        .collect();
    assert!(history.len() >= 2, "{history:?}");
    let asked = history
        .iter()
        .find(|e| e["note"] == CHANGES_ASKED)
        .expect("the request for changes with its reason");
    assert!(asked.get("actor_user_id").is_none(), "{asked}");
    for key in ["course_alert_dates", "staff_work"] {
        assert!(data.get(key).is_some(), "{key} missing");
    }
}
