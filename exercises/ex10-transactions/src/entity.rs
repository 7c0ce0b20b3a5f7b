//! `task_activities`: what happened to a task, and when.

pub mod activity {
    use sea_orm::entity::prelude::*;
    use serde::Serialize;

    /// The activity a create records.
    pub const CREATED: &str = "CREATED";

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
    #[sea_orm(table_name = "task_activities")]
    #[serde(rename_all = "camelCase")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub task_id: Uuid,
        pub kind: String,
        #[serde(serialize_with = "shared::time::serialize")]
        pub created_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}
