//! The route table: every page and form of the portal, declared once with its path, its handlers
//! by method, who may use it and its rate limit. The actix configuration is built from it: each
//! resource carries its entry, so [`require_access`] enforces the declared permission before a
//! handler runs without matching the path again. The authorization, CSRF and completeness tests
//! iterate over [`TABLE`], so a new route cannot be missed: a route without an access rule does not
//! compile, and a public form without a rate limit fails a test below. Record-level rules ("this
//! organisation's course", "nobody approves their own hours") stay with the use case, which asks
//! `policy.rs`.
use std::{collections::HashMap, sync::LazyLock};

use actix_web::{
    Error, ResponseError,
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    middleware::{Next, from_fn},
    web,
};

use super::{
    api,
    errors::WebError,
    handlers::{
        account, admin, alerts, auth, barrier_report, booking, courses, export, feedback, home,
        impact, kiosk, offer_admin, operations, proposal_admin, proposals, terminals, venues,
        volunteering,
    },
    session, submission,
    throttling::{Bucket, Per, Throttle},
};
use crate::{domain::account::CurrentUser, policy, services::throttle};

/// Who may use a route.
#[derive(Clone, Copy)]
pub enum Access {
    /// Anyone.
    Public,
    /// Anyone holding the secret in the address or the link (a mail, a printed code, a feed):
    /// names the path parameter that holds it (`token` for `{token}`), or the query parameter of a
    /// mailed link. The access log masks it.
    SecretLink(&'static str),
    /// A signed-in person with this permission from `policy.rs` (its name, and the function).
    Permission(&'static str, fn(Option<&CurrentUser>) -> bool),
}

/// One path with its methods.
pub struct Route {
    pub path: &'static str,
    /// Lower-case method names (`get`, `post`); every `post` changes state and needs the form token.
    pub methods: &'static [&'static str],
    pub access: Access,
    /// The rate limit its form's handler takes (see `throttling`).
    pub throttle: Option<&'static Throttle>,
}

impl Route {
    pub fn changes_state(&self) -> bool {
        self.methods.contains(&"post")
    }
}

macro_rules! permission {
    ($name:ident) => {
        Access::Permission(stringify!($name), policy::$name)
    };
}

macro_rules! route_table {
    (@throttle) => { None };
    (@throttle $throttle:ident) => { Some(&$throttle) };
    ($( $path:literal { $( $method:ident : $handler:path ),+ } $access:expr $(, $throttle:ident)? ; )*) => {
        /// Every route of the HTML portal, in matching order (a fixed path before a parameter).
        pub static TABLE: &[Route] = &[
            $( Route {
                path: $path,
                methods: &[ $( stringify!($method) ),+ ],
                access: $access,
                throttle: route_table!(@throttle $($throttle)?),
            } ),*
        ];

        /// Registers every route of [`TABLE`]; one resource per path, so a wrong method gets 405.
        /// Each resource holds its entry (read by [`require_access`] and the handlers) and checks
        /// access before the form-submission middleware claims a form.
        pub fn register(cfg: &mut web::ServiceConfig) {
            let mut table = TABLE.iter();
            $( {
                let route: &'static Route = table.next().expect("one entry per registered route");
                cfg.service(
                    web::resource($path)
                        .app_data(route)
                        $( .route(web::$method().to($handler)) )+
                        .wrap(from_fn(submission::middleware))
                        .wrap(from_fn(require_access)),
                );
            } )*
        }
    };
}

macro_rules! throttle {
    ($( ($kind:literal, $per:ident, $limit:ident) ),+ ; $shown_at:expr) => {
        Throttle {
            buckets: &[ $( Bucket { kind: $kind, per: Per::$per, limit: throttle::$limit } ),+ ],
            shown_at: $shown_at,
        }
    };
}

// The rate limits of the forms below: (bucket, counted per, limit); where the refusal is shown.
/// Shared with the JSON API's booking, so a client has one allowance for both.
pub const BOOKING: Throttle =
    throttle!(("booking-address", Address, BOOKING_PER_ADDRESS); Some(("name", "error-throttled")));
const ALERT_SIGNUP: Throttle = throttle!(
    ("alert-address", Address, ALERT_SIGNUPS_PER_ADDRESS),
    ("alert-recipient", Email, ALERT_MAILS_PER_RECIPIENT);
    Some(("email", "error-throttled"))
);
/// Counted by the use case, inside the transaction that stores the form; refused with a page.
const FEEDBACK_CODE: Throttle =
    throttle!(("feedback-code-address", Address, CODE_FORMS_PER_ADDRESS); None);
const PROPOSAL: Throttle = throttle!(("proposal-address", Address, PROPOSALS_PER_ADDRESS); Some(("titel", "error-throttled")));
// Supports, follows and reports share one allowance per address: each may send a mail.
// Support and follow links also count per recipient, shared too.
const PROPOSAL_SUPPORT: Throttle = throttle!(
    ("proposal-mail", Address, PROPOSAL_MAILS_PER_ADDRESS),
    ("proposal-recipient", Email, PROPOSAL_MAILS_PER_RECIPIENT);
    Some(("email", "error-throttled"))
);
const PROPOSAL_FOLLOW: Throttle = throttle!(
    ("proposal-mail", Address, PROPOSAL_MAILS_PER_ADDRESS),
    ("proposal-recipient", Email, PROPOSAL_MAILS_PER_RECIPIENT);
    Some(("follow-email", "error-throttled"))
);
const PROPOSAL_REPORT: Throttle = throttle!(("proposal-mail", Address, PROPOSAL_MAILS_PER_ADDRESS); Some(("grund", "error-throttled")));
const BARRIER_REPORT: Throttle = throttle!(("report-address", Address, REPORT_PER_ADDRESS); Some(("description", "error-throttled")));
const LOGIN: Throttle = throttle!(
    ("login-account", EmailFromAddress, LOGIN_PER_ACCOUNT),
    ("login-account-anywhere", Email, LOGIN_PER_ACCOUNT_ANYWHERE),
    ("login-address", Address, LOGIN_PER_ADDRESS);
    Some(("email", "error-throttled"))
);
const REGISTER: Throttle = throttle!(
    ("register-address", Address, REGISTER_PER_ADDRESS),
    ("register-recipient", Email, REGISTER_PER_RECIPIENT);
    Some(("email", "error-throttled"))
);
/// A limited request gets the same answer as any other: the page must not tell whether the address
/// has an account.
const PASSWORD_RESET: Throttle = throttle!(
    ("reset-account", Email, RESET_PER_ACCOUNT),
    ("reset-address", Address, RESET_PER_ADDRESS);
    None
);
/// Each request checks the password, so a hijacked session must not try it without limit.
const EMAIL_CHANGE: Throttle = throttle!(("email-change", Account, EMAIL_CHANGE_PER_ACCOUNT); Some(("email", "error-throttled")));
const KIOSK_PAIRING: Throttle = throttle!(("kiosk-pairing", Address, KIOSK_PAIRING_PER_ADDRESS); Some(("code", "error-pairing-throttled")));
const KIOSK_BOOKING: Throttle = throttle!(("kiosk-booking", Terminal, KIOSK_BOOKINGS_PER_TERMINAL); Some(("name", "error-kiosk-throttled")));
const KIOSK_PROPOSAL: Throttle = throttle!(("kiosk-proposal", Terminal, KIOSK_PROPOSALS_PER_TERMINAL); Some(("titel", "error-kiosk-throttled")));
const KIOSK_ALERT: Throttle = throttle!(("kiosk-alert", Terminal, KIOSK_ALERTS_PER_TERMINAL); Some(("email", "error-kiosk-throttled")));

use Access::{Public, SecretLink};

route_table! {
    "/" { get: home::show } Public;
    "/health" { get: operations::health } Public;
    "/ready" { get: operations::ready } Public;
    "/sitemap.xml" { get: operations::sitemap } Public;
    "/robots.txt" { get: operations::robots } Public;
    "/orte" { get: venues::list } Public;
    "/orte/{slug}" { get: venues::show } Public;
    "/kurse" { get: courses::list } Public;
    "/kurse/programm" { get: courses::programme } Public;
    "/kurse/{slug}" { get: courses::show } Public;
    "/kurse/{slug}/termine/{date_id}/buchen" { get: booking::form, post: booking::submit } Public, BOOKING;
    "/veranstaltungen" { get: courses::events } Public;
    "/veranstaltungen/{slug}" { get: courses::event } Public;
    "/veranstaltungen/{slug}/termine/{date_id}/buchen" { get: booking::form, post: booking::submit } Public, BOOKING;
    "/kalender/termin/{id}.ics" { get: courses::date_ics } Public;
    "/kalender/{kind}/{key}.ics" { get: courses::feed } Public;
    "/kalender/{section}.ics" { get: alerts::feed } Public;
    "/benachrichtigung" { get: alerts::signup_form, post: alerts::signup } Public, ALERT_SIGNUP;
    "/benachrichtigung/gesendet" { get: alerts::sent } Public;
    "/benachrichtigung/bestaetigen/{token}" { get: alerts::confirm_form, post: alerts::confirm } SecretLink("token");
    "/benachrichtigung/abmelden/{token}" { get: alerts::unsubscribe_form, post: alerts::unsubscribe } SecretLink("token");
    "/rueckmeldung/termin/{date_id}/{code}" { get: feedback::code_form, post: feedback::code_submit } SecretLink("code"), FEEDBACK_CODE;
    // Before `/rueckmeldung/{token}`, which would take `danke` for a token.
    "/rueckmeldung/danke" { get: feedback::thanks } Public;
    "/rueckmeldung/{token}" { get: feedback::invited_form, post: feedback::invited_submit } SecretLink("token");
    "/vorschlaege" { get: proposals::list } Public;
    "/vorschlaege/neu" { get: proposals::new_form, post: proposals::hand_in } Public, PROPOSAL;
    "/vorschlaege/eingereicht" { get: proposals::submitted } Public;
    "/vorschlaege/eigene/{token}" { get: proposals::own, post: proposals::revise } SecretLink("token");
    "/vorschlaege/eigene/{token}/bestaetigen" { post: proposals::confirm_own } SecretLink("token");
    "/vorschlaege/unterstuetzen/{token}" { get: proposals::support_confirm_form, post: proposals::support_confirm } SecretLink("token");
    "/vorschlaege/folgen/{token}" { get: proposals::follow_confirm_form, post: proposals::follow_confirm } SecretLink("token");
    "/vorschlaege/abmelden/{token}" { get: proposals::unfollow_form, post: proposals::unfollow } SecretLink("token");
    "/vorschlaege/{id}" { get: proposals::show } Public;
    "/vorschlaege/{id}/unterstuetzen" { post: proposals::support } Public, PROPOSAL_SUPPORT;
    "/vorschlaege/{id}/folgen" { post: proposals::follow } Public, PROPOSAL_FOLLOW;
    "/vorschlaege/{id}/melden" { get: proposals::report_form, post: proposals::report } Public, PROPOSAL_REPORT;
    "/buchung/{token}" { get: booking::manage } SecretLink("token");
    "/buchung/{token}/termin.ics" { get: booking::ics } SecretLink("token");
    "/buchung/{token}/absagen" { post: booking::cancel } SecretLink("token");
    "/buchung/{token}/angebot" { post: booking::answer_offer } SecretLink("token");
    "/barriere-melden" { get: barrier_report::form, post: barrier_report::submit } Public, BARRIER_REPORT;
    "/barriere-melden/danke" { get: barrier_report::thanks } Public;
    "/anmelden" { get: auth::login_form, post: auth::login } Public, LOGIN;
    "/abmelden" { post: auth::logout } Public;
    "/registrieren" { get: auth::register_form, post: auth::register } Public, REGISTER;
    "/registrieren/gesendet" { get: auth::register_sent } Public;
    "/konto/bestaetigen" { get: auth::confirm_form, post: auth::confirm } SecretLink("token");
    "/passwort-vergessen" { get: auth::forgot_form, post: auth::forgot } Public, PASSWORD_RESET;
    "/passwort-vergessen/gesendet" { get: auth::forgot_sent } Public;
    "/passwort-neu" { get: auth::reset_form, post: auth::reset } SecretLink("token");
    // Protected pages: every path here has a row in tests/api/authorization.rs.
    "/konto" { get: account::overview } permission!(can_use_account);
    "/konto/daten" { get: account::download } permission!(can_use_account);
    "/konto/sprache" { post: account::set_language } permission!(can_use_account);
    "/konto/benachrichtigungen/{id}/loeschen" { post: alerts::remove_own } permission!(can_use_account);
    "/konto/loeschen" { get: account::delete_form, post: account::delete } permission!(can_use_account);
    "/konto/geloescht" { get: account::deleted } Public;
    "/konto/email" { get: account::email_form, post: account::change_email } permission!(can_use_account), EMAIL_CHANGE;
    "/konto/email-bestaetigen" { get: account::confirm_email_form, post: account::confirm_email } SecretLink("token");
    "/verwaltung" { get: admin::index } permission!(can_open_back_office);
    "/verwaltung/nutzer" { get: admin::users } permission!(can_manage_users);
    "/verwaltung/nutzer/{id}" { get: admin::user } permission!(can_manage_users);
    "/verwaltung/nutzer/{id}/rollen" { post: admin::grant } permission!(can_manage_users);
    "/verwaltung/nutzer/{id}/rollen/{role_id}/entziehen" { post: admin::revoke } permission!(can_manage_users);
    "/verwaltung/angebote" { get: offer_admin::list } permission!(can_manage_offers);
    "/verwaltung/angebote/neu" { get: offer_admin::new_form, post: offer_admin::create } permission!(can_manage_offers);
    "/verwaltung/angebote/{id}" { get: offer_admin::edit_form, post: offer_admin::update } permission!(can_manage_offers);
    "/verwaltung/angebote/{id}/status" { post: offer_admin::set_status } permission!(can_manage_offers);
    "/verwaltung/angebote/{id}/absagen" { post: offer_admin::cancel_offer } permission!(can_manage_offers);
    "/verwaltung/angebote/{id}/kopieren" { post: offer_admin::copy } permission!(can_manage_offers);
    "/verwaltung/angebote/{id}/termine/neu" { get: offer_admin::new_date_form, post: offer_admin::add_date } permission!(can_manage_offers);
    "/verwaltung/termine/{id}" { get: offer_admin::show_date } permission!(can_manage_offers);
    "/verwaltung/termine/{id}/bearbeiten" { get: offer_admin::edit_date_form, post: offer_admin::change_date } permission!(can_manage_offers);
    "/verwaltung/termine/{id}/folgetermin" { get: offer_admin::new_session_form, post: offer_admin::add_session } permission!(can_manage_offers);
    "/verwaltung/termine/{id}/absagen" { post: offer_admin::cancel_date } permission!(can_manage_offers);
    "/verwaltung/termine/{id}/buchen" { post: offer_admin::staff_booking } permission!(can_manage_offers);
    "/verwaltung/termine/{id}/anwesenheit" { post: offer_admin::attendance } permission!(can_manage_offers);
    "/verwaltung/termine/{id}/teilnehmende.csv" { get: offer_admin::participants_csv } permission!(can_manage_offers);
    "/verwaltung/termine/{id}/rueckmeldungen" { get: feedback::paper_form, post: feedback::paper_submit } permission!(can_manage_offers);
    "/verwaltung/termine/{id}/rueckmeldung-qr" { get: feedback::qr_sheet } permission!(can_manage_offers);
    "/verwaltung/buchungen/{id}/beleg" { get: offer_admin::receipt } permission!(can_manage_offers);
    "/verwaltung/buchungen/{id}/stornieren" { post: offer_admin::cancel_booking } permission!(can_manage_offers);
    "/verwaltung/buchungen/{id}/adresse" { get: offer_admin::address_form, post: offer_admin::correct_address } permission!(can_manage_offers);
    "/verwaltung/unzustellbar" { get: admin::undeliverable_mail } permission!(can_view_audit_log);
    "/verwaltung/unzustellbar/erneut" { post: admin::send_all_mail_again } permission!(can_resend_mail);
    "/verwaltung/unzustellbar/{id}/erneut" { post: admin::send_mail_again } permission!(can_resend_mail);
    "/verwaltung/export" { get: export::index, post: export::request } permission!(can_export);
    "/verwaltung/export/{id}" { get: export::job } permission!(can_export);
    "/verwaltung/export/{id}/zip" { get: export::download } permission!(can_export);
    "/verwaltung/aufgaben" { get: offer_admin::tasks } permission!(can_manage_offers);
    "/verwaltung/benachrichtigung" { get: alerts::staff_form, post: alerts::staff_create } permission!(can_manage_offers);
    "/verwaltung/aufgaben/{id}/erledigt" { post: offer_admin::complete_task } permission!(can_manage_offers);
    "/verwaltung/vorschlaege" { get: proposal_admin::index } permission!(can_answer_proposals);
    "/verwaltung/vorschlaege/erfassen" { get: proposal_admin::assisted_form, post: proposal_admin::assisted } permission!(can_enter_assisted_proposals);
    "/verwaltung/vorschlaege/meldungen/{id}/erledigt" { post: proposal_admin::resolve_report } permission!(can_answer_proposals);
    "/verwaltung/vorschlaege/{id}" { get: proposal_admin::show } permission!(can_answer_proposals);
    "/verwaltung/vorschlaege/{id}/moderation" { post: proposal_admin::moderate } permission!(can_answer_proposals);
    "/verwaltung/vorschlaege/{id}/antwort" { post: proposal_admin::answer } permission!(can_answer_proposals);
    "/verwaltung/einsaetze" { get: volunteering::planning::list } permission!(can_coordinate_volunteers);
    "/verwaltung/einsaetze/neu" { get: volunteering::planning::new_form, post: volunteering::planning::create } permission!(can_coordinate_volunteers);
    "/verwaltung/einsaetze/{id}" { get: volunteering::session::show } permission!(can_open_sessions);
    "/verwaltung/einsaetze/{id}/bearbeiten" { get: volunteering::planning::edit_form, post: volunteering::planning::update } permission!(can_coordinate_volunteers);
    "/verwaltung/einsaetze/{id}/absagen" { post: volunteering::planning::cancel } permission!(can_coordinate_volunteers);
    "/verwaltung/einsaetze/{id}/liste" { get: volunteering::session::print } permission!(can_open_sessions);
    "/verwaltung/einsaetze/{id}/anwesenheit" { post: volunteering::session::attendance } permission!(can_open_sessions);
    "/verwaltung/einsaetze/{id}/bericht" { post: volunteering::session::report } permission!(can_open_sessions);
    "/verwaltung/einsaetze/{id}/stunden" { post: volunteering::session::hours } permission!(can_open_sessions);
    "/verwaltung/stunden" { get: volunteering::hours::hours_overview } permission!(can_coordinate_volunteers);
    "/verwaltung/stunden.csv" { get: volunteering::hours::hours_csv } permission!(can_coordinate_volunteers);
    "/verwaltung/stunden/{id}" { post: volunteering::hours::decide_hours } permission!(can_coordinate_volunteers);
    "/verwaltung/stunden/person/{id}" { get: volunteering::hours::month_sheet } permission!(can_coordinate_volunteers);
    "/freiwillige" { get: volunteering::volunteers::mine } permission!(can_volunteer);
    "/freiwillige/einsaetze" { get: volunteering::volunteers::open } permission!(can_volunteer);
    "/freiwillige/einsaetze/{id}/anmelden" { post: volunteering::volunteers::sign_up } permission!(can_volunteer);
    "/freiwillige/einsaetze/{id}/abmelden" { post: volunteering::volunteers::withdraw } permission!(can_volunteer);
    "/freiwillige/kalender" { post: volunteering::volunteers::renew_feed } permission!(can_volunteer);
    "/freiwillige/kalender/sperren" { post: volunteering::volunteers::revoke_feed } permission!(can_volunteer);
    "/freiwillige/kalender/{token}" { get: volunteering::volunteers::feed } SecretLink("token");
    "/freiwillige/stunden" { get: volunteering::volunteers::hours } permission!(can_volunteer);
    "/freiwillige/stunden.csv" { get: volunteering::volunteers::hours_csv } permission!(can_volunteer);
    "/verwaltung/wirkung" { get: impact::show } permission!(can_view_impact);
    "/verwaltung/protokoll" { get: admin::audit_log } permission!(can_view_audit_log);
    "/verwaltung/barrieren" { get: admin::barrier_reports } permission!(can_view_barrier_reports);
    "/verwaltung/barrieren/{id}/kontakt-loeschen" { post: admin::forget_barrier_contact } permission!(can_view_barrier_reports);
    "/verwaltung/terminals" { get: terminals::list, post: terminals::register } permission!(can_manage_terminals);
    "/verwaltung/terminals/{id}/sperren" { post: terminals::revoke } permission!(can_manage_terminals);
    // Kiosk terminals: every answer under /kiosk is `no-store` (see `kiosk::no_store`).
    "/kiosk" { get: kiosk::start } Public;
    "/kiosk/koppeln" { post: kiosk::pair } Public, KIOSK_PAIRING;
    "/kiosk/kurse" { get: kiosk::courses } Public;
    "/kiosk/kurse/{date_id}/buchen" { get: kiosk::booking_form, post: kiosk::book } Public, KIOSK_BOOKING;
    "/kiosk/beleg" { get: kiosk::receipt } Public;
    "/kiosk/rueckmeldung" { get: kiosk::feedback_dates } Public;
    "/kiosk/rueckmeldung/{date_id}" { get: kiosk::feedback_form, post: kiosk::feedback_submit } Public;
    "/kiosk/vorschlag" { get: kiosk::proposal_form, post: kiosk::proposal_submit } Public, KIOSK_PROPOSAL;
    "/kiosk/benachrichtigung" { get: kiosk::alert_form, post: kiosk::alert_submit } Public, KIOSK_ALERT;
    "/kiosk/danke/{what}" { get: kiosk::thanks } Public;
    "/kiosk/leichte-sprache" { get: kiosk::easy_language } Public;
    "/kiosk/hilfe" { get: kiosk::help } Public;
}

/// The secret parameter of a route pattern: the table's secret links and the API's
/// ([`api::SECRET_LINKS`]), for the access log.
pub fn secret_parameter(pattern: &str) -> Option<&'static str> {
    static SECRETS: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| {
        TABLE
            .iter()
            .filter_map(|route| match route.access {
                Access::SecretLink(name) => Some((route.path, name)),
                _ => None,
            })
            .chain(api::SECRET_LINKS.iter().copied())
            .collect()
    });
    SECRETS.get(pattern).copied()
}

/// Where the secret links begin: each secret link route's path up to its first parameter (the
/// whole path where the secret travels in the query), for robots.txt.
pub fn secret_link_prefixes() -> Vec<&'static str> {
    let mut prefixes: Vec<&'static str> = TABLE
        .iter()
        .filter(|route| matches!(route.access, Access::SecretLink(_)))
        .map(|route| &route.path[..route.path.find('{').unwrap_or(route.path.len())])
        .collect();
    prefixes.sort_unstable();
    prefixes.dedup();
    // "/buchung/" covers "/buchung/x/absagen" too: only the shortest of each family is listed.
    let all = prefixes.clone();
    prefixes.retain(|p| {
        !all.iter()
            .any(|q| q != p && q.ends_with('/') && p.starts_with(q))
    });
    prefixes
}

/// The table's entry of the route a request was routed to (set on its resource by [`register`]).
pub fn route_of(req: &actix_web::HttpRequest) -> Option<&'static Route> {
    req.app_data::<&'static Route>().copied()
}

/// Enforces the declared permission of the resource's route: without a session the person is sent
/// to sign in (and back), signed in without the permission they get 403. Runs inside the session
/// middleware, before a submitted form is claimed.
pub async fn require_access(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if let Some(Route {
        access: Access::Permission(_, allowed),
        ..
    }) = route_of(req.request())
    {
        let session = session::state_of(req.request());
        let refusal = match session.user.as_ref() {
            Some(user) if allowed(Some(user)) => None,
            Some(_) => Some(WebError::Forbidden),
            None => Some(WebError::LoginRequired(
                req.uri()
                    .path_and_query()
                    .map_or_else(|| req.path().to_owned(), |p| p.as_str().to_owned()),
            )),
        };
        if let Some(refusal) = refusal {
            // An answer, not an `Err`: the error-page middleware around this one renders answers.
            return Ok(req
                .into_response(refusal.error_response())
                .map_into_right_body());
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Public forms without a rate limit, and why they need none.
    const UNTHROTTLED: &[(&str, &str)] = &[
        ("/abmelden", "signs out: stores and sends nothing"),
        (
            "/kiosk/rueckmeldung/{date_id}",
            "only from a paired terminal, about a recent date in its venue",
        ),
    ];

    #[test]
    fn every_parameter_named_like_a_secret_is_a_secret_link() {
        for route in TABLE {
            for name in ["token", "code"] {
                if route.path.contains(&format!("{{{name}}}")) {
                    assert!(
                        matches!(route.access, Access::SecretLink(secret) if secret == name),
                        "{}: its {{{name}}} grants access, so the route is SecretLink({name:?})",
                        route.path
                    );
                }
            }
        }
    }

    #[test]
    fn every_public_form_has_a_rate_limit() {
        let public_forms = TABLE
            .iter()
            .filter(|route| matches!(route.access, Access::Public) && route.changes_state());
        for route in public_forms {
            let exempt = UNTHROTTLED.iter().any(|(path, _)| *path == route.path);
            assert!(
                route.throttle.is_some() != exempt,
                "{}: a public form declares a throttle, or is listed in UNTHROTTLED with a reason",
                route.path
            );
        }
    }
}
