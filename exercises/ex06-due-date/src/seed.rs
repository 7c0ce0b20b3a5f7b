//! Lesson 4's `seed`, now giving three tasks in four a due date.

use chrono::Duration;
use ex05_unique_title::prelude::{ExtraColumns, SeedCommand as LessonFourSeed, SeedTask};
use sea_orm::{DbBackend, Value};

/// `seed`, with due dates.
pub type SeedCommand = LessonFourSeed<DueDates>;

/// Every fourth task has no due date; the others are due 1 to 30 days after creation.
#[derive(Debug)]
pub struct DueDates;

impl ExtraColumns for DueDates {
    fn of(task: &SeedTask, _backend: DbBackend) -> Vec<(&'static str, Value)> {
        let due = (!task.index.is_multiple_of(4)).then(|| {
            task.created_at.date_naive() + Duration::days((task.index * 5 % 30 + 1) as i64)
        });
        vec![("due_date", Value::from(due))]
    }
}
