//! The command-line interface, run as a real process.
use std::process::Command;

fn teilhabe(data_dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_teilhabe"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TEILHABE_DATA_DIR", data_dir)
        .current_dir(data_dir);
    cmd
}

#[test]
fn invalid_setting_stops_with_one_line_and_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = teilhabe(dir.path())
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
    let out = teilhabe(dir.path())
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
    let out = teilhabe(dir.path()).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("teilhabe.db").is_file());

    let seed = |expect: &str| {
        let out = teilhabe(dir.path()).arg("seed-demo").output().unwrap();
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
        "0 organisations, 0 venues, 0 accounts, 0 courses with 0 dates and 0 bookings, 0 proposals added",
    );

    let out = teilhabe(dir.path())
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

    let out = teilhabe(dir.path())
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

    let out = teilhabe(dir.path())
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

    let out = teilhabe(dir.path())
        .args(["user", "add", "--email", "kein-at", "--role", "admin"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("--email"));
}

#[test]
fn help_explains_every_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let out = teilhabe(dir.path()).arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for sub in ["serve", "migrate", "seed-demo", "user", "import", "reindex"] {
        assert!(help.contains(sub), "{sub} in {help}");
    }
}
