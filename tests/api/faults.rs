//! The proving ground (issue 8): a server killed in the middle of a booking load, a database that goes
//! away and comes back, and two instances on one PostgreSQL database. Bounded in time, loopback only.
use std::{
    collections::{HashMap, HashSet},
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};
use teilhabe::domain::booking::BookingStatus;
use teilhabe::domain::offer::DateStatus;

use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use teilhabe::db::entities::{booking, offer_date, outbox};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::{Backend, Options, TestPostgres, settings_for, spawn_app};

/// The real binary, as operators run it.
struct Server {
    child: Child,
    base: String,
}

fn binary(data_dir: &std::path::Path, database_url: Option<&str>, port: u16) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_teilhabe"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TEILHABE_DATA_DIR", data_dir)
        .env("TEILHABE_BIND", format!("127.0.0.1:{port}"))
        .env("TEILHABE_BASE_URL", "http://teilhabe.test")
        .env("TEILHABE_RATE_LIMITS", "off")
        .env("TEILHABE_PAGE_CACHE_SECONDS", "0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(url) = database_url {
        cmd.env("DATABASE_URL", url)
            .env("TEILHABE_PSEUDONYM_KEY", crate::helpers::TEST_PSEUDONYM_KEY)
            .env("TEILHABE_SINGLE_INSTANCE", "true");
    }
    cmd
}

impl Server {
    async fn start(data_dir: &std::path::Path, database_url: Option<&str>) -> Self {
        let port = crate::helpers::unused_port();
        let child = binary(data_dir, database_url, port)
            .arg("serve")
            .spawn()
            .expect("server starts");
        // Owned at once, so that every way out of here (a panic included) kills and reaps it.
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if client
                .get(format!("{}/ready", server.base))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server did not become ready");
    }

    /// SIGKILL: no shutdown hook, no flushing, as when the machine loses power.
    fn kill(&mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(serde::Deserialize)]
struct Created {
    booking_id: i64,
    status: String,
}

/// Books from 16 clients until the server dies; returns what the server acknowledged.
async fn booking_load(
    base: String,
    date_ids: Vec<i32>,
    acked: Arc<tokio::sync::Mutex<Vec<(i64, String, String)>>>,
) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut tasks = Vec::new();
    for worker in 0..16 {
        let (client, base, date_ids, acked) = (
            client.clone(),
            base.clone(),
            date_ids.clone(),
            acked.clone(),
        );
        tasks.push(tokio::spawn(async move {
            for n in 0.. {
                let date_id = date_ids[(worker + n) % date_ids.len()];
                let email = format!("last-{worker}-{n}@example.de");
                let res = client
                    .post(format!("{base}/api/v1/dates/{date_id}/bookings"))
                    .json(&serde_json::json!({ "name": "Last Test", "email": email, "places": 1 }))
                    .send()
                    .await;
                match res {
                    Ok(r) if r.status() == 201 => {
                        if let Ok(created) = r.json::<Created>().await {
                            acked
                                .lock()
                                .await
                                .push((created.booking_id, created.status, email));
                        }
                    }
                    Ok(_) => {}
                    // The server is gone.
                    Err(_) => break,
                }
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
}

/// After a SIGKILL in the middle of a booking load and a restart: every acknowledged booking is
/// there with the status it was acknowledged with, none twice, and no date holds more than its capacity.
async fn check_kill_during_bookings(backend: Backend) {
    let data = tempfile::tempdir().unwrap();
    let postgres = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => match TestPostgres::create().await {
            Some(p) => Some(p),
            None => return,
        },
    };
    let url = postgres.as_ref().map(|p| p.url.clone());
    let seeded = binary(data.path(), url.as_deref(), crate::helpers::unused_port())
        .arg("seed-demo")
        .status()
        .unwrap();
    assert!(seeded.success());
    let mut server = Server::start(data.path(), url.as_deref()).await;
    let db = connect(data.path(), url.as_deref()).await;
    let now = chrono::Utc::now();
    let dates: Vec<i32> = offer_date::Entity::find()
        .filter(offer_date::Column::StartsAt.gt(now + chrono::Duration::days(2)))
        .filter(offer_date::Column::Status.ne("cancelled"))
        .filter(offer_date::Column::SeriesLeadId.is_null())
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.booking_opens_at.is_none_or(|t| t < now))
        .filter(|d| {
            d.booking_closes_at
                .is_none_or(|t| t > now + chrono::Duration::hours(1))
        })
        .map(|d| d.id)
        .take(4)
        .collect();
    assert!(!dates.is_empty());

    let acked = Arc::new(tokio::sync::Mutex::new(Vec::new()));
    let load = tokio::spawn(booking_load(
        server.base.clone(),
        dates.clone(),
        acked.clone(),
    ));
    // Let the load run, then pull the plug while requests are in flight.
    for _ in 0..100 {
        if acked.lock().await.len() >= 60 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill();
    tokio::time::timeout(Duration::from_secs(30), load)
        .await
        .expect("the clients notice the dead server")
        .unwrap();
    let acked = acked.lock().await.clone();
    assert!(
        acked.len() >= 20,
        "only {} bookings before the kill",
        acked.len()
    );

    let server = Server::start(data.path(), url.as_deref()).await;
    let db = connect(data.path(), url.as_deref()).await;
    let stored: HashMap<i64, booking::Model> = booking::Entity::find()
        .filter(booking::Column::DateId.is_in(dates.clone()))
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|b| (b.id, b))
        .collect();
    for (id, status, email) in &acked {
        let row = stored
            .get(id)
            .unwrap_or_else(|| panic!("acknowledged booking {id} is lost"));
        assert_eq!(row.status.key(), status, "booking {id}");
        assert_eq!(row.email.as_deref(), Some(email.as_str()));
    }
    let mut seen = HashSet::new();
    for b in stored
        .values()
        .filter(|b| b.email.as_deref().is_some_and(|e| e.starts_with("last-")))
    {
        assert!(
            seen.insert((b.date_id, b.email.clone())),
            "{:?} booked twice",
            b.email
        );
    }
    for date_id in &dates {
        let date = offer_date::Entity::find_by_id(*date_id)
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        let confirmed: i32 = stored
            .values()
            .filter(|b| b.date_id == *date_id && b.status == BookingStatus::Confirmed)
            .map(|b| b.places)
            .sum();
        assert_eq!(
            confirmed, date.booked_places,
            "date {date_id}: counter and rows agree"
        );
        assert!(
            date.booked_places <= date.capacity,
            "date {date_id} oversold"
        );
    }
    // The restarted server serves bookings again.
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/dates/{}/bookings", server.base, dates[0]))
        .json(&serde_json::json!({ "name": "Nach dem Neustart", "email": "danach@example.de", "places": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}

async fn connect(data_dir: &std::path::Path, url: Option<&str>) -> DatabaseConnection {
    let settings = settings_for(
        data_dir,
        url,
        &Options {
            demo: false,
            env: vec![],
        },
    );
    teilhabe::db::connect(&settings).await.unwrap()
}

mod a_killed_server_loses_no_acknowledged_booking {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        check_kill_during_bookings(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        check_kill_during_bookings(Backend::Postgres).await;
    }
}

/// A TCP proxy in front of PostgreSQL that can cut every connection, as a failed network or a
/// database restart does to the application.
struct Cable {
    port: u16,
    up: Arc<AtomicBool>,
    cut: tokio::sync::watch::Sender<u64>,
}

impl Cable {
    async fn start(target: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let (cut, _) = tokio::sync::watch::channel(0u64);
        let (flag, cuts) = (up.clone(), cut.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !flag.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let mut cut = cuts.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Self { port, up, cut }
    }

    fn unplug(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }

    fn plug_in(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// PostgreSQL goes away: `/ready` says so, pages show the maintenance message (never a 500), and the
/// instance recovers by itself when the database is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_database_shows_maintenance_and_recovers_by_itself() {
    let Some(postgres) = TestPostgres::create().await else {
        return;
    };
    let cable = Cable::start("127.0.0.1:5432").await;
    let via_cable =
        postgres
            .url
            .replacen("127.0.0.1:5432", &format!("127.0.0.1:{}", cable.port), 1);
    let data = tempfile::tempdir().unwrap();
    let settings = settings_for(data.path(), Some(&via_cable), &Options::default());
    let app = teilhabe::startup::Application::build(settings)
        .await
        .expect("app builds");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let get = |path: &str| client.get(format!("{base}{path}")).send();
    assert_eq!(get("/ready").await.unwrap().status(), 200);
    assert_eq!(get("/kurse").await.unwrap().status(), 200);

    cable.unplug();
    let ready = get("/ready").await.unwrap();
    assert_eq!(ready.status(), 503);
    assert!(ready.text().await.unwrap().contains("database unreachable"));
    let page = get("/kurse").await.unwrap();
    assert_eq!(page.status(), 503);
    let request_id = page.headers()["x-request-id"].to_str().unwrap().to_owned();
    let text = page.text().await.unwrap();
    assert!(text.contains("Wartungsarbeiten"));
    assert!(
        text.contains(&format!("<code>{request_id}</code>")),
        "the page names its request id for support"
    );
    let booking = client
        .post(format!("{base}/api/v1/dates/1/bookings"))
        .json(&serde_json::json!({ "name": "Erika", "email": "erika@example.de", "places": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(booking.status(), 503, "a plain answer, not a 500");
    assert_eq!(
        get("/health").await.unwrap().status(),
        200,
        "the process itself lives"
    );

    cable.plug_in();
    let mut recovered = false;
    for _ in 0..60 {
        if get("/ready").await.is_ok_and(|r| r.status() == 200) {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(recovered, "the instance reconnects without a restart");
    assert_eq!(get("/kurse").await.unwrap().status(), 200);
    drop(postgres);
}

/// Two instances on one PostgreSQL database: a login on one is valid on the other, and jobs that
/// both run at the same moment do their work exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_sessions_and_run_every_job_once() {
    // Every job here is started by the test, on both instances at once; their own schedules stay off
    // so that no delivery or job run happens outside what is counted.
    let no_jobs = || vec![("TEILHABE_BACKGROUND_JOBS", "false".to_owned())];
    let Some(first) = spawn_app(
        Backend::Postgres,
        Options {
            env: no_jobs(),
            ..Options::default()
        },
    )
    .await
    else {
        return;
    };
    let teilhabe::config::DatabaseTarget::Url(database_url) = &first.settings.database else {
        panic!("the PostgreSQL variant has a URL");
    };
    let database_url = secrecy::ExposeSecret::expose_secret(database_url).to_owned();
    let data = tempfile::tempdir().unwrap();
    let settings = settings_for(
        data.path(),
        Some(&database_url),
        &Options {
            demo: false,
            env: no_jobs(),
        },
    );
    let second_app = teilhabe::startup::Application::build(settings.clone())
        .await
        .expect("second instance");
    let second_base = format!("http://127.0.0.1:{}", second_app.port());
    tokio::spawn(second_app.run_until_stopped());
    let second_db = teilhabe::db::connect(&settings).await.unwrap();
    let second_state = teilhabe::web::state::AppState::new(
        second_db.clone(),
        settings.clone(),
        Arc::new(teilhabe::search::embedded::EmbeddedIndex::in_memory().unwrap()),
        Default::default(),
    )
    .unwrap();

    // Signed in on the first instance, the same cookie opens the account page on the second
    // (cookies belong to the host, not the port, so the client sends it to both).
    first
        .login("buergerin@demo.teilhabe.example", "Demo-Buergerin-2026")
        .await;
    let page = first
        .client
        .get(format!("{second_base}/konto"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.status(),
        200,
        "the session lives in the shared database"
    );
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = anonymous
        .get(format!("{second_base}/konto"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 303, "without the cookie: sign in first");

    // Reminders, feedback links and coverage-gap mails, run by both instances at once.
    let now = chrono::Utc::now();
    let (a, b) = (first.state(), second_state);
    let before = outbox::Entity::find().count(&first.db).await.unwrap() as usize;
    let window = chrono::Duration::days(30);
    let (desk_a, desk_b) = (a.booking_desk(), b.booking_desk());
    let (ra, rb) = tokio::join!(
        desk_a.send_reminders(window, now),
        desk_b.send_reminders(window, now)
    );
    let reminders = ra.unwrap() + rb.unwrap();
    assert!(reminders > 0, "the demo dates have bookings");
    let (helpers_a, helpers_b) = (a.volunteer_reminders(), b.volunteer_reminders());
    let (ga, gb) = tokio::join!(helpers_a.remind_gaps(now), helpers_b.remind_gaps(now));
    let gap_mails = ga.unwrap() + gb.unwrap();
    assert!(gap_mails > 0, "the demo has coverage gaps");
    let queued = outbox::Entity::find()
        .order_by_asc(outbox::Column::Id)
        .all(&first.db)
        .await
        .unwrap();
    assert_eq!(
        queued.len() - before,
        reminders + gap_mails,
        "nothing queued twice"
    );
    let mut per_mail = HashSet::new();
    for mail in &queued[before..] {
        assert!(
            per_mail.insert((mail.recipient.clone(), mail.body_text.clone())),
            "{} got \"{}\" twice",
            mail.recipient,
            mail.subject
        );
    }

    // Feedback links after a date and the retention job, both instances at once.
    let held = past_date_with_bookings(&first.db, chrono::Duration::days(2), 3).await;
    let expired = past_date_with_bookings(&first.db, chrono::Duration::days(120), 3).await;
    let (feedback_a, feedback_b) = (a.feedback_desk(), b.feedback_desk());
    let (fa, fb) = tokio::join!(
        feedback_a.invite_after_dates(now),
        feedback_b.invite_after_dates(now)
    );
    assert_eq!(
        fa.unwrap() + fb.unwrap(),
        6,
        "each participant of the two past dates gets one link"
    );
    let retention = chrono::Duration::days(90);
    let (xa, xb) = tokio::join!(
        desk_a.anonymise_past_bookings(retention, now),
        desk_b.anonymise_past_bookings(retention, now)
    );
    assert_eq!(
        xa.unwrap() + xb.unwrap(),
        3,
        "each old booking anonymised once"
    );
    assert!(held != expired);

    // Both instances deliver the outbox at once: every mail is claimed by exactly one of them.
    let (sa, sb) = (
        teilhabe::startup::mail_sender(&first.settings).unwrap(),
        teilhabe::startup::mail_sender(&settings).unwrap(),
    );
    let unsent = outbox::Entity::find()
        .filter(outbox::Column::SentAt.is_null())
        .all(&first.db)
        .await
        .unwrap()
        .len();
    let mut sent = 0;
    loop {
        let (da, db) = tokio::join!(sa.deliver_due(&first.db), sb.deliver_due(&second_db));
        let (da, db) = (da.unwrap(), db.unwrap());
        assert_eq!(da.failed + db.failed, 0);
        if da.sent + db.sent == 0 {
            break;
        }
        sent += da.sent + db.sent;
    }
    assert_eq!(sent, unsent, "every mail sent once, by one instance");
}

/// A date of demo course 1 that ended `ago`, with `people` confirmed bookings with addresses.
async fn past_date_with_bookings(
    db: &DatabaseConnection,
    ago: chrono::Duration,
    people: i32,
) -> i32 {
    use sea_orm::{ActiveModelTrait, Set};
    let starts_at = chrono::Utc::now() - ago;
    let date = offer_date::ActiveModel {
        offer_id: Set(1),
        starts_at: Set(starts_at),
        ends_at: Set(starts_at + chrono::Duration::minutes(90)),
        capacity: Set(10),
        booked_places: Set(people),
        max_places_per_booking: Set(2),
        booking_opens_at: Set(None),
        booking_closes_at: Set(Some(starts_at)),
        status: Set(DateStatus::Scheduled),
        created_at: Set(starts_at - chrono::Duration::days(10)),
        min_participants: Set(0),
        walk_in_places: Set(0),
        revision: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    for n in 0..people {
        booking::ActiveModel {
            date_id: Set(date.id),
            name: Set(format!("Teilnehmende {n}")),
            email: Set(Some(format!("teilnahme-{}-{n}@example.de", date.id))),
            phone: Set(None),
            places: Set(1),
            status: Set(BookingStatus::Confirmed),
            channel: Set("online".into()),
            cancel_token_hash: Set(uuid::Uuid::new_v4().to_string()),
            created_at: Set(starts_at - chrono::Duration::days(3)),
            language: Set("de".into()),
            ..Default::default()
        }
        .insert(db)
        .await
        .unwrap();
    }
    date.id
}

/// Two instances starting at the same moment on a new database (a new release): one migrates, the
/// other waits for it and finds nothing left to do; both come up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_starting_together_migrate_once() {
    let Some(postgres) = TestPostgres::create().await else {
        return;
    };
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let options = Options {
        demo: false,
        env: vec![],
    };
    let (a, b) = tokio::join!(
        teilhabe::startup::Application::build(settings_for(
            one.path(),
            Some(&postgres.url),
            &options
        )),
        teilhabe::startup::Application::build(settings_for(
            two.path(),
            Some(&postgres.url),
            &options
        )),
    );
    let (a, b) = (a.expect("first instance"), b.expect("second instance"));
    for app in [a, b] {
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        let ready = reqwest::get(format!("{base}/ready")).await.unwrap();
        assert_eq!(ready.status(), 200);
    }
}

/// Queues a booking confirmation to `to`, as the portal does.
async fn queue_confirmation(app: &crate::helpers::TestApp, to: &str) {
    use teilhabe::{
        domain::Email,
        mail::{self, OutgoingMail},
    };
    mail::enqueue(
        &app.db,
        OutgoingMail {
            to: Email::parse(to).unwrap(),
            subject: "Ihre Buchung".into(),
            text: "Bestätigung".into(),
            html: "<p>Bestätigung</p>".into(),
            attachment: None,
        },
    )
    .await
    .unwrap();
}

/// An instance told to stop (a deploy, scaling in) claims no further mail from the batch it is
/// in: the rest stays due for the other instances at once. It kept claiming until it was cut off,
/// and each mail claimed then waited five minutes for its lease to run out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_instance_leaves_the_rest_of_its_mail_batch_due() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let options = Options {
        env: vec![("TEILHABE_BACKGROUND_JOBS", "false".to_owned())],
        ..Options::default()
    };
    let app = spawn_app(Backend::Sqlite, options).await.unwrap();
    let sender = teilhabe::startup::mail_sender(&app.settings).unwrap();
    sender.deliver_due(&app.db).await.unwrap();
    for n in 0..5 {
        queue_confirmation(&app, &format!("person{n}@example.de")).await;
    }
    // The stop comes while the first mail of the batch is being sent.
    let stopped = AtomicBool::new(false);
    let report = sender
        .deliver_due_unless(&app.db, || stopped.swap(true, Ordering::SeqCst))
        .await
        .unwrap();
    assert_eq!(report.sent, 1);
    let unsent = outbox::Entity::find()
        .filter(outbox::Column::SentAt.is_null())
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(unsent.len(), 4);
    let now = chrono::Utc::now();
    assert!(
        unsent.iter().all(|m| m.next_attempt_at <= now),
        "mail left claimed by a stopped instance"
    );
}

/// A mail the server took is marked as sent although the database refuses the write for a few
/// seconds (a failover): given up after three seconds, the mail stayed unsent and went out a second
/// time when its claim ran out.
async fn a_sent_mail_is_marked_sent_after_a_database_blip(backend: Backend) {
    let options = Options {
        env: vec![("TEILHABE_BACKGROUND_JOBS", "false".to_owned())],
        ..Options::default()
    };
    let Some(app) = spawn_app(backend, options).await else {
        return;
    };
    let sender = teilhabe::startup::mail_sender(&app.settings).unwrap();
    sender.deliver_due(&app.db).await.unwrap();
    queue_confirmation(&app, "erika@example.de").await;
    crate::helpers::refuse_where(&app.db, "UPDATE", "outbox", "NEW.sent_at IS NOT NULL").await;
    let blip = tokio::spawn({
        let db = app.db.clone();
        async move {
            tokio::time::sleep(Duration::from_secs(6)).await;
            crate::helpers::stop_refusing(&db, "outbox").await;
        }
    });
    let delivered = sender.deliver_due(&app.db).await;
    blip.await.unwrap();
    assert_eq!(delivered.unwrap().sent, 1);
    let unsent = outbox::Entity::find()
        .filter(outbox::Column::SentAt.is_null())
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(unsent, 0, "a sent mail is left to go out again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sent_mail_is_marked_sent_after_a_database_blip_on_sqlite() {
    a_sent_mail_is_marked_sent_after_a_database_blip(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sent_mail_is_marked_sent_after_a_database_blip_on_postgres() {
    a_sent_mail_is_marked_sent_after_a_database_blip(Backend::Postgres).await;
}
