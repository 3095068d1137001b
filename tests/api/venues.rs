use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    places_can_be_filtered_by_district_and_step_free_access,
    |app| {
        let (status, all) = app.get_html("/orte").await;
        assert_eq!(status, 200);
        let total = select(&all, ".result").len();
        assert!(total >= 20, "demo venues: {total}");

        let (_, jena) = app.get_html("/orte?kreis=16053").await;
        let jena_results = select(&jena, ".result__meta");
        assert!(!jena_results.is_empty());
        assert!(
            jena_results
                .iter()
                .all(|m| m.text().collect::<String>().contains("Jena"))
        );
        assert_eq!(
            select(&jena, "option[selected]")[0].value().attr("value"),
            Some("16053")
        );

        let (_, step_free) = app.get_html("/orte?stufenlos=1").await;
        let n = select(&step_free, ".result").len();
        assert!(n > 0 && n < total, "step-free filter: {n} of {total}");

        let (status, unknown) = app.get_html("/orte?kreis=16999").await;
        assert_eq!(status, 200);
        assert!(!select(&unknown, ".notice").is_empty());
        assert_eq!(select(&unknown, ".result").len(), total);
    }
);

#[tokio::test]
async fn a_place_shows_address_directions_and_accessibility() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let (_, list) = app.get_html("/orte").await;
    let href = select(&list, ".result__title a")[0]
        .value()
        .attr("href")
        .unwrap()
        .to_owned();
    let (status, doc) = app.get_html(&href).await;
    assert_eq!(status, 200);
    assert_eq!(select(&doc, "h1").len(), 1);
    let headings: Vec<String> = select(&doc, "h2")
        .iter()
        .map(|h| h.text().collect())
        .collect();
    for h in [
        "Adresse",
        "So kommen Sie hin",
        "Barrierefreiheit",
        "Kontakt",
    ] {
        assert!(headings.iter().any(|x| x == h), "{h} in {headings:?}");
    }
    assert!(select(&doc, ".summary-list__row").len() >= 5);
}
