//! Account mails (address confirmation, password reset): short, plain text and HTML, in the person's language.
use std::{borrow::Cow, collections::HashMap, sync::Arc};

use chrono::{DateTime, Utc};

use fluent_templates::fluent_bundle::FluentValue;

use super::{Attachment, OutgoingMail};
use crate::{
    calendar,
    db::entities::booking,
    domain::{Email, Language, booking::BookingStatus},
    i18n::{DateStyle, Translations, format_instant},
    sealing::Sealer,
    services::catalogue,
};

#[derive(Clone)]
pub struct Composer {
    pub templates: Arc<tera::Tera>,
    pub translations: Translations,
    pub base_url: String,
    /// Opens the booking links kept sealed (and seals new ones, for the booking desk).
    pub sealer: Sealer,
}

impl Composer {
    /// `kind` selects the texts `mail-<kind>-subject`, `-intro`, `-action`, `-outro`; `path` is the link target.
    pub fn account_link(
        &self,
        lang: Language,
        to: &Email,
        kind: &str,
        path: &str,
    ) -> anyhow::Result<OutgoingMail> {
        self.notice(lang, to, kind, path, &HashMap::new(), None, None)
    }
}

impl Composer {
    /// A short notice with one link: `kind` selects `mail-<kind>-subject`, `-intro`, `-action` and
    /// `-outro`, which may use `args`; `details` (a moderator's note, an official answer) is quoted
    /// as written; `unsubscribe_path`, for something the person follows, adds a link to stop following.
    #[allow(clippy::too_many_arguments)]
    pub fn notice(
        &self,
        lang: Language,
        to: &Email,
        kind: &str,
        path: &str,
        args: &HashMap<Cow<'static, str>, FluentValue<'static>>,
        details: Option<&str>,
        unsubscribe_path: Option<&str>,
    ) -> anyhow::Result<OutgoingMail> {
        let base = self.base_url.trim_end_matches('/');
        let text = |part: &str| {
            self.translations
                .text_with(lang, &format!("mail-{kind}-{part}"), args)
        };
        let mut ctx = tera::Context::new();
        ctx.insert("lang", lang.code());
        ctx.insert("intro", &text("intro"));
        ctx.insert("action", &text("action"));
        ctx.insert("outro", &text("outro"));
        ctx.insert("link", &format!("{base}{path}"));
        ctx.insert("details", &details);
        if let Some(path) = unsubscribe_path {
            ctx.insert("unsubscribe_link", &format!("{base}{path}"));
            ctx.insert(
                "unsubscribe_text",
                &self.translations.text(lang, "mail-unsubscribe"),
            );
        }
        ctx.insert("signature", &self.translations.text(lang, "mail-signature"));
        Ok(OutgoingMail {
            to: to.clone(),
            subject: text("subject"),
            text: self.templates.render("mail/account_link.txt", &ctx)?,
            html: self.templates.render("mail/account_link.html", &ctx)?,
            attachment: None,
        })
    }
}

/// What a booking mail names: the date, its later sessions, and the session it is about.
pub type MailDetails<'a> = (
    &'a catalogue::DateSummary,
    &'a [catalogue::DateSummary],
    Option<&'a catalogue::DateSummary>,
);

/// Why a booking mail is sent; selects the texts `mail-booking-<key>-subject` and `-intro`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookingMail {
    Confirmed,
    Waitlisted,
    /// Moved up from the waiting list.
    Promoted,
    /// Fewer places than wanted are free and held for the person for a while.
    PlacesOffered,
    CancelledByPerson,
    CancelledByProvider,
    DateCancelled,
    DateChanged,
    Reminder,
    /// Before a later session of a course booked as a whole.
    SessionReminder,
    /// One session of a course booked as a whole moved to another time.
    SessionMoved,
    /// One session of a course booked as a whole was cancelled; the others take place.
    SessionCancelled,
    /// A course booked as a whole was stopped after it began: every session ahead is cancelled.
    CourseStopped,
    /// The date was booked again with the booking's address: its link once more.
    LinkAgain,
}

impl BookingMail {
    pub fn key(self) -> &'static str {
        match self {
            Self::Confirmed => "confirmed",
            Self::Waitlisted => "waitlisted",
            Self::Promoted => "promoted",
            Self::PlacesOffered => "offered",
            Self::CancelledByPerson => "cancelled",
            Self::CancelledByProvider => "cancelled-by-provider",
            Self::DateCancelled => "date-cancelled",
            Self::DateChanged => "date-changed",
            Self::Reminder => "reminder",
            Self::SessionReminder => "session-reminder",
            Self::SessionMoved => "session-moved",
            Self::SessionCancelled => "session-cancelled",
            Self::CourseStopped => "course-stopped",
            Self::LinkAgain => "link-again",
        }
    }

    /// Mails about a place the person has (or had) get the calendar entry attached; a cancellation
    /// withdraws the entry from their calendar. Whether the booking has an entry at all (someone
    /// on the waiting list has none) is [`booking_calendar`]'s to say.
    pub(crate) fn attaches_calendar(self) -> bool {
        matches!(
            self,
            Self::Confirmed
                | Self::Promoted
                | Self::DateChanged
                | Self::Reminder
                | Self::SessionReminder
                | Self::SessionMoved
                | Self::SessionCancelled
                | Self::CourseStopped
                | Self::DateCancelled
                | Self::CancelledByPerson
                | Self::CancelledByProvider
        )
    }

    /// The booking holds no place any more, and its calendar file takes the date out.
    fn ends_the_booking(self) -> bool {
        matches!(
            self,
            Self::CancelledByPerson | Self::CancelledByProvider | Self::DateCancelled
        )
    }
}

impl Composer {
    pub fn booking_link(&self, token: &str) -> String {
        format!("{}/buchung/{token}", self.base_url.trim_end_matches('/'))
    }

    /// A booking mail in the person's language; `None` when the person left no e-mail address.
    /// `earlier_bookings`: see [`booking_events`]. With `session`, the mail is about that later
    /// session of the course (reminder, moved, cancelled) and names it ("when" is the session's
    /// time, `$when` in the texts); the calendar file still carries every session, the changed one
    /// with its raised SEQUENCE.
    pub fn booking_about(
        &self,
        kind: BookingMail,
        booking: &booking::Model,
        earlier_bookings: i32,
        (date, sessions, session): MailDetails<'_>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<OutgoingMail>> {
        let Some(to) = booking.email.as_deref().and_then(|e| Email::parse(e).ok()) else {
            return Ok(None);
        };
        let lang = Language::from_code(&booking.language).unwrap_or(Language::De);
        let focus = session.unwrap_or(date);
        let when = format!(
            "{}, {}–{}",
            format_instant(focus.starts_at, lang, DateStyle::Date),
            format_instant(focus.starts_at, lang, DateStyle::Time),
            format_instant(focus.ends_at, lang, DateStyle::Time)
        );
        let mut args: HashMap<Cow<'static, str>, FluentValue> = HashMap::new();
        args.insert("title".into(), date.title.clone().into());
        args.insert("when".into(), when.clone().into());
        args.insert(
            "places".into(),
            booking.offered_places.unwrap_or(booking.places).into(),
        );
        let text = |key: &str| self.translations.text_with(lang, key, &args);
        let link = booking
            .link_secret(&self.sealer)
            .map(|token| self.booking_link(&token));
        let mut ctx = tera::Context::new();
        ctx.insert("lang", lang.code());
        ctx.insert(
            "intro",
            &text(&format!("mail-booking-{}-intro", kind.key())),
        );
        ctx.insert(
            "details",
            &[
                (text("mail-booking-what"), date.title.clone()),
                (text("mail-booking-when"), when),
                (
                    text("mail-booking-where"),
                    place_line(focus, &text("mail-booking-online")),
                ),
                (text("mail-booking-places"), booking.places.to_string()),
                (text("mail-booking-name"), booking.name.clone()),
            ]
            .into_iter()
            .chain(
                access_link(booking, focus)
                    .map(|link| (text("mail-booking-online-link"), link.to_owned())),
            )
            .collect::<Vec<_>>(),
        );
        ctx.insert(
            "sessions",
            &sessions
                .iter()
                .map(|d| {
                    let line = format!(
                        "{}, {}–{}",
                        format_instant(d.starts_at, lang, DateStyle::Date),
                        format_instant(d.starts_at, lang, DateStyle::Time),
                        format_instant(d.ends_at, lang, DateStyle::Time)
                    );
                    if d.date_status.is_cancelled() {
                        format!("{line} ({})", text("mail-booking-session-cancelled"))
                    } else {
                        line
                    }
                })
                .collect::<Vec<_>>(),
        );
        ctx.insert("sessions_label", &text("mail-booking-sessions"));
        let ended = kind.ends_the_booking();
        // As on the booking's page: once the (first) date has begun, or it was cancelled, the
        // booking can only be looked at (mails about a course's later sessions come after its start).
        let cancellable = !ended
            && booking
                .status
                .cancellable(date.date_status, date.starts_at, now);
        ctx.insert(
            "action",
            &text(if cancellable {
                "mail-booking-action"
            } else {
                "mail-booking-action-ended"
            }),
        );
        ctx.insert("link", &link);
        let attachment = kind
            .attaches_calendar()
            .then(|| booking_calendar(date, sessions, &self.base_url, booking, earlier_bookings))
            .flatten()
            .map(|(method, body)| Attachment {
                file_name: "termin.ics".into(),
                content_type: format!("text/calendar; charset=utf-8; method={}", method.as_str()),
                body,
            });
        // The usual closing line points to the calendar file; without one it only asks to cancel.
        // Once the booking has ended there is nothing to cancel, and the file takes the date out.
        let outro = match (ended, cancellable, attachment.is_some()) {
            (true, _, true) => Some("mail-booking-outro-ended"),
            (false, true, true) => Some("mail-booking-outro"),
            (false, true, false) => Some("mail-booking-outro-no-calendar"),
            (false, false, true) => Some("mail-booking-outro-calendar"),
            (_, _, false) => None,
        };
        ctx.insert("outro", &outro.map(text));
        ctx.insert("signature", &self.translations.text(lang, "mail-signature"));
        Ok(Some(OutgoingMail {
            to,
            subject: text(&format!("mail-booking-{}-subject", kind.key())),
            text: self.templates.render("mail/booking.txt", &ctx)?,
            html: self.templates.render("mail/booking.html", &ctx)?,
            attachment,
        }))
    }
}

/// The person's own entries for a booking: the date and its later sessions, with a reminder. A
/// booking on the waiting list has no confirmed place, so it gets `None`, unless everything is
/// cancelled: then the withdrawal clears an entry the person may have from elsewhere.
///
/// They carry the dates' own UIDs, as the public files and feeds do, so an entry is the same
/// whichever way it came. So one person's calendar can get several files for one UID: the public
/// one (SEQUENCE = the date's revision), a booking's, its cancellation, a new booking after that.
/// A calendar only takes a file whose SEQUENCE is above the one it holds, so the SEQUENCE of a
/// booking's entries is `revision + 2 × earlier_bookings`, plus 1 once withdrawn, where
/// `earlier_bookings` counts the bookings of the same date the same address made before this one
/// (0 for nearly everyone: then a confirmation has the public SEQUENCE). Each booking thus starts
/// above everything an earlier one of the person sent (at most `revision + 2 × (n - 1) + 1`), a
/// cancellation lies above the booking's confirmation, and a change of the date raises both. (A UID
/// per booking would avoid the counting, but then a person who imported the public file and booked
/// would have the date twice, and cancelling would leave the public copy standing.)
pub fn booking_events(
    date: &catalogue::DateSummary,
    sessions: &[catalogue::DateSummary],
    base_url: &str,
    booking: &booking::Model,
    earlier_bookings: i32,
) -> Option<Vec<calendar::CalendarEvent>> {
    let withdrawn = booking.status == BookingStatus::Cancelled;
    let events = std::iter::once(date)
        .chain(sessions)
        .map(|d| {
            let mut event = calendar_event(d, base_url);
            event.alarm_before = Some(chrono::Duration::days(1));
            event.sequence += 2 * earlier_bookings;
            if let Some(link) = access_link(booking, d) {
                event.location = place_line(d, link);
                event.description = format!("{}\n{link}", event.description);
            }
            if withdrawn {
                event.cancelled = true;
                event.sequence += 1;
            }
            event
        })
        .collect::<Vec<_>>();
    let waiting = booking.status == BookingStatus::Waitlisted;
    (!waiting || events.iter().all(|e| e.cancelled)).then_some(events)
}

/// The calendar file of a booking ([`booking_events`]): METHOD:CANCEL once nothing in it takes place
/// for the person, so calendars remove the entry they imported; `None` while the booking waits for
/// a date that takes place.
pub fn booking_calendar(
    date: &catalogue::DateSummary,
    sessions: &[catalogue::DateSummary],
    base_url: &str,
    booking: &booking::Model,
    earlier_bookings: i32,
) -> Option<(calendar::Method, String)> {
    let events = booking_events(date, sessions, base_url, booking, earlier_bookings)?;
    let method = if events.iter().all(|e| e.cancelled) {
        calendar::Method::Cancel
    } else {
        calendar::Method::Publish
    };
    let body = calendar::with_method(method, &date.title, &events, chrono::Utc::now());
    Some((method, body))
}

/// The access link of an online date, for the person who booked it: only while the booking holds a
/// place and the date takes place. Public files, feeds and pages never carry it.
pub fn access_link<'a>(
    booking: &booking::Model,
    date: &'a catalogue::DateSummary,
) -> Option<&'a str> {
    if booking.status != BookingStatus::Confirmed || date.date_status.is_cancelled() {
        return None;
    }
    date.online_url.as_deref()
}

/// Venue and address in one line, or "online".
pub fn place_line(date: &catalogue::DateSummary, online: &str) -> String {
    match (
        &date.venue_name,
        &date.street,
        &date.postal_code,
        &date.town,
    ) {
        (Some(name), Some(street), Some(code), Some(town)) => {
            format!("{name}, {street}, {code} {town}")
        }
        _ => online.to_owned(),
    }
}

/// Where a public calendar entry says an online date takes place; the access link is only in the
/// entries of people who booked ([`booking_events`]).
const ONLINE: &str = "Online";

/// The calendar entry of a date as anyone may see it (the date's file, feeds), with the date's UID:
/// an online date says "Online" and links to the offer's page, never to the meeting itself.
pub fn calendar_event(date: &catalogue::DateSummary, base_url: &str) -> calendar::CalendarEvent {
    let host = url::Url::parse(base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "teilhabe.invalid".into());
    let base = base_url.trim_end_matches('/');
    calendar::CalendarEvent {
        uid: format!("date-{}@{host}", date.date_id),
        sequence: date.revision,
        summary: date.title.clone(),
        description: format!(
            "{}\n{base}{}",
            date.organisation_name,
            date.kind.page_of(&date.offer_slug)
        ),
        location: place_line(date, ONLINE),
        url: format!("{base}{}", date.kind.page_of(&date.offer_slug)),
        starts_at: date.starts_at,
        ends_at: date.ends_at,
        cancelled: date.date_status.is_cancelled(),
        alarm_before: None,
    }
}
