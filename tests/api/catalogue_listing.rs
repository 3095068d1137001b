//! The catalogue filters on copies each date keeps of its offer's kind, publication and topic and
//! its venue's district (migration `m20261205_000025_catalogue_listing`). Database triggers keep
//! them in step on any write: these tests change the offer and the venue directly in the database,
//! as no service of the portal would, and the catalogue follows, also when a date is added while
//! its offer is withdrawn.
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use teilhabe::{
    db::entities::{offer, offer_date, venue},
    domain::offer::{OfferKind, OfferStatus},
    services::catalogue::start_of_local_day,
};

use crate::helpers::*;
use crate::on_both_backends;

/// The ids of the course dates on the fixture date's day that match `query`.
async fn listed(app: &TestApp, day: &str, query: &str) -> Vec<i64> {
    let res = app
        .get(&format!("/api/v1/dates?von={day}&bis={day}&{query}"))
        .await;
    assert_eq!(res.status(), 200, "{query}");
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["total"].as_u64().unwrap() <= 20,
        "one page holds the day"
    );
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_i64().unwrap())
        .collect()
}

on_both_backends!(a_dates_copies_follow_its_offer_and_venue, |app| {
    let date_id = course_date(
        &app,
        NewCourseDate {
            at_a_venue: true,
            starts_in: Duration::days(3),
            ..Default::default()
        },
    )
    .await;
    let id = i64::from(date_id);
    let date = offer_date::Entity::find_by_id(date_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let day = date
        .starts_at
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    assert!(start_of_local_day(day) <= date.starts_at);
    let day = day.format("%Y-%m-%d").to_string();
    let offer = offer::Entity::find_by_id(date.offer_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let home = venue::Entity::find_by_id(offer.venue_id.expect("at a venue"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    // Copied when the date was inserted.
    assert_eq!(date.listed_as, Some(OfferKind::Course));
    assert_eq!(date.topic.as_deref(), Some(offer.topic.as_str()));
    assert_eq!(
        date.district_key.as_deref(),
        Some(home.district_key.as_str())
    );
    let district = home.district_key.clone();

    // The offer's topic changes.
    let mut changed = offer.clone().into_active_model();
    changed.topic = Set("ki-im-alltag".into());
    let offer = changed.update(&app.db).await.unwrap();
    let with_topic = format!("thema=ki-im-alltag&kreis={district}");
    assert!(listed(&app, &day, &with_topic).await.contains(&id));
    assert!(
        !listed(&app, &day, "thema=smartphone-grundlagen")
            .await
            .contains(&id)
    );

    // The venue moves to another district.
    let elsewhere = venue::Entity::find()
        .filter(venue::Column::DistrictKey.ne(district.as_str()))
        .one(&app.db)
        .await
        .unwrap()
        .expect("demo venues in several districts")
        .district_key;
    let mut moved = home.clone().into_active_model();
    moved.district_key = Set(elsewhere.clone());
    moved.update(&app.db).await.unwrap();
    assert!(
        listed(&app, &day, &format!("kreis={elsewhere}&thema=ki-im-alltag"))
            .await
            .contains(&id)
    );
    assert!(
        !listed(&app, &day, &format!("kreis={district}"))
            .await
            .contains(&id)
    );

    // Withdrawn from publication, then published again.
    let mut withdrawn = offer.clone().into_active_model();
    withdrawn.status = Set(OfferStatus::Draft);
    let offer = withdrawn.update(&app.db).await.unwrap();
    assert!(!listed(&app, &day, "").await.contains(&id));
    let mut published = offer.into_active_model();
    published.status = Set(OfferStatus::Published);
    let offer = published.update(&app.db).await.unwrap();
    assert!(listed(&app, &day, "").await.contains(&id));

    // Another kind: the date leaves the course list.
    let mut dialogue = offer.into_active_model();
    dialogue.kind = Set(OfferKind::Dialogue);
    dialogue.update(&app.db).await.unwrap();
    assert!(!listed(&app, &day, "").await.contains(&id));
    let copy = offer_date::Entity::find_by_id(date_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(copy.listed_as, Some(OfferKind::Dialogue));
    assert_eq!(copy.district_key, Some(elsewhere));
    assert!(Utc::now() < copy.starts_at);
});

on_both_backends!(
    a_date_added_while_its_offer_is_withdrawn_is_not_listed,
    |app| {
        use sea_orm::TransactionTrait;
        let date_id = course_date(&app, NewCourseDate::default()).await;
        let template = offer_date::Entity::find_by_id(date_id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let offer = offer::Entity::find_by_id(template.offer_id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        // The back office withdraws the offer; before it commits, another desk adds a date to it.
        let withdrawal = app.db.begin().await.unwrap();
        let mut withdrawn = offer.into_active_model();
        withdrawn.status = Set(OfferStatus::Draft);
        withdrawn.update(&withdrawal).await.unwrap();
        let db = app.db.clone();
        let mut added = template.clone().into_active_model();
        added.id = sea_orm::NotSet;
        added.listed_as = sea_orm::NotSet;
        added.topic = sea_orm::NotSet;
        added.district_key = sea_orm::NotSet;
        added.starts_at = Set(template.starts_at + Duration::days(1));
        added.ends_at = Set(template.ends_at + Duration::days(1));
        let adding = tokio::spawn(async move { added.insert(&db).await.unwrap().id });
        crate::helpers::until_someone_waits_for_a_lock(&app.db).await;
        withdrawal.commit().await.unwrap();
        let added_id = adding.await.unwrap();
        for id in [date_id, added_id] {
            let date = offer_date::Entity::find_by_id(id)
                .one(&app.db)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(date.listed_as, None, "date {id} of a withdrawn offer");
        }
    }
);
