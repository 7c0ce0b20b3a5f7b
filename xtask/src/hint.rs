//! `cargo xtask hint N [CHECK]`: a criterion's hints, gentlest first (a nudge,
//! then the API to use, then the shape of the code), one at a time at a
//! terminal. Without CHECK, the first criterion your last `check N --package`
//! failed, or the list of lesson N's criteria.

use std::{
    io::{BufRead, IsTerminal, Write},
    process::ExitCode,
};

use anyhow::bail;

use crate::learner::Progress;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The lesson
    lesson: u8,
    /// The criterion, as a check names it (`duplicate_title_conflict`)
    check: Option<String>,
    /// Every hint at once, without waiting for Enter between them
    #[arg(long)]
    all: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let hints = checks::hints::for_lesson(args.lesson).map_err(anyhow::Error::msg)?;
    let criteria: Vec<&'static str> = checks::for_lesson(args.lesson, false)
        .iter()
        .map(|check| check.name)
        .collect();
    if criteria.is_empty() {
        bail!("lesson {} has no criteria yet", args.lesson);
    }
    let check = match args.check {
        Some(check) => check,
        None => match Progress::load().first_failed(args.lesson) {
            Some((package, check)) => {
                println!("{package} last failed `{check}`:\n");
                check
            }
            None => {
                println!("lesson {}'s criteria:\n", args.lesson);
                for name in &criteria {
                    let nudge = hints.get(*name).map_or("", |h| h.nudge.trim());
                    println!("  {name:<32} {}", first_sentence(nudge));
                }
                println!("\nmore on one: cargo xtask hint {} CHECK", args.lesson);
                return Ok(ExitCode::SUCCESS);
            }
        },
    };
    let Some(found) = hints.get(&check) else {
        let near = checks::all()
            .into_iter()
            .find(|c| c.name == check)
            .map(|c| {
                format!(
                    " (it is a check of lesson {}: `cargo xtask hint {} {check}`)",
                    c.lesson, c.lesson
                )
            })
            .unwrap_or_default();
        bail!(
            "lesson {} has no criterion `{check}`{near}; its criteria: {}",
            args.lesson,
            criteria.join(", ")
        );
    };
    let step = !args.all && std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let graded = found.graded();
    for (index, (label, text)) in graded.iter().enumerate() {
        println!("{}/{} {label}:", index + 1, graded.len());
        // Prose is wrapped for the terminal; the shape of the code is shown as written.
        let lines = if *label == "shape" {
            text.lines().map(str::to_owned).collect()
        } else {
            crate::text::wrap(text, 84)
        };
        for line in lines {
            println!("    {line}");
        }
        if step && index + 1 < graded.len() {
            print!("\n(Enter for the next hint, q to stop) ");
            std::io::stdout().flush()?;
            let mut answer = String::new();
            std::io::stdin().lock().read_line(&mut answer)?;
            if answer.trim() == "q" {
                break;
            }
        } else {
            println!();
        }
    }
    if let Some(taught) = checks::harness::feedback::taught_in(&check) {
        println!("{taught}");
    }
    Ok(ExitCode::SUCCESS)
}

fn first_sentence(text: &str) -> &str {
    let end = text.find(". ").map_or(text.len(), |at| at + 1);
    &text[..end]
}
