use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use teilhabe::{
    db::entities::{booking, district, offer, offer_date, organisation, user, venue},
    seed::demo,
};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(demo_seed_is_idempotent_and_complete, |app| {
    assert_eq!(district::Entity::find().count(&app.db).await.unwrap(), 22);
    let orgs = organisation::Entity::find().count(&app.db).await.unwrap();
    let venues = venue::Entity::find().count(&app.db).await.unwrap();
    let users = user::Entity::find().count(&app.db).await.unwrap();
    assert_eq!(users, 6, "one demo account per role");
    assert!(
        orgs >= 20 && venues >= 30,
        "{orgs} organisations, {venues} venues"
    );

    let courses = offer::Entity::find().count(&app.db).await.unwrap();
    assert!(courses >= 40, "{courses} demo courses");
    let dates = offer_date::Entity::find().all(&app.db).await.unwrap();
    let now = chrono::Utc::now();
    assert!(
        dates.iter().all(|d| d.starts_at > now),
        "all demo dates upcoming"
    );
    assert!(dates.iter().all(|d| d.booked_places <= d.capacity));
    let full = dates
        .iter()
        .filter(|d| d.booked_places == d.capacity)
        .count();
    let waiting = booking::Entity::find()
        .filter(booking::Column::Status.eq("waitlisted"))
        .count(&app.db)
        .await
        .unwrap();
    assert!(
        full >= 3 && waiting >= 3,
        "{full} full dates, {waiting} waiting"
    );
    let districts: std::collections::HashSet<String> = venue::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.district_key)
        .collect();
    assert_eq!(districts.len(), 22, "demo venues in every district");

    let again = demo::seed(&app.db, &app.settings.content_dir(), &app.sealer(), false)
        .await
        .unwrap();
    assert_eq!(
        again.organisations_added
            + again.venues_added
            + again.users_added
            + again.courses_added
            + again.dates_added
            + again.bookings_added,
        0
    );
    assert_eq!(
        again.already_present as u64,
        orgs + venues + users + courses
    );
    assert_eq!(
        organisation::Entity::find().count(&app.db).await.unwrap(),
        orgs
    );
});

#[tokio::test]
async fn a_broken_demo_file_names_file_line_and_field_and_writes_nothing() {
    let app = spawn_app(
        Backend::Sqlite,
        Options {
            demo: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let content = tempfile::tempdir().unwrap();
    std::fs::create_dir(content.path().join("demo")).unwrap();
    std::fs::write(
        content.path().join("demo/organisations.csv"),
        "slug,name,kind,email,phone,website,district\n\
         vhs-test,VHS Test,volkshochschule,vhs@test.example,,,16051\n\
         kaputt,Kaputt,verein,k@test.example,,,16051\n",
    )
    .unwrap();
    std::fs::write(
        content.path().join("demo/venues.csv"),
        "slug,organisation,name,street,postal_code,town,district,step_free,accessible_toilet,hearing_loop,parking,accessibility_notes,directions\n",
    )
    .unwrap();
    let err = demo::seed(&app.db, content.path(), &app.sealer(), false)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("organisations.csv, line 3, field 'kind'"),
        "{err}"
    );
    assert_eq!(
        organisation::Entity::find().count(&app.db).await.unwrap(),
        0
    );
}

// Bulk seeding leaves the query planner's statistics current: until autovacuum's next run,
// PostgreSQL would otherwise plan the catalogue for the nearly empty tables it last saw.
#[tokio::test]
async fn bulk_seeding_brings_the_planner_statistics_up_to_date_on_postgres() {
    use sea_orm::{ConnectionTrait, Statement};
    let Some(app) = spawn_app(Backend::Postgres, Default::default()).await else {
        return;
    };
    teilhabe::seed::bulk_data::seed(&app.db, 40, 400, 0, false)
        .await
        .unwrap();
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT (SELECT reltuples FROM pg_class WHERE relname = 'offer_dates')::bigint AS planned, \
             (SELECT COUNT(*) FROM offer_dates) AS stored",
        ))
        .await
        .unwrap()
        .unwrap();
    let planned: i64 = row.try_get("", "planned").unwrap();
    let stored: i64 = row.try_get("", "stored").unwrap();
    assert_eq!(
        planned, stored,
        "the planner knows how many dates there are"
    );
}

// Dates without courses to hang them on are refused with a message, not a panic, and nothing is
// stored.
#[tokio::test]
async fn bulk_dates_without_courses_are_refused_plainly() {
    use sea_orm::{EntityTrait, PaginatorTrait, sea_query::Expr};
    use teilhabe::db::entities::{offer, offer_date};
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    offer::Entity::update_many()
        .col_expr(
            offer::Column::Status,
            Expr::value(teilhabe::domain::offer::OfferStatus::Draft),
        )
        .exec(&app.db)
        .await
        .unwrap();
    let before = offer_date::Entity::find().count(&app.db).await.unwrap();
    let refused = teilhabe::seed::bulk_data::seed(&app.db, 0, 10, 0, false).await;
    assert!(
        matches!(
            refused,
            Err(teilhabe::seed::bulk_data::BulkError::NoCourses)
        ),
        "{:?}",
        refused.err()
    );
    assert_eq!(
        offer_date::Entity::find().count(&app.db).await.unwrap(),
        before
    );
}

// A wrong row in the demo proposals stops the seeding before anything is written, as a wrong row in
// any other demo file does: a run after the file is mended then seeds everything.
#[tokio::test]
async fn a_broken_demo_proposal_writes_nothing_either() {
    let app = spawn_app(
        Backend::Sqlite,
        Options {
            demo: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let content = tempfile::tempdir().unwrap();
    let demo_dir = content.path().join("demo");
    std::fs::create_dir(&demo_dir).unwrap();
    for entry in std::fs::read_dir(app.settings.content_dir().join("demo")).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), demo_dir.join(entry.file_name())).unwrap();
        }
    }
    let proposals = demo_dir.join("proposals.csv");
    let mut text = std::fs::read_to_string(&proposals).unwrap();
    let lines = text.lines().count();
    let columns = text.lines().next().unwrap().split(',').count();
    // A row whose district is no Kreisschlüssel.
    text.push_str(&format!(
        "Ein Titel{}\n",
        std::iter::repeat_n(",99999", columns - 1).collect::<String>()
    ));
    std::fs::write(&proposals, text).unwrap();
    let err = demo::seed(&app.db, content.path(), &app.sealer(), false)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("proposals.csv") && err.contains(&format!("line {}", lines + 1)),
        "{err}"
    );
    assert_eq!(
        organisation::Entity::find().count(&app.db).await.unwrap(),
        0,
        "nothing of the other files is written"
    );
}
