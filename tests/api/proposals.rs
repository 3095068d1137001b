//! Proposals end to end: handing in with and without an account, moderation, answers, supports,
//! followers, reports, search and its fallback, the JSON API.
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use teilhabe::db::entities::{audit_log, proposal, proposal_support};
use teilhabe::domain::proposal::ProposalStatus;

use crate::{
    helpers::{
        Backend, Options, TestApp, app_without_a_search_server, as_pairs, form_as_sent,
        refused_as_changed, select, spawn_app, supports_count, text_of,
    },
    on_both_backends,
};

const MODERATOR: (&str, &str) = ("moderation@demo.teilhabe.example", "Demo-Moderation-2026");
const EDITOR: (&str, &str) = ("gemeinde@demo.teilhabe.example", "Demo-Gemeinde-2026");
use crate::helpers::CITIZEN;

/// Waits until the search-index worker has applied every queued update.
pub async fn index_settled(app: &TestApp) {
    for _ in 0..200 {
        if teilhabe::search::indexer::pending(&app.db).await.unwrap() == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("search index updates still pending after 10 s");
}

async fn logout(app: &TestApp) {
    let token = app.csrf_token("/konto").await;
    app.post_form("/abmelden", &[("csrf_token", &token)]).await;
}

fn location(res: &reqwest::Response) -> String {
    res.headers()["location"].to_str().unwrap().to_owned()
}

async fn hand_in(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    app.submit("/vorschlaege/neu", "/vorschlaege/neu", fields)
        .await
}

async fn newest_proposal(app: &TestApp) -> proposal::Model {
    use sea_orm::QueryOrder;
    proposal::Entity::find()
        .order_by_desc(proposal::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

async fn moderate(app: &TestApp, id: i64, fields: &[(&str, &str)]) -> reqwest::Response {
    let page = format!("/verwaltung/vorschlaege/{id}");
    app.submit(
        &page,
        &format!("/verwaltung/vorschlaege/{id}/moderation"),
        fields,
    )
    .await
}

const TITLE: &str = "Sprechstunde für das Onlinezugangsgesetz im Rathaus Kölleda";
const TEXT: &str = "Viele Ältere verstehen die neuen Online-Anträge nicht. Eine feste Sprechstunde <b>jeden Dienstag</b> würde helfen: https://beispiel.example";

on_both_backends!(
    a_proposal_without_account_is_confirmed_moderated_published_and_found,
    |app| {
        // Step 1 shows similar published proposals (there are some about Kölleda); step 2 hands in.
        let mut fields = vec![
            ("titel", TITLE),
            ("text", TEXT),
            ("kategorie", "verwaltung-digital"),
            ("kreis", "16068"),
            ("ort", "Kölleda"),
            ("email", "Eva.Neu@Example.de"),
        ];
        index_settled(&app).await;
        let res = hand_in(&app, &fields).await;
        assert_eq!(res.status(), 200);
        let doc = scraper::Html::parse_document(&res.text().await.unwrap());
        assert!(
            !select(&doc, "input[name=schritt]").is_empty(),
            "similar step"
        );
        assert_eq!(
            select(&doc, "#ort")[0].value().attr("value"),
            Some("Kölleda")
        );
        fields.push(("schritt", "absenden"));
        let res = hand_in(&app, &fields).await;
        assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
        assert_eq!(location(&res), "/vorschlaege/eingereicht?bestaetigen=true");
        let stored = newest_proposal(&app).await;
        assert_eq!(stored.status, ProposalStatus::Unconfirmed);
        assert_eq!(stored.channel, "online");

        // Not in the moderation queue before the address is confirmed.
        app.login(MODERATOR.0, MODERATOR.1).await;
        let (_, queue) = app.get_html("/verwaltung/vorschlaege").await;
        assert!(!queue.html().contains(TITLE));
        logout(&app).await;

        let link = app
            .link_in_mail("eva.neu@example.de", "/vorschlaege/eigene/")
            .await;
        let (status, page) = app.get_html(&link).await;
        assert_eq!(status, 200);
        assert!(page.html().contains("Vorschlag bestätigen"));
        // Opening the link alone confirms nothing (mail scanners open links).
        assert_eq!(
            newest_proposal(&app).await.status,
            ProposalStatus::Unconfirmed
        );
        let res = app.submit(&link, &format!("{link}/bestaetigen"), &[]).await;
        assert_eq!(res.status(), 303);
        assert_eq!(
            newest_proposal(&app).await.status,
            ProposalStatus::Submitted
        );

        app.login(MODERATOR.0, MODERATOR.1).await;
        let (_, queue) = app.get_html("/verwaltung/vorschlaege").await;
        assert!(queue.html().contains(TITLE));
        let res = moderate(&app, stored.id, &[("aktion", "veroeffentlichen")]).await;
        assert_eq!(res.status(), 303);
        let published = newest_proposal(&app).await;
        assert_eq!(published.status, ProposalStatus::Published);
        assert!(published.published_at.is_some());
        let audit = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("proposal.publish"))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(audit, 1);
        logout(&app).await;

        // The public page shows the text as text, never as markup, and nothing of the author.
        let (status, page) = app.get_html(&format!("/vorschlaege/{}", stored.id)).await;
        assert_eq!(status, 200);
        let html = page.html();
        assert!(html.contains("&lt;b&gt;jeden Dienstag&lt;/b&gt;"), "{html}");
        assert!(!html.contains("eva.neu@example.de"));
        assert_eq!(text_of(&page, "h1"), TITLE);

        // Found with a typo and a stemmed form, with the match highlighted.
        index_settled(&app).await;
        let (_, results) = app.get_html("/vorschlaege?q=Sprechstunte+Rathaeuser").await;
        let html = results.html();
        assert!(html.contains(TITLE), "{html}");
        let (_, results) = app.get_html("/vorschlaege?q=Sprechstunde").await;
        assert!(!select(&results, ".snippet mark").is_empty());

        // The author hears of the publication, with a link to the public page.
        let public_link = format!("http://teilhabe.test/vorschlaege/{}\n", stored.id);
        let mails = app.mails().await;
        assert!(
            mails.iter().any(|m| m.contains("To: eva.neu@example.de")
                && m.replace("\r\n", "\n").contains(&public_link)),
            "publication mail"
        );
    }
);

// An address past the last page (an old link, fewer results since) shows the last page, as the
// catalogue does, not an empty page that says "Seite 7 von 4".
#[tokio::test]
async fn a_page_number_past_the_end_shows_the_last_page() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    index_settled(&app).await;
    let (_, first) = app.get_html("/vorschlaege").await;
    let count = text_of(&first, ".result-count");
    let last = text_of(&first, ".pagination [aria-current=page]")
        .rsplit(' ')
        .next()
        .unwrap()
        .parse::<usize>()
        .unwrap();
    assert!(last > 1, "the demo data fills several pages");
    let (_, doc) = app.get_html(&format!("/vorschlaege?seite={last}")).await;
    let on_last = select(&doc, ".result-list .result").len();
    assert!(on_last > 0);
    let (status, doc) = app
        .get_html(&format!("/vorschlaege?seite={}", last + 3))
        .await;
    assert_eq!(status, 200);
    assert_eq!(text_of(&doc, ".result-count"), count);
    assert_eq!(
        text_of(&doc, ".pagination [aria-current=page]"),
        format!("Seite {last} von {last}")
    );
    assert_eq!(select(&doc, ".result-list .result").len(), on_last);
    assert!(select(&doc, ".pagination a[rel=next]").is_empty());
    // With a search that finds less: its own last page.
    let (_, doc) = app.get_html("/vorschlaege?q=WLAN&seite=40").await;
    assert!(!select(&doc, ".result-list .result").is_empty());
}

#[tokio::test]
async fn bad_input_keeps_the_form_and_stores_nothing() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let before = proposal::Entity::find().count(&app.db).await.unwrap();
    let res = hand_in(
        &app,
        &[
            ("titel", "Hi"),
            ("text", "zu kurz"),
            ("kategorie", "nichts"),
            ("kreis", ""),
            ("ort", "Kölleda"),
            ("email", "keine-adresse"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    let summary: Vec<String> = select(&doc, ".error-summary a")
        .iter()
        .map(|a| a.value().attr("href").unwrap().to_owned())
        .collect();
    assert_eq!(
        summary,
        ["#titel", "#text", "#kategorie", "#kreis", "#email"]
    );
    assert_eq!(
        select(&doc, "#ort")[0].value().attr("value"),
        Some("Kölleda")
    );
    assert!(
        select(&doc, "#titel")[0]
            .value()
            .attr("aria-invalid")
            .is_some()
    );
    assert_eq!(
        proposal::Entity::find().count(&app.db).await.unwrap(),
        before
    );

    // Odd search input is answered, never with a server error.
    for q in [
        "\"Glasfaser",
        "AND OR NOT -+*:()",
        "😀🇩🇪 \u{202E}abc\u{200B}",
        &"x".repeat(201),
        "%_\\",
        "' OR 1=1 --",
    ] {
        let res = app
            .client
            .get(app.url("/vorschlaege"))
            .query(&[("q", q)])
            .send()
            .await
            .unwrap();
        assert!(
            res.status() == 200 || res.status() == 422,
            "{q}: {}",
            res.status()
        );
    }
    let (status, doc) = app.get_html("/vorschlaege?kategorie=x&seite=0").await;
    assert_eq!(status, 422);
    assert_eq!(select(&doc, ".error-summary li").len(), 2);
}

on_both_backends!(similar_proposals_are_shown_before_handing_in, |app| {
    app.login(CITIZEN.0, CITIZEN.1).await;
    index_settled(&app).await;
    let fields = [
        ("titel", "Funkloch an der B4 endlich schließen"),
        (
            "text",
            "Auf der B4 bei Straußfurt bricht jedes Telefonat ab, auch der Notruf.",
        ),
        ("kategorie", "internet-mobilfunk"),
        ("kreis", "16068"),
    ];
    let before = proposal::Entity::find().count(&app.db).await.unwrap();
    let res = hand_in(&app, &fields).await;
    assert_eq!(res.status(), 200);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert!(
        !select(&doc, ".result-list .result").is_empty(),
        "similar list"
    );
    assert_eq!(
        select(&doc, "input[name=schritt]")[0].value().attr("value"),
        Some("absenden")
    );
    assert_eq!(
        proposal::Entity::find().count(&app.db).await.unwrap(),
        before
    );
    // A refusal on the second step keeps people on it with what they typed, so fixing the field and
    // sending hands in (instead of showing the similar proposals a second time).
    let mut second = fields.to_vec();
    second.push(("schritt", "absenden"));
    let mut emptied = second.clone();
    emptied.retain(|(k, _)| *k != "text");
    let res = hand_in(&app, &emptied).await;
    assert_eq!(res.status(), 422);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(
        select(&doc, "input[name=schritt]")[0].value().attr("value"),
        Some("absenden")
    );
    assert_eq!(
        select(&doc, "#titel")[0].value().attr("value"),
        Some("Funkloch an der B4 endlich schließen")
    );
    assert_eq!(
        text_of(&doc, "main form button[type=\"submit\"]"),
        "Vorschlag einreichen"
    );
    // Sending again from the second step hands in, at once after the page opened: nobody is refused
    // for being quick.
    let res = hand_in(&app, &second).await;
    assert_eq!(res.status(), 303);
    let stored = newest_proposal(&app).await;
    assert_eq!(stored.status, ProposalStatus::Submitted);
    assert!(stored.author_user_id.is_some());
});

on_both_backends!(supports_count_once_per_person, |app| {
    let id = 2_i64; // a published demo proposal
    let before = proposal::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .supports_count;
    app.login(CITIZEN.0, CITIZEN.1).await;
    let page = format!("/vorschlaege/{id}");
    let action = format!("/vorschlaege/{id}/unterstuetzen");
    let res = app.submit(&page, &action, &[]).await;
    assert!(location(&res).contains("hinweis=unterstuetzt"));
    let res = app.submit(&page, &action, &[]).await;
    assert!(location(&res).contains("hinweis=schon-unterstuetzt"));
    logout(&app).await;

    // Without an account the support counts after the link is used, once.
    let res = app
        .submit(&page, &action, &[("email", "fan@example.de")])
        .await;
    assert!(location(&res).contains("hinweis=bestaetigen"));
    let res = app
        .submit(&page, &action, &[("email", "FAN@example.de")])
        .await;
    assert!(location(&res).contains("hinweis=bestaetigen"));
    assert_eq!(supports_count(&app, id).await, before + 1);
    let link = app
        .link_in_mail("fan@example.de", "/vorschlaege/unterstuetzen/")
        .await;
    let res = app.submit(&link, &link, &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(supports_count(&app, id).await, before + 2);
    let res = app.submit(&link, &link, &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(supports_count(&app, id).await, before + 2);
    let rows = proposal_support::Entity::find()
        .filter(proposal_support::Column::ProposalId.eq(id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(rows, 2);

    // Typed in by someone else, an address that supports already gets the same answer as any
    // other: the page must not tell who supports what. Its mailbox hears that nothing is needed.
    let res = app.submit(&page, &action, &[("email", CITIZEN.0)]).await;
    assert!(
        location(&res).contains("hinweis=bestaetigen"),
        "{}",
        location(&res)
    );
    let mails = app.mails().await;
    let notice = mails
        .iter()
        .rev()
        .find(|m| m.contains(&format!("To: {}", CITIZEN.0)))
        .expect("a mail to the supporter");
    assert!(notice.contains("nichts weiter tun"), "{notice}");
    assert_eq!(supports_count(&app, id).await, before + 2);

    // A bad address is explained next to the field.
    let res = app.submit(&page, &action, &[("email", "nope")]).await;
    assert_eq!(res.status(), 422);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert!(!select(&doc, "#email-error").is_empty());
});

on_both_backends!(followers_hear_of_answers_and_can_unsubscribe, |app| {
    let id = 2_i64;
    let page = format!("/vorschlaege/{id}");
    let res = app
        .submit(
            &page,
            &format!("/vorschlaege/{id}/folgen"),
            &[("follow-email", "leser@example.de")],
        )
        .await;
    assert!(location(&res).contains("hinweis=folgen-bestaetigen"));
    let link = app
        .link_in_mail("leser@example.de", "/vorschlaege/folgen/")
        .await;
    app.submit(&link, &link, &[]).await;
    // Someone else typing the follower's address learns nothing from the answer.
    let res = app
        .submit(
            &page,
            &format!("/vorschlaege/{id}/folgen"),
            &[("follow-email", "leser@example.de")],
        )
        .await;
    assert!(location(&res).contains("hinweis=folgen-bestaetigen"));

    // The municipality of Sömmerda answers proposals of its district.
    let district = proposal::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .district_key;
    assert_eq!(district, "16068", "demo proposal 2 is from Sömmerda");
    app.login(EDITOR.0, EDITOR.1).await;
    let admin_page = format!("/verwaltung/vorschlaege/{id}");
    let answer = format!("/verwaltung/vorschlaege/{id}/antwort");
    // Declining needs a justification.
    let res = app
        .submit(
            &admin_page,
            &answer,
            &[("status", "declined"), ("antwort", " ")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = app
        .submit(
            &admin_page,
            &answer,
            &[
                ("status", "accepted"),
                ("antwort", "Wir richten das bis März ein."),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let answered = proposal::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answered.status, ProposalStatus::Accepted);
    assert_eq!(
        answered.official_answer.as_deref(),
        Some("Wir richten das bis März ein.")
    );
    logout(&app).await;

    let mails = app.mails().await;
    let update = mails
        .iter()
        .rev()
        .find(|m| m.contains("To: leser@example.de") && m.contains("/vorschlaege/abmelden/"))
        .expect("update mail with unsubscribe link");
    assert!(update.contains("Angenommen"), "{update}");
    let unsubscribe = app
        .link_in_mail("leser@example.de", "/vorschlaege/abmelden/")
        .await;
    let res = app.submit(&unsubscribe, &unsubscribe, &[]).await;
    assert_eq!(res.status(), 200);
    let (_, public) = app.get_html(&page).await;
    assert!(public.html().contains("Wir richten das bis März ein."));
    assert!(public.html().contains("Angenommen"));
});

/// A follow link is confirmed while the follow is being removed (unfollowed in another tab, or the
/// account deleted). The confirmation read the follow, then updated it by id after it was gone,
/// and the person got a 500 page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirming_a_follow_removed_meanwhile_finds_nothing_on_postgres() {
    let Some(app) = spawn_app(Backend::Postgres, Default::default()).await else {
        return;
    };
    let id = 3_i64;
    let link = follow_link(&app, id, "gleich-weg@example.de").await;
    let token = link.trim_start_matches("/vorschlaege/folgen/").to_owned();
    let removing = crate::helpers::holding(
        &app.db,
        &format!("DELETE FROM proposal_follows WHERE token = '{token}'"),
    )
    .await;
    let confirming = app.submit(&link, &link, &[]);
    let committing = async {
        crate::helpers::until_someone_waits_for_a_lock(&app.db).await;
        removing.commit().await.unwrap();
    };
    let (confirmed, ()) = tokio::join!(confirming, committing);
    assert_eq!(confirmed.status(), 404);
}

/// Follows proposal `id` by `email` and confirms the mailed link.
async fn follow(app: &TestApp, id: i64, email: &str) {
    let link = follow_link(app, id, email).await;
    app.submit(&link, &link, &[]).await;
}

/// Asks to follow proposal `id` by `email`; the confirmation link mailed there.
async fn follow_link(app: &TestApp, id: i64, email: &str) -> String {
    let page = format!("/vorschlaege/{id}");
    let res = app
        .submit(
            &page,
            &format!("/vorschlaege/{id}/folgen"),
            &[("follow-email", email)],
        )
        .await;
    assert!(location(&res).contains("hinweis=folgen-bestaetigen"));
    app.link_in_mail(email, "/vorschlaege/folgen/").await
}

/// The mails telling the follower `email` of a new state (they carry the link to unfollow).
async fn updates_to(app: &TestApp, email: &str) -> Vec<String> {
    app.mails()
        .await
        .into_iter()
        .filter(|m| m.contains(&format!("To: {email}")) && m.contains("/vorschlaege/abmelden/"))
        .collect()
}

fn field<'a>(values: &'a [(String, String)], name: &str) -> &'a str {
    values
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no field {name}"))
}

/// The values with `name` set to `value` (added if the form has no such value yet).
fn with(values: &[(String, String)], name: &str, value: &str) -> Vec<(String, String)> {
    let mut changed: Vec<(String, String)> =
        values.iter().filter(|(k, _)| k != name).cloned().collect();
    changed.push((name.to_owned(), value.to_owned()));
    changed
}

// Two editors answer one proposal. A opens it (under review, "Wir prüfen"); B declines it with a
// justification and the followers are told; then A saves the older form with a sentence added. That
// must not put the proposal back under review and replace B's justification unseen (and tell the
// followers the opposite): it is refused, the stored answer is shown and A's input kept, and saving
// again applies it knowingly.
on_both_backends!(
    an_answer_form_opened_before_another_answer_cannot_undo_it,
    |app| {
        let id = 2_i64;
        follow(&app, id, "leser@example.de").await;
        app.login(EDITOR.0, EDITOR.1).await;
        let admin_page = format!("/verwaltung/vorschlaege/{id}");
        let action = format!("{admin_page}/antwort");
        let res = app
            .submit(
                &admin_page,
                &action,
                &[("status", "under-review"), ("antwort", "Wir prüfen")],
            )
            .await;
        assert_eq!(res.status(), 303);

        // A opens the page: the form is filled with the stored state and answer.
        let (_, page_a) = app.get_html(&admin_page).await;
        let opened = form_as_sent(&page_a, &action);
        assert_eq!(field(&opened, "status"), "under-review");
        assert_eq!(field(&opened, "antwort"), "Wir prüfen");

        // B declines it; the follower is told.
        let justification = "Der Kreis hat dafür kein Geld. Wir prüfen es 2028 noch einmal.";
        let res = app
            .submit(
                &admin_page,
                &action,
                &[("status", "declined"), ("antwort", justification)],
            )
            .await;
        assert_eq!(res.status(), 303);
        let told = updates_to(&app, "leser@example.de").await.len();
        assert_eq!(told, 2, "under review, then declined");
        let declined = proposal::Entity::find_by_id(id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();

        // A saves the older form with a sentence added: refused, nothing changes, nobody is told.
        let a_text = "Wir prüfen. Ein Ergebnis gibt es im Mai.";
        let res = app
            .post_form(&action, &as_pairs(&with(&opened, "antwort", a_text)))
            .await;
        let doc = refused_as_changed(res, "seit Sie die Seite geöffnet haben", "Abgelehnt").await;
        let stored = text_of(&doc, "main .notice");
        assert!(
            stored.contains(justification),
            "the stored answer is shown: {stored}"
        );
        let refilled = form_as_sent(&doc, &action);
        assert_eq!(field(&refilled, "antwort"), a_text, "the input is kept");
        assert_eq!(field(&refilled, "status"), "under-review");
        assert_eq!(
            proposal::Entity::find_by_id(id)
                .one(&app.db)
                .await
                .unwrap()
                .unwrap(),
            declined,
            "nothing changed"
        );
        assert_eq!(
            updates_to(&app, "leser@example.de").await.len(),
            told,
            "the follower is not told the opposite"
        );

        // Saving again, with B's answer in view, is A's decision.
        let res = app.post_form(&action, &as_pairs(&refilled)).await;
        assert_eq!(
            res.status(),
            303,
            "saved again with the stored answer in view"
        );
        let saved = proposal::Entity::find_by_id(id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(saved.status, ProposalStatus::UnderReview);
        assert_eq!(saved.official_answer.as_deref(), Some(a_text));
        assert_eq!(updates_to(&app, "leser@example.de").await.len(), told + 1);
    }
);

// Two moderators open a proposal waiting for moderation. A hides it (it names a neighbour); B, on
// the older page, publishes it. That must not make it public, tell its author and put it in the
// search: it is refused and the page shows it hidden. Publishing from a page that shows it hidden is
// a restore, taken knowingly, and still works.
on_both_backends!(
    a_publish_from_a_page_opened_before_hiding_does_not_restore_it,
    |app| {
        let title = "Hecke am Spielplatz Weißensee zurückschneiden";
        app.login(CITIZEN.0, CITIZEN.1).await;
        let res = hand_in(
            &app,
            &[
                ("titel", title),
                (
                    "text",
                    "Herr Beispielnachbar lässt seine Hecke in den Weg zum Spielplatz wachsen.",
                ),
                ("kategorie", "sonstiges"),
                ("kreis", "16068"),
                ("schritt", "absenden"),
            ],
        )
        .await;
        assert_eq!(res.status(), 303);
        let id = newest_proposal(&app).await.id;
        logout(&app).await;
        let to_author = || async {
            app.mails()
                .await
                .into_iter()
                .filter(|m| m.contains(&format!("To: {}", CITIZEN.0)))
                .count()
        };

        app.login(MODERATOR.0, MODERATOR.1).await;
        let page = format!("/verwaltung/vorschlaege/{id}");
        let action = format!("{page}/moderation");
        // B opens the page while the proposal waits.
        let (_, page_b) = app.get_html(&page).await;
        let opened = form_as_sent(&page_b, &action);
        // A hides it.
        let res = moderate(
            &app,
            id,
            &[
                ("aktion", "verbergen"),
                ("begruendung", "Nennt einen Nachbarn mit Namen."),
            ],
        )
        .await;
        assert_eq!(res.status(), 303);
        let hidden = newest_proposal(&app).await;
        assert_eq!(hidden.status, ProposalStatus::Hidden);
        // The audit log, kept for good, records the decision but not the note, which may quote
        // what made the proposal a matter for moderation (here a neighbour's name).
        let audited = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("proposal.hide"))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(audited.len(), 1);
        assert!(!audited[0].details.contains("Nachbar"), "{:?}", audited[0]);
        let mails_before = to_author().await;

        // B publishes from the older page: refused, nothing changes, nobody is told.
        let res = app
            .post_form(
                &action,
                &as_pairs(&with(&opened, "aktion", "veroeffentlichen")),
            )
            .await;
        let doc = refused_as_changed(res, "seit Sie die Seite geöffnet haben", "Verborgen").await;
        assert_eq!(newest_proposal(&app).await, hidden, "nothing changed");
        assert_eq!(to_author().await, mails_before, "the author is not told");
        let again = form_as_sent(&doc, &action);
        assert!(
            again.iter().all(|(k, _)| k != "aktion"),
            "the decision is chosen again: {again:?}"
        );
        logout(&app).await;
        assert_eq!(app.get(&format!("/vorschlaege/{id}")).await.status(), 404);
        index_settled(&app).await;
        let res = app
            .client
            .get(app.url("/api/v1/proposals"))
            .query(&[("q", title)])
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = res.json().await.unwrap();
        assert!(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|h| h["id"] != id),
            "{body}"
        );

        // Publishing from the page that shows it hidden restores it.
        app.login(MODERATOR.0, MODERATOR.1).await;
        let (_, shown_hidden) = app.get_html(&page).await;
        let res = app
            .post_form(
                &action,
                &as_pairs(&with(
                    &form_as_sent(&shown_hidden, &action),
                    "aktion",
                    "veroeffentlichen",
                )),
            )
            .await;
        assert_eq!(res.status(), 303, "a restore from a page showing it hidden");
        let restored = newest_proposal(&app).await;
        assert_eq!(restored.status, ProposalStatus::Published);
        assert!(restored.published_at.is_some());
        assert_eq!(to_author().await, mails_before + 1, "first publication");
    }
);

// A municipality's editor answers the published proposals of its district; proposals the public
// does not see (waiting, rejected, hidden) with their contact stay with the district's moderators.
on_both_backends!(
    editors_cannot_open_proposals_the_public_does_not_see,
    |app| {
        use sea_orm::{ActiveModelTrait, Set};
        let model = proposal::Entity::find()
            .filter(proposal::Column::DistrictKey.eq("16068"))
            .one(&app.db)
            .await
            .unwrap()
            .expect("a demo proposal from Sömmerda");
        let id = model.id;
        let page = format!("/verwaltung/vorschlaege/{id}");
        app.login(EDITOR.0, EDITOR.1).await;
        for status in [
            ProposalStatus::Submitted,
            ProposalStatus::Rejected,
            ProposalStatus::Hidden,
            ProposalStatus::Published,
        ] {
            let mut changed: proposal::ActiveModel = proposal::Entity::find_by_id(id)
                .one(&app.db)
                .await
                .unwrap()
                .unwrap()
                .into();
            changed.status = Set(status);
            changed.contact = Set(Some("0361 7654321".into()));
            changed.update(&app.db).await.unwrap();
            let res = app.get(&page).await;
            let public = status.is_public();
            assert_eq!(res.status(), if public { 200 } else { 404 }, "{status:?}");
            let body = res.text().await.unwrap();
            assert_eq!(body.contains("0361 7654321"), public, "{status:?}");
        }
    }
);

/// The author sends a revision while a moderator's decision on the proposal is being saved. The
/// revision read the proposal before the decision and wrote after it: a rejected proposal went back
/// to the queue with its status overwritten.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revision_after_a_decision_does_not_undo_it_on_postgres() {
    let Some(app) = spawn_app(Backend::Postgres, Default::default()).await else {
        return;
    };
    app.login(CITIZEN.0, CITIZEN.1).await;
    let fields = [
        ("titel", "Beratung zum Online-Ausweis im Rathaus"),
        (
            "text",
            "Bitte einmal im Monat eine Beratung zur eID-Funktion anbieten.",
        ),
        ("kategorie", "verwaltung-digital"),
        ("kreis", "16068"),
    ];
    let mut handed_in = fields.to_vec();
    handed_in.push(("schritt", "absenden"));
    assert_eq!(hand_in(&app, &handed_in).await.status(), 303);
    let proposal_id = newest_proposal(&app).await.id;
    logout(&app).await;
    app.login(MODERATOR.0, MODERATOR.1).await;
    let res = moderate(
        &app,
        proposal_id,
        &[
            ("aktion", "aenderung"),
            ("begruendung", "Bitte nennen Sie die Stadt."),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    logout(&app).await;
    let link = app.link_in_mail(CITIZEN.0, "/vorschlaege/eigene/").await;

    // Another moderator rejects it; that change holds the proposal until it commits.
    let deciding = crate::helpers::holding(
        &app.db,
        &format!(
            "UPDATE proposals SET status = '{}' WHERE id = {proposal_id}",
            ProposalStatus::Rejected.key()
        ),
    )
    .await;
    let revising = app.submit(&link, &link, &fields);
    let committing = async {
        crate::helpers::until_someone_waits_for_a_lock(&app.db).await;
        deciding.commit().await.unwrap();
    };
    let (revised, ()) = tokio::join!(revising, committing);
    assert!(!revised.status().is_server_error(), "{}", revised.status());
    let now = proposal::Entity::find_by_id(proposal_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.status, ProposalStatus::Rejected);
}

on_both_backends!(moderators_ask_for_changes_reject_merge_and_hide, |app| {
    // A citizen hands in; the moderator asks for a change; the author revises through the link.
    app.login(CITIZEN.0, CITIZEN.1).await;
    let res = hand_in(
        &app,
        &[
            ("titel", "Beratung zum Online-Ausweis im Rathaus"),
            (
                "text",
                "Bitte einmal im Monat eine Beratung zur eID-Funktion anbieten.",
            ),
            ("kategorie", "verwaltung-digital"),
            ("kreis", "16068"),
            ("schritt", "absenden"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let first = newest_proposal(&app).await;
    logout(&app).await;

    app.login(MODERATOR.0, MODERATOR.1).await;
    // A reason is required.
    let res = moderate(
        &app,
        first.id,
        &[("aktion", "aenderung"), ("begruendung", "")],
    )
    .await;
    assert_eq!(res.status(), 422);
    let res = moderate(
        &app,
        first.id,
        &[
            ("aktion", "aenderung"),
            ("begruendung", "Bitte nennen Sie die Stadt."),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    logout(&app).await;
    let link = app.link_in_mail(CITIZEN.0, "/vorschlaege/eigene/").await;
    let (_, own) = app.get_html(&link).await;
    assert!(own.html().contains("Bitte nennen Sie die Stadt."));
    let res = app
        .submit(
            &link,
            &link,
            &[
                ("titel", "Beratung zum Online-Ausweis im Rathaus Sömmerda"),
                ("text", "Bitte einmal im Monat eine Beratung zur eID-Funktion im Rathaus Sömmerda anbieten."),
                ("kategorie", "verwaltung-digital"),
                ("kreis", "16068"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let revised = proposal::Entity::find_by_id(first.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revised.status, ProposalStatus::Submitted);
    assert!(revised.title.ends_with("Sömmerda"));

    // Rejected with a reason the author reads.
    app.login(MODERATOR.0, MODERATOR.1).await;
    let res = moderate(
        &app,
        first.id,
        &[
            ("aktion", "zurueckweisen"),
            ("begruendung", "Gibt es schon als Vorschlag 1."),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let mails = app.mails().await;
    assert!(
        mails
            .iter()
            .any(|m| m.contains(&format!("To: {}", CITIZEN.0))
                && m.contains("Gibt es schon als Vorschlag 1."))
    );

    // Merging moves supports to the kept proposal; the merged page redirects there.
    let (kept, merged) = (3_i64, 4_i64);
    let (kept_before, merged_before) = (
        supports_count(&app, kept).await,
        supports_count(&app, merged).await,
    );
    let merged_district = proposal::Entity::find_by_id(merged)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .district_key;
    let kept_district = proposal::Entity::find_by_id(kept)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .district_key;
    logout(&app).await;
    app.login("admin@demo.teilhabe.example", "Demo-Admin-2026")
        .await;
    let res = moderate(
        &app,
        merged,
        &[("aktion", "zusammenfuehren"), ("ziel", &merged.to_string())],
    )
    .await;
    assert_eq!(res.status(), 422, "cannot merge into itself");
    let res = moderate(
        &app,
        merged,
        &[("aktion", "zusammenfuehren"), ("ziel", &kept.to_string())],
    )
    .await;
    assert_eq!(res.status(), 303, "{merged_district} into {kept_district}");
    assert_eq!(
        supports_count(&app, kept).await,
        kept_before + merged_before
    );
    assert_eq!(supports_count(&app, merged).await, 0);
    let res = app.get(&format!("/vorschlaege/{merged}")).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("/vorschlaege/{kept}"));

    // Hiding takes a proposal out of the public pages and the search.
    let hidden = 5_i64;
    let title = proposal::Entity::find_by_id(hidden)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .title;
    let res = moderate(
        &app,
        hidden,
        &[
            ("aktion", "verbergen"),
            ("begruendung", "Enthält einen Namen."),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    logout(&app).await;
    assert_eq!(
        app.get(&format!("/vorschlaege/{hidden}")).await.status(),
        404
    );
    index_settled(&app).await;
    let res = app
        .client
        .get(app.url("/api/v1/proposals"))
        .query(&[("q", title.as_str())])
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["id"] != hidden),
        "{body}"
    );
});

#[tokio::test]
async fn reports_reach_the_district_moderator_only() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    // Proposal 2 is from Sömmerda; find one from another district.
    let elsewhere = proposal::Entity::find()
        .filter(proposal::Column::DistrictKey.ne("16068"))
        .filter(proposal::Column::Status.eq(ProposalStatus::Published))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    for id in [2, elsewhere.id] {
        let page = format!("/vorschlaege/{id}/melden");
        let res = app.submit(&page, &page, &[("grund", "")]).await;
        assert_eq!(res.status(), 422);
        let res = app
            .submit(
                &page,
                &page,
                &[("grund", "Enthält Werbung für ein Geschäft.")],
            )
            .await;
        assert_eq!(res.status(), 303);
    }
    app.login(MODERATOR.0, MODERATOR.1).await;
    let (_, queue) = app.get_html("/verwaltung/vorschlaege").await;
    let html = queue.html();
    assert_eq!(
        html.matches("Enthält Werbung für ein Geschäft.").count(),
        1,
        "{html}"
    );
    // Another district's proposal is not even visible to this moderator.
    assert_eq!(
        app.get(&format!("/verwaltung/vorschlaege/{}", elsewhere.id))
            .await
            .status(),
        404
    );
    let form = select(
        &queue,
        "form[action^=\"/verwaltung/vorschlaege/meldungen/\"]",
    );
    let action = form[0].value().attr("action").unwrap().to_owned();
    let res = app.submit("/verwaltung/vorschlaege", &action, &[]).await;
    assert_eq!(res.status(), 303);
    let (_, queue) = app.get_html("/verwaltung/vorschlaege").await;
    assert!(!queue.html().contains("Enthält Werbung"));
    // The button again, from a page left open: nothing changes, nothing more is recorded.
    let res = app.submit("/verwaltung/vorschlaege", &action, &[]).await;
    assert_eq!(res.status(), 303);
    let recorded = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("proposal.report-resolved"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(recorded, 1);
}

#[tokio::test]
async fn staff_enter_proposals_with_assistance() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    app.login("anbieter@demo.teilhabe.example", "Demo-Anbieter-2026")
        .await;
    let res = app
        .submit(
            "/verwaltung/vorschlaege/erfassen",
            "/verwaltung/vorschlaege/erfassen",
            &[
                ("titel", "Mehr Bänke vor dem Probierladen"),
                (
                    "text",
                    "Von einer Papierkarte: Beim Warten auf den Kurs fehlen Sitzplätze.",
                ),
                ("kategorie", "sonstiges"),
                ("kreis", "16051"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let stored = newest_proposal(&app).await;
    assert_eq!(stored.channel, "assisted");
    assert_eq!(stored.status, ProposalStatus::Submitted);
    let audit = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("proposal.entered-with-assistance"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(audit, 1);
}

on_both_backends!(search_filters_facets_sorting_and_the_api_agree, |app| {
    index_settled(&app).await;
    let (status, doc) = app.get_html("/vorschlaege?q=Glasfaser").await;
    assert_eq!(status, 200);
    let html = doc.html();
    assert!(html.contains("Glasfaserausbau"), "compound part found");
    assert!(select(&doc, ".facet").len() >= 2);

    let api = |query: &'static [(&'static str, &'static str)]| {
        let client = app.client.clone();
        let url = app.url("/api/v1/proposals");
        async move {
            let res = client.get(url).query(query).send().await.unwrap();
            let status = res.status();
            (status, res.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (status, all) = api(&[]).await;
    assert_eq!(status, 200);
    assert_eq!(all["degraded"], false);
    let total = all["total"].as_u64().unwrap();
    assert_eq!(
        total, 68,
        "demo data: 72 proposals, 4 waiting for moderation"
    );
    let (_, sommerda) = api(&[("district", "16068"), ("sort", "supports")]).await;
    let supports: Vec<i64> = sommerda["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["supports"].as_i64().unwrap())
        .collect();
    assert!(supports.windows(2).all(|w| w[0] >= w[1]), "{supports:?}");
    assert!(
        sommerda["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["district"] == "16068")
    );
    let district_facet = all["facets"]["district"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["value"] == "16068")
        .unwrap()["count"]
        .as_u64()
        .unwrap();
    assert_eq!(district_facet, sommerda["total"].as_u64().unwrap());
    let (_, typo) = api(&[("q", "Funklcoh")]).await;
    assert!(typo["total"].as_u64().unwrap() >= 1, "{typo}");
    let hit = &typo["items"][0];
    for key in ["id", "title", "status", "supports", "snippet"] {
        assert!(!hit[key].is_null(), "{key} in {hit}");
    }
    let (status, wrong) = api(&[("category", "wlan"), ("page", "0")]).await;
    assert_eq!(status, 422);
    let fields: Vec<&str> = wrong["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["category", "page"]);
});

#[tokio::test]
async fn a_search_server_outage_falls_back_and_loses_no_proposal() {
    let app = app_without_a_search_server(Backend::Sqlite)
        .await
        .expect("the portal starts although the search server is down");
    let (status, doc) = app.get_html("/vorschlaege?q=Glasfaserausbau").await;
    assert_eq!(status, 200);
    assert!(
        !select(&doc, ".notice").is_empty(),
        "says the search is limited"
    );
    assert!(
        !select(&doc, ".result").is_empty(),
        "database search still finds"
    );
    // Index updates wait in the outbox instead of being lost.
    assert!(teilhabe::search::indexer::pending(&app.db).await.unwrap() > 0);
    let res = app
        .client
        .get(app.url("/api/v1/proposals?q=Glasfaserausbau"))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["degraded"], true);
    assert!(body["total"].as_u64().unwrap() >= 1);
}

#[tokio::test]
async fn a_search_server_that_never_answers_does_not_hold_the_page() {
    // Accepts connections and then stays silent, like a server behind a broken proxy.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = silent.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let app = spawn_app(
        Backend::Sqlite,
        Options {
            env: vec![("TEILHABE_MEILISEARCH_URL", format!("http://{address}"))],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let (status, doc) = app.get_html("/vorschlaege?q=Glasfaserausbau").await;
    assert_eq!(status, 200);
    assert!(!select(&doc, ".notice").is_empty());
    assert!(!select(&doc, ".result").is_empty());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "answered from the database after the search timeout, took {:?}",
        started.elapsed()
    );
}

// A municipality answered a proposal; it was reported and hidden, then a moderator restores it.
// It comes back answered, and neither its public history nor its author hear "published" again.
on_both_backends!(a_restored_proposal_keeps_its_answer_and_its_state, |app| {
    let id = 2_i64;
    app.login(EDITOR.0, EDITOR.1).await;
    let res = app
        .submit(
            &format!("/verwaltung/vorschlaege/{id}"),
            &format!("/verwaltung/vorschlaege/{id}/antwort"),
            &[
                ("status", "accepted"),
                ("antwort", "Wir richten das bis März ein."),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    logout(&app).await;
    let public_steps = || async {
        teilhabe::db::entities::proposal_event::Entity::find()
            .filter(teilhabe::db::entities::proposal_event::Column::ProposalId.eq(id))
            .filter(teilhabe::db::entities::proposal_event::Column::Public.eq(true))
            .count(&app.db)
            .await
            .unwrap()
    };
    let steps_before = public_steps().await;
    let mails_before = app.mails().await.len();

    app.login(MODERATOR.0, MODERATOR.1).await;
    let res = moderate(
        &app,
        id,
        &[("aktion", "verbergen"), ("begruendung", "Gemeldet.")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let res = moderate(&app, id, &[("aktion", "veroeffentlichen")]).await;
    assert_eq!(res.status(), 303);
    let restored = proposal::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(restored.status, ProposalStatus::Accepted);
    assert_eq!(
        restored.official_answer.as_deref(),
        Some("Wir richten das bis März ein.")
    );
    assert_eq!(
        public_steps().await,
        steps_before,
        "no second step in public"
    );
    assert_eq!(app.mails().await.len(), mails_before, "nobody mailed again");
    logout(&app).await;
    assert_eq!(app.get(&format!("/vorschlaege/{id}")).await.status(), 200);
});

// A supporter uses the mailed link while a moderator merges the proposal into another one: the
// merge moves the pending support, and the support must count on the proposal it belongs to now.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_support_confirmed_during_a_merge_counts_on_the_kept_proposal_on_postgres() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app(Backend::Postgres, Default::default())
        .await
        .unwrap();
    let (merged, kept) = (2_i64, 3_i64);
    let kept_before = supports_count(&app, kept).await;
    let page = format!("/vorschlaege/{merged}");
    let res = app
        .submit(
            &page,
            &format!("{page}/unterstuetzen"),
            &[("email", "spaet@example.de")],
        )
        .await;
    assert!(location(&res).contains("hinweis=bestaetigen"));
    let link = app
        .link_in_mail("spaet@example.de", "/vorschlaege/unterstuetzen/")
        .await;
    let token = link
        .trim_start_matches("/vorschlaege/unterstuetzen/")
        .to_owned();

    // The merge holds the merged proposal while it moves its supports.
    let merge = crate::helpers::holding(
        &app.db,
        &format!("SELECT id FROM proposals WHERE id = {merged} FOR UPDATE"),
    )
    .await;
    let confirm = tokio::spawn({
        let desk = app.state().proposal_desk();
        async move { desk.supports().confirm_support(&token).await }
    });
    crate::helpers::until_someone_waits_for_a_lock(&app.db).await;
    merge
        .execute_unprepared(&format!(
            "UPDATE proposal_supports SET proposal_id = {kept} WHERE proposal_id = {merged}"
        ))
        .await
        .unwrap();
    merge.commit().await.unwrap();
    assert_eq!(confirm.await.unwrap().unwrap(), kept);

    assert_eq!(
        supports_count(&app, kept).await,
        kept_before + 1,
        "the kept proposal counts the support"
    );
}

// One person confirmed their support of the proposal that is merged away, and started (but never
// confirmed) a support of the one that is kept: after the merge the confirmed one counts on the
// kept proposal, and the person still follows it.
on_both_backends!(a_merge_keeps_confirmed_supports_and_follows, |app| {
    let (kept, merged) = (3_i64, 4_i64);
    let person = "beides@example.de";
    let support = |id: i64| {
        let app = &app;
        async move {
            let page = format!("/vorschlaege/{id}");
            app.submit(
                &page,
                &format!("{page}/unterstuetzen"),
                &[("email", person)],
            )
            .await
        }
    };
    let follow = |id: i64| {
        let app = &app;
        async move {
            let page = format!("/vorschlaege/{id}");
            app.submit(
                &page,
                &format!("{page}/folgen"),
                &[("follow-email", person)],
            )
            .await
        }
    };
    support(merged).await;
    let link = app
        .link_in_mail(person, "/vorschlaege/unterstuetzen/")
        .await;
    app.submit(&link, &link, &[]).await;
    follow(merged).await;
    let link = app.link_in_mail(person, "/vorschlaege/folgen/").await;
    app.submit(&link, &link, &[]).await;
    support(kept).await;
    follow(kept).await;
    let (kept_before, merged_before) = (
        supports_count(&app, kept).await,
        supports_count(&app, merged).await,
    );

    app.login("admin@demo.teilhabe.example", "Demo-Admin-2026")
        .await;
    let res = moderate(
        &app,
        merged,
        &[("aktion", "zusammenfuehren"), ("ziel", &kept.to_string())],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        supports_count(&app, kept).await,
        kept_before + merged_before
    );
    let hash = app.state().pseudonyms.support_address(person);
    let moved = proposal_support::Entity::find()
        .filter(proposal_support::Column::ProposalId.eq(kept))
        .filter(proposal_support::Column::EmailHash.eq(hash))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the person's support on the kept proposal");
    assert!(
        moved.confirmed_at.is_some(),
        "the confirmed one, not the pending one"
    );
    let following = teilhabe::db::entities::proposal_follow::Entity::find()
        .filter(teilhabe::db::entities::proposal_follow::Column::ProposalId.eq(kept))
        .filter(teilhabe::db::entities::proposal_follow::Column::Email.eq(person))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the person's follow of the kept proposal");
    assert!(following.confirmed_at.is_some());
});

// Links to support or follow are mailed to whatever address is typed in. However many client
// addresses someone uses, one mailbox gets a bounded number of them an hour (shared by both forms).
on_both_backends!(support_and_follow_links_are_limited_per_recipient, |app| {
    use teilhabe::db::entities::proposal_follow;
    use teilhabe::services::throttle;
    let victim = "postfach@example.org";
    let bucket = app
        .state()
        .pseudonyms
        .throttle_bucket("proposal-recipient", victim);
    for _ in 0..throttle::PROPOSAL_MAILS_PER_RECIPIENT.max {
        throttle::record(&app.db, &bucket).await.unwrap();
    }
    let page = "/vorschlaege/2";
    let res = app
        .submit(page, "/vorschlaege/2/unterstuetzen", &[("email", victim)])
        .await;
    assert_eq!(res.status(), 429);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert!(!select(&doc, "#email-error").is_empty());
    let res = app
        .submit(page, "/vorschlaege/2/folgen", &[("follow-email", victim)])
        .await;
    assert_eq!(res.status(), 429);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert!(!select(&doc, "#follow-email-error").is_empty());
    assert_eq!(
        proposal_support::Entity::find()
            .filter(proposal_support::Column::ConfirmedAt.is_null())
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        proposal_follow::Entity::find()
            .filter(proposal_follow::Column::Email.eq(victim))
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
    assert!(app.mails().await.iter().all(|m| !m.contains(victim)));

    // Another address from the same client goes through.
    let res = app
        .submit(
            page,
            "/vorschlaege/2/unterstuetzen",
            &[("email", "jemand@example.org")],
        )
        .await;
    assert_eq!(res.status(), 303);
});

// A proposal whose form is refused (its session expired, so its form token is stale) or whose
// saving fails (the database refuses) shows what was typed on the error page, not kept by the
// browser, so a long text is not lost with the form.
on_both_backends!(a_refused_or_failed_proposal_shows_its_text_again, |app| {
    let text =
        "Im Ortsteil Backleben gibt es seit Jahren kein schnelles Internet.\nBitte helfen Sie.";
    let fields = [
        ("titel", TITLE),
        ("text", text),
        ("kategorie", "verwaltung-digital"),
        ("kreis", "16068"),
        ("ort", "Kölleda"),
        ("email", "eva.neu@example.de"),
        ("schritt", "absenden"),
    ];
    // The form was opened (the browser holds the portal's cookie), then its token went stale.
    assert_eq!(app.get("/vorschlaege/neu").await.status(), 200);
    let expired = app
        .post_form(
            "/vorschlaege/neu",
            &[fields.as_slice(), &[("csrf_token", "abgelaufen")]].concat(),
        )
        .await;
    assert_eq!(expired.status(), 403);
    assert_eq!(expired.headers()["cache-control"], "no-store");
    let doc = scraper::Html::parse_document(&expired.text().await.unwrap());
    let shown: Vec<String> = select(&doc, ".typed-text")
        .iter()
        .map(|t| t.text().collect())
        .collect();
    assert_eq!(shown, [TITLE, text]);
    // A form forged on another site comes without the portal's cookies: its text is not shown.
    let forged = reqwest::Client::new()
        .post(app.url("/vorschlaege/neu"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(!forged.text().await.unwrap().contains("Backleben"));

    crate::helpers::refuse_inserts(&app.db, "proposals", true).await;
    let failed = hand_in(&app, &fields).await;
    assert!(failed.status().is_server_error(), "{}", failed.status());
    let doc = scraper::Html::parse_document(&failed.text().await.unwrap());
    assert_eq!(select(&doc, ".typed-text").len(), 2);
    assert!(text_of(&doc, "main").contains("Backleben"));
    crate::helpers::refuse_inserts(&app.db, "proposals", false).await;
});

// Two moderators merge A into B and B into A at the same moment. Each locked its own proposal
// first and then the other: on PostgreSQL the two deadlocked until the database aborted one
// after a second. Now merges of the same two proposals take turns (a named lock on the pair). Two
// held row locks let both merges reach the point where they deadlocked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opposite_merges_at_once_end_in_one_merge_on_postgres() {
    let Some(app) = spawn_app(Backend::Postgres, Default::default()).await else {
        return;
    };
    app.login("admin@demo.teilhabe.example", "Demo-Admin-2026")
        .await;
    let (a, b) = (3_i64, 4_i64);
    let mut requests = Vec::new();
    for (id, into) in [(a, b), (b, a)] {
        let page = format!("/verwaltung/vorschlaege/{id}");
        let mut form: Vec<(String, String)> = app.hidden_fields(&page).await;
        form.push(("aktion".into(), "zusammenfuehren".into()));
        form.push(("ziel".into(), into.to_string()));
        requests.push(
            app.client
                .post(app.url(&format!("{page}/moderation")))
                .form(&form),
        );
    }
    let deadlocks = |app: &TestApp| {
        use sea_orm::ConnectionTrait;
        let db = app.db.clone();
        async move {
            db.query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Postgres,
                "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "deadlocks")
            .unwrap()
        }
    };
    let deadlocks_before = deadlocks(&app).await;
    let hold = |id: i64| format!("SELECT id FROM proposals WHERE id = {id} FOR UPDATE");
    let holding_a = crate::helpers::holding(&app.db, &hold(a)).await;
    let holding_b = crate::helpers::holding(&app.db, &hold(b)).await;
    let mut sending = tokio::task::JoinSet::new();
    for (n, request) in requests.into_iter().enumerate() {
        sending.spawn(async move {
            let res = request.send().await.unwrap();
            let status = res.status().as_u16();
            let doc = scraper::Html::parse_document(&res.text().await.unwrap());
            (status, text_of(&doc, ".error-summary"))
        });
        crate::helpers::until_waiting_for_locks(&app.db, n as i64 + 1).await;
    }
    holding_a.commit().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    holding_b.commit().await.unwrap();
    let mut answers = sending.join_all().await;
    answers.sort_unstable();
    assert_eq!(answers[0].0, 303, "{answers:?}");
    // The other merge is refused as a moderation form whose proposal changed meanwhile, not as a
    // fault of the database.
    assert_eq!(answers[1].0, 422, "{answers:?}");
    // The one merged into the other is no published proposal to merge into any more.
    assert!(
        answers[1]
            .1
            .contains("Geben Sie die Nummer eines veröffentlichten Vorschlags"),
        "{answers:?}"
    );
    // Before, the same answers came after PostgreSQL had found the two waiting for each other
    // and aborted one (its error was shown as that message).
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(deadlocks(&app).await, deadlocks_before, "no deadlock");
    let merged = proposal::Entity::find()
        .filter(proposal::Column::Id.is_in([a, b]))
        .filter(proposal::Column::Status.eq(ProposalStatus::Merged))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(merged, 1);
}
