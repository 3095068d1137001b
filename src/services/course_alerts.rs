//! Course alerts: "tell me when there is a course for me". A person (online, at a kiosk, or through
//! staff on the phone) leaves an e-mail address for a catalogue filter; after confirming it by the
//! mailed link they get at most one mail a week listing the matching dates published since the last
//! mail (or since confirming), and nothing when nothing is new. Every alert mail has its own
//! unsubscribe link and a one-click `List-Unsubscribe` header. Only hashes of mailed secrets are
//! stored.
use std::{borrow::Cow, collections::HashMap, collections::HashSet};

use chrono::{DateTime, Duration, Utc};
use fluent_templates::fluent_bundle::FluentValue;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, Query},
};
use serde::Serialize;

use super::{
    catalogue,
    reference::District,
    sessions::{hash_token, random_token},
};
use crate::{
    db::begin_write,
    db::entities::{course_alert, course_alert_date, course_alert_token, district, offer_date},
    domain::{
        Email, Language,
        course_alert::{
            AlertChannel, AlertInput, CONFIRM_DAYS, canonical_query, query_string, section_key,
            stored_filter,
        },
        offer::{CatalogueFilter, OfferKind},
    },
    i18n::{DateStyle, format_instant},
    mail::{self, OutgoingMail, compose::Composer, compose::place_line},
};

/// At most one mail a week per alert.
pub const MAIL_EVERY: Duration = Duration::days(7);
/// An alert without news is looked at again after this long (one catalogue query per alert and hour
/// at most while no date is added, however often the job runs), or at the runs of the `COMMIT_LAG`
/// after a date has been added: a new date is noticed at once, a date that became visible otherwise
/// (its offer published) within the hour.
pub const CHECK_EVERY: Duration = Duration::hours(1);
/// A date is stamped with its creation time before its transaction commits (on SQLite possibly after
/// waiting up to the 10 s busy timeout for the write lock), so a run may not see a date stamped shortly
/// before it began. A look at an alert therefore counts only for dates stamped this long before the
/// run: a date that became visible late is noticed at the next run, not an hour later.
pub const COMMIT_LAG: Duration = Duration::seconds(30);
/// Dates listed in one mail; the rest are behind the link to the catalogue.
const LISTED: usize = 30;
/// Most dates new to an alert read for one mail; more wait for the next one.
const CANDIDATES: u64 = 2_000;
/// Alerts handled in one run of the job.
const BATCH: u64 = 500;

const CONFIRM: &str = "confirm";
const UNSUBSCRIBE: &str = "unsubscribe";

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("not found")]
    NotFound,
    /// The confirmation link is older than `CONFIRM_DAYS`.
    #[error("confirmation link expired")]
    Expired,
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("mail: {0:#}")]
    Mail(#[from] anyhow::Error),
}

/// What signing up did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subscribed {
    /// A confirmation link went out; nothing is sent before it is used.
    ConfirmationSent,
    /// Active at once (a signed-in person's own, confirmed address).
    Active,
}

/// Who sets the alert up.
#[derive(Debug, Clone, Copy)]
pub struct Subscriber {
    pub language: Language,
    pub user_id: Option<i32>,
    pub channel: AlertChannel,
    /// The address is known to be the person's (their account's confirmed address).
    pub address_confirmed: bool,
}

/// An alert as the account page lists it.
#[derive(Debug, Serialize)]
pub struct AlertSummary {
    pub id: i64,
    pub description: Vec<String>,
    pub section: &'static str,
    pub confirmed: bool,
    pub created_at: DateTime<Utc>,
    pub last_sent_at: Option<DateTime<Utc>>,
    /// The catalogue with this filter.
    pub catalogue_href: String,
    /// The calendar feed with this filter.
    pub feed_href: String,
}

#[derive(Clone)]
pub struct AlertDesk {
    pub db: DatabaseConnection,
    pub composer: Composer,
}

/// The catalogue with the filter, e.g. `/kurse?thema=videotelefonie`.
pub fn catalogue_href(kind: OfferKind, filter_query: &str) -> String {
    if filter_query.is_empty() {
        kind.path().to_owned()
    } else {
        format!("{}?{filter_query}", kind.path())
    }
}

/// The calendar feed with the filter, e.g. `/kalender/kurse.ics?thema=videotelefonie`.
pub fn feed_href(kind: OfferKind, filter_query: &str) -> String {
    let base = format!("/kalender/{}.ics", section_key(kind));
    if filter_query.is_empty() {
        base
    } else {
        format!("{base}?{filter_query}")
    }
}

/// The filter in words, one part per condition ("Thema: Videotelefonie", "stufenloser Zugang").
pub fn describe(
    composer: &Composer,
    lang: Language,
    kind: OfferKind,
    filter: &CatalogueFilter,
    districts: &[District],
) -> Vec<String> {
    let tr = &composer.translations;
    let with = |key: &str, value: String| {
        let mut args: HashMap<Cow<'static, str>, FluentValue> = HashMap::new();
        args.insert("value".into(), value.into());
        tr.text_with(lang, key, &args)
    };
    let mut parts = Vec::new();
    if let Some(topic) = filter.topic {
        parts.push(with(
            "alert-filter-topic",
            tr.text(lang, &format!("topic-{}", topic.key())),
        ));
    }
    if let Some(key) = &filter.district {
        let name = districts
            .iter()
            .find(|d| d.key == key.as_str())
            .map_or_else(|| key.as_str().to_owned(), |d| d.name.clone());
        parts.push(with("alert-filter-district", name));
    }
    if let Some(town) = &filter.town {
        parts.push(with("alert-filter-town", town.clone()));
    }
    if let Some(group) = filter.target_group {
        parts.push(with(
            "alert-filter-target-group",
            tr.text(lang, &format!("target-group-{}", group.key())),
        ));
    }
    if let Some(text) = &filter.text {
        parts.push(with("alert-filter-text", text.clone()));
    }
    if let Some(from) = filter.from {
        parts.push(with(
            "alert-filter-from",
            from.format("%d.%m.%Y").to_string(),
        ));
    }
    if let Some(to) = filter.to {
        parts.push(with("alert-filter-to", to.format("%d.%m.%Y").to_string()));
    }
    for (on, key) in [
        (filter.step_free, "feature-step-free"),
        (filter.hearing_loop, "feature-hearing-loop"),
        (filter.accessible_toilet, "feature-accessible-toilet"),
        (filter.free_places_only, "courses-filter-free"),
    ] {
        if on {
            parts.push(tr.text(lang, key));
        }
    }
    if parts.is_empty() {
        parts.push(tr.text(
            lang,
            match kind {
                OfferKind::Course => "alert-filter-all-courses",
                OfferKind::Dialogue => "alert-filter-all-events",
            },
        ));
    }
    parts
}

async fn districts(db: &impl ConnectionTrait) -> Result<Vec<District>, DbErr> {
    district::Entity::find()
        .into_model::<District>()
        .all(db)
        .await
}

async fn add_token(
    db: &impl ConnectionTrait,
    alert_id: i64,
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let token = random_token();
    course_alert_token::ActiveModel {
        token_hash: Set(hash_token(&token)),
        alert_id: Set(alert_id),
        purpose: Set(purpose.to_owned()),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// Marks dates as told about (or as already there when the alert was confirmed).
async fn remember(
    db: &impl ConnectionTrait,
    alert_id: i64,
    date_ids: &[i32],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for chunk in date_ids.chunks(200) {
        course_alert_date::Entity::insert_many(chunk.iter().map(|id| {
            course_alert_date::ActiveModel {
                alert_id: Set(alert_id),
                date_id: Set(*id),
                created_at: Set(now),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

impl AlertDesk {
    fn base(&self) -> &str {
        self.composer.base_url.trim_end_matches('/')
    }

    /// Matching upcoming dates of the alert's filter that it has not told about yet, earliest
    /// first (none when the filter no longer parses). Only the unknown ones are read, so an alert
    /// matching thousands of dates neither misses a new one beyond the first few thousand nor takes
    /// an old one for new once earlier dates have passed.
    async fn unknown_matching(
        &self,
        model: &course_alert::Model,
        now: DateTime<Utc>,
    ) -> Result<Vec<catalogue::Entry>, DbErr> {
        let Some(filter) = stored_filter(&model.filter_query) else {
            return Ok(vec![]);
        };
        let known = Query::select()
            .column(course_alert_date::Column::DateId)
            .from(course_alert_date::Entity)
            .and_where(course_alert_date::Column::AlertId.eq(model.id))
            .to_owned();
        let unknown = Condition::all()
            .add(Expr::col((offer_date::Entity, offer_date::Column::Id)).not_in_subquery(known));
        catalogue::matching_and(&self.db, model.kind, &filter, now, unknown, CANDIDATES).await
    }

    /// Every matching upcoming date, however many: the ones an alert knows of from the start.
    async fn baseline(
        &self,
        model: &course_alert::Model,
        now: DateTime<Utc>,
    ) -> Result<Vec<i32>, DbErr> {
        let Some(filter) = stored_filter(&model.filter_query) else {
            return Ok(vec![]);
        };
        catalogue::matching_ids(&self.db, model.kind, &filter, now).await
    }

    /// Sets up an alert, or finds the same one (same address, section and filter) again. Unless the
    /// address is known to be the person's, a confirmation link is mailed and nothing else is sent
    /// before it is used; an address that already has this alert is told so instead.
    pub async fn subscribe(
        &self,
        input: &AlertInput,
        who: Subscriber,
        now: DateTime<Utc>,
    ) -> Result<Subscribed, AlertError> {
        let filter_query = input.filter_query();
        // An account's own alert speaks the language chosen for its mails (Leichte Sprache, say),
        // as its booking mails do, whatever language the page was in.
        let who = match who.user_id {
            Some(user_id) => Subscriber {
                language: super::accounts::mail_language(&self.db, user_id)
                    .await?
                    .unwrap_or(who.language),
                ..who
            },
            None => who,
        };
        let baseline = if who.address_confirmed {
            catalogue::matching_ids(&self.db, input.kind, &input.filter, now).await?
        } else {
            vec![]
        };
        let txn = begin_write(&self.db).await?;
        let existing = course_alert::Entity::find()
            .filter(course_alert::Column::Email.eq(input.email.as_str()))
            .filter(course_alert::Column::Kind.eq(input.kind))
            .filter(course_alert::Column::FilterQuery.eq(filter_query.as_str()))
            .one(&txn)
            .await?;
        let alert = match existing {
            Some(found) if found.confirmed_at.is_some() => {
                if !who.address_confirmed {
                    self.mail_link(&txn, &found, &input.email, who.language, UNSUBSCRIBE, now)
                        .await?;
                }
                txn.commit().await?;
                return Ok(if who.address_confirmed {
                    Subscribed::Active
                } else {
                    Subscribed::ConfirmationSent
                });
            }
            Some(found) => {
                // Asked again before confirming: a new week to confirm, in the language asked now.
                let mut update: course_alert::ActiveModel = found.into();
                update.created_at = Set(now);
                update.language = Set(who.language.code().to_owned());
                if who.user_id.is_some() {
                    update.user_id = Set(who.user_id);
                }
                update.update(&txn).await?
            }
            None => {
                course_alert::ActiveModel {
                    email: Set(input.email.as_str().to_owned()),
                    language: Set(who.language.code().to_owned()),
                    kind: Set(input.kind),
                    filter_query: Set(filter_query.clone()),
                    user_id: Set(who.user_id),
                    channel: Set(who.channel.key().to_owned()),
                    created_at: Set(now),
                    confirmed_at: Set(None),
                    last_sent_at: Set(None),
                    checked_at: Set(None),
                    ..Default::default()
                }
                .insert(&txn)
                .await?
            }
        };
        if who.address_confirmed {
            let mut update: course_alert::ActiveModel = alert.clone().into();
            update.confirmed_at = Set(Some(now));
            update.update(&txn).await?;
            remember(&txn, alert.id, &baseline, now).await?;
            txn.commit().await?;
            return Ok(Subscribed::Active);
        }
        self.mail_link(&txn, &alert, &input.email, who.language, CONFIRM, now)
            .await?;
        txn.commit().await?;
        Ok(Subscribed::ConfirmationSent)
    }

    fn describe_model(
        &self,
        model: &course_alert::Model,
        lang: Language,
        districts: &[District],
    ) -> Vec<String> {
        match stored_filter(&model.filter_query) {
            Some(filter) => describe(&self.composer, lang, model.kind, &filter, districts),
            None => vec![model.filter_query.clone()],
        }
    }

    /// Mails a new single-use link for the alert, which the mail describes: to confirm it
    /// (`CONFIRM`), or to stop an alert that exists already (`UNSUBSCRIBE`).
    async fn mail_link(
        &self,
        txn: &impl ConnectionTrait,
        alert: &course_alert::Model,
        to: &Email,
        lang: Language,
        purpose: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let (kind, page) = match purpose {
            CONFIRM => ("course-alert-confirm", "bestaetigen"),
            _ => ("course-alert-exists", "abmelden"),
        };
        let token = add_token(txn, alert.id, purpose, now).await?;
        let description = self.describe_model(alert, lang, &districts(txn).await?);
        // How long a confirmation link holds; a message that does not name it ignores it.
        let args = HashMap::from([("days".into(), CONFIRM_DAYS.into())]);
        let mail = self.composer.notice(
            lang,
            to,
            kind,
            &format!("/benachrichtigung/{page}/{token}"),
            &args,
            Some(&description.join("\n")),
            None,
        )?;
        mail::enqueue(txn, mail).await?;
        Ok(())
    }

    /// Confirms an alert by its mailed link. The dates that match at this moment count as known, so
    /// the first mail lists only what is published afterwards. Using the link again changes nothing.
    pub async fn confirm(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<course_alert::Model, AlertError> {
        let alert = self.by_link(token, CONFIRM).await?;
        if alert.confirmed_at.is_some() {
            return Ok(alert);
        }
        if alert.created_at < now - Duration::days(CONFIRM_DAYS) {
            return Err(AlertError::Expired);
        }
        let baseline = self.baseline(&alert, now).await?;
        let txn = begin_write(&self.db).await?;
        let confirmed = course_alert::Entity::update_many()
            .col_expr(course_alert::Column::ConfirmedAt, Expr::value(now))
            .filter(course_alert::Column::Id.eq(alert.id))
            .filter(course_alert::Column::ConfirmedAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected;
        if confirmed == 1 {
            remember(&txn, alert.id, &baseline, now).await?;
        }
        txn.commit().await?;
        Ok(course_alert::Model {
            confirmed_at: Some(now),
            ..alert
        })
    }

    /// The alert behind an unsubscribe link, to say what is being ended.
    pub async fn by_unsubscribe_token(
        &self,
        token: &str,
    ) -> Result<course_alert::Model, AlertError> {
        self.by_link(token, UNSUBSCRIBE).await
    }

    /// The alert behind a mailed link made for `purpose`.
    async fn by_link(&self, token: &str, purpose: &str) -> Result<course_alert::Model, AlertError> {
        let found = course_alert_token::Entity::find_by_id(hash_token(token))
            .filter(course_alert_token::Column::Purpose.eq(purpose))
            .one(&self.db)
            .await?
            .ok_or(AlertError::NotFound)?;
        course_alert::Entity::find_by_id(found.alert_id)
            .one(&self.db)
            .await?
            .ok_or(AlertError::NotFound)
    }

    /// Ends an alert by the link in one of its mails (or the one-click POST of a mail program).
    pub async fn unsubscribe(&self, token: &str) -> Result<(), AlertError> {
        let alert = self.by_unsubscribe_token(token).await?;
        delete_alert(&self.db, alert.id).await?;
        Ok(())
    }

    /// The alerts of a signed-in person: set up from the account or for its address.
    pub async fn of_user(
        &self,
        user_id: i32,
        email: &str,
        lang: Language,
    ) -> Result<Vec<AlertSummary>, DbErr> {
        let models = course_alert::Entity::find()
            .filter(
                Condition::any()
                    .add(course_alert::Column::UserId.eq(user_id))
                    .add(course_alert::Column::Email.eq(email.to_lowercase())),
            )
            .order_by_asc(course_alert::Column::CreatedAt)
            .order_by_asc(course_alert::Column::Id)
            .all(&self.db)
            .await?;
        let districts = districts(&self.db).await?;
        Ok(models
            .into_iter()
            .map(|m| {
                let kind = m.kind;
                AlertSummary {
                    id: m.id,
                    description: self.describe_model(&m, lang, &districts),
                    section: section_key(kind),
                    confirmed: m.confirmed_at.is_some(),
                    created_at: m.created_at,
                    last_sent_at: m.last_sent_at,
                    catalogue_href: catalogue_href(kind, &m.filter_query),
                    feed_href: feed_href(kind, &m.filter_query),
                }
            })
            .collect())
    }

    /// Removes one of a signed-in person's alerts; false when it is not theirs (or gone).
    pub async fn remove_own(&self, user_id: i32, email: &str, id: i64) -> Result<bool, DbErr> {
        let own = course_alert::Entity::find_by_id(id)
            .filter(
                Condition::any()
                    .add(course_alert::Column::UserId.eq(user_id))
                    .add(course_alert::Column::Email.eq(email.to_lowercase())),
            )
            .one(&self.db)
            .await?;
        match own {
            Some(alert) => delete_alert(&self.db, alert.id).await,
            None => Ok(false),
        }
    }

    /// The weekly job: every confirmed alert whose last mail is a week old (or that has had none) is
    /// claimed by one conditional update in a write transaction, so of several instances running it
    /// at once exactly one handles each alert; it gets one mail listing the matching dates not told
    /// about yet, or nothing when there are none. Unconfirmed alerts past their confirmation week are
    /// removed. Returns the number of mails queued.
    pub async fn send_due(&self, now: DateTime<Utc>) -> Result<usize, AlertError> {
        course_alert::Entity::delete_many()
            .filter(course_alert::Column::ConfirmedAt.is_null())
            .filter(course_alert::Column::CreatedAt.lt(now - Duration::days(CONFIRM_DAYS)))
            .exec(&self.db)
            .await?;
        let newest = newest_date(&self.db).await?;
        let due = course_alert::Entity::find()
            .filter(course_alert::Column::ConfirmedAt.is_not_null())
            .filter(due_condition(now, newest))
            .order_by_asc(course_alert::Column::Id)
            .limit(BATCH)
            .all(&self.db)
            .await?;
        if due.is_empty() {
            return Ok(0);
        }
        let districts = districts(&self.db).await?;
        let mut sent = 0;
        for alert in due {
            if self.send_one(&alert, now, newest, &districts).await? {
                sent += 1;
            }
        }
        Ok(sent)
    }

    async fn send_one(
        &self,
        alert: &course_alert::Model,
        now: DateTime<Utc>,
        newest: Option<DateTime<Utc>>,
        districts: &[District],
    ) -> Result<bool, AlertError> {
        let candidates = self.unknown_matching(alert, now).await?;
        let txn = begin_write(&self.db).await?;
        let claimed = course_alert::Entity::update_many()
            .col_expr(
                course_alert::Column::CheckedAt,
                Expr::value(now - COMMIT_LAG),
            )
            .filter(course_alert::Column::Id.eq(alert.id))
            .filter(course_alert::Column::ConfirmedAt.is_not_null())
            .filter(due_condition(now, newest))
            .exec(&txn)
            .await?
            .rows_affected;
        if claimed != 1 {
            txn.rollback().await?;
            return Ok(false);
        }
        // Read before the claim: a run on another instance may have told about some of them since.
        let ids: Vec<i32> = candidates.iter().map(|e| e.date.date_id).collect();
        let mut known: HashSet<i32> = HashSet::new();
        for chunk in ids.chunks(500) {
            known.extend(
                course_alert_date::Entity::find()
                    .filter(course_alert_date::Column::AlertId.eq(alert.id))
                    .filter(course_alert_date::Column::DateId.is_in(chunk.to_vec()))
                    .all(&txn)
                    .await?
                    .into_iter()
                    .map(|d| d.date_id),
            );
        }
        let new: Vec<&catalogue::Entry> = candidates
            .iter()
            .filter(|e| !known.contains(&e.date.date_id))
            .collect();
        if new.is_empty() {
            // Looked at: not again within the hour.
            txn.commit().await?;
            return Ok(false);
        }
        let Ok(to) = Email::parse(&alert.email) else {
            txn.commit().await?;
            return Ok(false);
        };
        let new_ids: Vec<i32> = new.iter().map(|e| e.date.date_id).collect();
        remember(&txn, alert.id, &new_ids, now).await?;
        course_alert::Entity::update_many()
            .col_expr(course_alert::Column::LastSentAt, Expr::value(now))
            .filter(course_alert::Column::Id.eq(alert.id))
            .exec(&txn)
            .await?;
        let token = add_token(&txn, alert.id, UNSUBSCRIBE, now).await?;
        let unsubscribe = format!("{}/benachrichtigung/abmelden/{token}", self.base());
        let mail = self.alert_mail(alert, &to, &new, &unsubscribe, districts)?;
        mail::enqueue_unsubscribable(&txn, mail, &unsubscribe).await?;
        txn.commit().await?;
        Ok(true)
    }

    fn alert_mail(
        &self,
        alert: &course_alert::Model,
        to: &Email,
        new: &[&catalogue::Entry],
        unsubscribe: &str,
        districts: &[District],
    ) -> anyhow::Result<OutgoingMail> {
        let lang = Language::from_code(&alert.language).unwrap_or(Language::De);
        let tr = &self.composer.translations;
        let base = self.base();
        let kind = alert.kind;
        let mut args: HashMap<Cow<'static, str>, FluentValue> = HashMap::new();
        args.insert("count".into(), new.len().into());
        let online = tr.text(lang, "mail-booking-online");
        #[derive(Serialize)]
        struct Listed {
            title: String,
            when: String,
            place: String,
            link: String,
            /// Said when every place is taken: the date is listed, but not as a free place.
            full: Option<String>,
        }
        let listed: Vec<Listed> = new
            .iter()
            .take(LISTED)
            .map(|e| Listed {
                title: e.date.title.clone(),
                when: format!(
                    "{}, {}–{}",
                    format_instant(e.date.starts_at, lang, DateStyle::Date),
                    format_instant(e.date.starts_at, lang, DateStyle::Time),
                    format_instant(e.date.ends_at, lang, DateStyle::Time)
                ),
                place: place_line(&e.date, &online),
                link: format!("{base}{}", e.offer_path),
                full: e
                    .waiting_list
                    .then(|| tr.text(lang, "courses-waiting-list")),
            })
            .collect();
        let more = new.len().saturating_sub(LISTED);
        let mut more_args: HashMap<Cow<'static, str>, FluentValue> = HashMap::new();
        more_args.insert("count".into(), more.into());
        let mut ctx = tera::Context::new();
        ctx.insert("lang", lang.code());
        ctx.insert(
            "intro",
            &tr.text_with(lang, "mail-course-alert-intro", &args),
        );
        ctx.insert("filter_label", &tr.text(lang, "mail-course-alert-filter"));
        ctx.insert(
            "filter",
            &self.describe_model(alert, lang, districts).join(", "),
        );
        ctx.insert("dates", &listed);
        ctx.insert(
            "more",
            &(more > 0).then(|| tr.text_with(lang, "mail-course-alert-more", &more_args)),
        );
        ctx.insert("open_label", &tr.text(lang, "mail-course-alert-open"));
        ctx.insert(
            "catalogue_label",
            &tr.text(lang, "mail-course-alert-catalogue"),
        );
        ctx.insert(
            "catalogue_link",
            &format!("{base}{}", catalogue_href(kind, &alert.filter_query)),
        );
        ctx.insert("outro", &tr.text(lang, "mail-course-alert-outro"));
        ctx.insert(
            "unsubscribe_text",
            &tr.text(lang, "mail-course-alert-unsubscribe"),
        );
        ctx.insert("unsubscribe_link", unsubscribe);
        ctx.insert("signature", &tr.text(lang, "mail-signature"));
        Ok(OutgoingMail {
            to: to.clone(),
            subject: tr.text_with(lang, "mail-course-alert-subject", &args),
            text: self
                .composer
                .templates
                .render("mail/course_alert.txt", &ctx)?,
            html: self
                .composer
                .templates
                .render("mail/course_alert.html", &ctx)?,
            attachment: None,
        })
    }
}

/// When the newest date was added (read once per run; an index keeps it cheap).
async fn newest_date(db: &DatabaseConnection) -> Result<Option<DateTime<Utc>>, DbErr> {
    Ok(offer_date::Entity::find()
        .order_by_desc(offer_date::Column::CreatedAt)
        .one(db)
        .await?
        .map(|d| d.created_at))
}

/// Due for a look: no mail in the last week, and not looked at since the last hour or since the
/// newest date was added.
fn due_condition(now: DateTime<Utc>, newest: Option<DateTime<Utc>>) -> Condition {
    let mut looked = Condition::any()
        .add(course_alert::Column::CheckedAt.is_null())
        .add(course_alert::Column::CheckedAt.lte(now - CHECK_EVERY));
    if let Some(newest) = newest {
        looked = looked.add(course_alert::Column::CheckedAt.lt(newest));
    }
    Condition::all()
        .add(
            Condition::any()
                .add(course_alert::Column::LastSentAt.is_null())
                .add(course_alert::Column::LastSentAt.lte(now - MAIL_EVERY)),
        )
        .add(looked)
}

/// Deletes an alert with its links and remembered dates; false when it was already gone.
async fn delete_alert(db: &DatabaseConnection, id: i64) -> Result<bool, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    course_alert_token::Entity::delete_many()
        .filter(course_alert_token::Column::AlertId.eq(id))
        .exec(&txn)
        .await?;
    course_alert_date::Entity::delete_many()
        .filter(course_alert_date::Column::AlertId.eq(id))
        .exec(&txn)
        .await?;
    let deleted = course_alert::Entity::delete_by_id(id)
        .exec(&txn)
        .await?
        .rows_affected;
    txn.commit().await?;
    Ok(deleted == 1)
}

/// Deleting an account deletes the alerts set up from it or for its address (with their links).
pub async fn delete_of_account(
    txn: &impl ConnectionTrait,
    user_id: i32,
    email: &str,
) -> Result<(), DbErr> {
    let ids: Vec<i64> = course_alert::Entity::find()
        .filter(crate::services::accounts::of_account(
            course_alert::Column::UserId,
            course_alert::Column::Email,
            user_id,
            &email.to_lowercase(),
        ))
        .all(txn)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    course_alert_token::Entity::delete_many()
        .filter(course_alert_token::Column::AlertId.is_in(ids.clone()))
        .exec(txn)
        .await?;
    course_alert_date::Entity::delete_many()
        .filter(course_alert_date::Column::AlertId.is_in(ids.clone()))
        .exec(txn)
        .await?;
    course_alert::Entity::delete_many()
        .filter(course_alert::Column::Id.is_in(ids))
        .exec(txn)
        .await?;
    Ok(())
}

/// The canonical query string of a filter (for links built from a filter that was just parsed).
pub fn filter_query(filter: &CatalogueFilter) -> String {
    query_string(&canonical_query(filter))
}
