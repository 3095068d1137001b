//! The closed vocabularies of offers: topics, target groups, levels, kinds, and the states of offers
//! and their dates.
vocabulary!(
    /// The subject of a course or event.
    Topic, "error-topic-invalid", {
        SmartphoneBasics => "smartphone-grundlagen",
        TabletBasics => "tablet-grundlagen",
        VideoCalls => "videotelefonie",
        PayingOnline => "sicher-online-bezahlen",
        SafeOnline => "sicher-im-netz",
        GovernmentOnline => "behoerdengaenge-online",
        AiInEverydayLife => "ki-im-alltag",
        PhotosAndMessaging => "fotos-und-nachrichten",
        Participation => "beteiligung-vor-ort",
    }
);

vocabulary!(
    /// Whom an offer is meant for; everyone is welcome to any offer.
    TargetGroup, "error-target-group-invalid", {
        Everyone => "alle",
        Seniors => "senioren",
        Women => "frauen",
        Youth => "jugendliche",
        PeopleWithDisabilities => "menschen-mit-behinderung",
    }
);

vocabulary!(
    Level, "error-level-invalid", {
        Beginners => "einsteiger",
        Advanced => "fortgeschrittene",
    }
);

stored_vocabulary!(
    /// Courses teach; dialogue events collect what people think. Both share dates and booking.
    /// The German keys after `|` are those stored before the keys became English; addresses keep
    /// their German words (`/kurse`, `/veranstaltungen`).
    OfferKind, "error-kind-invalid", {
        Course => "course" | "kurs",
        Dialogue => "dialogue" | "dialog",
    }
);

impl OfferKind {
    /// Where the public pages of offers of this kind live.
    pub fn path(self) -> &'static str {
        match self {
            Self::Course => "/kurse",
            Self::Dialogue => "/veranstaltungen",
        }
    }

    /// The public page of an offer of this kind.
    pub fn page_of(self, slug: &str) -> String {
        format!("{}/{slug}", self.path())
    }
}

stored_vocabulary!(
    /// Whether an offer is being prepared, shown in the catalogue, or ended for good.
    OfferStatus, "error-status-invalid", {
        Draft => "draft",
        Published => "published",
        Cancelled => "cancelled",
    }
);

impl OfferStatus {
    /// Only published offers are shown and booked.
    pub fn is_public(self) -> bool {
        self == Self::Published
    }

    /// Whether staff may move an offer in this state to `next`: a draft is published, a published
    /// offer withdrawn, a cancelled one reopened as a draft, and any offer cancelled. A cancelled
    /// offer is never published straight away (its dates are cancelled; a button left on an
    /// older page would show it again); staying as it is is no change.
    pub fn may_become(self, next: Self) -> bool {
        use OfferStatus::*;
        self == next
            || matches!(
                (self, next),
                (Draft, Published) | (Published, Draft) | (Cancelled, Draft) | (_, Cancelled)
            )
    }
}

stored_vocabulary!(
    /// Whether a date takes place.
    DateStatus, "error-status-invalid", {
        Scheduled => "scheduled",
        Cancelled => "cancelled",
    }
);

impl DateStatus {
    pub fn is_cancelled(self) -> bool {
        self == Self::Cancelled
    }
}

vocabulary!(
    /// Support a dialogue event offers; more can be asked for.
    Support, "error-support-invalid", {
        SignLanguage => "gebaerdensprache",
        HearingLoop => "hoerschleife",
        Companion => "begleitung",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies_round_trip() {
        for topic in Topic::ALL {
            assert_eq!(Topic::parse(topic.key()), Ok(*topic));
        }
        for group in TargetGroup::ALL {
            assert_eq!(TargetGroup::parse(group.key()), Ok(*group));
        }
        assert_eq!(Topic::parse("kochen"), Err("error-topic-invalid"));
    }

    #[test]
    fn kinds_and_states_round_trip_and_old_german_kinds_still_parse() {
        for kind in OfferKind::ALL {
            assert_eq!(OfferKind::parse(kind.key()), Ok(*kind));
        }
        assert_eq!(OfferKind::parse("kurs"), Ok(OfferKind::Course));
        assert_eq!(OfferKind::parse("dialog"), Ok(OfferKind::Dialogue));
        assert_eq!(
            OfferKind::Dialogue.page_of("rathaus"),
            "/veranstaltungen/rathaus"
        );
        for status in OfferStatus::ALL {
            assert_eq!(OfferStatus::parse(status.key()), Ok(*status));
            assert_eq!(status.is_public(), *status == OfferStatus::Published);
        }
        for status in DateStatus::ALL {
            assert_eq!(DateStatus::parse(status.key()), Ok(*status));
        }
        assert!(DateStatus::Cancelled.is_cancelled());
        assert!(!DateStatus::Scheduled.is_cancelled());
    }

    #[test]
    fn a_cancelled_offer_is_reopened_as_a_draft_before_it_is_published() {
        use OfferStatus::*;
        assert!(Draft.may_become(Published));
        assert!(Published.may_become(Draft));
        assert!(Cancelled.may_become(Draft));
        assert!(!Cancelled.may_become(Published));
        for status in OfferStatus::ALL {
            assert!(status.may_become(Cancelled));
            assert!(status.may_become(*status));
        }
    }
}
