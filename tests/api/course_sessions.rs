//! Courses of several dates booked as a whole: every session in the booking's calendar file,
//! attendance per session (staff and helpers) and its overview for the provider, a reminder before
//! every session (never two on a day), mails when one session moves or is cancelled, the export's
//! count per session; and the language people choose for their mails on the account page.
use chrono::{DateTime, Duration, DurationRound, NaiveDate, Utc};
use chrono_tz::Europe::Berlin;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use teilhabe::domain::booking::BookingStatus;
use teilhabe::domain::offer::{DateStatus, OfferKind, OfferStatus};
use teilhabe::domain::volunteering::{ShiftKind, ShiftStatus, SignupStatus};
use teilhabe::{
    db::entities::{
        booking, offer, offer_date, organisation, outbox, session_attendance, user, venue,
        volunteer_shift, volunteer_signup,
    },
    domain::{
        Language,
        booking::{BookingRequest, Channel},
    },
    services::booking::Booked,
};

use crate::helpers::*;
use crate::on_both_backends;

const STAFF: (&str, &str) = ("anbieter@demo.teilhabe.example", "Demo-Anbieter-2026");
use crate::helpers::CITIZEN;
const VOLUNTEER: (&str, &str) = ("freiwillig@demo.teilhabe.example", "Demo-Freiwillig-2026");
const OWN_ORG: &str = "probierladen-erfurt";

/// `hours` from now, on a whole minute.
fn in_hours(hours: i64) -> DateTime<Utc> {
    (Utc::now() + Duration::hours(hours))
        .duration_trunc(Duration::minutes(1))
        .unwrap()
}

struct Course {
    title: String,
    lead: offer_date::Model,
    sessions: Vec<offer_date::Model>,
}

/// A published course of the demo provider with a first date and later sessions (booked as a whole).
async fn course(app: &TestApp, lead_at: DateTime<Utc>, sessions_at: &[DateTime<Utc>]) -> Course {
    let org = organisation::Entity::find()
        .filter(organisation::Column::Slug.eq(OWN_ORG))
        .one(&app.db)
        .await
        .unwrap()
        .expect("demo organisation");
    let venue = venue::Entity::find()
        .filter(venue::Column::OrganisationId.eq(org.id))
        .order_by_asc(venue::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("a venue");
    let code = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let title = format!("Smartphone in vier Schritten {code}");
    let description = "Vier Termine, Schritt für Schritt.";
    let offer = offer::ActiveModel {
        slug: Set(format!("smartphone-vier-schritte-{code}")),
        organisation_id: Set(org.id),
        venue_id: Set(Some(venue.id)),
        kind: Set(OfferKind::Course),
        title: Set(title.clone()),
        description: Set(description.into()),
        search_text: Set(teilhabe::domain::offer::search_text(&title, description)),
        topic: Set("smartphone-grundlagen".into()),
        level: Set("einsteiger".into()),
        target_group: Set("senioren".into()),
        language: Set("de".into()),
        online_url: Set(None),
        what_to_bring: Set("Ihr Smartphone".into()),
        accessibility_notes: Set(String::new()),
        price_cents: Set(0),
        status: Set(OfferStatus::Published),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let date = |starts_at: DateTime<Utc>, lead: Option<i32>| offer_date::ActiveModel {
        offer_id: Set(offer.id),
        starts_at: Set(starts_at),
        ends_at: Set(starts_at + Duration::minutes(90)),
        capacity: Set(8),
        booked_places: Set(0),
        max_places_per_booking: Set(2),
        booking_opens_at: Set(None),
        booking_closes_at: Set(Some(starts_at)),
        status: Set(DateStatus::Scheduled),
        created_at: Set(Utc::now()),
        min_participants: Set(0),
        decision_at: Set(None),
        decided_at: Set(None),
        walk_in_places: Set(0),
        walk_in_release_at: Set(None),
        reminder_sent_at: Set(None),
        revision: Set(0),
        series_lead_id: Set(lead),
        ..Default::default()
    };
    let lead = date(lead_at, None).insert(&app.db).await.unwrap();
    let mut sessions = Vec::new();
    for at in sessions_at {
        sessions.push(date(*at, Some(lead.id)).insert(&app.db).await.unwrap());
    }
    Course {
        title,
        lead,
        sessions,
    }
}

async fn book(app: &TestApp, date_id: i32, name: &str, email: &str) -> Booked {
    let request = BookingRequest::parse(name, email, "", "1", Channel::Online).expect("valid");
    app.desk()
        .book(date_id, request, Utc::now())
        .await
        .expect("booked")
}

async fn mails_with_subject(app: &TestApp, subject: &str) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .filter(outbox::Column::Subject.eq(subject))
        .order_by_asc(outbox::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
}

async fn sign_in(app: &TestApp, (email, password): (&str, &str), form_page: &str) -> String {
    assert_eq!(app.login(email, password).await.status(), 303, "{email}");
    app.csrf_token(form_page).await
}

async fn post(
    app: &TestApp,
    path: &str,
    token: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut all = vec![("csrf_token", token)];
    all.extend_from_slice(fields);
    app.post_form(path, &all).await
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .expect("Location")
        .to_str()
        .unwrap()
        .to_owned()
}

/// The VEVENT blocks of a calendar file, unfolded.
fn events(ics: &str) -> Vec<String> {
    let unfolded = ics.replace("\r\n ", "");
    unfolded
        .split("BEGIN:VEVENT")
        .skip(1)
        .map(|e| e.split("END:VEVENT").next().unwrap().to_owned())
        .collect()
}

fn event_of(events: &[String], date_id: i32) -> &str {
    events
        .iter()
        .find(|e| e.contains(&format!("UID:date-{date_id}@")))
        .unwrap_or_else(|| panic!("no event for date {date_id} in {events:?}"))
}

on_both_backends!(the_booking_calendar_carries_every_session, |app| {
    let c = course(
        &app,
        in_hours(24 * 5),
        &[in_hours(24 * 12), in_hours(24 * 19)],
    )
    .await;
    let booked = book(&app, c.lead.id, "Erika Muster", "erika.kurs@example.de").await;

    let mail = mails_with_subject(&app, &format!("Ihr Platz ist gebucht: {}", c.title))
        .await
        .pop()
        .expect("confirmation");
    let ics = mail.attachment_body.expect("calendar file");
    let found = events(&ics);
    assert_eq!(found.len(), 3, "{ics}");
    for date in std::iter::once(&c.lead).chain(&c.sessions) {
        let event = event_of(&found, date.id);
        let start = date
            .starts_at
            .with_timezone(&Berlin)
            .format("%Y%m%dT%H%M%S")
            .to_string();
        assert!(event.contains(&start), "{event}");
        assert!(event.contains("SEQUENCE:0"), "{event}");
    }

    // The booking's own page gives the same file.
    let res = app
        .get(&format!("/buchung/{}/termin.ics", booked.cancel_token))
        .await;
    assert_eq!(res.status(), 200);
    let own = events(&res.text().await.unwrap());
    assert_eq!(own.len(), 3);
    for date in std::iter::once(&c.lead).chain(&c.sessions) {
        event_of(&own, date.id);
    }
});

on_both_backends!(
    attendance_is_recorded_per_session_and_shown_to_the_provider,
    |app| {
        let c = course(&app, in_hours(24 * 3), &[in_hours(24 * 10)]).await;
        let session = &c.sessions[0];
        let anna = book(&app, c.lead.id, "Anna Anwesend", "anna.kurs@example.de").await;
        let bernd = book(&app, c.lead.id, "Bernd Fehlt", "bernd.kurs@example.de").await;
        let token = sign_in(&app, STAFF, "/verwaltung/angebote/neu").await;

        // At the first date both came; at the session Anna came and Bernd did not.
        for (date, booking, value) in [
            (c.lead.id, anna.booking_id, "present"),
            (c.lead.id, bernd.booking_id, "present"),
            (session.id, anna.booking_id, "present"),
            (session.id, bernd.booking_id, "absent"),
        ] {
            let res = post(
                &app,
                &format!("/verwaltung/termine/{date}/anwesenheit"),
                &token,
                &[("booking", &booking.to_string()), ("attendance", value)],
            )
            .await;
            assert_eq!(res.status(), 303, "{date} {booking} {value}");
        }
        let marks = session_attendance::Entity::find()
            .filter(session_attendance::Column::DateId.eq(session.id))
            .order_by_asc(session_attendance::Column::BookingId)
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(
            marks
                .iter()
                .map(|m| (m.booking_id, m.attendance.key()))
                .collect::<Vec<_>>(),
            [(anna.booking_id, "present"), (bernd.booking_id, "absent")]
        );
        let bernd_row = booking::Entity::find_by_id(bernd.booking_id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            bernd_row
                .attendance
                .map(teilhabe::domain::booking::Attendance::key),
            Some("present"),
            "the first date's attendance is its own"
        );

        // Changing one's mind replaces the mark; no mark removes it.
        let res = post(
            &app,
            &format!("/verwaltung/termine/{}/anwesenheit", session.id),
            &token,
            &[
                ("booking", &bernd.booking_id.to_string()),
                ("attendance", ""),
            ],
        )
        .await;
        assert_eq!(res.status(), 303);
        let res = post(
            &app,
            &format!("/verwaltung/termine/{}/anwesenheit", session.id),
            &token,
            &[
                ("booking", &bernd.booking_id.to_string()),
                ("attendance", "absent"),
            ],
        )
        .await;
        assert_eq!(res.status(), 303);

        // The session's page shows its own attendance.
        let (status, doc) = app
            .get_html(&format!("/verwaltung/termine/{}", session.id))
            .await;
        assert_eq!(status, 200);
        let pressed: Vec<String> =
            select(&doc, "#teilnehmende ~ div button[aria-pressed=\"true\"]")
                .iter()
                .map(|b| b.text().collect::<String>())
                .collect();
        assert_eq!(pressed, ["Da", "Nicht gekommen"], "Anna there, Bernd not");
        assert!(text_of(&doc, "main").contains("gilt nur für den Termin am"));

        // The first date's page has the overview per date: present, absent, not recorded.
        let (_, doc) = app
            .get_html(&format!("/verwaltung/termine/{}", c.lead.id))
            .await;
        let rows: Vec<Vec<String>> =
            select(&doc, "#anwesenheit-je-termin + p + div table tbody tr")
                .iter()
                .map(|tr| {
                    tr.select(&scraper::Selector::parse("td").unwrap())
                        .map(|td| td.text().collect::<String>())
                        .collect()
                })
                .collect();
        assert_eq!(rows, [["2", "0", "0"], ["1", "1", "0"]]);

        // A cancelled booking cannot be marked at a session: refused with its reason.
        app.desk()
            .cancel(&bernd.cancel_token, Utc::now())
            .await
            .unwrap();
        let res = post(
            &app,
            &format!("/verwaltung/termine/{}/anwesenheit", session.id),
            &token,
            &[
                ("booking", &bernd.booking_id.to_string()),
                ("attendance", "present"),
            ],
        )
        .await;
        assert_eq!(res.status(), 422);
    }
);

on_both_backends!(helpers_check_people_in_at_the_session_they_help_at, |app| {
    let c = course(&app, in_hours(24 * 3), &[in_hours(24 * 10)]).await;
    let session = &c.sessions[0];
    let anna = book(&app, c.lead.id, "Anna Helferfall", "anna.hilfe@example.de").await;
    let volunteer = user_id(&app, VOLUNTEER.0).await;
    let shift = volunteer_shift::ActiveModel {
        organisation_id: Set(org_of(&app).await),
        offer_date_id: Set(Some(session.id)),
        venue_id: Set(None),
        kind: Set(ShiftKind::CourseAssistance),
        title: Set(format!("Hilfe: {}", c.title)),
        place: Set("Anger 1".into()),
        district_key: Set("16051".into()),
        // Attendance is taken from an hour before the helpers' start: they begin shortly.
        starts_at: Set(Utc::now() + Duration::minutes(30)),
        ends_at: Set(Utc::now() + Duration::minutes(150)),
        volunteers_needed: Set(1),
        participants_per_helper: Set(None),
        skills: Set(String::new()),
        signed_up: Set(1),
        status: Set(ShiftStatus::Open),
        gap_reminded_at: Set(None),
        created_by: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    volunteer_signup::ActiveModel {
        shift_id: Set(shift.id),
        user_id: Set(volunteer),
        status: Set(SignupStatus::Active),
        signed_up_at: Set(Utc::now()),
        withdrawn_at: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();

    let token = sign_in(&app, VOLUNTEER, "/konto").await;
    let res = post(
        &app,
        &format!("/verwaltung/einsaetze/{}/anwesenheit", shift.id),
        &token,
        &[
            ("booking", &anna.booking_id.to_string()),
            ("attendance", "present"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let mark = session_attendance::Entity::find()
        .filter(session_attendance::Column::BookingId.eq(anna.booking_id))
        .one(&app.db)
        .await
        .unwrap()
        .expect("marked at the session");
    assert_eq!(
        (mark.date_id, mark.attendance.key()),
        (session.id, "present")
    );
    let first = booking::Entity::find_by_id(anna.booking_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.attendance, None, "the first date is not touched");
    let (_, doc) = app
        .get_html(&format!("/verwaltung/einsaetze/{}", shift.id))
        .await;
    assert_eq!(
        select(&doc, "#anwesenheit ~ div button[aria-pressed=\"true\"]")
            .iter()
            .map(|b| b.text().collect::<String>())
            .collect::<Vec<_>>(),
        ["Da"]
    );

    // Cancelled while the helper's page was open: refused with the reason, the mark unchanged.
    app.desk()
        .cancel(&anna.cancel_token, Utc::now())
        .await
        .unwrap();
    let res = post(
        &app,
        &format!("/verwaltung/einsaetze/{}/anwesenheit", shift.id),
        &token,
        &[
            ("booking", &anna.booking_id.to_string()),
            ("attendance", "absent"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("keinen bestätigten Platz")
    );
    let mark = session_attendance::Entity::find()
        .filter(session_attendance::Column::BookingId.eq(anna.booking_id))
        .one(&app.db)
        .await
        .unwrap()
        .expect("still marked");
    assert_eq!(mark.attendance.key(), "present");
});

async fn org_of(app: &TestApp) -> i32 {
    organisation::Entity::find()
        .filter(organisation::Column::Slug.eq(OWN_ORG))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id
}

on_both_backends!(
    a_reminder_goes_out_before_every_session_but_never_two_a_day,
    |app| {
        // The first date and a session both within the reminder window, a third session far ahead.
        let c = course(&app, in_hours(30), &[in_hours(40), in_hours(24 * 9)]).await;
        book(&app, c.lead.id, "Rita Erinnert", "rita.kurs@example.de").await;
        let first_subject = format!("Erinnerung: {}", c.title);
        let session_subject = format!("Erinnerung an den nächsten Termin: {}", c.title);
        let window = Duration::hours(48);
        let desk = app.desk();
        let now = Utc::now();

        // (The demo data's dates are reminded by the same runs; only this course's mails count here.)
        desk.send_reminders(window, now).await.unwrap();
        assert_eq!(mails_with_subject(&app, &first_subject).await.len(), 1);
        assert!(
            mails_with_subject(&app, &session_subject).await.is_empty(),
            "a second reminder the same day waits"
        );
        // Later runs the same day send nothing more: five minutes on, or just before midnight in
        // Thuringia when the test runs late in the evening (five minutes on would be tomorrow).
        let local_midnight = (now.with_timezone(&Berlin).date_naive() + Duration::days(1))
            .and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(Berlin).earliest())
            .expect("midnight in Thuringia")
            .with_timezone(&Utc);
        let later_today = std::cmp::min(
            now + Duration::minutes(5),
            local_midnight - Duration::seconds(1),
        );
        desk.send_reminders(window, later_today).await.unwrap();
        assert_eq!(mails_with_subject(&app, &first_subject).await.len(), 1);
        assert!(mails_with_subject(&app, &session_subject).await.is_empty());

        // The next day the session's reminder goes out, once.
        let tomorrow = now + Duration::hours(24);
        desk.send_reminders(window, tomorrow).await.unwrap();
        desk.send_reminders(window, tomorrow + Duration::minutes(1))
            .await
            .unwrap();
        let reminders = mails_with_subject(&app, &session_subject).await;
        assert_eq!(reminders.len(), 1);
        let session = &c.sessions[0];
        let when = teilhabe::i18n::format_instant(
            session.starts_at,
            Language::De,
            teilhabe::i18n::DateStyle::Time,
        );
        assert!(
            reminders[0].body_text.contains(&when),
            "names the session: {}",
            reminders[0].body_text
        );
        assert_eq!(
            events(reminders[0].attachment_body.as_deref().unwrap()).len(),
            3
        );
        assert_eq!(mails_with_subject(&app, &first_subject).await.len(), 1);
        let reminded = offer_date::Entity::find_by_id(session.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert!(reminded.reminder_sent_at.is_some());

        // The last session is reminded when its time comes.
        let later = c.sessions[1].starts_at - Duration::hours(20);
        desk.send_reminders(window, later).await.unwrap();
        assert_eq!(mails_with_subject(&app, &session_subject).await.len(), 2);
    }
);

on_both_backends!(reminders_claimed_by_two_instances_go_out_once, |app| {
    let c = course(&app, in_hours(30), &[in_hours(24 * 9)]).await;
    for n in 0..5 {
        book(
            &app,
            c.lead.id,
            &format!("Person {n}"),
            &format!("person{n}.kurs@example.de"),
        )
        .await;
    }
    let (a, b) = (app.desk(), app.desk());
    let now = Utc::now();
    let (ra, rb) = tokio::join!(
        a.send_reminders(Duration::hours(48), now),
        b.send_reminders(Duration::hours(48), now)
    );
    ra.unwrap();
    rb.unwrap();
    let all = outbox::Entity::find().all(&app.db).await.unwrap();
    let mut seen = std::collections::HashSet::new();
    for mail in all.iter().filter(|m| m.subject.starts_with("Erinnerung")) {
        assert!(
            seen.insert((mail.recipient.clone(), mail.subject.clone())),
            "reminded twice: {} {}",
            mail.recipient,
            mail.subject
        );
    }
    assert_eq!(
        mails_with_subject(&app, &format!("Erinnerung: {}", c.title))
            .await
            .len(),
        5
    );
});

/// The edit form of a date, as the page fills it in, with `changes`.
async fn date_form(app: &TestApp, date_id: i32, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let (status, doc) = app
        .get_html(&format!("/verwaltung/termine/{date_id}/bearbeiten"))
        .await;
    assert_eq!(status, 200);
    select(
        &doc,
        &format!(
            "form[action=\"/verwaltung/termine/{date_id}/bearbeiten\"] input[name]:not([name=\"csrf_token\"])"
        ),
    )
    .iter()
    .map(|e| {
        let name = e.value().attr("name").unwrap().to_owned();
        let value = changes
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
            .unwrap_or_else(|| e.value().attr("value").unwrap_or("").to_owned());
        (name, value)
    })
    .collect()
}

on_both_backends!(
    moving_or_cancelling_one_session_tells_its_participants,
    |app| {
        let c = course(
            &app,
            in_hours(24 * 4),
            &[in_hours(24 * 11), in_hours(24 * 18)],
        )
        .await;
        book(&app, c.lead.id, "Maria Muster", "maria.kurs@example.de").await;
        let request =
            BookingRequest::parse("Otto Telefon", "", "0361 123456", "1", Channel::Staff).unwrap();
        app.desk()
            .book(c.lead.id, request, Utc::now())
            .await
            .unwrap();
        // A third person waits for a place: told too, without a calendar file or talk of one.
        let mut full: offer_date::ActiveModel = c.lead.clone().into();
        full.capacity = Set(2);
        full.update(&app.db).await.unwrap();
        book(&app, c.lead.id, "Wanda Warte", "wanda.warte@example.de").await;
        let token = sign_in(&app, STAFF, "/verwaltung/angebote/neu").await;

        // The second date moves a day later, to 15:00.
        let moved = &c.sessions[0];
        let new_day: NaiveDate =
            moved.starts_at.with_timezone(&Berlin).date_naive() + Duration::days(1);
        let day = new_day.format("%Y-%m-%d").to_string();
        let fields = date_form(
            &app,
            moved.id,
            &[("day", &day), ("start", "15:00"), ("end", "16:30")],
        )
        .await;
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let res = post(
            &app,
            &format!("/verwaltung/termine/{}/bearbeiten", moved.id),
            &token,
            &pairs,
        )
        .await;
        assert_eq!(res.status(), 303, "saved");
        let mails = mails_with_subject(
            &app,
            &format!("Ein Termin Ihres Kurses wurde verschoben: {}", c.title),
        )
        .await;
        assert_eq!(
            mails
                .iter()
                .map(|m| m.recipient.as_str())
                .collect::<Vec<_>>(),
            ["maria.kurs@example.de", "wanda.warte@example.de"]
        );
        assert!(
            mails[0].body_text.contains("15:00"),
            "{}",
            mails[0].body_text
        );
        assert!(mails[0].body_text.contains("Im Anhang"));
        let waiting = &mails[1];
        assert!(waiting.attachment_body.is_none());
        assert!(
            waiting.body_text.contains("15:00") && !waiting.body_text.contains("Anhang"),
            "{}",
            waiting.body_text
        );
        let ics = mails[0].attachment_body.clone().unwrap();
        assert!(ics.contains("METHOD:PUBLISH"), "{ics}");
        let found = events(&ics);
        assert_eq!(found.len(), 3);
        let event = event_of(&found, moved.id);
        assert!(event.contains("SEQUENCE:1"), "{event}");
        assert!(
            event.contains(&format!("{}T150000", new_day.format("%Y%m%d"))),
            "{event}"
        );
        assert!(event_of(&found, c.lead.id).contains("SEQUENCE:0"));
        // The person without e-mail is phoned by staff.
        let tasks = teilhabe::db::entities::staff_task::Entity::find()
            .filter(teilhabe::db::entities::staff_task::Column::DateId.eq(c.lead.id))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(tasks.len(), 1, "{tasks:?}");

        // The third date is cancelled: the course goes on, the file withdraws that one event.
        let dropped = &c.sessions[1];
        let res = post(
            &app,
            &format!("/verwaltung/termine/{}/absagen", dropped.id),
            &token,
            &[],
        )
        .await;
        assert_eq!(res.status(), 303);
        let mails = mails_with_subject(
            &app,
            &format!("Ein Termin Ihres Kurses fällt aus: {}", c.title),
        )
        .await;
        assert_eq!(mails.len(), 2);
        assert!(mails[0].body_text.contains("fällt aus"));
        let waiting = &mails[1];
        assert!(waiting.attachment_body.is_none());
        assert!(
            !waiting.body_text.contains("Anhang") && !waiting.body_text.contains("Platz"),
            "a person on the waiting list has no place to keep: {}",
            waiting.body_text
        );
        let ics = mails[0].attachment_body.clone().unwrap();
        assert!(
            ics.contains("METHOD:PUBLISH"),
            "the other dates stay: {ics}"
        );
        let found = events(&ics);
        let event = event_of(&found, dropped.id);
        assert!(event.contains("STATUS:CANCELLED"), "{event}");
        assert!(event.contains("SEQUENCE:1"), "{event}");
        assert!(!event_of(&found, c.lead.id).contains("STATUS:CANCELLED"));
        assert!(!event_of(&found, moved.id).contains("STATUS:CANCELLED"));
        let lead = offer_date::Entity::find_by_id(c.lead.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(lead.status, DateStatus::Scheduled);
    }
);

on_both_backends!(the_export_counts_attendance_per_session, |app| {
    let c = course(
        &app,
        Utc::now() - Duration::days(10),
        &[
            Utc::now() - Duration::days(9),
            Utc::now() - Duration::days(8),
        ],
    )
    .await;
    let mut ids = Vec::new();
    for n in 0..10 {
        let saved = booking::ActiveModel {
            date_id: Set(c.lead.id),
            user_id: Set(None),
            name: Set(format!("Teilnehmerin {n}")),
            email: Set(Some(format!("t{n}.export@example.de"))),
            phone: Set(None),
            places: Set(1),
            status: Set(BookingStatus::Confirmed),
            channel: Set("online".into()),
            cancel_token_hash: Set(format!("export-session-{n}-{}", c.lead.id)),
            created_at: Set(Utc::now() - Duration::days(20)),
            language: Set("de".into()),
            manage_token: Set(None),
            attendance: Set(Some(teilhabe::domain::booking::Attendance::Present)),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        ids.push(saved.id);
    }
    offer_date::Entity::update_many()
        .col_expr(
            offer_date::Column::Capacity,
            sea_orm::sea_query::Expr::value(12),
        )
        .col_expr(
            offer_date::Column::BookedPlaces,
            sea_orm::sea_query::Expr::value(10),
        )
        .filter(offer_date::Column::Id.eq(c.lead.id))
        .exec(&app.db)
        .await
        .unwrap();
    // Second date: five came, five did not. Third date: nobody marked.
    let token = sign_in(&app, STAFF, "/verwaltung/angebote/neu").await;
    for (n, id) in ids.iter().enumerate() {
        let value = if n % 2 == 0 { "present" } else { "absent" };
        let res = post(
            &app,
            &format!("/verwaltung/termine/{}/anwesenheit", c.sessions[0].id),
            &token,
            &[("booking", &id.to_string()), ("attendance", value)],
        )
        .await;
        assert_eq!(res.status(), 303);
    }

    let today = teilhabe::export::today_in_berlin(Utc::now());
    let out = tempfile::tempdir().unwrap();
    let request = teilhabe::export::ExportRequest {
        period: teilhabe::export::ExportPeriod::new(today - Duration::days(14), today).unwrap(),
        format: teilhabe::export::ExportFormat::parse("csv").unwrap(),
        bom: false,
        started_by: "cli".into(),
        scheduled: false,
    };
    teilhabe::export::run(&app.db, &request, out.path(), None)
        .await
        .unwrap();
    let mut reader = csv::Reader::from_path(out.path().join("dates.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (id, booked, bookings, present, absent) = (
        column("date_id"),
        column("booked_places"),
        column("bookings"),
        column("participants_present"),
        column("no_shows"),
    );
    let mut rows = std::collections::HashMap::new();
    for record in reader.records() {
        let record = record.unwrap();
        rows.insert(
            record[id].parse::<i32>().unwrap(),
            [
                record[booked].to_owned(),
                record[bookings].to_owned(),
                record[present].to_owned(),
                record[absent].to_owned(),
            ],
        );
    }
    assert_eq!(rows[&c.lead.id], ["10", "10", "10", "0"]);
    assert_eq!(rows[&c.sessions[0].id], ["10", "10", "5", "5"]);
    assert_eq!(rows[&c.sessions[1].id], ["10", "10", "0", "0"]);
});

on_both_backends!(the_account_language_is_used_for_mails, |app| {
    let token = sign_in(&app, CITIZEN, "/konto").await;
    let citizen = user_id(&app, CITIZEN.0).await;

    // The account page offers the three languages, German chosen while nothing is stored.
    let (_, doc) = app.get_html("/konto").await;
    let offered: Vec<String> = select(
        &doc,
        "form[action=\"/konto/sprache\"] input[name=\"sprache\"]",
    )
    .iter()
    .map(|i| i.value().attr("value").unwrap().to_owned())
    .collect();
    assert_eq!(offered, ["de", "en", "de-x-ls"]);
    assert_eq!(
        select(&doc, "input[name=\"sprache\"][checked]")[0]
            .value()
            .attr("value"),
        Some("de")
    );
    assert!(text_of(&doc, "#mail-sprache + form legend").contains("In welcher Sprache"));

    // English: the pages switch too, and mails about new bookings come in English.
    let res = post(&app, "/konto/sprache", &token, &[("sprache", "en")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        location(&res),
        "/konto?lang=en&erledigt=sprache-gespeichert#mail-sprache"
    );
    let (_, doc) = app
        .get_html("/konto?lang=en&erledigt=sprache-gespeichert")
        .await;
    assert!(text_of(&doc, "main").contains("Your language for e-mails has been saved."));
    assert_eq!(
        select(&doc, "input[name=\"sprache\"][checked]")[0]
            .value()
            .attr("value"),
        Some("en")
    );

    let c = course(&app, in_hours(30), &[in_hours(24 * 8)]).await;
    let mut request =
        BookingRequest::parse("Bürgerin Demo", CITIZEN.0, "", "1", Channel::Online).unwrap();
    request.user_id = Some(citizen);
    request.language = Language::De; // booked on a German page
    app.desk()
        .book(c.lead.id, request, Utc::now())
        .await
        .unwrap();
    assert_eq!(
        mails_with_subject(&app, &format!("Your place is booked: {}", c.title))
            .await
            .len(),
        1
    );

    // Leichte Sprache: later mails about the same booking come in easy German.
    let res = post(&app, "/konto/sprache", &token, &[("sprache", "de-x-ls")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        location(&res),
        "/konto?erledigt=sprache-gespeichert#mail-sprache"
    );
    let stored = user::Entity::find_by_id(citizen)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.language.as_deref(), Some("de-x-ls"));
    app.desk()
        .send_reminders(Duration::hours(48), Utc::now())
        .await
        .unwrap();
    let reminder = mails_with_subject(&app, &format!("Bald ist Ihr Termin: {}", c.title))
        .await
        .pop()
        .expect("reminder in Leichte Sprache");
    assert!(
        reminder
            .body_text
            .contains("Wir möchten Sie daran erinnern.")
    );
    assert!(reminder.body_text.contains("Viele Grüße von Ihrem Team"));

    // A session moved: the mail in Leichte Sprache too.
    app.desk()
        .announce_change(c.sessions[0].id, Utc::now())
        .await
        .unwrap();
    let moved = mails_with_subject(&app, &format!("Ein Termin ist anders: {}", c.title))
        .await
        .pop()
        .expect("session moved in Leichte Sprache");
    assert!(
        moved
            .body_text
            .contains("Die anderen Termine bleiben gleich.")
    );

    // Someone booking without an account keeps the language they booked in.
    let mut request = BookingRequest::parse(
        "Gast Englisch",
        "guest.kurs@example.de",
        "",
        "1",
        Channel::Online,
    )
    .unwrap();
    request.language = Language::En;
    app.desk()
        .book(c.lead.id, request, Utc::now())
        .await
        .unwrap();
    assert_eq!(
        mails_with_subject(&app, &format!("Your place is booked: {}", c.title))
            .await
            .len(),
        2
    );

    // Anything other than the three offered keeps what is stored.
    let res = post(&app, "/konto/sprache", &token, &[("sprache", "fr")]).await;
    assert_eq!(res.status(), 303);
    let stored = user::Entity::find_by_id(citizen)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.language.as_deref(), Some("de-x-ls"));
});

on_both_backends!(volunteer_notices_use_the_account_language, |app| {
    let volunteer = user_id(&app, VOLUNTEER.0).await;
    let token = sign_in(&app, VOLUNTEER, "/konto").await;
    let res = post(&app, "/konto/sprache", &token, &[("sprache", "de-x-ls")]).await;
    assert_eq!(res.status(), 303);

    let org = org_of(&app).await;
    let starts_at = in_hours(24 * 6);
    let shift = volunteer_shift::ActiveModel {
        organisation_id: Set(org),
        offer_date_id: Set(None),
        venue_id: Set(None),
        kind: Set(ShiftKind::OfficeHours),
        title: Set("Handy-Sprechstunde leicht".into()),
        place: Set("Anger 1".into()),
        district_key: Set("16051".into()),
        starts_at: Set(starts_at),
        ends_at: Set(starts_at + Duration::hours(2)),
        volunteers_needed: Set(2),
        participants_per_helper: Set(None),
        skills: Set(String::new()),
        signed_up: Set(0),
        status: Set(ShiftStatus::Open),
        gap_reminded_at: Set(None),
        created_by: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    app.state()
        .volunteer_sign_up()
        .sign_up(shift.id, volunteer, Utc::now())
        .await
        .unwrap();
    app.state()
        .volunteer_planning()
        .cancel(shift.id, &None, volunteer, Utc::now())
        .await
        .unwrap();
    let mail = mails_with_subject(&app, "Ihr Einsatz fällt aus: Handy-Sprechstunde leicht")
        .await
        .pop()
        .expect("notice in Leichte Sprache");
    assert_eq!(mail.recipient, VOLUNTEER.0);
    assert!(
        mail.body_text
            .contains("Ein Einsatz ist die Zeit, in der Sie helfen.")
    );
});

// A course booked as a whole that began is cancelled as an offer: what took place stays, the
// sessions ahead are cancelled, everyone is told once, and no reminder goes out for them. The first
// date itself cannot be cancelled any more, even from a page opened before it began.
on_both_backends!(
    cancelling_a_course_that_began_cancels_its_sessions_ahead,
    |app| {
        let c = course(&app, in_hours(24), &[in_hours(24 * 3), in_hours(24 * 5)]).await;
        book(&app, c.lead.id, "Maria Muster", "maria.kurs@example.de").await;
        let mut begun: offer_date::ActiveModel = c.lead.clone().into();
        begun.starts_at = Set(in_hours(-2));
        begun.ends_at = Set(in_hours(-1));
        begun.update(&app.db).await.unwrap();
        let token = sign_in(&app, STAFF, "/verwaltung/angebote/neu").await;

        let res = post(
            &app,
            &format!("/verwaltung/angebote/{}/absagen", c.lead.offer_id),
            &token,
            &[],
        )
        .await;
        assert_eq!(res.status(), 303);

        let status = |id: i32| {
            let db = app.db.clone();
            async move {
                offer_date::Entity::find_by_id(id)
                    .one(&db)
                    .await
                    .unwrap()
                    .unwrap()
                    .status
            }
        };
        assert_eq!(status(c.lead.id).await, DateStatus::Scheduled);
        for session in &c.sessions {
            assert_eq!(status(session.id).await, DateStatus::Cancelled);
        }
        {
            use sea_orm::PaginatorTrait;
            use teilhabe::db::entities::audit_log;
            let stopped = audit_log::Entity::find()
                .filter(audit_log::Column::Action.eq("course.stop"))
                .filter(audit_log::Column::Target.eq(format!("date:{}", c.lead.id)))
                .count(&app.db)
                .await
                .unwrap();
            assert_eq!(stopped, 1, "the stop is in the audit log");
        }
        let mails = mails_with_subject(
            &app,
            &format!("Die weiteren Termine Ihres Kurses fallen aus: {}", c.title),
        )
        .await;
        assert_eq!(mails.len(), 1, "told once");
        assert_eq!(mails[0].recipient, "maria.kurs@example.de");
        // The course has begun: the booking can be looked at, no longer cancelled.
        assert!(
            mails[0].body_text.contains("Buchung ansehen:")
                && !mails[0].body_text.contains("absagen")
                && mails[0]
                    .body_text
                    .contains("Im Anhang finden Sie die Termine für Ihren Kalender."),
            "{}",
            mails[0].body_text
        );
        let ics = mails[0].attachment_body.clone().unwrap();
        let found = events(&ics);
        for session in &c.sessions {
            assert!(event_of(&found, session.id).contains("STATUS:CANCELLED"));
        }
        assert!(!event_of(&found, c.lead.id).contains("STATUS:CANCELLED"));
        assert!(
            mails_with_subject(&app, &format!("Termin abgesagt: {}", c.title))
                .await
                .is_empty()
        );

        let res = post(
            &app,
            &format!("/verwaltung/termine/{}/absagen", c.lead.id),
            &token,
            &[],
        )
        .await;
        assert_eq!(res.status(), 409, "a date that began stays");
        app.desk()
            .send_reminders(Duration::days(7), Utc::now())
            .await
            .unwrap();
        use sea_orm::PaginatorTrait;
        let reminders = outbox::Entity::find()
            .filter(outbox::Column::Subject.contains("Erinnerung"))
            .filter(outbox::Column::Recipient.eq("maria.kurs@example.de"))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(reminders, 0, "no reminder for a cancelled session");
    }
);

// Staff move a date while the reminder run is under way: the run read the date before the move
// committed. It must neither remind of the old time nor mark the moved date as reminded.
on_both_backends!(
    a_date_moved_during_the_reminder_run_is_not_reminded_of_its_old_time,
    |app| {
        use sea_orm::sea_query::{Expr, ExprTrait};
        let c = course(&app, in_hours(30), &[]).await;
        book(&app, c.lead.id, "Maria Muster", "maria.kurs@example.de").await;
        let moving = teilhabe::db::begin_write(&app.db).await.unwrap();
        offer_date::Entity::update_many()
            .col_expr(
                offer_date::Column::StartsAt,
                Expr::value(c.lead.starts_at + Duration::days(10)),
            )
            .col_expr(
                offer_date::Column::EndsAt,
                Expr::value(c.lead.ends_at + Duration::days(10)),
            )
            .col_expr(
                offer_date::Column::Revision,
                Expr::col(offer_date::Column::Revision).add(1),
            )
            .filter(offer_date::Column::Id.eq(c.lead.id))
            .exec(&*moving)
            .await
            .unwrap();
        let desk = app.desk();
        let run =
            tokio::spawn(async move { desk.send_reminders(Duration::hours(48), Utc::now()).await });
        // Time for the run to read its dates and wait for its turn to write.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        moving.commit().await.unwrap();
        run.await.unwrap().unwrap();

        let date = offer_date::Entity::find_by_id(c.lead.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert!(
            date.reminder_sent_at.is_none(),
            "reminded at its new time later"
        );
        let reminders = mails_with_subject(&app, &format!("Erinnerung: {}", c.title)).await;
        assert!(reminders.is_empty(), "no reminder of the old time");
    }
);

// A later session added from a page opened before someone cancelled the first date is refused: the
// session follows the first date as stored when it is added (read under its lock), not as the page
// showed it, so no session of a cancelled course is announced to everyone booked.
on_both_backends!(
    a_session_is_not_added_to_a_first_date_cancelled_meanwhile,
    |app| {
        use sea_orm::{PaginatorTrait, sea_query::Expr};
        use teilhabe::services::offer_admin::OfferAdminError;
        let course = course(&app, in_hours(48), &[]).await;
        let staff = user_id(&app, STAFF.0).await;
        let cancelling = teilhabe::db::begin_write(&app.db).await.unwrap();
        offer_date::Entity::update_many()
            .col_expr(offer_date::Column::Status, Expr::value("cancelled"))
            .filter(offer_date::Column::Id.eq(course.lead.id))
            .exec(&*cancelling)
            .await
            .unwrap();
        let adding = staff_add_a_session(&app, staff, course.lead.id, in_hours(72));
        until_someone_waits_for_a_lock(&app.db).await;
        cancelling.commit().await.unwrap();
        let added = adding.await.unwrap();
        assert!(matches!(added, Err(OfferAdminError::NotFound)), "{added:?}");
        let sessions = offer_date::Entity::find()
            .filter(offer_date::Column::SeriesLeadId.eq(course.lead.id))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(sessions, 0);
    }
);

// A booking cancelled while the list is open at the door: marking it is refused with the reason on
// the date's page (it was "page not found"), for the first date and a later session alike, and
// nothing is recorded.
on_both_backends!(
    attendance_of_a_booking_cancelled_meanwhile_is_refused_with_its_reason,
    |app| {
        let c = course(&app, in_hours(24 * 3), &[in_hours(24 * 10)]).await;
        let anna = book(&app, c.lead.id, "Anna Anwesend", "anna.kurs@example.de").await;
        let token = sign_in(&app, STAFF, "/verwaltung/angebote/neu").await;
        app.desk()
            .cancel(&anna.cancel_token, chrono::Utc::now())
            .await
            .unwrap();
        for date in [c.lead.id, c.sessions[0].id] {
            let res = post(
                &app,
                &format!("/verwaltung/termine/{date}/anwesenheit"),
                &token,
                &[
                    ("booking", &anna.booking_id.to_string()),
                    ("attendance", "present"),
                ],
            )
            .await;
            assert_eq!(res.status(), 422, "{date}");
            let page = res.text().await.unwrap();
            assert!(page.contains("keinen bestätigten Platz"), "{date}: {page}");
        }
        assert!(
            session_attendance::Entity::find()
                .all(&app.db)
                .await
                .unwrap()
                .is_empty()
        );
        let row = booking::Entity::find_by_id(anna.booking_id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert!(row.attendance.is_none());
        // A booking that is not the date's is still not found.
        let res = post(
            &app,
            &format!("/verwaltung/termine/{}/anwesenheit", c.lead.id),
            &token,
            &[("booking", "999999"), ("attendance", "present")],
        )
        .await;
        assert_eq!(res.status(), 404);
    }
);

/// The date's row locked, as a booking's turn or a change of the date holds it.
async fn holding_the_date(app: &TestApp, date_id: i32) -> sea_orm::DatabaseTransaction {
    crate::helpers::holding(
        &app.db,
        &format!("SELECT id FROM offer_dates WHERE id = {date_id} FOR UPDATE"),
    )
    .await
}

const KARL: &str = "karl.kurs@example.de";

/// Karl books a place on `date_id`, in the background.
fn karl_books(
    app: &TestApp,
    date_id: i32,
) -> tokio::task::JoinHandle<Result<Booked, teilhabe::services::booking::BookingError>> {
    let desk = app.desk();
    let request = BookingRequest::parse("Karl Kurs", KARL, "", "1", Channel::Online).unwrap();
    tokio::spawn(async move { desk.book(date_id, request, Utc::now()).await })
}

/// Staff add a two-hour session at `starts_at` to the course of `lead`, in the background.
fn staff_add_a_session(
    app: &TestApp,
    staff: i32,
    lead: i32,
    starts_at: DateTime<Utc>,
) -> tokio::task::JoinHandle<Result<i32, teilhabe::services::offer_admin::OfferAdminError>> {
    use teilhabe::{
        domain::offer::{Capacity, DateInput},
        services::offer_admin,
    };
    let (db, bookings) = (app.db.clone(), app.state().booking_desk());
    tokio::spawn(async move {
        let input = DateInput {
            starts_at,
            ends_at: starts_at + Duration::hours(2),
            capacity: Capacity::parse("8").unwrap(),
            max_places: 2,
            min_participants: 0,
            walk_in_places: 0,
        };
        offer_admin::add_session(&db, &None, staff, lead, input, &bookings).await
    })
}

/// The mail queued for `to`, oldest first.
async fn mails_to(app: &TestApp, to: &str) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq(to))
        .order_by_asc(outbox::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
}

/// The events of the calendar file that came with the booking's confirmation among `mails`.
fn confirmation_calendar(mails: &[outbox::Model]) -> Vec<String> {
    let confirmation = mails
        .iter()
        .find(|m| m.subject.starts_with("Ihr Platz ist gebucht"))
        .expect("a confirmation");
    events(
        confirmation
            .attachment_body
            .as_deref()
            .expect("calendar file"),
    )
}

/// Staff cancel one session of a course while someone books the course. The booking reads the
/// course (its sessions) before it waits for the first date's lock, and wrote its confirmation
/// from what it read. The cancellation locked only the session: it committed while the booking
/// waited, did not see the booking (so no "session cancelled" mail), and the booking then sent a
/// confirmation listing the cancelled session as taking place. The person came on a cancelled day.
/// `booking_first`: which of the two waits for the course's first date first.
async fn a_session_cancelled_while_the_course_is_booked(booking_first: bool) {
    let Some(app) = spawn_app(Backend::Postgres, Default::default()).await else {
        return;
    };
    let c = course(&app, in_hours(72), &[in_hours(96), in_hours(120)]).await;
    let cancelled = c.sessions[0].id;
    let turn = holding_the_date(&app, c.lead.id).await;
    let book = || karl_books(&app, c.lead.id);
    let cancel = || {
        let desk = app.desk();
        tokio::spawn(async move { desk.cancel_date(cancelled, Utc::now(), None).await })
    };
    let (booking, cancelling) = if booking_first {
        let booking = book();
        crate::helpers::until_someone_waits_for_a_lock(&app.db).await;
        // The cancellation waits for the course like the booking, or goes through without it.
        let cancelling = cancel();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        (booking, cancelling)
    } else {
        let cancelling = cancel();
        crate::helpers::until_someone_waits_for_a_lock(&app.db).await;
        let booking = book();
        crate::helpers::until_waiting_for_locks(&app.db, 2).await;
        (booking, cancelling)
    };
    turn.commit().await.unwrap();
    booking.await.unwrap().expect("booked");
    cancelling.await.unwrap().expect("cancelled");

    let mails = mails_to(&app, KARL).await;
    let told = mails
        .iter()
        .any(|m| m.subject == format!("Ein Termin Ihres Kurses fällt aus: {}", c.title));
    let listed = confirmation_calendar(&mails);
    let shown_cancelled = event_of(&listed, cancelled).contains("STATUS:CANCELLED");
    assert!(
        told || shown_cancelled,
        "the person learns that the session is cancelled: {:?}",
        mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_cancelled_while_the_course_is_booked_is_told_on_postgres() {
    a_session_cancelled_while_the_course_is_booked(true).await;
}

/// The other way round: the cancellation's turn comes first, and the booking's mail, written from
/// the sessions read before, must show it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_course_booked_while_a_session_is_cancelled_shows_it_on_postgres() {
    a_session_cancelled_while_the_course_is_booked(false).await;
}

// A person deletes their account while a course they booked is under way (its first date held,
// sessions still to come). The booking sits on the first date, so it was not "ahead": it stayed
// confirmed without a name, holding a place, and the staff's list showed a nameless participant
// for the sessions left. It is cancelled like any booking ahead.
on_both_backends!(
    deleting_the_account_during_a_course_cancels_its_booking,
    |app| {
        let c = course(&app, in_hours(48), &[in_hours(96), in_hours(120)]).await;
        let booked = book(&app, c.lead.id, "Bürgerin Demo", CITIZEN.0).await;
        // The first date has been held since.
        offer_date::Entity::update_many()
            .col_expr(
                offer_date::Column::StartsAt,
                sea_orm::sea_query::Expr::value(Utc::now() - Duration::hours(2)),
            )
            .col_expr(
                offer_date::Column::EndsAt,
                sea_orm::sea_query::Expr::value(Utc::now() - Duration::minutes(30)),
            )
            .filter(offer_date::Column::Id.eq(c.lead.id))
            .exec(&app.db)
            .await
            .unwrap();
        let token = sign_in(&app, CITIZEN, "/konto/loeschen").await;
        let res = post(&app, "/konto/loeschen", &token, &[]).await;
        assert_eq!(location(&res), "/konto/geloescht");
        let kept = booking::Entity::find_by_id(booked.booking_id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(kept.status, BookingStatus::Cancelled);
        assert_eq!((kept.name.as_str(), kept.email), ("", None));
        let lead = offer_date::Entity::find_by_id(c.lead.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(lead.booked_places, 0, "the place is free again");
    }
);

/// Staff add the first later session to a date while someone books it. The booking read the date
/// (no sessions yet) before it waited for the date's lock, and its confirmation, written from that,
/// left the new session out; the session's own mail had gone to those booked before. The turn now
/// reads the sessions under the lock: the confirmation carries the new session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_date_booked_while_its_first_session_is_added_shows_it_on_postgres() {
    let Some(app) = spawn_app(Backend::Postgres, Default::default()).await else {
        return;
    };
    let c = course(&app, in_hours(72), &[]).await;
    let staff = user_id(&app, STAFF.0).await;
    let turn = holding_the_date(&app, c.lead.id).await;
    let adding = staff_add_a_session(&app, staff, c.lead.id, in_hours(96));
    crate::helpers::until_someone_waits_for_a_lock(&app.db).await;
    let booking = karl_books(&app, c.lead.id);
    crate::helpers::until_waiting_for_locks(&app.db, 2).await;
    turn.commit().await.unwrap();
    let session = adding.await.unwrap().expect("session added");
    booking.await.unwrap().expect("booked");

    let mails = mails_to(&app, KARL).await;
    let listed = confirmation_calendar(&mails);
    assert!(
        listed
            .iter()
            .any(|e| e.contains(&format!("UID:date-{session}@"))),
        "the confirmation's calendar file has the new session: {listed:?}"
    );
}
