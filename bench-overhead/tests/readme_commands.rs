//! Every command in the README's `sh` code blocks runs as written, in order, with small settings:
//! one iteration, a 1 MiB payload (4 MiB a sweep step), two connections, a free port, and the payload, lighttpd's
//! setup and the results in a temporary folder. Make variables the command gives itself
//! (`ITERATIONS=3`) are replaced by the small ones. `CARGO=true`: the binaries are the ones this
//! test runs with (`make test` built them), so no command rebuilds them under the other tests.
//!
//! Not run, each named in [`SKIPPED`]: the commands that install packages or clone the repository,
//! and `make test`, which runs this test.

mod suite_common;
mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Commands left out, by how they start, and why.
const SKIPPED: [(&str, &str); 5] = [
    ("sudo apt-get update", "updates the package lists"),
    ("sudo apt-get install", "installs packages"),
    ("curl ", "installs Rust"),
    ("git clone ", "clones the repository"),
    ("make test", "runs every test, this one too"),
];

/// The settings every command runs with, and that replace a command's own.
const SMALL: [(&str, &str); 5] = [
    ("ITERATIONS", "1"),
    ("PAYLOAD_SIZE", "1"),
    ("CONNECTIONS", "2"),
    ("INTERVAL", "20ms"),
    ("SWEEP_MIB", "4"),
];

/// The commands of the README's ```sh blocks, in order: one per line, comments dropped.
fn readme_commands(readme: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut in_sh = false;
    for line in readme.lines() {
        let fence = line.trim_start();
        if fence.starts_with("```") {
            in_sh = !in_sh && fence == "```sh";
            continue;
        }
        if in_sh {
            let command = match line.find(" #") {
                Some(at) => &line[..at],
                None => line,
            };
            let command = command.trim();
            if !command.is_empty() && !command.starts_with('#') {
                commands.push(command.to_string());
            }
        }
    }
    commands
}

/// The command with each of its `NAME=value` words for a [`SMALL`] setting set to the small value
/// (a quoted value may span words: `CONNECTIONS="1 4 16"`).
fn with_small_settings(command: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut words = command.split(' ');
    while let Some(word) = words.next() {
        let small = SMALL
            .iter()
            .find(|(name, _)| word.starts_with(&format!("{name}=")));
        match small {
            Some((name, value)) => {
                let quoted = word[name.len() + 1..].starts_with('"');
                if quoted && !(word.len() > name.len() + 2 && word.ends_with('"')) {
                    // Skip the rest of the quoted value.
                    for rest in words.by_ref() {
                        if rest.ends_with('"') {
                            break;
                        }
                    }
                }
                out.push(format!("{name}={value}"));
            }
            None => out.push(word.to_string()),
        }
    }
    out.join(" ")
}

#[test]
fn every_command_in_the_readme_runs() {
    let repo = suite_common::repo();
    let readme = std::fs::read_to_string(repo.join("README.md")).unwrap();
    let commands = readme_commands(&readme);
    assert!(
        commands.iter().any(|c| c.starts_with("make benchmark"))
            && commands.iter().any(|c| c == "make compare"),
        "the README's sh blocks lost their commands: {commands:#?}"
    );
    let work = support::TempDir::new("readme");
    let results = work.path().join("results");
    let mut ran = 0;
    for (at, command) in commands.iter().enumerate() {
        if let Some((_, why)) = SKIPPED.iter().find(|(start, _)| command.starts_with(start)) {
            eprintln!("not run ({why}): {command}");
            continue;
        }
        let command = with_small_settings(command);
        let output = support::run_with_timeout(
            small(
                Command::new("sh").arg("-c").arg(&command),
                work.path(),
                &results,
                at,
            ),
            Duration::from_secs(300),
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "`{command}` failed ({}):\n{stdout}\n{stderr}",
            output.status
        );
        eprintln!("ran: {command}");
        ran += 1;
    }
    // Every command that is not skipped ran; and what they wrote is there.
    assert_eq!(
        ran + commands
            .iter()
            .filter(|c| SKIPPED.iter().any(|(s, _)| c.starts_with(s)))
            .count(),
        commands.len()
    );
    assert!(
        results.join("report.md").exists(),
        "make report wrote no report"
    );
}

/// The small settings, and the temporary places, for the command at index `at`.
fn small<'a>(command: &'a mut Command, work: &Path, results: &Path, at: usize) -> &'a mut Command {
    command
        .current_dir(suite_common::repo())
        .env("CARGO", "true")
        .env("BIN_DIR", suite_common::bin_dir())
        .env("PORT", support::free_port().to_string())
        .env("BIND", "127.0.0.1")
        .env_remove("ADDRESS")
        .env("PAYLOAD_DIR", work.join("payloads"))
        .env("SETUP_DIR", work.join("setup"))
        .env("PROFILE_DIR", results.join(format!("trace-{at}")))
        .env("TMPDIR", work)
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS");
    for (name, value) in SMALL {
        command.env(name, value);
    }
    // A results folder per benchmark, inside the folder `make compare` and `make report` read.
    let script = command
        .get_args()
        .nth(1)
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_default();
    if script.contains("compare") || script.contains("report") {
        command.env("RESULTS", results);
    } else {
        command.env("RESULTS", results.join(format!("run-{at}")));
    }
    command
}

#[test]
fn commands_are_read_from_sh_blocks_only_and_get_the_small_settings() {
    let readme =
        "text\n```sh\nmake a   # comment\n\n# a note\nmake b X=1\n```\n```text\nmake c\n```\n";
    assert_eq!(readme_commands(readme), ["make a", "make b X=1"]);
    assert_eq!(
        with_small_settings("make benchmark ITERATIONS=3 PAYLOAD_SIZE=20 OTHER=4"),
        "make benchmark ITERATIONS=1 PAYLOAD_SIZE=1 OTHER=4"
    );
    assert_eq!(
        with_small_settings("make sweep CONNECTIONS=\"1 4 16\" SWEEP_MIB=16"),
        "make sweep CONNECTIONS=2 SWEEP_MIB=4"
    );
    assert_eq!(
        with_small_settings("make sweep CONNECTIONS=\"16\" X=1"),
        "make sweep CONNECTIONS=2 X=1"
    );
}
