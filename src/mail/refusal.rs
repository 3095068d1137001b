//! Whom a mail server's permanent refusal (SMTP 5xx) concerns: the portal itself (its login, its
//! sender address, the server's own state), which every mail would meet alike until the operator
//! mends it, so none is given up for it; or, as far as the reply tells, this mail.
//!
//! The reply does not say at which step of the conversation it came (login, sender, recipient,
//! content), and servers word and number the same refusal differently: a relay not allowed or a
//! blocklisted host is `550`, `553` or `554`, with `5.7.1` or no enhanced status code at all. So only
//! the refusals that cannot be about a recipient are the portal's here; the sender gives up any
//! other only once the server has taken a mail queued after it (see `mail::Sender`), which a server
//! that refuses everything has not.

/// Whether the permanent refusal `code` (`535`) with `text` is about the portal, not this mail: a
/// login refused or required (530, 534, 535, 538; enhanced 5.7.8, 5.7.9, 5.7.11), a command the
/// server does not take (5.5.x, or 500–504 without an enhanced code), the sender's address (5.1.7,
/// 5.1.8), the server's own system (5.3.x but 5.3.4, a message too large) or its sending limit
/// (5.4.5).
pub fn concerns_the_portal(code: &str, text: &str) -> bool {
    // A refused or missing login is the portal's whatever the enhanced code says.
    if matches!(code, "530" | "534" | "535" | "538") {
        return true;
    }
    // Otherwise the enhanced code is the more precise (`501 5.1.3`: a recipient's address the
    // server cannot take); only without one does the basic code decide.
    match enhanced(text) {
        Some((subject, detail)) => {
            matches!(
                (subject, detail),
                (5, _) | (7, 8 | 9 | 11) | (1, 7 | 8) | (4, 5)
            ) || (subject == 3 && detail != 4)
        }
        None => matches!(code, "500" | "501" | "502" | "503" | "504"),
    }
}

/// The subject and detail of the first enhanced status code (`5.1.1`, also in qmail's `(#5.7.1)`)
/// in `text`.
fn enhanced(text: &str) -> Option<(u8, u16)> {
    text.split_whitespace().find_map(|word| {
        let word = word.trim_matches(|c: char| !c.is_ascii_digit());
        let mut parts = word.split('.');
        let (class, subject, detail) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || !matches!(class, "4" | "5") {
            return None;
        }
        let number = |part: &str, most: usize| {
            (!part.is_empty() && part.len() <= most && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse::<u16>().ok())
                .flatten()
        };
        Some((u8::try_from(number(subject, 1)?).ok()?, number(detail, 3)?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_of_the_portal_itself() {
        for (code, text) in [
            ("535", "5.7.8 Username and Password not accepted."),
            ("535", "Authentication credentials invalid"),
            ("530", "5.7.0 Must issue a STARTTLS command first."),
            ("550", "5.7.8 Authentication failed"),
            (
                "553",
                "5.1.8 <portal@example.de>: Sender address rejected: Domain not found",
            ),
            ("550", "5.1.7 Invalid sender address"),
            ("550", "5.4.5 Daily user sending limit exceeded."),
            ("554", "5.3.5 System incorrectly configured"),
            ("501", "5.5.4 Syntax error in parameters"),
            ("554", "5.5.1 Error: no valid recipients"),
            ("500", "Command unrecognized"),
        ] {
            assert!(concerns_the_portal(code, text), "{code} {text}");
        }
    }

    /// These may be the recipient's, or a relay or blocklist worded like it: the sender's evidence
    /// (another mail delivered since) decides.
    #[test]
    fn other_refusals_may_concern_the_mail() {
        for (code, text) in [
            (
                "550",
                "5.1.1 <x@example.de>: Recipient address rejected: User unknown",
            ),
            (
                "550",
                "5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found",
            ),
            (
                "552",
                "5.2.2 The email account that you tried to reach is over quota.",
            ),
            (
                "552",
                "5.3.4 Message size exceeds fixed maximum message size",
            ),
            ("554", "5.4.4 Unable to route: no mail hosts for domain"),
            (
                "554",
                "5.7.1 <x@example.de>: Recipient address rejected: Access denied",
            ),
            ("550", "5.7.1 Relaying denied"),
            ("550", "Requested action not taken: mailbox unavailable"),
            ("501", "5.1.3 Bad recipient address syntax"),
            (
                "553",
                "sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",
            ),
            ("554", "Transaction failed"),
        ] {
            assert!(!concerns_the_portal(code, text), "{code} {text}");
        }
    }

    #[test]
    fn only_a_code_of_three_parts_counts_as_enhanced() {
        // A version number or an address in the text is no status code.
        assert_eq!(enhanced("mailbox 1.2.3.4 unavailable"), None);
        assert_eq!(enhanced("rejected by 5.7 policy 5.1.1.1"), None);
        assert_eq!(enhanced("x 5.12.1 y"), None);
        assert_eq!(enhanced("4.2.0 try later"), Some((2, 0)));
        assert_eq!(enhanced("allowed rcpthosts (#5.7.1)"), Some((7, 1)));
        assert_eq!(enhanced("5.1.10 not found"), Some((1, 10)));
    }
}
