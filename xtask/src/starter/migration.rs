//! The learner's own migration for the lesson's schema step: the reference's
//! name (so a database migrated by either stays readable by both), lessons
//! 1..N−1's migrations before it, and an `up` and a `down` to write.

use super::MigrationStep;

/// The text of `src/migrations.rs` for lesson `lesson`.
pub fn source(lesson: u8, step: &MigrationStep) -> String {
    let before = lesson - 1;
    let earlier = if before == 1 {
        "lesson 1's (it has none)".to_owned()
    } else {
        format!("lessons 1–{before}'s")
    };
    let todo: String = step
        .todo
        .trim()
        .lines()
        .map(|line| format!("        // {}\n", line.trim()).replace("//  \n", "//\n"))
        .collect();
    let name = &step.name;
    let indent = |code: &str| -> String {
        code.trim()
            .lines()
            .map(|line| format!("        {line}\n").replace("        \n", "\n"))
            .collect()
    };
    let (up, down) = match &step.up {
        Some(code) => (
            format!(
                "        // Given: the rest of lesson {lesson} reads this column.\n{}",
                indent(code)
            ),
            format!("        // TODO(lesson {lesson}): write `down`.\n{todo}        Ok(())\n"),
        ),
        None => (
            format!(
                "        // TODO(lesson {lesson}): write the schema step.\n{todo}        // (Until you do, it changes nothing and is recorded as applied: with a\n        // database of your own, `migrate down` then `migrate up` re-runs it.)\n        Ok(())\n"
            ),
            format!(
                "        // TODO(lesson {lesson}): undo exactly what `up` did, and nothing more.\n        Ok(())\n"
            ),
        ),
    };
    format!(
        r#"//! Lesson {lesson}'s schema step, yours to write, after the migrations of
//! {earlier} (the reference's, from the `migration` crate).

// `columns` has the column shapes the reference uses on both databases (`columns::id(backend)`).
use migration::{{async_trait, columns, *}};

/// What this crate runs: {earlier} migrations, then lesson {lesson}'s.
pub struct Migrator;

impl MigratorTrait for Migrator {{
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {{
        let mut migrations = UpTo::<{before}>::migrations();
        migrations.push(Box::new(Lesson{lesson:02}));
        migrations
    }}
}}

/// Lesson {lesson}'s step. Its name is what `seaql_migrations` records: keep it.
pub struct Lesson{lesson:02};

impl MigrationName for Lesson{lesson:02} {{
    fn name(&self) -> &str {{
        "{name}"
    }}
}}

#[async_trait::async_trait]
impl MigrationTrait for Lesson{lesson:02} {{
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {{
{up}    }}

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {{
{down}    }}

    /// All of `up` (or of `down`) or none of it, on SQLite as on PostgreSQL.
    fn use_transaction(&self) -> Option<bool> {{
        Some(true)
    }}
}}
"#
    )
}

/// The line of the first TODO, for the list of holes.
pub fn todo_line(source: &str) -> usize {
    source
        .lines()
        .position(|line| line.contains("TODO("))
        .map_or(1, |index| index + 1)
}
