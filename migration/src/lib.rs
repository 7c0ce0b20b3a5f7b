//! Every lesson's schema steps, in the order they apply, each tagged with the
//! lesson that introduced it. Lesson N's binary runs exactly the migrations of
//! lessons 1..=N: its migrator is [`UpTo<N>`](UpTo).

pub use sea_orm_migration::prelude::*;

pub mod columns;
mod index_migration;
mod lesson02_users_and_tasks;
mod lesson05_unique_task_title;
mod lesson06_task_due_date;
mod lesson07_task_list_index;
mod lesson09_task_keyset_index;
mod lesson10_task_activities;
mod lesson12_task_version;

/// Every migration with its lesson, in order. Append only: names are stored in
/// each database's `seaql_migrations` table.
fn all() -> Vec<(u8, Box<dyn MigrationTrait>)> {
    vec![
        (2, Box::new(lesson02_users_and_tasks::Migration)),
        (5, Box::new(lesson05_unique_task_title::MIGRATION)),
        (6, Box::new(lesson06_task_due_date::Migration)),
        (7, Box::new(lesson07_task_list_index::MIGRATION)),
        (9, Box::new(lesson09_task_keyset_index::MIGRATION)),
        (10, Box::new(lesson10_task_activities::Migration)),
        (12, Box::new(lesson12_task_version::Migration)),
    ]
}

/// The migrations of lessons `1..=LESSON`.
#[derive(Debug, Clone, Copy, Default)]
pub struct UpTo<const LESSON: u8>;

impl<const LESSON: u8> MigratorTrait for UpTo<LESSON> {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        all()
            .into_iter()
            .filter(|(lesson, _)| *lesson <= LESSON)
            .map(|(_, migration)| migration)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names<M: MigratorTrait>() -> Vec<String> {
        M::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect()
    }

    #[test]
    fn each_lesson_runs_the_migrations_up_to_itself() {
        assert!(names::<UpTo<1>>().is_empty());
        assert_eq!(names::<UpTo<2>>(), ["lesson02_users_and_tasks"]);
        assert_eq!(names::<UpTo<4>>(), names::<UpTo<2>>());
        assert_eq!(
            names::<UpTo<5>>(),
            ["lesson02_users_and_tasks", "lesson05_unique_task_title"]
        );
    }

    #[test]
    fn names_carry_their_lesson() {
        for (lesson, migration) in all() {
            assert!(
                migration.name().starts_with(&format!("lesson{lesson:02}_")),
                "{}",
                migration.name()
            );
        }
    }
}
