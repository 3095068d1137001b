//! Outgoing mail. Services write messages into the `outbox` table inside their own transaction;
//! a background worker delivers them with retries, so nothing is lost while SMTP is down.
pub mod compose;
mod refusal;

use std::{path::PathBuf, time::Duration};

use chrono::{DateTime, Utc};
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{
        Attachment as MimeAttachment, Mailbox, MultiPart,
        header::{ContentType, HeaderName, HeaderValue},
    },
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, sea_query::Expr,
};

use crate::{db::entities::outbox, domain::Email};

/// Longest wait between two delivery attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// How long a claimed message is reserved for the instance that claimed it.
const CLAIM_LEASE: chrono::Duration = chrono::Duration::minutes(5);
/// Attempts before a message that servers refuse for good is given up (dead letter), once the server
/// has taken a mail queued after it (see `delivered_after`). A few, not one: some servers answer 5xx
/// for what is really a passing fault.
pub const PERMANENT_REFUSALS: i32 = 3;
/// How the stored reason of a refusal for good begins (`MailError::Refused`'s text), so that staff
/// see such mail before it is given up.
pub const REFUSED: &str = "refused: ";

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail settings: {0}")]
    Config(String),
    #[error("building the message: {0}")]
    Build(String),
    #[error("sending: {0}")]
    Send(String),
    /// The server refused the message for good (SMTP 5xx), as far as the reply tells for its
    /// recipient or content, e.g. an unknown mailbox.
    #[error("refused: {0}")]
    Refused(String),
    /// The server refuses the portal itself for good (SMTP 5xx at login, for its sender address or
    /// its sending limit; see `refusal`): every message would meet the same until the operator
    /// mends it.
    #[error("refused for every message: {0}")]
    RefusedAll(String),
}

/// The text with every e-mail address masked (`m…@example.de`): SMTP replies quote the recipient,
/// and the reply is kept and shown to staff, who need the domain but not the whole address.
pub fn mask_addresses(text: &str) -> String {
    let is_part = |c: char| !c.is_whitespace() && !"<>()[],;:\"'".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        match word.split_once('@') {
            Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {
                out.extend(local.chars().next());
                out.push_str("…@");
                out.push_str(domain);
            }
            _ => out.push_str(word),
        }
        word.clear();
    };
    for c in text.chars() {
        if is_part(c) {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[derive(Clone)]
pub struct OutgoingMail {
    pub to: Email,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachment: Option<Attachment>,
}

/// A text attachment such as a calendar file.
#[derive(Clone)]
pub struct Attachment {
    pub file_name: String,
    pub content_type: String,
    pub body: String,
}

/// Where mail goes: `.eml` files in a folder (the default) or an SMTP server.
#[derive(Clone)]
pub enum MailTransport {
    Files(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl MailTransport {
    pub fn from_settings(smtp_url: Option<&str>, outbox_dir: PathBuf) -> Result<Self, MailError> {
        match smtp_url {
            None => Ok(Self::Files(outbox_dir)),
            Some(url) => AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map(|b| Self::Smtp(b.timeout(Some(Duration::from_secs(20))).build()))
                .map_err(|e| MailError::Config(e.to_string())),
        }
    }

    async fn send(&self, message: Message, file_stem: &str) -> Result<(), MailError> {
        match self {
            Self::Files(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| MailError::Send(e.to_string()))?;
                // Named after the Message-ID, so a retried delivery overwrites instead of duplicating.
                let path = dir.join(format!("{file_stem}.eml"));
                let tmp = dir.join(format!(".{file_stem}.tmp"));
                tokio::fs::write(&tmp, message.formatted())
                    .await
                    .map_err(|e| MailError::Send(e.to_string()))?;
                tokio::fs::rename(&tmp, &path)
                    .await
                    .map_err(|e| MailError::Send(e.to_string()))
            }
            Self::Smtp(smtp) => smtp.send(message).await.map(drop).map_err(|e| {
                match e.status().filter(|_| e.is_permanent()) {
                    Some(code)
                        if refusal::concerns_the_portal(&code.to_string(), &e.to_string()) =>
                    {
                        MailError::RefusedAll(e.to_string())
                    }
                    Some(_) => MailError::Refused(e.to_string()),
                    None => MailError::Send(e.to_string()),
                }
            }),
        }
    }
}

/// Queues a mail; call it with the transaction of the change the mail reports.
pub async fn enqueue(conn: &impl ConnectionTrait, mail: OutgoingMail) -> Result<(), DbErr> {
    insert(conn, mail, None, None, false).await
}

/// Queues a mail whose text is removed as soon as it is delivered, not kept 30 days like the
/// others: a feedback invitation, whose one-time link would tie an anonymous form to its recipient.
pub async fn enqueue_forgotten_when_sent(
    conn: &impl ConnectionTrait,
    mail: OutgoingMail,
) -> Result<(), DbErr> {
    insert(conn, mail, None, None, true).await
}

/// Queues a mail about one booking; a correction of that booking's address sends it again if the
/// old address refused it.
pub async fn enqueue_about_booking(
    conn: &impl ConnectionTrait,
    mail: OutgoingMail,
    booking_id: i64,
) -> Result<(), DbErr> {
    insert(conn, mail, None, Some(booking_id), false).await
}

/// [`enqueue_about_booking`] for the mails of several bookings, in one statement.
pub async fn enqueue_about_bookings(
    conn: &impl ConnectionTrait,
    mails: Vec<(OutgoingMail, i64)>,
) -> Result<(), DbErr> {
    if mails.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    outbox::Entity::insert_many(
        mails
            .into_iter()
            .map(|(mail, booking_id)| queued(mail, None, Some(booking_id), false, now)),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Queues a mail someone subscribed to: it carries `List-Unsubscribe` with `unsubscribe_url` and
/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058), so mail programs offer a button
/// that ends the subscription with one POST to that address.
pub async fn enqueue_unsubscribable(
    conn: &impl ConnectionTrait,
    mail: OutgoingMail,
    unsubscribe_url: &str,
) -> Result<(), DbErr> {
    insert(conn, mail, Some(unsubscribe_url.to_owned()), None, false).await
}

async fn insert(
    conn: &impl ConnectionTrait,
    mail: OutgoingMail,
    list_unsubscribe: Option<String>,
    booking_id: Option<i64>,
    forget_when_sent: bool,
) -> Result<(), DbErr> {
    queued(
        mail,
        list_unsubscribe,
        booking_id,
        forget_when_sent,
        Utc::now(),
    )
    .insert(conn)
    .await?;
    Ok(())
}

/// The outbox row of a mail to send now.
fn queued(
    mail: OutgoingMail,
    list_unsubscribe: Option<String>,
    booking_id: Option<i64>,
    forget_when_sent: bool,
    now: DateTime<Utc>,
) -> outbox::ActiveModel {
    outbox::ActiveModel {
        message_id: Set(uuid::Uuid::new_v4().simple().to_string()),
        recipient: Set(mail.to.to_string()),
        subject: Set(mail.subject),
        body_text: Set(mail.text),
        body_html: Set(mail.html),
        attempts: Set(0),
        next_attempt_at: Set(now),
        sent_at: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        attachment_name: Set(mail.attachment.as_ref().map(|a| a.file_name.clone())),
        attachment_type: Set(mail.attachment.as_ref().map(|a| a.content_type.clone())),
        attachment_body: Set(mail.attachment.map(|a| a.body)),
        failed_at: Set(None),
        list_unsubscribe: Set(list_unsubscribe),
        booking_id: Set(booking_id),
        forget_when_sent: Set(forget_when_sent),
        ..Default::default()
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    pub failed: usize,
}

pub struct Sender {
    pub from: Mailbox,
    /// Domain part of Message-IDs.
    pub domain: String,
    pub transport: MailTransport,
}

fn backoff(attempts: i32) -> chrono::Duration {
    let secs = 30u64.saturating_mul(2u64.saturating_pow(attempts.clamp(0, 16) as u32));
    chrono::Duration::from_std(Duration::from_secs(secs).min(MAX_BACKOFF)).unwrap_or(CLAIM_LEASE)
}

impl Sender {
    fn build(&self, row: &outbox::Model) -> Result<Message, MailError> {
        let to: Mailbox = row
            .recipient
            .parse()
            .map_err(|e: lettre::address::AddressError| MailError::Build(e.to_string()))?;
        let body = MultiPart::alternative_plain_html(row.body_text.clone(), row.body_html.clone());
        let body = match (
            &row.attachment_name,
            &row.attachment_type,
            &row.attachment_body,
        ) {
            (Some(name), Some(content_type), Some(content)) => {
                let content_type = ContentType::parse(content_type)
                    .map_err(|e| MailError::Build(e.to_string()))?;
                MultiPart::mixed().multipart(body).singlepart(
                    MimeAttachment::new(name.clone()).body(content.clone(), content_type),
                )
            }
            _ => body,
        };
        let mut builder = Message::builder();
        if let Some(url) = &row.list_unsubscribe {
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        builder
            .from(self.from.clone())
            .to(to)
            .subject(row.subject.clone())
            .message_id(Some(format!("<{}@{}>", row.message_id, self.domain)))
            // RFC 3834: every mail is sent by the portal itself, so no out-of-office replies.
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_owned(),
            ))
            .multipart(body)
            .map_err(|e| MailError::Build(e.to_string()))
    }

    /// Claims due messages one by one (a conditional update, so two instances never send the same one)
    /// and delivers them. Tests call this directly instead of waiting for the worker.
    pub async fn deliver_due(&self, db: &DatabaseConnection) -> Result<DeliveryReport, DbErr> {
        self.deliver_due_unless(db, || false).await
    }

    /// [`Self::deliver_due`], claiming no further message once `stopping` says so: an instance that
    /// stops leaves the rest of its batch due for the others at once, instead of claims it would be
    /// cut off in and that wait out their lease.
    pub async fn deliver_due_unless(
        &self,
        db: &DatabaseConnection,
        stopping: impl Fn() -> bool,
    ) -> Result<DeliveryReport, DbErr> {
        let mut report = DeliveryReport::default();
        let now = Utc::now();
        let due = outbox::Entity::find()
            .filter(due(now))
            .order_by_asc(outbox::Column::Id)
            .limit(50)
            .all(db)
            .await?;
        for row in due {
            if stopping() {
                break;
            }
            let claimed = outbox::Entity::update_many()
                // The lease starts now, not at the start of the batch: a slow batch must not hand out
                // leases that have already run out.
                .col_expr(
                    outbox::Column::NextAttemptAt,
                    Expr::value(Utc::now() + CLAIM_LEASE),
                )
                .filter(outbox::Column::Id.eq(row.id))
                .filter(outbox::Column::SentAt.is_null())
                .filter(outbox::Column::NextAttemptAt.eq(row.next_attempt_at))
                .exec(db)
                .await?;
            if claimed.rows_affected != 1 {
                continue;
            }
            let outcome = match self.build(&row) {
                Ok(message) => self.transport.send(message, &row.message_id).await,
                Err(e) => Err(e),
            };
            let sent = outcome.is_ok();
            // The rest of the batch would be refused alike: not tried in vain.
            let refused_all = matches!(outcome, Err(MailError::RefusedAll(_)));
            let mut update: outbox::ActiveModel = row.clone().into();
            update.attempts = Set(row.attempts + 1);
            match outcome {
                Ok(()) => {
                    update.sent_at = Set(Some(Utc::now()));
                    update.last_error = Set(None);
                    forget_text(&mut update);
                    report.sent += 1;
                    tracing::info!(
                        mail_id = row.id,
                        domain = row.recipient.rsplit('@').next().unwrap_or(""),
                        "mail sent"
                    );
                }
                Err(e) => {
                    let error = mask_addresses(&e.to_string());
                    update.last_error = Set(Some(error.clone()));
                    report.failed += 1;
                    let last_chance = row.attempts + 1 >= PERMANENT_REFUSALS;
                    let give_up = match &e {
                        MailError::Build(_) => last_chance,
                        MailError::Refused(_) => last_chance && delivered_after(db, &row).await?,
                        _ => false,
                    };
                    if give_up {
                        update.failed_at = Set(Some(Utc::now()));
                        tracing::warn!(mail_id = row.id, attempts = row.attempts + 1, %error, "mail refused for good; staff see it as undeliverable");
                    } else {
                        update.next_attempt_at = Set(Utc::now() + backoff(row.attempts));
                        match e {
                            MailError::RefusedAll(_) => {
                                tracing::error!(mail_id = row.id, attempts = row.attempts + 1, %error, "the mail server refuses the portal itself (login, sender, sending limit); every due mail is put off")
                            }
                            MailError::Refused(_) if last_chance => {
                                tracing::error!(mail_id = row.id, attempts = row.attempts + 1, %error, "mail refused again, but the server has taken no mail queued after it: it may refuse every mail (relay, blocklist?); kept and tried again")
                            }
                            _ => {
                                tracing::warn!(mail_id = row.id, attempts = row.attempts + 1, %error, "mail delivery failed, will retry")
                            }
                        }
                    }
                }
            }
            // A mail deleted meanwhile is simply gone, and the rest of the batch goes on.
            let written = match write_outcome(db, &row, update).await {
                Ok(written) => written,
                Err(error) => {
                    if sent {
                        tracing::error!(
                            mail_id = row.id,
                            %error,
                            "mail sent but not marked as sent; it goes out again when its claim runs out"
                        );
                    }
                    return Err(error);
                }
            };
            if written == 0 {
                tracing::info!(
                    mail_id = row.id,
                    "mail deleted or given another address while it was being sent"
                );
            }
            if refused_all {
                // Every other due mail waits as long: each try would be one more refused login,
                // which gets a sending account locked.
                put_off_due(db, Utc::now() + backoff(row.attempts)).await?;
                break;
            }
        }
        Ok(report)
    }
}

/// Mail to try at `now`: not sent, not given up, its time come.
fn due(now: chrono::DateTime<Utc>) -> Condition {
    Condition::all()
        .add(outbox::Column::SentAt.is_null())
        .add(outbox::Column::FailedAt.is_null())
        .add(outbox::Column::NextAttemptAt.lte(now))
}

/// Puts every mail due now off until `until`, without counting an attempt.
async fn put_off_due(db: &DatabaseConnection, until: chrono::DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(outbox::Entity::update_many()
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(until))
        .filter(due(Utc::now()))
        .exec(db)
        .await?
        .rows_affected)
}

/// The columns that put a mail back in the queue as if just queued: due now, no attempts, no
/// refusal, and queued now, so that mail delivered before it does not count as the server taking
/// mail after it (see [`delivered_after`]). For staff's "send again" and address corrections.
pub fn requeued(
    update: sea_orm::UpdateMany<outbox::Entity>,
) -> sea_orm::UpdateMany<outbox::Entity> {
    let now = Utc::now();
    update
        .col_expr(
            outbox::Column::FailedAt,
            Expr::value(None::<chrono::DateTime<Utc>>),
        )
        .col_expr(outbox::Column::Attempts, Expr::value(0))
        .col_expr(outbox::Column::LastError, Expr::value(None::<String>))
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(now))
        .col_expr(outbox::Column::CreatedAt, Expr::value(now))
}

/// Whether the server has taken a mail queued after `row` was (last) queued: only then is a refusal
/// of it taken as about this mail. A server that refuses every mail (a relay it does not allow, the
/// portal's host on a blocklist, under a code that names no cause) gives up none of what was queued
/// meanwhile; staff see such mail all the same once it was refused [`PERMANENT_REFUSALS`] times (see
/// `services::undeliverable_mail`). Mail removed when delivered (`forget_when_sent`) is no longer
/// there to count.
async fn delivered_after(db: &DatabaseConnection, row: &outbox::Model) -> Result<bool, DbErr> {
    Ok(outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .filter(outbox::Column::Id.ne(row.id))
        .filter(outbox::Column::SentAt.gt(row.created_at))
        .into_tuple::<i64>()
        .one(db)
        .await?
        .is_some())
}

/// How long writing a delivery's outcome is tried, the pause before the first retry (doubled after
/// each) and the longest pause: a mail the server accepted goes out again if it cannot be marked as
/// sent, so a passing database fault is waited out. A PostgreSQL failover takes tens of seconds
/// (a full pool or a busy SQLite file less); the mail's claim, renewed just before sending, lasts
/// five minutes, so no other instance takes the mail meanwhile.
const OUTCOME_PATIENCE: Duration = Duration::from_secs(90);
const OUTCOME_RETRY_PAUSE: Duration = Duration::from_millis(200);
const OUTCOME_RETRY_PAUSE_MAX: Duration = Duration::from_secs(5);

/// Writes a delivery's outcome: by id, not by the whole row, so a mail deleted meanwhile (account
/// deletion, the retention clean-up) is simply gone, and a mail that staff gave a corrected address
/// meanwhile is due again for that address (this outcome was the old one's). A delivered mail
/// marked [`enqueue_forgotten_when_sent`] is removed instead. Returns the rows written.
async fn write_outcome(
    db: &DatabaseConnection,
    row: &outbox::Model,
    update: outbox::ActiveModel,
) -> Result<u64, DbErr> {
    let forget = row.forget_when_sent && matches!(update.sent_at, Set(Some(_)));
    let started = tokio::time::Instant::now();
    let mut pause = OUTCOME_RETRY_PAUSE;
    let mut attempt = 1;
    loop {
        let this_mail = Condition::all()
            .add(outbox::Column::Id.eq(row.id))
            .add(outbox::Column::Recipient.eq(row.recipient.as_str()));
        let written = if forget {
            outbox::Entity::delete_many()
                .filter(this_mail)
                .exec(db)
                .await
                .map(|done| done.rows_affected)
        } else {
            outbox::Entity::update_many()
                .set(update.clone())
                .filter(this_mail)
                .exec(db)
                .await
                .map(|done| done.rows_affected)
        };
        match written {
            Err(error) if started.elapsed() + pause < OUTCOME_PATIENCE => {
                tracing::warn!(mail_id = row.id, attempt, %error, "delivery outcome not written; trying again");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(OUTCOME_RETRY_PAUSE_MAX);
                attempt += 1;
            }
            written => return written,
        }
    }
}

/// Drops a delivered mail's text and attachment, which nothing reads again: they hold booking and
/// confirmation links that work for whoever reads a copy of the database. What stays (recipient,
/// subject, when) is the record that the mail went out.
fn forget_text(update: &mut outbox::ActiveModel) {
    update.body_text = Set(String::new());
    update.body_html = Set(String::new());
    update.attachment_body = Set(None);
    // A course alert's one-click unsubscribe address is a working link, as the text's links are.
    update.list_unsubscribe = Set(None);
}

/// Drops the texts of delivered mail that still has them: mail an instance of an older version
/// delivered during a rolling update, or delivered before this version. Returns how many.
pub async fn forget_delivered_texts(db: &DatabaseConnection) -> Result<u64, DbErr> {
    let mut forgotten = <outbox::ActiveModel as Default>::default();
    forget_text(&mut forgotten);
    let done = outbox::Entity::update_many()
        .set(forgotten)
        .filter(outbox::Column::SentAt.is_not_null())
        .filter(
            Condition::any()
                .add(outbox::Column::BodyText.ne(""))
                .add(outbox::Column::BodyHtml.ne(""))
                .add(outbox::Column::AttachmentBody.is_not_null())
                .add(outbox::Column::ListUnsubscribe.is_not_null()),
        )
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// How long the record of a delivered mail is kept: 30 days (the privacy page says so), or the
/// retention period of booking data when that is shorter, since it ties an address to a booking.
/// Mail never delivered stays longer, with its text (see [`UNDELIVERED_KEPT`]).
pub fn kept_for(retention: chrono::Duration) -> chrono::Duration {
    std::cmp::min(chrono::Duration::days(30), retention)
}

/// How long mail that never reached anyone is kept, however short the retention period: the sender
/// tries a failing mail again for these 30 days, and staff see it on the list of undeliverable mail
/// from a day after it was queued (`services::undeliverable_mail::STILL_FAILING_AFTER`), so a
/// booking confirmation held up by a mail server's outage over a weekend is neither dropped unsent
/// nor removed before staff could phone the person.
pub const UNDELIVERED_KEPT: chrono::Duration = chrono::Duration::days(30);

/// Removes mail delivered more than `age` ago, and mail that never reached anyone (refused for good,
/// or still failing) queued more than `age` or [`UNDELIVERED_KEPT`] ago, whichever is longer: the
/// text is only kept as long as a delivery problem may need it, and a message that late would no
/// longer help its reader. Returns how many were removed; those never delivered are logged.
pub async fn delete_older_than(
    db: &DatabaseConnection,
    age: chrono::Duration,
) -> Result<u64, DbErr> {
    let now = Utc::now();
    // Delivered mail to be forgotten that is still here was sent by an instance of an older
    // version during a rolling update, which marked it sent instead of removing it.
    let delivered = outbox::Entity::delete_many()
        .filter(
            Condition::any()
                .add(outbox::Column::SentAt.lt(now - age))
                .add(
                    Condition::all()
                        .add(outbox::Column::SentAt.is_not_null())
                        .add(outbox::Column::ForgetWhenSent.eq(true)),
                ),
        )
        .exec(db)
        .await?
        .rows_affected;
    let undelivered = outbox::Entity::delete_many()
        .filter(outbox::Column::SentAt.is_null())
        .filter(outbox::Column::CreatedAt.lt(now - std::cmp::max(age, UNDELIVERED_KEPT)))
        .exec(db)
        .await?
        .rows_affected;
    if undelivered > 0 {
        tracing::warn!(
            undelivered,
            "mail never delivered removed after {} days",
            std::cmp::max(age, UNDELIVERED_KEPT).num_days()
        );
    }
    Ok(delivered + undelivered)
}

/// Removes the `.eml` files of the file transport written more than `age` ago, as long as the
/// outbox keeps the record of a delivered mail. The files are the delivered mails themselves (the
/// transport of a portal on a laptop, without a mail server), with their names and links; a
/// mailbox keeps them just as long. Returns how many went.
pub async fn delete_files_older_than(dir: &std::path::Path, age: Duration) -> std::io::Result<u64> {
    let mut entries = match tokio::fs::read_dir(dir).await {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let before = std::time::SystemTime::now()
        .checked_sub(age)
        .unwrap_or(std::time::UNIX_EPOCH);
    let mut removed = 0;
    while let Some(entry) = entries.next_entry().await? {
        let path = entry.path();
        if path.extension().is_none_or(|ext| ext != "eml") {
            continue;
        }
        // Another instance sharing the folder may be quicker at either step.
        let modified = match entry.metadata().await.and_then(|m| m.modified()) {
            Ok(modified) => modified,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        if modified < before {
            match tokio::fs::remove_file(&path).await {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(removed)
}

/// Delivers due mail every `every` (the first time one period after start) until the process ends.
pub fn spawn_worker(
    db: DatabaseConnection,
    sender: Sender,
    every: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = crate::background::every(every, every);
        while crate::background::next_run(&mut tick, &mut stop).await {
            if let Err(e) = sender.deliver_due_unless(&db, || *stop.borrow()).await {
                tracing::warn!(error = %e, "mail worker could not read the outbox");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_s_stored_reason_begins_as_staff_look_for_it() {
        let stored =
            mask_addresses(&MailError::Refused("550 5.1.1 x@example.de".into()).to_string());
        assert!(stored.starts_with(REFUSED), "{stored}");
        let other = MailError::RefusedAll("535 5.7.8".into()).to_string();
        assert!(!other.starts_with(REFUSED), "{other}");
    }

    #[test]
    fn addresses_in_server_replies_are_masked() {
        assert_eq!(
            mask_addresses("550 5.1.1 <maria.muster@example.de>: Recipient address rejected"),
            "550 5.1.1 <m…@example.de>: Recipient address rejected"
        );
        assert_eq!(
            mask_addresses("user a@b.de, and x@y unknown; @lonely stays"),
            "user a…@b.de, and x…@y unknown; @lonely stays"
        );
        assert_eq!(mask_addresses("no address here"), "no address here");
    }
}
