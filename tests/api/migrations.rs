use migration::{Migrator, MigratorTrait};
use teilhabe::{config::DatabaseTarget, db};

use crate::helpers::*;

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
