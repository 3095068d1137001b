//! The ministry export in the back office: GOV.UK form errors, a job any instance can run exactly
//! once, visible progress, the ZIP with a manifest whose checksums hold, and an audit trail.
use std::io::Read;

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Expr};
use sha2::{Digest, Sha256};
use teilhabe::{
    db::entities::{audit_log, export_job},
    domain::export_job::ExportJobStatus,
    services::export_jobs,
};

use crate::{
    helpers::{DEMO_PASSWORD_ADMIN, TestApp, select, text_of},
    on_both_backends,
};

/// Asks for a JSON export of January 2026 through the form; returns the queued job's id.
async fn request_january_export(app: &TestApp) -> i32 {
    let res = app
        .submit(
            "/verwaltung/export",
            "/verwaltung/export",
            &[
                ("von", "2026-01-01"),
                ("bis", "2026-01-31"),
                ("format", "json"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let page = res.headers()["location"].to_str().unwrap().to_owned();
    page.rsplit('/').next().unwrap().parse().unwrap()
}

async fn job_status(app: &TestApp, id: i32) -> ExportJobStatus {
    export_job::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .status
}

on_both_backends!(admins_export_in_the_browser_as_a_job, |app| {
    let (admin, password) = DEMO_PASSWORD_ADMIN;
    assert_eq!(app.login(admin, password).await.status(), 303);
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    let tomorrow = (today + chrono::Duration::days(1))
        .format("%d.%m.%Y")
        .to_string();

    // Every wrong field at once, each named, the rest kept; nothing queued.
    let res = app
        .submit(
            "/verwaltung/export",
            "/verwaltung/export",
            &[
                ("von", ""),
                ("bis", "gestern"),
                ("format", "pdf"),
                ("bom", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    let links: Vec<_> = select(&doc, ".error-summary a")
        .iter()
        .map(|a| a.value().attr("href").unwrap().to_owned())
        .collect();
    assert_eq!(links, ["#von", "#bis", "#format"]);
    assert!(text_of(&doc, "#bis-error").contains("31.03.2026"));
    assert_eq!(select(&doc, "#bis")[0].value().attr("value"), Some(""));
    assert_eq!(select(&doc, "#bom[checked]").len(), 1, "the rest is kept");
    // A period ending in the future.
    let res = app
        .submit(
            "/verwaltung/export",
            "/verwaltung/export",
            &[("von", "01.01.2026"), ("bis", &tomorrow), ("format", "csv")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert!(text_of(&doc, "#bis-error").contains("nicht in der Zukunft"));
    assert_eq!(export_job::Entity::find().count(&app.db).await.unwrap(), 0);

    // A good request queues a job and leads to its page.
    let res = app
        .submit(
            "/verwaltung/export",
            "/verwaltung/export",
            &[
                ("von", "2026-01-01"),
                ("bis", &today.to_string()),
                ("format", "csv"),
                ("bom", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let page = res.headers()["location"].to_str().unwrap().to_owned();
    let id: i32 = page.rsplit('/').next().unwrap().parse().unwrap();
    let (status, doc) = app.get_html(&page).await;
    assert_eq!(status, 200);
    assert!(!text_of(&doc, "[role=status]").is_empty());

    // Two instances' workers at the same moment: the job runs exactly once.
    let work = tempfile::tempdir().unwrap();
    let (a, b) = tokio::join!(
        export_jobs::run_queued(&app.db, work.path()),
        export_jobs::run_queued(&app.db, work.path())
    );
    assert!(a.unwrap() + b.unwrap() <= 1);
    // The app's own worker may have been first; wait for it.
    for _ in 0..100 {
        if job_status(&app, id).await == ExportJobStatus::Done {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(job_status(&app, id).await, ExportJobStatus::Done);
    let runs = teilhabe::db::entities::export_run::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(runs, 1, "one run recorded");

    // The page shows the manifest and the download.
    let (_, doc) = app.get_html(&page).await;
    assert!(text_of(&doc, "[role=status]").contains("fertig"));
    let listed: Vec<(String, String)> = select(&doc, "#manifest + .table-wrap tbody tr")
        .iter()
        .map(|tr| {
            let cells: Vec<String> = tr
                .select(&scraper::Selector::parse("td").unwrap())
                .map(|td| td.text().collect::<String>())
                .collect();
            (cells[0].clone(), cells[3].clone())
        })
        .collect();
    assert!(listed.iter().any(|(name, _)| name == "feedback.csv"));
    let zip_link = format!("/verwaltung/export/{id}/zip");
    assert_eq!(select(&doc, &format!("a[href=\"{zip_link}\"]")).len(), 1);

    let res = app.get(&zip_link).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/zip");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let bytes = res.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert!(zip.by_name("manifest.json").is_ok());
    for (name, sha) in &listed {
        if name == "manifest.json" {
            continue;
        }
        let mut content = Vec::new();
        zip.by_name(name)
            .unwrap()
            .read_to_end(&mut content)
            .unwrap();
        assert_eq!(&hex::encode(Sha256::digest(&content)), sha, "{name}");
        if name.ends_with(".csv") {
            assert!(content.starts_with(b"\xEF\xBB\xBF"), "{name} has the BOM");
        }
    }

    // Listed with every run, and audited.
    let (_, doc) = app.get_html("/verwaltung/export").await;
    assert!(text_of(&doc, "#laeufe + p + .table-wrap").contains("Verwaltung"));
    for action in ["export.requested", "export.downloaded"] {
        let n = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq(action))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(n, 1, "{action}");
    }

    // A job whose instance died while running is taken up again.
    let abandoned = request_january_export(&app).await;
    export_job::Entity::update_many()
        .col_expr(
            export_job::Column::Status,
            Expr::value(ExportJobStatus::Running),
        )
        .col_expr(
            export_job::Column::UpdatedAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::minutes(10)),
        )
        .filter(export_job::Column::Id.eq(abandoned))
        .filter(export_job::Column::Status.eq("queued"))
        .exec(&app.db)
        .await
        .unwrap();
    export_jobs::run_queued(&app.db, work.path()).await.unwrap();
    for _ in 0..100 {
        if job_status(&app, abandoned).await == ExportJobStatus::Done {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(job_status(&app, abandoned).await, ExportJobStatus::Done);

    // A job none of whose three runs ended (the process died each time) is given up, not started
    // a fourth time, and its page says it failed. It is written as such directly: a job queued by
    // the form could be taken by the app's own export worker before it is marked.
    let hopeless = {
        use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
        let mut job = export_job::Entity::find_by_id(abandoned)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .into_active_model();
        job.id = sea_orm::ActiveValue::NotSet;
        job.status = Set(ExportJobStatus::Running);
        job.updated_at = Set(chrono::Utc::now() - chrono::Duration::minutes(10));
        job.finished_at = Set(None);
        job.manifest = Set(None);
        job.files_done = Set(0);
        job.rows_done = Set(0);
        job.attempts = Set(3);
        job.insert(&app.db).await.unwrap().id
    };
    let (list, _) = page.rsplit_once('/').unwrap();
    let page = format!("{list}/{hopeless}");
    assert_eq!(
        export_jobs::run_queued(&app.db, work.path()).await.unwrap(),
        0
    );
    assert_eq!(job_status(&app, hopeless).await, ExportJobStatus::Failed);
    let (status, doc) = app.get_html(&page).await;
    assert_eq!(status, 200);
    assert!(
        text_of(&doc, "main").contains("fehlgeschlagen"),
        "{}",
        text_of(&doc, "main")
    );
    let attempts = export_job::Entity::find_by_id(abandoned)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .attempts;
    assert_eq!(attempts, 1, "the taken-up job's run is counted");
});

/// A run whose process died leaves its working folder behind; the worker removes such folders when
/// it starts, but not one a job may still be writing to.
#[test]
fn folders_of_crashed_runs_are_removed() {
    let work = tempfile::tempdir().unwrap();
    let crashed = work.path().join(".export-job-crashed");
    let running = work.path().join(".export-job-running");
    let other = work.path().join("kept");
    for dir in [&crashed, &running, &other] {
        std::fs::create_dir(dir).unwrap();
        std::fs::write(dir.join("dates.csv"), "id\n1\n").unwrap();
    }
    let two_days_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 86_400);
    for dir in [&crashed, &other] {
        for path in [dir.join("dates.csv"), dir.to_path_buf()] {
            std::fs::File::open(path)
                .unwrap()
                .set_modified(two_days_ago)
                .unwrap();
        }
    }
    assert_eq!(export_jobs::remove_leftovers(work.path()), 1);
    assert!(!crashed.exists());
    assert!(running.exists() && other.exists());
}

on_both_backends!(
    a_job_taken_over_from_a_slow_instance_is_recorded_once,
    |app| {
        use sea_orm::{ActiveModelTrait, Set};
        use teilhabe::db::entities::{export_run, user};
        let admin = user::Entity::find()
            .filter(user::Column::Email.eq(DEMO_PASSWORD_ADMIN.0))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        // Instance A claimed the job (its first run) and has not reported for three minutes: slow, not
        // dead.
        let now = chrono::Utc::now();
        let as_a_claimed = export_job::ActiveModel {
            requested_by: Set(admin.id),
            period_from: Set(chrono::NaiveDate::from_ymd_opt(2025, 3, 1).unwrap()),
            period_to: Set(chrono::NaiveDate::from_ymd_opt(2025, 3, 31).unwrap()),
            format: Set("csv".into()),
            bom: Set(false),
            status: Set(ExportJobStatus::Running),
            files_done: Set(2),
            files_total: Set(9),
            rows_done: Set(10),
            manifest: Set(None),
            created_at: Set(now - chrono::Duration::minutes(5)),
            updated_at: Set(now - chrono::Duration::minutes(3)),
            finished_at: Set(None),
            attempts: Set(1),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        let id = as_a_claimed.id;
        let work = tempfile::tempdir().unwrap();
        // Instance B (or the app's own worker) takes it up and finishes it.
        export_jobs::run_queued(&app.db, work.path()).await.unwrap();
        for _ in 0..100 {
            if job_status(&app, id).await == ExportJobStatus::Done {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(job_status(&app, id).await, ExportJobStatus::Done);
        // Then A gets to the end of its run: it must store nothing.
        let _ = export_jobs::run_claimed(&app.db, &as_a_claimed, work.path()).await;
        let runs = export_run::Entity::find()
            .filter(export_run::Column::StartedBy.eq(format!("web:{}", admin.id)))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(runs, 1, "the export is recorded once");
        let job = export_job::Entity::find_by_id(id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(job.status, ExportJobStatus::Done);
        assert_eq!(job.attempts, 2);
        assert!(job.manifest.is_some());
    }
);

/// A working folder with a file in it, nothing written for `hours`.
fn working_folder(path: &std::path::Path, hours: u64) {
    std::fs::create_dir_all(path).unwrap();
    std::fs::write(path.join("dates.csv"), "date_id\n1\n").unwrap();
    let then = std::time::SystemTime::now() - std::time::Duration::from_secs(hours * 3600);
    for p in [path.join("dates.csv"), path.to_owned()] {
        std::fs::File::open(p).unwrap().set_modified(then).unwrap();
    }
}

on_both_backends!(folders_of_jobs_that_died_are_swept_after_an_hour, |app| {
    use sea_orm::{ActiveModelTrait, Set};
    use teilhabe::db::entities::user;
    let admin = user::Entity::find()
        .filter(user::Column::Email.eq(DEMO_PASSWORD_ADMIN.0))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    // A job running right now, whose run has been busy with one query for two hours.
    let now = chrono::Utc::now();
    let running = export_job::ActiveModel {
        requested_by: Set(admin.id),
        period_from: Set(chrono::NaiveDate::from_ymd_opt(2025, 3, 1).unwrap()),
        period_to: Set(chrono::NaiveDate::from_ymd_opt(2025, 3, 31).unwrap()),
        format: Set("csv".into()),
        bom: Set(false),
        status: Set(ExportJobStatus::Running),
        files_done: Set(1),
        files_total: Set(9),
        rows_done: Set(10),
        manifest: Set(None),
        created_at: Set(now - chrono::Duration::hours(2)),
        updated_at: Set(now),
        finished_at: Set(None),
        attempts: Set(1),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let work = tempfile::tempdir().unwrap();
    let of_running = work.path().join(format!(".export-job-{}-abc", running.id));
    let died = work.path().join(".export-job-999999-def");
    let busy = work.path().join(".export-job-999998-ghi");
    working_folder(&of_running, 2);
    working_folder(&died, 2);
    working_folder(&busy, 0);
    assert_eq!(
        export_jobs::sweep_leftovers(&app.db, work.path())
            .await
            .unwrap(),
        1
    );
    assert!(
        !died.exists(),
        "two hours without a write, and no job running"
    );
    assert!(of_running.exists(), "its job still runs");
    assert!(busy.exists(), "written to a moment ago");
});

/// A run that fails (here: its working folder cannot be made, as on a full disk) does not end the
/// job while attempts are left: it waits a minute and runs again. Only a failing last attempt
/// marks the job failed.
async fn a_failed_run_is_tried_again(backend: crate::helpers::Backend) {
    let options = crate::helpers::Options {
        env: vec![("TEILHABE_BACKGROUND_JOBS", "false".to_owned())],
        ..Default::default()
    };
    let Some(app) = crate::helpers::spawn_app(backend, options).await else {
        return;
    };
    let (admin, password) = DEMO_PASSWORD_ADMIN;
    assert_eq!(app.login(admin, password).await.status(), 303);

    let blocked = tempfile::NamedTempFile::new().unwrap();
    let unusable = blocked.path().join("arbeit");
    let work = tempfile::tempdir().unwrap();
    let attempts = |id: i32| {
        let db = app.db.clone();
        async move {
            export_job::Entity::find_by_id(id)
                .one(&db)
                .await
                .unwrap()
                .unwrap()
                .attempts
        }
    };

    let id = request_january_export(&app).await;
    assert_eq!(
        export_jobs::run_queued(&app.db, &unusable).await.unwrap(),
        1
    );
    assert_eq!(job_status(&app, id).await, ExportJobStatus::Queued);
    assert_eq!(attempts(id).await, 1);
    // Not at once: the fault may still be there.
    assert_eq!(
        export_jobs::run_queued(&app.db, work.path()).await.unwrap(),
        0
    );
    export_job::Entity::update_many()
        .col_expr(
            export_job::Column::UpdatedAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::minutes(2)),
        )
        .filter(export_job::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(
        export_jobs::run_queued(&app.db, work.path()).await.unwrap(),
        1
    );
    assert_eq!(job_status(&app, id).await, ExportJobStatus::Done);
    assert_eq!(attempts(id).await, 2);

    // The last attempt failing ends the job as failed.
    let last = request_january_export(&app).await;
    export_job::Entity::update_many()
        .col_expr(export_job::Column::Attempts, Expr::value(2))
        .col_expr(
            export_job::Column::UpdatedAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::minutes(2)),
        )
        .filter(export_job::Column::Id.eq(last))
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(
        export_jobs::run_queued(&app.db, &unusable).await.unwrap(),
        1
    );
    assert_eq!(job_status(&app, last).await, ExportJobStatus::Failed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_run_is_tried_again_on_sqlite() {
    a_failed_run_is_tried_again(crate::helpers::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_run_is_tried_again_on_postgres() {
    a_failed_run_is_tried_again(crate::helpers::Backend::Postgres).await;
}
