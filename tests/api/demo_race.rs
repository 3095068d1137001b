//! Two instances in demo mode starting together on a new PostgreSQL database (issue 15, item 6):
//! both start, and the demo data is there once.
use sea_orm::{EntityTrait, PaginatorTrait};
use teilhabe::{
    db::entities::{organisation, proposal, user, venue},
    startup::Application,
};

use crate::helpers::{Options, TestPostgres, settings_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_demo_instances_start_together_on_a_new_postgres_database() {
    let Some(postgres) = TestPostgres::create().await else {
        return;
    };
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let options = Options::default();
    assert!(options.demo);
    let first = settings_for(one.path(), Some(&postgres.url), &options);
    let second = settings_for(two.path(), Some(&postgres.url), &options);
    let (a, b) = tokio::join!(
        tokio::spawn(Application::build(first.clone())),
        tokio::spawn(Application::build(second))
    );
    a.unwrap().expect("the first instance starts");
    b.unwrap().expect("the second instance starts");

    let db = teilhabe::db::connect(&first).await.unwrap();
    let organisations = organisation::Entity::find().all(&db).await.unwrap();
    assert!(organisations.len() >= 20);
    assert!(venue::Entity::find().count(&db).await.unwrap() >= 30);
    assert_eq!(user::Entity::find().count(&db).await.unwrap(), 6);
    let proposals = proposal::Entity::find().all(&db).await.unwrap();
    let mut titles: Vec<&str> = proposals.iter().map(|p| p.title.as_str()).collect();
    titles.sort_unstable();
    titles.dedup();
    assert!(!proposals.is_empty());
    assert_eq!(
        titles.len(),
        proposals.len(),
        "the demo proposals once, not twice"
    );
}
