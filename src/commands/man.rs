//! `patlint man`: one self-contained page on standard output (every command in it), or
//! with `--dir` a page per command, as `man` installs them (`patlint.1` names
//! `patlint-check(1)` and the others, which are written beside it).

use std::path::Path;

use clap_mangen::Man;

use super::{CommandResult, fail, write_output};
use crate::cli::Cli;
use crate::outcome::Exit;

/// The date on the man pages (`.TH`): this version's.
const MAN_DATE: &str = "2026-12-01";

pub(super) fn man(dir: Option<&Path>) -> CommandResult {
    let mut command = <Cli as clap::CommandFactory>::command();
    // Built, so that the generated `help` subcommand is there too.
    command.build();
    let Some(dir) = dir else {
        write_output(None, &single_page(&command)?)?;
        return Ok(Exit::Clean);
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| fail(format!("cannot create `{}`: {e}", dir.display())))?;
    // The pages the main page's SUBCOMMANDS names: patlint-check(1) and the others.
    let mut pages = vec![("patlint.1".to_owned(), command.clone())];
    for sub in command.get_subcommands() {
        let name = format!("patlint-{}", sub.get_name());
        let page = sub
            .clone()
            .name(name.clone())
            .version(env!("CARGO_PKG_VERSION"));
        pages.push((format!("{name}.1"), page));
    }
    for (file, command) in pages {
        let path = dir.join(file);
        std::fs::write(&path, man_page(command)?)
            .map_err(|e| fail(format!("cannot write `{}`: {e}", path.display())))?;
    }
    Ok(Exit::Clean)
}

fn man_page(command: clap::Command) -> Result<String, Exit> {
    render(|w| Man::new(command).date(MAN_DATE).render(w))
}

/// One page that holds every command: what `patlint man > patlint.1` installs, with no
/// reference to a page that was not written. Each command gets a section of its own
/// (its synopsis, what it does, its options) in place of `patlint-COMMAND(1)`.
fn single_page(command: &clap::Command) -> Result<String, Exit> {
    let man = Man::new(command.clone()).date(MAN_DATE);
    let mut page = render(|w| man.render_title(w))?;
    for section in [
        Man::render_name_section,
        Man::render_synopsis_section,
        Man::render_description_section,
        Man::render_options_section,
    ] {
        page.push_str(&fragment(render(|w| section(&man, w))?));
    }
    let commands: Vec<&clap::Command> = command
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set() && sub.get_name() != "help")
        .collect();
    page.push_str(".SH COMMANDS\n");
    for sub in &commands {
        page.push_str(&format!(
            ".TP\n\\fBpatlint {}\\fR\n{}\n",
            sub.get_name(),
            roff_text(&sub.get_about().map(|a| a.to_string()).unwrap_or_default())
        ));
    }
    page.push_str(".PP\nEach command is described in its own section below.\n");
    for sub in commands {
        page.push_str(&command_section(sub)?);
    }
    page.push_str(
        &fragment(render(|w| man.render_extra_section(w))?).replacen(
            ".SH EXTRA",
            ".SH \"EXIT STATUS\"",
            1,
        ),
    );
    page.push_str(&fragment(render(|w| man.render_version_section(w))?));
    Ok(page)
}

/// `PATLINT CHECK`: the command's synopsis, description and options, as subsections.
fn command_section(sub: &clap::Command) -> Result<String, Exit> {
    let man = Man::new(sub.clone()).date(MAN_DATE);
    let mut section = format!(".SH \"PATLINT {}\"\n", sub.get_name().to_uppercase());
    let synopsis = fragment(render(|w| man.render_synopsis_section(w))?);
    section.push_str(&synopsis.replacen(".SH SYNOPSIS\n", "", 1));
    let description = fragment(render(|w| man.render_description_section(w))?);
    section.push_str(&description.replacen(".SH DESCRIPTION\n", ".PP\n", 1));
    if sub.get_arguments().any(|a| !a.is_hide_set()) {
        let options = fragment(render(|w| man.render_options_section(w))?);
        section.push_str(&options.replacen(".SH OPTIONS\n", ".SS Options\n", 1));
    }
    Ok(section)
}

fn render(
    write: impl FnOnce(&mut dyn std::io::Write) -> Result<(), std::io::Error>,
) -> Result<String, Exit> {
    let mut page = Vec::new();
    write(&mut page).map_err(|e| fail(format!("cannot render the man page: {e}")))?;
    Ok(String::from_utf8_lossy(&page).into_owned())
}

/// A rendered section without the preamble every rendering starts with (the page has it
/// once, from its title).
fn fragment(text: String) -> String {
    text.lines()
        .filter(|line| !line.starts_with(".ie \\n(.g") && !line.starts_with(".el .ds Aq"))
        .map(|line| format!("{line}\n"))
        .collect()
}

/// Plain text as roff text: a leading `.` or `'` would be read as a request, `\` as an
/// escape, `-` as a hyphen rather than the minus of an option.
fn roff_text(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    match escaped.starts_with(['.', '\'']) {
        true => format!("\\&{escaped}"),
        false => escaped,
    }
}
