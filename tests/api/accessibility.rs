//! Accessibility fixes that a page's HTML shows (the browser checks are in `a11y-tests/`): the main
//! navigation follows the feature list, errors of choice groups are tied to every option, the
//! catalogue filter names its bad dates, pages of equal content have distinct titles, the proposal
//! form's phone field, and the account page's bookings.
use crate::{
    helpers::{DEMO_PASSWORD_ADMIN, TestApp, select, text_of},
    on_both_backends,
};

use crate::helpers::CITIZEN;
/// The first demo course's first date (content/demo/course_dates.csv).
const BOOKING_FORM: &str = "/kurse/smartphone-grundlagen-fuer-einsteiger-erfurt/termine/1/buchen";

fn attr<'a>(doc: &'a scraper::Html, css: &str, name: &str) -> Option<&'a str> {
    select(doc, css).first().and_then(|e| e.value().attr(name))
}

/// The `aria-describedby` of the fieldset around the element with this id.
fn group_description<'a>(doc: &'a scraper::Html, id: &str) -> Option<&'a str> {
    let inner = scraper::Selector::parse(&format!("#{id}")).unwrap();
    select(doc, "fieldset")
        .into_iter()
        .find(|f| f.select(&inner).next().is_some())
        .unwrap_or_else(|| panic!("no fieldset around #{id}"))
        .value()
        .attr("aria-describedby")
}

async fn signed_in(app: &TestApp, (email, password): (&str, &str)) {
    assert_eq!(
        app.login(email, password).await.status(),
        303,
        "{email} signs in"
    );
}

on_both_backends!(main_navigation_follows_the_feature_list, |app| {
    let (_, doc) = app.get_html("/veranstaltungen").await;
    let hrefs: Vec<&str> = select(&doc, ".primary-nav a")
        .iter()
        .filter_map(|a| a.value().attr("href"))
        .collect();
    let expected: Vec<&str> = teilhabe::services::content::navigation()
        .iter()
        .map(|n| n.path)
        .collect();
    assert_eq!(hrefs, expected);
    assert!(expected.contains(&"/veranstaltungen") && expected.contains(&"/vorschlaege"));
    assert_eq!(
        attr(&doc, ".primary-nav a[aria-current=\"page\"]", "href"),
        Some("/veranstaltungen")
    );
    let (_, doc) = app.get_html("/").await;
    assert_eq!(
        select(&doc, ".primary-nav a[aria-current=\"page\"]").len(),
        1,
        "only the start page is current on /"
    );
});

on_both_backends!(a_choice_group_ties_its_error_to_every_option, |app| {
    signed_in(&app, DEMO_PASSWORD_ADMIN).await;
    // Staff typing in a paper form that has no rating: the rating group is in error.
    let res = app
        .submit(
            "/verwaltung/termine/1/rueckmeldungen",
            "/verwaltung/termine/1/rueckmeldungen",
            &[("geholfen", "Die Geduld")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(
        attr(&doc, ".error-summary a", "href"),
        Some("#bewertung"),
        "the summary links the group"
    );
    // …and lands on its first option, not on the fieldset.
    assert_eq!(attr(&doc, "#bewertung", "type"), Some("radio"));
    assert_eq!(attr(&doc, "#bewertung", "value"), Some("5"));
    let options = select(&doc, "input[name=\"bewertung\"]");
    assert_eq!(options.len(), 5);
    assert!(
        options
            .iter()
            .all(|o| o.value().attr("aria-invalid") == Some("true")),
        "every option is marked invalid"
    );
    assert_eq!(
        group_description(&doc, "bewertung"),
        Some("bewertung-error")
    );
    assert!(!text_of(&doc, "#bewertung-error").is_empty());
    // Groups without an error stay unmarked.
    assert!(select(&doc, "input[name=\"themen\"][aria-invalid]").is_empty());
    assert_eq!(group_description(&doc, "themen"), None);
});

on_both_backends!(
    the_catalogue_filter_names_each_bad_date_and_echoes_only_dates,
    |app| {
        let res = app
            .get("/kurse?von=2027-13-45&bis=morgen&q=Smartphone")
            .await;
        assert_eq!(res.status(), 422);
        let doc = scraper::Html::parse_document(&res.text().await.unwrap());
        // A date field holds a date or nothing (anything else is invalid HTML).
        assert_eq!(attr(&doc, "#von", "value"), Some(""));
        assert_eq!(attr(&doc, "#bis", "value"), Some(""));
        let entries: Vec<String> = select(&doc, ".error-summary a")
            .iter()
            .map(|a| a.text().collect::<String>())
            .collect();
        assert_eq!(entries.len(), 2, "{entries:?}");
        assert_ne!(entries[0], entries[1], "each entry names its field");
        assert!(
            entries[0].contains("„von“") && entries[1].contains("„bis“"),
            "{entries:?}"
        );
        // The page title says what was searched for.
        assert!(text_of(&doc, "title").contains("„Smartphone“"));

        // A date in German notation comes back as the field can show it.
        let (_, doc) = app.get_html("/kurse?von=24.12.2026").await;
        assert_eq!(attr(&doc, "#von", "value"), Some("2026-12-24"));
        let (_, doc) = app.get_html("/veranstaltungen?q=Glasfaser").await;
        assert!(text_of(&doc, "title").contains("„Glasfaser“"));
        assert_eq!(
            text_of(&doc, ".filter-form button[type=\"submit\"]"),
            "Veranstaltungen anzeigen"
        );
    }
);

on_both_backends!(offers_of_the_same_title_have_distinct_page_titles, |app| {
    signed_in(&app, DEMO_PASSWORD_ADMIN).await;
    let token = app.csrf_token("/verwaltung/angebote/1").await;
    let res = app
        .post_form("/verwaltung/angebote/1/kopieren", &[("csrf_token", &token)])
        .await;
    assert_eq!(res.status(), 303);
    let copy = res.headers()["location"].to_str().unwrap().to_owned();
    let (_, original) = app.get_html("/verwaltung/angebote/1").await;
    let (_, copied) = app.get_html(&copy).await;
    assert_eq!(
        text_of(&original, "h1"),
        text_of(&copied, "h1"),
        "same title"
    );
    assert_ne!(text_of(&original, "title"), text_of(&copied, "title"));
});

on_both_backends!(
    the_proposal_phone_is_a_telephone_field_filled_only_for_oneself,
    |app| {
        let (_, doc) = app.get_html("/vorschlaege/neu").await;
        assert_eq!(attr(&doc, "#kontakt", "type"), Some("tel"));
        assert_eq!(attr(&doc, "#kontakt", "autocomplete"), Some("tel"));
        // Staff typing in someone else's proposal: their own number must not be filled in.
        signed_in(&app, DEMO_PASSWORD_ADMIN).await;
        let (_, doc) = app.get_html("/verwaltung/vorschlaege/erfassen").await;
        assert_eq!(attr(&doc, "#kontakt", "type"), Some("tel"));
        assert_eq!(attr(&doc, "#kontakt", "autocomplete"), None);
    }
);

on_both_backends!(
    the_account_page_lists_the_bookings_made_while_signed_in,
    |app| {
        // Someone else books the same date without an account.
        let res = app
            .submit(
                BOOKING_FORM,
                BOOKING_FORM,
                &[
                    ("name", "Jemand Anderes"),
                    ("email", "anders@example.org"),
                    ("places", "1"),
                ],
            )
            .await;
        assert_eq!(res.status(), 303);
        let other = res.headers()["location"].to_str().unwrap().to_owned();

        signed_in(&app, CITIZEN).await;
        let (_, doc) = app.get_html("/konto").await;
        assert!(select(&doc, "main a[href^=\"/buchung/\"]").is_empty());
        assert!(!text_of(&doc, "main").is_empty());

        // The form already knows the account's name and address.
        let (_, form) = app.get_html(BOOKING_FORM).await;
        assert_eq!(attr(&form, "#name", "value"), Some("Erika Demo"));
        assert_eq!(attr(&form, "#email", "value"), Some(CITIZEN.0));
        let res = app
            .submit(
                BOOKING_FORM,
                BOOKING_FORM,
                &[
                    ("name", "Erika Demo"),
                    ("email", CITIZEN.0),
                    ("places", "2"),
                ],
            )
            .await;
        assert_eq!(res.status(), 303);
        let own = res.headers()["location"].to_str().unwrap().to_owned();

        let (_, doc) = app.get_html("/konto").await;
        let links: Vec<&str> = select(&doc, "main a[href^=\"/buchung/\"]")
            .iter()
            .filter_map(|a| a.value().attr("href"))
            .collect();
        assert_eq!(links, [own.as_str()], "only the own booking, not {other}");
        let listed = text_of(&doc, "main .date-list");
        assert!(
            listed.contains("Smartphone") && listed.contains("2 Plätze"),
            "{listed}"
        );
    }
);
