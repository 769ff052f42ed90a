//! The binary's command line: usage errors are one line and exit 2, never a panic.

use std::process::Command;

fn tikv_lens(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tikv-lens"))
        .args(args)
        .env_remove("TIKV_LENS_PD")
        .env_remove("TIKV_LENS_CONFIG")
        .output()
        .unwrap()
}

fn assert_usage_error(args: &[&str], needle: &str) {
    let out = tikv_lens(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "{args:?}: not one line: {stderr}"
    );
    assert!(stderr.contains(needle), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn wrong_flags_are_one_line_and_exit_2() {
    assert_usage_error(&["serve", "--no-such-flag"], "--no-such-flag");
    assert_usage_error(&["serve", "--listen", "not-an-address"], "not-an-address");
    assert_usage_error(
        &["serve", "--pd", "http://a", "--pd-timeout", "soon"],
        "soon",
    );
    assert_usage_error(&["serve"], "no cluster configured");
    assert_usage_error(&["serve", "--pd", "ftp://pd:2379"], "ftp://pd:2379");
    assert_usage_error(&["frobnicate"], "frobnicate");
}

#[test]
fn unreadable_or_invalid_config_is_one_line_and_exit_2() {
    assert_usage_error(
        &["serve", "--config", "/nonexistent/tikv-lens.toml"],
        "/nonexistent/tikv-lens.toml",
    );
    let dir = std::env::temp_dir().join(format!("tikv-lens-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[[clusters]]\nname = 'a'\npd = 'http://x' # not a list\n",
    )
    .unwrap();
    assert_usage_error(
        &["serve", "--config", bad.to_str().unwrap()],
        "invalid config file",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn openapi_subcommand_prints_the_committed_document() {
    let out = tikv_lens(&["openapi"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        include_str!("../../openapi/openapi.json")
    );
}

#[test]
fn help_exits_0() {
    let out = tikv_lens(&["serve", "--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--listen",
        "--pd",
        "--prometheus",
        "--cluster",
        "--config",
        "TIKV_LENS_PD",
    ] {
        assert!(text.contains(flag), "help lacks {flag}");
    }
}
