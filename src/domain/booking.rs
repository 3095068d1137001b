//! Booking rules: how many places, how a person can be reached, which channel the booking came through.
use chrono::{DateTime, Utc};

use super::{Email, FieldErrors, Language, PersonName, offer::DateStatus};

/// At most this many places in one booking (a person and companions), whatever a date allows.
pub const MAX_PLACES: u32 = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Places(u32);

impl Places {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        match raw.trim().parse::<u32>() {
            Ok(0) => Err("error-places-zero"),
            Ok(n) if n <= MAX_PLACES => Ok(Self(n)),
            Ok(_) => Err("error-places-too-many"),
            Err(_) => Err("error-places-invalid"),
        }
    }
    pub fn get(self) -> u32 {
        self.0
    }
}

/// A German phone number as people write it: digits, spaces, `+`, `/`, `-`, `(`, `)`; 6–20 digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let s = raw.trim();
        let allowed = s
            .chars()
            .all(|c| c.is_ascii_digit() || " +/-()".contains(c));
        let digits = s.chars().filter(char::is_ascii_digit).count();
        if !allowed || !(6..=20).contains(&digits) || (s.contains('+') && !s.starts_with('+')) {
            return Err("error-phone-invalid");
        }
        Ok(Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An API client's `Idempotency-Key`: 16 to 255 visible ASCII characters (a random UUID, say). A
/// repeat with the key and the person's details gets the booking's secret back, and the API has no
/// client identity to tie a key to, so a key must be as hard to guess as a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        if (16..=255).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err("error-idempotency-key-invalid")
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    Online,
    /// Booked by staff for a person who called or came to the counter.
    Staff,
    Kiosk,
    Api,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Staff => "staff",
            Self::Kiosk => "kiosk",
            Self::Api => "api",
        }
    }
}

stored_vocabulary!(
    /// Where a booking stands: it holds places, waits for them, or was withdrawn.
    BookingStatus, "error-status-invalid", {
        Confirmed => "confirmed",
        Waitlisted => "waitlisted",
        Cancelled => "cancelled",
    }
);

impl BookingStatus {
    /// Withdrawing a booking that holds or waits for places; `None` once it is withdrawn.
    pub fn cancel(self) -> Option<Self> {
        (self != Self::Cancelled).then_some(Self::Cancelled)
    }

    /// A waiting entry gets its places; nothing else moves up.
    pub fn promote(self) -> Option<Self> {
        (self == Self::Waitlisted).then_some(Self::Confirmed)
    }

    /// Whether the booking counts against the date's places.
    pub fn holds_places(self) -> bool {
        self == Self::Confirmed
    }

    /// Whether the person can still cancel the booking of a date (a course's first date): not once
    /// it was withdrawn, the provider cancelled the date, or the date has begun. The booking's
    /// page and its mails offer cancelling by this.
    pub fn cancellable(
        self,
        date_status: DateStatus,
        starts_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        self != Self::Cancelled && !date_status.is_cancelled() && starts_at > now
    }

    /// Staff lists show confirmed places first, then the waiting list, then withdrawn bookings.
    pub fn list_rank(self) -> u8 {
        match self {
            Self::Confirmed => 0,
            Self::Waitlisted => 1,
            Self::Cancelled => 2,
        }
    }
}

stored_vocabulary!(
    /// Whether a person came to a date, once staff or a helper marked it.
    Attendance, "error-choice-invalid", {
        Present => "present",
        Absent => "absent",
    }
);

/// A booking request that passed every field check: a name and a way to reach the person (e-mail or
/// phone; without e-mail, staff phone them when something changes).
#[derive(Clone, Debug)]
pub struct BookingRequest {
    pub name: PersonName,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub places: Places,
    pub channel: Channel,
    /// Language of the mails about this booking.
    pub language: Language,
    /// The account that booked, when the person was signed in.
    pub user_id: Option<i32>,
    /// The kiosk terminal it was made at: its receipt and usage count are stored with the booking.
    pub kiosk_terminal: Option<i32>,
    /// The staff member who took it at the counter or by phone: the audit entry is stored with the
    /// booking, so neither exists without the other.
    pub taken_by_staff: Option<i32>,
    /// The API client's key for this request: stored with the booking, so a repeat finds it.
    pub idempotency_key: Option<IdempotencyKey>,
}

impl BookingRequest {
    pub fn parse(
        name: &str,
        email: &str,
        phone: &str,
        places: &str,
        channel: Channel,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        // Staff book for someone else: the messages speak of that person, not of "you".
        let for_someone = channel == Channel::Staff;
        let name = errors.check(
            "name",
            PersonName::parse(name).map_err(|message| match message {
                "error-name-missing" if for_someone => "error-name-missing-staff",
                other => other,
            }),
        );
        let email = errors.check(
            "email",
            match email.trim() {
                "" => Ok(None),
                raw => Email::parse(raw).map(Some),
            },
        );
        let phone = errors.check(
            "phone",
            match phone.trim() {
                "" => Ok(None),
                raw => Phone::parse(raw).map(Some),
            },
        );
        let places = errors.check("places", Places::parse(places));
        // At a kiosk the person takes the receipt with the booking code and link home; a phone number
        // is optional there.
        if let (Some(None), Some(None)) = (&email, &phone)
            && channel != Channel::Kiosk
        {
            if for_someone {
                errors.add("phone", "error-contact-missing-staff");
            } else {
                errors.add("email", "error-contact-missing");
            }
        }
        match (name, email, phone, places) {
            (Some(name), Some(email), Some(phone), Some(places)) if errors.is_empty() => Ok(Self {
                name,
                email,
                phone,
                places,
                channel,
                language: Language::De,
                user_id: None,
                kiosk_terminal: None,
                taken_by_staff: None,
                idempotency_key: None,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn places() {
        assert_eq!(Places::parse("2").unwrap().get(), 2);
        assert_eq!(Places::parse("0").unwrap_err(), "error-places-zero");
        assert_eq!(Places::parse("11").unwrap_err(), "error-places-too-many");
        assert_eq!(Places::parse("-1").unwrap_err(), "error-places-invalid");
        assert_eq!(Places::parse("zwei").unwrap_err(), "error-places-invalid");
    }

    #[test]
    fn phones() {
        for ok in ["0361 123456", "+49 (0)3641 12-34-56", "03691/123456"] {
            assert!(Phone::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "12345", "0361 abc", "0361+123456", "<script>"] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_contact_is_required() {
        let e = BookingRequest::parse("Erika", "", "", "1", Channel::Online).unwrap_err();
        assert_eq!(e.for_field("email"), Some("error-contact-missing"));
        // Staff book for someone else, and the messages say so.
        let e = BookingRequest::parse(" ", "", "", "1", Channel::Staff).unwrap_err();
        assert_eq!(e.for_field("phone"), Some("error-contact-missing-staff"));
        assert_eq!(e.for_field("name"), Some("error-name-missing-staff"));
        let e = BookingRequest::parse(" ", "", "", "1", Channel::Online).unwrap_err();
        assert_eq!(e.for_field("name"), Some("error-name-missing"));
        assert!(BookingRequest::parse("Erika", "", "0361 123456", "2", Channel::Staff).is_ok());
        assert!(BookingRequest::parse("Erika", "", "", "1", Channel::Kiosk).is_ok());
    }

    #[test]
    fn booking_states_and_their_steps() {
        use BookingStatus::*;
        for status in BookingStatus::ALL {
            assert_eq!(BookingStatus::parse(status.key()), Ok(*status));
        }
        assert_eq!(Confirmed.cancel(), Some(Cancelled));
        assert_eq!(Waitlisted.cancel(), Some(Cancelled));
        assert_eq!(Cancelled.cancel(), None);
        assert_eq!(Waitlisted.promote(), Some(Confirmed));
        assert_eq!(Confirmed.promote(), None);
        assert_eq!(Cancelled.promote(), None);
        assert!(Confirmed.holds_places());
        assert!(!Waitlisted.holds_places() && !Cancelled.holds_places());
        assert!(Confirmed.list_rank() < Waitlisted.list_rank());
        assert!(Waitlisted.list_rank() < Cancelled.list_rank());
    }

    #[test]
    fn a_booking_can_be_cancelled_until_its_date_begins_or_is_cancelled() {
        use BookingStatus::*;
        let now = Utc::now();
        let ahead = now + chrono::Duration::hours(1);
        assert!(Confirmed.cancellable(DateStatus::Scheduled, ahead, now));
        assert!(Waitlisted.cancellable(DateStatus::Scheduled, ahead, now));
        assert!(!Cancelled.cancellable(DateStatus::Scheduled, ahead, now));
        assert!(!Confirmed.cancellable(DateStatus::Cancelled, ahead, now));
        assert!(!Confirmed.cancellable(DateStatus::Scheduled, now, now));
    }

    #[test]
    fn idempotency_keys() {
        for ok in [
            "0123456789abcdef",
            "4f1c2b7e-9d3a-4c55-8e0f-1b2c3d4e5f60",
            &"k".repeat(255),
        ] {
            assert_eq!(IdempotencyKey::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "",
            "0123456789abcde",
            "mit leerzeichen drin",
            "schlüssel-0123456789",
            "tab\there-0123456789",
            &"k".repeat(256),
        ] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC{0,40}") {
            let _ = Places::parse(&s);
            let _ = Phone::parse(&s);
            let _ = IdempotencyKey::parse(&s);
        }
    }
}
