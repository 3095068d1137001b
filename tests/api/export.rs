//! The TMDI export: command line and HTTP, on the file level – what leaves the portal and what not.
use std::{
    collections::HashMap,
    io::Read,
    path::Path,
    process::{Command, Output},
};
use teilhabe::domain::booking::BookingStatus;
use teilhabe::domain::offer::{DateStatus, OfferKind, OfferStatus};
use teilhabe::domain::volunteering::{HoursStatus, ShiftKind, ShiftStatus};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, NotSet, QueryFilter, QueryOrder, Set};
use sha2::{Digest, Sha256};
use teilhabe::db::entities::{
    api_token, audit_log, booking, feedback, offer, offer_date, organisation, proposal, user,
    user_role, venue,
};
use teilhabe::domain::proposal::ProposalStatus;

use crate::helpers::{Backend, Options, TestApp, spawn_app};
use crate::on_both_backends;

/// Personal data seeded below; none of it may appear in any exported file.
const SECRETS: &[&str] = &[
    "Zacharias Quellmalz",
    "Quellmalz",
    "quellmalz",
    // No e-mail domain of the seeded addresses may appear at all.
    "example.org",
    "example.net",
    "example.com",
    "0361 5550199",
    "5550199",
    "Konto Wendeburg",
    "konto.wendeburg@example.org",
    "autorin.pfeffer@example.org",
    "0171-9876543",
    "9876543",
    "hilfe.privat@example.net",
    "(0361) 12 34 56",
    "+49 361 1234567",
    "1234567",
    "feedback.person@example.com",
    "Geheimer Entwurf",
    "Moderationsnotiz intern",
];

const FROM: &str = "2025-03-01";
const TO: &str = "2025-03-31";

fn berlin(day: &str, hour: u32) -> DateTime<Utc> {
    let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    Berlin
        .from_local_datetime(&day.and_hms_opt(hour, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn add_date(app: &TestApp, offer_id: i32, starts_at: DateTime<Utc>) -> i32 {
    offer_date::ActiveModel {
        id: NotSet,
        offer_id: Set(offer_id),
        starts_at: Set(starts_at),
        ends_at: Set(starts_at + chrono::Duration::hours(2)),
        capacity: Set(20),
        booked_places: Set(8),
        max_places_per_booking: Set(2),
        booking_opens_at: Set(None),
        booking_closes_at: Set(None),
        status: Set(DateStatus::Scheduled),
        created_at: Set(starts_at - chrono::Duration::days(30)),
        min_participants: Set(0),
        decision_at: Set(None),
        decided_at: Set(None),
        walk_in_places: Set(0),
        walk_in_release_at: Set(None),
        reminder_sent_at: Set(None),
        revision: Set(0),
        series_lead_id: Set(None),
        feedback_invited_at: Set(None),
        feedback_code: Set(None),
        // Filled by the database's triggers.
        listed_as: NotSet,
        topic: NotSet,
        district_key: NotSet,
        waiting_count: NotSet,
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id
}

async fn add_booking(
    app: &TestApp,
    date_id: i32,
    n: usize,
    channel: &str,
    status: &str,
    attendance: Option<&str>,
    user_id: Option<i32>,
) {
    booking::ActiveModel {
        id: NotSet,
        date_id: Set(date_id),
        user_id: Set(user_id),
        name: Set(format!("Zacharias Quellmalz {n}")),
        email: Set(Some(format!("z.quellmalz+{n}@example.org"))),
        phone: Set(Some("0361 5550199".into())),
        places: Set(1),
        status: Set(BookingStatus::parse(status).unwrap()),
        channel: Set(channel.into()),
        cancel_token_hash: Set(format!("hash-{date_id}-{n}-{channel}")),
        created_at: Set(Utc::now()),
        language: Set("de".into()),
        manage_token: Set(None),
        manage_link_sealed: Set(Some(booking::sealed_link(
            &app.sealer(),
            &format!("manage-{date_id}-{n}"),
            &format!("hash-{date_id}-{n}-{channel}"),
        ))),
        attendance: Set(attendance
            .map(|a| teilhabe::domain::booking::Attendance::parse(a).expect("a known attendance"))),
        offered_places: Set(None),
        offer_expires_at: Set(None),
        anonymised_at: Set(None),
        idempotency_key_hash: Set(None),
    }
    .insert(&app.db)
    .await
    .unwrap();
}

#[allow(clippy::too_many_arguments)]
async fn add_proposal(
    app: &TestApp,
    n: i64,
    title: &str,
    body: &str,
    status: &str,
    channel: &str,
    answer: Option<&str>,
    user_id: Option<i32>,
) {
    let created = berlin("2025-03-05", 12);
    proposal::ActiveModel {
        id: NotSet,
        title: Set(title.into()),
        body: Set(body.into()),
        category: Set("bildung-kurse".into()),
        district_key: Set("16051".into()),
        town: Set(Some("Erfurt".into())),
        status: Set(ProposalStatus::parse(status).unwrap()),
        moderation_note: Set(Some("Moderationsnotiz intern".into())),
        official_answer: Set(answer.map(str::to_owned)),
        answered_at: Set(answer.map(|_| berlin("2025-03-20", 9))),
        channel: Set(channel.into()),
        author_user_id: Set(user_id),
        author_email: Set(Some("autorin.pfeffer@example.org".into())),
        contact: Set(Some("Tel. 0171-9876543".into())),
        language: Set("de".into()),
        author_token_hash: Set(format!("author-{n}")),
        confirmed_at: Set(Some(created)),
        merged_into_id: Set(None),
        event_offer_id: Set(None),
        imported_supports: Set(0),
        supports_count: Set(7),
        search_text: Set(body.to_lowercase()),
        created_at: Set(created),
        published_at: Set(Some(created)),
        updated_at: Set(created),
        import_key: Set(None),
    }
    .insert(&app.db)
    .await
    .unwrap();
}

fn feedback_form(
    date_id: i32,
    channel: &str,
    rating: i16,
    free_text: Option<&str>,
) -> feedback::ActiveModel {
    feedback::ActiveModel {
        id: NotSet,
        date_id: Set(date_id),
        channel: Set(channel.into()),
        rating: Set(rating),
        helped: Set(Some("Die Geduld der Kursleitung".into())),
        missing: Set(Some(
            "Mehr Zeit. Fragen an feedback.person@example.com".into(),
        )),
        topics_wanted: Set(Some("videotelefonie".into())),
        free_text: Set(free_text.map(str::to_owned)),
        before_information: Set(Some(2)),
        before_communication: Set(None),
        before_content: Set(None),
        before_safety: Set(Some(1)),
        before_problem_solving: Set(None),
        after_information: Set(Some(4)),
        after_communication: Set(Some(3)),
        after_content: Set(None),
        after_safety: Set(Some(3)),
        after_problem_solving: Set(None),
        submitted_on: Set(day("2025-03-11")),
    }
}

/// One course with two dates in March 2025 and one in April, one dialogue event, bookings with
/// names and contacts, an account, public and hidden proposals, and feedback with contact details.
async fn seed(app: &TestApp) {
    let now = Utc::now();
    let org = organisation::ActiveModel {
        id: NotSet,
        slug: Set("export-test-verein".into()),
        name: Set("Digitalverein Erfurt-Nord".into()),
        kind: Set("verein".into()),
        email: Set("verein@example.org".into()),
        phone: Set("0361 000000".into()),
        website: Set("https://verein.example.org".into()),
        district_key: Set(Some("16051".into())),
        created_at: Set(now),
    }
    .insert(&app.db)
    .await
    .unwrap();
    let place = venue::ActiveModel {
        id: NotSet,
        slug: Set("export-test-treff".into()),
        organisation_id: Set(org.id),
        name: Set("Nachbarschaftstreff Nord".into()),
        street: Set("Musterweg 1".into()),
        postal_code: Set("99086".into()),
        town: Set("Erfurt".into()),
        district_key: Set("16051".into()),
        step_free: Set(true),
        accessible_toilet: Set(true),
        hearing_loop: Set(false),
        parking: Set(false),
        accessibility_notes: Set(String::new()),
        directions: Set(String::new()),
        created_at: Set(now),
    }
    .insert(&app.db)
    .await
    .unwrap();
    let mut offers = Vec::new();
    for (slug, kind, title) in [
        (
            "export-kurs",
            OfferKind::Course,
            "Smartphone für Einsteiger",
        ),
        (
            "export-dialog",
            OfferKind::Dialogue,
            "Digitales Rathaus: Was brauchen Sie?",
        ),
    ] {
        offers.push(
            offer::ActiveModel {
                id: NotSet,
                slug: Set(slug.into()),
                organisation_id: Set(org.id),
                venue_id: Set(Some(place.id)),
                kind: Set(kind),
                title: Set(title.into()),
                description: Set("Fragen bitte an z.quellmalz@example.org".into()),
                topic: Set("smartphone-grundlagen".into()),
                level: Set("einsteiger".into()),
                target_group: Set("senioren".into()),
                language: Set("de".into()),
                online_url: Set(None),
                what_to_bring: Set(String::new()),
                accessibility_notes: Set(String::new()),
                price_cents: Set(0),
                status: Set(OfferStatus::Published),
                search_text: Set(title.to_lowercase()),
                created_at: Set(now),
                agenda: Set((kind == OfferKind::Dialogue)
                    .then(|| "Vorstellung, Fragen, Rückruf unter 0171-9876543".to_owned())),
                registration_required: Set(kind == OfferKind::Course),
                audience: Set(None),
                support_offered: Set(Some("gebaerdensprache".into())),
            }
            .insert(&app.db)
            .await
            .unwrap()
            .id,
        );
    }
    let course_first = add_date(app, offers[0], berlin("2025-03-10", 10)).await;
    let _course_second = add_date(app, offers[0], berlin("2025-03-20", 10)).await;
    let course_april = add_date(app, offers[0], berlin("2025-04-05", 10)).await;
    let dialogue = add_date(app, offers[1], berlin("2025-03-15", 18)).await;

    let account = user::ActiveModel {
        id: NotSet,
        email: Set("konto.wendeburg@example.org".into()),
        display_name: Set("Konto Wendeburg".into()),
        password_hash: Set(None),
        email_verified_at: Set(Some(now)),
        created_at: Set(now),
        language: NotSet,
    }
    .insert(&app.db)
    .await
    .unwrap();

    for n in 0..5 {
        add_booking(
            app,
            course_first,
            n,
            "online",
            "confirmed",
            Some("present"),
            Some(account.id),
        )
        .await;
    }
    add_booking(
        app,
        course_first,
        5,
        "staff",
        "confirmed",
        Some("absent"),
        None,
    )
    .await;
    add_booking(app, course_first, 6, "kiosk", "cancelled", None, None).await;
    add_booking(app, dialogue, 0, "kiosk", "confirmed", None, None).await;
    add_booking(app, dialogue, 1, "kiosk", "confirmed", None, None).await;
    for n in 0..3 {
        add_booking(
            app,
            course_april,
            n,
            "online",
            "confirmed",
            Some("present"),
            None,
        )
        .await;
    }

    add_proposal(
        app,
        1,
        "WLAN im Bürgerhaus Nord",
        "Bitte WLAN einrichten. Schreiben Sie an hilfe.privat@example.net oder rufen Sie (0361) 12 34 56 an.",
        "accepted",
        "online",
        Some("Wir richten es ein. Rückfragen: +49 361 1234567"),
        Some(account.id),
    )
    .await;
    add_proposal(
        app,
        2,
        "Kurse am Abend anbieten",
        "Viele arbeiten tagsüber und können nur abends.",
        "published",
        "assisted",
        None,
        None,
    )
    .await;
    add_proposal(
        app,
        3,
        "Mehr Kioske in Dörfern",
        "Ein Kiosk im Dorfladen wäre gut für alle hier.",
        "under-review",
        "kiosk",
        None,
        None,
    )
    .await;
    add_proposal(
        app,
        4,
        "Geheimer Entwurf eines Vorschlags",
        "Noch nicht bestätigt, darf nicht hinaus.",
        "unconfirmed",
        "online",
        None,
        None,
    )
    .await;

    let ratings = [5, 4, 4, 5, 3];
    let mut forms: Vec<feedback::ActiveModel> = ratings
        .iter()
        .enumerate()
        .map(|(i, r)| {
            feedback_form(
                course_first,
                "online",
                *r,
                (i == 0).then_some(
                    "Meine Nummer ist +49 361 1234567 und meine Mail feedback.person@example.com",
                ),
            )
        })
        .collect();
    forms.push(feedback_form(course_first, "paper", 5, None));
    feedback::Entity::insert_many(forms)
        .exec(&app.db)
        .await
        .unwrap();
}

fn teilhabe(app: &TestApp) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_teilhabe"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TEILHABE_DATA_DIR", &app.settings.data_dir)
        .env("DATABASE_URL", teilhabe::db::connection_url(&app.settings))
        .env("TEILHABE_DEMO", "false")
        .current_dir(&app.settings.data_dir);
    if app.settings.database.is_server() {
        cmd.env("TEILHABE_PSEUDONYM_KEY", crate::helpers::TEST_PSEUDONYM_KEY)
            .env("TEILHABE_SINGLE_INSTANCE", "true");
    }
    cmd
}

fn export(app: &TestApp, out: &Path, args: &[&str]) -> Output {
    teilhabe(app)
        .arg("export")
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

fn succeeded(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Every cell of every sheet, one line per row.
fn xlsx_text(path: &Path) -> String {
    use calamine::{Reader, Xlsx, open_workbook};
    let mut workbook: Xlsx<_> = open_workbook(path).unwrap();
    let mut text = String::new();
    for name in workbook.sheet_names() {
        let range = workbook.worksheet_range(&name).unwrap();
        for row in range.rows() {
            let cells: Vec<String> = row.iter().map(|c| c.to_string()).collect();
            text.push_str(&cells.join("\t"));
            text.push('\n');
        }
    }
    text
}

/// The readable content of an export file.
fn content(path: &Path) -> String {
    if path.extension().is_some_and(|e| e == "xlsx") {
        xlsx_text(path)
    } else {
        std::fs::read_to_string(path).unwrap()
    }
}

fn assert_no_personal_data(name: &str, text: &str) {
    for secret in SECRETS {
        assert!(
            !text.contains(secret),
            "{name} contains {secret:?}:\n{text}"
        );
    }
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

fn rows_of(manifest: &serde_json::Value) -> HashMap<String, u64> {
    manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| Some((f["name"].as_str()?.to_owned(), f["rows"].as_u64()?)))
        .collect()
}

on_both_backends!(no_personal_data_leaves_in_any_format, |app| {
    seed(&app).await;
    for format in ["csv", "json", "xlsx"] {
        let out = tempfile::tempdir().unwrap();
        let stdout = succeeded(&export(
            &app,
            out.path(),
            &["--from", FROM, "--to", TO, "--format", format],
        ));
        assert!(stdout.contains("9 files"), "{stdout}");
        let names = files_in(out.path());
        assert_eq!(names.len(), 9, "{names:?}");
        let manifest = manifest(out.path());
        let mut scrubbed = 0;
        for name in &names {
            let text = content(&out.path().join(name));
            assert_no_personal_data(name, &text);
            scrubbed += text.matches("[entfernt]").count();
        }
        // Feedback free text and `missing` (6 forms), proposal text and answer, the event's agenda.
        assert!(scrubbed >= 10, "{format}: only {scrubbed} replacements");

        // The manifest lists every other file with its true SHA-256 and size.
        let listed = manifest["files"].as_array().unwrap();
        assert_eq!(listed.len(), 8);
        for file in listed {
            let bytes = std::fs::read(out.path().join(file["name"].as_str().unwrap())).unwrap();
            assert_eq!(
                file["sha256"],
                hex::encode(Sha256::digest(&bytes)),
                "{file}"
            );
            assert_eq!(file["bytes"], bytes.len() as u64);
        }
        let rows = rows_of(&manifest);
        let ext = format;
        assert_eq!(rows[&format!("courses.{ext}")], 1);
        assert_eq!(
            rows[&format!("dates.{ext}")],
            3,
            "the April date is outside"
        );
        assert_eq!(rows[&format!("dialogue_events.{ext}")], 1);
        assert_eq!(rows[&format!("feedback.{ext}")], 6);
        assert_eq!(
            rows[&format!("proposals.{ext}")],
            3,
            "only public proposals"
        );
        assert_eq!(manifest["period"]["from"], FROM);
        assert_eq!(manifest["period"]["to"], TO);
        assert_eq!(manifest["schema_version"], "1.4");

        let dcat: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.path().join("dataset.jsonld")).unwrap(),
        )
        .unwrap();
        assert_eq!(dcat["@type"], "dcat:Dataset");
        let distribution = &dcat["dcat:distribution"][0];
        assert_eq!(
            distribution["dcat:downloadURL"]["@id"],
            format!("statistics_by_district_month.{ext}")
        );
    }
});

fn statistics_row(dir: &Path, district: &str, month: &str) -> serde_json::Value {
    let rows: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(dir.join("statistics_by_district_month.json")).unwrap(),
    )
    .unwrap();
    rows.into_iter()
        .find(|r| r["district_key"] == district && r["month"] == month)
        .unwrap_or_else(|| panic!("no row {district} {month}"))
}

on_both_backends!(statistics_suppress_groups_under_five, |app| {
    seed(&app).await;
    let out = tempfile::tempdir().unwrap();
    succeeded(&export(
        &app,
        out.path(),
        &["--from", FROM, "--to", TO, "--format", "json"],
    ));
    let row = statistics_row(out.path(), "16051", "2025-03");
    let expected = serde_json::json!({
        "district_key": "16051",
        "district_name": "Erfurt",
        "month": "2025-03",
        "dates_held": 3,
        "course_dates": 2,
        "dialogue_dates": 1,
        "bookings_total": 8,
        "bookings_online": 5,
        "bookings_staff": null,
        "bookings_kiosk": null,
        "bookings_api": 0,
        // The dates file hides the course date's 5 present (its 1 absent would follow), and it is
        // the month's only date with anybody present: this sum would show it.
        "participants_present": null,
        "no_shows": null,
        "proposals_total": null,
        "proposals_online": null,
        "proposals_kiosk": null,
        "proposals_assisted": null,
        "proposals_import": 0,
        "feedback_total": 6,
        // One paper form is hidden; 6 − 5 would show it.
        "feedback_online": null,
        "feedback_qr": 0,
        "feedback_kiosk": 0,
        "feedback_paper": null,
        "average_rating": 4.3,
        // Per form: information +2, communication unanswered before, safety +2: mean +2.
        "average_confidence_change": 2.0,
        "kiosk_views": 0,
        // Hidden with the kiosk channel's bookings and proposals, which they count again.
        "kiosk_bookings": null,
        "kiosk_feedback": 0,
        "kiosk_proposals": null,
        "volunteer_sessions": 0,
        "volunteer_people_reached": 0,
        "volunteer_hours": 0.0,
    });
    assert_eq!(row, expected);

    // Per date, counts of people under five are left empty too.
    let dates: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("dates.json")).unwrap())
            .unwrap();
    let dialogue = dates
        .iter()
        .find(|d| d["offer_kind"] == "dialogue")
        .unwrap();
    assert!(dialogue["bookings"].is_null(), "{dialogue}");
    assert!(dialogue["booked_places"].is_null(), "{dialogue}");
    let course = dates
        .iter()
        .find(|d| d["starts_at"] == "2025-03-10T10:00:00+01:00")
        .unwrap();
    // Its 6 bookings keep the dialogue's 2 company: the month's 8 less 6 would show them. Its
    // places go with them.
    assert!(course["bookings"].is_null(), "{course}");
    assert!(course["booked_places"].is_null(), "{course}");
    // 1 absent: the 5 present would give the absent one away.
    assert!(course["participants_present"].is_null(), "{course}");
    assert!(course["no_shows"].is_null());
    assert_eq!(course["feedback_forms"], 6);
    assert_eq!(course["starts_at"], "2025-03-10T10:00:00+01:00");

    // A district with fewer than five forms gets no average.
    let one_form = app_date_elsewhere(&app).await;
    let out = tempfile::tempdir().unwrap();
    succeeded(&export(
        &app,
        out.path(),
        &["--from", FROM, "--to", TO, "--format", "json"],
    ));
    let row = statistics_row(out.path(), "16053", "2025-03");
    assert!(row["feedback_total"].is_null(), "{row}");
    assert!(row["average_rating"].is_null(), "{row}");
    assert!(row["average_confidence_change"].is_null(), "{row}");
    assert_eq!(row["dates_held"], 1);
    // Nor does the feedback file count the date's one form again by naming its date, or show it
    // where, alone, it would stand for its date: it is left out.
    let raw = std::fs::read_to_string(out.path().join("feedback.json")).unwrap();
    let forms: Vec<serde_json::Value> = serde_json::from_str(&raw).unwrap();
    assert!(forms.iter().all(|f| f["date_id"].is_i64()), "{raw}");
    assert!(!forms.iter().any(|f| f["date_id"] == one_form), "{raw}");
    assert_eq!(
        forms.iter().filter(|f| f["date_id"].is_i64()).count(),
        6,
        "the six forms of the course date stay linked: {raw}"
    );
});

/// A date in Jena (16053) with a single feedback form.
async fn app_date_elsewhere(app: &TestApp) -> i32 {
    let course = offer::Entity::find()
        .filter(offer::Column::Slug.eq("export-kurs"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut place: venue::ActiveModel = venue::Entity::find()
        .filter(venue::Column::Slug.eq("export-test-treff"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .into();
    place.id = NotSet;
    place.slug = Set("export-test-jena".into());
    place.town = Set("Jena".into());
    place.district_key = Set("16053".into());
    let place = place.insert(&app.db).await.unwrap();
    let mut jena: offer::ActiveModel = course.into();
    jena.id = NotSet;
    jena.slug = Set("export-kurs-jena".into());
    jena.venue_id = Set(Some(place.id));
    let jena = jena.insert(&app.db).await.unwrap();
    let date = add_date(app, jena.id, berlin("2025-03-12", 10)).await;
    feedback::Entity::insert(feedback_form(date, "qr", 5, None))
        .exec(&app.db)
        .await
        .unwrap();
    date
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_is_rfc_4180_and_the_bom_option_writes_a_byte_order_mark() {
    let app = spawn_app(
        Backend::Sqlite,
        Options {
            demo: false,
            env: vec![],
        },
    )
    .await
    .unwrap();
    seed(&app).await;
    let plain = tempfile::tempdir().unwrap();
    succeeded(&export(
        &app,
        plain.path(),
        &["--from", FROM, "--to", TO, "--format", "csv"],
    ));
    let with_bom = tempfile::tempdir().unwrap();
    succeeded(&export(
        &app,
        with_bom.path(),
        &["--from", FROM, "--to", TO, "--format", "csv", "--bom"],
    ));

    let plain_bytes = std::fs::read(plain.path().join("courses.csv")).unwrap();
    let bom_bytes = std::fs::read(with_bom.path().join("courses.csv")).unwrap();
    assert!(plain_bytes.starts_with(b"course_id,title,"));
    assert_eq!(&bom_bytes[..3], b"\xEF\xBB\xBF");
    assert_eq!(&bom_bytes[3..], &plain_bytes[..]);

    let mut reader = csv::Reader::from_path(plain.path().join("proposals.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    assert!(
        !headers
            .iter()
            .any(|h| h.contains("email") || h.contains("contact") || h.contains("author"))
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 3);
    let wlan = records
        .iter()
        .find(|r| &r[1] == "WLAN im Bürgerhaus Nord")
        .unwrap();
    assert_eq!(
        &wlan[2],
        "Bitte WLAN einrichten. Schreiben Sie an [entfernt] oder rufen Sie [entfernt] an."
    );
    assert_eq!(&wlan[6], "Wir richten es ein. Rückfragen: [entfernt]");
    assert!(String::from_utf8(plain_bytes).unwrap().contains("\r\n"));

    let out = tempfile::tempdir().unwrap();
    let failed = export(
        &app,
        out.path(),
        &["--from", FROM, "--to", TO, "--format", "json", "--bom"],
    );
    assert_eq!(failed.status.code(), Some(2));
    assert!(files_in(out.path()).is_empty());
}

fn one_line_error(out: &Output, code: i32, needles: &[&str]) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{needle:?} not in {stderr}");
    }
    assert!(!stderr.contains("panicked"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_input_is_one_clear_line_and_leaves_no_file() {
    let app = spawn_app(
        Backend::Sqlite,
        Options {
            demo: false,
            env: vec![],
        },
    )
    .await
    .unwrap();
    seed(&app).await;
    let out = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], i32, &[&str])] = &[
        (
            &["--from", "2025-04-01", "--to", TO],
            2,
            &["--from (2025-04-01) is after --to (2025-03-31)"],
        ),
        (
            &["--from", "31.03.2025", "--to", TO],
            2,
            &["--from", "'31.03.2025'", "2026-03-31"],
        ),
        (
            &["--from", FROM, "--to", "2025-02-30"],
            2,
            &["--to", "2026-03-31"],
        ),
        (
            &["--from", FROM, "--to", TO, "--format", "pdf"],
            2,
            &["--format", "'pdf'", "csv, json, xlsx"],
        ),
        (&["--to", TO], 2, &["--from is missing"]),
        (&["--from", FROM], 2, &["--to is missing"]),
    ];
    for (args, code, needles) in cases {
        one_line_error(&export(&app, out.path(), args), *code, needles);
        assert!(files_in(out.path()).is_empty(), "{args:?}");
    }

    let file = out.path().join("eine-datei");
    std::fs::write(&file, "x").unwrap();
    one_line_error(
        &export(&app, &file, &["--from", FROM, "--to", TO]),
        1,
        &["is not a directory"],
    );
    one_line_error(
        &export(&app, &file.join("darunter"), &["--from", FROM, "--to", TO]),
        1,
        &["cannot be created"],
    );

    // Publishing fails at the last file (a non-empty folder named manifest.json is in the way):
    // the files already moved are taken back and the staging folder is gone.
    let blocked = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(blocked.path().join("manifest.json/keep")).unwrap();
    one_line_error(
        &export(
            &app,
            blocked.path(),
            &["--from", FROM, "--to", TO, "--format", "xlsx"],
        ),
        1,
        &["moving the finished files"],
    );
    assert_eq!(files_in(blocked.path()), ["manifest.json"]);
    let runs = teilhabe::db::entities::export_run::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert!(runs.is_empty(), "failed exports are not recorded");

    // A missing directory is created, with its parents.
    let missing = out.path().join("gibt-es-noch-nicht/2025-03");
    let done = export(&app, &missing, &["--from", FROM, "--to", TO]);
    assert!(done.status.success(), "{done:?}");
    assert!(files_in(&missing).contains(&"manifest.json".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn since_last_starts_the_day_after_the_last_export() {
    let app = spawn_app(
        Backend::Sqlite,
        Options {
            demo: false,
            env: vec![],
        },
    )
    .await
    .unwrap();
    seed(&app).await;
    let out = tempfile::tempdir().unwrap();
    one_line_error(
        &export(&app, out.path(), &["--since-last", "--to", TO]),
        2,
        &["no earlier export", "--from"],
    );

    // The first run may name its start; it is recorded.
    succeeded(&export(
        &app,
        out.path(),
        &["--since-last", "--from", FROM, "--to", "2025-03-12"],
    ));
    assert_eq!(manifest(out.path())["period"]["from"], FROM);
    let next = tempfile::tempdir().unwrap();
    succeeded(&export(
        &app,
        next.path(),
        &["--since-last", "--to", TO, "--format", "json"],
    ));
    let m = manifest(next.path());
    assert_eq!(m["period"]["from"], "2025-03-13");
    assert_eq!(m["period"]["to"], TO);
    // The course date of 10 March and its feedback belong to the first export only.
    assert_eq!(rows_of(&m)["dates.json"], 2);
    assert_eq!(rows_of(&m)["feedback.json"], 0);

    // Without --to it runs until yesterday.
    let until_yesterday = tempfile::tempdir().unwrap();
    succeeded(&export(&app, until_yesterday.path(), &["--since-last"]));
    let yesterday = teilhabe::export::today_in_berlin(Utc::now()) - chrono::Duration::days(1);
    let m = manifest(until_yesterday.path());
    assert_eq!(m["period"]["from"], "2025-04-01");
    assert_eq!(m["period"]["to"], yesterday.to_string());

    let nothing = tempfile::tempdir().unwrap();
    one_line_error(
        &export(&app, nothing.path(), &["--since-last"]),
        2,
        &["already covers"],
    );
    assert!(files_in(nothing.path()).is_empty());
    let runs = teilhabe::db::entities::export_run::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(runs.len(), 3);
    assert!(runs.iter().all(|r| r.started_by == "cli"));
}

/// Two scheduled exports at once (cron on two hosts, a retry over a slow run, on SQLite two processes
/// on one file): one exports the days after the last run, the other then finds them covered; the
/// ministry does not get the same days twice.
async fn check_two_scheduled_exports_at_once(backend: Backend) {
    let Some(app) = spawn_app(
        backend,
        Options {
            demo: false,
            env: vec![],
        },
    )
    .await
    else {
        return;
    };
    seed(&app).await;
    // Held while both start, so that both wait for it, whatever the machine's speed.
    let held = teilhabe::db::InstanceLock::acquire(&app.db, teilhabe::export::SCHEDULED_RUN_LOCK)
        .await
        .unwrap();
    let outs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let runs: Vec<std::process::Child> = outs
        .iter()
        .map(|out| {
            teilhabe(&app)
                .args([
                    "export",
                    "--since-last",
                    "--from",
                    FROM,
                    "--to",
                    TO,
                    "--out",
                ])
                .arg(out.path())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    crate::helpers::until_waiting_for_locks(&app.db, 2).await;
    held.release().await.unwrap();
    let outputs: Vec<Output> = runs
        .into_iter()
        .map(|run| run.wait_with_output().unwrap())
        .collect();
    let codes: Vec<Option<i32>> = outputs.iter().map(|o| o.status.code()).collect();
    assert!(
        codes.contains(&Some(0)) && codes.contains(&Some(2)),
        "one exports, the other finds the days covered: {codes:?} {:?}",
        outputs
            .iter()
            .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
            .collect::<Vec<_>>()
    );
    let covered = outputs.iter().find(|o| o.status.code() == Some(2)).unwrap();
    assert!(String::from_utf8_lossy(&covered.stderr).contains("already covers"));
    let recorded = teilhabe::db::entities::export_run::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(recorded.len(), 1, "{recorded:?}");
}

mod two_scheduled_exports_at_once_export_the_days_once {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        check_two_scheduled_exports_at_once(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        check_two_scheduled_exports_at_once(Backend::Postgres).await;
    }
}

/// Creates the admin with the command line and returns its token from `token add`'s output.
fn admin_token(app: &TestApp, email: &str) -> (i32, String) {
    succeeded(
        &teilhabe(app)
            .args(["user", "add", "--email", email, "--role", "admin"])
            .output()
            .unwrap(),
    );
    let stdout = succeeded(
        &teilhabe(app)
            .args(["token", "add", "--email", email, "--name", "TMDI Export"])
            .output()
            .unwrap(),
    );
    let id = stdout
        .split_whitespace()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no id in {stdout}"));
    let token = stdout.lines().nth(1).unwrap().trim().to_owned();
    assert_eq!(token.len(), 64, "{stdout}");
    (id, token)
}

async fn get_export(app: &TestApp, query: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url(&format!("/api/v1/export?{query}")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

fn unzip(bytes: &[u8]) -> HashMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut files = HashMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let mut content = Vec::new();
        file.read_to_end(&mut content).unwrap();
        files.insert(file.name().unwrap().into_owned(), content);
    }
    files
}

on_both_backends!(http_export_needs_an_admin_token_and_is_audited, |app| {
    seed(&app).await;
    let query = format!("from={FROM}&to={TO}&format=csv");
    let res = get_export(&app, &query, None).await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    assert_eq!(get_export(&app, &query, Some("falsch")).await.status(), 401);

    let (id, token) = admin_token(&app, "tmdi-admin@example.org");
    let hashed = api_token::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        hashed.token_hash,
        teilhabe::services::sessions::hash_token(&token)
    );
    assert!(hashed.last_used_at.is_none());

    let res = get_export(
        &app,
        "from=2025-04-01&to=2025-03-31&format=pdf",
        Some(&token),
    )
    .await;
    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["format", "to"]);

    for format in ["csv", "xlsx"] {
        let res = get_export(
            &app,
            &format!("from={FROM}&to={TO}&format={format}"),
            Some(&token),
        )
        .await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["cache-control"], "no-store");
        assert_eq!(res.headers()["content-type"], "application/zip");
        let files = unzip(&res.bytes().await.unwrap());
        assert_eq!(files.len(), 9, "{:?}", files.keys());
        let manifest: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
        for entry in manifest["files"].as_array().unwrap() {
            let content = &files[entry["name"].as_str().unwrap()];
            assert_eq!(entry["sha256"], hex::encode(Sha256::digest(content)));
        }
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in &files {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            assert_no_personal_data(name, &content(&path));
        }
    }
    // Nothing of the download is left in the data folder.
    assert!(
        !files_in(&app.settings.data_dir)
            .iter()
            .any(|n| n.starts_with(".export-download")),
        "{:?}",
        files_in(&app.settings.data_dir)
    );

    let used = api_token::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(used.last_used_at.is_some());
    let audits = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("export.downloaded"))
        .order_by_asc(audit_log::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(audits.len(), 2);
    assert_eq!(audits[0].target, format!("export:{FROM}..{TO}"));
    assert_eq!(audits[0].details, "csv");
    assert_eq!(audits[0].actor_user_id, Some(used.user_id));
    let runs = teilhabe::db::entities::export_run::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(runs[0].started_by, format!("api:{}", used.user_id));

    // A token whose user lost the admin role: 403; a revoked token: 401.
    user_role::Entity::delete_many()
        .filter(user_role::Column::UserId.eq(used.user_id))
        .exec(&app.db)
        .await
        .unwrap();
    let res = get_export(&app, &query, Some(&token)).await;
    assert_eq!(res.status(), 403);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "forbidden");
    succeeded(
        &teilhabe(&app)
            .args(["token", "revoke", "--id", &id.to_string()])
            .output()
            .unwrap(),
    );
    assert_eq!(get_export(&app, &query, Some(&token)).await.status(), 401);
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_only_for_existing_admins() {
    let app = spawn_app(
        Backend::Sqlite,
        Options {
            demo: false,
            env: vec![],
        },
    )
    .await
    .unwrap();
    let out = teilhabe(&app)
        .args([
            "token",
            "add",
            "--email",
            "niemand@example.org",
            "--name",
            "x",
        ])
        .output()
        .unwrap();
    one_line_error(&out, 1, &["no user"]);
    succeeded(
        &teilhabe(&app)
            .args([
                "user",
                "add",
                "--email",
                "buerger@example.org",
                "--role",
                "citizen",
            ])
            .output()
            .unwrap(),
    );
    let out = teilhabe(&app)
        .args([
            "token",
            "add",
            "--email",
            "buerger@example.org",
            "--name",
            "x",
        ])
        .output()
        .unwrap();
    one_line_error(&out, 1, &["admin role"]);
    let out = teilhabe(&app)
        .args(["token", "revoke", "--id", "99"])
        .output()
        .unwrap();
    one_line_error(&out, 1, &["no token"]);
    assert!(
        api_token::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
    let doc: serde_json::Value = app.get("/api/openapi.json").await.json().await.unwrap();
    assert!(doc["paths"]["/api/v1/export"]["get"]["security"].is_array());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

on_both_backends!(kiosk_use_and_volunteer_sessions_are_counted, |app| {
    use teilhabe::db::entities::{
        kiosk_terminal, kiosk_usage, session_report, volunteer_hours, volunteer_shift,
    };
    let anger = venue::Entity::find()
        .filter(venue::Column::Slug.eq("probierladen-erfurt-anger"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let terminal = kiosk_terminal::ActiveModel {
        name: Set("Terminal am Eingang".into()),
        venue_id: Set(anger.id),
        pairing_code_hash: Set("x".into()),
        pairing_expires_at: Set(Utc::now()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let day = NaiveDate::from_ymd_opt(2025, 3, 5).unwrap();
    for (action, count) in [("view", 40), ("booking", 6), ("feedback", 2)] {
        kiosk_usage::ActiveModel {
            terminal_id: Set(terminal.id),
            day: Set(day),
            action: Set(action.into()),
            count: Set(count),
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    let starts_at = Berlin
        .with_ymd_and_hms(2025, 3, 12, 14, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let shift = volunteer_shift::ActiveModel {
        organisation_id: Set(anger.organisation_id),
        venue_id: Set(None),
        offer_date_id: Set(None),
        kind: Set(ShiftKind::SmartphoneAfternoon),
        title: Set("Smartphone-Nachmittag bei Zacharias Quellmalz".into()),
        place: Set("Seniorenheim, Zimmer von Zacharias Quellmalz".into()),
        district_key: Set("16051".into()),
        starts_at: Set(starts_at),
        ends_at: Set(starts_at + chrono::Duration::hours(2)),
        volunteers_needed: Set(1),
        participants_per_helper: Set(None),
        skills: Set(String::new()),
        signed_up: Set(1),
        status: Set(ShiftStatus::Open),
        gap_reminded_at: Set(None),
        created_by: Set(None),
        created_at: Set(starts_at),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    session_report::ActiveModel {
        shift_id: Set(shift.id),
        head_count: Set(Some(12)),
        walk_ins: Set(0),
        topics: Set("videotelefonie".into()),
        questions: Set("Zacharias Quellmalz fragte nach 0361 5550199".into()),
        recorded_by: Set(None),
        updated_at: Set(starts_at),
    }
    .insert(&app.db)
    .await
    .unwrap();
    let volunteer = user::Entity::find()
        .filter(user::Column::Email.eq("freiwillig@demo.teilhabe.example"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    volunteer_hours::ActiveModel {
        shift_id: Set(shift.id),
        user_id: Set(volunteer.id),
        started_at: Set(starts_at),
        ended_at: Set(starts_at + chrono::Duration::hours(2)),
        minutes: Set(120),
        status: Set(HoursStatus::Approved),
        decided_by: Set(None),
        decided_at: Set(Some(starts_at)),
        created_at: Set(starts_at),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();

    let out = tempfile::tempdir().unwrap();
    succeeded(&export(
        &app,
        out.path(),
        &["--from", FROM, "--to", TO, "--format", "json"],
    ));
    let row = statistics_row(out.path(), "16051", "2025-03");
    assert_eq!(row["kiosk_views"], 40, "{row}");
    assert_eq!(row["kiosk_bookings"], 6, "{row}");
    assert!(
        row["kiosk_feedback"].is_null(),
        "two forms are suppressed: {row}"
    );
    assert_eq!(row["kiosk_proposals"], 0, "{row}");
    assert_eq!(row["volunteer_sessions"], 1, "{row}");
    assert_eq!(row["volunteer_people_reached"], 12, "{row}");
    assert!(
        row["volunteer_hours"].is_null(),
        "the session file hides one helper's hours, so the total must not show them: {row}"
    );

    let raw = std::fs::read_to_string(out.path().join("volunteer_sessions.json")).unwrap();
    let sessions: Vec<serde_json::Value> = serde_json::from_str(&raw).unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["people_reached"], 12);
    assert_eq!(sessions[0]["topics"], "videotelefonie");
    assert!(
        sessions[0]["approved_hours"].is_null(),
        "one helper: whose hours they are is plain to the organisation"
    );
    assert_eq!(sessions[0]["held_on"], "2025-03-12");
    // Titles, places, notes and volunteers stay in the portal.
    for secret in ["Quellmalz", "5550199", "Jonas", "freiwillig@"] {
        assert!(!raw.contains(secret), "{secret} in {raw}");
    }

    // A second session that month reaches three people: the session file hides them, so the
    // month's total (15) less the 12 shown must not give them away.
    let mut second: volunteer_shift::ActiveModel = shift.clone().into();
    second.id = NotSet;
    let second = second.insert(&app.db).await.unwrap();
    session_report::ActiveModel {
        shift_id: Set(second.id),
        head_count: Set(Some(3)),
        walk_ins: Set(0),
        topics: Set(String::new()),
        questions: Set(String::new()),
        recorded_by: Set(None),
        updated_at: Set(starts_at),
    }
    .insert(&app.db)
    .await
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    succeeded(&export(
        &app,
        out.path(),
        &["--from", FROM, "--to", TO, "--format", "json"],
    ));
    let raw = std::fs::read_to_string(out.path().join("volunteer_sessions.json")).unwrap();
    let sessions: Vec<serde_json::Value> = serde_json::from_str(&raw).unwrap();
    let mut reached: Vec<_> = sessions
        .iter()
        .map(|s| s["people_reached"].as_i64())
        .collect();
    reached.sort();
    assert_eq!(reached, [None, Some(12)], "{raw}");
    let row = statistics_row(out.path(), "16051", "2025-03");
    assert_eq!(row["volunteer_sessions"], 2, "{row}");
    assert!(row["volunteer_people_reached"].is_null(), "{row}");
});

/// Every hidden (null) cell of a sum in `row` must have at least two possible values for a reader
/// who knows the visible cells, that the parts add up to the total and that hidden cells are not 0.
fn assert_nothing_recomputable(row: &serde_json::Value, total: &str, parts: &[&str]) {
    let hidden: Vec<&&str> = parts.iter().filter(|p| row[**p].is_null()).collect();
    let visible: i64 = parts.iter().filter_map(|p| row[*p].as_i64()).sum();
    match row[total].as_i64() {
        Some(total_value) => {
            let rest = total_value - visible;
            assert!(
                hidden.len() != 1,
                "{} = {rest} by subtraction: {row}",
                hidden[0]
            );
            assert!(
                hidden.is_empty() || rest > hidden.len() as i64,
                "{hidden:?} are all 1: {row}"
            );
        }
        None => assert!(
            !hidden.is_empty() || visible == 0,
            "{total} = {visible} by addition: {row}"
        ),
    }
}

on_both_backends!(no_hidden_count_can_be_recomputed_from_visible_ones, |app| {
    seed(&app).await;
    // The reported case: 43 bookings in Jena, 42 online and one through the API.
    let jena = app_date_elsewhere(&app).await;
    for n in 0..42 {
        add_booking(&app, jena, n, "online", "confirmed", None, None).await;
    }
    add_booking(&app, jena, 0, "api", "confirmed", None, None).await;
    // A date with one booking of one place.
    let course = offer::Entity::find()
        .filter(offer::Column::Slug.eq("export-kurs"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let single = add_date(&app, course.id, berlin("2025-03-25", 10)).await;
    let mut date: offer_date::ActiveModel = offer_date::Entity::find_by_id(single)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .into();
    date.booked_places = Set(1);
    date.update(&app.db).await.unwrap();
    add_booking(
        &app,
        single,
        0,
        "online",
        "confirmed",
        Some("present"),
        None,
    )
    .await;

    let out = tempfile::tempdir().unwrap();
    succeeded(&export(
        &app,
        out.path(),
        &["--from", FROM, "--to", TO, "--format", "json"],
    ));
    let row = statistics_row(out.path(), "16053", "2025-03");
    assert_eq!(row["bookings_total"], 43, "{row}");
    assert!(row["bookings_api"].is_null(), "{row}");
    let rows: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("statistics_by_district_month.json")).unwrap(),
    )
    .unwrap();
    for row in &rows {
        for (total, parts) in [
            (
                "bookings_total",
                [
                    "bookings_online",
                    "bookings_staff",
                    "bookings_kiosk",
                    "bookings_api",
                ],
            ),
            (
                "proposals_total",
                [
                    "proposals_online",
                    "proposals_kiosk",
                    "proposals_assisted",
                    "proposals_import",
                ],
            ),
            (
                "feedback_total",
                [
                    "feedback_online",
                    "feedback_qr",
                    "feedback_kiosk",
                    "feedback_paper",
                ],
            ),
        ] {
            assert_nothing_recomputable(row, total, &parts);
        }
    }

    let dates: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("dates.json")).unwrap())
            .unwrap();
    assert_eq!(dates.len(), 5);
    for date in &dates {
        if date["bookings"].is_null() {
            assert!(date["booked_places"].is_null(), "{date}");
        }
        assert_nothing_recomputable(date, "booked_places", &["participants_present", "no_shows"]);
    }
    let single = dates.iter().find(|d| d["date_id"] == single).unwrap();
    assert!(single["booked_places"].is_null(), "{single}");
});

/// The text of every cell styled with Excel's quote prefix, and whether the workbook has any formula.
fn xlsx_quoted_cells(path: &Path) -> (Vec<String>, bool) {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut read = |name: &str| {
        let mut text = String::new();
        archive
            .by_name(name)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text
    };
    let styles = read("xl/styles.xml");
    let sheet = read("xl/worksheets/sheet1.xml");
    let cell_xfs = styles
        .split("<cellXfs")
        .nth(1)
        .and_then(|x| x.split("</cellXfs>").next())
        .unwrap();
    let quoted_styles: Vec<String> = cell_xfs
        .split("<xf ")
        .skip(1)
        .enumerate()
        .filter(|(_, xf)| xf.split('>').next().unwrap().contains("quotePrefix=\"1\""))
        .map(|(i, _)| i.to_string())
        .collect();
    let unescape = |t: &str| {
        t.replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    let quoted = sheet
        .split("<c ")
        .skip(1)
        .filter(|cell| {
            let open = cell.split('>').next().unwrap();
            quoted_styles
                .iter()
                .any(|s| open.contains(&format!(" s=\"{s}\"")))
        })
        .filter_map(|cell| {
            let text = cell.split("<t").nth(1)?.split_once('>')?.1;
            Some(unescape(text.split("</t>").next()?))
        })
        .collect();
    (quoted, sheet.contains("<f>") || sheet.contains("<f "))
}

on_both_backends!(no_cell_reaches_a_spreadsheet_as_a_formula, |app| {
    seed(&app).await;
    let title = "=HYPERLINK(\"https://boese.example/\";\"Mehr\")";
    add_proposal(
        &app,
        5,
        title,
        "+Mehr Licht im Park",
        "published",
        "online",
        Some("-Wir prüfen es."),
        None,
    )
    .await;
    let date_id = feedback::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .date_id;
    let anonymous = "@SUM(1+1)*cmd|' /C calc'!A0";
    feedback::Entity::insert(feedback_form(date_id, "qr", 4, Some(anonymous)))
        .exec(&app.db)
        .await
        .unwrap();

    let out = tempfile::tempdir().unwrap();
    succeeded(&export(
        &app,
        out.path(),
        &["--from", FROM, "--to", TO, "--format", "csv"],
    ));
    let mut reader = csv::Reader::from_path(out.path().join("proposals.csv")).unwrap();
    let record = reader
        .records()
        .map(Result::unwrap)
        .find(|r| r[1].contains("HYPERLINK"))
        .unwrap();
    assert_eq!(&record[1], format!("'{title}"));
    assert_eq!(&record[2], "'+Mehr Licht im Park");
    assert_eq!(&record[6], "'-Wir prüfen es.");
    let mut reader = csv::Reader::from_path(out.path().join("feedback.csv")).unwrap();
    assert!(
        reader
            .records()
            .map(Result::unwrap)
            .any(|r| r[10] == format!("'{anonymous}"))
    );
    // No cell of any file starts like a formula, unless it is a number.
    for name in files_in(out.path()) {
        if !name.ends_with(".csv") {
            continue;
        }
        let mut reader = csv::Reader::from_path(out.path().join(&name)).unwrap();
        for record in reader.records().map(Result::unwrap) {
            for cell in &record {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
                        || cell.parse::<f64>().is_ok(),
                    "{name}: {cell}"
                );
            }
        }
    }

    let out = tempfile::tempdir().unwrap();
    succeeded(&export(
        &app,
        out.path(),
        &["--from", FROM, "--to", TO, "--format", "xlsx"],
    ));
    let (quoted, formulas) = xlsx_quoted_cells(&out.path().join("proposals.xlsx"));
    assert!(!formulas, "no cell is a formula");
    for text in [title, "+Mehr Licht im Park", "-Wir prüfen es."] {
        assert!(
            quoted.iter().any(|q| q == text),
            "{text} not quoted: {quoted:?}"
        );
    }
    let (quoted, formulas) = xlsx_quoted_cells(&out.path().join("feedback.xlsx"));
    assert!(!formulas);
    assert_eq!(quoted, [anonymous]);
    // What a reader sees is the text itself.
    assert!(xlsx_text(&out.path().join("proposals.xlsx")).contains(title));
});

on_both_backends!(only_the_scheduled_export_moves_its_mark, |app| {
    seed(&app).await;
    let out = tempfile::tempdir().unwrap();
    succeeded(&export(
        &app,
        out.path(),
        &["--since-last", "--from", FROM, "--to", "2025-03-12"],
    ));
    let (_, token) = admin_token(&app, "tmdi-admin@example.org");

    // Downloads over HTTP and exports of a chosen period leave the schedule alone.
    let res = get_export(
        &app,
        &format!("from={FROM}&to={TO}&format=json"),
        Some(&token),
    )
    .await;
    assert_eq!(res.status(), 200);
    let manual = tempfile::tempdir().unwrap();
    succeeded(&export(
        &app,
        manual.path(),
        &["--from", "2025-01-01", "--to", TO],
    ));

    // An end in the future is refused: the days after today have not happened yet.
    let tomorrow = teilhabe::export::today_in_berlin(Utc::now()) + chrono::Duration::days(1);
    let res = get_export(
        &app,
        "from=1900-01-01&to=2100-12-31&format=csv",
        Some(&token),
    )
    .await;
    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["fields"][0]["field"], "to", "{body}");
    assert_eq!(
        body["error"]["fields"][0]["code"], "error-export-date-future",
        "{body}"
    );
    let refused = tempfile::tempdir().unwrap();
    one_line_error(
        &export(
            &app,
            refused.path(),
            &["--from", FROM, "--to", &tomorrow.to_string()],
        ),
        2,
        &["--to", "not over yet"],
    );
    assert!(files_in(refused.path()).is_empty());

    // The scheduled export goes on where it stopped.
    let next = tempfile::tempdir().unwrap();
    succeeded(&export(
        &app,
        next.path(),
        &["--since-last", "--to", TO, "--format", "json"],
    ));
    assert_eq!(manifest(next.path())["period"]["from"], "2025-03-13");
});

on_both_backends!(granting_a_role_on_the_command_line_is_audited, |app| {
    let email = "neue-admin@example.org";
    succeeded(
        &teilhabe(&app)
            .args(["user", "add", "--email", email, "--role", "admin"])
            .output()
            .unwrap(),
    );
    // A role already held is refused and records nothing.
    let again = teilhabe(&app)
        .args(["user", "add", "--email", email, "--role", "admin"])
        .output()
        .unwrap();
    assert!(!again.status.success());
    let admin = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let granted = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("role.granted"))
        .filter(audit_log::Column::Target.eq(format!("user:{}", admin.id)))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(granted.len(), 1, "{granted:?}");
    assert_eq!(granted[0].actor_user_id, None, "no account acted");
    assert_eq!(granted[0].details, "admin (command line)");
});

/// The seeded course's first date (Erfurt, 2025-03-10).
async fn seeded_course_date(app: &TestApp) -> i32 {
    let course = offer::Entity::find()
        .filter(offer::Column::Slug.eq("export-kurs"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    offer_date::Entity::find()
        .filter(offer_date::Column::OfferId.eq(course.id))
        .filter(offer_date::Column::StartsAt.eq(berlin("2025-03-10", 10)))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// Kiosk use counted at the seeded venue in Erfurt on 2025-03-11.
async fn kiosk_use(app: &TestApp, uses: &[(&str, i32)]) {
    use teilhabe::db::entities::{kiosk_terminal, kiosk_usage};
    let place = venue::Entity::find()
        .filter(venue::Column::Slug.eq("export-test-treff"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let terminal = kiosk_terminal::ActiveModel {
        name: Set("Terminal im Treff".into()),
        venue_id: Set(place.id),
        pairing_code_hash: Set("y".into()),
        pairing_expires_at: Set(Utc::now()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    for (action, count) in uses {
        kiosk_usage::ActiveModel {
            terminal_id: Set(terminal.id),
            day: Set(day("2025-03-11")),
            action: Set((*action).into()),
            count: Set(*count),
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
}

on_both_backends!(kiosk_figures_are_hidden_with_the_kiosk_channel, |app| {
    seed(&app).await;
    // Erfurt, March: 12 forms online, 6 at the kiosk, 2 on paper. Paper is hidden, and the kiosk
    // channel with it; the terminal's count of forms is those 6 again.
    let date = seeded_course_date(&app).await;
    let mut forms: Vec<feedback::ActiveModel> = (0..7)
        .map(|_| feedback_form(date, "online", 4, None))
        .collect();
    forms.extend((0..6).map(|_| feedback_form(date, "kiosk", 4, None)));
    forms.push(feedback_form(date, "paper", 3, None));
    feedback::Entity::insert_many(forms)
        .exec(&app.db)
        .await
        .unwrap();
    kiosk_use(&app, &[("view", 50), ("feedback", 6)]).await;

    let out = tempfile::tempdir().unwrap();
    succeeded(&export(
        &app,
        out.path(),
        &["--from", FROM, "--to", TO, "--format", "json"],
    ));
    let row = statistics_row(out.path(), "16051", "2025-03");
    assert_eq!(row["feedback_total"], 20, "{row}");
    assert_eq!(row["feedback_online"], 12, "{row}");
    assert!(row["feedback_paper"].is_null(), "{row}");
    assert!(row["feedback_kiosk"].is_null(), "{row}");
    let rows: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("statistics_by_district_month.json")).unwrap(),
    )
    .unwrap();
    for row in &rows {
        for (channel, terminal) in [
            ("feedback_kiosk", "kiosk_feedback"),
            ("bookings_kiosk", "kiosk_bookings"),
            ("proposals_kiosk", "kiosk_proposals"),
        ] {
            if row[channel].is_null() {
                assert!(row[terminal].is_null(), "{terminal} shows {channel}: {row}");
            }
        }
    }
});

on_both_backends!(
    no_hidden_date_count_follows_from_the_monthly_figures,
    |app| {
        seed(&app).await;
        // Jena, March: date A with 12 bookings, date B with 3. The figures per district and month show
        // 15 bookings; with A shown and B hidden, B would be 15 − 12.
        let jena = app_date_elsewhere(&app).await;
        let course = offer_date::Entity::find_by_id(jena)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .offer_id;
        let other = add_date(&app, course, berlin("2025-03-19", 10)).await;
        for (date, n, attendance) in [(jena, 12, "present"), (other, 3, "present")] {
            let mut row: offer_date::ActiveModel = offer_date::Entity::find_by_id(date)
                .one(&app.db)
                .await
                .unwrap()
                .unwrap()
                .into();
            row.booked_places = Set(n as i32);
            row.update(&app.db).await.unwrap();
            for i in 0..n {
                add_booking(&app, date, i, "online", "confirmed", Some(attendance), None).await;
            }
        }

        let out = tempfile::tempdir().unwrap();
        succeeded(&export(
            &app,
            out.path(),
            &["--from", FROM, "--to", TO, "--format", "json"],
        ));
        let statistics: Vec<serde_json::Value> = serde_json::from_str(
            &std::fs::read_to_string(out.path().join("statistics_by_district_month.json")).unwrap(),
        )
        .unwrap();
        let dates: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(out.path().join("dates.json")).unwrap())
                .unwrap();
        let jena_row = statistics_row(out.path(), "16053", "2025-03");
        assert_eq!(jena_row["bookings_total"], 15, "{jena_row}");
        let mut checked = 0;
        for row in &statistics {
            let in_group: Vec<&serde_json::Value> = dates
                .iter()
                .filter(|d| {
                    d["district_key"] == row["district_key"]
                        && d["starts_at"].as_str().unwrap()[..7] == *row["month"].as_str().unwrap()
                        && d["status"] != "cancelled"
                })
                .collect();
            for (total, cell) in [
                ("bookings_total", "bookings"),
                ("participants_present", "participants_present"),
                ("no_shows", "no_shows"),
            ] {
                let Some(total_value) = row[total].as_i64() else {
                    continue;
                };
                let hidden = in_group.iter().filter(|d| d[cell].is_null()).count() as i64;
                let rest = total_value
                    - in_group
                        .iter()
                        .filter_map(|d| d[cell].as_i64())
                        .sum::<i64>();
                assert!(
                    hidden != 1,
                    "{cell}: the one hidden date has {rest} ({total} {total_value}): {in_group:?}"
                );
                assert!(
                    hidden == 0 || rest > hidden,
                    "{cell}: the {hidden} hidden dates all have 1: {in_group:?}"
                );
                checked += 1;
            }
        }
        assert!(checked >= 3, "{statistics:?}");
    }
);

on_both_backends!(unlinked_forms_point_to_no_single_date, |app| {
    seed(&app).await;
    // A course date in Erfurt on 2025-03-25 with two kiosk forms that day: too few to name the
    // date, and the only course date in Erfurt that day.
    let course = offer::Entity::find()
        .filter(offer::Column::Slug.eq("export-kurs"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let date = add_date(&app, course.id, berlin("2025-03-25", 10)).await;
    let forms: Vec<feedback::ActiveModel> = (0..2)
        .map(|_| {
            let mut form = feedback_form(date, "kiosk", 2, None);
            form.submitted_on = Set(day("2025-03-25"));
            form
        })
        .collect();
    feedback::Entity::insert_many(forms)
        .exec(&app.db)
        .await
        .unwrap();
    // And the one course date in Jena that month, with three forms: with district and month, each
    // group of forms would name its date (the dates file lists every date).
    let jena = app_date_elsewhere(&app).await;
    for _ in 0..2 {
        feedback::Entity::insert(feedback_form(jena, "qr", 4, None))
            .exec(&app.db)
            .await
            .unwrap();
    }

    let out = tempfile::tempdir().unwrap();
    succeeded(&export(
        &app,
        out.path(),
        &["--from", FROM, "--to", TO, "--format", "json"],
    ));
    let raw = std::fs::read_to_string(out.path().join("feedback.json")).unwrap();
    let forms: Vec<serde_json::Value> = serde_json::from_str(&raw).unwrap();
    let dates: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("dates.json")).unwrap())
            .unwrap();
    let unlinked: Vec<&serde_json::Value> =
        forms.iter().filter(|f| f["date_id"].is_null()).collect();
    assert_eq!(unlinked.len(), 5, "shown together: {raw}");
    for form in unlinked {
        assert!(form["feedback_id"].is_null(), "{form}");
        assert!(form["district_key"].is_null(), "{form}");
        assert!(form["channel"].is_null(), "kiosk or qr: {form}");
        assert_eq!(form["offer_kind"], "course", "{form}");
        assert_eq!(form["submitted_on"], "2025-03-01", "{form}");
        // Dates whose forms are hidden and that fit what the row shows.
        let shown =
            |key: &str, date: &serde_json::Value| form[key].is_null() || form[key] == date[key];
        let matching = dates
            .iter()
            .filter(|d| d["feedback_forms"].is_null())
            .filter(|d| shown("district_key", d) && shown("offer_kind", d))
            .filter(|d| {
                d["starts_at"].as_str().unwrap()[..7] == form["submitted_on"].as_str().unwrap()[..7]
            })
            .count();
        assert!(matching >= 2, "{form} points to its date");
    }
});

/// Every file in `dir` with its bytes; folders are listed with none.
fn snapshot(dir: &Path) -> HashMap<String, Option<Vec<u8>>> {
    files_in(dir)
        .into_iter()
        .map(|name| {
            let path = dir.join(&name);
            let bytes = path.is_file().then(|| std::fs::read(&path).unwrap());
            (name, bytes)
        })
        .collect()
}

on_both_backends!(
    a_run_that_cannot_be_recorded_keeps_the_export_before,
    |app| {
        seed(&app).await;
        let out = tempfile::tempdir().unwrap();
        succeeded(&export(
            &app,
            out.path(),
            &["--from", FROM, "--to", TO, "--format", "csv"],
        ));
        let before = snapshot(out.path());
        assert_eq!(before.len(), 9, "{:?}", before.keys());
        crate::helpers::refuse_inserts(&app.db, "export_runs", true).await;
        let failed = export(
            &app,
            out.path(),
            &["--from", FROM, "--to", TO, "--format", "csv"],
        );
        crate::helpers::refuse_inserts(&app.db, "export_runs", false).await;
        assert!(!failed.status.success(), "{failed:?}");
        let after = snapshot(out.path());
        assert_eq!(
            after.keys().collect::<std::collections::BTreeSet<_>>(),
            before.keys().collect(),
            "the files of the export before, and nothing else"
        );
        assert!(after == before, "the files of the export before changed");
    }
);

/// A working folder with a file in it, nothing written for `hours`.
fn working_folder(path: &Path, hours: u64) {
    std::fs::create_dir_all(path).unwrap();
    std::fs::write(path.join("dates.csv"), "date_id\n1\n").unwrap();
    let then = std::time::SystemTime::now() - std::time::Duration::from_secs(hours * 3600);
    for p in [path.join("dates.csv"), path.to_owned()] {
        std::fs::File::open(p).unwrap().set_modified(then).unwrap();
    }
}

on_both_backends!(working_folders_of_runs_that_died_are_removed, |app| {
    seed(&app).await;
    // The command line's staging folders in the output folder.
    let out = tempfile::tempdir().unwrap();
    let died = out.path().join(".teilhabe-export-died");
    let busy = out.path().join(".teilhabe-export-busy");
    working_folder(&died, 2);
    working_folder(&busy, 0);
    succeeded(&export(
        &app,
        out.path(),
        &["--from", FROM, "--to", TO, "--format", "csv"],
    ));
    assert!(!died.exists(), "{:?}", files_in(out.path()));
    assert!(busy.exists(), "a run may still be writing there");

    // The API's download folders in the data folder.
    let died = app.settings.data_dir.join(".export-download-died");
    let busy = app.settings.data_dir.join(".export-download-busy");
    working_folder(&died, 2);
    working_folder(&busy, 0);
    let (_, token) = admin_token(&app, "ministerium-export@example.org");
    let response = get_export(
        &app,
        &format!("from={FROM}&to={TO}&format=csv"),
        Some(&token),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(!died.exists());
    assert!(busy.exists());
});
