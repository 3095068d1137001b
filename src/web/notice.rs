//! Confirmation after a back-office action (the GOV.UK success notification banner): the action
//! redirects with `?erledigt=<what>`, and the page it leads to says what happened and, where it can
//! be undone, how. Only the names listed here are shown, so a link cannot put text on a page.
use actix_web::HttpResponse;

/// The query parameter that carries what was done.
pub const PARAM: &str = "erledigt";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Done {
    OfferCreated,
    OfferSaved,
    OfferPublished,
    OfferWithdrawn,
    OfferCancelled,
    OfferCopied,
    DateAdded,
    SessionAdded,
    DateChanged,
    DateMoved,
    DateCancelled,
    AttendanceSaved,
    BookingCancelled,
    AddressCorrected,
    MailSentAgain,
    NothingToSendAgain,
    TaskCompleted,
    ProposalPublished,
    ProposalChangesRequested,
    ProposalRejected,
    ProposalHidden,
    ProposalMerged,
    AnswerSaved,
    ReportResolved,
    BarrierContactErased,
    ShiftCreated,
    ShiftSaved,
    ShiftCancelled,
    ShiftAttendanceSaved,
    HoursDecided,
    RoleGranted,
    RoleRevoked,
    MailLanguageSaved,
    AlertCreated,
    AlertRemoved,
    AlertRequested,
    AccountConfirmed,
}

impl Done {
    pub const ALL: [Done; 37] = [
        Self::OfferCreated,
        Self::OfferSaved,
        Self::OfferPublished,
        Self::OfferWithdrawn,
        Self::OfferCancelled,
        Self::OfferCopied,
        Self::DateAdded,
        Self::SessionAdded,
        Self::DateChanged,
        Self::DateMoved,
        Self::DateCancelled,
        Self::AttendanceSaved,
        Self::BookingCancelled,
        Self::AddressCorrected,
        Self::MailSentAgain,
        Self::NothingToSendAgain,
        Self::TaskCompleted,
        Self::ProposalPublished,
        Self::ProposalChangesRequested,
        Self::ProposalRejected,
        Self::ProposalHidden,
        Self::ProposalMerged,
        Self::AnswerSaved,
        Self::ReportResolved,
        Self::BarrierContactErased,
        Self::ShiftCreated,
        Self::ShiftSaved,
        Self::ShiftCancelled,
        Self::ShiftAttendanceSaved,
        Self::HoursDecided,
        Self::RoleGranted,
        Self::RoleRevoked,
        Self::MailLanguageSaved,
        Self::AlertCreated,
        Self::AlertRemoved,
        Self::AlertRequested,
        Self::AccountConfirmed,
    ];

    /// The value in the address; the banner's texts are `done-<name>` and, where the action can be
    /// undone, `done-<name>-undo` in the translation catalogue.
    pub fn name(self) -> &'static str {
        match self {
            Self::OfferCreated => "angebot-angelegt",
            Self::OfferSaved => "angebot-gespeichert",
            Self::OfferPublished => "angebot-veroeffentlicht",
            Self::OfferWithdrawn => "angebot-zurueckgezogen",
            Self::OfferCancelled => "angebot-abgesagt",
            Self::OfferCopied => "angebot-kopiert",
            Self::DateAdded => "termin-angelegt",
            Self::SessionAdded => "sitzung-angelegt",
            Self::DateChanged => "termin-geaendert",
            Self::DateMoved => "termin-verschoben",
            Self::DateCancelled => "termin-abgesagt",
            Self::AttendanceSaved => "anwesenheit",
            Self::BookingCancelled => "buchung-storniert",
            Self::AddressCorrected => "adresse-korrigiert",
            Self::MailSentAgain => "erneut-gesendet",
            Self::NothingToSendAgain => "nichts-erneut-zu-senden",
            Self::TaskCompleted => "aufgabe-erledigt",
            Self::ProposalPublished => "veroeffentlicht",
            Self::ProposalChangesRequested => "aenderung-erbeten",
            Self::ProposalRejected => "zurueckgewiesen",
            Self::ProposalHidden => "verborgen",
            Self::ProposalMerged => "zusammengefuehrt",
            Self::AnswerSaved => "antwort-gespeichert",
            Self::ReportResolved => "meldung-erledigt",
            Self::BarrierContactErased => "kontakt-geloescht",
            Self::ShiftCreated => "einsatz-angelegt",
            Self::ShiftSaved => "einsatz-gespeichert",
            Self::ShiftCancelled => "einsatz-abgesagt",
            Self::ShiftAttendanceSaved => "einsatz-anwesenheit",
            Self::HoursDecided => "stunden-entschieden",
            Self::RoleGranted => "rolle-vergeben",
            Self::RoleRevoked => "rolle-entzogen",
            Self::MailLanguageSaved => "sprache-gespeichert",
            Self::AlertCreated => "benachrichtigung-eingerichtet",
            Self::AlertRemoved => "benachrichtigung-entfernt",
            Self::AlertRequested => "benachrichtigung-angefragt",
            Self::AccountConfirmed => "konto-bestaetigt",
        }
    }

    /// Whether the banner also says how to undo the action.
    pub fn can_be_undone(self) -> bool {
        matches!(
            self,
            Self::OfferPublished
                | Self::OfferWithdrawn
                | Self::ProposalPublished
                | Self::ProposalHidden
                | Self::AttendanceSaved
                | Self::ShiftAttendanceSaved
                | Self::AnswerSaved
                | Self::RoleGranted
                | Self::RoleRevoked
        )
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.name() == name)
    }
}

/// Post/redirect/get to `location`, whose page then confirms `done`.
pub fn see_other_done(location: &str, done: Done) -> HttpResponse {
    super::handlers::see_other(with_done(location, done))
}

/// `location` with the parameter added to its query, before any `#fragment`.
fn with_done(location: &str, done: Done) -> String {
    let (path, fragment) = match location.split_once('#') {
        Some((path, fragment)) => (path, Some(fragment)),
        None => (location, None),
    };
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut out = format!("{path}{separator}{PARAM}={}", done.name());
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        for done in Done::ALL {
            assert_eq!(Done::from_name(done.name()), Some(done));
        }
        let mut names: Vec<_> = Done::ALL.iter().map(|d| d.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Done::ALL.len());
        assert_eq!(Done::from_name("<script>"), None);
    }

    #[test]
    fn the_parameter_goes_before_the_fragment_and_after_a_query() {
        assert_eq!(
            with_done("/verwaltung/termine/3#teilnehmende", Done::AttendanceSaved),
            "/verwaltung/termine/3?erledigt=anwesenheit#teilnehmende"
        );
        assert_eq!(
            with_done("/verwaltung/stunden?monat=2026-11", Done::HoursDecided),
            "/verwaltung/stunden?monat=2026-11&erledigt=stunden-entschieden"
        );
    }

    #[test]
    fn every_banner_text_is_translated() {
        for lang in ["de", "en"] {
            let ftl = std::fs::read_to_string(format!(
                "{}/content/locales/{lang}/main.ftl",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap();
            for done in Done::ALL {
                let key = format!("\ndone-{} =", done.name());
                assert!(ftl.contains(&key), "{lang}: {key}");
                let undo = format!("\ndone-{}-undo =", done.name());
                assert_eq!(ftl.contains(&undo), done.can_be_undone(), "{lang}: {undo}");
            }
        }
    }
}
