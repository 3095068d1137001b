//! Rate limits, declared once per route in the route table and taken here. A handler takes its
//! route's throttle after the form parsed (a wrong form costs nothing) and before the use case runs;
//! that is why this is a call and not a middleware: a refusal re-renders the form with its input.
//! Only the printed feedback code counts inside its use case, so that only stored forms count; it
//! gets its buckets from [`buckets`].
use actix_web::{HttpRequest, HttpResponse, http::StatusCode};
use sea_orm::DatabaseConnection;

use super::{errors::WebError, page::Page, route_table, spam::client_address, state::AppState};
use crate::{
    domain::{FieldErrors, account::CurrentUser},
    services::{
        pseudonyms::Pseudonyms,
        throttle::{self, Limit},
    },
};

/// Whose attempts a bucket counts.
#[derive(Clone, Copy, Debug)]
pub enum Per {
    /// The client address.
    Address,
    /// The kiosk terminal, shared by everyone at a Probierladen.
    Terminal,
    /// The signed-in account.
    Account,
    /// The e-mail address in the form: its mailbox, or the account it names.
    Email,
    /// The e-mail address in the form, from this client address.
    EmailFromAddress,
}

pub struct Bucket {
    pub kind: &'static str,
    pub per: Per,
    pub limit: Limit,
}

/// A route's rate limit: an attempt counts in every bucket, and waits if any of them is full.
pub struct Throttle {
    pub buckets: &'static [Bucket],
    /// The form field a refusal is shown next to, with its message; `None` where the refusal is
    /// not shown next to a field.
    pub shown_at: Option<(&'static str, &'static str)>,
}

/// What a throttle counts beyond the client address and the signed-in account.
#[derive(Clone, Copy, Default)]
pub struct Subject<'a> {
    pub email: Option<&'a str>,
    pub terminal: Option<i32>,
}

impl<'a> Subject<'a> {
    pub fn email(email: &'a str) -> Self {
        Self {
            email: Some(email),
            ..Self::default()
        }
    }

    pub fn terminal(id: i32) -> Self {
        Self {
            terminal: Some(id),
            ..Self::default()
        }
    }
}

/// An attempt that may go ahead, counted in its buckets (unless rate limits are off).
pub struct Counted {
    buckets: Vec<(Per, String)>,
    taken: bool,
}

impl Counted {
    /// An attempt that failed on our side (the database was unavailable, or a fault of ours): it is
    /// given back, so a person who tries again after the fault is not refused as trying too often.
    /// Giving back is best effort; during an outage it may fail too, and then the attempt counts.
    pub async fn failed_on_our_side(self, db: &DatabaseConnection) {
        if !self.taken {
            return;
        }
        for (_, bucket) in &self.buckets {
            if let Err(error) = throttle::give_back(db, bucket).await {
                tracing::warn!(%error, "an attempt could not be given back to its rate limit");
                return;
            }
        }
    }

    /// A sign-in that succeeded: the attempts against this account from this place start over,
    /// and the other buckets take this attempt back.
    pub async fn sign_in_succeeded(self, db: &DatabaseConnection) -> Result<(), WebError> {
        for (per, bucket) in &self.buckets {
            match per {
                Per::EmailFromAddress => throttle::clear(db, bucket).await?,
                _ if self.taken => throttle::give_back(db, bucket).await?,
                _ => {}
            }
        }
        Ok(())
    }
}

/// An attempt refused until a bucket has room again.
pub struct Refused {
    pub minutes: i64,
    pub errors: FieldErrors,
}

impl Refused {
    /// The re-rendered form, answered with 429 Too Many Requests.
    pub fn answer(rendered: Result<HttpResponse, WebError>) -> Result<HttpResponse, WebError> {
        let mut response = rendered?;
        *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        Ok(response)
    }
}

/// Takes the throttle declared for the request's route.
pub async fn take(
    req: &HttpRequest,
    page: &Page,
    subject: Subject<'_>,
) -> Result<Result<Counted, Refused>, WebError> {
    take_declared(req, page.state(), page.user(), declared(req)?, subject).await
}

/// Takes `throttle` for a request outside the route table (the JSON API shares a page's limit).
pub async fn take_declared(
    req: &HttpRequest,
    state: &AppState,
    user: Option<&CurrentUser>,
    throttle: &Throttle,
    subject: Subject<'_>,
) -> Result<Result<Counted, Refused>, WebError> {
    let buckets = bucket_names(req, &state.pseudonyms, user, throttle, subject)?;
    if !state.settings.rate_limits {
        return Ok(Ok(Counted {
            buckets: keyed(throttle, buckets),
            taken: false,
        }));
    }
    let limited: Vec<(&str, Limit)> = buckets
        .iter()
        .zip(throttle.buckets)
        .map(|(name, bucket)| (name.as_str(), bucket.limit))
        .collect();
    match throttle::take(&state.db, &limited).await? {
        None => Ok(Ok(Counted {
            buckets: keyed(throttle, buckets),
            taken: true,
        })),
        Some(minutes) => {
            let mut errors = FieldErrors::default();
            if let Some((field, message)) = throttle.shown_at {
                errors.add(field, message);
            }
            Ok(Err(Refused { minutes, errors }))
        }
    }
}

/// The buckets of the request's route with their limits, for a use case that counts inside its own
/// transaction; empty when rate limits are off.
pub fn buckets(
    req: &HttpRequest,
    page: &Page,
    subject: Subject<'_>,
) -> Result<Vec<(String, Limit)>, WebError> {
    if !page.state().settings.rate_limits {
        return Ok(Vec::new());
    }
    let throttle = declared(req)?;
    let names = bucket_names(
        req,
        &page.state().pseudonyms,
        page.user(),
        throttle,
        subject,
    )?;
    Ok(names
        .into_iter()
        .zip(throttle.buckets)
        .map(|(name, bucket)| (name, bucket.limit))
        .collect())
}

fn declared(req: &HttpRequest) -> Result<&'static Throttle, WebError> {
    route_table::route_of(req)
        .and_then(|route| route.throttle)
        .ok_or_else(|| {
            WebError::Internal(anyhow::anyhow!(
                "{} declares no throttle in the route table",
                req.path()
            ))
        })
}

fn keyed(throttle: &Throttle, names: Vec<String>) -> Vec<(Per, String)> {
    throttle.buckets.iter().map(|b| b.per).zip(names).collect()
}

fn bucket_names(
    req: &HttpRequest,
    pseudonyms: &Pseudonyms,
    user: Option<&CurrentUser>,
    throttle: &Throttle,
    subject: Subject<'_>,
) -> Result<Vec<String>, WebError> {
    let missing = |what: &str| {
        WebError::Internal(anyhow::anyhow!(
            "the throttle of {} counts per {what}, which the handler did not give",
            req.path()
        ))
    };
    throttle
        .buckets
        .iter()
        .map(|bucket| {
            let key = match bucket.per {
                Per::Address => client_address(req),
                Per::Terminal => subject
                    .terminal
                    .ok_or_else(|| missing("terminal"))?
                    .to_string(),
                Per::Account => user.ok_or_else(|| missing("account"))?.id.to_string(),
                Per::Email => subject.email.ok_or_else(|| missing("e-mail"))?.to_owned(),
                Per::EmailFromAddress => format!(
                    "{}|{}",
                    subject.email.ok_or_else(|| missing("e-mail"))?,
                    client_address(req)
                ),
            };
            // Buckets hold pseudonyms, so the table stores no addresses in clear.
            Ok(pseudonyms.throttle_bucket(bucket.kind, &key))
        })
        .collect()
}
