use migration::{Migrator, MigratorTrait};
use teilhabe::{config::DatabaseTarget, db};

use crate::helpers::*;

/// One text value as stored, read past the entities (which would parse or reject an old key).
async fn stored_text(conn: &sea_orm::DatabaseConnection, sql: &str, column: &str) -> String {
    use sea_orm::ConnectionTrait;
    let row = conn
        .query_one_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            sql,
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<String>("", column).unwrap()
}

/// Applies every migration before `name`, so that a test can store what `name` converts; returns
/// how many were applied.
async fn migrate_to_just_before(conn: &sea_orm::DatabaseConnection, name: &str) -> u32 {
    let before = Migrator::migrations()
        .iter()
        .position(|m| m.name() == name)
        .unwrap_or_else(|| panic!("no migration {name}")) as u32;
    Migrator::up(conn, Some(before)).await.unwrap();
    before
}

async fn up_down_up(settings: teilhabe::config::Settings) {
    std::fs::create_dir_all(&settings.data_dir).unwrap();
    let conn = db::connect(&settings).await.unwrap();
    Migrator::up(&conn, None).await.unwrap();
    assert!(db::is_ready(&conn).await.unwrap());
    Migrator::down(&conn, None).await.unwrap();
    assert!(!db::is_ready(&conn).await.unwrap());
    Migrator::up(&conn, None).await.unwrap();
    assert!(db::is_ready(&conn).await.unwrap());
}

#[tokio::test]
async fn migrations_run_up_down_and_up_again_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let settings = settings_for(dir.path(), None, &Options::default());
    assert!(matches!(settings.database, DatabaseTarget::Sqlite(_)));
    up_down_up(settings).await;
}

#[tokio::test]
async fn migrations_run_up_down_and_up_again_on_postgres() {
    let Some(pg) = TestPostgres::create().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    up_down_up(settings_for(dir.path(), Some(&pg.url), &Options::default())).await;
}

/// A migration that fails half-way leaves nothing behind: its first table is gone again and it is not
/// recorded, so the next start (after the cause is mended) runs it again from the beginning. Here
/// the course alerts' second index cannot be made because an index of that name already exists.
async fn a_migration_failing_half_way_leaves_nothing(settings: teilhabe::config::Settings) {
    use sea_orm::ConnectionTrait;
    std::fs::create_dir_all(&settings.data_dir).unwrap();
    let conn = db::connect(&settings).await.unwrap();
    let failing = "m20261202_000015_course_alerts";
    migrate_to_just_before(&conn, failing).await;
    conn.execute_unprepared("CREATE INDEX idx_course_alert_due ON users (email)")
        .await
        .unwrap();

    let error = Migrator::up(&conn, None).await.unwrap_err();
    assert!(
        error.to_string().contains("idx_course_alert_due"),
        "{error}"
    );
    let table_left = conn
        .execute_unprepared("SELECT COUNT(*) FROM course_alerts")
        .await;
    assert!(table_left.is_err(), "the half-made table was kept");
    let pending: Vec<String> = Migrator::get_pending_migrations(&conn)
        .await
        .unwrap()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    assert_eq!(pending.first().map(String::as_str), Some(failing));

    conn.execute_unprepared("DROP INDEX idx_course_alert_due")
        .await
        .unwrap();
    Migrator::up(&conn, None).await.unwrap();
    assert!(db::is_ready(&conn).await.unwrap());
}

#[tokio::test]
async fn a_migration_failing_half_way_leaves_nothing_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    a_migration_failing_half_way_leaves_nothing(settings_for(
        dir.path(),
        None,
        &Options::default(),
    ))
    .await;
}

#[tokio::test]
async fn a_migration_failing_half_way_leaves_nothing_on_postgres() {
    let Some(pg) = TestPostgres::create().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    a_migration_failing_half_way_leaves_nothing(settings_for(
        dir.path(),
        Some(&pg.url),
        &Options::default(),
    ))
    .await;
}

/// Proposals stored with the German state keys of earlier versions read as English keys after the
/// migration, their history too, and every proposal is queued for the search index; down restores.
async fn german_state_keys_become_english(settings: teilhabe::config::Settings) {
    use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};
    use teilhabe::{
        db::entities::{proposal, proposal_event, search_outbox},
        domain::proposal::ProposalStatus,
    };

    std::fs::create_dir_all(&settings.data_dir).unwrap();
    let conn = db::connect(&settings).await.unwrap();
    // Up to the migration before this one, whatever comes after it later.
    let all = Migrator::migrations();
    let before = migrate_to_just_before(&conn, "m20261202_000018_english_state_keys").await;
    let at = "'2026-03-01 10:00:00+00:00'";
    for sql in [
        "INSERT INTO districts (key, name, kind, plate, seat) VALUES ('16051', 'Erfurt', 'kreisfreie-stadt', 'EF', 'Erfurt')".to_owned(),
        format!(
            "INSERT INTO proposals (title, body, category, district_key, status, channel, language, \
             author_token_hash, search_text, created_at, updated_at) VALUES \
             ('Mehr WLAN', 'Im Rathaus fehlt WLAN für alle.', 'sonstiges', '16051', 'in-pruefung', \
             'online', 'de', 'a', '', {at}, {at}), \
             ('Mehr Bänke', 'Am See fehlen Bänke für alle.', 'sonstiges', '16051', 'zurueckgewiesen', \
             'online', 'de', 'b', '', {at}, {at})"
        ),
        format!(
            "INSERT INTO proposal_events (proposal_id, status, public, created_at) VALUES \
             (1, 'veroeffentlicht', true, {at}), (1, 'in-pruefung', true, {at})"
        ),
    ] {
        conn.execute_unprepared(&sql).await.unwrap();
    }
    Migrator::up(&conn, None).await.unwrap();
    let statuses: Vec<ProposalStatus> = proposal::Entity::find()
        .all(&conn)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.status)
        .collect();
    assert_eq!(
        statuses,
        [ProposalStatus::UnderReview, ProposalStatus::Rejected]
    );
    let history: Vec<ProposalStatus> = proposal_event::Entity::find()
        .all(&conn)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.status)
        .collect();
    assert_eq!(
        history,
        [ProposalStatus::Published, ProposalStatus::UnderReview]
    );
    assert_eq!(
        search_outbox::Entity::find().count(&conn).await.unwrap(),
        2,
        "the index learns the new keys"
    );
    Migrator::down(&conn, Some(all.len() as u32 - before))
        .await
        .unwrap();
    assert_eq!(
        stored_text(&conn, "SELECT status FROM proposals WHERE id = 1", "status").await,
        "in-pruefung"
    );
}

#[tokio::test]
async fn german_state_keys_become_english_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    german_state_keys_become_english(settings_for(dir.path(), None, &Options::default())).await;
}

#[tokio::test]
async fn german_state_keys_become_english_on_postgres() {
    let Some(pg) = TestPostgres::create().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    german_state_keys_become_english(settings_for(dir.path(), Some(&pg.url), &Options::default()))
        .await;
}

/// Offers and course alerts stored with the German kind keys of earlier versions read as English
/// keys after the migration; down restores the German keys.
async fn german_kind_keys_become_english(settings: teilhabe::config::Settings) {
    use sea_orm::{ConnectionTrait, EntityTrait};
    use teilhabe::{
        db::entities::{course_alert, offer},
        domain::offer::OfferKind,
    };

    std::fs::create_dir_all(&settings.data_dir).unwrap();
    let conn = db::connect(&settings).await.unwrap();
    let all = Migrator::migrations();
    let before =
        migrate_to_just_before(&conn, "m20261203_000019_english_kind_and_state_keys").await;
    let at = "'2026-03-01 10:00:00+00:00'";
    for sql in [
        format!(
            "INSERT INTO organisations (slug, name, kind, email, phone, website, created_at) VALUES \
             ('vhs', 'VHS', 'volkshochschule', 'vhs@example.org', '', '', {at})"
        ),
        format!(
            "INSERT INTO offers (slug, organisation_id, kind, title, description, topic, level, \
             target_group, language, what_to_bring, accessibility_notes, price_cents, status, \
             created_at) VALUES \
             ('kurs-1', 1, 'kurs', 'Kurs', '', 'videotelefonie', 'einsteiger', 'alle', 'de', '', '', 0, 'published', {at}), \
             ('dialog-1', 1, 'dialog', 'Dialog', '', 'beteiligung-vor-ort', 'einsteiger', 'alle', 'de', '', '', 0, 'draft', {at})"
        ),
        format!(
            "INSERT INTO course_alerts (email, language, kind, filter_query, channel, created_at) \
             VALUES ('a@example.org', 'de', 'dialog', '', 'online', {at})"
        ),
    ] {
        conn.execute_unprepared(&sql).await.unwrap();
    }
    Migrator::up(&conn, None).await.unwrap();
    let kinds: Vec<OfferKind> = offer::Entity::find()
        .all(&conn)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.kind)
        .collect();
    assert_eq!(kinds, [OfferKind::Course, OfferKind::Dialogue]);
    let alert = course_alert::Entity::find()
        .one(&conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alert.kind, OfferKind::Dialogue);
    Migrator::down(&conn, Some(all.len() as u32 - before))
        .await
        .unwrap();
    assert_eq!(
        stored_text(&conn, "SELECT kind FROM offers WHERE id = 1", "kind").await,
        "kurs"
    );
}

#[tokio::test]
async fn german_kind_keys_become_english_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    german_kind_keys_become_english(settings_for(dir.path(), None, &Options::default())).await;
}

#[tokio::test]
async fn german_kind_keys_become_english_on_postgres() {
    let Some(pg) = TestPostgres::create().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    german_kind_keys_become_english(settings_for(dir.path(), Some(&pg.url), &Options::default()))
        .await;
}

/// Volunteer sessions stored with the German kind keys of earlier versions read as English keys
/// after the migration; down restores the German keys.
async fn german_shift_kinds_become_english(settings: teilhabe::config::Settings) {
    use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};
    use teilhabe::{db::entities::volunteer_shift, domain::volunteering::ShiftKind};

    std::fs::create_dir_all(&settings.data_dir).unwrap();
    let conn = db::connect(&settings).await.unwrap();
    let all = Migrator::migrations();
    let before = migrate_to_just_before(&conn, "m20261203_000020_english_shift_kind_keys").await;
    let at = "'2026-03-01 10:00:00+00:00'";
    let shift = |kind: &str| {
        format!("(1, '{kind}', 'Einsatz', 'Rathaus', '16051', {at}, {at}, 1, '', 0, 'open', {at})")
    };
    for sql in [
        "INSERT INTO districts (key, name, kind, plate, seat) VALUES ('16051', 'Erfurt', 'kreisfreie-stadt', 'EF', 'Erfurt')".to_owned(),
        format!(
            "INSERT INTO organisations (slug, name, kind, email, phone, website, created_at) VALUES \
             ('vhs', 'VHS', 'volkshochschule', 'vhs@example.org', '', '', {at})"
        ),
        format!(
            "INSERT INTO volunteer_shifts (organisation_id, kind, title, place, district_key, \
             starts_at, ends_at, volunteers_needed, skills, signed_up, status, created_at) VALUES {}",
            ["sprechstunde", "smartphone-nachmittag", "kursassistenz", "veranstaltungshilfe"]
                .map(shift)
                .join(", ")
        ),
    ] {
        conn.execute_unprepared(&sql).await.unwrap();
    }
    Migrator::up(&conn, None).await.unwrap();
    let kinds: Vec<ShiftKind> = volunteer_shift::Entity::find()
        .order_by_asc(volunteer_shift::Column::Id)
        .all(&conn)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.kind)
        .collect();
    assert_eq!(kinds, ShiftKind::ALL);
    Migrator::down(&conn, Some(all.len() as u32 - before))
        .await
        .unwrap();
    assert_eq!(
        stored_text(
            &conn,
            "SELECT kind FROM volunteer_shifts WHERE id = 3",
            "kind"
        )
        .await,
        "kursassistenz"
    );
}

#[tokio::test]
async fn german_shift_kinds_become_english_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    german_shift_kinds_become_english(settings_for(dir.path(), None, &Options::default())).await;
}

#[tokio::test]
async fn german_shift_kinds_become_english_on_postgres() {
    let Some(pg) = TestPostgres::create().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    german_shift_kinds_become_english(settings_for(dir.path(), Some(&pg.url), &Options::default()))
        .await;
}

// A rolling update: the new version has migrated the database while old instances still serve.
// They stay ready (the load balancer must not take them all out at once) and can restart.
crate::on_both_backends!(
    an_older_version_serves_a_database_a_newer_one_migrated,
    |app| {
        use sea_orm::ConnectionTrait;
        app.db
        .execute_unprepared(
            "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m29990101_000001_from_a_newer_version', 0)",
        )
        .await
        .unwrap();
        let res = app.get("/ready").await;
        assert_eq!(res.status(), 200);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["status"], "ready", "{body}");
        assert_eq!(db::migrate(&app.db).await.unwrap(), 0, "a restart starts");
    }
);

// During a rolling update an older instance still writes German keys into the converted columns.
// The next start (and the hourly housekeeping) converts them, so the rows do not stay unreadable.
crate::on_both_backends!(keys_an_older_version_wrote_are_converted, |app| {
    use sea_orm::ConnectionTrait;
    for sql in [
        "UPDATE proposals SET status = 'veroeffentlicht' WHERE id = 2",
        "UPDATE offers SET kind = 'kurs' WHERE id = 1",
        "UPDATE volunteer_shifts SET kind = 'sprechstunde' WHERE id = (SELECT MIN(id) FROM volunteer_shifts)",
    ] {
        app.db.execute_unprepared(sql).await.unwrap();
    }
    teilhabe::startup::prepare_database(&app.settings)
        .await
        .expect("a restart");
    assert_eq!(
        stored_text(
            &app.db,
            "SELECT status FROM proposals WHERE id = 2",
            "status"
        )
        .await,
        "published"
    );
    assert_eq!(
        stored_text(&app.db, "SELECT kind FROM offers WHERE id = 1", "kind").await,
        "course"
    );
    assert_eq!(
        stored_text(
            &app.db,
            "SELECT kind FROM volunteer_shifts WHERE id = (SELECT MIN(id) FROM volunteer_shifts)",
            "kind"
        )
        .await,
        "office-hours"
    );
    assert_eq!(app.get("/vorschlaege/2").await.status(), 200);
});

/// Alerts that address changes left at old addresses (before alerts moved along) go to the
/// account's address, by the rules of an address change: an unconfirmed alert of nobody else at the
/// account's address gives way, a confirmed one there keeps the mails and the leftover goes. Links
/// mailed to the old address stop working. Alerts of nobody, and an account's alerts at its own
/// address, stay as they are.
async fn alerts_left_at_old_addresses_follow_their_account(settings: teilhabe::config::Settings) {
    use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};
    use teilhabe::db::entities::{course_alert, course_alert_token};

    std::fs::create_dir_all(&settings.data_dir).unwrap();
    let conn = db::connect(&settings).await.unwrap();
    migrate_to_just_before(&conn, "m20261206_000029_alerts_follow_their_account").await;
    let at = "'2026-03-01 10:00:00+00:00'";
    let alert = |email: &str, filter: &str, user: &str, confirmed: &str| {
        format!("('{email}', 'de', 'course', '{filter}', {user}, 'online', {at}, {confirmed})")
    };
    for sql in [
        format!(
            "INSERT INTO users (email, display_name, created_at) VALUES \
             ('anna@neu.example', 'Anna', {at}), ('ben@example.org', 'Ben', {at})"
        ),
        format!(
            "INSERT INTO course_alerts (email, language, kind, filter_query, user_id, channel, \
             created_at, confirmed_at) VALUES {}",
            [
                // 1: Anna's, left at her old address.
                alert("anna@alt.example", "thema=a", "1", at),
                // 2: Anna's, left at an older address; 3: someone typed her new address for the
                // same search and never confirmed.
                alert("anna@aelter.example", "thema=b", "1", at),
                alert("anna@neu.example", "thema=b", "NULL", "NULL"),
                // 4: Anna's, left behind; 5: the same search at her address now, confirmed.
                alert("anna@alt.example", "thema=c", "1", at),
                alert("anna@neu.example", "thema=c", "1", at),
                // 6: nobody's, at Anna's old address; 7: Ben's at his own address.
                alert("anna@alt.example", "thema=d", "NULL", at),
                alert("ben@example.org", "thema=a", "2", at),
            ]
            .join(", ")
        ),
        format!(
            "INSERT INTO course_alert_tokens (token_hash, alert_id, purpose, created_at) VALUES \
             ('h1', 1, 'unsubscribe', {at}), ('h4', 4, 'unsubscribe', {at}), \
             ('h6', 6, 'unsubscribe', {at})"
        ),
    ] {
        conn.execute_unprepared(&sql).await.unwrap();
    }

    Migrator::up(&conn, None).await.unwrap();

    let alerts: Vec<(i64, String, Option<i32>)> = course_alert::Entity::find()
        .order_by_asc(course_alert::Column::Id)
        .all(&conn)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.id, a.email, a.user_id))
        .collect();
    let anna = "anna@neu.example".to_owned();
    assert_eq!(
        alerts,
        [
            (1, anna.clone(), Some(1)),
            (2, anna.clone(), Some(1)),
            (5, anna, Some(1)),
            (6, "anna@alt.example".to_owned(), None),
            (7, "ben@example.org".to_owned(), Some(2)),
        ]
    );
    let tokens: Vec<i64> = course_alert_token::Entity::find()
        .all(&conn)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.alert_id)
        .collect();
    assert_eq!(tokens, [6]);
}

#[tokio::test]
async fn alerts_left_at_old_addresses_follow_their_account_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    alerts_left_at_old_addresses_follow_their_account(settings_for(
        dir.path(),
        None,
        &Options::default(),
    ))
    .await;
}

#[tokio::test]
async fn alerts_left_at_old_addresses_follow_their_account_on_postgres() {
    let Some(pg) = TestPostgres::create().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    alerts_left_at_old_addresses_follow_their_account(settings_for(
        dir.path(),
        Some(&pg.url),
        &Options::default(),
    ))
    .await;
}

/// Feedback invitations delivered before their text was forgotten on delivery go with the
/// migration; those still queued are marked to go once delivered; other mail stays as it was.
async fn delivered_invitations_are_forgotten(settings: teilhabe::config::Settings) {
    use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};
    use teilhabe::db::entities::outbox;

    std::fs::create_dir_all(&settings.data_dir).unwrap();
    let conn = db::connect(&settings).await.unwrap();
    migrate_to_just_before(&conn, "m20261207_000032_outbox_forget_when_sent").await;
    let at = "'2026-12-01 10:00:00+00:00'";
    let mail = |id: &str, body: &str, sent: &str| {
        format!("('{id}', 'a@example.de', 'Betreff', '{body}', '{body}', 1, {at}, {sent}, {at})")
    };
    conn.execute_unprepared(&format!(
        "INSERT INTO outbox (message_id, recipient, subject, body_text, body_html, attempts, \
         next_attempt_at, sent_at, created_at) VALUES {}, {}, {}, {}",
        mail("invited", "http://x/rueckmeldung/geheim", at),
        mail("queued", "http://x/rueckmeldung/auch-geheim", "NULL"),
        mail("booked", "http://x/buchung/geheim", at),
        mail(
            "answered",
            "Der Code: http://x/rueckmeldung/termin/5/abc",
            at
        ),
    ))
    .await
    .unwrap();
    Migrator::up(&conn, None).await.unwrap();
    let kept: Vec<(String, bool)> = outbox::Entity::find()
        .order_by_asc(outbox::Column::Id)
        .all(&conn)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.message_id, m.forget_when_sent))
        .collect();
    assert_eq!(
        kept,
        [
            ("queued".to_owned(), true),
            ("booked".to_owned(), false),
            ("answered".to_owned(), false)
        ]
    );
}

#[tokio::test]
async fn delivered_invitations_are_forgotten_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    delivered_invitations_are_forgotten(settings_for(dir.path(), None, &Options::default())).await;
}

#[tokio::test]
async fn delivered_invitations_are_forgotten_on_postgres() {
    let Some(pg) = TestPostgres::create().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    delivered_invitations_are_forgotten(settings_for(
        dir.path(),
        Some(&pg.url),
        &Options::default(),
    ))
    .await;
}
