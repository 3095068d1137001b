//! Proposals: what they are about, where they stand, and the forms that create and find them.
use serde::{Deserialize, Serialize};

use super::{DistrictKey, Email, FieldErrors, form::optional};

vocabulary!(
    /// What a proposal is about.
    ProposalCategory, "error-category-invalid", {
        Administration => "verwaltung-digital",
        Connectivity => "internet-mobilfunk",
        Learning => "bildung-kurse",
        Accessibility => "barrierefreiheit",
        Privacy => "datenschutz-sicherheit",
        Other => "sonstiges",
    }
);

stored_vocabulary!(
    /// Where a proposal stands. The first three and the last three are moderation states that only
    /// the author and moderators see; the public lifecycle runs from `published` to the answer.
    /// The German keys after `|` are those stored and linked before the keys became English.
    ProposalStatus, "error-status-invalid", {
        Unconfirmed => "unconfirmed" | "unbestaetigt",
        Submitted => "submitted" | "eingereicht",
        ChangesRequested => "changes-requested" | "aenderung-erbeten",
        Published => "published" | "veroeffentlicht",
        UnderReview => "under-review" | "in-pruefung",
        Accepted => "accepted" | "angenommen",
        Implemented => "implemented" | "umgesetzt",
        Declined => "declined" | "abgelehnt",
        Rejected => "rejected" | "zurueckgewiesen",
        Hidden => "hidden" | "verborgen",
        Merged => "merged" | "zusammengefuehrt",
    }
);

impl ProposalStatus {
    /// The states everyone sees, in lifecycle order.
    pub const PUBLIC: &'static [Self] = &[
        Self::Published,
        Self::UnderReview,
        Self::Accepted,
        Self::Implemented,
        Self::Declined,
    ];

    pub fn is_public(self) -> bool {
        Self::PUBLIC.contains(&self)
    }

    /// The states of a proposal the public does not see (not yet, or no longer; a merged one
    /// only as the way to the proposal it went into): an author's proposals in these states go
    /// with the author's account, so nobody publishes them after the person asked for erasure.
    pub const UNSEEN: &'static [Self] = &[
        Self::Unconfirmed,
        Self::Submitted,
        Self::ChangesRequested,
        Self::Rejected,
        Self::Hidden,
        Self::Merged,
    ];

    /// The states in which nobody works on a proposal until someone acts, and nothing is sent to
    /// its author or followers: rejected, hidden by moderation, merged into another (whose answers
    /// its followers get), or sent back to the author for changes. Left so for the retention
    /// period, it loses its author's contact and its follows.
    pub const LEFT_ASIDE: &'static [Self] = &[
        Self::Rejected,
        Self::Hidden,
        Self::Merged,
        Self::ChangesRequested,
    ];

    /// Answered for good: implemented, or declined with its reasons. Left so for the retention
    /// period, it loses its author's contact (the author was told; followers keep following).
    pub const SETTLED: &'static [Self] = &[Self::Implemented, Self::Declined];

    /// The states a public proposal can be moved to by moderation: it may still be in the
    /// search index until its removal has been applied.
    pub const WITHDRAWN: &'static [Self] = &[Self::Hidden, Self::Merged, Self::Rejected];

    /// Steps an answering editor or moderator may take on a published proposal.
    pub const ANSWERS: &'static [Self] = &[
        Self::UnderReview,
        Self::Accepted,
        Self::Implemented,
        Self::Declined,
    ];

    /// A declined proposal needs a public justification.
    pub fn needs_justification(self) -> bool {
        self == Self::Declined
    }

    /// Waiting for a moderator's decision.
    pub fn awaits_moderation(self) -> bool {
        matches!(self, Self::Submitted)
    }

    /// The author confirmed the address: an unconfirmed proposal goes to moderation.
    pub fn confirm(self) -> Option<Self> {
        (self == Self::Unconfirmed).then_some(Self::Submitted)
    }

    /// The author revised a proposal moderation asked changes for: it goes back to the queue.
    pub fn revise(self) -> Option<Self> {
        (self == Self::ChangesRequested).then_some(Self::Submitted)
    }

    /// The state a moderation step leads to from this one, or `None` when the step is not possible.
    pub fn moderate(self, step: ModerationStep) -> Option<Self> {
        let open = self.is_public() || self == Self::Submitted;
        match (step, self) {
            (ModerationStep::Publish, Self::Submitted | Self::Hidden) => Some(Self::Published),
            (ModerationStep::RequestChanges, Self::Submitted) => Some(Self::ChangesRequested),
            (ModerationStep::Reject, Self::Submitted) => Some(Self::Rejected),
            (ModerationStep::Hide, _) if open => Some(Self::Hidden),
            (ModerationStep::Merge, _) if open => Some(Self::Merged),
            _ => None,
        }
    }

    /// The state a hidden proposal returns to when a moderator publishes it again: the public
    /// state it had before it was hidden (an answered one stays answered), else published.
    pub fn restored(before_hiding: Option<Self>) -> Self {
        before_hiding
            .filter(|s| s.is_public())
            .unwrap_or(Self::Published)
    }

    /// Whether an answering editor may move a proposal in this state to `next` (or answer it again
    /// in the same state).
    pub fn can_answer_to(self, next: Self) -> bool {
        self.is_public() && Self::ANSWERS.contains(&next)
    }
}

/// What a moderator can do with a proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModerationStep {
    Publish,
    RequestChanges,
    Reject,
    Hide,
    Merge,
}

vocabulary!(
    /// How a proposal, booking or feedback reached the portal; the statistics count each.
    Channel, "error-channel-invalid", {
        Online => "online",
        Kiosk => "kiosk",
        Assisted => "assisted",
        Import => "import",
    }
);

pub const TITLE_MIN: usize = 5;
pub const TITLE_MAX: usize = 120;
pub const BODY_MIN: usize = 20;
pub const BODY_MAX: usize = 5000;
pub const NOTE_MAX: usize = 2000;
pub const ANSWER_MAX: usize = 5000;
const TOWN_MAX: usize = 80;
const CONTACT_MAX: usize = 200;
pub const SEARCH_MAX: usize = 200;

/// The common text rule (`text::clean`): what moderators read is what is stored.
fn clean(raw: &str, keep_newlines: bool) -> String {
    super::text::clean(
        raw,
        if keep_newlines {
            super::text::Lines::Multi
        } else {
            super::text::Lines::Single
        },
    )
}

fn bounded(
    raw: &str,
    keep_newlines: bool,
    min: usize,
    max: usize,
    missing: &'static str,
    too_short: &'static str,
    too_long: &'static str,
) -> Result<String, &'static str> {
    let text = clean(raw, keep_newlines);
    let length = text.chars().count();
    if length == 0 {
        Err(missing)
    } else if length < min {
        Err(too_short)
    } else if length > max {
        Err(too_long)
    } else {
        Ok(text)
    }
}

/// A proposal's title: one line, 5 to 120 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalTitle(String);

impl ProposalTitle {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        bounded(
            raw,
            false,
            TITLE_MIN,
            TITLE_MAX,
            "error-proposal-title-missing",
            "error-proposal-title-too-short",
            "error-proposal-title-too-long",
        )
        .map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A proposal's text: 20 to 5000 characters, line breaks kept. Links and markup stay plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalBody(String);

impl ProposalBody {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        bounded(
            raw,
            true,
            BODY_MIN,
            BODY_MAX,
            "error-proposal-text-missing",
            "error-proposal-text-too-short",
            "error-proposal-text-too-long",
        )
        .map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A moderator's note, justification or official answer: required, bounded, plain text.
pub fn statement(raw: &str, max: usize) -> Result<String, &'static str> {
    bounded(
        raw,
        true,
        1,
        max,
        "error-statement-missing",
        "error-statement-missing",
        "error-statement-too-long",
    )
}

fn optional_line(
    raw: &str,
    max: usize,
    too_long: &'static str,
) -> Result<Option<String>, &'static str> {
    let text = clean(raw, false);
    if text.is_empty() {
        Ok(None)
    } else if text.chars().count() > max {
        Err(too_long)
    } else {
        Ok(Some(text))
    }
}

/// The town or village a proposal is about: optional, one line of at most 80 characters.
pub fn town(raw: &str) -> Result<Option<String>, &'static str> {
    optional_line(raw, TOWN_MAX, "error-town-too-long")
}

/// The hand-in form as sent.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct ProposalForm {
    pub titel: String,
    pub text: String,
    pub kategorie: String,
    pub kreis: String,
    pub ort: String,
    pub kontakt: String,
    pub email: String,
    /// Staff entry only: the dialogue event (offer id) where the idea was collected.
    pub veranstaltung: String,
}

/// A proposal ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalDraft {
    pub title: ProposalTitle,
    pub body: ProposalBody,
    pub category: ProposalCategory,
    pub district: DistrictKey,
    pub town: Option<String>,
    pub contact: Option<String>,
    /// Needed to confirm a proposal handed in without an account.
    pub email: Option<Email>,
    /// The dialogue event where the idea was collected (checked against the offers by the service).
    pub event: Option<i32>,
}

/// Who fills in the proposal form, which decides what it asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalEntry {
    /// Handed in without an account: the address is asked, to confirm the proposal.
    AskingAddress,
    /// Signed in (the account's address is the author's), revising one's own, or at a kiosk (where
    /// nothing personal is kept): the form has no address field, and an address sent anyway is not
    /// read, since an error about it would point at nothing.
    WithoutAddress,
    /// Staff typing in someone's idea: an address if the person left one, and the dialogue event
    /// where it was collected.
    Staff,
}

impl ProposalForm {
    pub fn parse(&self, entry: ProposalEntry) -> Result<ProposalDraft, FieldErrors> {
        let mut errors = FieldErrors::default();
        let title = errors.check("titel", ProposalTitle::parse(&self.titel));
        let body = errors.check("text", ProposalBody::parse(&self.text));
        let category = errors.check(
            "kategorie",
            match self.kategorie.trim() {
                "" => Err("error-category-missing"),
                raw => ProposalCategory::parse(raw),
            },
        );
        let district = errors.check(
            "kreis",
            match self.kreis.trim() {
                "" => Err("error-district-missing"),
                raw => DistrictKey::parse(raw),
            },
        );
        let town = errors.check("ort", town(&self.ort));
        let contact = errors.check(
            "kontakt",
            optional_line(&self.kontakt, CONTACT_MAX, "error-contact-too-long"),
        );
        let event = if entry == ProposalEntry::Staff {
            errors.check(
                "veranstaltung",
                optional(&self.veranstaltung, |raw| {
                    raw.parse::<i32>().map_err(|_| "error-event-invalid")
                }),
            )
        } else {
            Some(None)
        };
        let email = match entry {
            ProposalEntry::AskingAddress => {
                errors.check("email", Email::parse(&self.email)).map(Some)
            }
            ProposalEntry::Staff if !self.email.trim().is_empty() => {
                errors.check("email", Email::parse(&self.email)).map(Some)
            }
            ProposalEntry::Staff | ProposalEntry::WithoutAddress => Some(None),
        };
        match (title, body, category, district, town, contact, email, event) {
            (
                Some(title),
                Some(body),
                Some(category),
                Some(district),
                Some(town),
                Some(contact),
                Some(email),
                Some(event),
            ) if errors.is_empty() => Ok(ProposalDraft {
                title,
                body,
                category,
                district,
                town,
                contact,
                email,
                event,
            }),
            _ => Err(errors),
        }
    }
}

/// The search form as sent (GET, bookmarkable); every field may be empty or nonsense.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct ProposalSearchForm {
    pub q: String,
    pub kategorie: String,
    pub kreis: String,
    pub status: String,
    pub sortierung: String,
    pub seite: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProposalSort {
    #[default]
    Relevance,
    Newest,
    MostSupported,
}

impl ProposalSort {
    pub fn key(self) -> &'static str {
        match self {
            Self::Relevance => "relevanz",
            Self::Newest => "neueste",
            Self::MostSupported => "unterstuetzung",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        match raw.trim() {
            "" | "relevanz" | "relevance" => Ok(Self::Relevance),
            "neueste" | "newest" => Ok(Self::Newest),
            "unterstuetzung" | "supports" => Ok(Self::MostSupported),
            _ => Err("error-sort-invalid"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProposalFilter {
    pub text: String,
    pub category: Option<ProposalCategory>,
    pub district: Option<DistrictKey>,
    pub status: Option<ProposalStatus>,
    pub sort: ProposalSort,
    /// Zero-based.
    pub page: u32,
}

pub const MAX_SEARCH_PAGE: u32 = 500;

impl ProposalSearchForm {
    pub fn parse(&self) -> Result<ProposalFilter, FieldErrors> {
        let mut errors = FieldErrors::default();
        let text = clean(&self.q, false);
        if text.chars().count() > SEARCH_MAX {
            errors.add("q", "error-proposal-search-too-long");
        }
        let category = errors.check(
            "kategorie",
            optional(&self.kategorie, ProposalCategory::parse),
        );
        let district = errors.check("kreis", optional(&self.kreis, DistrictKey::parse));
        let status = errors.check(
            "status",
            optional(&self.status, ProposalStatus::parse).and_then(|s| match s {
                Some(s) if !s.is_public() => Err("error-status-invalid"),
                other => Ok(other),
            }),
        );
        let sort = errors.check("sortierung", ProposalSort::parse(&self.sortierung));
        let page = errors.check(
            "seite",
            match self.seite.trim() {
                "" => Ok(1),
                raw => raw
                    .parse::<u32>()
                    .ok()
                    .filter(|p| (1..=MAX_SEARCH_PAGE).contains(p))
                    .ok_or("error-result-page-invalid"),
            },
        );
        match (category, district, status, sort, page) {
            (Some(category), Some(district), Some(status), Some(sort), Some(page))
                if errors.is_empty() =>
            {
                Ok(ProposalFilter {
                    text,
                    category,
                    district,
                    status,
                    sort,
                    page: page - 1,
                })
            }
            _ => Err(errors),
        }
    }
}

/// What the database fallback and the `search_text` column hold: lower-cased title, text and answer.
pub fn search_text(title: &str, body: &str, answer: Option<&str>) -> String {
    format!(
        "{}\n{}\n{}",
        title.to_lowercase(),
        body.to_lowercase(),
        answer.unwrap_or_default().to_lowercase()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn form() -> ProposalForm {
        ProposalForm {
            titel: "Mehr WLAN im Rathaus".into(),
            text: "Im Bürgerbüro gibt es kein offenes WLAN für die Wartenden.".into(),
            kategorie: "internet-mobilfunk".into(),
            kreis: "16068".into(),
            ..ProposalForm::default()
        }
    }

    #[test]
    fn a_complete_form_parses() {
        let draft = form().parse(ProposalEntry::WithoutAddress).unwrap();
        assert_eq!(draft.title.as_str(), "Mehr WLAN im Rathaus");
        assert_eq!(draft.category, ProposalCategory::Connectivity);
        assert_eq!(draft.email, None);
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = ProposalForm {
            titel: "Hi".into(),
            text: " ".into(),
            kategorie: "unbekannt".into(),
            kreis: "".into(),
            ort: "x".repeat(81),
            kontakt: String::new(),
            email: "keine-adresse".into(),
            veranstaltung: "drei".into(),
        };
        assert_eq!(
            bad.parse(ProposalEntry::Staff)
                .unwrap_err()
                .for_field("veranstaltung"),
            Some("error-event-invalid")
        );
        let errors = bad.parse(ProposalEntry::AskingAddress).unwrap_err();
        assert_eq!(
            errors.for_field("veranstaltung"),
            None,
            "not the person's field"
        );
        assert_eq!(
            errors.for_field("titel"),
            Some("error-proposal-title-too-short")
        );
        assert_eq!(
            errors.for_field("text"),
            Some("error-proposal-text-missing")
        );
        assert_eq!(
            errors.for_field("kategorie"),
            Some("error-category-invalid")
        );
        assert_eq!(errors.for_field("kreis"), Some("error-district-missing"));
        assert_eq!(errors.for_field("ort"), Some("error-town-too-long"));
        assert_eq!(errors.for_field("email"), Some("error-email-invalid"));
    }

    #[test]
    fn an_address_is_needed_without_an_account() {
        assert_eq!(
            form()
                .parse(ProposalEntry::AskingAddress)
                .unwrap_err()
                .for_field("email"),
            Some("error-email-missing")
        );
    }

    #[test]
    fn invisible_and_control_characters_are_dropped() {
        let title = ProposalTitle::parse("  Mehr\u{200B} WLAN\u{202E} bitte\u{0007} ").unwrap();
        assert_eq!(title.as_str(), "Mehr WLAN bitte");
        let body =
            ProposalBody::parse("Zeile eins\r\nZeile zwei <b>fett</b> https://x.example").unwrap();
        assert_eq!(
            body.as_str(),
            "Zeile eins\nZeile zwei <b>fett</b> https://x.example"
        );
    }

    #[test]
    fn states_round_trip_and_old_german_keys_still_parse() {
        for status in ProposalStatus::ALL {
            assert_eq!(ProposalStatus::parse(status.key()), Ok(*status));
            assert!(status.key().is_ascii());
        }
        assert_eq!(
            ProposalStatus::parse("veroeffentlicht"),
            Ok(ProposalStatus::Published)
        );
        assert_eq!(
            ProposalStatus::parse("in-pruefung"),
            Ok(ProposalStatus::UnderReview)
        );
        assert_eq!(ProposalStatus::Published.key(), "published");
        assert_eq!(
            ProposalStatus::parse("irgendwas"),
            Err("error-status-invalid")
        );
    }

    #[test]
    fn authors_confirm_and_revise_only_from_their_states() {
        use ProposalStatus::*;
        assert_eq!(Unconfirmed.confirm(), Some(Submitted));
        assert_eq!(Submitted.confirm(), None);
        assert_eq!(ChangesRequested.revise(), Some(Submitted));
        for s in ProposalStatus::ALL
            .iter()
            .filter(|s| **s != ChangesRequested)
        {
            assert_eq!(s.revise(), None, "{s}");
        }
    }

    #[test]
    fn a_restored_proposal_returns_to_its_public_state() {
        use ProposalStatus::*;
        for &s in ProposalStatus::PUBLIC {
            assert_eq!(ProposalStatus::restored(Some(s)), s, "{s}");
        }
        assert_eq!(ProposalStatus::restored(Some(Submitted)), Published);
        assert_eq!(ProposalStatus::restored(None), Published);
    }

    #[test]
    fn moderation_steps() {
        use ModerationStep::*;
        use ProposalStatus::*;
        assert_eq!(Submitted.moderate(Publish), Some(Published));
        assert_eq!(Hidden.moderate(Publish), Some(Published));
        assert_eq!(Published.moderate(Publish), None);
        assert_eq!(Submitted.moderate(RequestChanges), Some(ChangesRequested));
        assert_eq!(Published.moderate(RequestChanges), None);
        assert_eq!(Submitted.moderate(Reject), Some(Rejected));
        assert_eq!(Accepted.moderate(Reject), None);
        for s in ProposalStatus::PUBLIC.iter().chain([&Submitted]) {
            assert_eq!(s.moderate(Hide), Some(Hidden), "{s}");
            assert_eq!(s.moderate(Merge), Some(Merged), "{s}");
        }
        for s in [Unconfirmed, ChangesRequested, Rejected, Hidden, Merged] {
            assert_eq!(s.moderate(Hide), None, "{s}");
            assert_eq!(s.moderate(Merge), None, "{s}");
        }
    }

    #[test]
    fn answers_move_public_proposals_only() {
        use ProposalStatus::*;
        assert!(Published.can_answer_to(UnderReview));
        assert!(UnderReview.can_answer_to(Declined));
        assert!(Accepted.can_answer_to(Accepted));
        assert!(!Published.can_answer_to(Published));
        assert!(!Published.can_answer_to(Hidden));
        assert!(!Submitted.can_answer_to(Accepted));
        assert!(!Hidden.can_answer_to(Accepted));
    }

    #[test]
    fn search_form_rejects_hidden_states_and_bad_pages() {
        let form = ProposalSearchForm {
            status: "hidden".into(),
            seite: "0".into(),
            ..ProposalSearchForm::default()
        };
        let errors = form.parse().unwrap_err();
        assert_eq!(errors.for_field("status"), Some("error-status-invalid"));
        assert_eq!(errors.for_field("seite"), Some("error-result-page-invalid"));
    }

    proptest! {
        #[test]
        fn titles_that_parse_are_within_bounds(raw in "\\PC{0,200}") {
            if let Ok(title) = ProposalTitle::parse(&raw) {
                let n = title.as_str().chars().count();
                prop_assert!((TITLE_MIN..=TITLE_MAX).contains(&n));
                prop_assert!(!title.as_str().chars().any(|c| c.is_control()));
            }
        }

        #[test]
        fn the_search_form_never_panics(q in "\\PC{0,300}", page in "\\PC{0,6}") {
            let _ = ProposalSearchForm { q, seite: page, ..ProposalSearchForm::default() }.parse();
        }
    }
}
