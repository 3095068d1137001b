//! SQLite's allocator (`teilhabe::db::sqlite_memory`), in a test binary of its own: the setting is
//! process-wide and must come before the process's first SQLite database, which the other test
//! binaries open in many threads at once.
use sea_orm::{ConnectionTrait, Database, Statement};
use teilhabe::db::sqlite_memory;

#[tokio::test]
async fn sqlite_runs_on_mimalloc_once_set_before_the_first_database() {
    assert!(
        sqlite_memory::use_mimalloc(),
        "SQLite takes the allocator before its first use"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let db = Database::connect(&url).await.expect("open");
    let run = |sql: &str| Statement::from_string(db.get_database_backend(), sql.to_owned());
    db.execute_raw(run(
        "CREATE TABLE texts (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
    ))
    .await
    .expect("create");
    // Enough rows and text to allocate, grow and free SQLite's pages and buffers many times.
    db.execute_raw(run(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) \
         INSERT INTO texts (id, body) SELECT i, printf('%.*c', 200 + i % 700, 'x') FROM n",
    ))
    .await
    .expect("insert");
    let row = db
        .query_one_raw(run(
            "SELECT COUNT(*) AS n, SUM(LENGTH(body)) AS chars FROM texts WHERE id % 7 = 0",
        ))
        .await
        .expect("query")
        .expect("a row");
    let n: i64 = row.try_get("", "n").expect("n");
    let chars: i64 = row.try_get("", "chars").expect("chars");
    let expected: i64 = (1..=20_000)
        .filter(|i| i % 7 == 0)
        .map(|i| 200 + i % 700)
        .sum();
    assert_eq!((n, chars), (20_000 / 7, expected));
    assert!(
        !sqlite_memory::use_mimalloc(),
        "once SQLite is in use the setting is refused, and SQLite keeps what it has"
    );
}
