//! HTTP: routes, handlers, extractors and middleware.
pub mod access_log;
pub mod api;
pub mod assets;
pub mod errors;
pub mod handlers;
pub mod language;
pub mod notice;
pub mod page;
pub mod page_cache;
pub mod security_headers;
pub mod session;
pub mod spam;
pub mod state;
pub mod submission;

use actix_web::{
    Error, HttpResponse,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    error,
    http::{Method, header},
    middleware::{Next, from_fn},
    web,
};

use crate::services::content::PAGES;
use handlers::{
    account, admin, alerts, auth, barrier_report, booking, content_pages, courses, export,
    feedback, home, impact, kiosk, offer_admin, operations, proposal_admin, proposals, shifts,
    terminals, venues, volunteers,
};

/// Largest form body we accept; the longest field (a report) is 5,000 characters.
const FORM_LIMIT: usize = 64 * 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::FormConfig::default().limit(FORM_LIMIT))
        .app_data(web::PayloadConfig::default().limit(FORM_LIMIT))
        .app_data(web::QueryConfig::default().error_handler(|e, _| error::ErrorBadRequest(e)))
        .app_data(
            web::PathConfig::default().error_handler(|_, _| error::ErrorNotFound("not found")),
        )
        .configure(api::routes)
        .route("/", web::get().to(home::show))
        .route("/health", web::get().to(operations::health))
        .route("/ready", web::get().to(operations::ready))
        .route("/sitemap.xml", web::get().to(operations::sitemap))
        .route("/robots.txt", web::get().to(operations::robots))
        .route("/orte", web::get().to(venues::list))
        .route("/orte/{slug}", web::get().to(venues::show))
        .route("/kurse", web::get().to(courses::list))
        .route("/kurse/programm", web::get().to(courses::programme))
        .route("/kurse/{slug}", web::get().to(courses::show))
        .service(
            web::resource("/kurse/{slug}/termine/{date_id}/buchen")
                .route(web::get().to(booking::form))
                .route(web::post().to(booking::submit)),
        )
        .route("/veranstaltungen", web::get().to(courses::events))
        .route("/veranstaltungen/{slug}", web::get().to(courses::event))
        .service(
            web::resource("/veranstaltungen/{slug}/termine/{date_id}/buchen")
                .route(web::get().to(booking::form))
                .route(web::post().to(booking::submit)),
        )
        .route(
            "/kalender/termin/{id}.ics",
            web::get().to(courses::date_ics),
        )
        .route("/kalender/{kind}/{key}.ics", web::get().to(courses::feed))
        .route("/kalender/{section}.ics", web::get().to(alerts::feed))
        .service(
            web::resource("/benachrichtigung")
                .route(web::get().to(alerts::signup_form))
                .route(web::post().to(alerts::signup)),
        )
        .route("/benachrichtigung/gesendet", web::get().to(alerts::sent))
        .service(
            web::resource("/benachrichtigung/bestaetigen/{token}")
                .route(web::get().to(alerts::confirm_form))
                .route(web::post().to(alerts::confirm)),
        )
        .service(
            web::resource("/benachrichtigung/abmelden/{token}")
                .route(web::get().to(alerts::unsubscribe_form))
                .route(web::post().to(alerts::unsubscribe)),
        )
        .service(
            web::resource("/rueckmeldung/termin/{date_id}/{code}")
                .route(web::get().to(feedback::code_form))
                .route(web::post().to(feedback::code_submit)),
        )
        .service(
            web::resource("/rueckmeldung/{token}")
                .route(web::get().to(feedback::invited_form))
                .route(web::post().to(feedback::invited_submit)),
        )
        .route("/vorschlaege", web::get().to(proposals::list))
        .service(
            web::resource("/vorschlaege/neu")
                .route(web::get().to(proposals::new_form))
                .route(web::post().to(proposals::hand_in)),
        )
        .route(
            "/vorschlaege/eingereicht",
            web::get().to(proposals::submitted),
        )
        .service(
            web::resource("/vorschlaege/eigene/{token}")
                .route(web::get().to(proposals::own))
                .route(web::post().to(proposals::revise)),
        )
        .route(
            "/vorschlaege/eigene/{token}/bestaetigen",
            web::post().to(proposals::confirm_own),
        )
        .service(
            web::resource("/vorschlaege/unterstuetzen/{token}")
                .route(web::get().to(proposals::support_confirm_form))
                .route(web::post().to(proposals::support_confirm)),
        )
        .service(
            web::resource("/vorschlaege/folgen/{token}")
                .route(web::get().to(proposals::follow_confirm_form))
                .route(web::post().to(proposals::follow_confirm)),
        )
        .service(
            web::resource("/vorschlaege/abmelden/{token}")
                .route(web::get().to(proposals::unfollow_form))
                .route(web::post().to(proposals::unfollow)),
        )
        .route("/vorschlaege/{id}", web::get().to(proposals::show))
        .route(
            "/vorschlaege/{id}/unterstuetzen",
            web::post().to(proposals::support),
        )
        .route(
            "/vorschlaege/{id}/folgen",
            web::post().to(proposals::follow),
        )
        .service(
            web::resource("/vorschlaege/{id}/melden")
                .route(web::get().to(proposals::report_form))
                .route(web::post().to(proposals::report)),
        )
        .route("/buchung/{token}", web::get().to(booking::manage))
        .route("/buchung/{token}/termin.ics", web::get().to(booking::ics))
        .route("/buchung/{token}/absagen", web::post().to(booking::cancel))
        .route(
            "/buchung/{token}/angebot",
            web::post().to(booking::answer_offer),
        )
        .service(
            web::resource("/barriere-melden")
                .route(web::get().to(barrier_report::form))
                .route(web::post().to(barrier_report::submit)),
        )
        .route(
            "/barriere-melden/danke",
            web::get().to(barrier_report::thanks),
        )
        .service(
            web::resource("/anmelden")
                .route(web::get().to(auth::login_form))
                .route(web::post().to(auth::login)),
        )
        .route("/abmelden", web::post().to(auth::logout))
        .service(
            web::resource("/registrieren")
                .route(web::get().to(auth::register_form))
                .route(web::post().to(auth::register)),
        )
        .route("/registrieren/gesendet", web::get().to(auth::register_sent))
        .service(
            web::resource("/konto/bestaetigen")
                .route(web::get().to(auth::confirm_form))
                .route(web::post().to(auth::confirm)),
        )
        .service(
            web::resource("/passwort-vergessen")
                .route(web::get().to(auth::forgot_form))
                .route(web::post().to(auth::forgot)),
        )
        .route(
            "/passwort-vergessen/gesendet",
            web::get().to(auth::forgot_sent),
        )
        .service(
            web::resource("/passwort-neu")
                .route(web::get().to(auth::reset_form))
                .route(web::post().to(auth::reset)),
        )
        // Protected pages: every path here has a row in tests/api/authorization.rs.
        .route("/konto", web::get().to(account::overview))
        .route("/konto/daten", web::get().to(account::download))
        .service(
            web::resource("/konto/loeschen")
                .route(web::get().to(account::delete_form))
                .route(web::post().to(account::delete)),
        )
        .route("/konto/geloescht", web::get().to(account::deleted))
        .route(
            "/konto/benachrichtigungen/{id}/loeschen",
            web::post().to(alerts::remove_own),
        )
        .service(
            web::resource("/konto/email")
                .route(web::get().to(account::email_form))
                .route(web::post().to(account::change_email)),
        )
        .service(
            web::resource("/konto/email-bestaetigen")
                .route(web::get().to(account::confirm_email_form))
                .route(web::post().to(account::confirm_email)),
        )
        .route("/verwaltung", web::get().to(admin::index))
        .route("/verwaltung/nutzer", web::get().to(admin::users))
        .route("/verwaltung/nutzer/{id}", web::get().to(admin::user))
        .route(
            "/verwaltung/nutzer/{id}/rollen",
            web::post().to(admin::grant),
        )
        .route(
            "/verwaltung/nutzer/{id}/rollen/{role_id}/entziehen",
            web::post().to(admin::revoke),
        )
        .route("/verwaltung/angebote", web::get().to(offer_admin::list))
        .service(
            web::resource("/verwaltung/angebote/neu")
                .route(web::get().to(offer_admin::new_form))
                .route(web::post().to(offer_admin::create)),
        )
        .service(
            web::resource("/verwaltung/angebote/{id}")
                .route(web::get().to(offer_admin::edit_form))
                .route(web::post().to(offer_admin::update)),
        )
        .route(
            "/verwaltung/angebote/{id}/status",
            web::post().to(offer_admin::set_status),
        )
        .route(
            "/verwaltung/angebote/{id}/absagen",
            web::post().to(offer_admin::cancel_offer),
        )
        .route(
            "/verwaltung/angebote/{id}/kopieren",
            web::post().to(offer_admin::copy),
        )
        .service(
            web::resource("/verwaltung/angebote/{id}/termine/neu")
                .route(web::get().to(offer_admin::new_date_form))
                .route(web::post().to(offer_admin::add_date)),
        )
        .route(
            "/verwaltung/termine/{id}",
            web::get().to(offer_admin::show_date),
        )
        .service(
            web::resource("/verwaltung/termine/{id}/bearbeiten")
                .route(web::get().to(offer_admin::edit_date_form))
                .route(web::post().to(offer_admin::change_date)),
        )
        .service(
            web::resource("/verwaltung/termine/{id}/folgetermin")
                .route(web::get().to(offer_admin::new_session_form))
                .route(web::post().to(offer_admin::add_session)),
        )
        .route(
            "/verwaltung/termine/{id}/absagen",
            web::post().to(offer_admin::cancel_date),
        )
        .route(
            "/verwaltung/termine/{id}/buchen",
            web::post().to(offer_admin::staff_booking),
        )
        .route(
            "/verwaltung/termine/{id}/anwesenheit",
            web::post().to(offer_admin::attendance),
        )
        .route(
            "/verwaltung/termine/{id}/teilnehmende.csv",
            web::get().to(offer_admin::participants_csv),
        )
        .service(
            web::resource("/verwaltung/termine/{id}/rueckmeldungen")
                .route(web::get().to(feedback::paper_form))
                .route(web::post().to(feedback::paper_submit)),
        )
        .route(
            "/verwaltung/termine/{id}/rueckmeldung-qr",
            web::get().to(feedback::qr_sheet),
        )
        .route(
            "/verwaltung/buchungen/{id}/beleg",
            web::get().to(offer_admin::receipt),
        )
        .route(
            "/verwaltung/buchungen/{id}/stornieren",
            web::post().to(offer_admin::cancel_booking),
        )
        .service(
            web::resource("/verwaltung/buchungen/{id}/adresse")
                .route(web::get().to(offer_admin::address_form))
                .route(web::post().to(offer_admin::correct_address)),
        )
        .route(
            "/verwaltung/unzustellbar",
            web::get().to(admin::undeliverable_mail),
        )
        .service(
            web::resource("/verwaltung/export")
                .route(web::get().to(export::index))
                .route(web::post().to(export::request)),
        )
        .route("/verwaltung/export/{id}", web::get().to(export::job))
        .route(
            "/verwaltung/export/{id}/zip",
            web::get().to(export::download),
        )
        .service(
            web::resource("/verwaltung/benachrichtigung")
                .route(web::get().to(alerts::staff_form))
                .route(web::post().to(alerts::staff_create)),
        )
        .route("/verwaltung/aufgaben", web::get().to(offer_admin::tasks))
        .route(
            "/verwaltung/aufgaben/{id}/erledigt",
            web::post().to(offer_admin::complete_task),
        )
        .route(
            "/verwaltung/vorschlaege",
            web::get().to(proposal_admin::index),
        )
        .service(
            web::resource("/verwaltung/vorschlaege/erfassen")
                .route(web::get().to(proposal_admin::assisted_form))
                .route(web::post().to(proposal_admin::assisted)),
        )
        .route(
            "/verwaltung/vorschlaege/meldungen/{id}/erledigt",
            web::post().to(proposal_admin::resolve_report),
        )
        .route(
            "/verwaltung/vorschlaege/{id}",
            web::get().to(proposal_admin::show),
        )
        .route(
            "/verwaltung/vorschlaege/{id}/moderation",
            web::post().to(proposal_admin::moderate),
        )
        .route(
            "/verwaltung/vorschlaege/{id}/antwort",
            web::post().to(proposal_admin::answer),
        )
        .route("/verwaltung/einsaetze", web::get().to(shifts::list))
        .service(
            web::resource("/verwaltung/einsaetze/neu")
                .route(web::get().to(shifts::new_form))
                .route(web::post().to(shifts::create)),
        )
        .route("/verwaltung/einsaetze/{id}", web::get().to(shifts::show))
        .service(
            web::resource("/verwaltung/einsaetze/{id}/bearbeiten")
                .route(web::get().to(shifts::edit_form))
                .route(web::post().to(shifts::update)),
        )
        .route(
            "/verwaltung/einsaetze/{id}/absagen",
            web::post().to(shifts::cancel),
        )
        .route(
            "/verwaltung/einsaetze/{id}/liste",
            web::get().to(shifts::print),
        )
        .route(
            "/verwaltung/einsaetze/{id}/anwesenheit",
            web::post().to(shifts::attendance),
        )
        .route(
            "/verwaltung/einsaetze/{id}/bericht",
            web::post().to(shifts::report),
        )
        .route(
            "/verwaltung/einsaetze/{id}/stunden",
            web::post().to(shifts::hours),
        )
        .route("/verwaltung/stunden", web::get().to(shifts::hours_overview))
        .route("/verwaltung/stunden.csv", web::get().to(shifts::hours_csv))
        .route(
            "/verwaltung/stunden/{id}",
            web::post().to(shifts::decide_hours),
        )
        .route(
            "/verwaltung/stunden/person/{id}",
            web::get().to(shifts::month_sheet),
        )
        .route("/freiwillige", web::get().to(volunteers::mine))
        .route("/freiwillige/einsaetze", web::get().to(volunteers::open))
        .route(
            "/freiwillige/einsaetze/{id}/anmelden",
            web::post().to(volunteers::sign_up),
        )
        .route(
            "/freiwillige/einsaetze/{id}/abmelden",
            web::post().to(volunteers::withdraw),
        )
        .route(
            "/freiwillige/kalender",
            web::post().to(volunteers::renew_feed),
        )
        .route(
            "/freiwillige/kalender/sperren",
            web::post().to(volunteers::revoke_feed),
        )
        .route(
            "/freiwillige/kalender/{token}",
            web::get().to(volunteers::feed),
        )
        .route("/freiwillige/stunden", web::get().to(volunteers::hours))
        .route(
            "/freiwillige/stunden.csv",
            web::get().to(volunteers::hours_csv),
        )
        .route("/verwaltung/wirkung", web::get().to(impact::show))
        .route("/verwaltung/protokoll", web::get().to(admin::audit_log))
        .route(
            "/verwaltung/barrieren",
            web::get().to(admin::barrier_reports),
        )
        .service(
            web::resource("/verwaltung/terminals")
                .route(web::get().to(terminals::list))
                .route(web::post().to(terminals::register)),
        )
        .route(
            "/verwaltung/terminals/{id}/sperren",
            web::post().to(terminals::revoke),
        )
        // Kiosk terminals: every answer under /kiosk is `no-store` (see `kiosk::no_store`).
        .route("/kiosk", web::get().to(kiosk::start))
        .route("/kiosk/koppeln", web::post().to(kiosk::pair))
        .route("/kiosk/kurse", web::get().to(kiosk::courses))
        .service(
            web::resource("/kiosk/kurse/{date_id}/buchen")
                .route(web::get().to(kiosk::booking_form))
                .route(web::post().to(kiosk::book)),
        )
        .route("/kiosk/beleg", web::get().to(kiosk::receipt))
        .route("/kiosk/rueckmeldung", web::get().to(kiosk::feedback_dates))
        .service(
            web::resource("/kiosk/rueckmeldung/{date_id}")
                .route(web::get().to(kiosk::feedback_form))
                .route(web::post().to(kiosk::feedback_submit)),
        )
        .service(
            web::resource("/kiosk/vorschlag")
                .route(web::get().to(kiosk::proposal_form))
                .route(web::post().to(kiosk::proposal_submit)),
        )
        .service(
            web::resource("/kiosk/benachrichtigung")
                .route(web::get().to(kiosk::alert_form))
                .route(web::post().to(kiosk::alert_submit)),
        )
        .route("/kiosk/danke/{what}", web::get().to(kiosk::thanks))
        .route(
            "/kiosk/leichte-sprache",
            web::get().to(kiosk::easy_language),
        )
        .route("/kiosk/hilfe", web::get().to(kiosk::help));
    for slug in PAGES {
        cfg.route(&format!("/{slug}"), web::get().to(content_pages::show));
    }
}

pub async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().finish()
}

/// Static assets; templates link them with a content hash (see `assets`), which sets how long they
/// may be cached.
pub fn static_files(
    dir: std::path::PathBuf,
) -> actix_web::Scope<
    impl actix_web::dev::ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    web::scope("/static")
        .wrap(from_fn(assets::cache_control))
        .service(
            actix_files::Files::new("", dir)
                .use_etag(true)
                .use_last_modified(true)
                .mime_override(|_| header::DispositionType::Inline),
        )
}

/// `HEAD` answers like `GET` without the body (uptime monitors and link checkers use it): the request
/// is routed as a `GET`, and the HTTP layer, which saw the `HEAD`, sends the headers only.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}
