//! Large generated data sets for benchmarks and load tests (`teilhabe seed-bulk`): many courses with
//! many dates at the demo venues, and many published proposals. Not for production databases.
use chrono::{Duration, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};

use rand::{SeedableRng, rngs::StdRng};

use crate::{
    db::entities::{offer, offer_date, proposal, venue},
    domain::{
        offer::{DateStatus, Level, OfferKind, OfferStatus, TargetGroup, Topic, search_text},
        proposal::{Channel, ProposalStatus, search_text as search_text_of_proposal},
    },
};

#[derive(Debug, thiserror::Error)]
pub enum BulkError {
    #[error("there are no venues yet; run `teilhabe seed-demo` first")]
    NoVenues,
    #[error(
        "there are no published courses for the dates; give --courses, or run `teilhabe seed-demo` first"
    )]
    NoCourses,
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

#[derive(Debug, Default)]
pub struct BulkSummary {
    pub courses: usize,
    pub dates: usize,
    pub proposals: usize,
}

impl std::fmt::Display for BulkSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "bulk data: {} courses with {} upcoming dates and {} proposals added",
            self.courses, self.dates, self.proposals
        )
    }
}

/// Adds `courses` published courses and `dates` dates spread over them and over the next 120 days.
/// Deterministic: the same numbers give the same titles, places and times.
pub async fn seed(
    db: &DatabaseConnection,
    courses: usize,
    dates: usize,
    proposals: usize,
    show_progress: bool,
) -> Result<BulkSummary, BulkError> {
    let venues = venue::Entity::find().all(db).await?;
    if venues.is_empty() {
        return Err(BulkError::NoVenues);
    }
    let progress = if show_progress {
        ProgressBar::new((courses + dates + proposals) as u64)
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
                kind: Set(OfferKind::Course),
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
                status: Set(OfferStatus::Published),
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
            .filter(offer::Column::Status.eq(OfferStatus::Published))
            .all(db)
            .await?
            .into_iter()
            .map(|o| o.id)
            .collect();
    }
    if offer_ids.is_empty() && dates > 0 {
        return Err(BulkError::NoCourses);
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
                    status: Set(DateStatus::Scheduled),
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
    // Proposals go in without search-outbox rows: `teilhabe reindex` builds the index afterwards in
    // one pass, which is far faster than 100,000 single updates.
    let districts = super::bulk_proposals::districts();
    let mut rng = StdRng::seed_from_u64(7);
    for chunk in (0..proposals).collect::<Vec<_>>().chunks(1_000) {
        let models: Vec<proposal::ActiveModel> = chunk
            .iter()
            .map(|&n| {
                let doc = super::bulk_proposals::proposal(&mut rng, n as i64, &districts);
                proposal::ActiveModel {
                    search_text: Set(search_text_of_proposal(
                        &doc.title,
                        &doc.text,
                        doc.answer.as_deref(),
                    )),
                    title: Set(doc.title),
                    body: Set(doc.text),
                    category: Set(doc.category),
                    district_key: Set(doc.district),
                    town: Set(None),
                    status: Set(ProposalStatus::parse(&doc.status)
                        .expect("generated proposals have public states")),
                    moderation_note: Set(None),
                    answered_at: Set(doc.answer.as_ref().map(|_| doc.created_at)),
                    official_answer: Set(doc.answer),
                    channel: Set(Channel::Import.key().to_owned()),
                    author_user_id: Set(None),
                    author_email: Set(None),
                    contact: Set(None),
                    language: Set("de".into()),
                    author_token_hash: Set(format!("bulk-{run}-{n}")),
                    confirmed_at: Set(Some(doc.created_at)),
                    merged_into_id: Set(None),
                    event_offer_id: Set(None),
                    imported_supports: Set(doc.supports as i32),
                    supports_count: Set(doc.supports as i32),
                    created_at: Set(doc.created_at),
                    published_at: Set(Some(doc.created_at)),
                    updated_at: Set(doc.created_at),
                    ..Default::default()
                }
            })
            .collect();
        let count = models.len();
        proposal::Entity::insert_many(models).exec(db).await?;
        summary.proposals += count;
        progress.inc(count as u64);
    }
    progress.finish_and_clear();
    crate::db::refresh_statistics_after_bulk_load(db).await?;
    Ok(summary)
}
