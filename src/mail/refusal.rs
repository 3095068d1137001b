//! Whom a mail server's permanent refusal (SMTP 5xx) concerns: this mail (its recipient, mailbox or
//! content), which is given up after a few tries and shown to staff as undeliverable, or the portal
//! itself (its login, its address on a blocklist, a relay the server does not allow), which every
//! mail would meet alike until the operator mends it, so none is given up for it.
//!
//! The reply does not say at which step of the conversation it came (login, sender, recipient,
//! content), so its codes decide. Where it has an enhanced status code (RFC 3463, sent by every
//! common server): class 1 (addressing), 2 (mailbox), 3 (mail system: too large) and 4 (routing to
//! the recipient's domain) and 6 (content) are the mail's; 5 (protocol) and 7 (security and policy:
//! login, relay, blocklists) are the portal's. Without one (or with the unspecific class 0), the
//! basic code: 550, 551, 552 and 553 ("mailbox unavailable", "user not local", "storage exceeded",
//! "mailbox name not allowed") are the mail's; the rest (530 and 535 at login, 554 at the greeting
//! of a blocked host, 5.0x syntax) the portal's.

/// Whether the permanent refusal `reply` (`550`, and its text) concerns only this mail.
pub fn concerns_the_mail(code: &str, text: &str) -> bool {
    match enhanced_class(text) {
        Some(b'1' | b'2' | b'3' | b'4' | b'6') => true,
        Some(b'5' | b'7') => false,
        _ => matches!(code, "550" | "551" | "552" | "553"),
    }
}

/// The class digit of the first enhanced status code (`5.1.1`) in `text`.
fn enhanced_class(text: &str) -> Option<u8> {
    text.split_whitespace().find_map(|word| {
        let mut parts = word.split('.');
        let (class, subject, detail) = (parts.next()?, parts.next()?, parts.next()?);
        let digits = |part: &str, most: usize| {
            !part.is_empty() && part.len() <= most && part.bytes().all(|b| b.is_ascii_digit())
        };
        (parts.next().is_none()
            && matches!(class, "4" | "5")
            && digits(subject, 1)
            && digits(detail, 3))
        .then(|| subject.as_bytes()[0])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recipient_s_refusals_concern_the_mail() {
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
                "550",
                "5.2.1 The email account that you tried to reach is disabled.",
            ),
            (
                "552",
                "5.3.4 Message size exceeds fixed maximum message size",
            ),
            ("554", "5.4.4 Unable to route: no mail hosts for domain"),
            ("554", "5.6.0 Message content rejected"),
            // No enhanced code: the basic code's meaning.
            ("550", "Requested action not taken: mailbox unavailable"),
            (
                "553",
                "sorry, that domain isn't in my list of allowed rcpthosts",
            ),
            ("550", "5.0.0 <x@example.de>... User unknown"),
        ] {
            assert!(concerns_the_mail(code, text), "{code} {text}");
        }
    }

    #[test]
    fn refusals_of_the_portal_itself_do_not() {
        for (code, text) in [
            ("535", "5.7.8 Username and Password not accepted."),
            ("535", "Authentication credentials invalid"),
            ("530", "5.7.0 Must issue a STARTTLS command first."),
            (
                "554",
                "5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
            ),
            ("550", "5.7.1 Relaying denied"),
            ("554", "Transaction failed"),
            ("501", "5.5.4 Syntax error in parameters"),
            ("500", "Command unrecognized"),
        ] {
            assert!(!concerns_the_mail(code, text), "{code} {text}");
        }
    }

    #[test]
    fn only_a_code_of_three_parts_counts_as_enhanced() {
        // A version number or an address in the text is no status code.
        assert!(concerns_the_mail("550", "mailbox 1.2.3.4 unavailable"));
        assert!(!concerns_the_mail("554", "rejected by 5.7 policy 5.1.1.1"));
        assert_eq!(enhanced_class("4.2.0 try later"), Some(b'2'));
        assert_eq!(enhanced_class("x 5.12.1 y"), None);
    }
}
