//! The command-line interface, run as a real process.
use crate::helpers::{import_succeeds, teilhabe_command};

#[test]
fn invalid_setting_stops_with_one_line_and_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = teilhabe_command(dir.path())
        .env("TEILHABE_BIND", "nirgendwo")
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("TEILHABE_BIND"), "{stderr}");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn unwritable_data_dir_is_a_clear_start_up_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let out = teilhabe_command(dir.path())
        .env("TEILHABE_DATA_DIR", &file)
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("TEILHABE_DATA_DIR") && stderr.contains("cannot be created"),
        "{stderr}"
    );
}

#[test]
fn migrate_seed_and_user_add_use_the_data_dir_database() {
    let dir = tempfile::tempdir().unwrap();
    let out = teilhabe_command(dir.path())
        .arg("migrate")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("teilhabe.db").is_file());

    let seed = |expect: &str| {
        let out = teilhabe_command(dir.path())
            .arg("seed-demo")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(stdout.contains(expect), "{stdout}");
    };
    seed("72 proposals added, 0 already present");
    seed(
        "0 organisations, 0 venues, 0 accounts, 0 courses with 0 dates and 0 bookings, 0 volunteer sessions, 0 proposals added",
    );

    let out = teilhabe_command(dir.path())
        .args([
            "user",
            "add",
            "--email",
            "Admin@Example.de",
            "--role",
            "admin",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("admin@example.de") && stdout.contains("initial password"),
        "{stdout}"
    );

    let out = teilhabe_command(dir.path())
        .args([
            "user",
            "add",
            "--email",
            "admin@example.de",
            "--role",
            "admin",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("already has this role")
    );

    let out = teilhabe_command(dir.path())
        .args([
            "user",
            "add",
            "--email",
            "staff@example.de",
            "--role",
            "provider_staff",
        ])
        .output()
        .unwrap();
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("needs an organisation")
    );

    let out = teilhabe_command(dir.path())
        .args(["user", "add", "--email", "kein-at", "--role", "admin"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("--email"));
}

#[test]
fn help_explains_every_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let out = teilhabe_command(dir.path()).arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for sub in ["serve", "migrate", "seed-demo", "user", "import", "reindex"] {
        assert!(help.contains(sub), "{sub} in {help}");
    }
}

#[test]
fn proposal_import_checks_every_row_first_and_indexes_what_it_imports() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("aktion.csv");
    std::fs::write(
        &csv,
        "title,text,category,district,status,official_answer,supports,created\n\
         Funkloch an der B4 schließen,Zwischen Straußfurt und Greußen bricht jedes Telefonat ab.,internet-mobilfunk,Sömmerda,veroeffentlicht,,12,2026-03-01\n\
         Hi,zu kurz,wlan,16068,veroeffentlicht,,3,2026-03-01\n\
         WLAN im Rathaus Gotha bitte,Im Wartebereich gibt es kein offenes WLAN für die Bürgerinnen.,internet-mobilfunk,16067,abgelehnt,,x,2999-01-01\n",
    )
    .unwrap();
    let out = teilhabe_command(dir.path())
        .args(["import", "proposals", "--file"])
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "aktion.csv",
        "2 of 3 rows are invalid; nothing was imported",
        "line 3, field 'title'",
        "line 3, field 'category'",
        "line 4, field 'official_answer'",
        "line 4, field 'supports'",
        "line 4, field 'created'",
    ] {
        assert!(stderr.contains(expected), "{expected} in {stderr}");
    }
    let count = |dir: &std::path::Path| {
        let out = teilhabe_command(dir).arg("reindex").output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(count(dir.path()).contains("rebuilt: 0 proposals searchable"));

    let (stdout, stderr) = import_succeeds(dir.path(), &["--skip-invalid"], &csv);
    assert!(
        stdout.contains("1 proposals imported, 2 invalid rows skipped, 1 made searchable"),
        "{stdout}"
    );
    assert!(stderr.contains("skipped:"));

    let json = dir.path().join("alt.json");
    std::fs::write(
        &json,
        "[\n  {\"title\": \"Kurse am Abend in Jena\", \"text\": \"Für Berufstätige bitte Kurse nach 18 Uhr anbieten.\",\n   \"category\": \"bildung-kurse\", \"district\": \"16053\", \"supports\": 4, \"with_assistance\": true},\n  {\"title\": \"Kurse\", \"text\": \"kurz\", \"category\": \"bildung-kurse\", \"district\": \"16053\"}\n]\n",
    )
    .unwrap();
    let out = teilhabe_command(dir.path())
        .args(["import", "proposals", "--file"])
        .arg(&json)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 4, field 'text'"), "{stderr}");
    assert!(count(dir.path()).contains("rebuilt: 1 proposals searchable"));

    // Run again after fixing its invalid rows, the file adds only those: the rows of the first
    // run (and a row the file holds twice) are not stored again.
    std::fs::write(
        &csv,
        "title,text,category,district,status,official_answer,supports,created\n\
         Funkloch an der B4 schließen,Zwischen Straußfurt und Greußen bricht jedes Telefonat ab.,internet-mobilfunk,Sömmerda,veroeffentlicht,,12,2026-03-01\n\
         Mehr Kurse in Sömmerda,Für Seniorinnen bitte mehr Kurse am Vormittag anbieten.,bildung-kurse,16068,veroeffentlicht,,3,2026-03-01\n\
         Mehr Kurse in Sömmerda,Für Seniorinnen bitte mehr Kurse am Vormittag anbieten.,bildung-kurse,16068,veroeffentlicht,,3,2026-03-01\n",
    )
    .unwrap();
    let (stdout, stderr) = import_succeeds(dir.path(), &[], &csv);
    assert!(
        stdout.contains("1 proposals imported, 2 already there, 0 invalid rows skipped"),
        "{stdout}"
    );
    assert!(stderr.contains("lines 2, 4"), "{stderr}");
    // A JSON export from an earlier platform with `null` and numbers where text belongs: read as
    // text, and a wrong value named with its field; an undated row is recognised again too.
    let nulls = dir.path().join("nulls.json");
    std::fs::write(
        &nulls,
        "[\n  {\"title\": \"Kurse am Abend in Jena\", \"text\": \"Für Berufstätige bitte Kurse nach 18 Uhr anbieten.\",\n   \"category\": \"bildung-kurse\", \"district\": \"16053\", \"supports\": 4, \"with_assistance\": true},\n  {\"title\": \"Ein Treffpunkt für Fragen zum Handy\", \"text\": \"Im Rathaus Gotha bitte jeden Dienstag eine Sprechstunde.\",\n   \"category\": \"bildung-kurse\", \"district\": 16067, \"town\": null, \"official_answer\": null},\n  {\"title\": \"Noch ein Vorschlag ohne Bezirk\", \"text\": \"Der Bezirk fehlt in dieser Zeile, das muss auffallen.\",\n   \"category\": \"bildung-kurse\", \"district\": null}\n]\n",
    )
    .unwrap();
    for expected in [
        "2 proposals imported, 1 invalid rows skipped",
        "0 proposals imported, 2 already there, 1 invalid rows skipped",
    ] {
        let (stdout, stderr) = import_succeeds(dir.path(), &["--skip-invalid"], &nulls);
        assert!(stdout.contains(expected), "{stdout}");
        assert!(stderr.contains("line 6, field 'district'"), "{stderr}");
    }
    assert!(count(dir.path()).contains("rebuilt: 4 proposals searchable"));

    let out = teilhabe_command(dir.path())
        .args(["import", "proposals", "--file", "nothing.txt"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("must end in .csv or .json"));
}

/// The rebuild reads the proposals page by page (2,000 at a time, after the last id read): every page
/// is indexed once, the last short one included.
#[test]
fn reindex_makes_every_page_of_proposals_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = teilhabe_command(dir.path()).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let searchable = |out: String| -> usize {
        let count = out
            .split("rebuilt: ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .unwrap_or_else(|| panic!("a count in {out}"));
        count.parse().unwrap()
    };
    run(&["seed-demo"]);
    let demo = searchable(run(&["reindex"]));
    run(&[
        "seed-bulk",
        "--courses",
        "0",
        "--dates",
        "0",
        "--proposals",
        "4501",
    ]);
    assert_eq!(searchable(run(&["reindex"])), demo + 4501);
}

#[test]
fn terminal_add_prints_a_pairing_code_once_and_names_a_wrong_venue() {
    let dir = tempfile::tempdir().unwrap();
    let out = teilhabe_command(dir.path())
        .arg("seed-demo")
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = teilhabe_command(dir.path())
        .args([
            "terminal",
            "add",
            "--name",
            "Eingang",
            "--venue",
            "probierladen-erfurt-anger",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let code = stdout.lines().last().unwrap().trim();
    assert_eq!(
        code.len(),
        teilhabe::services::kiosk::PAIRING_CODE_LEN,
        "{stdout}"
    );
    assert!(
        code.bytes()
            .all(|b| teilhabe::services::kiosk::PAIRING_ALPHABET.contains(&b)),
        "{stdout}"
    );

    let out = teilhabe_command(dir.path())
        .args([
            "terminal",
            "add",
            "--name",
            "Eingang",
            "--venue",
            "nirgendwo",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("--venue"), "{stderr}");
    assert!(!stderr.contains("panicked"));
}
