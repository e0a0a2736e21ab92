//! What patlint knows of CI runners: which one it runs on, how each one's workflow
//! commands escape their text, and masking secrets before they could reach a log.
//!
//! Masking: `::add-mask::` on GitHub Actions, `##vso[task.setsecret]` on Azure Pipelines.
//! Both runners read commands from a step's standard error as well as its output; the
//! commands go to standard error so that a report on standard output (`--format json >
//! report.json`) never contains a secret.

use std::io::Write;
use std::sync::OnceLock;

use crate::secret::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner {
    GithubActions,
    AzurePipelines,
    Other,
}

/// The runner patlint runs on, by the variable each one sets in every step: GitHub
/// Actions `GITHUB_ACTIONS=true`
/// (<https://docs.github.com/en/actions/reference/variables-reference>), Azure
/// Pipelines `TF_BUILD=True` (its predefined variables).
pub fn runner() -> Runner {
    static RUNNER: OnceLock<Runner> = OnceLock::new();
    *RUNNER.get_or_init(|| {
        if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
            Runner::GithubActions
        } else if std::env::var("TF_BUILD").is_ok_and(|v| v.eq_ignore_ascii_case("true")) {
            Runner::AzurePipelines
        } else {
            Runner::Other
        }
    })
}

/// GitHub Actions workflow commands, escaped as `@actions/core` does
/// (<https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts>).
pub mod github {
    /// A command's message: `%`, CR and LF.
    pub fn data(text: &str) -> String {
        text.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    }

    /// A command's property value: also `:` and `,`.
    pub fn property(text: &str) -> String {
        data(text).replace(':', "%3A").replace(',', "%2C")
    }
}

/// Azure Pipelines logging commands, escaped as `azure-pipelines-task-lib` does
/// (<https://github.com/microsoft/azure-pipelines-task-lib/blob/master/node/taskcommand.ts>).
pub mod azure {
    /// A command's message: `%`, CR and LF.
    pub fn message(text: &str) -> String {
        text.replace('%', "%AZP25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    }

    /// A command's property value: also `]` and `;`.
    pub fn property(text: &str) -> String {
        message(text).replace(']', "%5D").replace(';', "%3B")
    }
}

/// Text from a policy or a host, made unable to act as a runner command wherever it is
/// printed: a line that starts (after blanks) with `::` (GitHub Actions workflow commands)
/// gets a zero-width space in front, and `##[` (Azure Pipelines formatting commands, and
/// the GitHub runner's legacy commands, which it finds anywhere in a line:
/// `ActionCommand.TryParse` in actions/runner) and `##vso[` (Azure logging commands, also
/// found anywhere) get one after their `##`, wherever they are. Readers see the same
/// text; runners see no command.
pub fn defuse(text: &str) -> String {
    const ZWSP: &str = "\u{200B}";
    let mut out = String::with_capacity(text.len());
    // The runners are .NET programs, which end a line at `\r` as well as at `\n`.
    for line in text.split_inclusive(['\n', '\r']) {
        let rest = line.trim_start();
        if rest.starts_with("::") {
            let blanks = line.len() - rest.len();
            out.push_str(&line[..blanks]);
            out.push_str(ZWSP);
            out.push_str(rest);
        } else {
            out.push_str(line);
        }
    }
    let lower = out.to_ascii_lowercase();
    if !lower.contains("##[") && !lower.contains("##vso[") {
        return out;
    }
    // Case-blind, as the agents may be: every `##[` and `##vso[` gets `##` ZWSP.
    let mut defused = String::with_capacity(out.len() + 8);
    let mut rest = out.as_str();
    loop {
        let lower = rest.to_ascii_lowercase();
        let at = [lower.find("##["), lower.find("##vso[")]
            .into_iter()
            .flatten()
            .min();
        let Some(at) = at else { break };
        defused.push_str(&rest[..at + 2]);
        defused.push_str(ZWSP);
        rest = &rest[at + 2..];
    }
    defused.push_str(rest);
    defused
}

/// A writer that [`defuse`]s what goes through it, line by line, so that a report of any
/// size reaches its reader without being held whole a second time.
pub struct Defused<W: Write> {
    inner: W,
    /// The line being written, up to its end (`\n` or `\r`).
    line: Vec<u8>,
}

impl<W: Write> Defused<W> {
    pub fn new(inner: W) -> Self {
        Defused {
            inner,
            line: Vec::new(),
        }
    }

    /// Writes out the last line, if it had no end, and gives back the writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.emit()?;
        Ok(self.inner)
    }

    fn emit(&mut self) -> std::io::Result<()> {
        let line = self.line.trim_ascii_start();
        // Most lines hold nothing a runner reads as a command: written as they are.
        if !line.starts_with(b"::") && !self.line.windows(2).any(|two| two == b"##") {
            self.inner.write_all(&self.line)?;
        } else {
            let line = String::from_utf8_lossy(&self.line);
            self.inner.write_all(defuse(&line).as_bytes())?;
        }
        self.line.clear();
        Ok(())
    }
}

impl<W: Write> Write for Defused<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let ends = |bytes: &[u8]| bytes.iter().position(|b| matches!(b, b'\n' | b'\r'));
        let mut rest = buf;
        // The line begun before, up to its end.
        if !self.line.is_empty() {
            let Some(end) = ends(rest) else {
                self.line.extend_from_slice(rest);
                return Ok(buf.len());
            };
            self.line.extend_from_slice(&rest[..=end]);
            self.emit()?;
            rest = &rest[end + 1..];
        }
        // Whole lines with neither `::` nor `##` anywhere in them go through as they are.
        let last_end = rest.iter().rposition(|b| matches!(b, b'\n' | b'\r'));
        if let Some(end) = last_end
            && memchr::memmem::find(&rest[..=end], b"::").is_none()
            && memchr::memmem::find(&rest[..=end], b"##").is_none()
        {
            self.inner.write_all(&rest[..=end])?;
            rest = &rest[end + 1..];
        }
        // The runners end a line at `\r` as well as at `\n`, and so does `defuse`.
        while let Some(end) = ends(rest) {
            self.line.extend_from_slice(&rest[..=end]);
            self.emit()?;
            rest = &rest[end + 1..];
        }
        self.line.extend_from_slice(rest);
        Ok(buf.len())
    }

    /// Flushes the lines already ended: a line is defused once it is whole.
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The masking commands for `secret` on this runner, if it has them: the whole value,
/// and each of its lines on its own, since the runners mask line by line (a multi-line
/// secret registered whole is not found in a log line holding one of its lines).
fn mask_command(runner: Runner, secret: &Secret) -> Option<String> {
    let value = secret.expose();
    if value.is_empty() {
        return None;
    }
    let mut parts = vec![value];
    if value.contains(['\n', '\r']) {
        parts.extend(value.lines().map(str::trim_end).filter(|l| !l.is_empty()));
    }
    let line = |part: &str| match runner {
        Runner::GithubActions => Some(format!("::add-mask::{}\n", github::data(part))),
        Runner::AzurePipelines => Some(format!("##vso[task.setsecret]{}\n", azure::message(part))),
        Runner::Other => None,
    };
    parts.into_iter().map(line).collect()
}

/// Asks the runner to mask `secret` from now on. Called as soon as a secret is read.
pub fn mask(secret: &Secret) {
    if let Some(line) = mask_command(runner(), secret) {
        let mut out = std::io::stderr().lock();
        let _ = out.write_all(line.as_bytes());
        let _ = out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_commands_per_runner() {
        let s = Secret::new("ghp_a%b");
        assert_eq!(
            mask_command(Runner::GithubActions, &s).unwrap(),
            "::add-mask::ghp_a%25b\n"
        );
        assert_eq!(
            mask_command(Runner::AzurePipelines, &s).unwrap(),
            "##vso[task.setsecret]ghp_a%AZP25b\n"
        );
        assert_eq!(mask_command(Runner::Other, &s), None);
        assert_eq!(
            mask_command(Runner::GithubActions, &Secret::new("line-one\nline-two")).unwrap(),
            "::add-mask::line-one%0Aline-two\n::add-mask::line-one\n::add-mask::line-two\n"
        );
        assert_eq!(mask_command(Runner::GithubActions, &Secret::new("")), None);
    }

    #[test]
    fn a_legacy_command_anywhere_in_a_line_is_defused() {
        assert_eq!(
            defuse("PAT `x ##[stop-commands]tok`"),
            "PAT `x ##\u{200B}[stop-commands]tok`"
        );
    }

    #[test]
    fn a_carriage_return_starts_a_line_for_the_runners_too() {
        let defused = defuse("PAT `x\r::stop-commands::t`");
        assert_eq!(defused, "PAT `x\r\u{200B}::stop-commands::t`");
    }

    #[test]
    fn text_from_a_policy_or_a_host_never_starts_a_command() {
        let hostile = "x\n::error title=injected::pwned\n  ##[group]fake\nok ##vso[task.setvariable variable=FOO]bar ##VSO[task.complete]";
        let defused = defuse(hostile);
        for line in defused.lines() {
            let rest = line.trim_start();
            assert!(
                !rest.starts_with("::") && !rest.starts_with("##["),
                "{line:?}"
            );
            assert!(!rest.to_ascii_lowercase().contains("##vso["), "{line:?}");
        }
        assert_eq!(defuse("plain text\n"), "plain text\n");
        assert_eq!(defused.replace('\u{200B}', ""), hostile);
    }

    #[test]
    fn a_stream_is_defused_as_its_whole_text_would_be() {
        let text = "a ##[stop-commands]x\n  ::set-output name=x::y\r##VSO[task]z\nlast ::x";
        for chunk in [1, 2, 5, 64] {
            let mut writer = Defused::new(Vec::new());
            for part in text.as_bytes().chunks(chunk) {
                writer.write_all(part).unwrap();
            }
            let written = writer.finish().unwrap();
            assert_eq!(String::from_utf8(written).unwrap(), defuse(text), "{chunk}");
        }
    }

    #[test]
    fn escapes_as_the_runners_libraries_do() {
        assert_eq!(github::data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(github::property("a:b,c"), "a%3Ab%2Cc");
        assert_eq!(azure::property("a;b]c%d\r\ne"), "a%3Bb%5Dc%AZP25d%0D%0Ae");
        assert_eq!(azure::message("50% done;]\nnext"), "50%AZP25 done;]%0Anext");
    }
}
