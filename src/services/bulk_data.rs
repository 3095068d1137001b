//! Large generated data sets for benchmarks and load tests (`teilhabe seed-bulk`): many courses with
//! many dates at the demo venues. Not for production databases.
use chrono::{Duration, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};

use crate::{
    db::entities::{offer, offer_date, venue},
    domain::offer::{Level, OfferKind, TargetGroup, Topic, search_text},
};

#[derive(Debug, thiserror::Error)]
pub enum BulkError {
    #[error("there are no venues yet; run `teilhabe seed-demo` first")]
    NoVenues,
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

#[derive(Debug, Default)]
pub struct BulkSummary {
    pub courses: usize,
    pub dates: usize,
}

impl std::fmt::Display for BulkSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "bulk data: {} courses with {} upcoming dates added",
            self.courses, self.dates
        )
    }
}

/// Adds `courses` published courses and `dates` dates spread over them and over the next 120 days.
/// Deterministic: the same numbers give the same titles, places and times.
pub async fn seed(
    db: &DatabaseConnection,
    courses: usize,
    dates: usize,
    show_progress: bool,
) -> Result<BulkSummary, BulkError> {
    let venues = venue::Entity::find().all(db).await?;
    if venues.is_empty() {
        return Err(BulkError::NoVenues);
    }
    let progress = if show_progress {
        ProgressBar::new((courses + dates) as u64)
    } else {
        ProgressBar::hidden()
    };
    progress.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    progress.set_message("bulk data");
    let now = Utc::now();
    let run = &crate::services::sessions::random_token()[..6].to_lowercase();
    let mut summary = BulkSummary::default();
    let mut offer_ids = Vec::with_capacity(courses);
    for chunk in (0..courses).collect::<Vec<_>>().chunks(250) {
        let txn = db.begin().await?;
        for &n in chunk {
            let place = &venues[n % venues.len()];
            let topic = Topic::ALL[n % Topic::ALL.len()];
            let group = TargetGroup::ALL[n % TargetGroup::ALL.len()];
            let title = format!(
                "{} in {} (Kurs {n})",
                topic.key().replace('-', " "),
                place.town
            );
            let description =
                "Ein Kurs aus dem Lasttest-Datensatz: Grundlagen in Ruhe, mit Zeit für Fragen.";
            let created = offer::ActiveModel {
                search_text: Set(search_text(&title, description)),
                slug: Set(format!("kurs-{run}-{n}")),
                organisation_id: Set(place.organisation_id),
                venue_id: Set(Some(place.id)),
                kind: Set(OfferKind::Course.key().to_owned()),
                title: Set(title),
                description: Set(description.into()),
                topic: Set(topic.key().to_owned()),
                level: Set(Level::ALL[n % 2].key().to_owned()),
                target_group: Set(group.key().to_owned()),
                language: Set("de".into()),
                online_url: Set(None),
                what_to_bring: Set("Ihr Smartphone".into()),
                accessibility_notes: Set(String::new()),
                price_cents: Set(0),
                status: Set("published".into()),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            offer_ids.push(created.id);
            summary.courses += 1;
            progress.inc(1);
        }
        txn.commit().await?;
    }
    if offer_ids.is_empty() {
        offer_ids = offer::Entity::find()
            .filter(offer::Column::Status.eq("published"))
            .all(db)
            .await?
            .into_iter()
            .map(|o| o.id)
            .collect();
    }
    for chunk in (0..dates).collect::<Vec<_>>().chunks(500) {
        let models: Vec<offer_date::ActiveModel> = chunk
            .iter()
            .map(|&n| {
                let starts_at = now
                    + Duration::days(1 + (n % 120) as i64)
                    + Duration::minutes(((n * 37) % 600) as i64);
                let capacity = 6 + (n % 10) as i32;
                offer_date::ActiveModel {
                    offer_id: Set(offer_ids[n % offer_ids.len()]),
                    starts_at: Set(starts_at),
                    ends_at: Set(starts_at + Duration::minutes(90)),
                    capacity: Set(capacity),
                    booked_places: Set((n % 7) as i32 % capacity),
                    max_places_per_booking: Set(2),
                    booking_opens_at: Set(None),
                    booking_closes_at: Set(Some(starts_at)),
                    status: Set("scheduled".into()),
                    created_at: Set(now),
                    min_participants: Set(0),
                    decision_at: Set(None),
                    decided_at: Set(None),
                    walk_in_places: Set(0),
                    walk_in_release_at: Set(None),
                    reminder_sent_at: Set(None),
                    revision: Set(0),
                    ..Default::default()
                }
            })
            .collect();
        let count = models.len();
        offer_date::Entity::insert_many(models).exec(db).await?;
        summary.dates += count;
        progress.inc(count as u64);
    }
    progress.finish_and_clear();
    Ok(summary)
}
