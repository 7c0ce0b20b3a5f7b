//! Lesson 10's repositories: lesson 9's tasks with a create that records its
//! activity in the same transaction, and the activities themselves.

pub mod activities;
pub mod tasks;
