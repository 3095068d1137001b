//! The access log never holds a secret link: every route whose parameter grants access has that
//! segment masked, with the real route table and the real middleware, read from the log output.
use std::sync::{Arc, Mutex};

use actix_web::{App, middleware::from_fn, test};
use teilhabe::web::{self as routes, access_log::access_log};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

const SECRET: &str = "GeheimerSchluessel0123456789";

#[actix_web::test]
async fn secret_links_are_masked_in_the_access_log() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // No application state: handlers fail, but the log line is written for every request.
    let app = test::init_service(
        App::new()
            .wrap(from_fn(access_log))
            .configure(routes::routes),
    )
    .await;
    let secret_paths = [
        ("GET", format!("/buchung/{SECRET}")),
        ("GET", format!("/buchung/{SECRET}/termin.ics")),
        ("POST", format!("/buchung/{SECRET}/absagen")),
        ("POST", format!("/buchung/{SECRET}/angebot")),
        ("DELETE", format!("/api/v1/bookings/{SECRET}")),
        ("GET", format!("/freiwillige/kalender/{SECRET}")),
        ("GET", format!("/freiwillige/kalender/{SECRET}.ics")),
        ("GET", format!("/vorschlaege/eigene/{SECRET}")),
        ("POST", format!("/vorschlaege/eigene/{SECRET}/bestaetigen")),
        ("GET", format!("/vorschlaege/unterstuetzen/{SECRET}")),
        ("GET", format!("/vorschlaege/folgen/{SECRET}")),
        ("GET", format!("/vorschlaege/abmelden/{SECRET}")),
        ("GET", format!("/rueckmeldung/{SECRET}")),
        ("GET", format!("/rueckmeldung/termin/12/{SECRET}")),
        ("GET", format!("/passwort-neu?token={SECRET}")),
        ("GET", format!("/konto/bestaetigen?token={SECRET}")),
        ("GET", format!("/konto/email-bestaetigen?token={SECRET}")),
        // Links that match no route: cut short, mistyped, or with something appended.
        ("GET", format!("/buchung/{SECRET}/falsch/mehr")),
        ("GET", format!("/rueckmeldung/termin/{SECRET}")),
        ("GET", format!("/vorschlaege/eigene/{SECRET}/x/y")),
    ];
    for (method, path) in &secret_paths {
        let req = test::TestRequest::default()
            .method(method.parse().unwrap())
            .uri(path)
            .to_request();
        let _ = test::call_service(&app, req).await;
    }
    let _ = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/kurse/tablet-kurs")
            .to_request(),
    )
    .await;

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("request")).collect();
    assert!(
        lines.len() >= secret_paths.len(),
        "one line per request: {log}"
    );
    assert!(!log.contains(SECRET), "a secret reached the log:\n{log}");
    for expected in [
        "/buchung/…/absagen",
        "/api/v1/bookings/…",
        "/freiwillige/kalender/…",
        "/vorschlaege/eigene/…/bestaetigen",
        "/rueckmeldung/termin/12/…",
        "/kurse/tablet-kurs",
    ] {
        assert!(log.contains(expected), "{expected} missing from:\n{log}");
    }
}
