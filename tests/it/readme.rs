//! The README and the pages in `docs/`, read as a new user reads them: the two commands that
//! work on a fresh machine come first (and are the ones the suite runs), the quick start and
//! the contents come within the first 100 lines, the CI snippet passes the linters, the
//! install channels are what the release workflow publishes, every link resolves, and no
//! page speaks of how the project came about.

use std::path::{Path, PathBuf};

use crate::common::{self, root};

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn readme() -> String {
    read(&root().join("README.md"))
}

/// The README, `CONTRIBUTING.md` and every page in `docs/`.
fn pages() -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    pages.push(root().join("README.md"));
    pages.push(root().join("CONTRIBUTING.md"));
    pages
}

/// The fenced code blocks of a Markdown text: (info string, first line's index, body).
fn code_blocks(text: &str) -> Vec<(String, usize, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, usize, String, usize)> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        match &mut open {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    let indent = line.len() - trimmed.len();
                    open = Some((info.to_owned(), i, String::new(), indent));
                }
            }
            Some((info, start, body, indent)) => {
                if trimmed == "```" {
                    blocks.push((info.clone(), *start, std::mem::take(body)));
                    open = None;
                } else {
                    body.push_str(line.get(*indent..).unwrap_or(line.trim_start()));
                    body.push('\n');
                }
            }
        }
    }
    blocks
}

#[test]
fn the_readme_starts_with_the_two_commands_that_work_on_a_fresh_machine() {
    let readme = readme();
    let (info, start, body) = code_blocks(&readme).remove(0);
    assert_eq!(info, "sh");
    assert!(start < 12, "the commands start at line {}", start + 1);
    let commands: Vec<&str> = body
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    // The first is the example check the suite runs (`common::example_check`), through cargo.
    let example = format!(
        "cargo run --locked -- {}",
        common::example_check("2026-11-24T00:00:00Z").join(" ")
    );
    assert_eq!(commands, [example.as_str(), "./scripts/test"]);
    let out = common::patlint()
        .args(common::example_check("2026-11-24T00:00:00Z"))
        .output()
        .unwrap();
    assert_eq!(common::code(&out), 1, "the README says it exits 1");
    assert!(readme.contains("The first command exits 1 on purpose"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(root().join("scripts/test"))
        .unwrap()
        .permissions()
        .mode();
    assert!(mode & 0o111 != 0, "scripts/test is not executable");
}

#[test]
fn the_quick_start_and_the_contents_come_within_the_first_100_lines() {
    let readme = readme();
    let lines: Vec<&str> = readme.lines().collect();
    assert!(lines.len() <= 150, "the README has {} lines", lines.len());
    let first: String = lines[..100].join("\n");
    for needed in [
        "## Contents",
        "## Quick start",
        "cargo install --locked --git https://github.com/patlint/patlint",
        "patlint init --preset git-integration-for-jira",
        "patlint validate",
        "patlint check",
        "uses: patlint/patlint@",
    ] {
        assert!(
            first.contains(needed),
            "no `{needed}` in the first 100 lines"
        );
    }
    // The CI snippet ends within them too.
    let (_, start, body) = ci_snippet(&readme);
    assert!(start + body.lines().count() + 1 < 100);
    // Each of the contents' pages exists (and every link resolves: see below).
    let contents =
        &readme[readme.find("## Contents").unwrap()..readme.find("## Quick start").unwrap()];
    for page in [
        "policy",
        "rules",
        "hosts",
        "ci",
        "audit",
        "cli",
        "json",
        "install",
        "reliability",
        "performance",
        "architecture",
    ] {
        assert!(
            contents.contains(&format!("(docs/{page}.md)")),
            "the contents do not list docs/{page}.md"
        );
    }
}

/// The README's GitHub Actions workflow.
fn ci_snippet(readme: &str) -> (String, usize, String) {
    code_blocks(readme)
        .into_iter()
        .find(|(info, _, body)| info == "yaml" && body.contains("jobs:"))
        .expect("a workflow in the README")
}

#[test]
fn the_readmes_workflow_passes_actionlint_and_zizmor() {
    let (_, _, workflow) = ci_snippet(&readme());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("patlint.yml");
    std::fs::write(&file, &workflow).unwrap();
    for (linter, out) in [
        ("actionlint", crate::action::actionlint(&[&file])),
        ("zizmor", crate::action::zizmor(&[&file])),
    ] {
        let Some(out) = out else {
            return;
        };
        assert_eq!(
            out.status.code(),
            Some(0),
            "{linter}: {}{}\n{workflow}",
            common::text(&out.stdout),
            common::text(&out.stderr)
        );
    }
}

/// The release workflow's jobs, by id: each job's lines.
fn jobs(workflow: &str) -> Vec<(String, String)> {
    let after = &workflow[workflow.find("\njobs:\n").unwrap()..];
    let mut jobs: Vec<(String, String)> = Vec::new();
    for line in after.lines().skip(2) {
        let header = line
            .strip_prefix("  ")
            .filter(|l| !l.starts_with(' ') && !l.starts_with('#'))
            .and_then(|l| l.strip_suffix(':'));
        match header {
            Some(id) => jobs.push((id.to_owned(), String::new())),
            None => {
                if let Some((_, text)) = jobs.last_mut() {
                    text.push_str(line);
                    text.push('\n');
                }
            }
        }
    }
    jobs
}

#[test]
fn the_install_section_is_plain_about_now_and_the_release_workflow_publishes_the_rest() {
    let readme = readme();
    let install = &readme[readme.find("## Install").unwrap()..readme.find("## Commands").unwrap()];
    for now in [
        "nothing is published yet",
        "cargo install --locked --git https://github.com/patlint/patlint",
        "pip install git+https://github.com/patlint/patlint",
        "build-from-source: true",
    ] {
        assert!(readme.contains(now), "the README does not say `{now}`");
    }
    let workflow = read(&root().join(".github/workflows/release.yml"));
    let jobs = jobs(&workflow);
    let job = |id: &str| -> &str {
        &jobs
            .iter()
            .find(|(j, _)| j == id)
            .unwrap_or_else(|| panic!("no job `{id}` in the release workflow"))
            .1
    };
    // Each channel promised after a release, and the job that publishes it.
    for (promise, id, publishes) in [
        ("`cargo install --locked patlint`", "crate", "cargo publish"),
        (
            "`pip install patlint`",
            "pypi",
            "pypa/gh-action-pypi-publish@",
        ),
        (
            "`uses: patlint/patlint@vX.Y.Z`",
            "publish",
            "action/checksums.txt",
        ),
        (
            "ghcr.io/patlint/patlint:X.Y.Z",
            "image",
            "docker/build-push-action@",
        ),
    ] {
        assert!(
            install.contains(promise),
            "the Install section promises no {promise}"
        );
        assert!(
            job(id).contains(publishes),
            "job `{id}` does not publish {promise}"
        );
    }
    assert!(job("wheels").contains("PyO3/maturin-action@"));
    assert!(job("image").contains("ghcr.io/${{ github.repository }}:${{ inputs.version }}"));
    // Publishing rights only where they are used.
    for (permission, holders) in [
        ("id-token: write", &["publish", "crate", "pypi"][..]),
        ("packages: write", &["image"][..]),
    ] {
        for (id, text) in &jobs {
            assert_eq!(
                text.contains(permission),
                holders.contains(&id.as_str()),
                "`{permission}` in job `{id}`"
            );
        }
        let top = &workflow[..workflow.find("\njobs:\n").unwrap()];
        assert!(
            top.lines()
                .all(|l| l.starts_with('#') || !l.contains(permission)),
            "`{permission}` for the whole workflow"
        );
    }
    // Every action is pinned by commit, as the rest of the workflow.
    for uses in workflow
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- uses: "))
    {
        let sha = uses.split('@').nth(1).unwrap().split(' ').next().unwrap();
        assert!(
            sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit()),
            "not pinned by commit: {uses}"
        );
    }
}

/// GitHub's anchor for a heading: lower case, punctuation other than `-` and `_` dropped,
/// spaces made `-`.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The lines of a page outside its fenced code blocks.
fn prose_lines(text: &str) -> Vec<&str> {
    let mut in_code = false;
    text.lines()
        .filter(|line| {
            let fence = line.trim_start().starts_with("```");
            in_code ^= fence;
            !fence && !in_code
        })
        .collect()
}

/// The anchors of a page's headings.
fn anchors(text: &str) -> Vec<String> {
    prose_lines(text)
        .into_iter()
        .filter(|l| l.starts_with('#'))
        .map(|l| anchor(l.trim_start_matches('#')))
        .collect()
}

/// The targets of a page's inline links, outside code blocks and code spans.
fn links(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in prose_lines(text) {
        let prose: String = line.split('`').step_by(2).collect::<Vec<_>>().join(" ");
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("](") {
            let tail = &rest[at + 2..];
            let end = tail.find(')').unwrap_or(tail.len());
            found.push(tail[..end].to_owned());
            rest = &tail[end..];
        }
    }
    found
}

#[test]
fn every_relative_link_in_the_readme_and_docs_resolves_to_a_file_and_heading() {
    let mut checked = 0;
    for page in pages() {
        let text = read(&page);
        for link in links(&text) {
            if link.starts_with("http://") || link.starts_with("https://") {
                continue;
            }
            let (file, fragment) = match link.split_once('#') {
                Some((file, fragment)) => (file, Some(fragment)),
                None => (link.as_str(), None),
            };
            let target = if file.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(file)
            };
            assert!(
                target.exists(),
                "{}: `{link}` leads nowhere",
                page.display()
            );
            if let Some(fragment) = fragment {
                assert!(
                    anchors(&read(&target)).iter().any(|a| a == fragment),
                    "{}: `{link}` names no heading of {}",
                    page.display(),
                    target.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 30, "only {checked} links found");
}

#[test]
fn no_page_speaks_of_how_the_project_came_about() {
    const HISTORY: [&str; 12] = [
        "first benchmark",
        "install issue",
        "the issue's",
        "this issue",
        "before this change",
        "after this change",
        "spec contract",
        "the spec",
        "performance issue",
        "the seed",
        "seed's",
        "was measured before",
    ];
    let mut files = pages();
    files.extend(
        ["examples", "policies"]
            .iter()
            .flat_map(|dir| std::fs::read_dir(root().join(dir)).unwrap())
            .map(|e| e.unwrap().path()),
    );
    for file in files {
        let text = read(&file).to_lowercase();
        for note in HISTORY {
            assert!(!text.contains(note), "{}: `{note}`", file.display());
        }
    }
}
