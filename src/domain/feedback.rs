//! The short feedback form after a course date or dialogue event. Anonymous by design: nothing in it
//! names a person, and it is stored without any link to a booking.
use super::{FieldErrors, form::first_value, offer::Topic};

/// The five competence areas of the EU's DigComp 2.2 framework, for the self-assessment of confidence
/// before and after; form fields are `vorher_<key>` and `nachher_<key>`.
pub const COMPETENCE_AREAS: [&str; 5] = [
    "information",
    "kommunikation",
    "inhalte",
    "sicherheit",
    "problemloesung",
];

const TEXT_MAX: usize = 2000;

/// Where a feedback form was filled in; the statistics count each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedbackChannel {
    /// The single-use link mailed after the date.
    Online,
    /// The printed QR code of a date.
    Qr,
    Kiosk,
    /// A paper form typed in by staff.
    Paper,
}

impl FeedbackChannel {
    pub fn key(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Qr => "qr",
            Self::Kiosk => "kiosk",
            Self::Paper => "paper",
        }
    }
}

/// How many forms a date's printed code takes, for the `people` who could have been there: as many
/// again as a fifth of them (at least three) for companions, a second device or a form sent twice.
pub fn qr_form_limit(people: i64) -> i64 {
    let people = people.max(0);
    people + ((people + 4) / 5).max(3)
}

/// Self-assessed confidence from 1 (not at all sure) to 5 (very sure), per competence area.
pub type Confidence = [Option<i16>; 5];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackInput {
    /// 1 (poor) to 5 (very good).
    pub rating: i16,
    pub helped: Option<String>,
    pub missing: Option<String>,
    pub topics_wanted: Vec<Topic>,
    pub free_text: Option<String>,
    pub before: Confidence,
    pub after: Confidence,
}

fn text(raw: Option<&str>) -> Result<Option<String>, &'static str> {
    let value = super::text::multiline(raw.unwrap_or_default());
    if value.chars().count() > TEXT_MAX {
        Err("error-feedback-text-too-long")
    } else if value.is_empty() {
        Ok(None)
    } else {
        Ok(Some(value))
    }
}

fn scale(raw: Option<&str>) -> Result<Option<i16>, &'static str> {
    match raw.map(str::trim).unwrap_or_default() {
        "" => Ok(None),
        value => value
            .parse::<i16>()
            .ok()
            .filter(|n| (1..=5).contains(n))
            .map(Some)
            .ok_or("error-feedback-scale-invalid"),
    }
}

impl FeedbackInput {
    /// Parses the posted form as name/value pairs (checkbox groups repeat a name).
    pub fn parse(fields: &[(String, String)]) -> Result<Self, FieldErrors> {
        let get = |name: &str| first_value(fields, name);
        let mut errors = FieldErrors::default();
        let rating = errors.check(
            "bewertung",
            match scale(get("bewertung")) {
                Ok(None) => Err("error-feedback-rating-missing"),
                Ok(Some(n)) => Ok(n),
                Err(e) => Err(e),
            },
        );
        let helped = errors.check("geholfen", text(get("geholfen")));
        let missing = errors.check("gefehlt", text(get("gefehlt")));
        let free_text = errors.check("anmerkungen", text(get("anmerkungen")));
        let topics_wanted = errors.check(
            "themen",
            fields
                .iter()
                .filter(|(k, _)| k == "themen")
                .map(|(_, v)| Topic::parse(v))
                .collect::<Result<Vec<_>, _>>(),
        );
        let mut before: Confidence = [None; 5];
        let mut after: Confidence = [None; 5];
        // Field names are static so errors can point at them.
        const BEFORE: [&str; 5] = [
            "vorher_information",
            "vorher_kommunikation",
            "vorher_inhalte",
            "vorher_sicherheit",
            "vorher_problemloesung",
        ];
        const AFTER: [&str; 5] = [
            "nachher_information",
            "nachher_kommunikation",
            "nachher_inhalte",
            "nachher_sicherheit",
            "nachher_problemloesung",
        ];
        for i in 0..COMPETENCE_AREAS.len() {
            before[i] = errors.check(BEFORE[i], scale(get(BEFORE[i]))).flatten();
            after[i] = errors.check(AFTER[i], scale(get(AFTER[i]))).flatten();
        }
        match (rating, helped, missing, free_text, topics_wanted) {
            (Some(rating), Some(helped), Some(missing), Some(free_text), Some(mut topics))
                if errors.is_empty() =>
            {
                topics.dedup();
                Ok(Self {
                    rating,
                    helped,
                    missing,
                    topics_wanted: topics,
                    free_text,
                    before,
                    after,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_code_takes_the_people_and_a_fifth_more_at_least_three() {
        assert_eq!(qr_form_limit(0), 3);
        assert_eq!(qr_form_limit(1), 4);
        assert_eq!(qr_form_limit(15), 18);
        assert_eq!(qr_form_limit(16), 20);
        assert_eq!(qr_form_limit(50), 60);
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_rating_is_all_that_is_required() {
        let input = FeedbackInput::parse(&pairs(&[("bewertung", "4")])).unwrap();
        assert_eq!(input.rating, 4);
        assert_eq!(input.before, [None; 5]);
        assert!(input.topics_wanted.is_empty());
    }

    #[test]
    fn every_answer_is_read() {
        let input = FeedbackInput::parse(&pairs(&[
            ("bewertung", "5"),
            ("geholfen", " Die Geduld "),
            ("themen", "videotelefonie"),
            ("themen", "sicher-im-netz"),
            ("vorher_sicherheit", "2"),
            ("nachher_sicherheit", "4"),
        ]))
        .unwrap();
        assert_eq!(input.helped.as_deref(), Some("Die Geduld"));
        assert_eq!(input.topics_wanted, [Topic::VideoCalls, Topic::SafeOnline]);
        assert_eq!(input.before[3], Some(2));
        assert_eq!(input.after[3], Some(4));
    }

    #[test]
    fn wrong_values_are_named() {
        let errors = FeedbackInput::parse(&pairs(&[
            ("bewertung", "7"),
            ("themen", "kochen"),
            ("vorher_information", "0"),
            ("anmerkungen", &"x".repeat(2001)),
        ]))
        .unwrap_err();
        assert_eq!(
            errors.for_field("bewertung"),
            Some("error-feedback-scale-invalid")
        );
        assert_eq!(errors.for_field("themen"), Some("error-topic-invalid"));
        assert_eq!(
            errors.for_field("vorher_information"),
            Some("error-feedback-scale-invalid")
        );
        assert_eq!(
            errors.for_field("anmerkungen"),
            Some("error-feedback-text-too-long")
        );
        assert_eq!(
            FeedbackInput::parse(&[])
                .unwrap_err()
                .for_field("bewertung"),
            Some("error-feedback-rating-missing")
        );
    }

    proptest! {
        #[test]
        fn any_posted_form_parses_or_names_its_fields(
            fields in proptest::collection::vec(("[a-z_]{1,12}", "\\PC{0,30}"), 0..20)
        ) {
            match FeedbackInput::parse(&fields) {
                Ok(input) => prop_assert!((1..=5).contains(&input.rating)),
                Err(errors) => prop_assert!(!errors.is_empty()),
            }
        }
    }
}
