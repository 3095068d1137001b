//! Booking rush (issue 8): 1,000 people book the same date with 20 places at the same moment.
//!
//! Run by `benches/run.sh` against its release server; by hand:
//! `BENCH_BASE_URL=http://127.0.0.1:18080 TEILHABE_DATA_DIR=… [DATABASE_URL=…] cargo bench --bench booking_rush`
//! (the same database settings as the server). Creates the date itself, sends all requests at once
//! through the JSON API and checks the outcome in the database: exactly 20 confirmed, 980 waiting, and
//! the waiting list in the order the server accepted the requests. Prints one Markdown table row.
use std::{sync::Arc, time::Instant};

use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use teilhabe::{
    config::Settings,
    db::entities::{booking, offer, offer_date},
    domain::{
        booking::BookingStatus,
        offer::{DateStatus, OfferStatus},
    },
};

const PEOPLE: usize = 1_000;
const PLACES: i32 = 20;

#[derive(serde::Deserialize)]
struct Created {
    booking_id: i64,
    status: String,
    waiting_position: Option<u64>,
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(rush());
}

async fn rush() {
    let base = std::env::var("BENCH_BASE_URL").expect("BENCH_BASE_URL: the running server");
    let settings = Settings::load().expect("the server's settings from the environment");
    let db = teilhabe::db::connect(&settings).await.expect("database");
    let course = offer::Entity::find()
        .filter(offer::Column::Status.eq(OfferStatus::Published))
        .order_by_asc(offer::Column::Id)
        .one(&db)
        .await
        .unwrap()
        .expect("a published course (seed the demo data first)");
    let starts_at = Utc::now() + Duration::days(20);
    // Only the id comes back: the date's other columns differ between the builds paired.sh compares.
    let date_id = offer_date::Entity::insert(offer_date::ActiveModel {
        offer_id: Set(course.id),
        starts_at: Set(starts_at),
        ends_at: Set(starts_at + Duration::minutes(90)),
        capacity: Set(PLACES),
        booked_places: Set(0),
        max_places_per_booking: Set(1),
        booking_opens_at: Set(None),
        booking_closes_at: Set(Some(starts_at)),
        status: Set(DateStatus::Scheduled),
        created_at: Set(Utc::now()),
        min_participants: Set(0),
        walk_in_places: Set(0),
        revision: Set(0),
        ..Default::default()
    })
    .exec(&db)
    .await
    .expect("the rush date")
    .last_insert_id;

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(PEOPLE)
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .unwrap();
    let url = format!("{base}/api/v1/dates/{date_id}/bookings");
    let start = Arc::new(tokio::sync::Barrier::new(PEOPLE + 1));
    let tasks: Vec<_> = (0..PEOPLE)
        .map(|n| {
            let (client, url, start) = (client.clone(), url.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                let res = client
                    .post(&url)
                    .json(&serde_json::json!({
                        "name": format!("Ansturm {n}"),
                        "email": format!("ansturm-{n}@bench.example"),
                        "places": 1,
                    }))
                    .send()
                    .await
                    .expect("answer");
                assert_eq!(res.status(), 201, "booking {n}");
                res.json::<Created>().await.expect("body")
            })
        })
        .collect();
    start.wait().await;
    let began = Instant::now();
    let mut answers = Vec::with_capacity(PEOPLE);
    for task in tasks {
        answers.push(task.await.expect("task"));
    }
    let wall = began.elapsed();

    // Only the state: the bench also runs against older builds, whose bookings lack later columns.
    let states: Vec<BookingStatus> = booking::Entity::find()
        .select_only()
        .column(booking::Column::Status)
        .filter(booking::Column::DateId.eq(date_id))
        .order_by_asc(booking::Column::Id)
        .into_tuple()
        .all(&db)
        .await
        .unwrap();
    let confirmed = states
        .iter()
        .filter(|&&s| s == BookingStatus::Confirmed)
        .count();
    let waiting = states
        .iter()
        .filter(|&&s| s == BookingStatus::Waitlisted)
        .count();
    let booked: i32 = offer_date::Entity::find_by_id(date_id)
        .select_only()
        .column(offer_date::Column::BookedPlaces)
        .into_tuple()
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    // Arrival order: the waiting positions the server answered with follow the order in which it
    // stored the requests (booking ids), without gaps.
    answers.sort_by_key(|a| a.booking_id);
    let positions: Vec<u64> = answers
        .iter()
        .filter(|a| a.status == "waitlisted")
        .filter_map(|a| a.waiting_position)
        .collect();
    let in_order = positions.iter().copied().eq(1..=positions.len() as u64);
    let answered_confirmed = answers.iter().filter(|a| a.status == "confirmed").count();
    println!(
        "| Booking rush: {PEOPLE} at once for {PLACES} places | {:.2} s | {confirmed} confirmed ({answered_confirmed} answered so), {waiting} waiting | booked_places = {booked} | waiting list in arrival order: {} |",
        wall.as_secs_f64(),
        if in_order { "yes" } else { "NO" }
    );
    assert_eq!(confirmed, PLACES as usize, "oversold or undersold");
    assert_eq!(booked, PLACES, "the counter agrees");
    assert_eq!(waiting, PEOPLE - PLACES as usize);
    assert!(in_order, "waiting positions out of order: {positions:?}");
}
