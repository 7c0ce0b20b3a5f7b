//! Lesson 2: the first schema, `users` and `tasks`. The migration itself lives
//! in the migration crate (`migration/src/lesson02_users_and_tasks.rs`); this
//! lesson's binary is lesson 1's application running the migrations up to 2.

/// Lesson 2 as a [`shared::Lesson`].
pub struct Lesson;

impl shared::Lesson for Lesson {
    const NAME: &'static str = env!("CARGO_PKG_NAME");
    type Migrator = migration::UpTo<2>;
    type Command = shared::NoCommand;
}
